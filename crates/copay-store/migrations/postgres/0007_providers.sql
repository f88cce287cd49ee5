-- The clinic's providers (Decoda Gen-1 `/v1/provider`). `roles` holds role names from
-- copay's fixed catalogue; `external_id` is the provider's id in the caller's system.

CREATE TABLE providers (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    external_id TEXT,
    first_name TEXT NOT NULL,
    last_name TEXT,
    email TEXT,
    phone_number TEXT,
    address_line_one TEXT,
    address_line_two TEXT,
    city TEXT,
    state TEXT,
    zip_code TEXT,
    country TEXT,
    address_valid BOOLEAN,
    firebase_uid TEXT,
    meta JSONB,
    roles JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX providers_external_id ON providers (tenant_id, external_id) WHERE external_id IS NOT NULL;
-- Lists go newest first by creation time (a client-chosen id says nothing about age).
CREATE INDEX providers_newest ON providers (tenant_id, created_at, id);
