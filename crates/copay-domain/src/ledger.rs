//! The double-entry ledger: accounts, transfers, and the rules every posting obeys.
//!
//! A balance is stored debit-positive (Σ debits − Σ credits). Each account kind has a
//! normal side, and the "presented" balance is the one a user reads (what a patient owes,
//! how much credit they hold). Every transfer moves a positive amount from one account
//! (credit side) to another (debit side), so every operation sums to zero by
//! construction; what can still go wrong, and what [`apply`] and [`check_accounts`]
//! guard, is a stored balance drifting from its transfers or an account going below
//! the floor its kind allows.

use std::collections::HashMap;
use std::fmt;

use uuid::Uuid;

use crate::money::{Cents, MoneyError};

pub type AccountId = Uuid;

/// Which side of the ledger increases an account in the way a user reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormalSide {
    Debit,
    Credit,
}

macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// What an account holds. Stored by its text name, so names are stable.
    AccountKind {
        ChargeReceivable => "charge_receivable",
        PatientCredit => "patient_credit",
        ServiceLineInsuranceBalance => "service_line_insurance_balance",
        ServiceLinePatientBalance => "service_line_patient_balance",
        Clearing => "clearing",
        Revenue => "revenue",
        Discounts => "discounts",
        WriteOffs => "write_offs",
        ExternalSettlements => "external_settlements",
        Adjustments => "adjustments",
        Refunds => "refunds",
        Tips => "tips",
        Voids => "voids",
        ClaimBalance => "claim_balance",
        Unapplied => "unapplied",
        InsuranceReceipts => "insurance_receipts",
        PatientReceipts => "patient_receipts",
    }
}

string_enum! {
    /// Why money moved. Stored with each transfer so the history explains each balance.
    TransferKind {
        ChargeCreated => "charge_created",
        Discount => "discount",
        Adjustment => "adjustment",
        Payment => "payment",
        Refund => "refund",
        WriteOff => "write_off",
        ExternalSettlement => "external_settlement",
        CreditIssued => "credit_issued",
        CreditDrawn => "credit_drawn",
        Reversal => "reversal",
        Tip => "tip",
        Void => "void",
    }
}

impl AccountKind {
    pub fn normal_side(self) -> NormalSide {
        match self {
            AccountKind::PatientCredit
            | AccountKind::Revenue
            | AccountKind::Tips
            | AccountKind::Unapplied => NormalSide::Credit,
            AccountKind::ChargeReceivable
            | AccountKind::ServiceLineInsuranceBalance
            | AccountKind::ServiceLinePatientBalance
            | AccountKind::Clearing
            | AccountKind::Discounts
            | AccountKind::WriteOffs
            | AccountKind::ExternalSettlements
            | AccountKind::Adjustments
            | AccountKind::Refunds
            | AccountKind::Voids
            | AccountKind::ClaimBalance
            | AccountKind::InsuranceReceipts
            | AccountKind::PatientReceipts => NormalSide::Debit,
        }
    }

    /// Whether the presented balance may never go below zero: a patient cannot owe a
    /// negative amount on a charge, and credit cannot be spent twice.
    pub fn has_zero_floor(self) -> bool {
        matches!(
            self,
            AccountKind::ChargeReceivable | AccountKind::PatientCredit
        )
    }

    /// Whether the account keeps a stored running balance, updated in the transaction that
    /// posts to it. The tenant-wide accounts (revenue, discounts, clearing, …) do not:
    /// nearly every operation of a tenant moves them, so one stored row would serialize
    /// all of them; their balance is what their transfers sum to, computed when asked.
    /// Their stored balance stays zero.
    pub fn keeps_balance(self) -> bool {
        match self {
            AccountKind::ChargeReceivable
            | AccountKind::PatientCredit
            | AccountKind::ServiceLineInsuranceBalance
            | AccountKind::ServiceLinePatientBalance
            | AccountKind::ClaimBalance
            | AccountKind::Unapplied => true,
            AccountKind::Clearing
            | AccountKind::Revenue
            | AccountKind::Discounts
            | AccountKind::WriteOffs
            | AccountKind::ExternalSettlements
            | AccountKind::Adjustments
            | AccountKind::Refunds
            | AccountKind::Tips
            | AccountKind::Voids
            | AccountKind::InsuranceReceipts
            | AccountKind::PatientReceipts => false,
        }
    }

    /// The balance as a user reads it, from the debit-positive stored balance.
    pub fn present(self, debit_balance: Cents) -> Result<Cents, MoneyError> {
        match self.normal_side() {
            NormalSide::Debit => Ok(debit_balance),
            NormalSide::Credit => debit_balance.checked_neg(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transfer {
    pub debit: AccountId,
    pub credit: AccountId,
    pub amount: Cents,
    pub kind: TransferKind,
}

impl Transfer {
    /// Money moving from `from` (credited) into `to` (debited).
    pub fn new(
        kind: TransferKind,
        from: AccountId,
        to: AccountId,
        amount: Cents,
    ) -> Result<Self, LedgerError> {
        if !amount.is_positive() {
            return Err(LedgerError::AmountNotPositive);
        }
        if from == to {
            return Err(LedgerError::SameAccount(from));
        }
        Ok(Transfer {
            debit: to,
            credit: from,
            amount,
            kind,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub kind: AccountKind,
    /// Debit-positive: Σ debits − Σ credits.
    pub balance: Cents,
}

impl Account {
    pub fn presented(&self) -> Result<Cents, MoneyError> {
        self.kind.present(self.balance)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a transfer amount must be greater than zero")]
    AmountNotPositive,
    #[error("a transfer cannot debit and credit the same account {0}")]
    SameAccount(AccountId),
    #[error("account {0} is not part of this operation")]
    UnknownAccount(AccountId),
    #[error("account {account} ({kind}) would go below zero: {presented}")]
    BelowFloor {
        account: AccountId,
        kind: AccountKind,
        presented: Cents,
    },
    #[error("amount out of range")]
    Overflow,
}

impl From<MoneyError> for LedgerError {
    fn from(_: MoneyError) -> Self {
        LedgerError::Overflow
    }
}

/// Applies one operation's transfers to the accounts it touches, all or nothing.
///
/// Floors are checked once the whole operation is applied, so an operation may route
/// money through an account as long as it ends within bounds. On error `accounts` is
/// left exactly as it was.
pub fn apply(
    accounts: &mut HashMap<AccountId, Account>,
    transfers: &[Transfer],
) -> Result<(), LedgerError> {
    let mut next: HashMap<AccountId, Cents> = HashMap::new();
    for transfer in transfers {
        if !transfer.amount.is_positive() {
            return Err(LedgerError::AmountNotPositive);
        }
        if transfer.debit == transfer.credit {
            return Err(LedgerError::SameAccount(transfer.debit));
        }
        for (id, delta) in [
            (transfer.debit, transfer.amount),
            (transfer.credit, transfer.amount.checked_neg()?),
        ] {
            let current = match next.get(&id) {
                Some(balance) => *balance,
                None => {
                    accounts
                        .get(&id)
                        .ok_or(LedgerError::UnknownAccount(id))?
                        .balance
                }
            };
            next.insert(id, current.checked_add(delta)?);
        }
    }
    for (id, balance) in &next {
        let kind = accounts
            .get(id)
            .ok_or(LedgerError::UnknownAccount(*id))?
            .kind;
        let presented = kind.present(*balance)?;
        if kind.has_zero_floor() && presented.is_negative() {
            return Err(LedgerError::BelowFloor {
                account: *id,
                kind,
                presented,
            });
        }
    }
    for (id, balance) in next {
        if let Some(account) = accounts.get_mut(&id) {
            account.balance = balance;
        }
    }
    Ok(())
}

/// One broken invariant found by [`check_accounts`], naming the row at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    BalanceMismatch {
        account: AccountId,
        kind: AccountKind,
        stored: Cents,
        recomputed: Cents,
    },
    BelowFloor {
        account: AccountId,
        kind: AccountKind,
        presented: Cents,
    },
    /// An account that keeps no stored balance (see [`AccountKind::keeps_balance`]) has
    /// one written anyway.
    UnkeptBalanceWritten {
        account: AccountId,
        kind: AccountKind,
        stored: Cents,
    },
    Overflow {
        account: AccountId,
    },
    /// The transfer log as a whole does not sum to zero.
    Unbalanced {
        total: i128,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::BalanceMismatch {
                account,
                kind,
                stored,
                recomputed,
            } => write!(
                f,
                "account {account} ({kind}): stored balance {stored} but its transfers sum to {recomputed}"
            ),
            Violation::BelowFloor {
                account,
                kind,
                presented,
            } => write!(f, "account {account} ({kind}) is below zero: {presented}"),
            Violation::UnkeptBalanceWritten {
                account,
                kind,
                stored,
            } => write!(
                f,
                "account {account} ({kind}): stored balance {stored} but its kind keeps none (it must stay 0)"
            ),
            Violation::Overflow { account } => {
                write!(f, "account {account}: balance out of range")
            }
            Violation::Unbalanced { total } => {
                write!(f, "the transfers sum to {total} cents, not 0")
            }
        }
    }
}

/// Compares each stored balance with the sum of its transfers (debit-positive), checks
/// that accounts keeping no balance have none stored, checks the floors, and checks that
/// all transfers together sum to zero. `recomputed` lacks accounts that have no
/// transfers; their sum is 0.
pub fn check_accounts(
    accounts: &[Account],
    recomputed: &HashMap<AccountId, Cents>,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    for account in accounts {
        let sum = recomputed.get(&account.id).copied().unwrap_or(Cents::ZERO);
        if !account.kind.keeps_balance() {
            if account.balance != Cents::ZERO {
                violations.push(Violation::UnkeptBalanceWritten {
                    account: account.id,
                    kind: account.kind,
                    stored: account.balance,
                });
            }
        } else if sum != account.balance {
            violations.push(Violation::BalanceMismatch {
                account: account.id,
                kind: account.kind,
                stored: account.balance,
                recomputed: sum,
            });
        }
        match account.kind.present(sum) {
            Ok(presented) if account.kind.has_zero_floor() && presented.is_negative() => violations
                .push(Violation::BelowFloor {
                    account: account.id,
                    kind: account.kind,
                    presented,
                }),
            Ok(_) => {}
            Err(_) => violations.push(Violation::Overflow {
                account: account.id,
            }),
        }
    }
    // Wide enough that no partial sum overflows.
    let total: i128 = recomputed.values().map(|sum| i128::from(sum.get())).sum();
    if total != 0 {
        violations.push(Violation::Unbalanced { total });
    }
    violations
}

/// Debit-positive sums per account over a transfer log (what `verify` does in SQL).
pub fn recompute(transfers: &[Transfer]) -> Result<HashMap<AccountId, Cents>, LedgerError> {
    let mut sums: HashMap<AccountId, Cents> = HashMap::new();
    for transfer in transfers {
        let debit = sums.entry(transfer.debit).or_default();
        *debit = debit.checked_add(transfer.amount)?;
        let credit = sums.entry(transfer.credit).or_default();
        *credit = credit.checked_sub(transfer.amount)?;
    }
    Ok(sums)
}

#[cfg(test)]
mod tests;
