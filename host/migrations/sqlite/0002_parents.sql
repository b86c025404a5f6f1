-- Records listed below another record (a form's completions, a project date's participants) keep
-- their parent, so a pass can compare one parent's records at a time. Partner state of
-- participations is what the integration knows of each date, which replaces known_participants.
ALTER TABLE partner_state ADD COLUMN parent_id INTEGER;
CREATE INDEX partner_state_by_parent ON partner_state (customer, resource, parent_id, id);
DROP TABLE known_participants;
