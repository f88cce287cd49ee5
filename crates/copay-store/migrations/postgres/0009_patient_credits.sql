-- Patient credit records. What is left on a credit is not a column: it is the balance of
-- its patient-credit ledger account (owner = the credit), so it cannot be spent twice.

CREATE TABLE patient_credits (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    amount BIGINT NOT NULL,
    comment TEXT,
    expires_at TIMESTAMPTZ,
    member_id TEXT,
    creator_id TEXT,
    external_id TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX patient_credits_by_patient ON patient_credits (tenant_id, patient_id, id);
