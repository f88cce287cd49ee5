//! `GET /billing/charge/timeline` (Gen-2): a charge's history as `ChargeTimeline` entries.

use axum::Json;
use axum::extract::{RawQuery, State};
use serde::Serialize;
use utoipa::ToSchema;

use copay_service::charge_table::creator_id;
use copay_service::charges::Charge;
use copay_service::timeline::{self as service, EventKind, Timeline, TimelineEvent};

use super::charge_views::{ChargeItemDetail, UserTiny, item_details, tips, user_tiny};
use super::error::DecodaError;
use super::extract::DecodaTenant;
use super::tips::TipDetail;
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::format_timestamp;

/// `ChargeTimeline`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChargeTimeline {
    pub id: String,
    /// `CHARGE`, `PAYMENT`, `REFUND`, `VOID`, `ADJUSTMENT`, `EXTERNAL_SETTLEMENT` or `WRITE_OFF`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub amount: i64,
    pub date: String,
    #[schema(value_type = Option<Object>)]
    pub payment_method: Option<()>,
    pub payment_medium: Option<String>,
    pub status: Option<String>,
    pub comment: Option<String>,
    pub description: Option<String>,
    pub refund_reason: Option<String>,
    pub items: Option<Vec<ChargeItemDetail>>,
    pub discount_amount: Option<i64>,
    pub creator: Option<UserTiny>,
    pub fee_to_patient: Option<i64>,
    pub tips: Option<Vec<TipDetail>>,
}

fn kind(event: &TimelineEvent) -> &'static str {
    match event.kind {
        EventKind::Charge => "CHARGE",
        EventKind::Payment => "PAYMENT",
        EventKind::Refund => "REFUND",
        EventKind::Void => "VOID",
        EventKind::Adjustment(kind) => kind.as_str(),
    }
}

fn entry(timeline: &Timeline, event: &TimelineEvent) -> ChargeTimeline {
    // Only the charge's own entry carries its lines, discount, creator and tips.
    let own: Option<&Charge> = timeline
        .charges
        .get(event.charge)
        .filter(|_| event.kind == EventKind::Charge);
    ChargeTimeline {
        id: event.id.to_string(),
        kind: kind(event),
        amount: event.amount,
        date: format_timestamp(event.at),
        payment_method: None,
        payment_medium: event.medium.clone(),
        status: event.status.clone(),
        comment: event.comment.clone(),
        description: event.description.clone(),
        refund_reason: event.refund_reason.clone(),
        items: own.map(item_details),
        discount_amount: own.map(|charge| charge.discount_amount),
        creator: own
            .and_then(creator_id)
            .and_then(|id| timeline.creators.get(&id))
            .map(user_tiny),
        fee_to_patient: (event.kind == EventKind::Payment).then_some(0),
        tips: own.map(tips),
    }
}

/// The history of a charge (`charge_id`), or of every charge a payment paid
/// (`payment_id`), oldest first: the charge itself, each payment's share of it, refunds
/// (what each took back of this charge), adjustments, write-offs, external settlements and
/// voids. One of the two ids is required.
#[utoipa::path(
    get, path = "/billing/charge/timeline", tag = "decoda: charges",
    params(("charge_id" = Option<String>, Query), ("payment_id" = Option<String>, Query)),
    responses((status = 200, body = Vec<ChargeTimeline>), (status = 404, description = "Unknown charge or payment"),
              (status = 422, description = "Neither id given"))
)]
pub async fn timeline(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<ChargeTimeline>>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let charge_id = query
        .string("charge_id")
        .map(|id| DecodaError::existing_id("charge", &id))
        .transpose()?;
    let payment_id = query
        .string("payment_id")
        .map(|id| DecodaError::existing_id("payment", &id))
        .transpose()?;
    let timeline = service::timeline(&state.store, &tenant, charge_id, payment_id)
        .await
        .map_err(DecodaError::from_query)?;
    Ok(Json(
        timeline
            .events
            .iter()
            .map(|event| entry(&timeline, event))
            .collect(),
    ))
}
