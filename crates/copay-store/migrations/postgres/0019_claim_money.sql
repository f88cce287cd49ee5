-- Money on claims (Candid side): insurance payments and refunds, patient payments and
-- refunds. Each entry is one business object of the API; its allocations say where its
-- money went, and the ledger operation (`operation_id`) moved it. A deleted entry keeps
-- its rows (with `deleted_at`) and a reversing ledger operation (`reversal_operation_id`);
-- the API no longer shows it.
CREATE TABLE claim_money_entries (
    id UUID PRIMARY KEY NOT NULL,
    tenant_id UUID NOT NULL,
    -- insurance_payment | insurance_refund | patient_payment | patient_refund
    kind TEXT NOT NULL,
    payer_uuid UUID,
    patient_external_id TEXT,
    amount_cents BIGINT NOT NULL,
    -- payment_timestamp / refund_timestamp; the creation time when the caller gave none.
    occurred_at TIMESTAMPTZ NOT NULL,
    -- occurred_at in Unix microseconds: what lists order by (SQLite's RFC 3339 text
    -- does not sort in time order when fractions have different lengths).
    occurred_us BIGINT NOT NULL,
    note TEXT,
    reason TEXT,
    source TEXT,
    source_internal_id TEXT,
    invoice_id UUID,
    -- payment_method_detail and allocation_restrictions, as given.
    extra JSONB NOT NULL,
    operation_id UUID NOT NULL,
    reversal_operation_id UUID,
    deleted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One index per list order and per entry-level filter; every list is one tenant and kind.
CREATE INDEX claim_money_entries_by_time ON claim_money_entries (tenant_id, kind, occurred_us, id);
CREATE INDEX claim_money_entries_by_amount ON claim_money_entries (tenant_id, kind, amount_cents, id);
CREATE INDEX claim_money_entries_by_patient ON claim_money_entries (tenant_id, kind, patient_external_id, occurred_us, id);
CREATE INDEX claim_money_entries_by_payer ON claim_money_entries (tenant_id, kind, payer_uuid, occurred_us, id);
CREATE INDEX claim_money_entries_by_invoice ON claim_money_entries (tenant_id, kind, invoice_id);
CREATE INDEX claim_money_entries_by_source_id ON claim_money_entries (tenant_id, kind, source_internal_id);

CREATE TABLE claim_money_allocations (
    id UUID PRIMARY KEY NOT NULL,
    tenant_id UUID NOT NULL,
    entry_id UUID NOT NULL REFERENCES claim_money_entries (id),
    entry_kind TEXT NOT NULL,
    position BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    -- service_line | claim | billing_provider | appointment | unattributed
    target_kind TEXT NOT NULL,
    service_line_id UUID,
    claim_id UUID,
    encounter_id UUID,
    billing_provider_id UUID,
    appointment_id TEXT,
    appointment_patient_external_id TEXT,
    earmark JSONB,
    -- The ledger account the allocation moved money on: the key for "paid on a target".
    account_id UUID NOT NULL,
    deleted_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX claim_money_allocations_by_entry ON claim_money_allocations (tenant_id, entry_id, position);
CREATE INDEX claim_money_allocations_by_line ON claim_money_allocations (tenant_id, service_line_id, entry_kind);
CREATE INDEX claim_money_allocations_by_claim ON claim_money_allocations (tenant_id, claim_id, entry_kind);
CREATE INDEX claim_money_allocations_by_provider ON claim_money_allocations (tenant_id, billing_provider_id, entry_kind);
CREATE INDEX claim_money_allocations_by_account ON claim_money_allocations (tenant_id, account_id, entry_kind);
CREATE INDEX claim_money_allocations_unattributed ON claim_money_allocations (tenant_id, entry_kind, entry_id)
    WHERE target_kind = 'unattributed';

-- The billing provider of an encounter has a stable id per tenant and NPI, so money can be
-- allocated to it (`billing_provider_by_id`).
ALTER TABLE encounters ADD COLUMN billing_provider_id UUID;
CREATE INDEX encounters_by_billing_provider ON encounters (tenant_id, billing_provider_id);
CREATE INDEX encounters_by_external_id ON encounters (tenant_id, external_id);
-- When money on a claim last changed: patient AR's inventory pages by it.
ALTER TABLE claims ADD COLUMN ar_changed_at TIMESTAMPTZ;
CREATE INDEX claims_by_ar_change ON claims (tenant_id, ar_changed_at, id);
