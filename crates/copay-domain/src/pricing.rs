//! What a patient charge costs and how it stands when it is created (DESIGN §4):
//!
//! ```text
//! line      = price × quantity − line discountAmount − round(price × quantity × line % / 100) + taxAmount
//! subtotal  = customAmount + Σ line
//! total     = subtotal − discountAmount − round(subtotal × discount % / 100)        (error if < 0)
//! ```
//!
//! and, with the caller's `totalOutstanding` (0 ≤ it ≤ total), the charge's first status
//! and the amounts settled or written off before it reached copay.

use std::fmt;

use crate::money::{Cents, MoneyError, mul_div_round};

/// A percentage from 0 to 100, kept exactly to six decimal places (as millionths of a
/// percent) so that arithmetic on it is integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Percent(i64);

const MILLIONTHS: i64 = 1_000_000;

impl Percent {
    pub const ZERO: Percent = Percent(0);

    /// From a JSON number. Outside 0–100, or not finite, is an error; more than six
    /// decimal places are rounded to six.
    pub fn from_f64(value: f64) -> Result<Percent, PricingError> {
        if !value.is_finite() || !(0.0..=100.0).contains(&value) {
            return Err(PricingError::PercentOutOfRange);
        }
        // In range, so the product is at most 1e8 and the cast cannot truncate.
        Ok(Percent((value * MILLIONTHS as f64).round() as i64))
    }

    pub fn from_millionths(millionths: i64) -> Result<Percent, PricingError> {
        if (0..=100 * MILLIONTHS).contains(&millionths) {
            Ok(Percent(millionths))
        } else {
            Err(PricingError::PercentOutOfRange)
        }
    }

    pub fn millionths(self) -> i64 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / MILLIONTHS as f64
    }

    /// This percentage of `amount`, rounded half away from zero, once.
    pub fn of(self, amount: Cents) -> Result<Cents, MoneyError> {
        mul_div_round(amount, self.0, 100 * MILLIONTHS)
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.as_f64())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    #[error("a percentage must be between 0 and 100")]
    PercentOutOfRange,
    #[error("quantity must be greater than zero")]
    QuantityNotPositive,
    #[error("a price must not be negative")]
    NegativePrice,
    #[error("a discount amount must not be negative")]
    NegativeDiscount,
    #[error("a tax amount must not be negative")]
    NegativeTax,
    #[error("the custom amount must not be negative")]
    NegativeCustomAmount,
    #[error("the discounts exceed what they discount; the total would be negative")]
    NegativeTotal,
    #[error("a line's discounts exceed its price; the line would be negative")]
    NegativeLine,
    #[error("amount is out of range")]
    Overflow,
}

impl From<MoneyError> for PricingError {
    fn from(_: MoneyError) -> Self {
        PricingError::Overflow
    }
}

/// One priced line of a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub unit_price: Cents,
    pub quantity: i64,
    pub discount_amount: Cents,
    pub discount_percentage: Percent,
    pub tax_amount: Cents,
}

impl Line {
    /// A line of `quantity` at `unit_price`, with no discount or tax.
    pub fn plain(unit_price: Cents, quantity: i64) -> Line {
        Line {
            unit_price,
            quantity,
            discount_amount: Cents::ZERO,
            discount_percentage: Percent::ZERO,
            tax_amount: Cents::ZERO,
        }
    }
}

/// Everything that decides a charge's total.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChargeTerms {
    pub custom_amount: Cents,
    pub lines: Vec<Line>,
    pub discount_amount: Cents,
    pub discount_percentage: Percent,
}

/// The arithmetic of one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priced {
    /// Each line after its discounts, with its tax.
    pub line_totals: Vec<Cents>,
    /// Before any discount: custom amount + Σ price × quantity + Σ tax.
    pub gross: Cents,
    /// Every discount, line and charge level.
    pub discounts: Cents,
    /// `gross − discounts`.
    pub total: Cents,
}

fn line_total(line: &Line) -> Result<(Cents, Cents, Cents), PricingError> {
    if line.quantity <= 0 {
        return Err(PricingError::QuantityNotPositive);
    }
    if line.unit_price.is_negative() {
        return Err(PricingError::NegativePrice);
    }
    if line.discount_amount.is_negative() {
        return Err(PricingError::NegativeDiscount);
    }
    if line.tax_amount.is_negative() {
        return Err(PricingError::NegativeTax);
    }
    let extended = line.unit_price.checked_mul(line.quantity)?;
    let discount = line
        .discount_amount
        .checked_add(line.discount_percentage.of(extended)?)?;
    if discount > extended {
        return Err(PricingError::NegativeLine);
    }
    let total = extended
        .checked_sub(discount)?
        .checked_add(line.tax_amount)?;
    Ok((total, extended.checked_add(line.tax_amount)?, discount))
}

pub fn price(terms: &ChargeTerms) -> Result<Priced, PricingError> {
    if terms.custom_amount.is_negative() {
        return Err(PricingError::NegativeCustomAmount);
    }
    if terms.discount_amount.is_negative() {
        return Err(PricingError::NegativeDiscount);
    }
    let mut line_totals = Vec::with_capacity(terms.lines.len());
    let mut gross = terms.custom_amount;
    let mut discounts = Cents::ZERO;
    for line in &terms.lines {
        let (total, line_gross, line_discount) = line_total(line)?;
        line_totals.push(total);
        gross = gross.checked_add(line_gross)?;
        discounts = discounts.checked_add(line_discount)?;
    }
    let subtotal =
        Cents::checked_sum(line_totals.iter().copied())?.checked_add(terms.custom_amount)?;
    let charge_discount = terms
        .discount_amount
        .checked_add(terms.discount_percentage.of(subtotal)?)?;
    if charge_discount > subtotal {
        return Err(PricingError::NegativeTotal);
    }
    let total = subtotal.checked_sub(charge_discount)?;
    Ok(Priced {
        line_totals,
        gross,
        discounts: discounts.checked_add(charge_discount)?,
        total,
    })
}

/// The statuses a charge can have (Decoda's `ChargeStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargeStatus {
    Outstanding,
    Paid,
    ExternalSettlement,
    Void,
    WriteOff,
    Refunded,
    PaymentPlan,
}

impl ChargeStatus {
    pub const ALL: [ChargeStatus; 7] = [
        ChargeStatus::Outstanding,
        ChargeStatus::Paid,
        ChargeStatus::ExternalSettlement,
        ChargeStatus::Void,
        ChargeStatus::WriteOff,
        ChargeStatus::Refunded,
        ChargeStatus::PaymentPlan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Outstanding => "OUTSTANDING",
            ChargeStatus::Paid => "PAID",
            ChargeStatus::ExternalSettlement => "EXTERNAL_SETTLEMENT",
            ChargeStatus::Void => "VOID",
            ChargeStatus::WriteOff => "WRITE_OFF",
            ChargeStatus::Refunded => "REFUNDED",
            ChargeStatus::PaymentPlan => "PAYMENT_PLAN",
        }
    }

    pub fn parse(text: &str) -> Option<ChargeStatus> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpeningError {
    #[error("totalOutstanding must not be negative")]
    NegativeOutstanding,
    #[error("totalOutstanding ({outstanding}) must not exceed the charge's total ({total})")]
    OutstandingAboveTotal { outstanding: Cents, total: Cents },
    #[error("a charge can be created PAID only with totalOutstanding 0")]
    PaidWithOutstanding,
    #[error("a charge cannot be created {0}: that status follows from what happens to it")]
    StatusNotSettable(&'static str),
}

/// How a new charge stands: what is owed, what was settled before it reached copay, what
/// is written off, and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub outstanding: Cents,
    /// Settled outside copay: recorded as an `EXTERNAL_SETTLEMENT` adjustment.
    pub settled_externally: Cents,
    /// Written off at creation: a `WRITE_OFF` adjustment.
    pub written_off: Cents,
    pub status: ChargeStatus,
}

/// The opening of a charge of `total` the caller says has `outstanding` left, asking for
/// `requested` status (default `OUTSTANDING`).
pub fn open(
    total: Cents,
    outstanding: Cents,
    requested: Option<ChargeStatus>,
) -> Result<Opening, OpeningError> {
    if outstanding.is_negative() {
        return Err(OpeningError::NegativeOutstanding);
    }
    if outstanding > total {
        return Err(OpeningError::OutstandingAboveTotal { outstanding, total });
    }
    // In range: total ≥ outstanding ≥ 0, so the difference cannot overflow.
    let gap = Cents::new(total.get() - outstanding.get());
    let closed_status = || {
        if gap.is_positive() {
            ChargeStatus::ExternalSettlement
        } else {
            ChargeStatus::Paid
        }
    };
    let opening = |outstanding, settled_externally, written_off, status| Opening {
        outstanding,
        settled_externally,
        written_off,
        status,
    };
    match requested.unwrap_or(ChargeStatus::Outstanding) {
        ChargeStatus::Outstanding if outstanding.is_positive() => Ok(opening(
            outstanding,
            gap,
            Cents::ZERO,
            ChargeStatus::Outstanding,
        )),
        // Nothing is owed: the status says what closed it.
        ChargeStatus::Outstanding => Ok(opening(Cents::ZERO, gap, Cents::ZERO, closed_status())),
        ChargeStatus::Paid if outstanding.is_positive() => Err(OpeningError::PaidWithOutstanding),
        ChargeStatus::Paid => Ok(opening(Cents::ZERO, gap, Cents::ZERO, ChargeStatus::Paid)),
        ChargeStatus::ExternalSettlement => Ok(opening(
            Cents::ZERO,
            total,
            Cents::ZERO,
            ChargeStatus::ExternalSettlement,
        )),
        ChargeStatus::WriteOff => Ok(opening(
            Cents::ZERO,
            gap,
            outstanding,
            ChargeStatus::WriteOff,
        )),
        other @ (ChargeStatus::Void | ChargeStatus::Refunded | ChargeStatus::PaymentPlan) => {
            Err(OpeningError::StatusNotSettable(other.as_str()))
        }
    }
}

/// What closed a charge's balance last, for its derived status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Payment,
    Adjustment,
    WriteOff,
    ExternalSettlement,
}

/// A charge's status after an operation: owed → `OUTSTANDING`; otherwise what closed it.
/// An adjustment that takes the balance to zero adjusted it away, which reads as a
/// write-off (nothing was paid).
pub fn derive_status(outstanding: Cents, closed_by: Closing) -> ChargeStatus {
    if outstanding.is_positive() {
        return ChargeStatus::Outstanding;
    }
    match closed_by {
        Closing::Payment => ChargeStatus::Paid,
        Closing::Adjustment | Closing::WriteOff => ChargeStatus::WriteOff,
        Closing::ExternalSettlement => ChargeStatus::ExternalSettlement,
    }
}

#[cfg(test)]
mod tests;
