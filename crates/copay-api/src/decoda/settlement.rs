//! Settling charges, Gen-2 `/billing/payment-terminal/charge/...`.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::settlement::{self as service, Funding, Payment, SettledCharge, Settlement};

use super::charge_input::{ChargeInput, new_charge};
use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp};

/// `PaymentSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentSummary {
    pub id: String,
    pub patient_id: Option<String>,
    pub payin_id: Option<String>,
    pub amount: i64,
    pub status: String,
    pub currency: String,
    pub payin_config_id: Option<String>,
    pub payment_medium: String,
    pub payment_method_id: Option<String>,
    pub stripe_payment_intent_id: Option<String>,
    pub failed_reason: Option<String>,
    pub updated_date: Option<String>,
    pub created_date: String,
    pub fee: i64,
    pub fee_to_patient: i64,
}

impl From<Payment> for PaymentSummary {
    fn from(payment: Payment) -> Self {
        PaymentSummary {
            id: payment.id.to_string(),
            patient_id: Some(payment.patient_id.to_string()),
            payin_id: None,
            amount: payment.amount,
            status: payment.status,
            currency: "USD".to_string(),
            payin_config_id: None,
            payment_medium: payment.medium,
            payment_method_id: None,
            stripe_payment_intent_id: None,
            failed_reason: None,
            updated_date: Some(format_timestamp(payment.updated_at)),
            created_date: format_timestamp(payment.created_at),
            fee: payment.fee,
            fee_to_patient: 0,
        }
    }
}

/// A body charge as what to settle: by id (its stored amounts count), or to create.
fn settled_charge(index: usize, charge: ChargeInput) -> Result<SettledCharge, DecodaError> {
    if let Some(id) = charge.id {
        return Uuid::parse_str(&id)
            .map(SettledCharge::Existing)
            .map_err(|_| DecodaError::not_found_id("charge", &id));
    }
    let new = new_charge(&format!("{index}."), charge)?;
    Ok(SettledCharge::New(Box::new(new)))
}

/// A required whole number of cents in the query.
pub(super) fn required_amount(query: &QueryParams, key: &str) -> Result<i64, DecodaError> {
    query
        .parsed::<i64>(key, "a whole number of cents")
        .map_err(DecodaError::query)?
        .ok_or_else(|| DecodaError::query(FieldError::at(&[key], "Field required", "missing")))
}

/// The body charges of a settlement, each by id or to create.
pub(super) fn settled_charges(body: Vec<ChargeInput>) -> Result<Vec<SettledCharge>, DecodaError> {
    if body.len() > super::charges::MAX_CHARGE_LINES {
        return Err(DecodaError::Validation(
            Location::Body,
            vec![FieldError::at(
                &[],
                "at most 500 charges in one settlement",
                "too_long",
            )],
        ));
    }
    body.into_iter()
        .enumerate()
        .map(|(index, charge)| settled_charge(index, charge))
        .collect()
}

/// Pays `amount` (cents, query) of the listed charges from the patient's credit. Charges
/// with an `id` are loaded (their stored amounts count, the body's are ignored); charges
/// without one are created first. All must belong to one patient. The amount is applied
/// in list order, each charge taking what it owes until the amount is used up; credits
/// are drawn in `credit_ids` order, else oldest first, skipping expired and used-up ones.
/// An amount above what the charges owe or the credit available is a 400.
#[utoipa::path(
    post, path = "/billing/payment-terminal/charge/create-patient-credit-settled", tag = "decoda: settlement",
    params(("amount" = i64, Query), ("credit_ids" = Option<Vec<String>>, Query)),
    request_body = Vec<ChargeInput>,
    responses((status = 200, body = PaymentSummary), (status = 400, description = "Amount not payable"),
              (status = 404, description = "Unknown charge, patient, item or credit"),
              (status = 422, description = "Invalid body or query"))
)]
pub async fn create_patient_credit_settled(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
    DecodaJson(body): DecodaJson<Vec<ChargeInput>>,
) -> Result<Json<PaymentSummary>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let amount = required_amount(&query, "amount")?;
    let credit_ids = query.strings("credit_ids");
    let credit_ids = if credit_ids.is_empty() {
        None
    } else {
        Some(
            credit_ids
                .iter()
                .map(|id| {
                    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id("patient credit", id))
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let charges = settled_charges(body)?;
    let settlement = Settlement {
        charges,
        amount: Some(amount),
        funding: Funding::Credit { credit_ids },
        patient_id: None,
    };
    let payment = service::settle(&state.store, &tenant, settlement).await?;
    Ok(Json(payment.into()))
}
