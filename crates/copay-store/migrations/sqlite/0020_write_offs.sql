-- Write-offs on claims (Candid's write-offs v1). A write-off takes `amount_cents` off
-- its target's balance through the ledger operation `operation_id`; a revert is a row of
-- the opposite amount with `reverts_id` set, and the original then has `reverted_by_id`.
-- Rows are never deleted.
CREATE TABLE claim_write_offs (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    -- PATIENT | INSURANCE
    account_type TEXT NOT NULL,
    -- service_line | claim | billing_provider
    target_kind TEXT NOT NULL,
    service_line_id BLOB,
    -- The claim of the target line, or the target claim: a claim filter matches both.
    claim_id BLOB,
    encounter_id BLOB,
    billing_provider_id BLOB,
    -- The claim's patient, when the target is on a claim.
    patient_external_id TEXT,
    payer_uuid BLOB,
    amount_cents INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    -- occurred_at in Unix microseconds: what lists order by.
    occurred_us INTEGER NOT NULL,
    note TEXT,
    reason TEXT NOT NULL,
    custom_reason TEXT,
    reverts_id BLOB,
    reverted_by_id BLOB,
    -- The target's ledger account.
    account_id BLOB NOT NULL,
    operation_id BLOB NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX claim_write_offs_by_time ON claim_write_offs (tenant_id, occurred_us, id);
CREATE INDEX claim_write_offs_by_amount ON claim_write_offs (tenant_id, amount_cents, id);
CREATE INDEX claim_write_offs_by_note ON claim_write_offs (tenant_id, (COALESCE(note, '')), id);
CREATE INDEX claim_write_offs_by_patient ON claim_write_offs (tenant_id, patient_external_id, occurred_us, id);
CREATE INDEX claim_write_offs_by_payer ON claim_write_offs (tenant_id, payer_uuid, occurred_us, id);
CREATE INDEX claim_write_offs_by_line ON claim_write_offs (tenant_id, service_line_id);
CREATE INDEX claim_write_offs_by_claim ON claim_write_offs (tenant_id, claim_id);
CREATE INDEX claim_write_offs_by_provider ON claim_write_offs (tenant_id, billing_provider_id);

-- When money on a claim last changed, in Unix microseconds: patient AR's inventory pages
-- by it (ar_changed_at as text would not sort in time order on SQLite). Claims made
-- before this migration start at their last change, else their creation (to the
-- millisecond: SQLite's date functions keep no more).
ALTER TABLE claims ADD COLUMN ar_changed_us INTEGER;
UPDATE claims SET ar_changed_us =
    CAST(strftime('%s', COALESCE(ar_changed_at, created_at)) AS INTEGER) * 1000000
    + CAST(ROUND((CAST(strftime('%f', COALESCE(ar_changed_at, created_at)) AS REAL)
        - CAST(strftime('%S', COALESCE(ar_changed_at, created_at)) AS INTEGER)) * 1000) AS INTEGER) * 1000;
CREATE INDEX claims_by_ar_change_us ON claims (tenant_id, ar_changed_us, id);
