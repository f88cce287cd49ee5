//! Candid's error envelope: `{"errorName": "<Name>", "content": <shape>}` with the
//! status the SDK's exception class carries.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use copay_service::{AuthError, ServiceError};

use crate::wire::FieldError;

#[derive(Debug)]
pub enum CandidError {
    /// Missing, malformed, expired or foreign credentials. Sent as HTTP 401 (what HTTP
    /// clients expect for bad credentials) with the `UnauthorizedError` envelope, so the
    /// SDK raises its `UnauthorizedError` on every endpoint that lists it.
    Unauthorized(String),
    EntityNotFound(String),
    /// `HttpRequestValidationsError`: the content is a JSON array of field errors.
    Validations(Vec<FieldError>),
    Unprocessable(String),
    ChargeExternalIdConflict(String),
    InvalidContentType(String),
    /// A named error for a status raised outside a handler (route, limit, timeout).
    Generic {
        status: StatusCode,
        name: &'static str,
        message: String,
    },
    /// A named error whose content has its own shape.
    Named {
        status: StatusCode,
        name: &'static str,
        content: Value,
    },
    Internal,
}

impl CandidError {
    pub fn for_status(status: StatusCode, message: &str) -> CandidError {
        let name = match status {
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::METHOD_NOT_ALLOWED => "MethodNotAllowedError",
            StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeError",
            StatusCode::REQUEST_TIMEOUT => "RequestTimeoutError",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "InvalidContentTypeError",
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => "UnauthorizedError",
            StatusCode::UNPROCESSABLE_ENTITY => "UnprocessableEntityError",
            StatusCode::CONFLICT => "ConflictError",
            _ if status.is_server_error() => return CandidError::Internal,
            _ => "BadRequestError",
        };
        CandidError::Generic {
            status,
            name,
            message: message.to_string(),
        }
    }

    pub fn validation(error: FieldError) -> CandidError {
        CandidError::Validations(vec![error])
    }

    fn parts(&self) -> (StatusCode, &'static str, Value) {
        match self {
            CandidError::Unauthorized(message) => (
                StatusCode::UNAUTHORIZED,
                "UnauthorizedError",
                json!({ "message": message }),
            ),
            CandidError::EntityNotFound(id) => (
                StatusCode::NOT_FOUND,
                "EntityNotFoundError",
                json!({ "id": id }),
            ),
            CandidError::Validations(errors) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "HttpRequestValidationsError",
                Value::Array(
                    errors
                        .iter()
                        .map(|error| {
                            let field = error.dotted_path();
                            json!({
                                "fieldName": if field.is_empty() { "body".to_string() } else { field },
                                "humanReadableMessage": error.message,
                            })
                        })
                        .collect(),
                ),
            ),
            CandidError::Unprocessable(message) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "UnprocessableEntityError",
                json!({ "message": message }),
            ),
            CandidError::ChargeExternalIdConflict(message) => (
                StatusCode::CONFLICT,
                "ChargeExternalIdConflictError",
                json!({ "message": message }),
            ),
            CandidError::InvalidContentType(message) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "InvalidContentTypeError",
                json!({ "message": message }),
            ),
            CandidError::Generic {
                status,
                name,
                message,
            } => (*status, name, json!({ "message": message })),
            CandidError::Named {
                status,
                name,
                content,
            } => (*status, name, content.clone()),
            CandidError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                json!({ "message": "internal error" }),
            ),
        }
    }

    pub fn into_response_with_status(self) -> Response {
        let unauthorized = matches!(self, CandidError::Unauthorized(_));
        let (status, name, content) = self.parts();
        let mut response = (
            status,
            Json(json!({ "errorName": name, "content": content })),
        )
            .into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for CandidError {
    fn into_response(self) -> Response {
        self.into_response_with_status()
    }
}

impl From<AuthError> for CandidError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Missing => CandidError::Unauthorized("missing bearer token".into()),
            AuthError::Expired => CandidError::Unauthorized("the bearer token has expired".into()),
            AuthError::Invalid | AuthError::WrongTenant => {
                CandidError::Unauthorized("invalid credentials".into())
            }
            AuthError::Store(error) => {
                tracing::error!(%error, "store failure during authentication");
                CandidError::Internal
            }
        }
    }
}

impl From<ServiceError> for CandidError {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid { field, message } => {
                CandidError::validation(FieldError::at(&[field.as_str()], message, "value_error"))
            }
            ServiceError::NotFound { id, .. } => CandidError::EntityNotFound(id),
            ServiceError::DuplicateExternalId {
                entity,
                external_id,
            } => CandidError::Generic {
                status: StatusCode::CONFLICT,
                name: "EntityConflictError",
                message: format!("{entity} with external id {external_id:?} already exists"),
            },
            ServiceError::Conflict(message) => CandidError::Generic {
                status: StatusCode::CONFLICT,
                name: "EntityConflictError",
                message,
            },
            ServiceError::Unprocessable(message) => CandidError::Unprocessable(message),
            ServiceError::Store(error) if error.is_unstorable_text() => CandidError::validation(
                FieldError::at(&[], "text must not contain NUL characters", "string_type"),
            ),
            ServiceError::Store(error) => {
                tracing::error!(%error, "store failure");
                CandidError::Internal
            }
        }
    }
}
