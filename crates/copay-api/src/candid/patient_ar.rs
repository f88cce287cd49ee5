//! Patient AR v1 (contract §6.6): the inventory of claims by their latest invoiceable
//! state, and a claim's patient-side itemization. copay ingests no adjudications, so
//! copay, coinsurance and deductible are 0 and non-insurance money is 0 (copay keeps no
//! non-insurance payers); the patient balance is the whole open balance (DESIGN.md §5).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::ServiceError;
use copay_service::patient_ar::{self as service, PatientItem};

use super::allocations::{parse_datetime, path_id, timestamp};
use super::error::CandidError;
use super::extract::CandidTenant;
use super::types::format_date;
use crate::AppState;
use crate::query::QueryParams;

/// `PatientArStatus`.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PatientArStatus {
    Invoiceable,
    NonInvoiceable,
}

/// `InventoryRecord`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryRecord {
    pub claim_id: Uuid,
    pub encounter_id: Uuid,
    /// When money on the claim last changed (its creation if it never did).
    pub timestamp: String,
    pub patient_external_id: String,
    /// `invoiceable` when the claim's patient balance is above zero.
    pub patient_ar_status: PatientArStatus,
}

/// `ListInventoryPagedResponse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryPage {
    pub records: Vec<InventoryRecord>,
    pub next_page_token: Option<String>,
}

/// `InvoiceItem`: one patient payment (positive) or refund (negative).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceItem {
    /// The patient payment's or refund's id.
    pub source_id: Uuid,
    pub amount_cents: i64,
}

/// `PatientPaymentInfo` (line- and claim-level).
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientPaymentInfo {
    /// Patient payments net of patient refunds.
    pub total_payment_cents: i64,
    pub items: Vec<InvoiceItem>,
}

/// `PaymentInfo`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentInfo {
    pub total_payment_cents: i64,
}

/// `AdjustmentInfo`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentInfo {
    pub total_adjustment_cents: i64,
}

/// `ServiceLineItemization`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceLineItemization {
    pub service_line_id: Uuid,
    pub procedure_code: String,
    pub date_of_service: String,
    /// charge − insurance payments − adjustments − patient payments (refunds added back).
    pub patient_balance_cents: i64,
    pub charge_amount_cents: i64,
    /// Insurance write-offs, net of reverts.
    pub insurance_adjustments: AdjustmentInfo,
    /// Insurance payments net of insurance refunds.
    pub insurance_payments: PaymentInfo,
    pub non_insurance_adjustments: AdjustmentInfo,
    pub non_insurance_payments: PaymentInfo,
    /// Patient write-offs, net of reverts.
    pub patient_adjustments: AdjustmentInfo,
    pub patient_payments: PatientPaymentInfo,
    pub copay_cents: i64,
    pub coinsurance_cents: i64,
    pub deductible_cents: i64,
}

/// `InvoiceItemizationResponse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceItemizationResponse {
    pub claim_id: Uuid,
    /// The lines' balances less claim-level money; negative is a credit.
    pub patient_balance_cents: i64,
    pub organization_service_facility_id: Option<Uuid>,
    pub claim_level_patient_payments: PatientPaymentInfo,
    pub service_line_itemization: Vec<ServiceLineItemization>,
}

/// `InvalidFiltersError`, the one 422 inventory names.
fn invalid_filters(message: String) -> CandidError {
    CandidError::Named {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        name: "InvalidFiltersError",
        content: json!({ "message": message }),
    }
}

fn out_of_range() -> CandidError {
    CandidError::Unprocessable("the amounts on the claim are out of range".into())
}

fn patient_payments(
    total: Result<i64, copay_domain::MoneyError>,
    items: Vec<PatientItem>,
) -> Result<PatientPaymentInfo, CandidError> {
    Ok(PatientPaymentInfo {
        total_payment_cents: total.map_err(|_| out_of_range())?,
        items: items
            .into_iter()
            .map(|item| InvoiceItem {
                source_id: item.source_id,
                amount_cents: item.amount_cents,
            })
            .collect(),
    })
}

#[utoipa::path(
    get,
    path = "/api/patient-ar/v1/inventory",
    tag = "candid: patient AR",
    params(
        ("since" = Option<String>, Query, description = "RFC 3339; claims whose money changed at or after it"),
        ("limit" = Option<u32>, Query, description = "1–1000, default 100"),
        ("page_token" = Option<String>, Query)
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InventoryPage), (status = 422, description = "`InvalidFiltersError`"))
)]
pub async fn list_inventory(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<InventoryPage>, CandidError> {
    let params = QueryParams::parse(raw.as_deref());
    let since = params
        .string("since")
        .map(|text| {
            parse_datetime(&text)
                .ok_or_else(|| invalid_filters(format!("since: {text:?} is not a date-time")))
        })
        .transpose()?;
    let limit = params
        .parsed::<u32>("limit", "a whole number")
        .map_err(|error| invalid_filters(format!("limit: {}", error.message)))?
        .unwrap_or(100);
    let page = service::inventory(
        &state.store,
        &tenant,
        since,
        limit,
        params.string("page_token").as_deref(),
    )
    .await
    .map_err(|error| match error {
        ServiceError::Invalid { field, message } => invalid_filters(format!("{field}: {message}")),
        other => other.into(),
    })?;
    Ok(Json(InventoryPage {
        records: page
            .records
            .into_iter()
            .map(|record| InventoryRecord {
                claim_id: record.claim.claim_id,
                encounter_id: record.claim.encounter_id,
                timestamp: timestamp(record.timestamp),
                patient_external_id: record.claim.patient_external_id,
                patient_ar_status: if record.invoiceable {
                    PatientArStatus::Invoiceable
                } else {
                    PatientArStatus::NonInvoiceable
                },
            })
            .collect(),
        next_page_token: page.next_page_token,
    }))
}

#[utoipa::path(
    get,
    path = "/api/patient-ar/v1/invoice-itemization/{claim_id}",
    tag = "candid: patient AR",
    params(("claim_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InvoiceItemizationResponse), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn itemize(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(claim_id): Path<String>,
) -> Result<Json<InvoiceItemizationResponse>, CandidError> {
    let itemization = service::itemize(&state.store, &tenant, path_id(&claim_id)?).await?;
    let mut lines = Vec::with_capacity(itemization.lines.len());
    for line in itemization.lines {
        let money = line.money;
        lines.push(ServiceLineItemization {
            service_line_id: line.row.id,
            procedure_code: line.row.procedure_code,
            date_of_service: format_date(line.row.date_of_service),
            patient_balance_cents: money.patient_balance().map_err(|_| out_of_range())?,
            charge_amount_cents: line.row.charge_amount_cents,
            insurance_adjustments: AdjustmentInfo {
                total_adjustment_cents: money.insurance_written_off,
            },
            insurance_payments: PaymentInfo {
                total_payment_cents: money.insurance_paid_net().map_err(|_| out_of_range())?,
            },
            non_insurance_adjustments: AdjustmentInfo {
                total_adjustment_cents: 0,
            },
            non_insurance_payments: PaymentInfo {
                total_payment_cents: 0,
            },
            patient_adjustments: AdjustmentInfo {
                total_adjustment_cents: money.patient_written_off,
            },
            patient_payments: patient_payments(money.patient_paid_net(), line.patient_items)?,
            copay_cents: 0,
            coinsurance_cents: 0,
            deductible_cents: 0,
        });
    }
    Ok(Json(InvoiceItemizationResponse {
        claim_id: itemization.claim.claim_id,
        patient_balance_cents: itemization.patient_balance_cents,
        organization_service_facility_id: None,
        claim_level_patient_payments: patient_payments(
            itemization.claim_level.patient_paid_net(),
            itemization.claim_level_items,
        )?,
        service_line_itemization: lines,
    }))
}
