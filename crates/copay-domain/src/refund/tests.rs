use super::*;

fn share(n: u128, paid: i64, refunded: i64) -> PaidShare {
    PaidShare {
        charge_id: Uuid::from_u128(n),
        paid: Cents::new(paid),
        refunded: Cents::new(refunded),
    }
}

#[test]
fn a_refund_takes_back_charge_by_charge_in_payment_order() {
    let shares = [share(1, 3000, 0), share(2, 2000, 0)];
    assert_eq!(
        allocate(&shares, Cents::new(3500)),
        Ok(vec![
            (Uuid::from_u128(1), Cents::new(3000)),
            (Uuid::from_u128(2), Cents::new(500))
        ])
    );
}

#[test]
fn earlier_refunds_are_skipped_over() {
    let shares = [share(1, 3000, 3000), share(2, 2000, 500)];
    assert_eq!(
        allocate(&shares, Cents::new(1500)),
        Ok(vec![(Uuid::from_u128(2), Cents::new(1500))])
    );
}

#[test]
fn more_than_is_left_is_refused() {
    let shares = [share(1, 3000, 1000), share(2, 2000, 0)];
    assert_eq!(
        allocate(&shares, Cents::new(4001)),
        Err(RefundError::ExceedsWhatIsLeft {
            left: Cents::new(4000),
            requested: Cents::new(4001)
        })
    );
    assert_eq!(
        allocate(&shares, Cents::new(4000)).map(|taken| taken.len()),
        Ok(2)
    );
}

#[test]
fn zero_and_negative_refunds_are_refused() {
    let shares = [share(1, 3000, 0)];
    assert_eq!(
        allocate(&shares, Cents::ZERO),
        Err(RefundError::NotPositive)
    );
    assert_eq!(
        allocate(&shares, Cents::new(-5)),
        Err(RefundError::NotPositive)
    );
}

#[test]
fn refunded_only_when_nothing_is_owed_and_every_payment_came_back() {
    let paid = ChargeStatus::Paid;
    assert_eq!(
        status_after_refund(paid, Cents::ZERO, Cents::new(5000), Cents::new(5000)),
        ChargeStatus::Refunded
    );
    assert_eq!(
        status_after_refund(paid, Cents::ZERO, Cents::new(5000), Cents::new(4999)),
        ChargeStatus::Paid
    );
    // Still owed: a partly paid charge whose payment came back stays outstanding.
    assert_eq!(
        status_after_refund(
            ChargeStatus::Outstanding,
            Cents::new(100),
            Cents::new(5000),
            Cents::new(5000)
        ),
        ChargeStatus::Outstanding
    );
    // Nothing was ever paid: nothing to have refunded.
    assert_eq!(
        status_after_refund(
            ChargeStatus::WriteOff,
            Cents::ZERO,
            Cents::ZERO,
            Cents::ZERO
        ),
        ChargeStatus::WriteOff
    );
}
