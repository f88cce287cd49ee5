//! Reading credentials out of request headers, shared by every auth layer.

use axum::http::{HeaderMap, header};

/// The token of `Authorization: Bearer <token>` (scheme matched case-insensitively).
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Decoda's `API-KEY` and `TENANT` header values, trimmed.
pub fn api_key_and_tenant(headers: &HeaderMap) -> (Option<String>, Option<String>) {
    let read = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_owned())
    };
    (read("api-key"), read("tenant"))
}
