use super::*;
use proptest::prelude::*;

fn account(kind: AccountKind) -> Account {
    Account {
        id: Uuid::now_v7(),
        kind,
        balance: Cents::ZERO,
    }
}

fn book(accounts: &[Account]) -> HashMap<AccountId, Account> {
    accounts.iter().map(|a| (a.id, *a)).collect()
}

#[test]
fn kinds_round_trip_through_their_stored_names() {
    for kind in AccountKind::ALL {
        assert_eq!(AccountKind::parse(kind.as_str()), Some(*kind));
    }
    for kind in TransferKind::ALL {
        assert_eq!(TransferKind::parse(kind.as_str()), Some(*kind));
    }
    assert_eq!(AccountKind::parse("nonsense"), None);
}

#[test]
fn a_charge_moves_revenue_into_receivable() {
    let receivable = account(AccountKind::ChargeReceivable);
    let revenue = account(AccountKind::Revenue);
    let mut accounts = book(&[receivable, revenue]);
    let charge = Transfer::new(
        TransferKind::ChargeCreated,
        revenue.id,
        receivable.id,
        Cents::new(8500),
    )
    .unwrap();
    apply(&mut accounts, &[charge]).unwrap();
    assert_eq!(accounts[&receivable.id].presented(), Ok(Cents::new(8500)));
    assert_eq!(accounts[&revenue.id].presented(), Ok(Cents::new(8500)));
}

#[test]
fn spending_more_credit_than_held_is_refused_and_changes_nothing() {
    let credit = account(AccountKind::PatientCredit);
    let clearing = account(AccountKind::Clearing);
    let revenue = account(AccountKind::Revenue);
    let mut accounts = book(&[credit, clearing, revenue]);
    let issue = Transfer::new(
        TransferKind::CreditIssued,
        credit.id,
        clearing.id,
        Cents::new(1000),
    )
    .unwrap();
    apply(&mut accounts, &[issue]).unwrap();
    let before = accounts.clone();
    let overspend = Transfer::new(
        TransferKind::CreditDrawn,
        revenue.id,
        credit.id,
        Cents::new(1001),
    )
    .unwrap();
    let err = apply(&mut accounts, &[overspend]).unwrap_err();
    assert!(matches!(
        err,
        LedgerError::BelowFloor {
            kind: AccountKind::PatientCredit,
            ..
        }
    ));
    assert_eq!(accounts, before);
}

#[test]
fn floors_are_checked_after_the_whole_operation() {
    let receivable = account(AccountKind::ChargeReceivable);
    let revenue = account(AccountKind::Revenue);
    let clearing = account(AccountKind::Clearing);
    let mut accounts = book(&[receivable, revenue, clearing]);
    // Paying before charging within one operation is fine when the end state is >= 0.
    let pay = Transfer::new(
        TransferKind::Payment,
        receivable.id,
        clearing.id,
        Cents::new(50),
    )
    .unwrap();
    let charge = Transfer::new(
        TransferKind::ChargeCreated,
        revenue.id,
        receivable.id,
        Cents::new(50),
    )
    .unwrap();
    apply(&mut accounts, &[pay, charge]).unwrap();
    assert_eq!(accounts[&receivable.id].balance, Cents::ZERO);
}

#[test]
fn malformed_transfers_are_rejected() {
    let a = Uuid::now_v7();
    assert_eq!(
        Transfer::new(TransferKind::Payment, a, Uuid::now_v7(), Cents::ZERO),
        Err(LedgerError::AmountNotPositive)
    );
    assert_eq!(
        Transfer::new(TransferKind::Payment, a, a, Cents::new(5)),
        Err(LedgerError::SameAccount(a))
    );
    let mut accounts = book(&[account(AccountKind::Clearing)]);
    let stray = Transfer {
        debit: Uuid::now_v7(),
        credit: Uuid::now_v7(),
        amount: Cents::new(1),
        kind: TransferKind::Payment,
    };
    assert!(matches!(
        apply(&mut accounts, &[stray]),
        Err(LedgerError::UnknownAccount(_))
    ));
}

#[test]
fn check_names_the_drifted_and_negative_accounts() {
    let mut receivable = account(AccountKind::ChargeReceivable);
    let mut credit = account(AccountKind::PatientCredit);
    let fine = account(AccountKind::Revenue);
    receivable.balance = Cents::new(10);
    // Debit-positive +5 on a credit-normal account presents as −5.
    credit.balance = Cents::new(5);
    // Revenue keeps no stored balance: its transfers' sum balances the log.
    let recomputed = HashMap::from([(credit.id, Cents::new(5)), (fine.id, Cents::new(-5))]);
    let violations = check_accounts(&[receivable, credit, fine], &recomputed);
    assert_eq!(
        violations,
        vec![
            Violation::BalanceMismatch {
                account: receivable.id,
                kind: AccountKind::ChargeReceivable,
                stored: Cents::new(10),
                recomputed: Cents::ZERO,
            },
            Violation::BelowFloor {
                account: credit.id,
                kind: AccountKind::PatientCredit,
                presented: Cents::new(-5),
            },
        ]
    );
    assert!(violations[0].to_string().contains("stored balance 10"));
}

#[test]
fn check_names_a_written_tenant_wide_balance_and_an_unbalanced_log() {
    let mut revenue = account(AccountKind::Revenue);
    let clearing = account(AccountKind::Clearing);
    revenue.balance = Cents::new(-7);
    // Its transfers sum to -7, but revenue keeps no stored balance: it must stay 0.
    let recomputed = HashMap::from([(revenue.id, Cents::new(-7)), (clearing.id, Cents::new(3))]);
    let violations = check_accounts(&[revenue, clearing], &recomputed);
    assert_eq!(
        violations,
        vec![
            Violation::UnkeptBalanceWritten {
                account: revenue.id,
                kind: AccountKind::Revenue,
                stored: Cents::new(-7),
            },
            Violation::Unbalanced { total: -4 },
        ]
    );
}

/// A random operation: a few transfers between accounts picked by index.
fn operation_strategy(accounts: usize) -> impl Strategy<Value = Vec<(usize, usize, i64)>> {
    prop::collection::vec((0..accounts, 0..accounts, 1i64..5_000), 1..4)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Random sequences of operations never break an invariant: accepted operations keep
    /// every floor, the book sums to zero, stored balances equal the transfer log, and
    /// refused operations change nothing.
    #[test]
    fn random_operations_never_break_an_invariant(
        kinds in prop::collection::vec(prop::sample::select(AccountKind::ALL.to_vec()), 2..8),
        operations in prop::collection::vec(operation_strategy(8), 1..60),
    ) {
        let accounts: Vec<Account> = kinds.iter().map(|kind| account(*kind)).collect();
        let mut book = book(&accounts);
        let mut log = Vec::new();
        for operation in operations {
            let transfers: Result<Vec<Transfer>, LedgerError> = operation
                .iter()
                .map(|(from, to, amount)| {
                    let from = accounts[from % accounts.len()].id;
                    let to = accounts[to % accounts.len()].id;
                    Transfer::new(TransferKind::Payment, from, to, Cents::new(*amount))
                })
                .collect();
            let Ok(transfers) = transfers else { continue };
            let before = book.clone();
            match apply(&mut book, &transfers) {
                Ok(()) => log.extend(transfers),
                Err(_) => prop_assert_eq!(&book, &before),
            }
            let total = Cents::checked_sum(book.values().map(|a| a.balance)).unwrap();
            prop_assert_eq!(total, Cents::ZERO);
            for account in book.values() {
                if account.kind.has_zero_floor() {
                    prop_assert!(!account.presented().unwrap().is_negative());
                }
            }
        }
        let recomputed = recompute(&log).unwrap();
        // What the store keeps: no stored balance for the tenant-wide accounts.
        let stored: Vec<Account> = book
            .values()
            .map(|account| Account {
                balance: if account.kind.keeps_balance() { account.balance } else { Cents::ZERO },
                ..*account
            })
            .collect();
        prop_assert_eq!(check_accounts(&stored, &recomputed), vec![]);
    }
}
