//! Request extractors for the Decoda dialect.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use copay_service::TenantCtx;

use super::error::{DecodaError, Location};
use crate::wire::parse_json;

/// A JSON body whose errors come back as FastAPI's 422 with `loc` starting at `body`.
pub struct DecodaJson<T>(pub T);

impl<S, T> FromRequest<S> for DecodaJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = DecodaError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    DecodaError::Status(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "request body is too large".into(),
                    )
                } else {
                    DecodaError::Status(
                        StatusCode::BAD_REQUEST,
                        "could not read the request body".into(),
                    )
                }
            })?;
        parse_json(&bytes, false)
            .map(DecodaJson)
            .map_err(|error| DecodaError::Validation(Location::Body, vec![error]))
    }
}

/// The tenant named by `TENANT` and proven by `API-KEY`, put in place by the auth layer.
pub struct DecodaTenant(pub TenantCtx);

impl<S: Send + Sync> FromRequestParts<S> for DecodaTenant {
    type Rejection = DecodaError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<TenantCtx>()
            .cloned()
            .map(DecodaTenant)
            .ok_or_else(|| {
                DecodaError::Status(
                    StatusCode::UNAUTHORIZED,
                    "the API-KEY and TENANT headers are required".into(),
                )
            })
    }
}
