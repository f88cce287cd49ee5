//! Decoda's (FastAPI's) error bodies.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use copay_service::{AuthError, ServiceError};

use crate::wire::{FieldError, PathSegment};

/// Where a validation error sits, FastAPI-style: `body`, `query`, `path` or `header`.
#[derive(Debug, Clone, Copy)]
pub enum Location {
    Body,
    Query,
    Path,
    Header,
}

impl Location {
    fn as_str(self) -> &'static str {
        match self {
            Location::Body => "body",
            Location::Query => "query",
            Location::Path => "path",
            Location::Header => "header",
        }
    }
}

#[derive(Debug)]
pub enum DecodaError {
    /// 422 `{"detail": [{"loc", "msg", "type"}]}`
    Validation(Location, Vec<FieldError>),
    /// Any other failure: `{"detail": "<message>"}`.
    Status(StatusCode, String),
}

impl DecodaError {
    pub fn not_found(what: &str) -> DecodaError {
        DecodaError::Status(StatusCode::NOT_FOUND, format!("{what} not found"))
    }

    /// A 422 naming one top-level body field.
    pub fn body(field: &str, message: impl Into<String>, kind: &'static str) -> DecodaError {
        DecodaError::Validation(
            Location::Body,
            vec![FieldError::at(&[field], message, kind)],
        )
    }

    /// The id a caller chose for a new `entity` (a UUID: copay's ids are), or none.
    pub fn chosen_id(
        entity: &str,
        id: &Option<Option<String>>,
    ) -> Result<Option<uuid::Uuid>, DecodaError> {
        match id {
            Some(Some(id)) => uuid::Uuid::parse_str(id).map(Some).map_err(|_| {
                DecodaError::body(
                    "id",
                    format!("copay {entity} ids are UUIDs"),
                    "uuid_parsing",
                )
            }),
            _ => Ok(None),
        }
    }

    /// `<entity> <id> not found`, for an id the caller gave.
    pub fn not_found_id(entity: &str, id: &str) -> DecodaError {
        DecodaError::Status(StatusCode::NOT_FOUND, format!("{entity} {id} not found"))
    }

    /// The copay id (a UUID) of an existing `entity` the caller named; anything else
    /// names nothing here, so it is that entity's 404.
    pub fn existing_id(entity: &str, id: &str) -> Result<uuid::Uuid, DecodaError> {
        uuid::Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id(entity, id))
    }

    /// A bad query parameter.
    pub fn query(error: FieldError) -> DecodaError {
        DecodaError::Validation(Location::Query, vec![error])
    }

    /// A service error of a request whose inputs are query parameters: an invalid input
    /// is located in the query rather than the body.
    pub fn from_query(error: ServiceError) -> DecodaError {
        match error {
            ServiceError::Invalid { field, message } => {
                DecodaError::query(FieldError::at_dotted(&field, message, "value_error"))
            }
            other => other.into(),
        }
    }

    pub fn into_response_inner(self) -> Response {
        match self {
            DecodaError::Validation(location, errors) => {
                let detail: Vec<Value> = errors
                    .iter()
                    .map(|error| {
                        let mut loc = vec![Value::from(location.as_str())];
                        loc.extend(error.path.iter().map(|segment| match segment {
                            PathSegment::Key(key) => Value::from(key.as_str()),
                            PathSegment::Index(index) => Value::from(*index),
                        }));
                        json!({ "loc": loc, "msg": error.message, "type": error.kind })
                    })
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({ "detail": detail })),
                )
                    .into_response()
            }
            DecodaError::Status(status, message) => {
                (status, Json(json!({ "detail": message }))).into_response()
            }
        }
    }
}

impl IntoResponse for DecodaError {
    fn into_response(self) -> Response {
        self.into_response_inner()
    }
}

impl From<AuthError> for DecodaError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing => DecodaError::Status(
                StatusCode::UNAUTHORIZED,
                "the API-KEY and TENANT headers are required".into(),
            ),
            AuthError::Invalid | AuthError::Expired => {
                DecodaError::Status(StatusCode::UNAUTHORIZED, "invalid API key".into())
            }
            AuthError::WrongTenant => DecodaError::Status(
                StatusCode::FORBIDDEN,
                "this API key may not act for that tenant".into(),
            ),
            AuthError::Store(error) => {
                tracing::error!(%error, "store failure during authentication");
                DecodaError::Status(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}

impl From<ServiceError> for DecodaError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid { field, message } => DecodaError::Validation(
                Location::Body,
                vec![FieldError::at_dotted(&field, message, "value_error")],
            ),
            ServiceError::NotFound { entity, id } => DecodaError::not_found_id(entity, &id),
            ServiceError::Conflict(message) => DecodaError::Status(StatusCode::CONFLICT, message),
            duplicate @ ServiceError::DuplicateExternalId { .. } => {
                DecodaError::Status(StatusCode::CONFLICT, duplicate.to_string())
            }
            ServiceError::Unprocessable(message) => {
                DecodaError::Status(StatusCode::BAD_REQUEST, message)
            }
            ServiceError::Store(error) if error.is_unstorable_text() => DecodaError::Validation(
                Location::Body,
                vec![FieldError::at(
                    &[],
                    "text must not contain NUL characters",
                    "string_type",
                )],
            ),
            ServiceError::Store(error) => {
                tracing::error!(%error, "store failure");
                DecodaError::Status(StatusCode::INTERNAL_SERVER_ERROR, "internal error".into())
            }
        }
    }
}
