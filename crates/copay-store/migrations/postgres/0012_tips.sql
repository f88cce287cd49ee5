-- Tips on patient charges (Decoda Gen-2 `/billing/tips`), and where an adjustment was
-- made. A tip raises what its charge owes (ledger: tenant Tips → the charge's receivable)
-- and the charge's stored total. A deleted tip keeps its row (`deleted_at`), so the
-- ledger's tip postings still have their record.

CREATE TABLE tips (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    charge_id UUID NOT NULL REFERENCES charges (id),
    provider_id UUID NOT NULL REFERENCES providers (id),
    amount BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    deleted_at TIMESTAMPTZ
);
CREATE INDEX tips_by_charge ON tips (tenant_id, charge_id, id);

ALTER TABLE charge_adjustments ADD COLUMN location_id TEXT;
