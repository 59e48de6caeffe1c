-- Service levels, escalation, on-call rota and notification channels (issue 4, IBP FO IM.02).
-- One text for both backends; instants are BIGINT microseconds (UTC), dates ISO text (YYYY-MM-DD).

-- Per board: the business calendar and the SLA configuration. The JSON columns hold the core's
-- serde forms (WeekSchedule, HolidayRules, SlaPolicy) and the app's rules; NULL means the default.
CREATE TABLE sla_settings (
    board_id        {uuid} PRIMARY KEY REFERENCES boards(id),
    -- School-holiday region: north, central, south.
    region          TEXT NOT NULL,
    week_schedule   TEXT,
    holiday_rules   TEXT,
    policy          TEXT,
    -- Untriaged reports run on this priority's service level until triage.
    untriaged_priority TEXT NOT NULL DEFAULT 'p3',
    escalation      TEXT,
    -- On-call: handover moment of the weekly rotation and the acknowledgement window.
    oncall          TEXT,
    -- Hosts webhooks may be sent to, one per line (`*.example.nl` allows subdomains).
    webhook_hosts   TEXT NOT NULL DEFAULT '',
    -- The board's school holidays were copied from the official table into school_holidays.
    holidays_seeded BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at      BIGINT NOT NULL
);

-- School holidays per region and extra closing days (region NULL: every region), per board, per
-- school year. Seeded from the official table on first change, then edited or imported by admins.
CREATE TABLE school_holidays (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    region      TEXT,
    school_year TEXT NOT NULL,
    -- autumn, christmas, spring, may, summer, or closure (studiedag, extra closing day).
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    first_day   TEXT NOT NULL,
    last_day    TEXT NOT NULL,
    -- official, manual or import.
    source      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX school_holidays_board ON school_holidays(board_id, school_year, first_day);

-- The SLA clocks of one incident as last computed: due and at-risk moments, the escalation level
-- reached per clock, and when the next threshold passes (the periodic scan selects on that).
-- Rewritten in the same transaction as every change of the incident.
CREATE TABLE incident_sla (
    incident_id     {uuid} PRIMARY KEY REFERENCES incidents(id),
    board_id        {uuid} NOT NULL REFERENCES boards(id),
    school_id       {uuid},
    assignee_id     {uuid},
    is_open         BOOLEAN NOT NULL,
    exercise        BOOLEAN NOT NULL DEFAULT FALSE,
    -- The priority the clocks run on (for untriaged reports: the board's untriaged priority).
    priority        TEXT NOT NULL,
    triaged         BOOLEAN NOT NULL,
    clock           TEXT NOT NULL,
    paused          BOOLEAN NOT NULL,
    reported_at     BIGINT NOT NULL,
    computed_at     BIGINT NOT NULL,
    response_state      TEXT NOT NULL,
    response_target     BIGINT,
    response_elapsed    BIGINT NOT NULL,
    response_at_risk_at BIGINT,
    response_due_at     BIGINT,
    response_stopped_at BIGINT,
    response_level      BIGINT NOT NULL DEFAULT 0,
    resolution_state      TEXT NOT NULL,
    resolution_target     BIGINT,
    resolution_elapsed    BIGINT NOT NULL,
    resolution_at_risk_at BIGINT,
    resolution_due_at     BIGINT,
    resolution_stopped_at BIGINT,
    resolution_level      BIGINT NOT NULL DEFAULT 0,
    next_check_at   BIGINT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX incident_sla_next_check ON incident_sla(next_check_at);
CREATE INDEX incident_sla_board_open ON incident_sla(board_id, is_open);
CREATE INDEX incident_sla_response_stopped ON incident_sla(board_id, response_stopped_at);
CREATE INDEX incident_sla_resolution_stopped ON incident_sla(board_id, resolution_stopped_at);

-- Suppliers an incident can be escalated to functionally.
CREATE TABLE suppliers (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    name        TEXT NOT NULL,
    email       TEXT,
    phone       TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX suppliers_board_name ON suppliers(board_id, name);

-- Chat webhooks of a board. `secret` signs the generic format (HMAC-SHA256); at most one crisis
-- channel per board.
CREATE TABLE webhook_channels (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    name        TEXT NOT NULL,
    format      TEXT NOT NULL,
    url         TEXT NOT NULL,
    secret      TEXT NOT NULL,
    on_escalation BOOLEAN NOT NULL,
    on_oncall   BOOLEAN NOT NULL,
    crisis      BOOLEAN NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  BIGINT NOT NULL
);
CREATE INDEX webhook_channels_board ON webhook_channels(board_id);
CREATE UNIQUE INDEX webhook_channels_crisis ON webhook_channels(board_id) WHERE crisis = TRUE AND active = TRUE;

-- The weekly on-call rotation: members in order.
CREATE TABLE oncall_members (
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    position    BIGINT NOT NULL,
    user_id     {uuid} NOT NULL REFERENCES users(id),
    PRIMARY KEY (board_id, position)
);
CREATE UNIQUE INDEX oncall_members_user ON oncall_members(board_id, user_id);

-- Overrides of the rotation (swaps, holidays): `user_id` is on call from `starts_at` to `ends_at`.
CREATE TABLE oncall_overrides (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    user_id     {uuid} NOT NULL REFERENCES users(id),
    starts_at   BIGINT NOT NULL,
    ends_at     BIGINT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  {uuid},
    created_at  BIGINT NOT NULL
);
CREATE INDEX oncall_overrides_board ON oncall_overrides(board_id, ends_at);

-- A person's private iCal feed token (hashed).
CREATE TABLE oncall_feeds (
    user_id     {uuid} PRIMARY KEY REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

-- Alerts to the person on call, one row per step of the chain; acknowledged by a link (token,
-- hashed) or in the UI. Unique per incident, trigger and step, so an alert is sent once.
CREATE TABLE oncall_alerts (
    id          {uuid} PRIMARY KEY,
    board_id    {uuid} NOT NULL REFERENCES boards(id),
    incident_id {uuid} NOT NULL REFERENCES incidents(id),
    trigger_kind TEXT NOT NULL,
    step        BIGINT NOT NULL,
    user_id     {uuid} REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    alerted_at  BIGINT NOT NULL,
    ack_due_at  BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by {uuid},
    ack_via     TEXT,
    UNIQUE (incident_id, trigger_kind, step)
);
CREATE INDEX oncall_alerts_open ON oncall_alerts(board_id, acknowledged_at);
