-- Charge captures as the EHR sent them. `data` is kept as given (unknown keys too);
-- `date_of_service` is derived from it when written.

CREATE TABLE charge_captures (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    charge_external_id TEXT NOT NULL,
    patient_external_id TEXT NOT NULL,
    status TEXT NOT NULL,
    data JSONB NOT NULL,
    date_of_service DATE,
    originating_system TEXT,
    claim_creation_category TEXT,
    ehr_source_url TEXT,
    attachment_external_document_ids JSONB,
    metadata JSONB,
    hl7_message_type TEXT,
    claim_creation_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (tenant_id, charge_external_id)
);
CREATE INDEX charge_captures_created ON charge_captures (tenant_id, created_at, id);
