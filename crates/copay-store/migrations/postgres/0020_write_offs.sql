-- Write-offs on claims (Candid's write-offs v1). A write-off takes `amount_cents` off
-- its target's balance through the ledger operation `operation_id`; a revert is a row of
-- the opposite amount with `reverts_id` set, and the original then has `reverted_by_id`.
-- Rows are never deleted.
CREATE TABLE claim_write_offs (
    id UUID PRIMARY KEY NOT NULL,
    tenant_id UUID NOT NULL,
    -- PATIENT | INSURANCE
    account_type TEXT NOT NULL,
    -- service_line | claim | billing_provider
    target_kind TEXT NOT NULL,
    service_line_id UUID,
    -- The claim of the target line, or the target claim: a claim filter matches both.
    claim_id UUID,
    encounter_id UUID,
    billing_provider_id UUID,
    -- The claim's patient, when the target is on a claim.
    patient_external_id TEXT,
    payer_uuid UUID,
    amount_cents BIGINT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    -- occurred_at in Unix microseconds: what lists order by.
    occurred_us BIGINT NOT NULL,
    note TEXT,
    reason TEXT NOT NULL,
    custom_reason TEXT,
    reverts_id UUID,
    reverted_by_id UUID,
    -- The target's ledger account.
    account_id UUID NOT NULL,
    operation_id UUID NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
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
-- by it (kept beside ar_changed_at so both databases order it the same way). Claims made
-- before this migration start at their last change, else their creation.
ALTER TABLE claims ADD COLUMN ar_changed_us BIGINT;
UPDATE claims SET ar_changed_us =
    CAST(FLOOR(EXTRACT(EPOCH FROM COALESCE(ar_changed_at, created_at)) * 1000000) AS BIGINT);
CREATE INDEX claims_by_ar_change_us ON claims (tenant_id, ar_changed_us, id);
