//! A charge's timeline (Decoda Gen-2 `/billing/charge/timeline`): the charge and everything
//! that happened to it — payments (this charge's share), refunds (what each took back of
//! this charge), adjustments, write-offs, external settlements and voids — oldest first.
//! Asked by payment, it covers every charge that payment paid.

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;

use copay_store::Store;

use crate::charge_table::creator_id;
use crate::charges::{self, AdjustmentKind, Charge};
use crate::providers::{self, Provider};
use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Charge,
    Payment,
    Refund,
    Void,
    Adjustment(AdjustmentKind),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEvent {
    /// The charge, payment, refund or adjustment the event is.
    pub id: Uuid,
    pub kind: EventKind,
    /// The charge it happened to (an index into [`Timeline::charges`]).
    pub charge: usize,
    pub amount: i64,
    pub at: OffsetDateTime,
    /// The charge's, payment's or refund's status.
    pub status: Option<String>,
    pub medium: Option<String>,
    pub description: Option<String>,
    pub comment: Option<String>,
    pub refund_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub charges: Vec<Charge>,
    pub events: Vec<TimelineEvent>,
    /// The providers the charges name as their creators, by id.
    pub creators: HashMap<Uuid, Provider>,
}

fn not_found(entity: &'static str, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// The timeline of a charge, of every charge a payment paid, or of both together.
pub async fn timeline(
    store: &Store,
    tenant: &TenantCtx,
    charge_id: Option<Uuid>,
    payment_id: Option<Uuid>,
) -> Result<Timeline, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut ids = Vec::new();
    if let Some(id) = charge_id {
        ids.push(id);
    }
    if let Some(id) = payment_id {
        store
            .payment(tenant_id, id)
            .await?
            .ok_or_else(|| not_found("payment", id))?;
        let shares = store.payment_shares(tenant_id, &[id]).await?;
        ids.extend(shares.into_iter().map(|(_, share)| share.charge_id));
    }
    if charge_id.is_none() && payment_id.is_none() {
        return Err(ServiceError::invalid(
            "charge_id",
            "give charge_id or payment_id",
        ));
    }
    ids.sort();
    ids.dedup();
    let found = charges::get_many(store, tenant, &ids).await?;
    if let Some(id) = charge_id
        && !found.iter().any(|charge| charge.id == id)
    {
        return Err(not_found("charge", id));
    }
    let voided = store.charge_void_times(tenant_id, &ids).await?;
    let refund_shares = store.refund_shares_of_charges(tenant_id, &ids).await?;

    let mut events = Vec::new();
    for (index, charge) in found.iter().enumerate() {
        let event = |id, kind, amount, at| TimelineEvent {
            id,
            kind,
            charge: index,
            amount,
            at,
            status: None,
            medium: None,
            description: None,
            comment: None,
            refund_reason: None,
        };
        events.push(TimelineEvent {
            status: Some(charge.status.as_str().to_string()),
            description: charge.description.clone(),
            comment: charge
                .attributes
                .get("comment")
                .and_then(|value| value.as_str())
                .map(str::to_string),
            ..event(
                charge.id,
                EventKind::Charge,
                charge.total,
                charge.created_at,
            )
        });
        for share in &charge.payments {
            let payment = &share.payment;
            events.push(TimelineEvent {
                status: Some(payment.status.clone()),
                medium: Some(payment.medium.clone()),
                comment: payment.comment.clone(),
                ..event(
                    payment.id,
                    EventKind::Payment,
                    share.amount,
                    payment.created_at,
                )
            });
            if let Some(at) = payment.voided_at {
                events.push(TimelineEvent {
                    status: Some(payment.status.clone()),
                    medium: Some(payment.medium.clone()),
                    ..event(payment.id, EventKind::Void, share.amount, at)
                });
            }
            for refund in &payment.refunds {
                let taken: i64 = refund_shares
                    .iter()
                    .filter(|(refund_id, charge_id, _)| {
                        *refund_id == refund.id && *charge_id == charge.id
                    })
                    .map(|(_, _, amount)| amount)
                    .sum();
                if taken == 0 {
                    continue;
                }
                events.push(TimelineEvent {
                    status: Some(refund.status.clone()),
                    medium: Some(payment.medium.clone()),
                    description: refund.description.clone(),
                    refund_reason: Some(refund.reason.clone()),
                    ..event(refund.id, EventKind::Refund, taken, refund.created_at)
                });
            }
        }
        for adjustment in &charge.adjustments {
            events.push(TimelineEvent {
                comment: adjustment.reason.clone(),
                ..event(
                    adjustment.id,
                    EventKind::Adjustment(adjustment.kind),
                    adjustment.amount,
                    adjustment.created_at,
                )
            });
        }
        if let Some((_, at)) = voided.iter().find(|(id, _)| *id == charge.id) {
            events.push(TimelineEvent {
                status: Some(charge.status.as_str().to_string()),
                ..event(charge.id, EventKind::Void, charge.total, *at)
            });
        }
    }
    // Oldest first; what happened at the same instant keeps the order it was listed in.
    events.sort_by_key(|event| event.at);
    let creator_ids: Vec<Uuid> = found.iter().filter_map(creator_id).collect();
    let creators = providers::by_ids(store, tenant, &creator_ids)
        .await?
        .into_iter()
        .map(|provider| (provider.id, provider))
        .collect();
    Ok(Timeline {
        charges: found,
        events,
        creators,
    })
}
