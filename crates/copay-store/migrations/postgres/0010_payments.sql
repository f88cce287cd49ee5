-- Payments against patient charges: the payment, how it is split over charges, and
-- (for patient-credit payments) which credits it drew and how much from each.

CREATE TABLE payments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    patient_id UUID NOT NULL REFERENCES patients (id),
    amount BIGINT NOT NULL,
    medium TEXT NOT NULL,
    status TEXT NOT NULL,
    fee BIGINT NOT NULL,
    operation_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX payments_by_patient ON payments (tenant_id, patient_id, id);

CREATE TABLE charge_payments (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    payment_id UUID NOT NULL REFERENCES payments (id),
    charge_id UUID NOT NULL REFERENCES charges (id),
    amount BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX charge_payments_by_charge ON charge_payments (tenant_id, charge_id, id);
CREATE INDEX charge_payments_by_payment ON charge_payments (tenant_id, payment_id);

CREATE TABLE payment_credit_draws (
    id UUID PRIMARY KEY,
    tenant_id UUID NOT NULL REFERENCES tenants (id),
    payment_id UUID NOT NULL REFERENCES payments (id),
    credit_id UUID NOT NULL,
    amount BIGINT NOT NULL
);
CREATE INDEX payment_credit_draws_by_payment ON payment_credit_draws (tenant_id, payment_id);
