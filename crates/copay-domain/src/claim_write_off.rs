//! Write-offs on claims (Candid's write-offs v1): whose balance they reduce, what they
//! target, and the rule for reverting one.
//!
//! A write-off takes an amount off a balance for good; a revert is a second write-off of
//! the opposite amount that points back at the first (`reverts_write_off_id`), and the
//! first then points at it (`reverted_by_write_off_id`). Sums of write-off amounts are
//! therefore net of reverts without further bookkeeping.

use crate::money::{Cents, MoneyError};

/// Whose balance a write-off reduces (`account_types` in the list filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WriteOffSide {
    Patient,
    Insurance,
}

impl WriteOffSide {
    pub const ALL: [WriteOffSide; 2] = [WriteOffSide::Patient, WriteOffSide::Insurance];

    /// The stored name, also the contract's `AccountType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffSide::Patient => "PATIENT",
            WriteOffSide::Insurance => "INSURANCE",
        }
    }

    pub fn parse(text: &str) -> Option<WriteOffSide> {
        WriteOffSide::ALL
            .into_iter()
            .find(|side| side.as_str() == text)
    }
}

/// What a write-off reduces: a service line's balance, a claim's claim-level balance,
/// or the money held for a billing provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WriteOffTargetKind {
    ServiceLine,
    Claim,
    BillingProvider,
}

impl WriteOffTargetKind {
    pub const ALL: [WriteOffTargetKind; 3] = [
        WriteOffTargetKind::ServiceLine,
        WriteOffTargetKind::Claim,
        WriteOffTargetKind::BillingProvider,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WriteOffTargetKind::ServiceLine => "service_line",
            WriteOffTargetKind::Claim => "claim",
            WriteOffTargetKind::BillingProvider => "billing_provider",
        }
    }

    pub fn parse(text: &str) -> Option<WriteOffTargetKind> {
        WriteOffTargetKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RevertError {
    #[error("the write-off was already reverted")]
    AlreadyReverted,
    #[error("the write-off is itself a revert and cannot be reverted")]
    IsARevert,
}

/// Whether a write-off may be reverted: once only, and never a revert itself (reverting a
/// revert would write the amount off again; a new write-off says that more plainly).
pub fn check_revert(is_revert: bool, already_reverted: bool) -> Result<(), RevertError> {
    if is_revert {
        return Err(RevertError::IsARevert);
    }
    if already_reverted {
        return Err(RevertError::AlreadyReverted);
    }
    Ok(())
}

/// A new write-off's amount: strictly positive.
pub fn check_amount(cents: i64) -> Result<Cents, MoneyError> {
    Cents::positive(cents)
}

/// The amount a revert records: the original's, negated.
pub fn revert_amount(original: i64) -> Result<i64, MoneyError> {
    Cents::new(original).checked_neg().map(Cents::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_off_reverts_once_and_a_revert_never() {
        assert_eq!(check_revert(false, false), Ok(()));
        assert_eq!(check_revert(false, true), Err(RevertError::AlreadyReverted));
        assert_eq!(check_revert(true, false), Err(RevertError::IsARevert));
        assert_eq!(check_revert(true, true), Err(RevertError::IsARevert));
    }

    #[test]
    fn amounts_are_positive_and_reverts_negate_them() {
        assert_eq!(check_amount(1).map(Cents::get), Ok(1));
        assert_eq!(check_amount(0), Err(MoneyError::NotPositive));
        assert_eq!(check_amount(-5), Err(MoneyError::NotPositive));
        assert_eq!(revert_amount(1000), Ok(-1000));
        assert_eq!(revert_amount(i64::MIN), Err(MoneyError::Overflow));
    }

    #[test]
    fn names_round_trip() {
        for side in WriteOffSide::ALL {
            assert_eq!(WriteOffSide::parse(side.as_str()), Some(side));
        }
        for kind in WriteOffTargetKind::ALL {
            assert_eq!(WriteOffTargetKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(WriteOffSide::parse("THIRD_PARTY_PAYER"), None);
    }
}
