//! Tips on charges, Gen-2 `/billing/tips/...`: create, get, update, delete.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::tips::{self as service, NewTip, Tip, TipChanges};

use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::wire::format_timestamp;

/// `TipCreate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TipCreate {
    #[serde(alias = "charge_id")]
    pub charge_id: String,
    /// Cents, > 0.
    pub amount: i64,
    /// A provider of the tenant.
    #[serde(alias = "provider_id")]
    pub provider_id: String,
}

/// `TipUpdate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TipUpdate {
    #[serde(alias = "provider_id")]
    pub provider_id: String,
    /// Cents, > 0; absent or null keeps the amount.
    #[serde(default)]
    pub amount: Option<i64>,
}

/// `ProviderTiny`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderTiny {
    pub id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub created_date: Option<String>,
}

/// `TipDetail`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TipDetail {
    pub id: String,
    pub charge_id: String,
    pub amount: i64,
    pub provider_id: String,
    pub provider: Option<ProviderTiny>,
}

impl From<Tip> for TipDetail {
    fn from(tip: Tip) -> Self {
        TipDetail {
            id: tip.id.to_string(),
            charge_id: tip.charge_id.to_string(),
            amount: tip.amount,
            provider_id: tip.provider.id.to_string(),
            provider: Some(ProviderTiny {
                id: tip.provider.id.to_string(),
                first_name: tip.provider.first_name,
                last_name: tip.provider.last_name,
                email: tip.provider.email,
                created_date: Some(format_timestamp(tip.provider.created_at)),
            }),
        }
    }
}

/// An id the caller names; one that is not a UUID cannot exist (404).
fn named_id(entity: &str, id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id(entity, id))
}

/// Tips a provider on a charge: what the charge owes and its total grow by the tip, and
/// a charge that was closed (say `PAID`) is `OUTSTANDING` again.
#[utoipa::path(
    post, path = "/billing/tips/create", tag = "decoda: tips",
    request_body = TipCreate,
    responses((status = 200, body = TipDetail), (status = 400, description = "Void charge"),
              (status = 404, description = "Unknown charge or provider"),
              (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<TipCreate>,
) -> Result<Json<TipDetail>, DecodaError> {
    let new = NewTip {
        charge_id: named_id("charge", &body.charge_id)?,
        provider_id: named_id("provider", &body.provider_id)?,
        amount: body.amount,
    };
    Ok(Json(
        service::create(&state.store, &tenant, new).await?.into(),
    ))
}

#[utoipa::path(
    get, path = "/billing/tips/{tip_id}", tag = "decoda: tips",
    params(("tip_id" = String, Path)),
    responses((status = 200, body = TipDetail), (status = 404, description = "Unknown or deleted tip"))
)]
pub async fn get(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(tip_id): Path<String>,
) -> Result<Json<TipDetail>, DecodaError> {
    let id = named_id("tip", &tip_id)?;
    Ok(Json(service::get(&state.store, &tenant, id).await?.into()))
}

/// Gives the tip to a provider and, with `amount`, changes it. Lowering it is refused
/// (400) when the charge owes less than the decrease: that part of the tip was paid.
#[utoipa::path(
    put, path = "/billing/tips/{tip_id}", tag = "decoda: tips",
    params(("tip_id" = String, Path)),
    request_body = TipUpdate,
    responses((status = 200, body = TipDetail), (status = 400, description = "Already paid, or void charge"),
              (status = 404, description = "Unknown tip or provider"),
              (status = 422, description = "Invalid body"))
)]
pub async fn update(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(tip_id): Path<String>,
    DecodaJson(body): DecodaJson<TipUpdate>,
) -> Result<Json<TipDetail>, DecodaError> {
    let id = named_id("tip", &tip_id)?;
    let changes = TipChanges {
        provider_id: named_id("provider", &body.provider_id)?,
        amount: body.amount,
    };
    Ok(Json(
        service::update(&state.store, &tenant, id, changes)
            .await?
            .into(),
    ))
}

/// Takes the whole tip back off the charge; refused (400) if part of it was paid.
#[utoipa::path(
    delete, path = "/billing/tips/{tip_id}", tag = "decoda: tips",
    params(("tip_id" = String, Path)),
    responses((status = 200, body = bool), (status = 400, description = "Already paid, or void charge"),
              (status = 404, description = "Unknown or deleted tip"))
)]
pub async fn delete(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(tip_id): Path<String>,
) -> Result<Json<bool>, DecodaError> {
    let id = named_id("tip", &tip_id)?;
    service::delete(&state.store, &tenant, id).await?;
    Ok(Json(true))
}
