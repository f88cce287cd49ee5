//! The `API-KEY` + `TENANT` layer on every Decoda route.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::DecodaError;
use crate::AppState;
use crate::credentials::api_key_and_tenant;

pub async fn require_api_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let (api_key, tenant) = api_key_and_tenant(request.headers());
    match state
        .auth
        .verify_api_key(api_key.as_deref(), tenant.as_deref())
        .await
    {
        Ok(tenant) => {
            request.extensions_mut().insert(tenant);
            next.run(request).await
        }
        Err(error) => DecodaError::from(error).into_response(),
    }
}
