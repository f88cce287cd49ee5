//! The `API-KEY` + `TENANT` layer on every Decoda route.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::DecodaError;
use crate::AppState;

pub async fn require_api_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Read both headers before any await: a `&Request` held across it is not `Send`.
    let (api_key, tenant) = {
        let header = |name: &str| {
            request
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .map(str::to_owned)
        };
        (header("api-key"), header("tenant"))
    };
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
