//! Request extractors for the Candid dialect.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use copay_service::TenantCtx;

use super::error::CandidError;
use crate::wire::parse_json;

/// A JSON body whose errors come back as `HttpRequestValidationsError` with field names.
/// A missing body reads as `{}`: the SDK sends none for a PATCH with nothing to change.
pub struct CandidJson<T>(pub T);

impl<S, T> FromRequest<S> for CandidJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = CandidError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(content_type) = request.headers().get(header::CONTENT_TYPE) {
            let is_json = content_type
                .to_str()
                .map(|value| {
                    value
                        .trim_start()
                        .to_ascii_lowercase()
                        .starts_with("application/json")
                })
                .unwrap_or(false);
            if !is_json {
                return Err(CandidError::InvalidContentType(
                    "request bodies must be application/json".into(),
                ));
            }
        }
        let bytes = read_body(request, state).await?;
        parse_json(&bytes, true)
            .map(CandidJson)
            .map_err(CandidError::validation)
    }
}

pub(crate) async fn read_body<S: Send + Sync>(
    request: Request,
    state: &S,
) -> Result<Bytes, CandidError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            let status = rejection.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                CandidError::for_status(status, "request body is too large")
            } else {
                CandidError::for_status(StatusCode::BAD_REQUEST, "could not read the request body")
            }
        })
}

/// The tenant of the bearer token, put in place by the auth layer.
pub struct CandidTenant(pub TenantCtx);

impl<S: Send + Sync> FromRequestParts<S> for CandidTenant {
    type Rejection = CandidError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<TenantCtx>()
            .cloned()
            .map(CandidTenant)
            .ok_or_else(|| CandidError::Unauthorized("missing bearer token".into()))
    }
}
