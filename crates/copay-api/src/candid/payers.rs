//! Payers v3: the installation-wide payer directory (`GET /api/payers/v3/{payer_uuid}` and
//! the list), and the wire shapes other Candid resources share: `Payer` in responses and
//! `PayerIdentifier` in requests.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::payers::{self as service, PayerIdentifier};
use copay_store::payers::PayerRow;

use super::error::CandidError;
use super::extract::CandidTenant;
use crate::AppState;
use crate::query::QueryParams;

/// `StreetAddressLongZip`: every key but `address2` is required by the SDK.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct StreetAddressLongZip {
    pub address1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip_code: String,
    /// Empty when the directory does not know it.
    pub zip_plus_four_code: String,
}

impl StreetAddressLongZip {
    /// The stored address object, with an empty string for any required key it lacks.
    fn from_stored(stored: &Value) -> Option<StreetAddressLongZip> {
        let map = stored.as_object()?;
        let text = |key: &str| {
            map.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        Some(StreetAddressLongZip {
            address1: text("address1"),
            address2: map
                .get("address2")
                .and_then(Value::as_str)
                .map(str::to_string),
            city: text("city"),
            state: text("state"),
            zip_code: text("zip_code"),
            zip_plus_four_code: text("zip_plus_four_code"),
        })
    }
}

/// `Payer` (payers v3), as insurance refunds and write-offs also return it.
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct PayerV3 {
    pub payer_uuid: Uuid,
    /// The primary national payer id.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<StreetAddressLongZip>,
}

impl From<&PayerRow> for PayerV3 {
    fn from(row: &PayerRow) -> Self {
        PayerV3 {
            payer_uuid: row.payer_uuid,
            payer_id: row.payer_id.clone(),
            payer_name: row.payer_name.clone(),
            availity_payer_name: row.availity_payer_name.clone(),
            availity_claims_payer_id: row.availity_claims_payer_id.clone(),
            availity_eligibility_id: row.availity_eligibility_id.clone(),
            availity_remittance_payer_id: row.availity_remittance_payer_id.clone(),
            street_address: row
                .street_address
                .as_ref()
                .and_then(|stored| StreetAddressLongZip::from_stored(&stored.0)),
        }
    }
}

/// `PayerIdentifier` in request bodies: by national payer id and name (`payer_info`; an
/// id the directory lacks is added) or by directory uuid (`payer_uuid`; must exist).
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

/// `PayerPage` (v3).
#[derive(Serialize, ToSchema)]
pub struct PayerPageV3 {
    pub items: Vec<PayerV3>,
    pub next_page_token: Option<String>,
    /// Always null: walk forward with `next_page_token`.
    pub prev_page_token: Option<String>,
}

/// Returns one payer of the directory.
#[utoipa::path(
    get,
    path = "/api/payers/v3/{payer_uuid}",
    tag = "candid: payers",
    params(("payer_uuid" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PayerV3), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get(
    State(state): State<AppState>,
    CandidTenant(_tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<PayerV3>, CandidError> {
    let payer_uuid = Uuid::parse_str(&id).map_err(|_| CandidError::EntityNotFound(id))?;
    let row = service::get(&state.store, payer_uuid).await?;
    Ok(Json(PayerV3::from(&row)))
}

/// Lists the payer directory by name (byte-wise, then uuid), `limit` 1–1000 (default
/// 100). `search_term` keeps payers whose name or payer id contains it, ignoring case.
#[utoipa::path(
    get,
    path = "/api/payers/v3",
    tag = "candid: payers",
    params(
        ("limit" = Option<u32>, Query), ("search_term" = Option<String>, Query),
        ("page_token" = Option<String>, Query),
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PayerPageV3), (status = 422, description = "A parameter is invalid"))
)]
pub async fn get_all(
    State(state): State<AppState>,
    CandidTenant(_tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<PayerPageV3>, CandidError> {
    let query = QueryParams::parse(raw.as_deref());
    let limit = query
        .parsed::<u32>("limit", "a whole number")
        .map_err(CandidError::validation)?
        .unwrap_or(100);
    let search_term = query.string("search_term");
    let page_token = query.string("page_token").filter(|token| !token.is_empty());
    let page = service::list(
        &state.store,
        search_term.as_deref(),
        limit,
        page_token.as_deref(),
    )
    .await?;
    Ok(Json(PayerPageV3 {
        items: page.items.iter().map(PayerV3::from).collect(),
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(street_address: Option<Value>) -> PayerRow {
        let mut row = PayerRow::new("60054", "Aetna", time::OffsetDateTime::UNIX_EPOCH);
        row.street_address = street_address.map(copay_store::Json);
        row
    }

    #[test]
    fn a_payer_without_details_has_only_the_required_keys() {
        let payer = serde_json::to_value(PayerV3::from(&row(None))).unwrap();
        let mut keys: Vec<&str> = payer
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort();
        assert_eq!(keys, ["payer_id", "payer_name", "payer_uuid"]);
    }

    #[test]
    fn a_street_address_always_has_every_required_key() {
        let payer = PayerV3::from(&row(Some(
            json!({"address1": "1 Main St", "city": "Hartford", "state": "CT", "zip_code": "06156"}),
        )));
        assert_eq!(
            serde_json::to_value(payer).unwrap()["street_address"],
            json!({"address1": "1 Main St", "city": "Hartford", "state": "CT", "zip_code": "06156", "zip_plus_four_code": ""})
        );
    }

    #[test]
    fn identifiers_parse_both_variants() {
        let info: PayerIdentifierBody = serde_json::from_value(
            json!({"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"}),
        )
        .unwrap();
        assert_eq!(
            info.into_service(),
            PayerIdentifier::Info {
                payer_id: "60054".into(),
                payer_name: "Aetna".into()
            }
        );
        let uuid = Uuid::now_v7();
        let by_uuid: PayerIdentifierBody =
            serde_json::from_value(json!({"type": "payer_uuid", "value": uuid})).unwrap();
        assert_eq!(by_uuid.into_service(), PayerIdentifier::Uuid(uuid));
        assert!(serde_json::from_value::<PayerIdentifierBody>(json!({"value": uuid})).is_err());
    }
}
