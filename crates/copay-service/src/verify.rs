//! `copay verify`: recompute every balance from the transfers and check the invariants.

use copay_domain::ledger;
use copay_store::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct VerifyReport {
    pub accounts: usize,
    pub transfers: i64,
    /// One line per broken invariant, naming the offending row.
    pub violations: Vec<String>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }
}

pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let accounts = store.all_accounts().await?;
    let recomputed = store.recomputed_balances().await?;
    let mut violations: Vec<String> = ledger::check_accounts(&accounts, &recomputed)
        .iter()
        .map(ToString::to_string)
        .collect();
    let known: std::collections::HashSet<_> = accounts.iter().map(|a| a.id).collect();
    violations.extend(
        recomputed
            .keys()
            .filter(|id| !known.contains(id))
            .map(|id| format!("transfers reference missing account {id}")),
    );
    violations.extend(
        store
            .transfer_faults()
            .await?
            .into_iter()
            .map(|fault| format!("transfer {}: {}", fault.transfer_id, fault.reason)),
    );
    // A charge never owes more than it was charged plus what adjustments raised it by.
    for charge in store.charge_balance_facts().await? {
        let ceiling = charge.total.saturating_add(charge.raised_by);
        if charge.outstanding > ceiling {
            violations.push(format!(
                "charge {} owes {} but was charged {} and raised by {}",
                charge.id, charge.outstanding, charge.total, charge.raised_by
            ));
        }
    }
    // A payment's and a refund's parts sum to them; no refund takes back more than paid.
    violations.extend(
        store
            .payment_faults()
            .await?
            .into_iter()
            .map(|fault| format!("payment {}: {}", fault.id, fault.reason)),
    );
    // A charge's live tips are exactly what tips added to what it owes.
    violations.extend(store.tip_mismatches().await?.into_iter().map(|tip| {
        format!(
            "charge {} has tips of {} but {} of tips posted to its receivable",
            tip.charge_id, tip.tipped, tip.posted
        )
    }));
    // Money on claims: allocations add up, refunds stay within payments per target and
    // side, write-offs and their reverts pair up.
    violations.extend(
        store
            .claim_money_faults()
            .await?
            .into_iter()
            .map(|fault| format!("claim money {}: {}", fault.id, fault.reason)),
    );
    // List counts (`item_count`) come from stored per-status counts; they must be exact.
    violations.extend(
        store
            .charge_capture_count_mismatches()
            .await?
            .into_iter()
            .map(|m| match m.date_key {
                None => format!(
                    "tenant {} has {} charge captures with status {:?} but counts {}",
                    m.tenant_id, m.actual, m.status, m.counted
                ),
                Some(day) => format!(
                    "tenant {} has {} charge captures with status {:?} on {day:?} but counts {}",
                    m.tenant_id, m.actual, m.status, m.counted
                ),
            }),
    );
    violations.extend(
        store
            .charge_capture_facet_count_mismatches()
            .await?
            .into_iter()
            .map(|m| {
                format!(
                    "tenant {} has {} charge captures with {} {:?} but counts {}",
                    m.tenant_id, m.actual, m.facet, m.value, m.counted
                )
            }),
    );
    // A credit never holds more than it was granted.
    for credit in store.all_credits().await? {
        let remaining = credit.debit_balance.saturating_neg();
        if remaining > credit.credit.amount {
            violations.push(format!(
                "patient credit {} holds {} of {} granted",
                credit.credit.id, remaining, credit.credit.amount
            ));
        }
    }
    Ok(VerifyReport {
        accounts: accounts.len(),
        transfers: store.transfer_count().await?,
        violations,
    })
}
