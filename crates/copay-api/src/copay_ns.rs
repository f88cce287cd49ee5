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
    OpenApiRouter::new().routes(routes!(whoami))
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
