//! `Idempotency-Key` on POST/PUT/PATCH/DELETE, with Stripe's semantics: the same key and
//! the same request replay the stored response (`Idempotent-Replayed: true`); the same key
//! with a different request is refused; a key whose first request is still running is a
//! 409. Keys are per tenant, so this layer sits inside the auth layers.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use copay_service::TenantCtx;
use copay_service::idempotency::{self, Claim, SavedResponse};

use crate::AppState;
use crate::candid::error::CandidError;
use crate::decoda::error::DecodaError;
use crate::dialect::Dialect;

const HEADER: &str = "idempotency-key";
/// Responses larger than this are not stored; the key is released instead.
const MAX_STORED_RESPONSE: usize = 4 * 1024 * 1024;

fn error(dialect: Dialect, status: StatusCode, message: &str) -> Response {
    match dialect {
        Dialect::Candid => CandidError::for_status(status, message).into_response(),
        Dialect::Decoda => DecodaError::Status(status, message.to_string()).into_response(),
    }
}

pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mutating = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    let key = request.headers().get(HEADER).cloned();
    let (Some(key), true) = (key, mutating) else {
        return next.run(request).await;
    };
    let dialect = Dialect::of_path(request.uri().path());
    let Some(tenant) = request.extensions().get::<TenantCtx>().cloned() else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= idempotency::MAX_KEY_LEN => key.to_owned(),
        _ => {
            return error(
                dialect,
                StatusCode::BAD_REQUEST,
                "Idempotency-Key must be 1-255 visible ASCII characters",
            );
        }
    };

    let (parts, body) = request.into_parts();
    let bytes = match to_bytes(body, state.config.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return error(
                dialect,
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body is too large",
            );
        }
    };
    let path = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/");
    let fingerprint = idempotency::request_fingerprint(parts.method.as_str(), path, &bytes);

    match idempotency::claim(&state.store, tenant.tenant_id, &key, &fingerprint).await {
        Ok(Claim::Claimed) => {}
        Ok(Claim::Completed(saved)) => return replay(saved),
        Ok(Claim::Mismatch) => {
            return error(
                dialect,
                StatusCode::UNPROCESSABLE_ENTITY,
                "this Idempotency-Key was already used with a different request",
            );
        }
        Ok(Claim::InProgress) => {
            return error(
                dialect,
                StatusCode::CONFLICT,
                "a request with this Idempotency-Key is still being processed",
            );
        }
        Err(failure) => {
            tracing::error!(error = %failure, "idempotency claim failed");
            return error(dialect, StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    }

    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    // A server error means the use case's transaction rolled back: let the client retry.
    if response.status().is_server_error() {
        if let Err(failure) = idempotency::release(&state.store, tenant.tenant_id, &key).await {
            tracing::error!(error = %failure, "idempotency release failed");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(body) => body,
        Err(_) => {
            let _ = idempotency::release(&state.store, tenant.tenant_id, &key).await;
            return error(
                dialect,
                StatusCode::INTERNAL_SERVER_ERROR,
                "response too large to store",
            );
        }
    };
    let saved = SavedResponse {
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned),
        body: body.to_vec(),
    };
    if let Err(failure) = idempotency::complete(&state.store, tenant.tenant_id, &key, &saved).await
    {
        tracing::error!(error = %failure, "idempotency completion failed");
    }
    Response::from_parts(parts, Body::from(body))
}

fn replay(saved: SavedResponse) -> Response {
    let status = StatusCode::from_u16(saved.status).unwrap_or(StatusCode::OK);
    let mut response = (status, saved.body).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(content_type) = saved
        .content_type
        .and_then(|ct| HeaderValue::from_str(&ct).ok())
    {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
