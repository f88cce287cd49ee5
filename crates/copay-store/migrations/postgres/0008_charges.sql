-- Patient charges (Decoda): the item catalogue, charges with their lines, and the
-- adjustments made to them. What a charge still owes is not a column: it is the balance
-- of its charge-receivable ledger account (owner = the charge).

CREATE TABLE items (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    name TEXT NOT NULL,
    price BIGINT NOT NULL,
    description TEXT,
    image TEXT,
    unit TEXT,
    meta JSONB,
    archived BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX items_by_tenant ON items (tenant_id, archived, id);

CREATE TABLE charges (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    external_id TEXT,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    custom_amount BIGINT NOT NULL,
    discount_amount BIGINT NOT NULL,
    discount_percentage_millionths BIGINT NOT NULL,
    description TEXT,
    external_created_date TIMESTAMPTZ,
    rule_set_id TEXT,
    meta JSONB,
    attributes JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX charges_external_id ON charges (tenant_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX charges_by_id ON charges (tenant_id, id);
CREATE INDEX charges_by_patient ON charges (tenant_id, patient_id, id);
CREATE INDEX charges_by_status ON charges (tenant_id, status, id);

CREATE TABLE charge_items (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    charge_id UUID NOT NULL REFERENCES charges (id),
    item_id UUID REFERENCES items (id),
    position BIGINT NOT NULL,
    quantity BIGINT NOT NULL,
    unit_price BIGINT NOT NULL,
    discount_amount BIGINT NOT NULL,
    discount_percentage_millionths BIGINT NOT NULL,
    tax_amount BIGINT NOT NULL,
    line_total BIGINT NOT NULL,
    name TEXT,
    attributes JSONB NOT NULL
);
CREATE INDEX charge_items_by_charge ON charge_items (tenant_id, charge_id, position);

CREATE TABLE charge_adjustments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    charge_id UUID NOT NULL REFERENCES charges (id),
    amount BIGINT NOT NULL,
    adjustment_type TEXT NOT NULL,
    reason TEXT,
    provider_id TEXT,
    operation_id UUID,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX charge_adjustments_by_charge ON charge_adjustments (tenant_id, charge_id, id);
