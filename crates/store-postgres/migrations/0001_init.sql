-- 0001: the ClubOS schema on PostgreSQL, equivalent to SQLite's migrations
-- 1 to 9. Append-only: never edit a migration that has shipped; add the next
-- one (0002_…) and list it in src/migrate.rs.
--
-- Types: ids are bigint identities, times timestamptz (microseconds), JSON
-- jsonb, closed vocabularies text with a named CHECK (the tests check that
-- every variant the domain knows is allowed).

CREATE TABLE customers (
    phone       text PRIMARY KEY,
    name        text,
    flags       jsonb NOT NULL DEFAULT '[]',
    updated_at  timestamptz NOT NULL
);

CREATE TABLE bookings (
    id              text PRIMARY KEY,
    location        text NOT NULL,
    bay             bigint,
    customer_phone  text NOT NULL,
    starts_at       timestamptz NOT NULL,
    ends_at         timestamptz NOT NULL,
    status          text NOT NULL
        CONSTRAINT bookings_status_known CHECK (status IN ('confirmed', 'pending', 'cancelled'))
);
CREATE INDEX bookings_by_customer ON bookings (customer_phone, starts_at);

CREATE TABLE threads (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_phone      text NOT NULL,
    location            text NOT NULL,
    bay                 bigint,
    status              text NOT NULL
        CONSTRAINT threads_status_known CHECK (status IN ('pending', 'awaiting_ai', 'awaiting_response',
            'awaiting_human', 'ai_resolved', 'escalated', 'in_progress', 'resolved', 'manual_override',
            'timeout', 'merged')),
    priority            bigint NOT NULL CONSTRAINT threads_priority_rank CHECK (priority BETWEEN 0 AND 3),
    category            text
        CONSTRAINT threads_category_known CHECK (category IN ('tech', 'booking', 'access', 'faq')),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    last_inbound_at     timestamptz,
    last_outbound_at    timestamptz,
    last_classified_at  timestamptz,
    escalation_reason   text
        CONSTRAINT threads_reason_known CHECK (escalation_reason IN ('autonomy_disabled', 'low_confidence',
            'no_booking', 'outside_time_window', 'outside_booking_window', 'customer_flagged', 'cooldown',
            'max_attempts', 'rate_limited', 'system_unhealthy', 'connector_unavailable', 'llm_timeout',
            'llm_error', 'token_cap', 'negative_sentiment', 'action_failed', 'emergency', 'no_match')),
    escalation_summary  text,
    proposal            jsonb,
    correlation_id      text NOT NULL
);
CREATE INDEX threads_by_customer ON threads (customer_phone, location, updated_at);
CREATE INDEX threads_by_status ON threads (status, updated_at);
CREATE INDEX threads_by_update ON threads (updated_at, id);

CREATE TABLE decisions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id        bigint NOT NULL REFERENCES threads (id),
    category         text
        CONSTRAINT decisions_category_known CHECK (category IN ('tech', 'booking', 'access', 'faq')),
    sub_intent       text,
    confidence       double precision,
    verdict          text NOT NULL
        CONSTRAINT decisions_verdict_known CHECK (verdict IN ('execute', 'reply', 'escalate', 'defer')),
    reason           text
        CONSTRAINT decisions_reason_known CHECK (reason IN ('autonomy_disabled', 'low_confidence',
            'no_booking', 'outside_time_window', 'outside_booking_window', 'customer_flagged', 'cooldown',
            'max_attempts', 'rate_limited', 'system_unhealthy', 'connector_unavailable', 'llm_timeout',
            'llm_error', 'token_cap', 'negative_sentiment', 'action_failed', 'emergency', 'no_match')),
    matched_sop      text,
    proposed_action  text,
    reply            text,
    model            text NOT NULL,
    tokens_in        bigint NOT NULL,
    tokens_out       bigint NOT NULL,
    cached           boolean NOT NULL,
    latency_ms       bigint NOT NULL,
    checks           jsonb NOT NULL,
    at               timestamptz NOT NULL
);
CREATE INDEX decisions_by_thread ON decisions (thread_id, id);

CREATE TABLE messages (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    thread_id    bigint NOT NULL REFERENCES threads (id),
    direction    text NOT NULL CONSTRAINT messages_direction_known CHECK (direction IN ('inbound', 'outbound')),
    body         text NOT NULL,
    at           timestamptz NOT NULL,
    author       text NOT NULL,
    external_id  text,
    processed    boolean NOT NULL DEFAULT false,
    decision_id  bigint REFERENCES decisions (id)
);
CREATE INDEX messages_by_thread ON messages (thread_id, id);
CREATE INDEX messages_unprocessed ON messages (thread_id) WHERE NOT processed;

-- Webhook dedupe: `event:…`, `delivery:…`, `message:…`; the primary key is
-- what makes a delivery seen by two instances at once count once.
CREATE TABLE webhook_keys (
    key          text PRIMARY KEY,
    received_at  timestamptz NOT NULL
);

-- One item per thread; claims are leases (claimed_by, lease_until).
CREATE TABLE queue (
    thread_id     bigint PRIMARY KEY REFERENCES threads (id),
    priority      bigint NOT NULL,
    enqueued_at   timestamptz NOT NULL,
    available_at  timestamptz NOT NULL,
    claimed_by    text,
    lease_until   timestamptz,
    dirty         boolean NOT NULL DEFAULT true,
    attempts      bigint NOT NULL DEFAULT 0
);
CREATE INDEX queue_order ON queue (priority, enqueued_at, thread_id);

CREATE TABLE actions (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    decision_id      bigint REFERENCES decisions (id),
    thread_id        bigint NOT NULL REFERENCES threads (id),
    location         text NOT NULL,
    kind             text NOT NULL
        CONSTRAINT actions_kind_known CHECK (kind IN ('reset_trackman', 'reboot_pc', 'unlock_door', 'send_reply')),
    target           text NOT NULL,
    status           text NOT NULL
        CONSTRAINT actions_status_known CHECK (status IN ('pending', 'success', 'partial_success',
            'success_unconfirmed', 'failed', 'timeout')),
    triggered_by     text NOT NULL CONSTRAINT actions_trigger_known CHECK (triggered_by IN ('ai', 'human')),
    actor            text NOT NULL,
    booking_id       text,
    body             text,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    error            text,
    override_reason  text
);
CREATE UNIQUE INDEX actions_once_per_decision ON actions (decision_id, kind) WHERE decision_id IS NOT NULL;
CREATE INDEX actions_by_target ON actions (location, kind, target, started_at);
CREATE INDEX actions_by_booking ON actions (booking_id, kind) WHERE booking_id IS NOT NULL;
CREATE INDEX actions_by_thread ON actions (thread_id, id);
CREATE INDEX actions_pending ON actions (id) WHERE status = 'pending';

CREATE TABLE notifications (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL,
    severity        text NOT NULL
        CONSTRAINT notifications_severity_known CHECK (severity IN ('info', 'warning', 'critical')),
    thread_id       bigint,
    title           text NOT NULL,
    body            text NOT NULL,
    dedupe_key      text,
    created_at      timestamptz NOT NULL,
    acked_at        timestamptz,
    acked_by        text,
    slack_done      boolean NOT NULL DEFAULT false,
    slack_next_at   timestamptz,
    oncall_done     boolean NOT NULL DEFAULT false,
    oncall_next_at  timestamptz
);
CREATE UNIQUE INDEX notifications_open_key ON notifications (dedupe_key)
    WHERE acked_at IS NULL AND dedupe_key IS NOT NULL;
CREATE INDEX notifications_slack_due ON notifications (id) WHERE NOT slack_done;
CREATE INDEX notifications_oncall_due ON notifications (id)
    WHERE NOT oncall_done AND acked_at IS NULL AND severity = 'critical';

CREATE TABLE audit (
    id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor    text NOT NULL,
    action   text NOT NULL,
    subject  text NOT NULL,
    detail   jsonb NOT NULL
);

CREATE TABLE settings (
    key         text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- LLM tokens per location and local day (reservations included).
CREATE TABLE token_use (
    location  text NOT NULL,
    day       date NOT NULL,
    tokens    bigint NOT NULL,
    PRIMARY KEY (location, day)
);

-- The SOP knowledge base: every version (one active per SOP at most), the
-- review queue of proposals, the change log and the use metrics.
CREATE TABLE sops (
    id           text NOT NULL,
    version      bigint NOT NULL,
    status       text NOT NULL CONSTRAINT sops_status_known CHECK (status IN ('active', 'archived')),
    body         jsonb NOT NULL,
    source       text NOT NULL DEFAULT 'starter',
    created_by   text NOT NULL DEFAULT 'system',
    approved_by  text,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE UNIQUE INDEX sops_one_active ON sops (id) WHERE status = 'active';

CREATE TABLE sop_proposals (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id        text NOT NULL,
    body          jsonb NOT NULL,
    base_version  bigint,
    source        text NOT NULL,
    proposed_by   text NOT NULL,
    warnings      jsonb NOT NULL,
    status        text NOT NULL
        CONSTRAINT sop_proposals_status_known CHECK (status IN ('pending', 'accepted', 'rejected')),
    decided_by    text,
    decided_at    timestamptz,
    note          text,
    version       bigint,
    created_at    timestamptz NOT NULL,
    retires       text
);
CREATE INDEX sop_proposals_by_status ON sop_proposals (status, id);

CREATE TABLE sop_changes (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sop_id            text NOT NULL,
    kind              text NOT NULL
        CONSTRAINT sop_changes_kind_known CHECK (kind IN ('approve', 'rollback', 'archive')),
    version           bigint,
    previous_version  bigint,
    proposal_id       bigint,
    proposed_by       text NOT NULL,
    approved_by       text NOT NULL,
    diff              jsonb NOT NULL,
    at                timestamptz NOT NULL
);

CREATE TABLE sop_metrics (
    sop_id        text PRIMARY KEY,
    times_used    bigint NOT NULL DEFAULT 0,
    successes     bigint NOT NULL DEFAULT 0,
    failures      bigint NOT NULL DEFAULT 0,
    overrides     bigint NOT NULL DEFAULT 0,
    last_used     timestamptz,
    last_success  timestamptz,
    last_failure  timestamptz
);

-- Claude's SOP work queue, run strictly in id order. While a job runs,
-- next_at is the end of its lease.
CREATE TABLE review_jobs (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL
        CONSTRAINT review_jobs_kind_known CHECK (kind IN ('structure', 'review', 'feedback')),
    payload      jsonb NOT NULL,
    status       text NOT NULL
        CONSTRAINT review_jobs_status_known CHECK (status IN ('queued', 'running', 'done', 'failed')),
    attempts     bigint NOT NULL DEFAULT 0,
    next_at      timestamptz NOT NULL,
    last_error   text,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz
);
CREATE INDEX review_jobs_waiting ON review_jobs (id) WHERE status IN ('queued', 'running');
