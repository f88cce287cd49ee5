//! The Candid Health dialect: `/api/...`, snake_case JSON, OAuth bearer tokens, errors as
//! `{"errorName", "content"}` exactly as the `candidhealth` SDK dispatches them.

pub mod allocations;
pub mod auth;
pub mod charge_captures;
pub mod claim_creations;
pub mod encounters;
pub mod error;
pub mod extract;
pub mod insurance_money;
pub mod patient_ar;
pub mod patient_money;
pub mod payers;
pub mod types;
pub mod write_offs;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Routes reachable without a token.
pub fn public_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(auth::get_token))
}

/// Routes that need `Authorization: Bearer`; the caller adds the auth layer.
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(charge_captures::create, charge_captures::get_all))
        .routes(routes!(charge_captures::update_post_billed_changes))
        .routes(routes!(charge_captures::find_by_metadata))
        .routes(routes!(charge_captures::create_from_pre_encounter))
        .routes(routes!(charge_captures::get, charge_captures::update))
        .routes(routes!(claim_creations::get_all))
        .routes(routes!(claim_creations::get_summary))
        .routes(routes!(claim_creations::get))
        .routes(routes!(claim_creations::resolve_charge_creation_error))
        .routes(routes!(encounters::get_all))
        .routes(routes!(encounters::get))
        .routes(routes!(
            patient_money::get_payments,
            patient_money::create_payment
        ))
        .routes(routes!(
            patient_money::get_payment,
            patient_money::update_payment,
            patient_money::delete_payment
        ))
        .routes(routes!(
            patient_money::get_refunds,
            patient_money::create_refund
        ))
        .routes(routes!(
            patient_money::get_refund,
            patient_money::update_refund,
            patient_money::delete_refund
        ))
        .routes(routes!(
            insurance_money::get_refunds,
            insurance_money::create_refund
        ))
        .routes(routes!(
            insurance_money::get_refund,
            insurance_money::update_refund,
            insurance_money::delete_refund
        ))
        .routes(routes!(
            insurance_money::get_payments,
            insurance_money::create_payment
        ))
        .routes(routes!(
            insurance_money::get_payment,
            insurance_money::update_payment,
            insurance_money::delete_payment
        ))
        .routes(routes!(payers::get_all))
        .routes(routes!(payers::get))
        .routes(routes!(write_offs::get_multi, write_offs::create))
        .routes(routes!(write_offs::get))
        .routes(routes!(write_offs::revert))
        .routes(routes!(write_offs::revert_era_originated))
        .routes(routes!(patient_ar::list_inventory))
        .routes(routes!(patient_ar::itemize))
}
