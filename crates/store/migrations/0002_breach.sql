-- Personal-data breaches (AVG art. 33/34). Facts that are filtered or exported are columns; lists
-- (natures, groups, data categories, consequences) and the risk-question answers are JSON text.

-- Breach settings of a board: the controller's details for the AP form and who sees assessments.
CREATE TABLE breach_settings (
    board_id        {uuid} PRIMARY KEY REFERENCES boards(id),
    address         TEXT,
    contact_name    TEXT,
    contact_function TEXT,
    contact_email   TEXT,
    contact_phone   TEXT,
    -- May the service desk read the breach record including the assessment?
    service_desk_sees_assessment BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE breaches (
    incident_id     {uuid} PRIMARY KEY REFERENCES incidents(id),
    board_id        {uuid} NOT NULL REFERENCES boards(id),
    school_id       {uuid} REFERENCES schools(id),
    exercise        BOOLEAN NOT NULL DEFAULT FALSE,
    first_signal_at BIGINT NOT NULL,
    awareness_at    BIGINT NOT NULL,
    deadline_at     BIGINT NOT NULL,
    -- When the next deadline warning is due; NULL once decided or all warnings are out.
    next_warning_at BIGINT,
    ap_incident_kind TEXT,
    natures         TEXT NOT NULL,
    summary         TEXT,
    started_at      BIGINT,
    ended_at        BIGINT,
    ongoing         BOOLEAN NOT NULL DEFAULT FALSE,
    discovered_at   BIGINT,
    discovery       TEXT,
    subject_groups  TEXT NOT NULL,
    groups_description TEXT,
    -- people_kind: unknown / exact / range; exact keeps min = max.
    people_kind     TEXT NOT NULL,
    people_min      BIGINT,
    people_max      BIGINT,
    data_categories TEXT NOT NULL,
    records_count   BIGINT,
    prior_measure   TEXT,
    prior_measure_how TEXT,
    processor       TEXT,
    processor_informed_at BIGINT,
    abroad          BOOLEAN,
    abroad_countries TEXT,
    consequences    TEXT NOT NULL,
    consequences_text TEXT,
    measures        TEXT,
    assessment      TEXT NOT NULL,
    -- Derived from facts and answers on every save (quarters: 14 = 3.5).
    severity_quarters BIGINT NOT NULL,
    severity_level  TEXT NOT NULL,
    suggestion      TEXT NOT NULL,
    -- Art. 33 decision; NULL while open.
    notify_decision BOOLEAN,
    notify_reasoning TEXT,
    decided_by      TEXT,
    decided_at      BIGINT,
    fg_advice       TEXT,
    fg_advice_at    BIGINT,
    fg_advice_by    TEXT,
    ap_notified_at  BIGINT,
    ap_reference    TEXT,
    ap_final        BOOLEAN,
    delay_reason    TEXT,
    -- Art. 34 decision; NULL while open.
    inform_decision BOOLEAN,
    inform_ground   TEXT,
    inform_reasoning TEXT,
    public_communication TEXT,
    informed_at     BIGINT,
    inform_channel  TEXT,
    informed_count  BIGINT,
    inform_text     TEXT,
    inform_decided_by TEXT,
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX breaches_board_awareness ON breaches(board_id, awareness_at);
CREATE INDEX breaches_next_warning ON breaches(next_warning_at);

-- Follow-ups to an AP notification: supplement, amend, withdraw.
CREATE TABLE breach_followups (
    id          {uuid} PRIMARY KEY,
    incident_id {uuid} NOT NULL REFERENCES breaches(incident_id),
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    reference   TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX breach_followups_incident ON breach_followups(incident_id, at);

-- Other notifications: Inspectie, police, insurer, School-CERT.
CREATE TABLE breach_other_notifications (
    id          {uuid} PRIMARY KEY,
    incident_id {uuid} NOT NULL REFERENCES breaches(incident_id),
    recipient   TEXT NOT NULL,
    at          BIGINT NOT NULL,
    reference   TEXT,
    note        TEXT,
    recorded_by TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX breach_other_incident ON breach_other_notifications(incident_id, at);

-- Letters to data subjects: editable drafts, frozen once sent.
CREATE TABLE breach_letters (
    incident_id {uuid} NOT NULL REFERENCES breaches(incident_id),
    audience    TEXT NOT NULL,
    body        TEXT NOT NULL,
    sent_at     BIGINT,
    updated_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (incident_id, audience)
);

-- Deadline warnings: one row per (breach, kind), inserted when the warning is enqueued, so each
-- is sent once even with several instances; sent_at/status once the job ran.
CREATE TABLE breach_warnings (
    incident_id {uuid} NOT NULL REFERENCES breaches(incident_id),
    kind        TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL,
    status      TEXT,
    sent_at     BIGINT,
    PRIMARY KEY (incident_id, kind)
);
