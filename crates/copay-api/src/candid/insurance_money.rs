//! Insurance refunds v1 (contract §5) and copay's insurance payments v1, which take the
//! same body shape so refunds have payments to take back (the SDK has no payer-payment
//! endpoint; DESIGN §5).

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::TenantCtx;
use copay_service::claim_money::{
    self as service, Entry, EntryError, EntryKind, EntryUpdate, ListRequest, NewEntry, Party,
};
use copay_store::Store;
use copay_store::claim_money::EntrySort;
use copay_store::payers::PayerRow;

use super::allocations::{
    Allocation, AllocationCreate, NoteUpdate, RefundReason, RefundReasonUpdate, WireDateTime,
    allocation_inputs, allocations_of, descending, limit, path_id, timestamp, unprocessable,
    uuid_param,
};
use super::error::CandidError;
use super::extract::{CandidJson, CandidTenant};
use super::payers::{PayerIdentifierBody, PayerV3};
use crate::AppState;
use crate::query::QueryParams;

/// `InsuranceRefundCreate`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InsuranceRefundCreate {
    pub payer_identifier: PayerIdentifierBody,
    pub amount_cents: i64,
    #[serde(default)]
    pub refund_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub refund_note: Option<String>,
    pub allocations: Vec<AllocationCreate>,
    #[serde(default)]
    pub refund_reason: Option<RefundReason>,
}

/// copay's `InsurancePaymentCreate`: the refund body with payment names and no reason.
#[derive(Debug, Deserialize, ToSchema)]
pub struct InsurancePaymentCreate {
    pub payer_identifier: PayerIdentifierBody,
    pub amount_cents: i64,
    #[serde(default)]
    pub payment_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub payment_note: Option<String>,
    pub allocations: Vec<AllocationCreate>,
}

/// The insurance refund update body: the timestamp plain, note and reason as set/remove.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct InsuranceRefundUpdate {
    #[serde(default)]
    pub refund_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub refund_note: Option<NoteUpdate>,
    #[serde(default)]
    pub refund_reason: Option<RefundReasonUpdate>,
}

/// The insurance payment update body.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct InsurancePaymentUpdate {
    #[serde(default)]
    pub payment_timestamp: Option<WireDateTime>,
    #[serde(default)]
    pub payment_note: Option<NoteUpdate>,
}

/// `InsuranceRefund`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsuranceRefund {
    pub insurance_refund_id: Uuid,
    pub payer: PayerV3,
    pub amount_cents: i64,
    pub refund_timestamp: String,
    pub refund_note: Option<String>,
    pub allocations: Vec<Allocation>,
    pub refund_reason: Option<String>,
}

/// copay's `InsurancePayment`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsurancePayment {
    pub insurance_payment_id: Uuid,
    pub payer: PayerV3,
    pub amount_cents: i64,
    pub payment_timestamp: String,
    pub payment_note: Option<String>,
    pub allocations: Vec<Allocation>,
}

/// `InsuranceRefundsPage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsuranceRefundsPage {
    pub items: Vec<InsuranceRefund>,
    pub next_page_token: Option<String>,
    pub prev_page_token: Option<String>,
}

/// `InsurancePaymentsPage`.
#[derive(Debug, Serialize, ToSchema)]
pub struct InsurancePaymentsPage {
    pub items: Vec<InsurancePayment>,
    pub next_page_token: Option<String>,
    pub prev_page_token: Option<String>,
}

fn payer_of(entry: &Entry, payers: &HashMap<Uuid, PayerRow>) -> PayerV3 {
    let uuid = entry.row.payer_uuid.unwrap_or_else(Uuid::nil);
    match payers.get(&uuid) {
        Some(row) => PayerV3::from(row),
        // The directory never deletes a payer; this only guards a corrupt row.
        None => PayerV3 {
            payer_uuid: uuid,
            payer_id: String::new(),
            payer_name: String::new(),
            availity_payer_name: None,
            availity_claims_payer_id: None,
            availity_eligibility_id: None,
            availity_remittance_payer_id: None,
            street_address: None,
        },
    }
}

fn refund_view(entry: Entry, payers: &HashMap<Uuid, PayerRow>) -> InsuranceRefund {
    InsuranceRefund {
        insurance_refund_id: entry.row.id,
        payer: payer_of(&entry, payers),
        amount_cents: entry.row.amount_cents,
        refund_timestamp: timestamp(entry.row.occurred_at),
        refund_note: entry.row.note.clone(),
        allocations: allocations_of(&entry),
        refund_reason: entry.row.reason.clone(),
    }
}

fn payment_view(entry: Entry, payers: &HashMap<Uuid, PayerRow>) -> InsurancePayment {
    InsurancePayment {
        insurance_payment_id: entry.row.id,
        payer: payer_of(&entry, payers),
        amount_cents: entry.row.amount_cents,
        payment_timestamp: timestamp(entry.row.occurred_at),
        payment_note: entry.row.note.clone(),
        allocations: allocations_of(&entry),
    }
}

async fn payers_of(
    store: &Store,
    entries: &[Entry],
) -> Result<HashMap<Uuid, PayerRow>, CandidError> {
    let mut uuids: Vec<Uuid> = entries.iter().filter_map(|e| e.row.payer_uuid).collect();
    uuids.sort();
    uuids.dedup();
    Ok(copay_service::payers::get_many(store, &uuids).await?)
}

/// The payer of a created entry as its transaction read it: no second directory read.
fn created_payer(payer: Option<PayerRow>) -> HashMap<Uuid, PayerRow> {
    payer.map(|row| (row.payer_uuid, row)).into_iter().collect()
}

/// The Candid-shaped insurance refund with this id, for webhook payloads too.
pub async fn read_refund(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<InsuranceRefund, copay_service::ServiceError> {
    let entry = service::get(store, tenant, EntryKind::InsuranceRefund, id).await?;
    let payers = copay_service::payers::get_many(
        store,
        &entry.row.payer_uuid.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(refund_view(entry, &payers))
}

/// The insurance payment with this id, for webhook payloads too.
pub async fn read_payment(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<InsurancePayment, copay_service::ServiceError> {
    let entry = service::get(store, tenant, EntryKind::InsurancePayment, id).await?;
    let payers = copay_service::payers::get_many(
        store,
        &entry.row.payer_uuid.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    Ok(payment_view(entry, &payers))
}

/// A refund larger than what was paid on a target: insurance refunds name no overdraft
/// error, so it is their `UnprocessableEntityError`.
fn create_error(error: EntryError) -> CandidError {
    match error {
        EntryError::Service(error) => unprocessable(error.into()),
        EntryError::Overdraft(details) => CandidError::Unprocessable(
            details
                .iter()
                .map(|detail| {
                    format!(
                        "refunding {} cents from a target would exceed the {} cents the payer paid there",
                        detail.requested_cents, detail.paid_cents
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

fn list_request(kind: EntryKind, params: &QueryParams) -> Result<ListRequest, CandidError> {
    let sort = match (kind, params.string("sort").as_deref()) {
        (_, None) => EntrySort::Time,
        (_, Some("amount_cents")) => EntrySort::Amount,
        (EntryKind::InsuranceRefund, Some("refund_timestamp"))
        | (EntryKind::InsurancePayment, Some("payment_timestamp")) => EntrySort::Time,
        (EntryKind::InsuranceRefund, Some("refund_note"))
        | (EntryKind::InsurancePayment, Some("payment_note")) => EntrySort::Note,
        (EntryKind::InsuranceRefund, Some("refund_reason")) => EntrySort::Reason,
        (_, Some(other)) => {
            return Err(CandidError::Unprocessable(format!(
                "sort: {other:?} is not a sort field of this list"
            )));
        }
    };
    Ok(ListRequest {
        kind,
        patient_external_id: None,
        payer_uuid: uuid_param(params, "payer_uuid")?,
        claim_id: uuid_param(params, "claim_id")?,
        service_line_id: uuid_param(params, "service_line_id")?,
        billing_provider_id: uuid_param(params, "billing_provider_id")?,
        unattributed: None,
        invoice_id: None,
        sources: Vec::new(),
        source_internal_id: None,
        sort,
        descending: descending(params)?,
        limit: limit(params)?,
        page_token: params.string("page_token"),
    })
}

fn parse_body<T>(body: Result<CandidJson<T>, CandidError>) -> Result<T, CandidError> {
    body.map(|CandidJson(body)| body).map_err(unprocessable)
}

async fn list_entries(
    state: &AppState,
    tenant: &TenantCtx,
    kind: EntryKind,
    raw: Option<&str>,
) -> Result<(Vec<Entry>, Option<String>, HashMap<Uuid, PayerRow>), CandidError> {
    let params = QueryParams::parse(raw);
    let request = list_request(kind, &params)?;
    let page = service::list(&state.store, tenant, request)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    let payers = payers_of(&state.store, &page.items).await?;
    Ok((page.items, page.next_page_token, payers))
}

async fn delete_entry(
    state: &AppState,
    tenant: &TenantCtx,
    kind: EntryKind,
    id: &str,
) -> Result<StatusCode, CandidError> {
    let id = path_id(id)?;
    service::delete(&state.store, tenant, kind, id)
        .await
        .map_err(|error| unprocessable(error.into()))?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = "/api/insurance-refunds/v1",
    tag = "candid: insurance refunds",
    params(
        ("limit" = Option<u32>, Query), ("payer_uuid" = Option<Uuid>, Query),
        ("claim_id" = Option<Uuid>, Query), ("service_line_id" = Option<Uuid>, Query),
        ("billing_provider_id" = Option<Uuid>, Query),
        ("sort" = Option<String>, Query, description = "amount_cents, refund_timestamp (default), refund_note, refund_reason"),
        ("sort_direction" = Option<String>, Query), ("page_token" = Option<String>, Query)
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsuranceRefundsPage), (status = 422, description = "`UnprocessableEntityError`"))
)]
pub async fn get_refunds(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<InsuranceRefundsPage>, CandidError> {
    let (items, next_page_token, payers) =
        list_entries(&state, &tenant, EntryKind::InsuranceRefund, raw.as_deref()).await?;
    Ok(Json(InsuranceRefundsPage {
        items: items.into_iter().map(|e| refund_view(e, &payers)).collect(),
        next_page_token,
        prev_page_token: None,
    }))
}

#[utoipa::path(
    get,
    path = "/api/insurance-refunds/v1/{insurance_refund_id}",
    tag = "candid: insurance refunds",
    params(("insurance_refund_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsuranceRefund), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<InsuranceRefund>, CandidError> {
    Ok(Json(
        read_refund(&state.store, &tenant, path_id(&id)?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/insurance-refunds/v1",
    tag = "candid: insurance refunds",
    request_body = InsuranceRefundCreate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = InsuranceRefund),
        (status = 404, description = "`EntityNotFoundError`: a `payer_uuid` or an allocation target"),
        (status = 422, description = "`UnprocessableEntityError`, also for a refund larger than what the payer paid on a target")
    )
)]
pub async fn create_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    body: Result<CandidJson<InsuranceRefundCreate>, CandidError>,
) -> Result<Json<InsuranceRefund>, CandidError> {
    let body = parse_body(body)?;
    let new = NewEntry {
        kind: EntryKind::InsuranceRefund,
        party: Party::Payer(body.payer_identifier.into_service()),
        amount_cents: body.amount_cents,
        occurred_at: body.refund_timestamp.map(|at| at.0),
        note: body.refund_note,
        reason: body.refund_reason.map(|reason| reason.as_str().to_string()),
        source: None,
        source_internal_id: None,
        invoice_id: None,
        extra: serde_json::json!({}),
        allocations: allocation_inputs(body.allocations)?,
        restrictions: Vec::new(),
    };
    let (entry, payer) = service::create_with_payer(&state.store, &tenant, new)
        .await
        .map_err(create_error)?;
    Ok(Json(refund_view(entry, &created_payer(payer))))
}

#[utoipa::path(
    patch,
    path = "/api/insurance-refunds/v1/{insurance_refund_id}",
    tag = "candid: insurance refunds",
    params(("insurance_refund_id" = String, Path)),
    request_body = InsuranceRefundUpdate,
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsuranceRefund), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn update_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    body: Result<CandidJson<InsuranceRefundUpdate>, CandidError>,
) -> Result<Json<InsuranceRefund>, CandidError> {
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
        invoice_id: None,
    };
    let entry = service::update(
        &state.store,
        &tenant,
        EntryKind::InsuranceRefund,
        id,
        change,
    )
    .await
    .map_err(|error| unprocessable(error.into()))?;
    let payers = payers_of(&state.store, std::slice::from_ref(&entry)).await?;
    Ok(Json(refund_view(entry, &payers)))
}

#[utoipa::path(
    delete,
    path = "/api/insurance-refunds/v1/{insurance_refund_id}",
    tag = "candid: insurance refunds",
    params(("insurance_refund_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 204), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn delete_refund(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, CandidError> {
    delete_entry(&state, &tenant, EntryKind::InsuranceRefund, &id).await
}

#[utoipa::path(
    get,
    path = "/api/insurance-payments/v1",
    tag = "copay: insurance payments",
    params(
        ("limit" = Option<u32>, Query), ("payer_uuid" = Option<Uuid>, Query),
        ("claim_id" = Option<Uuid>, Query), ("service_line_id" = Option<Uuid>, Query),
        ("billing_provider_id" = Option<Uuid>, Query),
        ("sort" = Option<String>, Query, description = "amount_cents, payment_timestamp (default), payment_note"),
        ("sort_direction" = Option<String>, Query), ("page_token" = Option<String>, Query)
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsurancePaymentsPage), (status = 422, description = "`UnprocessableEntityError`"))
)]
pub async fn get_payments(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<InsurancePaymentsPage>, CandidError> {
    let (items, next_page_token, payers) =
        list_entries(&state, &tenant, EntryKind::InsurancePayment, raw.as_deref()).await?;
    Ok(Json(InsurancePaymentsPage {
        items: items
            .into_iter()
            .map(|e| payment_view(e, &payers))
            .collect(),
        next_page_token,
        prev_page_token: None,
    }))
}

#[utoipa::path(
    get,
    path = "/api/insurance-payments/v1/{insurance_payment_id}",
    tag = "copay: insurance payments",
    params(("insurance_payment_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsurancePayment), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<InsurancePayment>, CandidError> {
    Ok(Json(
        read_payment(&state.store, &tenant, path_id(&id)?).await?,
    ))
}

#[utoipa::path(
    post,
    path = "/api/insurance-payments/v1",
    tag = "copay: insurance payments",
    request_body = InsurancePaymentCreate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = InsurancePayment),
        (status = 404, description = "`EntityNotFoundError`: a `payer_uuid` or an allocation target"),
        (status = 422, description = "`UnprocessableEntityError`")
    )
)]
pub async fn create_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    body: Result<CandidJson<InsurancePaymentCreate>, CandidError>,
) -> Result<Json<InsurancePayment>, CandidError> {
    let body = parse_body(body)?;
    let new = NewEntry {
        kind: EntryKind::InsurancePayment,
        party: Party::Payer(body.payer_identifier.into_service()),
        amount_cents: body.amount_cents,
        occurred_at: body.payment_timestamp.map(|at| at.0),
        note: body.payment_note,
        reason: None,
        source: None,
        source_internal_id: None,
        invoice_id: None,
        extra: serde_json::json!({}),
        allocations: allocation_inputs(body.allocations)?,
        restrictions: Vec::new(),
    };
    let (entry, payer) = service::create_with_payer(&state.store, &tenant, new)
        .await
        .map_err(create_error)?;
    Ok(Json(payment_view(entry, &created_payer(payer))))
}

#[utoipa::path(
    patch,
    path = "/api/insurance-payments/v1/{insurance_payment_id}",
    tag = "copay: insurance payments",
    params(("insurance_payment_id" = String, Path)),
    request_body = InsurancePaymentUpdate,
    security(("candid_bearer" = [])),
    responses((status = 200, body = InsurancePayment), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn update_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    body: Result<CandidJson<InsurancePaymentUpdate>, CandidError>,
) -> Result<Json<InsurancePayment>, CandidError> {
    let id = path_id(&id)?;
    let body = parse_body(body)?;
    let change = EntryUpdate {
        occurred_at: body.payment_timestamp.map(|at| at.0),
        note: body.payment_note.map(NoteUpdate::into_change),
        reason: None,
        invoice_id: None,
    };
    let entry = service::update(
        &state.store,
        &tenant,
        EntryKind::InsurancePayment,
        id,
        change,
    )
    .await
    .map_err(|error| unprocessable(error.into()))?;
    let payers = payers_of(&state.store, std::slice::from_ref(&entry)).await?;
    Ok(Json(payment_view(entry, &payers)))
}

#[utoipa::path(
    delete,
    path = "/api/insurance-payments/v1/{insurance_payment_id}",
    tag = "copay: insurance payments",
    params(("insurance_payment_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 204), (status = 404, description = "`EntityNotFoundError`"), (status = 422, description = "`UnprocessableEntityError`: refunds took money back from it"))
)]
pub async fn delete_payment(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<StatusCode, CandidError> {
    delete_entry(&state, &tenant, EntryKind::InsurancePayment, &id).await
}
