-- The Gen-2 charge table (`/billing/charge/table`): a charge's location becomes a column
-- (it was kept only in `attributes`, where no index reaches it), and every filter and sort
-- of the table gets an index. SQLite keeps timestamps as RFC 3339 text whose fraction is
-- trimmed, which does not order as text at the second boundary, so time ranges compare
-- `julianday(...)` (millisecond precision) through expression indexes.

ALTER TABLE charges ADD COLUMN location_id TEXT;
UPDATE charges SET location_id = json_extract(attributes, '$.location_id')
    WHERE json_type(attributes, '$.location_id') = 'text';

CREATE INDEX charges_by_location ON charges (tenant_id, location_id, id);
CREATE INDEX charges_by_created_time ON charges (tenant_id, julianday(created_at), id);
CREATE INDEX charges_by_total ON charges (tenant_id, total, id);
CREATE INDEX charges_by_external_created ON charges (tenant_id, external_created_date, id);
CREATE INDEX charges_by_description ON charges (tenant_id, description, id);
CREATE INDEX payments_by_created_time ON payments (tenant_id, julianday(created_at), id);
