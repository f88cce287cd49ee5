-- The Gen-2 charge table (`/billing/charge/table`): a charge's location becomes a column
-- (it was kept only in `attributes`, where no index reaches it), and every filter and sort
-- of the table gets an index.

ALTER TABLE charges ADD COLUMN location_id TEXT;
UPDATE charges SET location_id = attributes ->> 'location_id'
    WHERE jsonb_typeof(attributes -> 'location_id') = 'string';

CREATE INDEX charges_by_location ON charges (tenant_id, location_id, id);
CREATE INDEX charges_by_created_time ON charges (tenant_id, created_at, id);
CREATE INDEX charges_by_total ON charges (tenant_id, total, id);
CREATE INDEX charges_by_external_created ON charges (tenant_id, external_created_date, id);
CREATE INDEX charges_by_description ON charges (tenant_id, description, id);
CREATE INDEX payments_by_created_time ON payments (tenant_id, created_at, id);
