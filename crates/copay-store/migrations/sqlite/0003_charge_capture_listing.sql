-- Listing charge captures: a non-null sort key for date_of_service ('' when the charge has
-- no date yet, so it sorts first ascending) and indexes for the list filters.

ALTER TABLE charge_captures ADD COLUMN date_of_service_key TEXT NOT NULL DEFAULT '';
UPDATE charge_captures SET date_of_service_key = COALESCE(date_of_service, '');

CREATE INDEX charge_captures_by_id ON charge_captures (tenant_id, id);
CREATE INDEX charge_captures_by_date ON charge_captures (tenant_id, date_of_service_key, id);
CREATE INDEX charge_captures_by_patient ON charge_captures (tenant_id, patient_external_id, id);
CREATE INDEX charge_captures_by_status ON charge_captures (tenant_id, status, id);
CREATE INDEX charge_captures_by_claim_creation ON charge_captures (tenant_id, claim_creation_id);
