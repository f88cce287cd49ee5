-- Patient credit records. What is left on a credit is not a column: it is the balance of
-- its patient-credit ledger account (owner = the credit), so it cannot be spent twice.

CREATE TABLE patient_credits (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    amount INTEGER NOT NULL,
    comment TEXT,
    expires_at TEXT,
    member_id TEXT,
    creator_id TEXT,
    external_id TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX patient_credits_by_patient ON patient_credits (tenant_id, patient_id, id);
