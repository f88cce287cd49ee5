-- Charge captures as the EHR sent them. `data` is kept as given (unknown keys too);
-- `date_of_service` is derived from it when written.

CREATE TABLE charge_captures (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    charge_external_id TEXT NOT NULL,
    patient_external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    date_of_service TEXT,
    originating_system TEXT,
    claim_creation_category TEXT,
    ehr_source_url TEXT,
    attachment_external_document_ids TEXT,
    metadata TEXT,
    hl7_message_type TEXT,
    claim_creation_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (tenant_id, charge_external_id)
);
CREATE INDEX charge_captures_created ON charge_captures (tenant_id, created_at, id);
