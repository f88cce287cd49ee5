-- Tips on patient charges (Decoda Gen-2 `/billing/tips`), and where an adjustment was
-- made. A tip raises what its charge owes (ledger: tenant Tips → the charge's receivable)
-- and the charge's stored total. A deleted tip keeps its row (`deleted_at`), so the
-- ledger's tip postings still have their record.

CREATE TABLE tips (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    charge_id BLOB NOT NULL REFERENCES charges (id),
    provider_id BLOB NOT NULL REFERENCES providers (id),
    amount INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX tips_by_charge ON tips (tenant_id, charge_id, id);

ALTER TABLE charge_adjustments ADD COLUMN location_id TEXT;
