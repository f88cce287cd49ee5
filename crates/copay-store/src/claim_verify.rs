//! Invariants of the money on claims that `copay verify` checks across tenants (an
//! operator check): allocations add up, refunds stay within payments, and write-offs and
//! their reverts point at each other.

use uuid::Uuid;

use crate::{Store, StoreResult, on_db};

/// A row of claim money that breaks an invariant, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimMoneyFault {
    pub id: Uuid,
    pub reason: String,
}

impl Store {
    pub async fn claim_money_faults(&self) -> StoreResult<Vec<ClaimMoneyFault>> {
        // (entry, amount, allocated); (account, side, paid, refunded); (write-off, reason).
        type Sums = Vec<(Uuid, i64, i64)>;
        type Overdrawn = Vec<(Uuid, String, i64, i64)>;
        type Unpaired = Vec<(Uuid, String)>;
        let (sums, overdrawn, unpaired): (Sums, Overdrawn, Unpaired) = on_db!(self, pool => {
            // Every live entry's live allocations sum to its amount.
            let sums = sqlx::query_as::<_, (Uuid, i64, i64)>(
                "SELECT e.id, e.amount_cents, CAST(COALESCE(SUM(a.amount_cents), 0) AS BIGINT) \
                 FROM claim_money_entries e LEFT JOIN claim_money_allocations a \
                   ON a.tenant_id = e.tenant_id AND a.entry_id = e.id AND a.deleted_at IS NULL \
                 WHERE e.deleted_at IS NULL GROUP BY e.id, e.amount_cents \
                 HAVING e.amount_cents <> COALESCE(SUM(a.amount_cents), 0)")
                .fetch_all(pool)
                .await?;
            // Per target account and side, live refunds never exceed live payments.
            let overdrawn = sqlx::query_as::<_, (Uuid, String, i64, i64)>(
                "SELECT account_id, side, paid, refunded FROM ( \
                   SELECT account_id, \
                     CASE WHEN entry_kind LIKE 'insurance%' THEN 'insurance' ELSE 'patient' END AS side, \
                     CAST(SUM(CASE WHEN entry_kind LIKE '%payment' THEN amount_cents ELSE 0 END) AS BIGINT) AS paid, \
                     CAST(SUM(CASE WHEN entry_kind LIKE '%refund' THEN amount_cents ELSE 0 END) AS BIGINT) AS refunded \
                   FROM claim_money_allocations WHERE deleted_at IS NULL \
                   GROUP BY account_id, CASE WHEN entry_kind LIKE 'insurance%' THEN 'insurance' ELSE 'patient' END \
                 ) sides WHERE refunded > paid")
                .fetch_all(pool)
                .await?;
            // A revert and the write-off it reverts name each other, with opposite amounts
            // on the same account.
            let unpaired = sqlx::query_as::<_, (Uuid, String)>(
                "SELECT w.id, CASE \
                   WHEN o.id IS NULL THEN 'reverts a write-off that does not exist' \
                   WHEN o.reverted_by_id IS NULL OR o.reverted_by_id <> w.id THEN 'reverts a write-off that does not name it' \
                   ELSE 'does not undo the write-off it reverts' END \
                 FROM claim_write_offs w LEFT JOIN claim_write_offs o \
                   ON o.tenant_id = w.tenant_id AND o.id = w.reverts_id \
                 WHERE w.reverts_id IS NOT NULL AND (o.id IS NULL OR o.reverted_by_id IS NULL \
                   OR o.reverted_by_id <> w.id OR o.amount_cents + w.amount_cents <> 0 OR o.account_id <> w.account_id) \
                 UNION ALL SELECT w.id, 'is reverted by a write-off that does not revert it' \
                 FROM claim_write_offs w LEFT JOIN claim_write_offs r \
                   ON r.tenant_id = w.tenant_id AND r.id = w.reverted_by_id \
                 WHERE w.reverted_by_id IS NOT NULL AND (r.id IS NULL OR r.reverts_id IS NULL OR r.reverts_id <> w.id)")
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((sums, overdrawn, unpaired))
        })?;
        let mut faults = Vec::new();
        for (id, amount, allocated) in sums {
            faults.push(ClaimMoneyFault {
                id,
                reason: format!("amount {amount} but its live allocations sum to {allocated}"),
            });
        }
        for (account, side, paid, refunded) in overdrawn {
            faults.push(ClaimMoneyFault {
                id: account,
                reason: format!(
                    "{side} payments put {paid} on this account but refunds took back {refunded}"
                ),
            });
        }
        for (id, reason) in unpaired {
            faults.push(ClaimMoneyFault { id, reason });
        }
        Ok(faults)
    }
}
