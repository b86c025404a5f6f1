-- Only records listed below another have a parent, and every query by parent asks for one; the
-- index keeps to those records, as SQLite's does (there it saves an index write per upsert).
DROP INDEX partner_state_by_parent;
CREATE INDEX partner_state_by_parent ON partner_state (customer, resource, parent_id, id)
    WHERE parent_id IS NOT NULL;

-- Pending actions are read a page at a time in key order, by run or by customer and resource.
-- Indexed without the key, every page sorted all of the run's actions again, so executing a
-- run's actions took time in the square of their number.
DROP INDEX journal_by_run;
CREATE INDEX journal_by_run ON action_journal (run_id, state, key);
DROP INDEX journal_by_state;
CREATE INDEX journal_by_state ON action_journal (customer, state, resource, key);
