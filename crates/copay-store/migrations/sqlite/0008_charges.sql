-- Patient charges (Decoda): the item catalogue, charges with their lines, and the
-- adjustments made to them. What a charge still owes is not a column: it is the balance
-- of its charge-receivable ledger account (owner = the charge).

CREATE TABLE items (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    price INTEGER NOT NULL,
    description TEXT,
    image TEXT,
    unit TEXT,
    meta TEXT,
    archived BOOLEAN NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX items_by_tenant ON items (tenant_id, archived, id);

CREATE TABLE charges (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    external_id TEXT,
    status TEXT NOT NULL,
    total INTEGER NOT NULL,
    custom_amount INTEGER NOT NULL,
    discount_amount INTEGER NOT NULL,
    discount_percentage_millionths INTEGER NOT NULL,
    description TEXT,
    external_created_date TEXT,
    rule_set_id TEXT,
    meta TEXT,
    attributes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX charges_external_id ON charges (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX charges_by_id ON charges (tenant_id, id);
CREATE INDEX charges_by_patient ON charges (tenant_id, patient_id, id);
CREATE INDEX charges_by_status ON charges (tenant_id, status, id);

CREATE TABLE charge_items (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    charge_id BLOB NOT NULL REFERENCES charges (id),
    item_id BLOB REFERENCES items (id),
    position INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    unit_price INTEGER NOT NULL,
    discount_amount INTEGER NOT NULL,
    discount_percentage_millionths INTEGER NOT NULL,
    tax_amount INTEGER NOT NULL,
    line_total INTEGER NOT NULL,
    name TEXT,
    attributes TEXT NOT NULL
);
CREATE INDEX charge_items_by_charge ON charge_items (tenant_id, charge_id, position);

CREATE TABLE charge_adjustments (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    charge_id BLOB NOT NULL REFERENCES charges (id),
    amount INTEGER NOT NULL,
    adjustment_type TEXT NOT NULL,
    reason TEXT,
    provider_id TEXT,
    operation_id BLOB,
    created_at TEXT NOT NULL
);
CREATE INDEX charge_adjustments_by_charge ON charge_adjustments (tenant_id, charge_id, id);
