use copay_store::StoreError;

/// Why a use case did not happen. Each dialect maps these to its own envelope.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A named input is invalid; `field` is the path a client would fix.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The referenced entity does not exist in this tenant.
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    /// A client-chosen external id is already used by another record of this tenant.
    #[error("{entity} with external id {external_id:?} already exists")]
    DuplicateExternalId {
        entity: &'static str,
        external_id: String,
    },
    /// A unique key is already taken.
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but breaks a business rule.
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
