//! Patient credit, Gen-2 `/user/patient/{patient_id}/credit...`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, Time};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::credits::{self as service, Credit, CreditChanges, NewCredit};

use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{format_timestamp, parse_date, present};

/// `PatientCreditCreate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditCreate {
    /// Cents granted.
    pub amount: i64,
    /// Defaults to `amount`.
    #[serde(default, alias = "amount_remaining")]
    pub amount_remaining: Option<i64>,
    /// Ignored: the path names the patient (a different one here is a 422).
    #[serde(default, alias = "patient_id")]
    pub patient_id: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    /// A date-time, or a date meaning "through the end of that day (UTC)"; null: never.
    #[serde(default, alias = "expiry_date")]
    pub expiry_date: Option<String>,
    #[serde(default, alias = "member_id")]
    pub member_id: Option<String>,
    #[serde(default, alias = "creator_id")]
    pub creator_id: Option<String>,
    #[serde(default, alias = "external_id")]
    pub external_id: Option<String>,
}

/// `PatientCreditUpdate`.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct CreditUpdate {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub comment: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "expiry_date")]
    #[schema(value_type = Option<String>)]
    pub expiry_date: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present", alias = "amount_remaining")]
    #[schema(value_type = Option<i64>)]
    pub amount_remaining: Option<Option<i64>>,
}

/// `PatientCreditSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreditSummary {
    pub id: String,
    pub patient_id: String,
    pub amount: i64,
    pub amount_remaining: i64,
    pub comment: Option<String>,
    pub expiry_date: Option<String>,
    pub member_id: Option<String>,
    pub created_date: String,
    pub updated_date: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub creator: Option<Value>,
}

impl From<Credit> for CreditSummary {
    fn from(credit: Credit) -> Self {
        CreditSummary {
            id: credit.id.to_string(),
            patient_id: credit.patient_id.to_string(),
            amount: credit.amount,
            amount_remaining: credit.remaining,
            comment: credit.comment,
            expiry_date: credit.expires_at.map(format_timestamp),
            member_id: credit.member_id,
            created_date: format_timestamp(credit.created_at),
            updated_date: Some(format_timestamp(credit.updated_at)),
            // The creator is a copay user only once users exist; the id is not enough
            // for `UserTiny`, which requires a type.
            creator: None,
        }
    }
}

/// `Page_PatientCreditSummary_`.
#[derive(Serialize, ToSchema)]
pub struct CreditPage {
    pub data: Vec<CreditSummary>,
    pub total: i64,
}

/// `AvailableCredit`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableCredit {
    pub credit_id: String,
    pub remaining_amount: i64,
    pub total_amount: i64,
    pub comment: Option<String>,
    pub expiry_date: Option<String>,
    pub created_date: String,
}

/// `AvailableCreditResponse`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AvailableCreditResponse {
    pub total_available: i64,
    pub count: i64,
    pub credits: Vec<AvailableCredit>,
}

/// An expiry: RFC 3339, or a date valid through its end (UTC).
fn expiry(text: &str) -> Result<OffsetDateTime, DecodaError> {
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(at);
    }
    parse_date(text)
        .map(|date| date.with_time(Time::MIDNIGHT).assume_utc() + Duration::days(1))
        .ok_or_else(|| {
            DecodaError::body(
                "expiryDate",
                format!("{text:?} is not a date-time (RFC 3339) or a date (YYYY-MM-DD)"),
                "datetime_parsing",
            )
        })
}

fn path_ids(
    patient_id: &str,
    credit_id: Option<&str>,
) -> Result<(Uuid, Option<Uuid>), DecodaError> {
    let patient = Uuid::parse_str(patient_id)
        .map_err(|_| DecodaError::not_found_id("patient", patient_id))?;
    let credit = credit_id
        .map(|id| Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id("patient credit", id)))
        .transpose()?;
    Ok((patient, credit))
}

/// A patient's credits, oldest first; `page` from 1, `per_page` 1–100 (default 50);
/// expired ones only with `include_expired=true`, used-up ones unless `include_used=false`.
#[utoipa::path(
    get, path = "/user/patient/{patient_id}/credit", tag = "decoda: patient credit",
    params(("patient_id" = String, Path), ("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query),
           ("include_expired" = Option<bool>, Query), ("include_used" = Option<bool>, Query)),
    responses((status = 200, body = CreditPage), (status = 404, description = "Unknown patient"))
)]
pub async fn list(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(patient_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<CreditPage>, DecodaError> {
    let (patient_id, _) = path_ids(&patient_id, None)?;
    let query = QueryParams::parse(raw.as_deref());
    let page = query
        .parsed::<u32>("page", "a whole number")
        .map_err(DecodaError::query)?
        .unwrap_or(1);
    let per_page = query
        .parsed::<u32>("per_page", "a whole number")
        .map_err(DecodaError::query)?
        .unwrap_or(50);
    let include_expired = query
        .bool("include_expired")
        .map_err(DecodaError::query)?
        .unwrap_or(false);
    let include_used = query
        .bool("include_used")
        .map_err(DecodaError::query)?
        .unwrap_or(true);
    let (credits, total) = service::list(
        &state.store,
        &tenant,
        patient_id,
        include_expired,
        include_used,
        page,
        per_page,
    )
    .await
    .map_err(DecodaError::from_query)?;
    Ok(Json(CreditPage {
        data: credits.into_iter().map(Into::into).collect(),
        total: i64::try_from(total).unwrap_or(i64::MAX),
    }))
}

/// Grants a patient credit (cents). It is available at once, until `expiryDate`.
#[utoipa::path(
    post, path = "/user/patient/{patient_id}/credit", tag = "decoda: patient credit",
    params(("patient_id" = String, Path)),
    request_body = CreditCreate,
    responses((status = 200, body = CreditSummary), (status = 404, description = "Unknown patient"),
              (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(patient_id): Path<String>,
    DecodaJson(body): DecodaJson<CreditCreate>,
) -> Result<Json<CreditSummary>, DecodaError> {
    let (patient_id, _) = path_ids(&patient_id, None)?;
    if let Some(named) = &body.patient_id
        && Uuid::parse_str(named).ok() != Some(patient_id)
    {
        return Err(DecodaError::body(
            "patientId",
            "must be the patient of the path",
            "value_error",
        ));
    }
    let new = NewCredit {
        amount: body.amount,
        amount_remaining: body.amount_remaining,
        comment: body.comment,
        expires_at: body.expiry_date.as_deref().map(expiry).transpose()?,
        member_id: body.member_id,
        creator_id: body.creator_id,
        external_id: body.external_id,
    };
    let credit = service::create(&state.store, &tenant, patient_id, new).await?;
    Ok(Json(credit.into()))
}

/// Grants a patient credit, like `POST …/credit`. The issue names this path; Decoda's
/// published documents do not, so it takes and answers the same shapes as `…/credit`.
#[utoipa::path(
    post, path = "/user/patient/{patient_id}/add-credit", tag = "decoda: patient credit",
    params(("patient_id" = String, Path)),
    request_body = CreditCreate,
    responses((status = 200, body = CreditSummary), (status = 404, description = "Unknown patient"),
              (status = 422, description = "Invalid body"))
)]
pub async fn add_credit(
    state: State<AppState>,
    tenant: DecodaTenant,
    patient_id: Path<String>,
    body: DecodaJson<CreditCreate>,
) -> Result<Json<CreditSummary>, DecodaError> {
    create(state, tenant, patient_id, body).await
}

/// Corrects a credit: comment, expiry, amount, or what remains (the difference moves on
/// or off the patient's credit). `amountRemaining` ≤ `amount` always.
#[utoipa::path(
    patch, path = "/user/patient/{patient_id}/credit/{credit_id}", tag = "decoda: patient credit",
    params(("patient_id" = String, Path), ("credit_id" = String, Path)),
    request_body = CreditUpdate,
    responses((status = 200, body = CreditSummary), (status = 404, description = "Unknown patient or credit"),
              (status = 422, description = "Invalid body"))
)]
pub async fn update(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path((patient_id, credit_id)): Path<(String, String)>,
    DecodaJson(body): DecodaJson<CreditUpdate>,
) -> Result<Json<CreditSummary>, DecodaError> {
    let (patient_id, credit_id) = path_ids(&patient_id, Some(&credit_id))?;
    let not_null = |field: &str, value: Option<Option<i64>>| match value {
        Some(None) => Err(DecodaError::body(field, "may not be null", "value_error")),
        other => Ok(other.flatten()),
    };
    let changes = CreditChanges {
        comment: body.comment,
        expires_at: body
            .expiry_date
            .map(|value| value.as_deref().map(expiry).transpose())
            .transpose()?,
        amount: not_null("amount", body.amount)?,
        amount_remaining: not_null("amountRemaining", body.amount_remaining)?,
    };
    let credit_id = credit_id.unwrap_or_default();
    let credit = service::update(&state.store, &tenant, patient_id, credit_id, changes).await?;
    Ok(Json(credit.into()))
}

/// Withdraws a credit none of which has been used (400 otherwise).
#[utoipa::path(
    delete, path = "/user/patient/{patient_id}/credit/{credit_id}", tag = "decoda: patient credit",
    params(("patient_id" = String, Path), ("credit_id" = String, Path)),
    responses((status = 200, description = "`{\"deleted\": true, \"id\": …}`"),
              (status = 400, description = "Partly used"), (status = 404, description = "Unknown patient or credit"))
)]
pub async fn delete(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path((patient_id, credit_id)): Path<(String, String)>,
) -> Result<Json<Value>, DecodaError> {
    let (patient_id, credit_id) = path_ids(&patient_id, Some(&credit_id))?;
    let credit_id = credit_id.unwrap_or_default();
    service::delete(&state.store, &tenant, patient_id, credit_id).await?;
    Ok(Json(json!({"deleted": true, "id": credit_id.to_string()})))
}

/// What the patient can spend now: credits not expired with something left, oldest first.
#[utoipa::path(
    get, path = "/user/patient/{patient_id}/credit/available", tag = "decoda: patient credit",
    params(("patient_id" = String, Path)),
    responses((status = 200, body = AvailableCreditResponse), (status = 404, description = "Unknown patient"))
)]
pub async fn available(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(patient_id): Path<String>,
) -> Result<Json<AvailableCreditResponse>, DecodaError> {
    let (patient_id, _) = path_ids(&patient_id, None)?;
    let credits = service::available(&state.store, &tenant, patient_id).await?;
    Ok(Json(AvailableCreditResponse {
        total_available: credits.iter().map(|credit| credit.remaining).sum(),
        count: i64::try_from(credits.len()).unwrap_or(i64::MAX),
        credits: credits
            .into_iter()
            .map(|credit| AvailableCredit {
                credit_id: credit.id.to_string(),
                remaining_amount: credit.remaining,
                total_amount: credit.amount,
                comment: credit.comment,
                expiry_date: credit.expires_at.map(format_timestamp),
                created_date: format_timestamp(credit.created_at),
            })
            .collect(),
    }))
}
