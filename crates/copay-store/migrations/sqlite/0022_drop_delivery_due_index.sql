-- The worker finds due deliveries from each webhook's earliest pending one (the in-order
-- index), no longer by scanning (status, next_attempt_ms): nothing reads this index, and
-- every new delivery and every claim or attempt had to keep it up to date.
DROP INDEX IF EXISTS webhook_deliveries_due;
