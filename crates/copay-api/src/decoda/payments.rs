//! Gen-2 payments: cash-type settlement, single-charge payments, refunds, and deleting
//! (voiding) payments and charges.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::payment_medium;
use copay_service::refunds::{self, NewRefund, Refund, RefundReason};
use copay_service::settlement::{self as service, Funding, SettledCharge, Settlement};
use copay_service::{charges, voids};

use super::charge_input::ChargeInput;
use super::charge_views::ChargeDetailV2;
use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use super::settlement::{PaymentSummary, required_amount, settled_charges};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp};

fn external_medium(text: &str) -> Result<String, DecodaError> {
    payment_medium::external_settlement(text).map_err(|error| {
        DecodaError::query(FieldError::at(
            &["payment_medium"],
            error.to_string(),
            "value_error",
        ))
    })
}

/// Records `amount` (cents) paid outside copay — cash, check, CareCredit or a custom
/// external medium — for the listed charges (by id, or created first), applied in list
/// order. With `credit_overpayment_amount`, that part of the amount buys patient credit:
/// a credit-purchase charge joins the payment and a new credit is granted to the patient
/// (`patient_id` names the patient when no charge does).
#[utoipa::path(
    post, path = "/billing/payment-terminal/charge/create-cash-settled", tag = "decoda: settlement",
    params(("payment_medium" = String, Query), ("amount" = i64, Query),
           ("credit_overpayment_amount" = Option<i64>, Query), ("patient_id" = Option<String>, Query)),
    request_body = Vec<ChargeInput>,
    responses((status = 200, body = PaymentSummary), (status = 400, description = "Amount not payable"),
              (status = 404, description = "Unknown charge, patient or item"),
              (status = 422, description = "Invalid body or query"))
)]
pub async fn create_cash_settled(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
    DecodaJson(body): DecodaJson<Vec<ChargeInput>>,
) -> Result<Json<PaymentSummary>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let medium = external_medium(&query.string("payment_medium").ok_or_else(|| {
        DecodaError::query(FieldError::at(
            &["payment_medium"],
            "Field required",
            "missing",
        ))
    })?)?;
    let amount = required_amount(&query, "amount")?;
    let credit_overpayment = query
        .parsed::<i64>("credit_overpayment_amount", "a whole number of cents")
        .map_err(DecodaError::query)?
        .unwrap_or(0);
    let patient_id = query
        .string("patient_id")
        .map(|id| DecodaError::existing_id("patient", &id))
        .transpose()?;
    let settlement = Settlement {
        charges: settled_charges(body)?,
        amount: Some(amount),
        funding: Funding::External {
            medium,
            credit_overpayment,
        },
        patient_id,
    };
    let payment = service::settle(&state.store, &tenant, settlement)
        .await
        .map_err(DecodaError::from_query)?;
    Ok(Json(payment.into()))
}

/// The charge a single-charge payment pays: a `ChargeTable` of which only `id` counts
/// (the stored amounts win over the body's).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeReference {
    pub id: String,
}

fn whole_charge(charge: &ChargeReference) -> Result<Vec<SettledCharge>, DecodaError> {
    Ok(vec![SettledCharge::Existing(DecodaError::existing_id(
        "charge", &charge.id,
    )?)])
}

/// Pays everything the charge owes from the patient's credit, oldest credit first.
#[utoipa::path(
    post, path = "/billing/payment/patient-credit/create", tag = "decoda: settlement",
    request_body = ChargeReference,
    responses((status = 200, body = PaymentSummary), (status = 400, description = "Nothing owed or not enough credit"),
              (status = 404, description = "Unknown charge"), (status = 422, description = "Invalid body"))
)]
pub async fn create_patient_credit_payment(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<ChargeReference>,
) -> Result<Json<PaymentSummary>, DecodaError> {
    let settlement = Settlement {
        charges: whole_charge(&body)?,
        amount: None,
        funding: Funding::Credit { credit_ids: None },
        patient_id: None,
    };
    Ok(Json(
        service::settle(&state.store, &tenant, settlement)
            .await?
            .into(),
    ))
}

/// Records everything the charge owes as paid outside copay, in `payment_medium`
/// (default `CASH`).
#[utoipa::path(
    post, path = "/billing/payment/cash/create", tag = "decoda: settlement",
    params(("payment_medium" = Option<String>, Query)),
    request_body = ChargeReference,
    responses((status = 200, body = PaymentSummary), (status = 400, description = "Nothing owed"),
              (status = 404, description = "Unknown charge"), (status = 422, description = "Invalid body or medium"))
)]
pub async fn create_cash_payment(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
    DecodaJson(body): DecodaJson<ChargeReference>,
) -> Result<Json<PaymentSummary>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let medium = external_medium(&query.string("payment_medium").unwrap_or("CASH".into()))?;
    let settlement = Settlement {
        charges: whole_charge(&body)?,
        amount: None,
        funding: Funding::External {
            medium,
            credit_overpayment: 0,
        },
        patient_id: None,
    };
    Ok(Json(
        service::settle(&state.store, &tenant, settlement)
            .await?
            .into(),
    ))
}

/// `RefundCreate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundCreate {
    #[serde(alias = "payment_id")]
    pub payment_id: String,
    #[serde(alias = "provider_id")]
    pub provider_id: String,
    pub amount: i64,
    /// `DUPLICATE`, `DISPUTE`, `BOOKING_FEE` or `OTHER`.
    pub reason: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, alias = "location_id")]
    pub location_id: Option<String>,
    #[serde(default, alias = "restore_inventory")]
    pub restore_inventory: bool,
}

/// `RefundSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RefundSummary {
    pub id: String,
    pub payment_id: String,
    pub amount: i64,
    pub reason: String,
    pub created_date: String,
    pub status: String,
    pub rainforest_refund_id: Option<String>,
    pub fee: i64,
}

impl From<Refund> for RefundSummary {
    fn from(refund: Refund) -> Self {
        RefundSummary {
            id: refund.id.to_string(),
            payment_id: refund.payment_id.to_string(),
            amount: refund.amount,
            reason: refund.reason,
            created_date: format_timestamp(refund.created_at),
            status: refund.status,
            rainforest_refund_id: None,
            fee: 0,
        }
    }
}

/// Gives back `amount` of a payment, taken from its charges in the order it paid them.
/// A credit payment's refund goes back onto the patient's credit as a new credit; a
/// charge whose payments all came back in full reads `REFUNDED`. More than is left of
/// the payment is a 400.
#[utoipa::path(
    post, path = "/billing/payment/refund", tag = "decoda: payments",
    request_body = RefundCreate,
    responses((status = 200, body = RefundSummary), (status = 400, description = "More than is left, or a voided payment"),
              (status = 404, description = "Unknown payment or provider"), (status = 422, description = "Invalid body"))
)]
pub async fn refund(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<RefundCreate>,
) -> Result<Json<RefundSummary>, DecodaError> {
    let reason = RefundReason::parse(&body.reason).ok_or_else(|| {
        DecodaError::body(
            "reason",
            "Input should be 'DUPLICATE', 'DISPUTE', 'BOOKING_FEE' or 'OTHER'",
            "enum",
        )
    })?;
    // Inventory is not tracked by copay, so there is nothing to restore; the flag is
    // accepted as Decoda accepts it.
    let _ = body.restore_inventory;
    let new = NewRefund {
        payment_id: DecodaError::existing_id("payment", &body.payment_id)?,
        provider_id: DecodaError::existing_id("provider", &body.provider_id)?,
        amount: body.amount,
        reason,
        description: body.description,
        location_id: body.location_id,
    };
    Ok(Json(
        refunds::refund(&state.store, &tenant, new).await?.into(),
    ))
}

/// Deletes (voids) a cash, check or patient-credit payment without refunds: the charges
/// it paid owe that money again and drawn credit returns. Card payments cannot be deleted.
#[utoipa::path(
    delete, path = "/billing/payment/{payment_id}", tag = "decoda: payments",
    params(("payment_id" = String, Path)),
    responses((status = 200, body = bool), (status = 400, description = "A card payment, or one with refunds"),
              (status = 404, description = "Unknown payment"))
)]
pub async fn delete_payment(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(payment_id): Path<String>,
) -> Result<Json<bool>, DecodaError> {
    let id: Uuid = DecodaError::existing_id("payment", &payment_id)?;
    voids::delete_payment(&state.store, &tenant, id).await?;
    Ok(Json(true))
}

/// Deletes a charge: it becomes `VOID`, its cash and credit payments are voided (their
/// other charges owe again, credit returns). Refused when a payment on it is a card
/// payment or has refunds.
#[utoipa::path(
    delete, path = "/billing/charge/{charge_id}", tag = "decoda: charges",
    params(("charge_id" = String, Path)),
    responses((status = 200, body = bool), (status = 400, description = "Already void, a card payment, or refunds"),
              (status = 404, description = "Unknown charge"))
)]
pub async fn delete_charge(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(charge_id): Path<String>,
) -> Result<Json<bool>, DecodaError> {
    let id: Uuid = DecodaError::existing_id("charge", &charge_id)?;
    voids::void_charge(&state.store, &tenant, id).await?;
    Ok(Json(true))
}

/// Closes $0 charges without taking a payment: charges without an `id` are created first
/// (with the create rules); every charge must owe nothing (400 otherwise), and one still
/// `OUTSTANDING` becomes `PAID`. Answers the charges as they now stand.
#[utoipa::path(
    post, path = "/billing/payment-terminal/mark-no-charge", tag = "decoda: settlement",
    request_body = Vec<ChargeInput>,
    responses((status = 200, body = Vec<ChargeDetailV2>), (status = 400, description = "A charge owes something"),
              (status = 404, description = "Unknown charge, patient or item"),
              (status = 422, description = "Invalid body"))
)]
pub async fn mark_no_charge(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<Vec<ChargeInput>>,
) -> Result<Json<Vec<ChargeDetailV2>>, DecodaError> {
    let ids = service::mark_no_charge(&state.store, &tenant, settled_charges(body)?).await?;
    let mut closed = Vec::with_capacity(ids.len());
    for id in ids {
        closed.push(charges::get(&state.store, &tenant, id).await?.into());
    }
    Ok(Json(closed))
}
