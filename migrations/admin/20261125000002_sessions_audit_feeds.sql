-- Sessions, the audit log, high-traffic marks and their feed, the forced
-- refund outbox, and the ticket notices waiting to reach reseller-service.

ALTER TABLE admin.admins
    ADD COLUMN version bigint NOT NULL DEFAULT 1;

-- Opaque session tokens: only their SHA-256 is kept. A session ends at the
-- first of: logout (revoked_at), 30 minutes without a request (last_seen_at),
-- 8 hours after login (expires_at), or its admin being disabled.
CREATE TABLE admin.sessions (
    session_id   uuid        PRIMARY KEY,
    admin_id     uuid        NOT NULL REFERENCES admin.admins (admin_id),
    token_hash   bytea       NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);
CREATE INDEX sessions_by_admin ON admin.sessions (admin_id) WHERE revoked_at IS NULL;

-- The audit log: one row per admin mutation and per failed login, written in
-- the transaction of the change. For a change carried out by reseller-service
-- the row is written (outcome 'pending') before the call and its outcome is
-- appended to audit_outcomes after it, so neither table is ever updated.
CREATE TABLE admin.audit_log (
    audit_id    uuid        PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_type  text        NOT NULL CHECK (actor_type IN ('admin', 'anonymous', 'core', 'cli', 'system')),
    actor_id    uuid,
    actor_email text,
    actor_role  text,
    action      text        NOT NULL,
    target_type text        NOT NULL,
    target_id   text,
    reason      text,
    before      jsonb,
    after       jsonb,
    outcome     text        NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'denied', 'pending')),
    request_id  text,
    client_addr text
);
CREATE INDEX audit_log_by_time ON admin.audit_log (occurred_at DESC, audit_id DESC);
CREATE INDEX audit_log_by_actor ON admin.audit_log (actor_id, occurred_at DESC);
CREATE INDEX audit_log_by_target ON admin.audit_log (target_type, target_id, occurred_at DESC);
-- Login throttling counts recent failures per account and per address.
CREATE INDEX audit_log_failed_logins_by_account
    ON admin.audit_log (lower(target_id), occurred_at) WHERE action = 'auth.login_failed';
CREATE INDEX audit_log_failed_logins_by_address
    ON admin.audit_log (client_addr, occurred_at) WHERE action = 'auth.login_failed';

-- No foreign key to audit_log: checking one takes a row lock on the
-- referenced row, which needs the UPDATE privilege revoked below.
CREATE TABLE admin.audit_outcomes (
    audit_id     uuid        PRIMARY KEY,
    outcome      text        NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
    before       jsonb,
    after        jsonb,
    error        text,
    completed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The service's own role may only append to and read the audit tables. The
-- role owns them, so the privileges are revoked from it explicitly, and a
-- trigger refuses changes from anyone else (a superuser included).
REVOKE UPDATE, DELETE, TRUNCATE ON admin.audit_log, admin.audit_outcomes FROM CURRENT_USER;

CREATE FUNCTION admin.refuse_audit_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON admin.audit_log
    FOR EACH ROW EXECUTE FUNCTION admin.refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON admin.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION admin.refuse_audit_change();
CREATE TRIGGER audit_outcomes_append_only BEFORE UPDATE OR DELETE ON admin.audit_outcomes
    FOR EACH ROW EXECUTE FUNCTION admin.refuse_audit_change();
CREATE TRIGGER audit_outcomes_no_truncate BEFORE TRUNCATE ON admin.audit_outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION admin.refuse_audit_change();

-- High-traffic marks, one per show, and their feed for the core services.
-- Positions come from one counter row taken as the last step of the writing
-- transaction (as in reseller-service's catalog feed), so they follow commit
-- order and a reader never skips a late commit.
CREATE TABLE admin.traffic_designations (
    show_id           uuid        PRIMARY KEY,
    reseller_id       uuid        NOT NULL,
    level             text        NOT NULL CHECK (level IN ('normal', 'high', 'extreme')),
    expected_peak_rps bigint      CHECK (expected_peak_rps >= 0),
    note              text,
    updated_by        uuid        NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admin.traffic_feed_position (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_seq  bigint  NOT NULL
);
INSERT INTO admin.traffic_feed_position (singleton, last_seq) VALUES (true, 0);

CREATE TABLE admin.traffic_changes (
    seq               bigint      PRIMARY KEY,
    show_id           uuid        NOT NULL,
    reseller_id       uuid        NOT NULL,
    level             text        NOT NULL,
    expected_peak_rps bigint,
    note              text,
    changed_at        timestamptz NOT NULL DEFAULT now()
);

-- Forced refunds waiting for the core order service (the outbox it reads).
CREATE TABLE admin.refund_requests (
    refund_id      uuid        PRIMARY KEY,
    ticket_id      uuid        NOT NULL,
    reseller_id    uuid        NOT NULL,
    order_id       uuid        NOT NULL,
    amount_minor   bigint      NOT NULL CHECK (amount_minor > 0),
    currency       text        NOT NULL,
    reason         text        NOT NULL,
    status         text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'completed', 'failed')),
    requested_by   uuid        NOT NULL,
    requested_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    resolved_at    timestamptz,
    failure_reason text
);
CREATE INDEX refund_requests_queue ON admin.refund_requests (status, requested_at, refund_id);
CREATE INDEX refund_requests_by_order ON admin.refund_requests (order_id);
CREATE INDEX refund_requests_by_ticket ON admin.refund_requests (ticket_id, requested_at);

-- Messages for a reseller's ticket (refund requested, completed, failed)
-- that reseller-service has not acknowledged yet; a relay delivers them.
CREATE TABLE admin.ticket_notices (
    notice_id    uuid        PRIMARY KEY,
    ticket_id    uuid        NOT NULL,
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    delivered_at timestamptz
);
CREATE INDEX ticket_notices_pending ON admin.ticket_notices (created_at) WHERE delivered_at IS NULL;

-- Idempotency-Key records of the creating POSTs (new admins, forced
-- refunds), per admin; see platform::idempotency for the scheme.
CREATE TABLE admin.idempotency_keys (
    admin_id        uuid        NOT NULL,
    key_hash        bytea       NOT NULL,
    fingerprint     bytea       NOT NULL,
    response_status smallint    NOT NULL,
    response_body   bytea       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (admin_id, key_hash)
);
CREATE INDEX idempotency_keys_by_age ON admin.idempotency_keys (created_at);
