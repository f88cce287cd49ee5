//! Adjustments and write-offs, Gen-2 `/billing/adjustment/create` and
//! `/billing/write-off/create`.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::charges::{self as charges, Adjustment, NewAdjustment};
use copay_service::write_offs::{self, NewWriteOff};

use super::charges::AdjustmentSummary;
use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;

/// Gen-2 `AdjustmentCreate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentCreateV2 {
    #[serde(alias = "charge_id")]
    pub charge_id: String,
    /// Signed cents: positive raises what is owed, negative lowers it.
    pub amount: i64,
    pub reason: String,
    #[serde(default, alias = "provider_id")]
    pub provider_id: Option<String>,
    #[serde(default, alias = "location_id")]
    pub location_id: Option<String>,
}

/// `WriteOffCreate`: no amount; the whole outstanding is written off.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WriteOffCreate {
    #[serde(alias = "charge_id")]
    pub charge_id: String,
    pub reason: String,
    #[serde(default, alias = "provider_id")]
    pub provider_id: Option<String>,
    #[serde(default, alias = "location_id")]
    pub location_id: Option<String>,
}

/// Gen-2 `AdjustmentSummary` (Gen-1's plus `locationId`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentSummaryV2 {
    #[serde(flatten)]
    pub summary: AdjustmentSummary,
    pub location_id: Option<String>,
}

impl From<Adjustment> for AdjustmentSummaryV2 {
    fn from(adjustment: Adjustment) -> Self {
        let location_id = adjustment.location_id.clone();
        AdjustmentSummaryV2 {
            summary: adjustment.into(),
            location_id,
        }
    }
}

fn charge_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id("charge", id))
}

/// Changes what a charge owes by a signed, non-zero amount, as Gen-1's adjust does: it
/// may not take the outstanding amount below zero, nor touch a void charge (400).
#[utoipa::path(
    post, path = "/billing/adjustment/create", tag = "decoda: adjustments",
    request_body = AdjustmentCreateV2,
    responses((status = 200, body = AdjustmentSummaryV2), (status = 400, description = "Would go below zero, or void"),
              (status = 404, description = "Unknown charge"), (status = 422, description = "Invalid body"))
)]
pub async fn create_adjustment(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<AdjustmentCreateV2>,
) -> Result<Json<AdjustmentSummaryV2>, DecodaError> {
    let new = NewAdjustment {
        charge_id: charge_id(&body.charge_id)?,
        amount: body.amount,
        reason: body.reason,
        provider_id: body.provider_id,
        location_id: body.location_id,
    };
    Ok(Json(
        charges::adjust(&state.store, &tenant, new).await?.into(),
    ))
}

/// Writes off everything the charge still owes: a `WRITE_OFF` adjustment of minus that
/// amount, and the charge reads `WRITE_OFF`. Nothing outstanding, or a void charge: 400.
#[utoipa::path(
    post, path = "/billing/write-off/create", tag = "decoda: adjustments",
    request_body = WriteOffCreate,
    responses((status = 200, body = AdjustmentSummaryV2), (status = 400, description = "Nothing outstanding, or void"),
              (status = 404, description = "Unknown charge"), (status = 422, description = "Invalid body"))
)]
pub async fn create_write_off(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<WriteOffCreate>,
) -> Result<Json<AdjustmentSummaryV2>, DecodaError> {
    let new = NewWriteOff {
        charge_id: charge_id(&body.charge_id)?,
        reason: body.reason,
        provider_id: body.provider_id,
        location_id: body.location_id,
    };
    Ok(Json(
        write_offs::write_off(&state.store, &tenant, new)
            .await?
            .into(),
    ))
}
