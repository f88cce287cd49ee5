//! `POST /api/auth/v2/token` and the bearer-token layer on `/api/*`.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::CandidError;
use super::extract::read_body;
use crate::AppState;
use crate::credentials::bearer_token;
use crate::wire::{FieldError, parse_json};

/// Client credentials, as JSON or as a form.
#[derive(Deserialize, ToSchema)]
pub struct AuthGetTokenRequest {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuthGetTokenResponse {
    pub access_token: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Always `Bearer`.
    pub token_type: String,
}

/// Exchanges client credentials for a bearer token (OAuth client-credentials).
#[utoipa::path(
    post,
    path = "/api/auth/v2/token",
    tag = "candid: auth",
    request_body(content = AuthGetTokenRequest, content_type = "application/json"),
    responses(
        (status = 200, body = AuthGetTokenResponse),
        (status = 401, description = "Unknown client or wrong secret (`UnauthorizedError`)"),
        (status = 415, description = "Neither JSON nor a form (`InvalidContentTypeError`)"),
        (status = 422, description = "Missing field (`HttpRequestValidationsError`)"),
    )
)]
pub async fn get_token(
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<AuthGetTokenResponse>, CandidError> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.trim().to_ascii_lowercase());
    let body = read_body(request, &()).await?;
    let credentials: AuthGetTokenRequest = match content_type.as_deref() {
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded") => {
            serde_urlencoded::from_bytes(&body).map_err(|error| {
                CandidError::validation(FieldError::at(&[], error.to_string(), "value_error"))
            })?
        }
        None => parse_json(&body, false).map_err(CandidError::validation)?,
        Some(ct) if ct.starts_with("application/json") => {
            parse_json(&body, false).map_err(CandidError::validation)?
        }
        Some(_) => {
            return Err(CandidError::InvalidContentType(
                "send application/json or application/x-www-form-urlencoded".into(),
            ));
        }
    };
    let token = state
        .auth
        .issue_token(&credentials.client_id, &credentials.client_secret)
        .await?;
    Ok(Json(AuthGetTokenResponse {
        access_token: token.access_token,
        expires_in: token.expires_in,
        token_type: "Bearer".into(),
    }))
}

/// Requires `Authorization: Bearer <token>` and puts the token's tenant on the request.
pub async fn require_bearer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let token = bearer_token(request.headers());
    let Some(token) = token else {
        return CandidError::Unauthorized("missing bearer token".into()).into_response();
    };
    match state.auth.verify_bearer(&token) {
        Ok(tenant) => {
            request.extensions_mut().insert(tenant);
            next.run(request).await
        }
        Err(error) => CandidError::from(error).into_response(),
    }
}
