//! Patient payments v4 and patient refunds v1 (contract §6.1–6.2): money the patient paid
//! toward claims, and money given back, allocated like every Candid ledger.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::allocation::RestrictionType;
use copay_service::claim_money::{
    self as service, Entry, EntryError, EntryKind, EntryUpdate, ListRequest, NewEntry, Party,
};
use copay_store::claim_money::EntrySort;

use super::allocations::{
    Allocation, AllocationCreate, AllocationTarget, InvoiceUpdate, NoteUpdate, RefundReason,
    RefundReasonUpdate, WireDateTime, allocation_inputs, allocations_of, descending, field_error,
    limit, path_id, timestamp, unprocessable, uuid_param,
};
use super::error::CandidError;
use super::extract::{CandidJson, CandidTenant};
use crate::AppState;
use crate::query::QueryParams;

/// `PatientTransactionSource`.
const SOURCES: &[&str] = &[
    "MANUAL_ENTRY",
    "CHARGEBEE",
    "SQUARE",
    "STRIPE",
    "ELATION",
    "CEDAR",
    "HEALTHIE",
    "REALLOCATION",
    "PHREESIA",
    "INSTAMED",
    "SHERPA_HEALTH",
    "LOCKBOX",
];

/// `PatientPaymentCreateSource`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatientPaymentCreateSource {
    ManualEntry,
    Phreesia,
    SherpaHealth,
    Lockbox,
}

impl PatientPaymentCreateSource {
    fn as_str(self) -> &'static str {
        match self {
            PatientPaymentCreateSource::ManualEntry => "MANUAL_ENTRY",
            PatientPaymentCreateSource::Phreesia => "PHREESIA",
            PatientPaymentCreateSource::SherpaHealth => "SHERPA_HEALTH",
            PatientPaymentCreateSource::Lockbox => "LOCKBOX",
        }
    }
}

/// `AllocationRestrictionCreate`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllocationRestrictionCreate {
    /// `billing_provider_npi` or `service_facility_id`.
    pub restriction_type: String,
    pub restriction_value: String,
}

fn restrictions(
    given: &[AllocationRestrictionCreate],
) -> Result<Vec<(RestrictionType, String)>, CandidError> {
    given
        .iter()
        .enumerate()
        .map(|(index, restriction)| {
            RestrictionType::parse(&restriction.restriction_type)
                .map(|kind| (kind, restriction.restriction_value.clone()))
                .ok_or_else(|| {
                    CandidError::Unprocessable(format!(
                        "allocation_restrictions[{index}].restriction_type: {:?} is not one of \
                         billing_provider_npi, service_facility_id",
                        restriction.restriction_type
                    ))
                })
        })
        .collect()
}

/// `PaymentMethod(Create)`: cash, check, card or money order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash {},
    Check {
        check_number: String,
    },
    Card {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        authorization_number: Option<String>,
    },
    MoneyOrder {
        money_order_serial_number: String,
    },
}

/// `PaymentMethodDetailCreate`; the response (`PaymentMethodDetail`) is the same minus
/// `organization_service_facility_id`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethodDetailCreate {
    pub payment_method: PaymentMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub collected_at_address: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_service_facility_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub provider_info: Option<Value>,
}

/// `PatientPaymentCreate`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatientPaymentCreate {
    pub amount_cents: i64,
    pub patient_external_id: String,
    pub allocations: Vec<AllocationCreate>,
    #[serde(default)]
    pub payment_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub payment_note: Option<String>,
    #[serde(default)]
    pub invoice: Option<Uuid>,
    #[serde(default)]
    pub payment_method_detail: Option<PaymentMethodDetailCreate>,
    #[serde(default)]
    pub payment_source: Option<PatientPaymentCreateSource>,
    #[serde(default)]
    pub source_internal_id: Option<String>,
    #[serde(default)]
    pub allocation_restrictions: Option<Vec<AllocationRestrictionCreate>>,
}

/// `PatientRefundCreate`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PatientRefundCreate {
    pub amount_cents: i64,
    pub patient_external_id: String,
    pub allocations: Vec<AllocationCreate>,
    #[serde(default)]
    pub refund_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub refund_note: Option<String>,
    #[serde(default)]
    pub invoice: Option<Uuid>,
    #[serde(default)]
    pub refund_reason: Option<RefundReason>,
    #[serde(default)]
    pub allocation_restrictions: Option<Vec<AllocationRestrictionCreate>>,
    /// copay never overdraws a target: a refund larger than what was paid there is
    /// refused with `ReallocationWouldOverdraftError` whatever this says.
    #[serde(default)]
    pub raise_on_overdraft: Option<bool>,
}

/// The update body of patient payments.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct PatientPaymentUpdate {
    #[serde(default)]
    pub payment_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub payment_note: Option<NoteUpdate>,
    #[serde(default)]
    pub invoice: Option<InvoiceUpdate>,
}

/// The update body of patient refunds.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct PatientRefundUpdate {
    #[serde(default)]
    pub refund_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub refund_note: Option<NoteUpdate>,
    #[serde(default)]
    pub invoice: Option<InvoiceUpdate>,
    #[serde(default)]
    pub refund_reason: Option<RefundReasonUpdate>,
}

/// `PatientPayment` (v4).
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientPayment {
    pub patient_payment_id: Uuid,
    pub organization_id: Uuid,
    pub source_internal_id: Option<String>,
    /// `PatientTransactionSource`.
    pub payment_source: String,
    pub amount_cents: i64,
    pub patient_external_id: String,
    pub payment_timestamp: String,
    pub payment_note: Option<String>,
    pub allocations: Vec<Allocation>,
    pub invoice: Option<Uuid>,
    #[schema(value_type = Option<Object>)]
    pub payment_method_detail: Option<Value>,
}

/// `PatientRefund`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientRefund {
    pub patient_refund_id: Uuid,
    pub organization_id: Uuid,
    pub source_internal_id: Option<String>,
    /// `PatientTransactionSource`.
    pub refund_source: String,
    pub amount_cents: i64,
    pub patient_external_id: String,
    pub refund_timestamp: String,
    pub refund_note: Option<String>,
    pub allocations: Vec<Allocation>,
    pub invoice: Option<Uuid>,
    pub refund_reason: Option<String>,
}

/// `PatientPaymentsPage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientPaymentsPage {
    pub items: Vec<PatientPayment>,
    pub next_page_token: Option<String>,
    pub prev_page_token: Option<String>,
}

/// `PatientRefundsPage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PatientRefundsPage {
    pub items: Vec<PatientRefund>,
    pub next_page_token: Option<String>,
    pub prev_page_token: Option<String>,
}

fn source(entry: &Entry) -> String {
    entry
        .row
        .source
        .clone()
        .unwrap_or_else(|| "MANUAL_ENTRY".to_string())
}

impl From<Entry> for PatientPayment {
    fn from(entry: Entry) -> Self {
        // The response's `PaymentMethodDetail` has no facility id.
        let detail = entry
            .row
            .extra
            .0
            .get("payment_method_detail")
            .cloned()
            .filter(|detail| !detail.is_null())
            .map(|mut detail| {
                if let Some(fields) = detail.as_object_mut() {
                    fields.remove("organization_service_facility_id");
                }
                detail
            });
        PatientPayment {
            patient_payment_id: entry.row.id,
            organization_id: entry.row.tenant_id,
            source_internal_id: entry.row.source_internal_id.clone(),
            payment_source: source(&entry),
            amount_cents: entry.row.amount_cents,
            patient_external_id: entry.row.patient_external_id.clone().unwrap_or_default(),
            payment_timestamp: timestamp(entry.row.occurred_at),
            payment_note: entry.row.note.clone(),
            allocations: allocations_of(&entry),
            invoice: entry.row.invoice_id,
            payment_method_detail: detail,
        }
    }
}

impl From<Entry> for PatientRefund {
    fn from(entry: Entry) -> Self {
        PatientRefund {
            patient_refund_id: entry.row.id,
            organization_id: entry.row.tenant_id,
            source_internal_id: entry.row.source_internal_id.clone(),
            refund_source: source(&entry),
            amount_cents: entry.row.amount_cents,
            patient_external_id: entry.row.patient_external_id.clone().unwrap_or_default(),
            refund_timestamp: timestamp(entry.row.occurred_at),
            refund_note: entry.row.note.clone(),
            allocations: allocations_of(&entry),
            invoice: entry.row.invoice_id,
            refund_reason: entry.row.reason.clone(),
        }
    }
}

/// `ReallocationWouldOverdraftError` for a refund that takes back more than was paid.
fn overdraft(error: EntryError) -> CandidError {
    match error {
        EntryError::Service(error) => unprocessable(error.into()),
        EntryError::Overdraft(details) => {
            let messages: Vec<String> = details
                .iter()
                .map(|detail| {
                    format!(
                        "refunding {} cents would exceed the {} cents paid on the target",
                        detail.requested_cents, detail.paid_cents
                    )
                })
                .collect();
            let allocation_details: Vec<Value> = details
                .iter()
                .zip(&messages)
                .map(|(detail, message)| {
                    json!({
                        "allocation_target": AllocationTarget::of(&detail.target),
                        "patient_paid_amount_cents": detail.paid_cents,
                        "current_balance_cents": detail.paid_cents,
                        "overage_amount_cents": detail.requested_cents.saturating_sub(detail.paid_cents),
                        "error_message": message,
                    })
                })
                .collect();
            CandidError::Named {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                name: "ReallocationWouldOverdraftError",
                content: json!({
                    "messages": messages,
                    "allocation_details": allocation_details,
                }),
            }
        }
    }
}

fn list_request(kind: EntryKind, params: &QueryParams) -> Result<ListRequest, CandidError> {
    let sort = match (kind, params.string("sort").as_deref()) {
        (_, None) => EntrySort::Time,
        (_, Some("amount_cents")) => EntrySort::Amount,
        (EntryKind::PatientPayment, Some("payment_timestamp"))
        | (EntryKind::PatientRefund, Some("refund_timestamp")) => EntrySort::Time,
        (EntryKind::PatientPayment, Some("payment_source"))
        | (EntryKind::PatientRefund, Some("refund_source")) => EntrySort::Source,
        (EntryKind::PatientPayment, Some("payment_note"))
        | (EntryKind::PatientRefund, Some("refund_note")) => EntrySort::Note,
        (EntryKind::PatientRefund, Some("refund_reason")) => EntrySort::Reason,
        (_, Some(other)) => {
            return Err(CandidError::Unprocessable(format!(
                "sort: {other:?} is not a sort field of this list"
            )));
        }
    };
    let sources = params.strings("sources");
    if let Some(unknown) = sources.iter().find(|s| !SOURCES.contains(&s.as_str())) {
        return Err(CandidError::Unprocessable(format!(
            "sources: {unknown:?} is not a PatientTransactionSource"
        )));
    }
    Ok(ListRequest {
        kind,
        patient_external_id: params.string("patient_external_id"),
        payer_uuid: None,
        claim_id: uuid_param(params, "claim_id")?,
        service_line_id: uuid_param(params, "service_line_id")?,
        billing_provider_id: uuid_param(params, "billing_provider_id")?,
        unattributed: params
            .parsed::<bool>("unattributed", "true or false")
            .map_err(field_error)?,
        invoice_id: uuid_param(params, "invoice_id")?,
        sources,
        source_internal_id: match kind {
            EntryKind::PatientPayment => params.string("source_internal_id"),
            _ => None,
        },
        sort,
        descending: descending(params)?,
        limit: limit(params)?,
        page_token: params.string("page_token"),
    })
}

fn parse_body<T>(body: Result<CandidJson<T>, CandidError>) -> Result<T, CandidError> {
    body.map(|CandidJson(body)| body).map_err(unprocessable)
}

#[utoipa::path(
    get,
    path = "/api/patient-payments/v4",
    tag = "candid: patient payments",
    params(
        ("limit" = Option<u32>, Query), ("patient_external_id" = Option<String>, Query),
        ("claim_id" = Option<Uuid>, Query), ("service_line_id" = Option<Uuid>, Query),
        ("billing_provider_id" = Option<Uuid>, Query), ("unattributed" = Option<bool>, Query),
        ("invoice_id" = Option<Uuid>, Query), ("sources" = Option<Vec<String>>, Query),
        ("source_internal_id" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "payment_source, amount_cents, payment_timestamp (default), payment_note"),
        ("sort_direction" = Option<String>, Query), ("page_token" = Option<String>, Query)
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientPaymentsPage), (status = 422, description = "`UnprocessableEntityError`"))
)]
pub async fn get_payments(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<PatientPaymentsPage>, CandidError> {
    let params = QueryParams::parse(raw.as_deref());
    let request = list_request(EntryKind::PatientPayment, &params)?;
    let page = service::list(&state.store, &tenant, request)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(PatientPaymentsPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}

#[utoipa::path(
    get,
    path = "/api/patient-payments/v4/{patient_payment_id}",
    tag = "candid: patient payments",
    params(("patient_payment_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientPayment), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<PatientPayment>, CandidError> {
    let entry = service::get(
        &state.store,
        &tenant,
        EntryKind::PatientPayment,
        path_id(&id)?,
    )
    .await?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    post,
    path = "/api/patient-payments/v4",
    tag = "candid: patient payments",
    request_body = PatientPaymentCreate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = PatientPayment),
        (status = 404, description = "`EntityNotFoundError`: the patient or an allocation target"),
        (status = 422, description = "`UnprocessableEntityError`")
    )
)]
pub async fn create_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    body: Result<CandidJson<PatientPaymentCreate>, CandidError>,
) -> Result<Json<PatientPayment>, CandidError> {
    let body = parse_body(body)?;
    let restrictions = restrictions(body.allocation_restrictions.as_deref().unwrap_or(&[]))?;
    let extra = json!({
        "payment_method_detail": body.payment_method_detail,
        "allocation_restrictions": body.allocation_restrictions,
    });
    let new = NewEntry {
        kind: EntryKind::PatientPayment,
        party: Party::Patient(body.patient_external_id),
        amount_cents: body.amount_cents,
        occurred_at: body.payment_timestamp.map(|at| at.0),
        note: body.payment_note,
        reason: None,
        source: Some(
            body.payment_source
                .map(PatientPaymentCreateSource::as_str)
                .unwrap_or("MANUAL_ENTRY")
                .to_string(),
        ),
        source_internal_id: body.source_internal_id,
        invoice_id: body.invoice,
        extra,
        allocations: allocation_inputs(body.allocations)?,
        restrictions,
    };
    let entry = service::create(&state.store, &tenant, new)
        .await
        .map_err(overdraft)?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    patch,
    path = "/api/patient-payments/v4/{patient_payment_id}",
    tag = "candid: patient payments",
    params(("patient_payment_id" = String, Path)),
    request_body = PatientPaymentUpdate,
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientPayment), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn update_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    body: Result<CandidJson<PatientPaymentUpdate>, CandidError>,
) -> Result<Json<PatientPayment>, CandidError> {
    let id = path_id(&id)?;
    let body = parse_body(body)?;
    let change = EntryUpdate {
        occurred_at: body.payment_timestamp.map(|at| at.0),
        note: body.payment_note.map(NoteUpdate::into_change),
        reason: None,
        invoice_id: body.invoice.map(InvoiceUpdate::into_change),
    };
    let entry = service::update(&state.store, &tenant, EntryKind::PatientPayment, id, change)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    delete,
    path = "/api/patient-payments/v4/{patient_payment_id}",
    tag = "candid: patient payments",
    params(("patient_payment_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 204), (status = 404, description = "`EntityNotFoundError`"), (status = 422, description = "`UnprocessableEntityError`: refunds took money back from it"))
)]
pub async fn delete_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, CandidError> {
    let id = path_id(&id)?;
    service::delete(&state.store, &tenant, EntryKind::PatientPayment, id)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/patient-refunds/v1",
    tag = "candid: patient refunds",
    params(
        ("limit" = Option<u32>, Query), ("patient_external_id" = Option<String>, Query),
        ("claim_id" = Option<Uuid>, Query), ("service_line_id" = Option<Uuid>, Query),
        ("billing_provider_id" = Option<Uuid>, Query), ("unattributed" = Option<bool>, Query),
        ("invoice_id" = Option<Uuid>, Query), ("sources" = Option<Vec<String>>, Query),
        ("sort" = Option<String>, Query, description = "refund_source, amount_cents, refund_timestamp (default), refund_reason, refund_note"),
        ("sort_direction" = Option<String>, Query), ("page_token" = Option<String>, Query)
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientRefundsPage), (status = 422, description = "`UnprocessableEntityError`"))
)]
pub async fn get_refunds(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<PatientRefundsPage>, CandidError> {
    let params = QueryParams::parse(raw.as_deref());
    let request = list_request(EntryKind::PatientRefund, &params)?;
    let page = service::list(&state.store, &tenant, request)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(PatientRefundsPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}

#[utoipa::path(
    get,
    path = "/api/patient-refunds/v1/{patient_refund_id}",
    tag = "candid: patient refunds",
    params(("patient_refund_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientRefund), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<PatientRefund>, CandidError> {
    let entry = service::get(
        &state.store,
        &tenant,
        EntryKind::PatientRefund,
        path_id(&id)?,
    )
    .await?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    post,
    path = "/api/patient-refunds/v1",
    tag = "candid: patient refunds",
    request_body = PatientRefundCreate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = PatientRefund),
        (status = 404, description = "`EntityNotFoundError`: the patient or an allocation target"),
        (status = 422, description = "`ReallocationWouldOverdraftError` (more than was paid on a target) or `UnprocessableEntityError`")
    )
)]
pub async fn create_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    body: Result<CandidJson<PatientRefundCreate>, CandidError>,
) -> Result<Json<PatientRefund>, CandidError> {
    let body = parse_body(body)?;
    let restrictions = restrictions(body.allocation_restrictions.as_deref().unwrap_or(&[]))?;
    let extra = json!({
        "allocation_restrictions": body.allocation_restrictions,
        "raise_on_overdraft": body.raise_on_overdraft,
    });
    let new = NewEntry {
        kind: EntryKind::PatientRefund,
        party: Party::Patient(body.patient_external_id),
        amount_cents: body.amount_cents,
        occurred_at: body.refund_timestamp.map(|at| at.0),
        note: body.refund_note,
        reason: body.refund_reason.map(|reason| reason.as_str().to_string()),
        source: Some("MANUAL_ENTRY".to_string()),
        source_internal_id: None,
        invoice_id: body.invoice,
        extra,
        allocations: allocation_inputs(body.allocations)?,
        restrictions,
    };
    let entry = service::create(&state.store, &tenant, new)
        .await
        .map_err(overdraft)?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    patch,
    path = "/api/patient-refunds/v1/{patient_refund_id}",
    tag = "candid: patient refunds",
    params(("patient_refund_id" = String, Path)),
    request_body = PatientRefundUpdate,
    security(("candid_bearer" = [])),
    responses((status = 200, body = PatientRefund), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn update_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    body: Result<CandidJson<PatientRefundUpdate>, CandidError>,
) -> Result<Json<PatientRefund>, CandidError> {
    let id = path_id(&id)?;
    let body = parse_body(body)?;
    let change = EntryUpdate {
        occurred_at: body.refund_timestamp.map(|at| at.0),
        note: body.refund_note.map(NoteUpdate::into_change),
        reason: body.refund_reason.map(|update| {
            update
                .into_change()
                .map(|reason| reason.as_str().to_string())
        }),
        invoice_id: body.invoice.map(InvoiceUpdate::into_change),
    };
    let entry = service::update(&state.store, &tenant, EntryKind::PatientRefund, id, change)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(Json(entry.into()))
}

#[utoipa::path(
    delete,
    path = "/api/patient-refunds/v1/{patient_refund_id}",
    tag = "candid: patient refunds",
    params(("patient_refund_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 204), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn delete_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, CandidError> {
    let id = path_id(&id)?;
    service::delete(&state.store, &tenant, EntryKind::PatientRefund, id)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(StatusCode::NO_CONTENT)
}
