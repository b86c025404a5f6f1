-- The reconciler's store. Timestamps are microseconds since the Unix epoch, UTC.

CREATE TABLE partner_state (
    customer     TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    id           INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    fingerprint  BLOB    NOT NULL,
    fields       TEXT    NOT NULL,
    processed_at INTEGER NOT NULL,
    deleted_at   INTEGER,
    PRIMARY KEY (customer, resource, id)
);

CREATE TABLE checkpoints (
    customer    TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    updated_at  INTEGER NOT NULL,
    advanced_at INTEGER NOT NULL,
    PRIMARY KEY (customer, resource)
);

CREATE TABLE runs (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    customer        TEXT    NOT NULL,
    task            TEXT    NOT NULL,
    dry_run         INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    outcome         TEXT    NOT NULL,
    records_checked INTEGER NOT NULL DEFAULT 0,
    gaps            INTEGER NOT NULL DEFAULT 0,
    deletions       INTEGER NOT NULL DEFAULT 0,
    drift           INTEGER NOT NULL DEFAULT 0,
    actions_taken   INTEGER NOT NULL DEFAULT 0,
    actions_failed  INTEGER NOT NULL DEFAULT 0,
    requests        INTEGER NOT NULL DEFAULT 0,
    breaker         TEXT    NOT NULL DEFAULT 'closed',
    error           TEXT
);
CREATE INDEX runs_by_customer ON runs (customer, started_at);

CREATE TABLE findings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id    INTEGER NOT NULL REFERENCES runs (id),
    resource  TEXT    NOT NULL,
    record_id INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    field     TEXT,
    expected  TEXT,
    actual    TEXT,
    severity  TEXT    NOT NULL,
    detail    TEXT    NOT NULL
);
CREATE INDEX findings_by_run ON findings (run_id);

CREATE TABLE action_journal (
    key        TEXT    PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    customer   TEXT    NOT NULL,
    resource   TEXT    NOT NULL,
    record_id  INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    error      TEXT
);
CREATE INDEX journal_by_state ON action_journal (customer, state);
CREATE INDEX journal_by_run ON action_journal (run_id);

CREATE TABLE dead_letters (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer    TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    record_id   INTEGER NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX dead_letters_open ON dead_letters (customer, resource, resolved_at);

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    customer   TEXT    NOT NULL,
    run_id     INTEGER,
    severity   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX alerts_by_customer ON alerts (customer, created_at);

CREATE TABLE review_queue (
    run_id     INTEGER PRIMARY KEY REFERENCES runs (id),
    customer   TEXT    NOT NULL,
    task       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    actions    INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);

CREATE TABLE known_participants (
    customer        TEXT    NOT NULL,
    project_date_id INTEGER NOT NULL,
    user_id         INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    seen_at         INTEGER NOT NULL,
    PRIMARY KEY (customer, project_date_id, user_id)
);
