-- The tenant-wide ledger accounts (revenue, discounts, clearing, …) stop keeping a stored
-- running balance: nearly every operation of a tenant moves them, and one stored row per
-- account made every concurrent operation queue on it. Their balance is the sum of their
-- transfers, computed when asked; the stored column stays 0 and `copay verify` reports
-- one that is not. (0014 and 0015 are taken by branches in flight.)
UPDATE ledger_accounts SET balance = 0
    WHERE kind IN ('clearing', 'revenue', 'discounts', 'write_offs', 'external_settlements',
                   'adjustments', 'refunds', 'tips', 'voids');
