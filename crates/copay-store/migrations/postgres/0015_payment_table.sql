-- The Gen-2 payment table (`/billing/payment/table`): an index for each equality filter
-- and column sort of payments (creation time is served by `payments_by_created_time`,
-- migration 0013), and refunds by the provider who gave them (`provider_id` filter).

CREATE INDEX payments_by_location ON payments (tenant_id, location_id, id);
CREATE INDEX payments_by_creator ON payments (tenant_id, creator_id, id);
CREATE INDEX payments_by_amount ON payments (tenant_id, amount, id);
CREATE INDEX payments_by_status ON payments (tenant_id, status, id);
CREATE INDEX payments_by_medium ON payments (tenant_id, medium, id);
CREATE INDEX refunds_by_provider ON refunds (tenant_id, provider_id, payment_id);
