-- The reconciler's store. Timestamps are microseconds since the Unix epoch, UTC.

CREATE TABLE partner_state (
    customer     TEXT    NOT NULL,
    resource     TEXT    NOT NULL,
    id           BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    fingerprint  BYTEA   NOT NULL,
    fields       TEXT    NOT NULL,
    processed_at BIGINT  NOT NULL,
    deleted_at   BIGINT,
    PRIMARY KEY (customer, resource, id)
);

CREATE TABLE checkpoints (
    customer    TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL,
    advanced_at BIGINT  NOT NULL,
    PRIMARY KEY (customer, resource)
);

CREATE TABLE runs (
    id              BIGSERIAL PRIMARY KEY,
    customer        TEXT    NOT NULL,
    task            TEXT    NOT NULL,
    dry_run         BIGINT  NOT NULL,
    started_at      BIGINT  NOT NULL,
    finished_at     BIGINT,
    outcome         TEXT    NOT NULL,
    records_checked BIGINT  NOT NULL DEFAULT 0,
    gaps            BIGINT  NOT NULL DEFAULT 0,
    deletions       BIGINT  NOT NULL DEFAULT 0,
    drift           BIGINT  NOT NULL DEFAULT 0,
    actions_taken   BIGINT  NOT NULL DEFAULT 0,
    actions_failed  BIGINT  NOT NULL DEFAULT 0,
    requests        BIGINT  NOT NULL DEFAULT 0,
    breaker         TEXT    NOT NULL DEFAULT 'closed',
    error           TEXT
);
CREATE INDEX runs_by_customer ON runs (customer, started_at);

CREATE TABLE findings (
    id        BIGSERIAL PRIMARY KEY,
    run_id    BIGINT  NOT NULL REFERENCES runs (id),
    resource  TEXT    NOT NULL,
    record_id BIGINT  NOT NULL,
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
    run_id     BIGINT  NOT NULL REFERENCES runs (id),
    customer   TEXT    NOT NULL,
    resource   TEXT    NOT NULL,
    record_id  BIGINT  NOT NULL,
    action     TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    state      TEXT    NOT NULL,
    attempts   BIGINT  NOT NULL DEFAULT 0,
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    error      TEXT
);
CREATE INDEX journal_by_state ON action_journal (customer, state);
CREATE INDEX journal_by_run ON action_journal (run_id);

CREATE TABLE dead_letters (
    id          BIGSERIAL PRIMARY KEY,
    customer    TEXT    NOT NULL,
    resource    TEXT    NOT NULL,
    record_id   BIGINT  NOT NULL,
    reason      TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX dead_letters_open ON dead_letters (customer, resource, resolved_at);

CREATE TABLE alerts (
    id         BIGSERIAL PRIMARY KEY,
    customer   TEXT    NOT NULL,
    run_id     BIGINT,
    severity   TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    message    TEXT    NOT NULL,
    created_at BIGINT  NOT NULL
);
CREATE INDEX alerts_by_customer ON alerts (customer, created_at);

CREATE TABLE review_queue (
    run_id     BIGINT  PRIMARY KEY REFERENCES runs (id),
    customer   TEXT    NOT NULL,
    task       TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    actions    BIGINT  NOT NULL,
    state      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    decided_at BIGINT
);

CREATE TABLE known_participants (
    customer        TEXT    NOT NULL,
    project_date_id BIGINT  NOT NULL,
    user_id         BIGINT  NOT NULL,
    status          TEXT    NOT NULL,
    seen_at         BIGINT  NOT NULL,
    PRIMARY KEY (customer, project_date_id, user_id)
);
