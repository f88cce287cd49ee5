//! Patient charges, Gen-1 `/v1/charge/...`: create, get, get by external id, list, adjust.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::pricing::{ChargeStatus, Percent};
use copay_service::charges::{
    self as service, Adjustment, Charge, ChargeLine, ChargeSort, LineItem, NewAdjustment,
    NewCharge, NewChargeLine,
};
use copay_store::charges::ChargeQuery;

use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use super::items::{ItemCreate, ItemSummary};
use super::patients::PatientSummaryV1;
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp};

/// `ChargeStatus`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChargeStatusWire {
    Outstanding,
    Paid,
    ExternalSettlement,
    Void,
    WriteOff,
    Refunded,
    PaymentPlan,
}

impl From<ChargeStatusWire> for ChargeStatus {
    fn from(status: ChargeStatusWire) -> Self {
        match status {
            ChargeStatusWire::Outstanding => ChargeStatus::Outstanding,
            ChargeStatusWire::Paid => ChargeStatus::Paid,
            ChargeStatusWire::ExternalSettlement => ChargeStatus::ExternalSettlement,
            ChargeStatusWire::Void => ChargeStatus::Void,
            ChargeStatusWire::WriteOff => ChargeStatus::WriteOff,
            ChargeStatusWire::Refunded => ChargeStatus::Refunded,
            ChargeStatusWire::PaymentPlan => ChargeStatus::PaymentPlan,
        }
    }
}

/// `ChargeItemCreateWithoutId`: an existing item by id, or a new one inline.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItemCreate {
    pub quantity: i64,
    #[serde(default, alias = "item_id")]
    pub item_id: Option<String>,
    #[serde(default)]
    pub item: Option<ItemCreate>,
}

/// `ChargeCreateWithoutID`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeCreate {
    #[serde(alias = "patient_id")]
    pub patient_id: String,
    #[serde(alias = "total_outstanding")]
    pub total_outstanding: i64,
    #[serde(default, alias = "custom_amount")]
    pub custom_amount: Option<i64>,
    #[serde(default)]
    pub items: Option<Vec<ChargeItemCreate>>,
    #[serde(default, alias = "discount_amount")]
    pub discount_amount: Option<i64>,
    #[serde(default, alias = "discount_percentage")]
    pub discount_percentage: Option<f64>,
    #[serde(default)]
    pub status: Option<ChargeStatusWire>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default, alias = "external_id")]
    pub external_id: Option<String>,
    #[serde(default, alias = "external_created_date")]
    pub external_created_date: Option<String>,
    #[serde(default, alias = "creator_id")]
    pub creator_id: Option<String>,
    #[serde(default, alias = "rule_set_id")]
    pub rule_set_id: Option<String>,
    #[serde(default, alias = "subscription_id")]
    pub subscription_id: Option<String>,
    #[serde(default, alias = "patient_pays_processing_fee")]
    pub patient_pays_processing_fee: Option<bool>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Map<String, Value>>,
}

/// `AdjustmentCreate` (Gen-1).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentCreate {
    #[serde(alias = "charge_id")]
    pub charge_id: String,
    /// Signed cents: positive raises what is owed, negative lowers it.
    pub amount: i64,
    pub reason: String,
    #[serde(default, alias = "provider_id")]
    pub provider_id: Option<String>,
}

/// `AdjustmentSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdjustmentSummary {
    pub id: String,
    pub charge_id: String,
    pub amount: i64,
    /// `ADJUSTMENT`, `WRITE_OFF` or `EXTERNAL_SETTLEMENT`.
    pub adjustment_type: String,
    pub created_date: String,
    pub reason: Option<String>,
    pub provider_id: Option<String>,
}

impl From<Adjustment> for AdjustmentSummary {
    fn from(adjustment: Adjustment) -> Self {
        AdjustmentSummary {
            id: adjustment.id.to_string(),
            charge_id: adjustment.charge_id.to_string(),
            amount: adjustment.amount,
            adjustment_type: adjustment.kind.as_str().to_string(),
            created_date: format_timestamp(adjustment.created_at),
            reason: adjustment.reason,
            provider_id: adjustment.provider_id,
        }
    }
}

/// Gen-1 `ChargeItem`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItemV1 {
    pub charge_id: String,
    pub item_id: String,
    pub item: Option<ItemSummary>,
    pub quantity: i64,
    pub discount_amount: i64,
    pub discount_percentage: f64,
}

/// Gen-1 `ChargeSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeSummaryV1 {
    pub id: String,
    pub patient_id: String,
    pub patient: PatientSummaryV1,
    pub custom_amount: i64,
    pub total: i64,
    pub total_outstanding: i64,
    pub status: ChargeStatusWire,
    pub discount_amount: i64,
    pub discount_percentage: f64,
    pub patient_pays_processing_fee: bool,
    pub created_date: String,
    pub description: Option<String>,
    pub external_id: Option<String>,
    pub external_created_date: Option<String>,
    pub rule_set_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
}

/// Gen-1 `ChargeDetail`: the summary with lines, adjustments, payments and EOBs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeDetailV1 {
    #[serde(flatten)]
    pub summary: ChargeSummaryV1,
    pub items: Vec<ChargeItemV1>,
    pub adjustments: Vec<AdjustmentSummary>,
    pub payments: Vec<ChargePaymentDetailV1>,
    #[schema(value_type = Vec<Object>)]
    pub explanation_of_benefits: Vec<Value>,
}

/// The payment mediums Gen-1's `PaymentMedium` can name.
const GEN1_MEDIUMS: [&str; 6] = [
    "POS",
    "VIRTUAL_TERMINAL",
    "PAYMENT_LINK",
    "PAYMENT_PLAN",
    "SUBSCRIPTION",
    "CASH",
];

/// Gen-1 `ChargePaymentChargeSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargePaymentChargeSummary {
    pub id: String,
    pub total: i64,
    pub total_outstanding: i64,
    pub external_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
}

/// Gen-1 `Payment`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentV1 {
    pub id: String,
    pub amount: i64,
    pub status: String,
    pub payment_medium: String,
    pub created_date: String,
    pub updated_date: Option<String>,
    pub fee: i64,
    pub currency: String,
    pub patient_id: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub refunds: Vec<Value>,
    pub failed_reason: Option<String>,
    pub payin_id: Option<String>,
    pub payin_config_id: Option<String>,
    pub payment_method_id: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<Value>,
    pub stripe_payment_intent_id: Option<String>,
}

/// Gen-1 `ChargePaymentDetail`: this charge's share of one payment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargePaymentDetailV1 {
    pub payment_id: String,
    pub charge_id: String,
    pub amount: i64,
    pub created_date: String,
    pub charge: ChargePaymentChargeSummary,
    pub payment: PaymentV1,
}

pub(crate) fn status_wire(status: ChargeStatus) -> ChargeStatusWire {
    match status {
        ChargeStatus::Outstanding => ChargeStatusWire::Outstanding,
        ChargeStatus::Paid => ChargeStatusWire::Paid,
        ChargeStatus::ExternalSettlement => ChargeStatusWire::ExternalSettlement,
        ChargeStatus::Void => ChargeStatusWire::Void,
        ChargeStatus::WriteOff => ChargeStatusWire::WriteOff,
        ChargeStatus::Refunded => ChargeStatusWire::Refunded,
        ChargeStatus::PaymentPlan => ChargeStatusWire::PaymentPlan,
    }
}

fn line_v1(charge_id: Uuid, line: ChargeLine) -> ChargeItemV1 {
    ChargeItemV1 {
        charge_id: charge_id.to_string(),
        item_id: line.item_id.map(|id| id.to_string()).unwrap_or_default(),
        item: line.item.map(Into::into),
        quantity: line.quantity,
        discount_amount: line.discount_amount,
        discount_percentage: line.discount_percentage.as_f64(),
    }
}

fn summary(charge: &mut Charge) -> ChargeSummaryV1 {
    ChargeSummaryV1 {
        id: charge.id.to_string(),
        patient_id: charge.patient.id.to_string(),
        patient: charge.patient.clone().into(),
        custom_amount: charge.custom_amount,
        total: charge.total,
        total_outstanding: charge.total_outstanding,
        status: status_wire(charge.status),
        discount_amount: charge.discount_amount,
        discount_percentage: charge.discount_percentage.as_f64(),
        patient_pays_processing_fee: charge
            .attributes
            .get("patient_pays_processing_fee")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_date: format_timestamp(charge.created_at),
        description: charge.description.take(),
        external_id: charge.external_id.take(),
        external_created_date: charge.external_created_date.map(format_timestamp),
        rule_set_id: charge.rule_set_id.take(),
        meta: charge.meta.take(),
    }
}

impl From<Charge> for ChargeSummaryV1 {
    fn from(mut charge: Charge) -> Self {
        summary(&mut charge)
    }
}

impl From<Charge> for ChargeDetailV1 {
    fn from(mut charge: Charge) -> Self {
        let id = charge.id;
        let charge_summary = || ChargePaymentChargeSummary {
            id: id.to_string(),
            total: charge.total,
            total_outstanding: charge.total_outstanding,
            external_id: charge.external_id.clone(),
            meta: charge.meta.clone(),
        };
        let payments = charge
            .payments
            .iter()
            // Gen-1's PaymentMedium predates patient credit and has no name for it.
            .filter(|share| GEN1_MEDIUMS.contains(&share.payment.medium.as_str()))
            .map(|share| ChargePaymentDetailV1 {
                payment_id: share.payment.id.to_string(),
                charge_id: id.to_string(),
                amount: share.amount,
                created_date: format_timestamp(share.created_at),
                charge: charge_summary(),
                payment: PaymentV1 {
                    id: share.payment.id.to_string(),
                    amount: share.payment.amount,
                    status: share.payment.status.clone(),
                    payment_medium: share.payment.medium.clone(),
                    created_date: format_timestamp(share.payment.created_at),
                    updated_date: Some(format_timestamp(share.payment.updated_at)),
                    fee: share.payment.fee,
                    currency: "USD".to_string(),
                    patient_id: Some(share.payment.patient_id.to_string()),
                    refunds: Vec::new(),
                    failed_reason: None,
                    payin_id: None,
                    payin_config_id: None,
                    payment_method_id: None,
                    payment_method: None,
                    stripe_payment_intent_id: None,
                },
            })
            .collect();
        ChargeDetailV1 {
            summary: summary(&mut charge),
            items: charge
                .lines
                .into_iter()
                .map(|line| line_v1(id, line))
                .collect(),
            adjustments: charge.adjustments.into_iter().map(Into::into).collect(),
            payments,
            explanation_of_benefits: Vec::new(),
        }
    }
}

/// The most lines one charge may have (each is a row written in the charge's transaction).
pub const MAX_CHARGE_LINES: usize = 500;

/// A body id: not a UUID means nothing of copay's, so it is not found.
fn referenced_id(entity: &str, id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id(entity, id))
}

fn new_charge(body: ChargeCreate) -> Result<NewCharge, DecodaError> {
    let patient_id = referenced_id("patient", &body.patient_id)?;
    let items = body.items.unwrap_or_default();
    if items.len() > MAX_CHARGE_LINES {
        return Err(DecodaError::body(
            "items",
            format!("at most {MAX_CHARGE_LINES} lines"),
            "too_long",
        ));
    }
    let mut lines = Vec::new();
    for (index, line) in items.into_iter().enumerate() {
        let item = match (line.item_id, line.item) {
            (Some(id), None) => LineItem::Existing(referenced_id("item", &id)?),
            (None, Some(item)) => LineItem::New(item.into()),
            _ => {
                return Err(DecodaError::Validation(
                    Location::Body,
                    vec![FieldError::at_dotted(
                        &format!("items[{index}].itemId"),
                        "give exactly one of itemId and item",
                        "value_error",
                    )],
                ));
            }
        };
        lines.push(NewChargeLine::plain(item, line.quantity));
    }
    let discount_percentage =
        Percent::from_f64(body.discount_percentage.unwrap_or(0.0)).map_err(|error| {
            DecodaError::body("discountPercentage", error.to_string(), "value_error")
        })?;
    let external_created_date = body
        .external_created_date
        .map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                DecodaError::body(
                    "externalCreatedDate",
                    format!("{text:?} is not a date-time (RFC 3339)"),
                    "datetime_parsing",
                )
            })
        })
        .transpose()?;
    if let Some(external_id) = &body.external_id
        && external_id.trim().is_empty()
    {
        return Err(DecodaError::body(
            "externalId",
            "must not be empty",
            "value_error",
        ));
    }
    let mut attributes = Map::new();
    attributes.insert(
        "patient_pays_processing_fee".into(),
        Value::Bool(body.patient_pays_processing_fee.unwrap_or(false)),
    );
    for (key, value) in [
        ("creator_id", body.creator_id),
        ("subscription_id", body.subscription_id),
    ] {
        if let Some(value) = value {
            attributes.insert(key.into(), Value::String(value));
        }
    }
    Ok(NewCharge {
        patient_id,
        total_outstanding: body.total_outstanding,
        custom_amount: body.custom_amount.unwrap_or(0),
        lines,
        discount_amount: body.discount_amount.unwrap_or(0),
        discount_percentage,
        status: body.status.map(Into::into),
        description: body.description,
        external_id: body.external_id,
        external_created_date,
        rule_set_id: body.rule_set_id,
        meta: body.meta.map(Value::Object),
        attributes,
        stated_total: None,
        tips: Vec::new(),
    })
}

/// Creates a charge for a patient. `total` is computed (DESIGN §4); `totalOutstanding`
/// must be between 0 and it, the gap being money settled before copay saw the charge.
#[utoipa::path(
    post, path = "/v1/charge/create", tag = "decoda: charges (v1)",
    request_body = ChargeCreate,
    responses((status = 200, body = ChargeDetailV1), (status = 404, description = "Unknown patient or item"),
              (status = 409, description = "`externalId` taken"), (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<ChargeCreate>,
) -> Result<Json<ChargeDetailV1>, DecodaError> {
    let charge = service::create(&state.store, &tenant, new_charge(body)?).await?;
    Ok(Json(charge.into()))
}

#[utoipa::path(
    get, path = "/v1/charge/get/{charge_id}", tag = "decoda: charges (v1)",
    params(("charge_id" = String, Path)),
    responses((status = 200, body = ChargeDetailV1), (status = 404, description = "Not in this tenant"))
)]
pub async fn get(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<ChargeDetailV1>, DecodaError> {
    let id = referenced_id("charge", &id)?;
    Ok(Json(service::get(&state.store, &tenant, id).await?.into()))
}

#[utoipa::path(
    get, path = "/v1/charge/get_by_external_id/{external_id}", tag = "decoda: charges (v1)",
    params(("external_id" = String, Path)),
    responses((status = 200, body = ChargeDetailV1), (status = 404, description = "Not in this tenant"))
)]
pub async fn get_by_external_id(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(external_id): Path<String>,
) -> Result<Json<ChargeDetailV1>, DecodaError> {
    let charge = service::get_by_external_id(&state.store, &tenant, &external_id).await?;
    Ok(Json(charge.into()))
}

const STATUSES: &[&str] = &[
    "OUTSTANDING",
    "PAID",
    "EXTERNAL_SETTLEMENT",
    "VOID",
    "WRITE_OFF",
    "REFUNDED",
    "PAYMENT_PLAN",
];

/// A whole number of cents given as a JSON-style number (`1500` or `1500.0`).
fn cents_param(query: &QueryParams, key: &str) -> Result<Option<i64>, FieldError> {
    query
        .parsed::<f64>(key, "a number")?
        .map(|value| {
            if value.fract() == 0.0 && value.abs() < 9.0e15 {
                Ok(value as i64)
            } else {
                Err(FieldError::at(
                    &[key],
                    format!("{value} is not a whole number of cents"),
                    "value_error",
                ))
            }
        })
        .transpose()
}

fn charge_query(query: &QueryParams) -> Result<ChargeQuery, FieldError> {
    let sort = match query
        .one_of(
            "sort_by",
            &[
                "created_date",
                "total",
                "total_outstanding",
                "external_created_date",
            ],
        )?
        .as_deref()
    {
        Some("total") => ChargeSort::Total,
        Some("total_outstanding") => ChargeSort::TotalOutstanding,
        Some("external_created_date") => ChargeSort::ExternalCreatedDate,
        _ => ChargeSort::CreatedDate,
    };
    // A patient id that is not a UUID names no patient: it matches nothing.
    let patient_id = query
        .string("patient_id")
        .map(|id| Uuid::parse_str(&id).unwrap_or(Uuid::nil()));
    Ok(ChargeQuery {
        patient_id,
        status: query.one_of("status", STATUSES)?,
        external_id: query.string("external_id"),
        total: cents_param(query, "total")?,
        total_outstanding: cents_param(query, "total_outstanding")?,
        description: query.string("description"),
        sort,
        descending: query.one_of("sort_direction", &["asc", "desc"])?.as_deref() != Some("asc"),
        limit: query.parsed::<u32>("n", "a whole number")?.unwrap_or(10),
    })
}

/// Charge summaries, newest first by default; `n` (default 10, at most 1000) of them.
/// Every filter is an equality; `sort_by` is `created_date`, `total`,
/// `total_outstanding` or `external_created_date`.
#[utoipa::path(
    get, path = "/v1/charge/list", tag = "decoda: charges (v1)",
    params(("sort_by" = Option<String>, Query), ("sort_direction" = Option<String>, Query),
           ("patient_id" = Option<String>, Query), ("status" = Option<ChargeStatusWire>, Query),
           ("external_id" = Option<String>, Query), ("total" = Option<f64>, Query),
           ("total_outstanding" = Option<f64>, Query), ("description" = Option<String>, Query),
           ("n" = Option<u32>, Query)),
    responses((status = 200, body = Vec<ChargeSummaryV1>), (status = 422, description = "Invalid parameter"))
)]
pub async fn list(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<ChargeSummaryV1>>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let query = charge_query(&query).map_err(DecodaError::query)?;
    let charges = service::list(&state.store, &tenant, query)
        .await
        .map_err(DecodaError::from_query)?;
    Ok(Json(charges.into_iter().map(Into::into).collect()))
}

/// Changes what a charge owes by a signed amount (a correction or a discount given
/// later). It may not take the outstanding amount below zero (400).
#[utoipa::path(
    post, path = "/v1/charge/adjust", tag = "decoda: charges (v1)",
    request_body = AdjustmentCreate,
    responses((status = 200, body = AdjustmentSummary), (status = 400, description = "Would go below zero, or void"),
              (status = 404, description = "Unknown charge"), (status = 422, description = "Invalid body"))
)]
pub async fn adjust(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<AdjustmentCreate>,
) -> Result<Json<AdjustmentSummary>, DecodaError> {
    let new = NewAdjustment {
        charge_id: referenced_id("charge", &body.charge_id)?,
        amount: body.amount,
        reason: body.reason,
        provider_id: body.provider_id,
        location_id: None,
    };
    Ok(Json(
        service::adjust(&state.store, &tenant, new).await?.into(),
    ))
}
