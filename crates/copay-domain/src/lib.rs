//! copay's domain layer: the arithmetic and the rules, with no I/O and no async.
//!
//! Everything that decides whether money may move lives here so it can be tested
//! exhaustively without a database or a server.

pub mod allocation;
pub mod charge_capture;
pub mod claim_balance;
pub mod claim_creation;
pub mod claim_write_off;
pub mod credit;
pub mod encounter_patient;
pub mod facets;
pub mod ledger;
pub mod money;
pub mod payment_medium;
pub mod pricing;
pub mod refund;

pub use money::{Cents, MoneyError};
