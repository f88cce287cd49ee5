-- Payments against patient charges: the payment, how it is split over charges, and
-- (for patient-credit payments) which credits it drew and how much from each.

CREATE TABLE payments (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    amount INTEGER NOT NULL,
    medium TEXT NOT NULL,
    status TEXT NOT NULL,
    fee INTEGER NOT NULL,
    operation_id BLOB,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_by_patient ON payments (tenant_id, patient_id, id);

CREATE TABLE charge_payments (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    payment_id BLOB NOT NULL REFERENCES payments (id),
    charge_id BLOB NOT NULL REFERENCES charges (id),
    amount INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX charge_payments_by_charge ON charge_payments (tenant_id, charge_id, id);
CREATE INDEX charge_payments_by_payment ON charge_payments (tenant_id, payment_id);

CREATE TABLE payment_credit_draws (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    payment_id BLOB NOT NULL REFERENCES payments (id),
    credit_id BLOB NOT NULL,
    amount INTEGER NOT NULL
);
CREATE INDEX payment_credit_draws_by_payment ON payment_credit_draws (tenant_id, payment_id);
