//! Allocations of money on claims (Candid's insurance and patient payments and refunds):
//! which ledger a movement belongs to, how its allocations must add up, how allocation
//! restrictions constrain them, and how much a refund may still take back from a target.
//!
//! The rules (DESIGN.md §5): allocations sum to the entry's amount, and an empty list means
//! the whole amount is unattributed; a refund never takes back more than was paid on its
//! target, net of earlier refunds.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use crate::money::{Cents, MoneyError};

/// Who a movement of money is with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Insurance,
    Patient,
}

/// The four money ledgers on claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    InsurancePayment,
    InsuranceRefund,
    PatientPayment,
    PatientRefund,
}

impl EntryKind {
    pub const ALL: [EntryKind; 4] = [
        EntryKind::InsurancePayment,
        EntryKind::InsuranceRefund,
        EntryKind::PatientPayment,
        EntryKind::PatientRefund,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::InsurancePayment => "insurance_payment",
            EntryKind::InsuranceRefund => "insurance_refund",
            EntryKind::PatientPayment => "patient_payment",
            EntryKind::PatientRefund => "patient_refund",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        EntryKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }

    pub fn side(self) -> Side {
        match self {
            EntryKind::InsurancePayment | EntryKind::InsuranceRefund => Side::Insurance,
            EntryKind::PatientPayment | EntryKind::PatientRefund => Side::Patient,
        }
    }

    pub fn is_refund(self) -> bool {
        matches!(self, EntryKind::InsuranceRefund | EntryKind::PatientRefund)
    }

    /// The payment ledger a refund of this side takes money back from.
    pub fn payment_of(side: Side) -> EntryKind {
        match side {
            Side::Insurance => EntryKind::InsurancePayment,
            Side::Patient => EntryKind::PatientPayment,
        }
    }

    pub fn refund_of(side: Side) -> EntryKind {
        match side {
            Side::Insurance => EntryKind::InsuranceRefund,
            Side::Patient => EntryKind::PatientRefund,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllocationError {
    #[error("amount_cents must be greater than zero")]
    AmountNotPositive,
    #[error("allocations[{0}].amount_cents must not be negative")]
    NegativeAllocation(usize),
    #[error("the allocations sum to {allocated} cents but amount_cents is {amount}")]
    SumMismatch { allocated: i64, amount: i64 },
    #[error("amounts are out of range")]
    Overflow,
    #[error("allocation_restrictions[{0}] repeats an earlier restriction")]
    DuplicateRestriction(usize),
}

impl From<MoneyError> for AllocationError {
    fn from(_: MoneyError) -> Self {
        AllocationError::Overflow
    }
}

/// Checks an entry's amount against its allocations' amounts. Returns `true` when the list
/// is empty, meaning the caller records the whole amount as one unattributed allocation.
pub fn check_amounts(amount: i64, allocations: &[i64]) -> Result<bool, AllocationError> {
    if amount <= 0 {
        return Err(AllocationError::AmountNotPositive);
    }
    if allocations.is_empty() {
        return Ok(true);
    }
    if let Some(index) = allocations.iter().position(|cents| *cents < 0) {
        return Err(AllocationError::NegativeAllocation(index));
    }
    let allocated = Cents::checked_sum(allocations.iter().copied().map(Cents::new))?;
    if allocated.get() != amount {
        return Err(AllocationError::SumMismatch {
            allocated: allocated.get(),
            amount,
        });
    }
    Ok(false)
}

/// What an allocation restriction may name (`AllocationRestrictionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RestrictionType {
    BillingProviderNpi,
    ServiceFacilityId,
}

impl RestrictionType {
    pub fn parse(text: &str) -> Option<RestrictionType> {
        match text {
            "billing_provider_npi" => Some(RestrictionType::BillingProviderNpi),
            "service_facility_id" => Some(RestrictionType::ServiceFacilityId),
            _ => None,
        }
    }
}

/// Allocation restrictions: restrictions of one type are OR-ed, of different types AND-ed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Restrictions {
    allowed: HashMap<RestrictionType, HashSet<String>>,
}

impl Restrictions {
    /// Builds the restrictions, refusing a pair given twice (the contract wants them unique).
    pub fn new(pairs: &[(RestrictionType, String)]) -> Result<Restrictions, AllocationError> {
        let mut allowed: HashMap<RestrictionType, HashSet<String>> = HashMap::new();
        for (index, (kind, value)) in pairs.iter().enumerate() {
            if !allowed.entry(*kind).or_default().insert(value.clone()) {
                return Err(AllocationError::DuplicateRestriction(index));
            }
        }
        Ok(Restrictions { allowed })
    }

    pub fn is_empty(&self) -> bool {
        self.allowed.is_empty()
    }

    /// Whether a claim-bound target with these facts may receive money. A fact the claim
    /// does not have cannot satisfy a restriction on it.
    pub fn permit(
        &self,
        billing_provider_npi: Option<&str>,
        service_facility_id: Option<&str>,
    ) -> bool {
        self.allowed.iter().all(|(kind, values)| {
            let fact = match kind {
                RestrictionType::BillingProviderNpi => billing_provider_npi,
                RestrictionType::ServiceFacilityId => service_facility_id,
            };
            fact.is_some_and(|fact| values.contains(fact))
        })
    }
}

/// One target of a refund that would take back more than is left on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdraft<T> {
    pub target: T,
    /// What was paid on the target, net of earlier refunds.
    pub paid: i64,
    /// What this refund asks of the target.
    pub requested: i64,
}

impl<T> Overdraft<T> {
    pub fn overage(&self) -> i64 {
        self.requested.saturating_sub(self.paid)
    }
}

/// Checks a refund's allocations against what is left to refund on each target. `requests`
/// may name a target several times: their sum counts. Returns every overdrawn target, in
/// the order first requested.
pub fn overdrafts<T: Clone + Eq + Hash>(
    requests: &[(T, i64)],
    paid_net: &HashMap<T, i64>,
) -> Result<Vec<Overdraft<T>>, AllocationError> {
    let mut order: Vec<T> = Vec::new();
    let mut wanted: HashMap<T, Cents> = HashMap::new();
    for (target, cents) in requests {
        let sum = wanted.entry(target.clone()).or_insert_with(|| {
            order.push(target.clone());
            Cents::ZERO
        });
        *sum = sum.checked_add(Cents::new(*cents))?;
    }
    Ok(order
        .into_iter()
        .filter_map(|target| {
            let requested = wanted.get(&target).copied().unwrap_or(Cents::ZERO).get();
            let paid = paid_net.get(&target).copied().unwrap_or(0);
            (requested > paid).then_some(Overdraft {
                target,
                paid,
                requested,
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_must_sum_to_the_amount() {
        assert_eq!(check_amounts(500, &[300, 200]), Ok(false));
        assert_eq!(check_amounts(500, &[500, 0]), Ok(false));
        assert_eq!(
            check_amounts(500, &[300, 100]),
            Err(AllocationError::SumMismatch {
                allocated: 400,
                amount: 500
            })
        );
        assert_eq!(
            check_amounts(500, &[600]),
            Err(AllocationError::SumMismatch {
                allocated: 600,
                amount: 500
            })
        );
    }

    #[test]
    fn an_empty_list_is_all_unattributed() {
        assert_eq!(check_amounts(1, &[]), Ok(true));
    }

    #[test]
    fn amounts_must_be_positive_and_parts_non_negative() {
        assert_eq!(
            check_amounts(0, &[]),
            Err(AllocationError::AmountNotPositive)
        );
        assert_eq!(
            check_amounts(-5, &[-5]),
            Err(AllocationError::AmountNotPositive)
        );
        assert_eq!(
            check_amounts(100, &[150, -50]),
            Err(AllocationError::NegativeAllocation(1))
        );
    }

    #[test]
    fn overflowing_parts_are_an_error_not_a_wrap() {
        assert_eq!(
            check_amounts(i64::MAX, &[i64::MAX, 1]),
            Err(AllocationError::Overflow)
        );
    }

    #[test]
    fn entry_kinds_round_trip_and_pair_by_side() {
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
            let side = kind.side();
            let pair = if kind.is_refund() {
                EntryKind::payment_of(side)
            } else {
                EntryKind::refund_of(side)
            };
            assert_eq!(pair.side(), side);
            assert_ne!(pair.is_refund(), kind.is_refund());
        }
        assert_eq!(EntryKind::parse("write_off"), None);
    }

    fn restrictions(pairs: &[(&str, &str)]) -> Restrictions {
        let pairs: Vec<(RestrictionType, String)> = pairs
            .iter()
            .map(|(kind, value)| (RestrictionType::parse(kind).unwrap(), value.to_string()))
            .collect();
        Restrictions::new(&pairs).unwrap()
    }

    #[test]
    fn restrictions_of_one_type_are_ored_and_of_two_types_anded() {
        let none = restrictions(&[]);
        assert!(none.permit(None, None));
        let npis = restrictions(&[("billing_provider_npi", "1"), ("billing_provider_npi", "2")]);
        assert!(npis.permit(Some("1"), None));
        assert!(npis.permit(Some("2"), Some("f")));
        assert!(!npis.permit(Some("3"), None));
        assert!(!npis.permit(None, None));
        let both = restrictions(&[("billing_provider_npi", "1"), ("service_facility_id", "f")]);
        assert!(both.permit(Some("1"), Some("f")));
        assert!(!both.permit(Some("1"), Some("g")));
        assert!(!both.permit(Some("2"), Some("f")));
    }

    #[test]
    fn a_repeated_restriction_is_refused() {
        let pairs = vec![
            (RestrictionType::BillingProviderNpi, "1".to_string()),
            (RestrictionType::ServiceFacilityId, "1".to_string()),
            (RestrictionType::BillingProviderNpi, "1".to_string()),
        ];
        assert_eq!(
            Restrictions::new(&pairs),
            Err(AllocationError::DuplicateRestriction(2))
        );
        assert_eq!(RestrictionType::parse("npi"), None);
    }

    #[test]
    fn a_refund_may_take_back_what_is_left_on_each_target() {
        let paid: HashMap<&str, i64> = [("line-a", 1000), ("line-b", 300)].into();
        assert_eq!(
            overdrafts(&[("line-a", 1000), ("line-b", 300)], &paid),
            Ok(vec![])
        );
        let over = overdrafts(&[("line-a", 600), ("line-b", 301), ("line-a", 500)], &paid).unwrap();
        assert_eq!(
            over,
            vec![
                Overdraft {
                    target: "line-a",
                    paid: 1000,
                    requested: 1100
                },
                Overdraft {
                    target: "line-b",
                    paid: 300,
                    requested: 301
                }
            ]
        );
        assert_eq!(over[0].overage(), 100);
    }

    #[test]
    fn nothing_paid_means_nothing_to_refund() {
        let paid: HashMap<&str, i64> = HashMap::new();
        let over = overdrafts(&[("line-a", 1)], &paid).unwrap();
        assert_eq!(over.len(), 1);
        assert_eq!(over[0].paid, 0);
        // A zero-cent part asks nothing of its target.
        assert_eq!(overdrafts(&[("line-a", 0)], &paid), Ok(vec![]));
    }
}
