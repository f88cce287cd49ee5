//! Which vendor dialect a path belongs to, so that errors raised before any handler
//! runs (unknown route, body too large, timeout, panic) still come back in the envelope
//! that client expects.

use axum::http::StatusCode;
use axum::response::Response;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `/api/...`: Candid's `{"errorName", "content"}`.
    Candid,
    /// Everything else, including copay's own `/copay/...`: FastAPI's `{"detail"}`.
    Decoda,
}

impl Dialect {
    pub fn of_path(path: &str) -> Dialect {
        if path == "/api" || path.starts_with("/api/") {
            Dialect::Candid
        } else {
            Dialect::Decoda
        }
    }

    /// The dialect's error body for a bare status produced outside any handler.
    pub fn error_for_status(self, status: StatusCode) -> Response {
        let message = match status {
            StatusCode::NOT_FOUND => "no such endpoint",
            StatusCode::METHOD_NOT_ALLOWED => "method not allowed on this endpoint",
            StatusCode::PAYLOAD_TOO_LARGE => "request body is too large",
            StatusCode::REQUEST_TIMEOUT => "request timed out",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
            _ if status.is_server_error() => "internal error",
            _ => status.canonical_reason().unwrap_or("request failed"),
        };
        match self {
            Dialect::Candid => crate::candid::error::CandidError::for_status(status, message)
                .into_response_with_status(),
            Dialect::Decoda => {
                crate::decoda::error::DecodaError::Status(status, message.to_string())
                    .into_response_inner()
            }
        }
    }
}
