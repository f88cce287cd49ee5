//! Gen-2 output shapes of a charge: `ChargeSummary`, `ChargeDetailWithItems`,
//! `ChargeTable` and the parts they share (lines, payments, tips, refunds).
//!
//! Each part has one rendering function ([`tips`], [`payment_refunds`], …), shared by
//! every shape that shows it.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use copay_service::charges::{Charge, ChargeLine, ChargePayment};
use copay_service::items::Item;
use copay_service::providers::Provider;
use copay_service::refunds::Refund;
use copay_service::settlement::Payment;

use super::adjustments::AdjustmentSummaryV2;
use super::charges::{ChargeStatusWire, status_wire};
use super::patients::PatientSummaryV2;
use super::payments::RefundSummary;
use super::settlement::PaymentSummary;
use super::tips::TipDetail;
use crate::wire::format_timestamp;

/// The fields every Gen-2 charge shape shares (`ChargeSummary`, `ChargeDetailWithItems`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeFields {
    pub id: String,
    pub patient_id: String,
    pub patient: PatientSummaryV2,
    pub total: i64,
    pub total_outstanding: i64,
    pub description: Option<String>,
    pub status: ChargeStatusWire,
    pub discount_amount: i64,
    pub discount_percentage: f64,
    pub external_id: Option<String>,
    pub external_created_date: Option<String>,
    pub rule_set_id: Option<String>,
    pub created_date: String,
    pub creator_id: Option<String>,
    pub location_id: Option<String>,
    pub event_id: Option<String>,
    pub member_id: Option<String>,
    pub comment: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    pub merchant_account_id: Option<String>,
}

/// Gen-2 `ChargeItem`: one line of a charge.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItemV2 {
    pub id: String,
    pub item_id: Option<String>,
    pub charge_id: String,
    /// The line's own name; `null` for a line that sells a catalogue item.
    pub name: Option<String>,
    pub description: Option<String>,
    pub quantity: i64,
    pub discount_amount: i64,
    pub discount_percentage: f64,
    pub discount_reason: Option<String>,
    /// Unit price in cents.
    pub price: i64,
    pub sold_package_id: Option<String>,
    pub banked_quantity: Option<i64>,
    pub banked_item_id: Option<String>,
    pub issued_discount_id: Option<String>,
    pub sold_by_provider_id: Option<String>,
    pub tax_amount: i64,
    pub pricing_id: Option<String>,
    pub shipment_ids: Option<Vec<String>>,
}

/// Gen-2 `ChargeItemDetail`: a line with its catalogue item.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeItemDetail {
    #[serde(flatten)]
    pub line: ChargeItemV2,
    pub item: Option<ItemTiny>,
    pub location_id: Option<String>,
    pub location_name: Option<String>,
    pub sale_date: Option<String>,
}

/// Gen-2 `ItemTiny`. copay's catalogue keeps name, price, description, unit and the
/// archived flag; the rest are the schema's defaults.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemTiny {
    pub id: String,
    pub name: String,
    pub brand_name: Option<String>,
    pub description: Option<String>,
    pub price: i64,
    pub category: Option<String>,
    /// Only a unit Gen-2's `Unit` enum names; copay's free-text units otherwise `null`.
    pub unit: Option<String>,
    pub is_physical: bool,
    pub is_archived: bool,
    pub internal_notes: Option<String>,
    pub sort_order: Option<i64>,
    pub allow_custom_pricing: bool,
    #[serde(rename = "type")]
    pub item_type: String,
    pub external_id: Option<String>,
    pub exempted_tax_ids: Option<Vec<String>>,
    pub cost: Option<i64>,
}

/// Gen-2 `Payment` (`Payment-Output`): a `PaymentSummary` with its method and refunds.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentV2 {
    #[serde(flatten)]
    pub summary: PaymentSummary,
    /// copay stores no payment method (only a card's brand and last 4, elsewhere).
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<Value>,
    pub refunds: Vec<RefundSummary>,
}

/// Gen-2 `ChargePaymentDetail`: this charge's share of one payment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargePaymentDetailV2 {
    pub payment_id: String,
    /// This charge's share of the payment.
    pub amount: i64,
    pub created_date: String,
    pub charge_id: String,
    pub payment: PaymentV2,
}

/// Gen-2 `ChargeSummary` (`ChargeSummary-Output`), what a create returns.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeSummaryV2 {
    #[serde(flatten)]
    pub fields: ChargeFields,
    pub items: Vec<ChargeItemV2>,
    pub tips: Vec<TipDetail>,
}

/// Gen-2 `ChargeDetailWithItems`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeDetailWithItems {
    #[serde(flatten)]
    pub fields: ChargeFields,
    pub items: Vec<ChargeItemDetail>,
    #[serde(flatten)]
    pub history: ChargeHistory,
}

/// What both detail shapes show of a charge besides its fields and lines.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeHistory {
    pub tips: Vec<TipDetail>,
    pub adjustments: Vec<AdjustmentSummaryV2>,
    pub payments: Vec<ChargePaymentDetailV2>,
}

/// Gen-2 `ChargeDetail` (`ChargeDetail-Output`): the detail with plain `ChargeItem` lines.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeDetailV2 {
    #[serde(flatten)]
    pub fields: ChargeFields,
    pub items: Vec<ChargeItemV2>,
    #[serde(flatten)]
    pub history: ChargeHistory,
}

/// Gen-2 `UserTiny`: a provider (a charge's or payment's creator, a refund's giver).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserTiny {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    /// Always `PROVIDER`.
    #[serde(rename = "type")]
    pub user_type: String,
    pub location_id: Option<String>,
}

/// Gen-2 `TableRefund`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TableRefund {
    pub id: String,
    pub amount: i64,
    pub reason: String,
    pub created_date: String,
    pub status: String,
    pub description: Option<String>,
    pub creator: Option<UserTiny>,
}

/// Gen-2 `ChargeTablePayment`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeTablePayment {
    pub id: String,
    /// This charge's share of the payment.
    pub amount: i64,
    pub status: String,
    pub created_date: String,
    pub payment_medium: String,
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<Value>,
    pub refunds: Vec<TableRefund>,
}

/// Gen-2 `ChargeTable` (`ChargeTable-Output`): one row of the charge table.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeTableRow {
    pub id: String,
    pub total: i64,
    pub total_outstanding: i64,
    pub description: Option<String>,
    pub status: ChargeStatusWire,
    pub patient: PatientSummaryV2,
    pub rule_set_id: Option<String>,
    pub external_created_date: Option<String>,
    pub created_date: String,
    pub external_id: Option<String>,
    pub creator: Option<UserTiny>,
    pub adjustments: Vec<AdjustmentSummaryV2>,
    pub payments: Vec<ChargeTablePayment>,
    /// copay has no payment plans: always empty.
    #[schema(value_type = Vec<Object>)]
    pub planned_payments: Vec<Value>,
    pub comment: Option<String>,
    pub items: Vec<ChargeItemDetail>,
    pub location_id: Option<String>,
    pub tips: Vec<TipDetail>,
}

/// `Page_ChargeTable_`.
#[derive(Serialize, ToSchema)]
pub struct ChargeTablePage {
    pub data: Vec<ChargeTableRow>,
    /// Charges matching the filters over all pages.
    pub total: i64,
}

/// The units Gen-2's `Unit` enum names.
const GEN2_UNITS: [&str; 51] = [
    "AMPOULES",
    "APPLICATORS",
    "BOTTLES",
    "BOXES",
    "CAPSULES",
    "CUPS",
    "DOSES",
    "G_PER_ML",
    "GRAMS",
    "IU",
    "IU_PER_ML",
    "OUNCES",
    "FLUID_OUNCES",
    "KG",
    "KITS",
    "LITERS",
    "MCG",
    "MG",
    "MG_PER_ML",
    "ML",
    "MMOL",
    "MICROGRAM_PER_ML",
    "PACKS",
    "PAIRS",
    "PATCHES",
    "PERCENTAGE",
    "PIECES",
    "POUCHES",
    "ROLLS",
    "SACHETS",
    "SHEETS",
    "SPRAYS",
    "STRIPS",
    "SYRINGES",
    "TABLETS",
    "TABLETS_PER_DAY",
    "TESTS",
    "TUBES",
    "UNITS",
    "VIALS",
    "TREATMENTS",
    "SESSIONS",
    "PULSES",
    "JOULES",
    "CENTIMETERS",
    "THREAD_COUNT",
    "INJECTIONS",
    "WRINKLE_UNITS",
    "POUNDS",
    "FEET",
    "INCHES",
];

fn attribute(charge: &Charge, name: &str) -> Option<String> {
    charge
        .attributes
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn fields(charge: &Charge) -> ChargeFields {
    ChargeFields {
        id: charge.id.to_string(),
        patient_id: charge.patient.id.to_string(),
        patient: charge.patient.clone().into(),
        total: charge.total,
        total_outstanding: charge.total_outstanding,
        description: charge.description.clone(),
        status: status_wire(charge.status),
        discount_amount: charge.discount_amount,
        discount_percentage: charge.discount_percentage.as_f64(),
        external_id: charge.external_id.clone(),
        external_created_date: charge.external_created_date.map(format_timestamp),
        rule_set_id: charge.rule_set_id.clone(),
        created_date: format_timestamp(charge.created_at),
        creator_id: attribute(charge, "creator_id"),
        location_id: attribute(charge, "location_id"),
        event_id: attribute(charge, "event_id"),
        member_id: attribute(charge, "member_id"),
        comment: attribute(charge, "comment"),
        meta: charge.meta.clone(),
        merchant_account_id: attribute(charge, "merchant_account_id"),
    }
}

fn item_line(charge: &Charge, line: &ChargeLine) -> ChargeItemV2 {
    ChargeItemV2 {
        id: line.id.to_string(),
        item_id: line.item_id.map(|id| id.to_string()),
        charge_id: charge.id.to_string(),
        name: line.name.clone(),
        description: None,
        quantity: line.quantity,
        discount_amount: line.discount_amount,
        discount_percentage: line.discount_percentage.as_f64(),
        discount_reason: None,
        price: line.unit_price,
        sold_package_id: None,
        banked_quantity: None,
        banked_item_id: None,
        issued_discount_id: None,
        sold_by_provider_id: None,
        tax_amount: line.tax_amount,
        pricing_id: None,
        shipment_ids: None,
    }
}

fn item_tiny(item: &Item) -> ItemTiny {
    ItemTiny {
        id: item.id.to_string(),
        name: item.name.clone(),
        brand_name: None,
        description: item.description.clone(),
        price: item.price,
        category: None,
        unit: item
            .unit
            .clone()
            .filter(|unit| GEN2_UNITS.contains(&unit.as_str())),
        is_physical: true,
        is_archived: item.archived,
        internal_notes: None,
        sort_order: None,
        allow_custom_pricing: false,
        item_type: "PRODUCT".to_string(),
        external_id: None,
        exempted_tax_ids: None,
        cost: None,
    }
}

/// A line with its catalogue item; the sale is the charge's (its location and creation).
/// A charge's lines as `ChargeItemDetail`s.
pub fn item_details(charge: &Charge) -> Vec<ChargeItemDetail> {
    charge
        .lines
        .iter()
        .map(|line| item_detail(charge, line))
        .collect()
}

fn item_detail(charge: &Charge, line: &ChargeLine) -> ChargeItemDetail {
    ChargeItemDetail {
        line: item_line(charge, line),
        item: line.item.as_ref().map(item_tiny),
        location_id: attribute(charge, "location_id"),
        location_name: None,
        sale_date: Some(format_timestamp(charge.created_at)),
    }
}

/// The tips of a charge. The single place charge views render tips.
pub fn tips(charge: &Charge) -> Vec<TipDetail> {
    charge.tips.iter().cloned().map(TipDetail::from).collect()
}

/// The refunds of a payment. The single place refunds are rendered (the Gen-2 `Payment`
/// and, through it, the charge table).
pub fn payment_refunds(payment: &Payment) -> Vec<RefundSummary> {
    payment
        .refunds
        .iter()
        .cloned()
        .map(RefundSummary::from)
        .collect()
}

/// A service payment as Gen-2 `Payment-Output`.
pub fn payment_output(payment: &Payment) -> PaymentV2 {
    PaymentV2 {
        summary: payment.clone().into(),
        payment_method: None,
        refunds: payment_refunds(payment),
    }
}

fn charge_payment(charge: &Charge, share: &ChargePayment) -> ChargePaymentDetailV2 {
    ChargePaymentDetailV2 {
        payment_id: share.payment.id.to_string(),
        amount: share.amount,
        created_date: format_timestamp(share.created_at),
        charge_id: charge.id.to_string(),
        payment: payment_output(&share.payment),
    }
}

fn table_payment(share: &ChargePayment) -> ChargeTablePayment {
    let payment = payment_output(&share.payment);
    ChargeTablePayment {
        id: payment.summary.id,
        amount: share.amount,
        status: payment.summary.status,
        created_date: payment.summary.created_date,
        payment_medium: payment.summary.payment_medium,
        payment_method: payment.payment_method,
        // The charge table loads no refund givers.
        refunds: share
            .payment
            .refunds
            .iter()
            .map(|refund| table_refund(refund, None))
            .collect(),
    }
}

/// A refund as Gen-2 `TableRefund`, with the provider who gave it when the page loaded
/// it. The single place table refunds are rendered (charge and payment tables).
pub fn table_refund(refund: &Refund, creator: Option<&Provider>) -> TableRefund {
    TableRefund {
        id: refund.id.to_string(),
        amount: refund.amount,
        reason: refund.reason.clone(),
        created_date: format_timestamp(refund.created_at),
        status: refund.status.clone(),
        description: refund.description.clone(),
        creator: creator.map(user_tiny),
    }
}

/// A provider as a `UserTiny` (the creator of a charge or payment, the giver of a refund).
pub fn user_tiny(provider: &Provider) -> UserTiny {
    UserTiny {
        id: provider.id.to_string(),
        first_name: Some(provider.first_name.clone()),
        last_name: provider.last_name.clone(),
        phone_number: provider.phone_number.clone(),
        email: provider.email.clone(),
        user_type: "PROVIDER".to_string(),
        location_id: None,
    }
}

impl From<Charge> for ChargeSummaryV2 {
    fn from(charge: Charge) -> Self {
        ChargeSummaryV2 {
            fields: fields(&charge),
            items: charge
                .lines
                .iter()
                .map(|line| item_line(&charge, line))
                .collect(),
            tips: tips(&charge),
        }
    }
}

fn history(charge: &Charge) -> ChargeHistory {
    ChargeHistory {
        tips: tips(charge),
        payments: charge
            .payments
            .iter()
            .map(|share| charge_payment(charge, share))
            .collect(),
        adjustments: charge.adjustments.iter().cloned().map(Into::into).collect(),
    }
}

impl From<Charge> for ChargeDetailWithItems {
    fn from(charge: Charge) -> Self {
        ChargeDetailWithItems {
            fields: fields(&charge),
            items: item_details(&charge),
            history: history(&charge),
        }
    }
}

impl From<Charge> for ChargeDetailV2 {
    fn from(charge: Charge) -> Self {
        ChargeDetailV2 {
            fields: fields(&charge),
            items: charge
                .lines
                .iter()
                .map(|line| item_line(&charge, line))
                .collect(),
            history: history(&charge),
        }
    }
}

/// A charge as a table row, with its creator when the charge names a provider of the
/// tenant.
pub fn table_row(charge: Charge, creator: Option<&Provider>) -> ChargeTableRow {
    ChargeTableRow {
        id: charge.id.to_string(),
        total: charge.total,
        total_outstanding: charge.total_outstanding,
        description: charge.description.clone(),
        status: status_wire(charge.status),
        patient: charge.patient.clone().into(),
        rule_set_id: charge.rule_set_id.clone(),
        external_created_date: charge.external_created_date.map(format_timestamp),
        created_date: format_timestamp(charge.created_at),
        external_id: charge.external_id.clone(),
        creator: creator.map(user_tiny),
        payments: charge.payments.iter().map(table_payment).collect(),
        planned_payments: Vec::new(),
        comment: attribute(&charge, "comment"),
        items: charge
            .lines
            .iter()
            .map(|line| item_detail(&charge, line))
            .collect(),
        location_id: attribute(&charge, "location_id"),
        tips: tips(&charge),
        adjustments: charge.adjustments.into_iter().map(Into::into).collect(),
    }
}
