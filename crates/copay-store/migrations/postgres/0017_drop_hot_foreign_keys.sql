-- PostgreSQL checks a foreign key by taking a KEY SHARE lock on the referenced row. When
-- many concurrent transactions reference the same row (the tenant, a tenant-wide ledger
-- account, one of a few catalogue items), the lockers of that row become a MultiXact that
-- every new locker rebuilds: under 32 concurrent charges and settlements that is where
-- the time went (MultiXact waits), and dropping these constraints doubled settlements/s.
--
-- Dropped: `tenant_id → tenants` on the tables every charge, settlement and payment writes;
-- transfers → ledger_accounts; charge lines → items. Integrity stays where it matters:
-- tenant ids come only from the authenticated request context (never from input), tenants
-- are never deleted, ledger accounts and items are never deleted (items are archived), and
-- `copay verify` reports any transfer that references a missing account or one of another
-- tenant. SQLite keeps its constraints: it takes no row locks, so they cost no waiting.
ALTER TABLE idempotency_keys DROP CONSTRAINT IF EXISTS idempotency_keys_tenant_id_fkey;
ALTER TABLE ledger_accounts DROP CONSTRAINT IF EXISTS ledger_accounts_tenant_id_fkey;
ALTER TABLE ledger_operations DROP CONSTRAINT IF EXISTS ledger_operations_tenant_id_fkey;
ALTER TABLE ledger_transfers DROP CONSTRAINT IF EXISTS ledger_transfers_tenant_id_fkey;
ALTER TABLE ledger_transfers DROP CONSTRAINT IF EXISTS ledger_transfers_debit_account_id_fkey;
ALTER TABLE ledger_transfers DROP CONSTRAINT IF EXISTS ledger_transfers_credit_account_id_fkey;
ALTER TABLE charges DROP CONSTRAINT IF EXISTS charges_tenant_id_fkey;
ALTER TABLE charge_items DROP CONSTRAINT IF EXISTS charge_items_tenant_id_fkey;
ALTER TABLE charge_items DROP CONSTRAINT IF EXISTS charge_items_item_id_fkey;
ALTER TABLE charge_adjustments DROP CONSTRAINT IF EXISTS charge_adjustments_tenant_id_fkey;
ALTER TABLE patient_credits DROP CONSTRAINT IF EXISTS patient_credits_tenant_id_fkey;
ALTER TABLE payments DROP CONSTRAINT IF EXISTS payments_tenant_id_fkey;
ALTER TABLE charge_payments DROP CONSTRAINT IF EXISTS charge_payments_tenant_id_fkey;
ALTER TABLE payment_credit_draws DROP CONSTRAINT IF EXISTS payment_credit_draws_tenant_id_fkey;
ALTER TABLE refunds DROP CONSTRAINT IF EXISTS refunds_tenant_id_fkey;
ALTER TABLE refund_shares DROP CONSTRAINT IF EXISTS refund_shares_tenant_id_fkey;
ALTER TABLE tips DROP CONSTRAINT IF EXISTS tips_tenant_id_fkey;
-- The outbox is written by every change a webhook subscribes to, so the same holds for it
-- (webhooks are archived, never deleted).
ALTER TABLE webhook_events DROP CONSTRAINT IF EXISTS webhook_events_tenant_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_tenant_id_fkey;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_webhook_id_fkey;
ALTER TABLE webhook_delivery_attempts DROP CONSTRAINT IF EXISTS webhook_delivery_attempts_tenant_id_fkey;
