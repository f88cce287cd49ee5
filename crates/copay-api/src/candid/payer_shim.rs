//! shim until payers branch lands: the payer wire shapes write-offs need, in one place.
//!
//! Once `candid/payers.rs` (payer directory branch) is merged, replace this whole file
//! with:
//!
//! ```ignore
//! pub use super::payers::{PayerIdentifierBody, PayerV3};
//!
//! pub async fn payer_views(
//!     store: &copay_store::Store,
//!     uuids: &[uuid::Uuid],
//! ) -> Result<std::collections::HashMap<uuid::Uuid, PayerV3>, super::error::CandidError> {
//!     Ok(copay_service::payers::get_many(store, uuids)
//!         .await?
//!         .iter()
//!         .map(|(uuid, row)| (*uuid, PayerV3::from(row)))
//!         .collect())
//! }
//!
//! /// A payer the directory lacks: it never deletes one, so only a corrupt row needs this.
//! pub fn missing_payer(payer_uuid: uuid::Uuid) -> PayerV3 {
//!     PayerV3 {
//!         payer_uuid,
//!         payer_id: String::new(),
//!         payer_name: String::new(),
//!         availity_payer_name: None,
//!         availity_claims_payer_id: None,
//!         availity_eligibility_id: None,
//!         availity_remittance_payer_id: None,
//!         street_address: None,
//!     }
//! }
//! ```

use std::collections::HashMap;

use copay_service::payers::PayerIdentifier;
use copay_store::Store;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::CandidError;

/// `Payer` (payers v3). shim until payers branch lands.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct PayerV3 {
    pub payer_uuid: Uuid,
    pub payer_id: String,
    pub payer_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availity_payer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availity_claims_payer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availity_eligibility_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availity_remittance_payer_id: Option<String>,
}

/// `PayerIdentifier` in request bodies. shim until payers branch lands.
#[derive(Deserialize, ToSchema, Debug, Clone, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PayerIdentifierBody {
    PayerInfo {
        payer_id: String,
        payer_name: String,
    },
    PayerUuid {
        value: Uuid,
    },
}

impl PayerIdentifierBody {
    pub fn into_service(self) -> PayerIdentifier {
        match self {
            PayerIdentifierBody::PayerInfo {
                payer_id,
                payer_name,
            } => PayerIdentifier::Info {
                payer_id,
                payer_name,
            },
            PayerIdentifierBody::PayerUuid { value } => PayerIdentifier::Uuid(value),
        }
    }
}

/// The directory entries of these payers, by uuid. shim until payers branch lands: the
/// stub directory has no entries.
pub async fn payer_views(
    _store: &Store,
    _uuids: &[Uuid],
) -> Result<HashMap<Uuid, PayerV3>, CandidError> {
    Ok(HashMap::new())
}

/// A payer the directory lacks: it never deletes one, so only a corrupt row needs this.
/// shim until payers branch lands.
pub fn missing_payer(payer_uuid: Uuid) -> PayerV3 {
    PayerV3 {
        payer_uuid,
        payer_id: String::new(),
        payer_name: String::new(),
        availity_payer_name: None,
        availity_claims_payer_id: None,
        availity_eligibility_id: None,
        availity_remittance_payer_id: None,
    }
}
