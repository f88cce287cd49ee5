//! Cross-cutting HTTP layers.

pub mod envelope;
pub mod idempotency;
pub mod metrics;
pub mod trace;
