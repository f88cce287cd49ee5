-- The patient registry both dialects share. `external_id` is the join key with the Candid
-- side's `patient_external_id`. Identity and contact fields are columns; the remaining
-- attributes (clinical lists, scheduling flags, …) are kept in `attributes` as given.

CREATE TABLE patients (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    external_id TEXT,
    first_name TEXT,
    last_name TEXT,
    email TEXT,
    phone_number TEXT,
    date_of_birth TEXT,
    gender TEXT,
    address_line_one TEXT,
    address_line_two TEXT,
    city TEXT,
    state TEXT,
    zip_code TEXT,
    country TEXT,
    meta TEXT,
    attributes TEXT NOT NULL,
    search_text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX patients_external_id ON patients (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX patients_by_id ON patients (tenant_id, id);
-- Lists are newest first by creation time: a caller may choose a patient's id.
CREATE INDEX patients_by_created ON patients (tenant_id, created_at, id);

-- A charge capture created from a pre-encounter patient takes its patient data from the
-- registry when its claim creation is processed.
ALTER TABLE charge_captures ADD COLUMN pre_encounter_patient_id BLOB REFERENCES patients (id);
ALTER TABLE charge_captures ADD COLUMN pre_encounter_appointment_ids TEXT;
