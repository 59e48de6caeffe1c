-- Meldpunt schema, version 1. One text for both backends: `{uuid}` becomes UUID on PostgreSQL and
-- BLOB on SQLite; every instant is BIGINT microseconds since the Unix epoch (UTC).

CREATE TABLE boards (
    id              {uuid} PRIMARY KEY,
    name            TEXT NOT NULL,
    kvk_number      TEXT,
    fg_registration TEXT,
    contact_email   TEXT,
    service_desk_email TEXT,
    -- The board's priority matrix as JSON (rows impact, columns urgency); NULL means the default.
    priority_matrix TEXT,
    created_at      BIGINT NOT NULL
);

CREATE TABLE schools (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    name        TEXT NOT NULL,
    brin        TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX schools_board ON schools(board_id);
CREATE UNIQUE INDEX schools_board_name ON schools(board_id, name);

CREATE TABLE users (
    id              {uuid} PRIMARY KEY,
    email           TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    password_hash   TEXT,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins   BIGINT NOT NULL DEFAULT 0,
    locked_until    BIGINT,
    locale          TEXT NOT NULL DEFAULT 'nl',
    created_at      BIGINT NOT NULL
);

CREATE TABLE role_grants (
    id          {uuid} PRIMARY KEY,
    user_id     {uuid} NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    school_id   {uuid} REFERENCES schools(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX role_grants_user ON role_grants(user_id);
CREATE INDEX role_grants_board ON role_grants(board_id, role);

CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     {uuid} NOT NULL REFERENCES users(id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id          {uuid} PRIMARY KEY,
    user_id     {uuid} NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    last_used_at BIGINT
);

CREATE TABLE incident_counters (
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    year        BIGINT NOT NULL,
    last_seq    BIGINT NOT NULL,
    PRIMARY KEY (board_id, year)
);

CREATE TABLE incidents (
    id              {uuid} PRIMARY KEY,
    board_id        {uuid} NOT NULL REFERENCES boards(id),
    school_id       {uuid} REFERENCES schools(id),
    number_year     BIGINT NOT NULL,
    number_seq      BIGINT NOT NULL,
    summary         TEXT NOT NULL,
    description     TEXT NOT NULL,
    personal_data   TEXT NOT NULL,
    ongoing         BOOLEAN,
    reporter_name   TEXT,
    reporter_email  TEXT,
    reporter_phone  TEXT,
    status          TEXT NOT NULL,
    kind            TEXT,
    aspects         TEXT,
    category        TEXT,
    impact          TEXT,
    urgency         TEXT,
    priority        TEXT,
    -- 0 while untriaged (needs attention first), else 1..5.
    priority_rank   BIGINT NOT NULL DEFAULT 0,
    priority_override_reason TEXT,
    assignee_id     {uuid} REFERENCES users(id),
    resolution      TEXT,
    cause           TEXT,
    evaluation      TEXT,
    no_incident_reason TEXT,
    occurred_at     BIGINT,
    detected_at     BIGINT,
    reported_at     BIGINT NOT NULL,
    registered_at   BIGINT,
    first_response_at BIGINT,
    contained_at    BIGINT,
    resolved_at     BIGINT,
    evaluated_at    BIGINT,
    closed_at       BIGINT,
    exercise        BOOLEAN NOT NULL DEFAULT FALSE,
    followup_token_hash TEXT NOT NULL UNIQUE,
    -- Lower-cased summary, description and number for free-text search.
    search_text     TEXT NOT NULL,
    version         BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    UNIQUE (board_id, number_year, number_seq)
);
CREATE INDEX incidents_board_reported ON incidents(board_id, reported_at, id);
CREATE INDEX incidents_board_status ON incidents(board_id, status, reported_at);
CREATE INDEX incidents_board_priority ON incidents(board_id, priority_rank, reported_at);
CREATE INDEX incidents_assignee ON incidents(assignee_id, status);
CREATE INDEX incidents_school ON incidents(school_id, reported_at);

CREATE TABLE incident_events (
    id          {uuid} PRIMARY KEY,
    incident_id {uuid} NOT NULL REFERENCES incidents(id),
    at          BIGINT NOT NULL,
    actor_id    {uuid} REFERENCES users(id),
    actor_label TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    -- Visible on the reporter's follow-up page?
    public      BOOLEAN NOT NULL DEFAULT FALSE,
    body        TEXT,
    details     TEXT NOT NULL
);
CREATE INDEX incident_events_incident ON incident_events(incident_id, at);

CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY,
    at          BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    board_id    TEXT,
    subject     TEXT,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject);

-- The chain's head, kept apart so cutting entries off the end is detected.
CREATE TABLE audit_head (
    id          BIGINT PRIMARY KEY,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE jobs (
    id          {uuid} PRIMARY KEY,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    -- Periodic and deduplicated work carries a unique key, so it is enqueued once.
    unique_key  TEXT UNIQUE,
    status      TEXT NOT NULL,
    run_at      BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by   TEXT,
    locked_until BIGINT,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs(status, run_at);

CREATE TABLE notifications (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    incident_id {uuid} REFERENCES incidents(id),
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    status      TEXT NOT NULL,
    detail      TEXT,
    job_id      {uuid},
    at          BIGINT NOT NULL
);
CREATE INDEX notifications_board ON notifications(board_id, status, at);
CREATE INDEX notifications_incident ON notifications(incident_id);
