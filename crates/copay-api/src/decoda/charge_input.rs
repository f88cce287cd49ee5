//! Gen-2 `ChargeDetail` as a body (charge create, and the charges of a settlement) and its
//! conversion to the service's [`NewCharge`]. One conversion serves both, so a charge
//! created either way follows the same rules (DESIGN §4).

use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::pricing::Percent;
use copay_service::charges::{LineItem, NewCharge, NewChargeLine};

use super::charges::{ChargeStatusWire, MAX_CHARGE_LINES};
use super::error::{DecodaError, Location};
use crate::wire::FieldError;

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

/// A Gen-2 `TipDetail` inside a charge to create: who is tipped and how much. The
/// charge it names (`chargeId`) is the one being created, so that field is not read.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TipInput {
    pub amount: i64,
    #[serde(alias = "provider_id")]
    pub provider_id: String,
    #[serde(default, alias = "charge_id")]
    pub charge_id: Option<String>,
}

/// Gen-2 `ChargeDetail` (input). Read-only parts of the shape (`patient`, `createdDate`)
/// are ignored; `payments` and `adjustments` must be empty (they are recorded through
/// their own operations).
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
    pub tips: Option<Vec<TipInput>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub payments: Option<Vec<Value>>,
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub adjustments: Option<Vec<Value>>,
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

/// The charge attributes kept as given, by stored name.
pub const ATTRIBUTES: [&str; 6] = [
    "creator_id",
    "location_id",
    "event_id",
    "member_id",
    "comment",
    "merchant_account_id",
];

fn invalid(path: &str, message: impl Into<String>) -> DecodaError {
    DecodaError::Validation(
        Location::Body,
        vec![FieldError::at_dotted(path, message, "value_error")],
    )
}

fn percent(path: &str, value: Option<f64>) -> Result<Percent, DecodaError> {
    Percent::from_f64(value.unwrap_or(0.0)).map_err(|error| invalid(path, error.to_string()))
}

fn not_negative(path: &str, value: Option<i64>) -> Result<i64, DecodaError> {
    match value.unwrap_or(0) {
        negative if negative < 0 => Err(invalid(path, "must not be negative")),
        value => Ok(value),
    }
}

/// A body charge without an `id` as a charge to create. `prefix` locates it in the body
/// (`""` for a body that is one charge, `"2."` for the third of a list).
pub fn new_charge(prefix: &str, charge: ChargeInput) -> Result<NewCharge, DecodaError> {
    let path = |field: &str| format!("{prefix}{field}");
    let patient_id = Uuid::parse_str(&charge.patient_id)
        .map_err(|_| DecodaError::not_found_id("patient", &charge.patient_id))?;
    for (field, list) in [
        ("payments", &charge.payments),
        ("adjustments", &charge.adjustments),
    ] {
        if list.as_ref().is_some_and(|list| !list.is_empty()) {
            return Err(invalid(
                &path(field),
                "must be empty: record them through their own operations",
            ));
        }
    }
    let mut tips = Vec::new();
    for (tip_index, tip) in charge.tips.unwrap_or_default().into_iter().enumerate() {
        if tip.amount <= 0 {
            return Err(invalid(
                &path(&format!("tips[{tip_index}].amount")),
                "must be greater than zero",
            ));
        }
        tips.push((
            DecodaError::existing_id("provider", &tip.provider_id)?,
            tip.amount,
        ));
    }
    let items = charge.items.unwrap_or_default();
    if items.len() > MAX_CHARGE_LINES {
        return Err(invalid(
            &path("items"),
            format!("at most {MAX_CHARGE_LINES} lines"),
        ));
    }
    let mut lines = Vec::with_capacity(items.len());
    for (line_index, item) in items.into_iter().enumerate() {
        let line_path = |field: &str| format!("{prefix}items[{line_index}].{field}");
        let item_id = item
            .item_id
            .map(|id| Uuid::parse_str(&id).map_err(|_| DecodaError::not_found_id("item", &id)))
            .transpose()?;
        if item.price < 0 {
            return Err(invalid(&line_path("price"), "must not be negative"));
        }
        lines.push(NewChargeLine {
            item: LineItem::Priced {
                item_id,
                name: item.name,
                unit_price: item.price,
            },
            quantity: item.quantity,
            discount_amount: not_negative(&line_path("discountAmount"), item.discount_amount)?,
            discount_percentage: percent(
                &line_path("discountPercentage"),
                item.discount_percentage,
            )?,
            tax_amount: not_negative(&line_path("taxAmount"), item.tax_amount)?,
        });
    }
    // Without lines the charge is its stated total; with lines, a stated total must match.
    let total = charge.total.unwrap_or(0);
    if total < 0 {
        return Err(invalid(&path("total"), "must not be negative"));
    }
    let (custom_amount, stated_total) = if lines.is_empty() {
        (total, None)
    } else {
        (0, (total != 0).then_some(total))
    };
    // Kept in UTC so stored dates order the same on both databases.
    let external_created_date = charge
        .external_created_date
        .map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339)
                .map(|at| at.to_offset(UtcOffset::UTC))
                .map_err(|_| {
                    invalid(
                        &path("externalCreatedDate"),
                        "is not a date-time (RFC 3339)",
                    )
                })
        })
        .transpose()?;
    if charge
        .external_id
        .as_ref()
        .is_some_and(|id| id.trim().is_empty())
    {
        return Err(invalid(&path("externalId"), "must not be empty"));
    }
    let mut attributes = Map::new();
    for (key, value) in ATTRIBUTES.into_iter().zip([
        charge.creator_id,
        charge.location_id,
        charge.event_id,
        charge.member_id,
        charge.comment,
        charge.merchant_account_id,
    ]) {
        if let Some(value) = value {
            attributes.insert(key.to_string(), Value::String(value));
        }
    }
    Ok(NewCharge {
        patient_id,
        total_outstanding: charge.total_outstanding,
        custom_amount,
        lines,
        discount_amount: charge.discount_amount.unwrap_or(0),
        discount_percentage: percent(&path("discountPercentage"), charge.discount_percentage)?,
        status: charge.status.map(Into::into),
        description: charge.description,
        external_id: charge.external_id,
        external_created_date,
        rule_set_id: charge.rule_set_id,
        meta: charge.meta.map(Value::Object),
        attributes,
        stated_total,
        tips,
    })
}
