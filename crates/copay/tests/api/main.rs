//! Integration tests: the real server on 127.0.0.1:0 against a fresh SQLite file and a
//! fresh PostgreSQL database per test. Every scenario runs on both backends: see
//! [`both_backends!`]. `TEST_LOG=1` shows the server's logs.

mod harness;

mod charge_capture_list;
mod charge_capture_search;
mod charge_captures;
mod charges;
mod charges_v2;
mod claim_ar;
mod claim_creations;
mod claim_money;
mod claim_write_offs;
mod cli;
mod credits;
mod encounters;
mod foundation;
mod idempotency;
mod insurance_money;
mod ledger;
mod patients;
mod payers;
mod payment_table;
mod payments;
mod providers;
mod settlement;
mod tips_adjustments;
mod webhooks;
