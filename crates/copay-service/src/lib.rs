//! copay's service layer: one function per use case, each in one database transaction.
//!
//! Dialect modules call in with plain Rust values and get plain Rust values back; no
//! vendor wire shape crosses this boundary.

pub mod auth;
pub mod charge_captures;
pub mod charge_edits;
pub mod charge_table;
pub mod charges;
pub mod claim_creations;
pub mod credits;
pub mod encounters;
pub mod error;
pub mod event_subjects;
pub mod events;
pub mod idempotency;
pub mod items;
mod paging;
pub mod patients;
pub mod payers;
pub mod payment_table;
pub mod providers;
pub mod refunds;
pub mod secrets;
pub mod settlement;
pub mod tenants;
pub mod timeline;
pub mod tips;
pub mod verify;
pub mod voids;
pub mod webhook_delivery;
pub mod webhook_signing;
pub mod webhooks;
pub mod write_offs;

pub use auth::{AuthError, Authenticator, IssuedToken, TenantCtx};
pub use error::ServiceError;
