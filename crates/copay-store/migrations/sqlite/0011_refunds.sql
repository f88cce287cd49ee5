-- Refunds of patient payments and what each took back from which charge; payments gain
-- where they were taken and by whom (for the payment table), and keep the moment a
-- payment or a charge was voided (deleted).

ALTER TABLE payments ADD COLUMN location_id TEXT;
ALTER TABLE payments ADD COLUMN creator_id TEXT;
ALTER TABLE payments ADD COLUMN comment TEXT;
ALTER TABLE payments ADD COLUMN voided_at TEXT;
ALTER TABLE charges ADD COLUMN voided_at TEXT;

CREATE TABLE refunds (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    payment_id BLOB NOT NULL REFERENCES payments (id),
    amount INTEGER NOT NULL,
    reason TEXT NOT NULL,
    description TEXT,
    provider_id TEXT NOT NULL,
    location_id TEXT,
    status TEXT NOT NULL,
    credit_id BLOB,
    operation_id BLOB,
    created_at TEXT NOT NULL
);
CREATE INDEX refunds_by_payment ON refunds (tenant_id, payment_id, id);

CREATE TABLE refund_shares (
    id BLOB PRIMARY KEY NOT NULL,
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    refund_id BLOB NOT NULL REFERENCES refunds (id),
    charge_id BLOB NOT NULL REFERENCES charges (id),
    amount INTEGER NOT NULL
);
CREATE INDEX refund_shares_by_charge ON refund_shares (tenant_id, charge_id);
CREATE INDEX refund_shares_by_refund ON refund_shares (tenant_id, refund_id);
