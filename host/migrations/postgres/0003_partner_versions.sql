-- A full scan walks a customer's partner state in id order reading only each row's version; an
-- index holding the version answers the walk without touching the rows and their snapshots.
CREATE INDEX partner_state_versions
    ON partner_state (customer, resource, id) INCLUDE (updated_at, fingerprint, deleted_at);
