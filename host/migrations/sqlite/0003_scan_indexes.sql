-- Only records listed below another have a parent. Indexing the rest wrote an index page for
-- every upserted user though their parent never changes; a partial index leaves them out, and
-- every query by parent asks for a parent, which implies it is not null.
DROP INDEX partner_state_by_parent;
CREATE INDEX partner_state_by_parent ON partner_state (customer, resource, parent_id, id)
    WHERE parent_id IS NOT NULL;

-- A full scan walks every record's version beside VOMO's listing. Read from the table, the walk
-- loaded each row's whole snapshot with it, seven pages in eight of them unused; this index
-- holds just what the walk reads, a tenth of the table's size.
CREATE INDEX partner_state_versions
    ON partner_state (customer, resource, id, updated_at, fingerprint, deleted_at);

-- Pending actions are read a page at a time in key order, by run or by customer and resource.
-- Indexed without the key, every page sorted all of the run's actions again, so executing a
-- run's actions took time in the square of their number.
DROP INDEX journal_by_run;
CREATE INDEX journal_by_run ON action_journal (run_id, state, key);
DROP INDEX journal_by_state;
CREATE INDEX journal_by_state ON action_journal (customer, state, resource, key);
