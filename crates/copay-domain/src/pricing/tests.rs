use proptest::prelude::*;

use super::*;

fn c(cents: i64) -> Cents {
    Cents::new(cents)
}

fn pct(value: f64) -> Percent {
    Percent::from_f64(value).unwrap()
}

#[test]
fn percentages_are_exact_to_six_places_and_bounded() {
    assert_eq!(pct(12.5).millionths(), 12_500_000);
    assert_eq!(pct(0.0000004).millionths(), 0);
    assert_eq!(pct(100.0).as_f64(), 100.0);
    for bad in [-0.01, 100.0001, f64::NAN, f64::INFINITY] {
        assert_eq!(
            Percent::from_f64(bad),
            Err(PricingError::PercentOutOfRange),
            "{bad}"
        );
    }
    assert_eq!(
        Percent::from_millionths(100_000_001),
        Err(PricingError::PercentOutOfRange)
    );
    // 12.5 % of 4 cents is 0.5 → 1 (half away from zero).
    assert_eq!(pct(12.5).of(c(4)), Ok(c(1)));
}

#[test]
fn items_with_discounts_and_a_percentage_discount_by_hand() {
    // Line 1: 3 × 1000 = 3000, − 200, − 10 % of 3000 (300) = 2500, + 150 tax = 2650.
    // Line 2: 1 × 999 = 999, − 33.3 % of 999 = 332.667 → 333 → 666.
    // Subtotal: 500 custom + 2650 + 666 = 3816.
    // Total: 3816 − 100 − 15 % of 3816 (572.4 → 572) = 3144.
    let terms = ChargeTerms {
        custom_amount: c(500),
        lines: vec![
            Line {
                unit_price: c(1000),
                quantity: 3,
                discount_amount: c(200),
                discount_percentage: pct(10.0),
                tax_amount: c(150),
            },
            Line {
                discount_percentage: pct(33.3),
                ..Line::plain(c(999), 1)
            },
        ],
        discount_amount: c(100),
        discount_percentage: pct(15.0),
    };
    let priced = price(&terms).unwrap();
    assert_eq!(priced.line_totals, vec![c(2650), c(666)]);
    assert_eq!(priced.total, c(3144));
    // Gross 500 + 3000 + 150 + 999 = 4649; discounts 200 + 300 + 333 + 100 + 572 = 1505.
    assert_eq!(priced.gross, c(4649));
    assert_eq!(priced.discounts, c(1505));
    assert_eq!(
        priced.gross.get() - priced.discounts.get(),
        priced.total.get()
    );
}

#[test]
fn a_charge_of_only_a_custom_amount() {
    let priced = price(&ChargeTerms {
        custom_amount: c(2500),
        ..ChargeTerms::default()
    })
    .unwrap();
    assert_eq!(priced.total, c(2500));
    assert!(priced.line_totals.is_empty());
}

#[test]
fn bad_terms_are_errors_not_negative_money() {
    let line = Line::plain(c(1000), 1);
    let cases = [
        (
            ChargeTerms {
                lines: vec![Line {
                    quantity: 0,
                    ..line
                }],
                ..Default::default()
            },
            PricingError::QuantityNotPositive,
        ),
        (
            ChargeTerms {
                lines: vec![Line {
                    quantity: -2,
                    ..line
                }],
                ..Default::default()
            },
            PricingError::QuantityNotPositive,
        ),
        (
            ChargeTerms {
                lines: vec![Line {
                    unit_price: c(-1),
                    ..line
                }],
                ..Default::default()
            },
            PricingError::NegativePrice,
        ),
        (
            ChargeTerms {
                lines: vec![Line {
                    discount_amount: c(1001),
                    ..line
                }],
                ..Default::default()
            },
            PricingError::NegativeLine,
        ),
        (
            ChargeTerms {
                lines: vec![Line {
                    tax_amount: c(-1),
                    ..line
                }],
                ..Default::default()
            },
            PricingError::NegativeTax,
        ),
        (
            ChargeTerms {
                lines: vec![line],
                discount_amount: c(1001),
                ..Default::default()
            },
            PricingError::NegativeTotal,
        ),
        (
            ChargeTerms {
                lines: vec![line],
                discount_amount: c(-5),
                ..Default::default()
            },
            PricingError::NegativeDiscount,
        ),
        (
            ChargeTerms {
                custom_amount: c(-1),
                ..Default::default()
            },
            PricingError::NegativeCustomAmount,
        ),
        (
            ChargeTerms {
                lines: vec![Line::plain(c(i64::MAX), 2)],
                ..Default::default()
            },
            PricingError::Overflow,
        ),
    ];
    for (terms, expected) in cases {
        assert_eq!(price(&terms), Err(expected), "{terms:?}");
    }
    // Exactly discounted to zero is fine.
    let free = ChargeTerms {
        lines: vec![line],
        discount_percentage: pct(100.0),
        ..Default::default()
    };
    assert_eq!(price(&free).unwrap().total, c(0));
}

#[test]
fn opening_follows_the_requested_status() {
    let open_ok = |total, outstanding, status| open(c(total), c(outstanding), status).unwrap();
    let o = open_ok(1000, 1000, None);
    assert_eq!(
        (o.outstanding, o.settled_externally, o.written_off, o.status),
        (c(1000), c(0), c(0), ChargeStatus::Outstanding)
    );
    // A gap was settled before copay saw the charge.
    let o = open_ok(1000, 400, Some(ChargeStatus::Outstanding));
    assert_eq!(
        (o.outstanding, o.settled_externally, o.status),
        (c(400), c(600), ChargeStatus::Outstanding)
    );
    let o = open_ok(1000, 0, None);
    assert_eq!(
        (o.outstanding, o.settled_externally, o.status),
        (c(0), c(1000), ChargeStatus::ExternalSettlement)
    );
    let o = open_ok(0, 0, None);
    assert_eq!(o.status, ChargeStatus::Paid);
    let o = open_ok(1000, 0, Some(ChargeStatus::Paid));
    assert_eq!(
        (o.outstanding, o.settled_externally, o.status),
        (c(0), c(1000), ChargeStatus::Paid)
    );
    let o = open_ok(1000, 400, Some(ChargeStatus::ExternalSettlement));
    assert_eq!(
        (o.outstanding, o.settled_externally, o.written_off),
        (c(0), c(1000), c(0))
    );
    let o = open_ok(1000, 400, Some(ChargeStatus::WriteOff));
    assert_eq!(
        (o.outstanding, o.settled_externally, o.written_off, o.status),
        (c(0), c(600), c(400), ChargeStatus::WriteOff)
    );

    assert_eq!(
        open(c(1000), c(1001), None),
        Err(OpeningError::OutstandingAboveTotal {
            outstanding: c(1001),
            total: c(1000)
        })
    );
    assert_eq!(
        open(c(1000), c(-1), None),
        Err(OpeningError::NegativeOutstanding)
    );
    assert_eq!(
        open(c(1000), c(1), Some(ChargeStatus::Paid)),
        Err(OpeningError::PaidWithOutstanding)
    );
    for status in [
        ChargeStatus::Void,
        ChargeStatus::Refunded,
        ChargeStatus::PaymentPlan,
    ] {
        assert_eq!(
            open(c(1000), c(1000), Some(status)),
            Err(OpeningError::StatusNotSettable(status.as_str()))
        );
    }
}

#[test]
fn statuses_round_trip_and_derive() {
    for status in ChargeStatus::ALL {
        assert_eq!(ChargeStatus::parse(status.as_str()), Some(status));
    }
    assert_eq!(
        derive_status(c(1), Closing::Payment),
        ChargeStatus::Outstanding
    );
    assert_eq!(derive_status(c(0), Closing::Payment), ChargeStatus::Paid);
    assert_eq!(
        derive_status(c(0), Closing::Adjustment),
        ChargeStatus::WriteOff
    );
    assert_eq!(
        derive_status(c(0), Closing::ExternalSettlement),
        ChargeStatus::ExternalSettlement
    );
}

proptest! {
    /// Whatever the terms, a priced charge is never negative, its lines add up, and gross
    /// minus discounts is the total.
    #[test]
    fn priced_charges_balance(
        custom in 0i64..1_000_000,
        lines in proptest::collection::vec((0i64..100_000, 1i64..50, 0i64..1000, 0i64..=100_000_000, 0i64..5000), 0..6),
        discount in 0i64..1000,
        percent in 0i64..=100_000_000,
    ) {
        let terms = ChargeTerms {
            custom_amount: c(custom),
            lines: lines.iter().map(|&(price, quantity, off, pct, tax)| Line {
                unit_price: c(price), quantity, discount_amount: c(off),
                discount_percentage: Percent::from_millionths(pct).unwrap(), tax_amount: c(tax),
            }).collect(),
            discount_amount: c(discount),
            discount_percentage: Percent::from_millionths(percent).unwrap(),
        };
        if let Ok(priced) = price(&terms) {
            prop_assert!(!priced.total.is_negative());
            prop_assert!(priced.line_totals.iter().all(|line| !line.is_negative()));
            prop_assert_eq!(priced.gross.get() - priced.discounts.get(), priced.total.get());
            let subtotal = custom + priced.line_totals.iter().map(|l| l.get()).sum::<i64>();
            prop_assert!(priced.total.get() <= subtotal);
        }
    }

    /// An opening never owes more than the total, and what it records adds up to it.
    #[test]
    fn openings_account_for_the_whole_total(total in 0i64..1_000_000, share in 0i64..=100, pick in 0usize..4) {
        let outstanding = total * share / 100;
        let requested = [None, Some(ChargeStatus::Paid), Some(ChargeStatus::ExternalSettlement), Some(ChargeStatus::WriteOff)][pick];
        if let Ok(o) = open(c(total), c(outstanding), requested) {
            prop_assert!(o.outstanding.get() >= 0 && o.outstanding.get() <= total);
            prop_assert_eq!(o.outstanding.get() + o.settled_externally.get() + o.written_off.get(), total);
        }
    }
}
