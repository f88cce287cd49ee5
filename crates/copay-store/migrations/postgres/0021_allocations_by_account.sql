-- What a refund may still take from a target is summed over the target account's live
-- allocations. Keyed by the account alone: with the tenant leading, PostgreSQL's generic
-- plan for that prepared query picked another (tenant_id, …) index and scanned every
-- allocation of the tenant (6.7 ms at 7,000 rows and growing; found under load).
DROP INDEX IF EXISTS claim_money_allocations_by_account;
CREATE INDEX claim_money_allocations_live_by_account ON claim_money_allocations (account_id, entry_kind)
    WHERE deleted_at IS NULL;
