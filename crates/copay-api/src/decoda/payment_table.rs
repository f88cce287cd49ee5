//! Gen-2 payment table (`GET /billing/payment/table`, "list-payments"): the wire shapes
//! (`PaymentTable`, `Page_PaymentTableItem_`, `PaymentTableItem`, `ItemWithQuantity`) and
//! the handler. Refunds and creators render through [`super::charge_views`], as in the
//! charge table.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::payment_table::{self as service, PaidLine, PaymentTableEntry};
use copay_service::providers::Provider;

use super::charge_views::{TableRefund, UserTiny, table_refund, user_tiny};
use super::charges_v2::SNAPSHOT_HEADER;
use super::error::DecodaError;
use super::extract::DecodaTenant;
use super::payment_table_query;
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::format_timestamp;

/// Gen-2 `ItemWithQuantity`: one line of a charge the payment paid.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemWithQuantity {
    /// The line's own name, else its catalogue item's; `""` for a line with neither.
    pub item_name: String,
    /// The catalogue item's description.
    pub description: Option<String>,
    pub charge_id: Option<String>,
    pub discount_reason: Option<String>,
    pub discount_amount: Option<i64>,
    pub discount_percentage: Option<f64>,
    pub quantity: i64,
    /// The catalogue item's unit, as kept.
    pub unit: Option<String>,
    /// Unit price in cents.
    pub price_per_item: i64,
    pub tax_amount: Option<i64>,
    /// `PRODUCT` for a catalogue item, else `null`.
    pub item_type: Option<String>,
}

/// Gen-2 `PaymentTableItem`: one row of the payment table.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTableItem {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub patient_id: Option<String>,
    pub external_patient_id: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub comment: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// `SUCCEEDED`, or `CANCELED` once deleted (voided).
    pub status: String,
    pub payment_medium: String,
    pub fee: i64,
    pub fee_to_patient: i64,
    /// copay stores no payment methods: always `null`.
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<Value>,
    pub created_date: String,
    pub refunds: Vec<TableRefund>,
    pub creator: Option<UserTiny>,
    /// copay has no payment plans: always false.
    pub is_payment_plan: bool,
    pub items: Vec<ItemWithQuantity>,
    /// copay's Decoda side records patient payments only: always false.
    pub is_insurance_payment: bool,
    pub location_id: Option<String>,
}

/// `Page_PaymentTableItem_`.
#[derive(Serialize, ToSchema)]
pub struct PaymentTablePage {
    pub data: Vec<PaymentTableItem>,
    /// Payments matching the filters over all pages.
    pub total: i64,
}

/// Gen-2 `PaymentTable`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaymentTable {
    pub items: PaymentTablePage,
    /// Always false: there are no insurance payments on copay's Decoda side.
    pub has_insurance_payments: bool,
}

fn item_with_quantity(paid: PaidLine) -> ItemWithQuantity {
    let line = paid.line;
    let item = line.item.as_ref();
    ItemWithQuantity {
        item_name: line
            .name
            .clone()
            .or_else(|| item.map(|item| item.name.clone()))
            .unwrap_or_default(),
        description: item.and_then(|item| item.description.clone()),
        charge_id: Some(paid.charge_id.to_string()),
        discount_reason: None,
        discount_amount: Some(line.discount_amount),
        discount_percentage: Some(line.discount_percentage.as_f64()),
        quantity: line.quantity,
        unit: item.and_then(|item| item.unit.clone()),
        price_per_item: line.unit_price,
        tax_amount: Some(line.tax_amount),
        item_type: item.map(|_| "PRODUCT".to_string()),
    }
}

fn provider<'a>(providers: &'a HashMap<Uuid, Provider>, id: Option<&str>) -> Option<&'a Provider> {
    service::provider_id(id).and_then(|id| providers.get(&id))
}

fn row(entry: PaymentTableEntry, providers: &HashMap<Uuid, Provider>) -> PaymentTableItem {
    let payment = entry.payment;
    let status = if payment.voided_at.is_some() {
        "CANCELED".to_string()
    } else {
        payment.status.clone()
    };
    PaymentTableItem {
        id: payment.id.to_string(),
        first_name: entry.first_name,
        last_name: entry.last_name,
        patient_id: Some(payment.patient_id.to_string()),
        external_patient_id: entry.patient_external_id,
        email: entry.email,
        phone_number: entry.phone_number,
        comment: payment.comment.clone(),
        amount: payment.amount,
        currency: "USD".to_string(),
        status,
        payment_medium: payment.medium.clone(),
        fee: payment.fee,
        fee_to_patient: 0,
        payment_method: None,
        created_date: format_timestamp(payment.created_at),
        refunds: payment
            .refunds
            .iter()
            .map(|refund| table_refund(refund, provider(providers, Some(&refund.provider_id))))
            .collect(),
        creator: provider(providers, payment.creator_id.as_deref()).map(user_tiny),
        is_payment_plan: false,
        items: entry.items.into_iter().map(item_with_quantity).collect(),
        is_insurance_payment: false,
        location_id: payment.location_id.clone(),
    }
}

/// One page of the tenant's payments and the count of all matches. Every filter must
/// hold; `amount` is `[min]` or `[min, max]` (repeat the key); `created_date` is one date
/// (that day in `tz`) or two date-times (inclusive). `type` is `CARD`,
/// `EXTERNAL_SETTLEMENT` or `PATIENT_CREDIT`; `payer_type` `PATIENT` (every payment) or
/// `INSURANCE` (none). `last4`, `tags` and `merchant_account_ids` name things copay does
/// not keep, so they match nothing. Ties are broken by id. Each page carries a
/// `Copay-Snapshot` header: passing it back as `snapshot` keeps payments created meanwhile
/// out of later pages.
#[utoipa::path(
    get, path = "/billing/payment/table", tag = "decoda: payments",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query),
           ("sort_by" = Option<String>, Query), ("sort_direction" = Option<String>, Query),
           ("location_id" = Option<String>, Query), ("id" = Option<String>, Query),
           ("payer" = Option<String>, Query), ("patient_id" = Option<String>, Query),
           ("external_patient_id" = Option<String>, Query), ("payer_type" = Option<String>, Query),
           ("amount" = Option<Vec<i64>>, Query), ("last4" = Option<String>, Query),
           ("comment" = Option<String>, Query), ("payment_mediums" = Option<Vec<String>>, Query),
           ("status" = Option<Vec<String>>, Query), ("type" = Option<String>, Query),
           ("tags" = Option<Vec<String>>, Query), ("created_date" = Option<Vec<String>>, Query),
           ("tz" = Option<String>, Query), ("location_ids" = Option<Vec<String>>, Query),
           ("creator_name" = Option<String>, Query), ("creator_id" = Option<String>, Query),
           ("provider_id" = Option<String>, Query), ("merchant_account_ids" = Option<Vec<String>>, Query),
           ("snapshot" = Option<String>, Query, description = "copay: the `Copay-Snapshot` of the first page")),
    responses((status = 200, body = PaymentTable), (status = 422, description = "Invalid parameter"))
)]
pub async fn table(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<([(HeaderName, HeaderValue); 1], Json<PaymentTable>), DecodaError> {
    let params = QueryParams::parse(raw.as_deref());
    let query = payment_table_query::parse(&params).map_err(DecodaError::query)?;
    let page = service::table(&state.store, &tenant, query)
        .await
        .map_err(DecodaError::from_query)?;
    let snapshot = HeaderValue::from_str(&page.snapshot.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    let data = page
        .entries
        .into_iter()
        .map(|entry| row(entry, &page.providers))
        .collect();
    Ok((
        [(SNAPSHOT_HEADER, snapshot)],
        Json(PaymentTable {
            items: PaymentTablePage {
                data,
                total: page.total,
            },
            has_insurance_payments: false,
        }),
    ))
}
