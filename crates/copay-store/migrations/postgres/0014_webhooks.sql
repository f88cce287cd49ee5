-- Events and webhooks (Decoda `/v1/webhook/…`, `/webhook/decoda/…`, tenant webhook config).
--
-- `webhooks`: a tenant's subscriptions. `source` says which surface made it (`v1`, `v2`,
-- or `tenant-config` for the one row behind `/tenant/webhook-config`); it picks the payload
-- generation. A deleted webhook is archived, never removed: its deliveries keep their rows.
--
-- `webhook_events` is the outbox: one row per event, written in the transaction of the
-- change it reports, with one `webhook_deliveries` row per matching subscription. A
-- delivery's `body` is the exact bytes sent and signed; it is rendered once, after commit,
-- and never changed again, so retries and resends sign identical bytes.
-- `next_attempt_ms` (Unix milliseconds) schedules a pending delivery; the worker also uses
-- it as a lease while an attempt is in flight. Deliveries of one webhook go out in
-- `event_id` order (UUIDv7, time-ordered): one is not tried before every earlier one of
-- that webhook was delivered or given up.

CREATE TABLE webhooks (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    source TEXT NOT NULL,
    url TEXT NOT NULL,
    subscriptions JSONB NOT NULL,
    secret TEXT NOT NULL,
    notification_email TEXT,
    archived BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ
);
CREATE INDEX webhooks_by_tenant ON webhooks (tenant_id, archived, id);
CREATE UNIQUE INDEX webhooks_tenant_config ON webhooks (tenant_id) WHERE source = 'tenant-config';

CREATE TABLE webhook_events (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    event_type TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE webhook_deliveries (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    webhook_id UUID NOT NULL REFERENCES webhooks (id),
    event_id UUID NOT NULL REFERENCES webhook_events (id),
    event_type TEXT NOT NULL,
    body BYTEA,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_ms BIGINT NOT NULL,
    delivered_at TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_ms);
CREATE INDEX webhook_deliveries_in_order ON webhook_deliveries (webhook_id, status, event_id);
CREATE INDEX webhook_deliveries_unrendered ON webhook_deliveries (event_id) WHERE body IS NULL;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, created_at);

CREATE TABLE webhook_delivery_attempts (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    delivery_id UUID NOT NULL REFERENCES webhook_deliveries (id),
    attempt INTEGER NOT NULL,
    manual BOOLEAN NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    duration_ms BIGINT NOT NULL,
    status_code INTEGER,
    error TEXT
);
CREATE INDEX webhook_delivery_attempts_by_delivery ON webhook_delivery_attempts (delivery_id, attempt);
