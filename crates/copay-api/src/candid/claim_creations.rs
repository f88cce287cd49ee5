//! Charge capture claim creations v1 (the SDK's `charge_capture_bundles`): get, summary,
//! list, and resolving an error.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::claim_creations::{self as service, ClaimCreation, ClaimCreationError, Filter};

use super::error::CandidError;
use super::extract::{CandidJson, CandidTenant};
use super::types::ChargeCaptureStatusWire;
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::FieldError;

/// `ChargeCaptureError`.
#[derive(Serialize, ToSchema, Clone)]
pub struct ChargeCaptureErrorResponse {
    pub id: Uuid,
    pub charge_capture_id: Option<Uuid>,
    pub message: String,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolution_reason: Option<String>,
    pub field_in_error: Option<String>,
    pub claim_creation_id: Uuid,
}

impl From<ClaimCreationError> for ChargeCaptureErrorResponse {
    fn from(error: ClaimCreationError) -> Self {
        ChargeCaptureErrorResponse {
            id: error.id,
            charge_capture_id: error.charge_capture_id,
            message: error.message,
            resolved: error.resolved,
            resolved_by: error.resolved_by,
            resolution_reason: error.resolution_reason,
            field_in_error: error.field_in_error,
            claim_creation_id: error.claim_creation_id,
        }
    }
}

/// `ChargeCaptureClaimCreation`.
#[derive(Serialize, ToSchema)]
pub struct ClaimCreationResponse {
    pub id: Uuid,
    pub created_encounter_id: Option<Uuid>,
    /// `ChargeCaptureClaimCreationStatus`.
    pub status: String,
    /// The grouping values the member charges share, keyed by dotted path.
    #[schema(value_type = Object)]
    pub characteristics: Map<String, Value>,
    pub errors: Vec<ChargeCaptureErrorResponse>,
    /// The encounter input merged from the member charges at the last processing attempt.
    #[schema(value_type = Option<Object>)]
    pub encounter_creation_input: Option<Value>,
    pub most_recent_claim_preview_id: Option<Uuid>,
}

impl From<ClaimCreation> for ClaimCreationResponse {
    fn from(creation: ClaimCreation) -> Self {
        ClaimCreationResponse {
            id: creation.id,
            created_encounter_id: creation.created_encounter_id,
            status: creation.status.as_str().to_string(),
            characteristics: creation.characteristics,
            errors: creation.errors.into_iter().map(Into::into).collect(),
            encounter_creation_input: creation.encounter_creation_input,
            most_recent_claim_preview_id: None,
        }
    }
}

/// `ChargeCaptureClaimCreationSummary`.
#[derive(Serialize, ToSchema)]
pub struct ClaimCreationSummaryResponse {
    pub charge_capture_charges_not_linked_to_claims_count: i64,
    pub charge_capture_claim_creations_not_started_count: i64,
    pub charge_capture_held_claim_creations_count: i64,
    pub charge_capture_claim_creations_in_error_count: i64,
    pub charge_capture_unresolved_change_count: i64,
}

/// `ChargeCaptureClaimCreationPage`.
#[derive(Serialize, ToSchema)]
pub struct ClaimCreationPageResponse {
    pub items: Vec<ClaimCreationResponse>,
    pub next_page_token: Option<String>,
    /// Always null: walk forward with `next_page_token`.
    pub prev_page_token: Option<String>,
}

fn parse_id(id: &str) -> Result<Uuid, CandidError> {
    Uuid::parse_str(id).map_err(|_| CandidError::EntityNotFound(id.to_string()))
}

/// Returns one claim creation with its errors.
#[utoipa::path(
    get,
    path = "/api/charge_capture_claim_creation/v1/{charge_capture_claim_creation_id}",
    tag = "candid: claim creations",
    params(("charge_capture_claim_creation_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = ClaimCreationResponse), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<ClaimCreationResponse>, CandidError> {
    let creation = service::get(&state.store, &tenant, parse_id(&id)?).await?;
    Ok(Json(creation.into()))
}

/// Counts: charges in no claim creation, creations not started, held, in error, and
/// unresolved post-billed changes.
#[utoipa::path(
    get,
    path = "/api/charge_capture_claim_creation/v1/all/summary",
    tag = "candid: claim creations",
    security(("candid_bearer" = [])),
    responses((status = 200, body = ClaimCreationSummaryResponse))
)]
pub async fn get_summary(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
) -> Result<Json<ClaimCreationSummaryResponse>, CandidError> {
    let counts = service::summary(&state.store, &tenant).await?;
    Ok(Json(ClaimCreationSummaryResponse {
        charge_capture_charges_not_linked_to_claims_count: counts.charges_not_linked,
        charge_capture_claim_creations_not_started_count: counts.not_started,
        charge_capture_held_claim_creations_count: counts.held,
        charge_capture_claim_creations_in_error_count: counts.in_error,
        charge_capture_unresolved_change_count: counts.unresolved_changes,
    }))
}

const CREATION_STATUSES: &[&str] = &[
    "not-started",
    "in-error",
    "successful",
    "successful-dry-run",
    "aborted",
    "held",
];
const CHARGE_STATUSES: &[&str] = &[
    "planned",
    "not-billable",
    "billable",
    "aborted",
    "entered-in-error",
];
pub(super) const CLAIM_STATUSES: &[&str] = &[
    "biller_received",
    "coded",
    "submitted_to_payer",
    "missing_information",
    "not_billable",
    "waiting_for_provider",
    "era_received",
    "rejected",
    "denied",
    "paid",
    "paid_incorrectly",
    "finalized_paid",
    "finalized_denied",
    "held_by_customer",
    "era_requires_review",
];

struct ListRequest {
    filter: Filter,
    descending: bool,
    limit: u32,
    page_token: Option<String>,
}

fn list_request(query: &QueryParams) -> Result<ListRequest, FieldError> {
    query.one_of("sort", &["created_at"])?;
    let filter = Filter {
        patient_external_id: query.string("patient_external_id"),
        status: query.one_of("claim_creation_status", CREATION_STATUSES)?,
        charge_status: query.one_of("charge_status", CHARGE_STATUSES)?,
        charge_external_id: query.string("charge_external_id"),
        date_of_service_min: query.date("date_of_service_min")?,
        date_of_service_max: query.date("date_of_service_max")?,
        claim_ids: query.parsed_list("claim_ids", "a UUID")?,
        claim_creation_ids: query.parsed_list("claim_creation_ids", "a UUID")?,
        claim_creation_categories: query.strings("claim_creation_category"),
        claim_status: query.one_of("claim_status", CLAIM_STATUSES)?,
        has_charge_capture_updates: query.bool("has_charge_capture_updates")?,
    };
    Ok(ListRequest {
        filter,
        descending: query.one_of("sort_direction", &["asc", "desc"])?.as_deref() != Some("asc"),
        limit: query
            .parsed::<u32>("limit", "a whole number")?
            .unwrap_or(100),
        page_token: query.string("page_token"),
    })
}

/// Lists claim creations, newest first by default (`limit` 1–1000, default 100).
/// Charge-level filters (`charge_status`, `charge_external_id`) match a creation when one
/// of its charges matches.
#[utoipa::path(
    get,
    path = "/api/charge_capture_claim_creation/v1",
    tag = "candid: claim creations",
    params(
        ("limit" = Option<u32>, Query), ("page_token" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "created_at"),
        ("sort_direction" = Option<String>, Query, description = "asc | desc"),
        ("patient_external_id" = Option<String>, Query),
        ("claim_creation_status" = Option<String>, Query), ("charge_status" = Option<ChargeCaptureStatusWire>, Query),
        ("charge_external_id" = Option<String>, Query), ("date_of_service_min" = Option<String>, Query),
        ("date_of_service_max" = Option<String>, Query), ("claim_ids" = Option<Vec<String>>, Query),
        ("claim_creation_ids" = Option<Vec<String>>, Query), ("claim_creation_category" = Option<Vec<String>>, Query),
        ("claim_status" = Option<String>, Query), ("has_charge_capture_updates" = Option<bool>, Query),
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = ClaimCreationPageResponse), (status = 422, description = "A parameter is invalid"))
)]
pub async fn get_all(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<ClaimCreationPageResponse>, CandidError> {
    let query = QueryParams::parse(raw.as_deref());
    let request = list_request(&query).map_err(CandidError::validation)?;
    let page = service::list(
        &state.store,
        &tenant,
        &request.filter,
        request.descending,
        request.limit,
        request.page_token.as_deref(),
    )
    .await?;
    Ok(Json(ClaimCreationPageResponse {
        items: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}

/// Body of the error-resolve call; both strings are an audit trail.
#[derive(Deserialize, ToSchema, Default)]
pub struct ResolveErrorBody {
    #[serde(default)]
    pub resolved_by: Option<String>,
    #[serde(default)]
    pub resolution_reason: Option<String>,
}

/// Marks a claim-creation error resolved. Resolving the last unresolved error sends the
/// creation back to `not-started`; the resolved check is waived on the next attempt.
#[utoipa::path(
    patch,
    path = "/api/charge_capture_claim_creation/v1/error/{charge_capture_bundle_error_id}",
    tag = "candid: claim creations",
    params(("charge_capture_bundle_error_id" = String, Path)),
    request_body = ResolveErrorBody,
    security(("candid_bearer" = [])),
    responses((status = 204, description = "Resolved"), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn resolve_charge_creation_error(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    CandidJson(body): CandidJson<ResolveErrorBody>,
) -> Result<StatusCode, CandidError> {
    service::resolve_error(
        &state.store,
        &tenant,
        parse_id(&id)?,
        body.resolved_by,
        body.resolution_reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
