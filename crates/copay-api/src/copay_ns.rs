//! copay's own authenticated namespace, `/copay/v1/...`: operations that neither vendor
//! API has. It accepts either dialect's credentials (a Candid bearer token, or Decoda's
//! `API-KEY` + `TENANT`) and answers errors in the `{"detail": ...}` style.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use copay_service::{AuthError, TenantCtx};

use crate::AppState;
use crate::credentials::{api_key_and_tenant, bearer_token};
use crate::decoda::error::DecodaError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(whoami))
        .routes(routes!(process_claim_creations))
}

/// How the caller proved who it is.
#[derive(Clone, Copy, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Bearer,
    ApiKey,
}

pub async fn require_any_credential(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let bearer = bearer_token(request.headers());
    let (api_key, tenant) = api_key_and_tenant(request.headers());
    let outcome: Result<(TenantCtx, CredentialKind), AuthError> = match bearer {
        Some(token) => state
            .auth
            .verify_bearer(&token)
            .map(|t| (t, CredentialKind::Bearer)),
        None => state
            .auth
            .verify_api_key(api_key.as_deref(), tenant.as_deref())
            .await
            .map(|t| (t, CredentialKind::ApiKey)),
    };
    match outcome {
        Ok((tenant, kind)) => {
            request.extensions_mut().insert(tenant);
            request.extensions_mut().insert(kind);
            next.run(request).await
        }
        Err(error) => DecodaError::from(error).into_response(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct WhoAmI {
    /// The tenant's slug (Decoda's `TENANT` value).
    pub tenant: String,
    pub tenant_id: Uuid,
    pub credential_id: Uuid,
    pub authenticated_with: CredentialKind,
}

/// Who the credentials belong to. Cheap: with a bearer token it touches no database.
#[utoipa::path(
    get,
    path = "/copay/v1/whoami",
    tag = "copay",
    security(("candid_bearer" = []), ("decoda_api_key" = [], "decoda_tenant" = [])),
    responses((status = 200, body = WhoAmI), (status = 401, description = "No valid credentials"))
)]
pub async fn whoami(request: Request) -> Response {
    let extensions = request.extensions();
    match (
        extensions.get::<TenantCtx>(),
        extensions.get::<CredentialKind>(),
    ) {
        (Some(tenant), Some(kind)) => Json(WhoAmI {
            tenant: tenant.slug.clone(),
            tenant_id: tenant.tenant_id,
            credential_id: tenant.credential_id,
            authenticated_with: *kind,
        })
        .into_response(),
        _ => DecodaError::Status(StatusCode::UNAUTHORIZED, "credentials are required".into())
            .into_response(),
    }
}

/// Body of an on-demand processing call; empty processes every not-started creation.
#[derive(serde::Deserialize, ToSchema)]
pub struct ProcessClaimCreations {
    /// Process only this creation (an `in-error` one is tried again).
    #[serde(default)]
    pub claim_creation_id: Option<Uuid>,
}

/// Processing totals.
#[derive(Serialize, ToSchema)]
pub struct ProcessReport {
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// Processes the caller's claim creations now instead of after the quiet period: every
/// not-started one, or the one named. The outcome of each is visible on
/// `GET /api/charge_capture_claim_creation/v1/{id}`.
#[utoipa::path(
    post,
    path = "/copay/v1/claim-creations/process",
    tag = "copay",
    request_body(content = Option<ProcessClaimCreations>, content_type = "application/json"),
    security(("candid_bearer" = []), ("decoda_api_key" = [], "decoda_tenant" = [])),
    responses(
        (status = 200, body = ProcessReport),
        (status = 401, description = "No valid credentials"),
        (status = 404, description = "No such claim creation in this tenant"),
        (status = 422, description = "The body is not valid"),
    )
)]
pub async fn process_claim_creations(
    State(state): State<AppState>,
    axum::Extension(tenant): axum::Extension<TenantCtx>,
    body: axum::body::Bytes,
) -> Result<Json<ProcessReport>, DecodaError> {
    let request: ProcessClaimCreations = crate::wire::parse_json(&body, true).map_err(|error| {
        DecodaError::Validation(crate::decoda::error::Location::Body, vec![error])
    })?;
    let report = match request.claim_creation_id {
        Some(id) => {
            let outcome = copay_service::claim_creations::process_by_id(
                &state.store,
                Some(tenant.tenant_id),
                id,
            )
            .await?;
            let mut report = copay_service::claim_creations::ProcessReport::default();
            match outcome {
                copay_service::claim_creations::Outcome::Succeeded => report.succeeded = 1,
                copay_service::claim_creations::Outcome::Failed => report.failed = 1,
                copay_service::claim_creations::Outcome::Skipped => report.skipped = 1,
            }
            report
        }
        None => {
            copay_service::claim_creations::process_pending(&state.store, Some(tenant.tenant_id))
                .await?
        }
    };
    Ok(Json(ProcessReport {
        succeeded: report.succeeded,
        failed: report.failed,
        skipped: report.skipped,
    }))
}
