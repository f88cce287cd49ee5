//! Editing a charge's words, Gen-2 `/billing/charge/update-comment/{id}` and
//! `/billing/charge/update-details/{id}`. Amounts never change here.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::charge_edits::{self as service, ChargeDetailChanges};

use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::wire::present;

/// `EditChargeComment`.
#[derive(Deserialize, ToSchema)]
pub struct EditChargeComment {
    pub comment: String,
}

/// `EditChargeDetails`: an absent key keeps the field, `null` clears it.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditChargeDetails {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// RFC 3339 date-time.
    #[serde(default, deserialize_with = "present", alias = "external_created_date")]
    #[schema(value_type = Option<String>)]
    pub external_created_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub comment: Option<Option<String>>,
}

fn charge_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id("charge", id))
}

fn date_time(text: &str) -> Result<OffsetDateTime, DecodaError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        DecodaError::body(
            "externalCreatedDate",
            format!("{text:?} is not a date-time (RFC 3339)"),
            "datetime_parsing",
        )
    })
}

/// Replaces the charge's comment.
#[utoipa::path(
    post, path = "/billing/charge/update-comment/{id}", tag = "decoda: charges",
    params(("id" = String, Path)),
    request_body = EditChargeComment,
    responses((status = 200, body = bool), (status = 404, description = "Unknown charge"),
              (status = 422, description = "Invalid body"))
)]
pub async fn update_comment(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<EditChargeComment>,
) -> Result<Json<bool>, DecodaError> {
    let id = charge_id(&id)?;
    service::update_comment(&state.store, &tenant, id, body.comment).await?;
    Ok(Json(true))
}

/// Changes the charge's description, external creation date and comment.
#[utoipa::path(
    post, path = "/billing/charge/update-details/{id}", tag = "decoda: charges",
    params(("id" = String, Path)),
    request_body = EditChargeDetails,
    responses((status = 200, body = bool), (status = 404, description = "Unknown charge"),
              (status = 422, description = "Invalid body or date"))
)]
pub async fn update_details(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<EditChargeDetails>,
) -> Result<Json<bool>, DecodaError> {
    let id = charge_id(&id)?;
    let changes = ChargeDetailChanges {
        description: body.description,
        external_created_date: body
            .external_created_date
            .map(|value| value.as_deref().map(date_time).transpose())
            .transpose()?,
        comment: body.comment,
    };
    service::update_details(&state.store, &tenant, id, changes).await?;
    Ok(Json(true))
}
