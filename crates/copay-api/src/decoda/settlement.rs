//! Settling charges, Gen-2 `/billing/payment-terminal/charge/...`.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::pricing::Percent;
use copay_service::charges::{LineItem, NewCharge, NewChargeLine};
use copay_service::settlement::{self as service, Funding, Payment, SettledCharge, Settlement};

use super::charges::ChargeStatusWire;
use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp};

/// Gen-2 `ChargeItem` (as sent inside a charge to create).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItemInput {
    pub quantity: i64,
    /// Unit price in cents.
    pub price: i64,
    #[serde(default, alias = "item_id")]
    pub item_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, alias = "discount_amount")]
    pub discount_amount: Option<i64>,
    #[serde(default, alias = "discount_percentage")]
    pub discount_percentage: Option<f64>,
    #[serde(default, alias = "tax_amount")]
    pub tax_amount: Option<i64>,
}

/// Gen-2 `ChargeDetail` (input): an existing charge by `id`, or one to create.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeInput {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(alias = "patient_id")]
    pub patient_id: String,
    #[serde(alias = "total_outstanding")]
    pub total_outstanding: i64,
    #[serde(default)]
    pub total: Option<i64>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<ChargeStatusWire>,
    #[serde(default, alias = "discount_amount")]
    pub discount_amount: Option<i64>,
    #[serde(default, alias = "discount_percentage")]
    pub discount_percentage: Option<f64>,
    #[serde(default, alias = "external_id")]
    pub external_id: Option<String>,
    #[serde(default, alias = "external_created_date")]
    pub external_created_date: Option<String>,
    #[serde(default, alias = "rule_set_id")]
    pub rule_set_id: Option<String>,
    #[serde(default)]
    pub items: Option<Vec<ChargeItemInput>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub tips: Option<Vec<Value>>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Map<String, Value>>,
    #[serde(default, alias = "creator_id")]
    pub creator_id: Option<String>,
    #[serde(default, alias = "location_id")]
    pub location_id: Option<String>,
    #[serde(default, alias = "event_id")]
    pub event_id: Option<String>,
    #[serde(default, alias = "member_id")]
    pub member_id: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default, alias = "merchant_account_id")]
    pub merchant_account_id: Option<String>,
}

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

fn at(index: usize, field: &str) -> String {
    format!("{index}.{field}")
}

fn invalid(path: String, message: impl Into<String>) -> DecodaError {
    DecodaError::Validation(
        Location::Body,
        vec![FieldError::at_dotted(&path, message, "value_error")],
    )
}

fn percent(path: String, value: Option<f64>) -> Result<Percent, DecodaError> {
    Percent::from_f64(value.unwrap_or(0.0)).map_err(|error| invalid(path, error.to_string()))
}

/// A body charge as what to settle: by id (its stored amounts count), or to create.
fn settled_charge(index: usize, charge: ChargeInput) -> Result<SettledCharge, DecodaError> {
    if let Some(id) = charge.id {
        return Uuid::parse_str(&id)
            .map(SettledCharge::Existing)
            .map_err(|_| DecodaError::not_found_id("charge", &id));
    }
    let patient_id = Uuid::parse_str(&charge.patient_id)
        .map_err(|_| DecodaError::not_found_id("patient", &charge.patient_id))?;
    if charge.tips.as_ref().is_some_and(|tips| !tips.is_empty()) {
        return Err(invalid(
            at(index, "tips"),
            "tips on a new charge are not supported yet",
        ));
    }
    let items = charge.items.unwrap_or_default();
    if items.len() > super::charges::MAX_CHARGE_LINES {
        return Err(invalid(
            at(index, "items"),
            format!("at most {} lines", super::charges::MAX_CHARGE_LINES),
        ));
    }
    let mut lines = Vec::with_capacity(items.len());
    for (line_index, item) in items.into_iter().enumerate() {
        let path = |field: &str| format!("{index}.items[{line_index}].{field}");
        let item_id = item
            .item_id
            .map(|id| Uuid::parse_str(&id).map_err(|_| DecodaError::not_found_id("item", &id)))
            .transpose()?;
        if item.price < 0 {
            return Err(invalid(path("price"), "must not be negative"));
        }
        lines.push(NewChargeLine {
            item: LineItem::Priced {
                item_id,
                name: item.name,
                unit_price: item.price,
            },
            quantity: item.quantity,
            discount_amount: item.discount_amount.unwrap_or(0),
            discount_percentage: percent(path("discountPercentage"), item.discount_percentage)?,
            tax_amount: item.tax_amount.unwrap_or(0),
        });
    }
    // Without lines the charge is its stated total; with lines, a stated total must match.
    let total = charge.total.unwrap_or(0);
    let (custom_amount, stated_total) = if lines.is_empty() {
        (total, None)
    } else {
        (0, (total != 0).then_some(total))
    };
    let external_created_date = charge
        .external_created_date
        .map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                invalid(
                    at(index, "externalCreatedDate"),
                    "is not a date-time (RFC 3339)",
                )
            })
        })
        .transpose()?;
    let mut attributes = Map::new();
    for (key, value) in [
        ("creator_id", charge.creator_id),
        ("location_id", charge.location_id),
        ("event_id", charge.event_id),
        ("member_id", charge.member_id),
        ("comment", charge.comment),
        ("merchant_account_id", charge.merchant_account_id),
    ] {
        if let Some(value) = value {
            attributes.insert(key.to_string(), Value::String(value));
        }
    }
    Ok(SettledCharge::New(Box::new(NewCharge {
        patient_id,
        total_outstanding: charge.total_outstanding,
        custom_amount,
        lines,
        discount_amount: charge.discount_amount.unwrap_or(0),
        discount_percentage: percent(at(index, "discountPercentage"), charge.discount_percentage)?,
        status: charge.status.map(Into::into),
        description: charge.description,
        external_id: charge.external_id,
        external_created_date,
        rule_set_id: charge.rule_set_id,
        meta: charge.meta.map(Value::Object),
        attributes,
        stated_total,
    })))
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
    let amount = query
        .parsed::<i64>("amount", "a whole number of cents")
        .map_err(DecodaError::query)?
        .ok_or_else(|| {
            DecodaError::query(FieldError::at(&["amount"], "Field required", "missing"))
        })?;
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
