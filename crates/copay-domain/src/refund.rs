//! Refunds of patient payments (DESIGN §4). A refund returns money without reopening the
//! debt: it takes back part of a payment, charge by charge in the order the payment paid
//! them, never more than what is left of each share.

use std::fmt;

use uuid::Uuid;

use crate::money::Cents;
use crate::pricing::ChargeStatus;

/// One charge's share of a payment and how much of it earlier refunds took back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaidShare {
    pub charge_id: Uuid,
    pub paid: Cents,
    pub refunded: Cents,
}

impl PaidShare {
    pub fn left(&self) -> Cents {
        Cents::new((self.paid.get() - self.refunded.get()).max(0))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundError {
    NotPositive,
    ExceedsWhatIsLeft { left: Cents, requested: Cents },
}

impl fmt::Display for RefundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefundError::NotPositive => f.write_str("amount must be greater than zero"),
            RefundError::ExceedsWhatIsLeft { left, requested } => write!(
                f,
                "a refund of {requested} is more than the {left} left of the payment"
            ),
        }
    }
}

/// How much of `amount` each charge gives back, in share order.
pub fn allocate(shares: &[PaidShare], amount: Cents) -> Result<Vec<(Uuid, Cents)>, RefundError> {
    if !amount.is_positive() {
        return Err(RefundError::NotPositive);
    }
    // Shares are bounded by a payment's amount, so their sum cannot overflow in practice;
    // saturate rather than trust that.
    let left = shares
        .iter()
        .fold(0i64, |sum, share| sum.saturating_add(share.left().get()));
    if amount.get() > left {
        return Err(RefundError::ExceedsWhatIsLeft {
            left: Cents::new(left),
            requested: amount,
        });
    }
    let mut remaining = amount.get();
    let mut taken = Vec::new();
    for share in shares {
        if remaining == 0 {
            break;
        }
        let take = share.left().get().min(remaining);
        if take > 0 {
            taken.push((share.charge_id, Cents::new(take)));
            remaining -= take;
        }
    }
    Ok(taken)
}

/// A charge's status after a refund: `REFUNDED` once nothing is owed and every payment on
/// it has been given back in full; otherwise it keeps the status it had.
pub fn status_after_refund(
    current: ChargeStatus,
    outstanding: Cents,
    paid: Cents,
    refunded: Cents,
) -> ChargeStatus {
    if !outstanding.is_positive() && paid.is_positive() && refunded >= paid {
        ChargeStatus::Refunded
    } else {
        current
    }
}

#[cfg(test)]
mod tests;
