//! Money as integer cents with checked arithmetic: overflow is an error, never a wrap.

use std::fmt;

/// An amount of US money in cents. Signed, because balances and adjustments can be
/// negative; operations that need a positive amount ask for one explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is out of range")]
    Overflow,
    #[error("amount must be greater than zero")]
    NotPositive,
    #[error("amount must not be negative")]
    Negative,
}

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }

    /// An amount that must be strictly positive (a payment, a transfer).
    pub fn positive(cents: i64) -> Result<Self, MoneyError> {
        if cents > 0 {
            Ok(Cents(cents))
        } else {
            Err(MoneyError::NotPositive)
        }
    }

    /// An amount that may be zero but not negative (a price, an outstanding balance).
    pub fn non_negative(cents: i64) -> Result<Self, MoneyError> {
        if cents >= 0 {
            Ok(Cents(cents))
        } else {
            Err(MoneyError::Negative)
        }
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Cents) -> Result<Cents, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Cents)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Cents) -> Result<Cents, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Cents)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_neg(self) -> Result<Cents, MoneyError> {
        self.0.checked_neg().map(Cents).ok_or(MoneyError::Overflow)
    }

    pub fn checked_mul(self, factor: i64) -> Result<Cents, MoneyError> {
        self.0
            .checked_mul(factor)
            .map(Cents)
            .ok_or(MoneyError::Overflow)
    }

    /// Sum of many amounts, failing on overflow instead of wrapping.
    pub fn checked_sum<I: IntoIterator<Item = Cents>>(amounts: I) -> Result<Cents, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Cents::ZERO, |acc, amount| acc.checked_add(amount))
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `amount × numerator ÷ denominator`, rounded half away from zero, once.
/// Used for percentage discounts, where `numerator` carries the percentage's own scale.
/// Computed in 128-bit so the intermediate product cannot overflow.
pub fn mul_div_round(amount: Cents, numerator: i64, denominator: i64) -> Result<Cents, MoneyError> {
    if denominator == 0 {
        return Err(MoneyError::Overflow);
    }
    let product = i128::from(amount.0) * i128::from(numerator);
    let denominator = i128::from(denominator);
    let quotient = product / denominator;
    let remainder = product % denominator;
    // Half away from zero: compare twice the remainder's magnitude with the divisor's.
    let rounded = if 2 * remainder.abs() >= denominator.abs() {
        if (product < 0) != (denominator < 0) {
            quotient - 1
        } else {
            quotient + 1
        }
    } else {
        quotient
    };
    i64::try_from(rounded)
        .map(Cents)
        .map_err(|_| MoneyError::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn constructors_enforce_sign() {
        assert_eq!(Cents::positive(1), Ok(Cents(1)));
        assert_eq!(Cents::positive(0), Err(MoneyError::NotPositive));
        assert_eq!(Cents::positive(-5), Err(MoneyError::NotPositive));
        assert_eq!(Cents::non_negative(0), Ok(Cents(0)));
        assert_eq!(Cents::non_negative(-1), Err(MoneyError::Negative));
    }

    #[test]
    fn arithmetic_overflow_is_an_error() {
        assert_eq!(
            Cents(i64::MAX).checked_add(Cents(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Cents(i64::MIN).checked_sub(Cents(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Cents(i64::MIN).checked_neg(), Err(MoneyError::Overflow));
        assert_eq!(Cents(i64::MAX).checked_mul(2), Err(MoneyError::Overflow));
        assert_eq!(
            Cents::checked_sum([Cents(i64::MAX), Cents(1)]),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Cents::checked_sum([Cents(2), Cents(3)]), Ok(Cents(5)));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        // 15% of 1010 = 151.5 → 152; of -1010 → -152.
        assert_eq!(mul_div_round(Cents(1010), 15, 100), Ok(Cents(152)));
        assert_eq!(mul_div_round(Cents(-1010), 15, 100), Ok(Cents(-152)));
        // 151.4 → 151
        assert_eq!(mul_div_round(Cents(1009), 15, 100), Ok(Cents(151)));
        // 12.5% expressed with a 1000 scale: 125/1000 of 4 = 0.5 → 1
        assert_eq!(mul_div_round(Cents(4), 125, 1000), Ok(Cents(1)));
        assert_eq!(mul_div_round(Cents(3), 1, 0), Err(MoneyError::Overflow));
        assert_eq!(
            mul_div_round(Cents(i64::MAX), 2, 1),
            Err(MoneyError::Overflow)
        );
    }

    proptest! {
        #[test]
        fn rounding_error_is_at_most_half_a_cent(amount in -1_000_000_000i64..1_000_000_000, pct in 0i64..=100) {
            let rounded = mul_div_round(Cents(amount), pct, 100).unwrap().get();
            let exact = amount as f64 * pct as f64 / 100.0;
            prop_assert!((rounded as f64 - exact).abs() <= 0.5 + 1e-9);
        }

        #[test]
        fn add_then_sub_round_trips(a in any::<i32>(), b in any::<i32>()) {
            let (a, b) = (Cents(i64::from(a)), Cents(i64::from(b)));
            prop_assert_eq!(a.checked_add(b).unwrap().checked_sub(b).unwrap(), a);
        }
    }
}
