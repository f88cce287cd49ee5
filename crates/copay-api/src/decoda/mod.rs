//! The Decoda Health dialect: camelCase JSON, `API-KEY` + `TENANT` headers, FastAPI
//! error bodies (`{"detail": [...]}` for validation, `{"detail": "..."}` otherwise).

pub mod adjustments;
pub mod auth;
pub mod charge_edits;
pub mod charge_input;
pub mod charge_table_query;
pub mod charge_views;
pub mod charges;
pub mod charges_v2;
pub mod credits;
pub mod error;
pub mod extract;
pub mod items;
pub mod patients;
pub mod payment_table;
pub mod payment_table_query;
pub mod payments;
pub mod providers;
pub mod settlement;
pub mod table_query;
pub mod tenant;
pub mod timeline;
pub mod tips;
pub mod webhook_payloads;
pub mod webhooks;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every Decoda route needs `API-KEY` and `TENANT`; the caller adds the auth layer.
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant::public_detail))
        .routes(routes!(patients::create_v1))
        .routes(routes!(patients::get_v1))
        .routes(routes!(patients::get_by_external_id_v1))
        .routes(routes!(patients::update_v1))
        .routes(routes!(patients::list_v1))
        .routes(routes!(patients::create_v2))
        .routes(routes!(patients::get_v2, patients::update_v2))
        .routes(routes!(patients::list_v2))
        .routes(routes!(items::create))
        .routes(routes!(items::get))
        .routes(routes!(items::update))
        .routes(routes!(items::delete))
        .routes(routes!(items::list))
        .routes(routes!(charges::create))
        .routes(routes!(charges::get))
        .routes(routes!(charges::get_by_external_id))
        .routes(routes!(charges::list))
        .routes(routes!(charges::adjust))
        .routes(routes!(credits::list, credits::create))
        .routes(routes!(credits::update, credits::delete))
        .routes(routes!(credits::available))
        .routes(routes!(credits::add_credit))
        .routes(routes!(settlement::create_patient_credit_settled))
        .routes(routes!(payments::create_cash_settled))
        .routes(routes!(payments::create_patient_credit_payment))
        .routes(routes!(payments::create_cash_payment))
        .routes(routes!(payments::refund))
        .routes(routes!(payments::delete_payment))
        .routes(routes!(payments::delete_charge))
        .routes(routes!(payments::mark_no_charge))
        .routes(routes!(timeline::timeline))
        .routes(routes!(payment_table::table))
        .routes(routes!(charges_v2::create))
        .routes(routes!(charges_v2::get))
        .routes(routes!(charges_v2::list))
        .routes(routes!(charges_v2::table))
        .routes(routes!(providers::create))
        .routes(routes!(providers::get))
        .routes(routes!(providers::get_by_external_id))
        .routes(routes!(providers::update))
        .routes(routes!(providers::list))
        .routes(routes!(providers::list_roles))
        .routes(routes!(tips::create))
        .routes(routes!(tips::get, tips::update, tips::delete))
        .routes(routes!(adjustments::create_adjustment))
        .routes(routes!(adjustments::create_write_off))
        .routes(routes!(charge_edits::update_comment))
        .routes(routes!(charge_edits::update_details))
        .routes(routes!(webhooks::create_v1))
        .routes(routes!(webhooks::get_v1))
        .routes(routes!(webhooks::update_v1))
        .routes(routes!(webhooks::delete_v1))
        .routes(routes!(webhooks::list_v1))
        .routes(routes!(webhooks::deliveries_v1))
        .routes(routes!(webhooks::event_v1))
        .routes(routes!(webhooks::resend_v1))
        .routes(routes!(webhooks::create_v2))
        .routes(routes!(webhooks::get_v2))
        .routes(routes!(webhooks::update_v2))
        .routes(routes!(webhooks::delete_v2))
        .routes(routes!(webhooks::list_v2))
        .routes(routes!(webhooks::deliveries_v2))
        .routes(routes!(webhooks::event_v2))
        .routes(routes!(webhooks::resend_v2))
        .routes(routes!(webhooks::get_config, webhooks::put_config))
}
