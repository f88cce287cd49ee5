//! Gen-2 charges: create (`/billing/payment-terminal/charge/create`), get, list and the
//! charge table (`/billing/charge/...`).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderName, HeaderValue};
use uuid::Uuid;

use copay_service::charge_table as table_service;
use copay_service::charges::{self as service, ChargeSort, MAX_CHARGE_LIST};
use copay_store::charges::ChargeQuery;

use super::charge_input::{ChargeInput, new_charge};
use super::charge_table_query::{self, GEN2_STATUSES};
use super::charge_views::{ChargeDetailWithItems, ChargeSummaryV2, ChargeTablePage, table_row};
use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;

/// The response header naming the snapshot a charge-table page was read at.
pub const SNAPSHOT_HEADER: HeaderName = HeaderName::from_static("copay-snapshot");

fn charge_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found_id("charge", id))
}

/// Creates a charge (DESIGN §4): its total is computed from its lines and discounts (a
/// stated `total` must match them); `totalOutstanding` must be between 0 and the total,
/// the gap being money settled before copay saw the charge. copay generates the id: a body
/// `id` is a 422.
#[utoipa::path(
    post, path = "/billing/payment-terminal/charge/create", tag = "decoda: charges",
    request_body = ChargeInput,
    responses((status = 200, body = ChargeSummaryV2), (status = 404, description = "Unknown patient or item"),
              (status = 409, description = "`externalId` taken"), (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<ChargeInput>,
) -> Result<Json<ChargeSummaryV2>, DecodaError> {
    if body.id.is_some() {
        return Err(DecodaError::body(
            "id",
            "copay generates charge ids: leave id out",
            "value_error",
        ));
    }
    let charge = service::create(&state.store, &tenant, new_charge("", body)?).await?;
    Ok(Json(charge.into()))
}

#[utoipa::path(
    get, path = "/billing/charge/get/{id}", tag = "decoda: charges",
    params(("id" = String, Path)),
    responses((status = 200, body = ChargeDetailWithItems), (status = 404, description = "Not in this tenant"))
)]
pub async fn get(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<ChargeDetailWithItems>, DecodaError> {
    let charge = service::get(&state.store, &tenant, charge_id(&id)?).await?;
    Ok(Json(charge.into()))
}

/// The tenant's charges with their lines, payments and adjustments, newest first: the
/// newest 1000 (upstream does not page this list; copay bounds it).
#[utoipa::path(
    get, path = "/billing/charge/list", tag = "decoda: charges",
    params(("patient_id" = Option<String>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = Vec<ChargeDetailWithItems>), (status = 422, description = "Invalid parameter"))
)]
pub async fn list(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<ChargeDetailWithItems>>, DecodaError> {
    let params = QueryParams::parse(raw.as_deref());
    let query = ChargeQuery {
        // A patient id that is not a UUID names no patient: it matches nothing.
        patient_id: params
            .string("patient_id")
            .map(|id| Uuid::parse_str(&id).unwrap_or(Uuid::nil())),
        status: params
            .one_of("status", &GEN2_STATUSES)
            .map_err(DecodaError::query)?,
        external_id: None,
        total: None,
        total_outstanding: None,
        description: None,
        sort: ChargeSort::CreatedDate,
        descending: true,
        limit: MAX_CHARGE_LIST,
    };
    let charges = service::list_with_details(&state.store, &tenant, query)
        .await
        .map_err(DecodaError::from_query)?;
    Ok(Json(charges.into_iter().map(Into::into).collect()))
}

/// One page of the charge table and the count of all matches. Every filter must hold;
/// `total` / `total_outstanding` are `[min]` or `[min, max]` (repeat the key);
/// `created_date` / `payment_date` are one date (that day in `tz`) or two date-times
/// (inclusive). Ties are broken by id. Each page carries a `Copay-Snapshot` header:
/// passing it back as `snapshot` keeps charges created meanwhile out of later pages, so
/// pages never repeat or skip a charge.
#[utoipa::path(
    get, path = "/billing/charge/table", tag = "decoda: charges",
    params(("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query),
           ("sort_by" = Option<String>, Query), ("sort_direction" = Option<String>, Query),
           ("location_id" = Option<String>, Query), ("location_ids" = Option<Vec<String>>, Query),
           ("id" = Option<String>, Query), ("patient_id" = Option<String>, Query),
           ("name" = Option<String>, Query), ("total" = Option<Vec<i64>>, Query),
           ("total_outstanding" = Option<Vec<i64>>, Query), ("description" = Option<String>, Query),
           ("status" = Option<Vec<String>>, Query), ("charge_external_id" = Option<String>, Query),
           ("patient_external_id" = Option<String>, Query), ("created_date" = Option<Vec<String>>, Query),
           ("payment_date" = Option<Vec<String>>, Query), ("tz" = Option<String>, Query),
           ("snapshot" = Option<String>, Query, description = "copay: the `Copay-Snapshot` of the first page")),
    responses((status = 200, body = ChargeTablePage), (status = 422, description = "Invalid parameter"))
)]
pub async fn table(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<([(HeaderName, HeaderValue); 1], Json<ChargeTablePage>), DecodaError> {
    let params = QueryParams::parse(raw.as_deref());
    let query = charge_table_query::parse(&params).map_err(DecodaError::query)?;
    let page = table_service::table(&state.store, &tenant, query)
        .await
        .map_err(DecodaError::from_query)?;
    let snapshot = HeaderValue::from_str(&page.snapshot.to_string())
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    let data = page
        .charges
        .into_iter()
        .map(|charge| {
            let creator = table_service::creator_id(&charge).and_then(|id| page.creators.get(&id));
            table_row(charge, creator)
        })
        .collect();
    Ok((
        [(SNAPSHOT_HEADER, snapshot)],
        Json(ChargeTablePage {
            data,
            total: page.total,
        }),
    ))
}
