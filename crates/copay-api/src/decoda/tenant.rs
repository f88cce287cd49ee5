//! `GET /tenant/public`: the tenant's public profile.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::DecodaError;
use super::extract::DecodaTenant;
use crate::AppState;

/// Decoda's `PublicTenant`. copay keeps no branding or scheduling settings, so those
/// fields carry their published defaults (empty strings, empty lists, `false`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicTenant {
    pub name: String,
    pub sub_domain: String,
    pub home_page: String,
    pub phone_number: String,
    pub logo_url: String,
    pub manual_invoice_text: String,
    pub slogan: Option<String>,
    pub provider_deactivated_pages: Vec<String>,
    pub patient_deactivated_pages: Vec<String>,
    pub enabled_modules: Vec<String>,
    pub hide_patient_payment_plans: bool,
    pub pass_fee_to_patient: bool,
    pub required_patient_fields: Vec<String>,
    pub self_scheduling_redirect_url: Option<String>,
    pub allow_multiple_bookings_for_different_appointments: bool,
    pub max_self_schedule_services: i64,
    pub mail_domain: Option<String>,
    pub mail_receiving_enabled: bool,
    pub create_credit_from_booking_fee: bool,
    pub service_display_mode: String,
    pub receipt_logo_url: Option<String>,
    pub google_tag_manager_id: Option<String>,
}

/// The tenant named by the `TENANT` header.
#[utoipa::path(
    get,
    path = "/tenant/public",
    tag = "decoda: tenant",
    responses(
        (status = 200, body = PublicTenant),
        (status = 401, description = "Missing or unknown API key"),
        (status = 403, description = "The key belongs to another tenant"),
    )
)]
pub async fn public_detail(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
) -> Result<Json<PublicTenant>, DecodaError> {
    let row = copay_service::tenants::get_tenant(&state.store, tenant.tenant_id).await?;
    Ok(Json(PublicTenant {
        name: row.name,
        sub_domain: row.slug,
        home_page: String::new(),
        phone_number: String::new(),
        logo_url: String::new(),
        manual_invoice_text: String::new(),
        slogan: None,
        provider_deactivated_pages: Vec::new(),
        patient_deactivated_pages: Vec::new(),
        enabled_modules: Vec::new(),
        hide_patient_payment_plans: false,
        pass_fee_to_patient: false,
        required_patient_fields: Vec::new(),
        self_scheduling_redirect_url: None,
        allow_multiple_bookings_for_different_appointments: false,
        max_self_schedule_services: 1,
        mail_domain: None,
        mail_receiving_enabled: false,
        create_credit_from_booking_fee: false,
        service_display_mode: "GRID".into(),
        receipt_logo_url: None,
        google_tag_manager_id: None,
    }))
}
