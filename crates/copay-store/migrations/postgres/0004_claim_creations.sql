-- Claim creations (Candid "charge capture bundles"), their errors, post-billed changes,
-- and what a successful claim creation produces: an encounter, one claim, service lines.
-- `last_change_ms` (Unix milliseconds) is when a member last changed; the worker processes
-- a creation once the quiet period has passed since then.

CREATE TABLE claim_creations (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    status TEXT NOT NULL,
    bundle_key TEXT NOT NULL,
    characteristics JSONB NOT NULL,
    patient_external_id TEXT NOT NULL,
    date_of_service_key TEXT NOT NULL,
    claim_creation_category TEXT,
    encounter_creation_input JSONB,
    created_encounter_id UUID,
    claim_id UUID,
    last_change_ms BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- At most one open creation per grouping key: concurrent charges join, never duplicate.
CREATE UNIQUE INDEX claim_creations_open_key ON claim_creations (tenant_id, bundle_key)
    WHERE status IN ('not-started', 'in-error', 'held');
CREATE INDEX claim_creations_by_id ON claim_creations (tenant_id, id);
CREATE INDEX claim_creations_due ON claim_creations (status, last_change_ms);

CREATE TABLE claim_creation_errors (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    claim_creation_id UUID NOT NULL REFERENCES claim_creations (id),
    charge_capture_id UUID,
    field_in_error TEXT,
    message TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    resolved_by TEXT,
    resolution_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX claim_creation_errors_by_creation ON claim_creation_errors (tenant_id, claim_creation_id);

CREATE TABLE charge_capture_changes (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    charge_capture_id UUID NOT NULL REFERENCES charge_captures (id),
    message TEXT NOT NULL,
    resolved BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX charge_capture_changes_by_capture ON charge_capture_changes (tenant_id, charge_capture_id);

CREATE TABLE encounters (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    claim_creation_id UUID REFERENCES claim_creations (id),
    external_id TEXT NOT NULL,
    patient_external_id TEXT NOT NULL,
    date_of_service DATE,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX encounters_by_id ON encounters (tenant_id, id);

CREATE TABLE claims (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    encounter_id UUID NOT NULL REFERENCES encounters (id),
    status TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX claims_by_encounter ON claims (tenant_id, encounter_id);

CREATE TABLE service_lines (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    encounter_id UUID NOT NULL REFERENCES encounters (id),
    claim_id UUID NOT NULL REFERENCES claims (id),
    charge_capture_id UUID REFERENCES charge_captures (id),
    position BIGINT NOT NULL,
    procedure_code TEXT NOT NULL,
    quantity TEXT NOT NULL,
    units TEXT NOT NULL,
    charge_amount_cents BIGINT NOT NULL,
    date_of_service DATE NOT NULL,
    end_date_of_service DATE,
    data JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_lines_by_claim ON service_lines (tenant_id, claim_id, position);
