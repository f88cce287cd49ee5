//! Patient credit: which credits are available and how an amount is drawn from them
//! (DESIGN §4): oldest first, or in the order the caller names, skipping expired and
//! used-up credits, never more than a credit holds.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::money::Cents;

/// One credit record as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Credit {
    pub id: Uuid,
    pub remaining: Cents,
    pub expires_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl Credit {
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.expires_at.is_some_and(|expiry| expiry <= now)
    }

    /// Spendable now: not expired and something left.
    pub fn is_available(&self, now: OffsetDateTime) -> bool {
        !self.is_expired(now) && self.remaining.is_positive()
    }
}

/// The available credits, oldest first (ties by id, which is creation order).
pub fn available(credits: &[Credit], now: OffsetDateTime) -> Vec<Credit> {
    let mut out: Vec<Credit> = credits
        .iter()
        .filter(|credit| credit.is_available(now))
        .copied()
        .collect();
    out.sort_by_key(|credit| (credit.created_at, credit.id));
    out
}

/// Σ remaining of the available credits: the patient's `creditBalance`.
pub fn balance(credits: &[Credit], now: OffsetDateTime) -> Result<Cents, crate::MoneyError> {
    Cents::checked_sum(
        available(credits, now)
            .iter()
            .map(|credit| credit.remaining),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawError {
    #[error("the amount must be greater than zero")]
    NotPositive,
    #[error("credit {0} is not one of this patient's credits")]
    UnknownCredit(Uuid),
    #[error("only {available} of credit is available, less than {requested}")]
    Insufficient { available: Cents, requested: Cents },
}

/// How `amount` is drawn: `(credit, amount)` pairs summing to it. With `order`, only
/// those credits in that order (expired and used-up ones skipped); otherwise every
/// available credit, oldest first.
pub fn draw(
    credits: &[Credit],
    amount: Cents,
    order: Option<&[Uuid]>,
    now: OffsetDateTime,
) -> Result<Vec<(Uuid, Cents)>, DrawError> {
    if !amount.is_positive() {
        return Err(DrawError::NotPositive);
    }
    let candidates: Vec<Credit> = match order {
        None => available(credits, now),
        Some(ids) => {
            let mut picked = Vec::with_capacity(ids.len());
            for id in ids {
                let credit = credits
                    .iter()
                    .find(|credit| credit.id == *id)
                    .ok_or(DrawError::UnknownCredit(*id))?;
                if credit.is_available(now) && !picked.iter().any(|c: &Credit| c.id == *id) {
                    picked.push(*credit);
                }
            }
            picked
        }
    };
    let mut left = amount;
    let mut plan = Vec::new();
    for credit in candidates {
        if !left.is_positive() {
            break;
        }
        let take = credit.remaining.min(left);
        plan.push((credit.id, take));
        left = Cents::new(left.get() - take.get());
    }
    if left.is_positive() {
        let available = Cents::new(amount.get() - left.get());
        return Err(DrawError::Insufficient {
            available,
            requested: amount,
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::datetime;

    use super::*;

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00 UTC);

    fn credit(n: u128, remaining: i64, age_days: i64, expires_in_days: Option<i64>) -> Credit {
        Credit {
            id: Uuid::from_u128(n),
            remaining: Cents::new(remaining),
            created_at: NOW - Duration::days(age_days),
            expires_at: expires_in_days.map(|days| NOW + Duration::days(days)),
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn oldest_first_skipping_expired_and_used_up() {
        let credits = [
            credit(1, 500, 1, None),
            credit(2, 300, 10, None),
            credit(3, 1000, 20, Some(-1)), // expired yesterday
            credit(4, 0, 30, None),        // used up
            credit(5, 200, 5, Some(30)),
        ];
        let ids: Vec<Uuid> = available(&credits, NOW).iter().map(|c| c.id).collect();
        assert_eq!(ids, [id(2), id(5), id(1)]);
        assert_eq!(balance(&credits, NOW), Ok(Cents::new(1000)));
        assert_eq!(
            draw(&credits, Cents::new(600), None, NOW),
            Ok(vec![
                (id(2), Cents::new(300)),
                (id(5), Cents::new(200)),
                (id(1), Cents::new(100))
            ])
        );
        assert_eq!(
            draw(&credits, Cents::new(1001), None, NOW),
            Err(DrawError::Insufficient {
                available: Cents::new(1000),
                requested: Cents::new(1001)
            })
        );
    }

    #[test]
    fn named_credits_are_drawn_in_the_given_order_only() {
        let credits = [
            credit(1, 500, 1, None),
            credit(2, 300, 10, None),
            credit(3, 900, 20, Some(-1)),
        ];
        assert_eq!(
            draw(&credits, Cents::new(600), Some(&[id(1), id(2)]), NOW),
            Ok(vec![(id(1), Cents::new(500)), (id(2), Cents::new(100))])
        );
        // The expired one is skipped, so the named ones are not enough.
        assert_eq!(
            draw(&credits, Cents::new(600), Some(&[id(3), id(1)]), NOW),
            Err(DrawError::Insufficient {
                available: Cents::new(500),
                requested: Cents::new(600)
            })
        );
        assert_eq!(
            draw(&credits, Cents::new(1), Some(&[id(9)]), NOW),
            Err(DrawError::UnknownCredit(id(9)))
        );
        // A repeated id is drawn once.
        assert_eq!(
            draw(&credits, Cents::new(600), Some(&[id(1), id(1)]), NOW),
            Err(DrawError::Insufficient {
                available: Cents::new(500),
                requested: Cents::new(600)
            })
        );
        assert_eq!(
            draw(&credits, Cents::ZERO, None, NOW),
            Err(DrawError::NotPositive)
        );
    }

    #[test]
    fn a_credit_expiring_now_is_expired() {
        let mut c = credit(1, 100, 1, None);
        c.expires_at = Some(NOW);
        assert!(c.is_expired(NOW));
        assert!(!c.is_expired(NOW - Duration::seconds(1)));
    }

    proptest! {
        /// A plan takes exactly the amount, never more than a credit holds, only from
        /// available credits, each at most once.
        #[test]
        fn plans_are_exact_and_within_each_credit(
            remaining in proptest::collection::vec((0i64..5000, -5i64..5), 0..8),
            amount in 1i64..20_000,
        ) {
            let credits: Vec<Credit> = remaining.iter().enumerate().map(|(i, &(left, expiry))| {
                credit(i as u128 + 1, left, 100 - i as i64, Some(expiry).filter(|d| *d != 0))
            }).collect();
            match draw(&credits, Cents::new(amount), None, NOW) {
                Ok(plan) => {
                    prop_assert_eq!(plan.iter().map(|(_, c)| c.get()).sum::<i64>(), amount);
                    for (credit_id, take) in &plan {
                        let credit = credits.iter().find(|c| c.id == *credit_id).unwrap();
                        prop_assert!(credit.is_available(NOW));
                        prop_assert!(take.is_positive() && *take <= credit.remaining);
                    }
                    let mut ids: Vec<_> = plan.iter().map(|(id, _)| *id).collect();
                    ids.dedup();
                    prop_assert_eq!(ids.len(), plan.len());
                }
                Err(DrawError::Insufficient { available, .. }) => {
                    prop_assert_eq!(Ok(available), balance(&credits, NOW));
                    prop_assert!(available.get() < amount);
                }
                Err(other) => prop_assert!(false, "{other}"),
            }
        }
    }
}
