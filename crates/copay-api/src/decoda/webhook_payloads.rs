//! What a webhook receiver gets: the event's object in the shapes of the webhook's
//! generation, inside Decoda's envelope `{"id", "type", "data", "createdDate", "alertId"}`
//! (`id` is the delivery's id, `alertId` the event's). Installed into the service layer
//! at start-up ([`install`]); the service stores the rendered bytes once.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use copay_service::charges::Charge;
use copay_service::events::{
    EventToRender, Generation, PayloadRenderer, RenderFuture, RenderManyFuture, Snapshot, Subject,
};
use copay_service::{ServiceError, TenantCtx};
use copay_store::Store;

use copay_service::event_subjects as subjects;

use super::adjustments::AdjustmentSummaryV2;
use super::charge_views::{PaymentV2, payment_output};
use super::charges::{AdjustmentSummary, ChargeSummaryV1};
use super::patients::{PatientSummaryV1, PatientSummaryV2};
use super::payments::RefundSummary;
use super::settlement::PaymentSummary;
use super::tips::TipDetail;
use crate::candid::charge_captures::ChargeCaptureResponse;
use crate::candid::claim_creations::ClaimCreationResponse;
use crate::wire::format_timestamp;

struct DecodaPayloads;

/// Makes the service layer render webhook bodies with Decoda's shapes.
pub fn install() {
    copay_service::events::install_renderer(Arc::new(DecodaPayloads));
}

fn to_value(shape: impl Serialize) -> Value {
    serde_json::to_value(shape).unwrap_or(Value::Null)
}

/// The readers take a tenant context; only its id matters to them.
fn tenant_ctx(tenant_id: Uuid) -> TenantCtx {
    TenantCtx {
        tenant_id,
        slug: String::new(),
        credential_id: Uuid::nil(),
    }
}

fn charge_data(charge: Charge, generation: Generation) -> Value {
    match generation {
        Generation::V1 => to_value(ChargeSummaryV1::from(charge)),
        Generation::V2 => charge_summary_v2(charge),
    }
}

/// What is rendered for an object that no longer reads (deleted since): the receiver
/// still learns which object it was.
fn gone(event: &EventToRender) -> Value {
    json!({ "id": event.subject.id().to_string() })
}

/// Renders `events` in order. Charges, the subject of most events (every charge create and
/// settlement), are read together per tenant: one batch of queries for a worker tick
/// instead of one per event.
async fn data_many(store: &Store, events: &[EventToRender]) -> Result<Vec<Value>, ServiceError> {
    let mut wanted: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for event in events {
        if let Subject::Charge(id) = event.subject {
            wanted.entry(event.tenant_id).or_default().push(id);
        }
    }
    let mut charges: HashMap<(Uuid, Uuid), Charge> = HashMap::new();
    for (tenant_id, mut ids) in wanted {
        ids.sort();
        ids.dedup();
        for charge in copay_service::charges::get_many(store, &tenant_ctx(tenant_id), &ids).await? {
            charges.insert((tenant_id, charge.id), charge);
        }
    }
    let mut rendered = Vec::with_capacity(events.len());
    for event in events {
        rendered.push(match event.subject {
            Subject::Charge(id) => match charges.get(&(event.tenant_id, id)) {
                Some(charge) => charge_data(charge.clone(), event.generation),
                None => gone(event),
            },
            _ => data(store, event).await?,
        });
    }
    Ok(rendered)
}

async fn data(store: &Store, event: &EventToRender) -> Result<Value, ServiceError> {
    let tenant = tenant_ctx(event.tenant_id);
    let rendered = match event.subject {
        Subject::Patient(id) => {
            copay_service::patients::get(store, &tenant, id)
                .await
                .map(|patient| match event.generation {
                    Generation::V1 => to_value(PatientSummaryV1::from(patient)),
                    Generation::V2 => to_value(PatientSummaryV2::from(patient)),
                })
        }
        Subject::Charge(id) => copay_service::charges::get(store, &tenant, id)
            .await
            .map(|charge| charge_data(charge, event.generation)),
        Subject::ChargeCapture(id) => copay_service::charge_captures::get(store, &tenant, id)
            .await
            .map(|capture| to_value(ChargeCaptureResponse::from(capture))),
        Subject::ClaimCreation(id) => copay_service::claim_creations::get(store, &tenant, id)
            .await
            .map(|creation| to_value(ClaimCreationResponse::from(creation))),
        Subject::Payment(id) => {
            subjects::payment(store, event.tenant_id, id)
                .await
                .map(|payment| {
                    let mut summary = to_value(PaymentSummary::from(payment));
                    // Gen-1's `PaymentSummary` has no `feeToPatient`.
                    if let (Generation::V1, Value::Object(fields)) =
                        (event.generation, &mut summary)
                    {
                        fields.remove("feeToPatient");
                    }
                    summary
                })
        }
        Subject::Refund(id) => subjects::refund(store, event.tenant_id, id)
            .await
            .map(|refund| to_value(RefundSummary::from(refund))),
        Subject::Adjustment(id) => {
            subjects::adjustment(store, event.tenant_id, id)
                .await
                .map(|adjustment| match event.generation {
                    Generation::V1 => to_value(AdjustmentSummary::from(adjustment)),
                    Generation::V2 => to_value(AdjustmentSummaryV2::from(adjustment)),
                })
        }
        Subject::ChargePayment(id) => subjects::charge_payment(store, event.tenant_id, id)
            .await
            .map(|share| {
                to_value(ChargePaymentUpdate {
                    payment_id: share.payment.id.to_string(),
                    charge_id: share.charge_id.to_string(),
                    amount: share.amount,
                    payin_config_id: None,
                    payment_medium: share.payment.medium.clone(),
                    created_date: format_timestamp(share.created_at),
                    payment: payment_output(&share.payment),
                })
            }),
        Subject::InsurancePayment(id) => {
            crate::candid::insurance_money::read_payment(store, &tenant, id)
                .await
                .map(to_value)
        }
        Subject::InsuranceRefund(id) => {
            crate::candid::insurance_money::read_refund(store, &tenant, id)
                .await
                .map(to_value)
        }
    };
    match rendered {
        Ok(value) => Ok(value),
        Err(ServiceError::NotFound { .. }) => Ok(gone(event)),
        Err(other) => Err(other),
    }
}

/// `ChargePaymentUpdate`: one charge's share of a payment (`CHARGE_PAYMENT_CREATED`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChargePaymentUpdate {
    payment_id: String,
    charge_id: String,
    amount: i64,
    payin_config_id: Option<String>,
    payment_medium: String,
    created_date: String,
    payment: PaymentV2,
}

/// Gen-2 `ChargeSummary`: Gen-1's without `customAmount` and
/// `patientPaysProcessingFee`, with the Gen-2 patient, the lines as `ChargeItem`s, the
/// tips, and the ids the charge was created with.
fn charge_summary_v2(charge: Charge) -> Value {
    let patient = to_value(PatientSummaryV2::from(charge.patient.clone()));
    let items: Vec<Value> = charge
        .lines
        .iter()
        .map(|line| {
            json!({
                "itemId": line.item_id.map(|id| id.to_string()),
                "chargeId": charge.id.to_string(),
                "name": line.item.as_ref().map(|item| item.name.clone()),
                "description": line.item.as_ref().and_then(|item| item.description.clone()),
                "quantity": line.quantity,
                "price": line.unit_price,
                "discountAmount": line.discount_amount,
                "discountPercentage": line.discount_percentage.as_f64(),
            })
        })
        .collect();
    let tips: Vec<Value> = charge
        .tips
        .iter()
        .cloned()
        .map(|tip| to_value(TipDetail::from(tip)))
        .collect();
    let attribute = |key: &str| {
        charge
            .attributes
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let extra = json!({
        "creatorId": attribute("creator_id"),
        "locationId": attribute("location_id"),
        "eventId": attribute("event_id"),
        "memberId": attribute("member_id"),
        "comment": attribute("comment"),
        "merchantAccountId": attribute("merchant_account_id"),
    });
    let mut summary = to_value(ChargeSummaryV1::from(charge));
    if let (Value::Object(fields), Value::Object(extra)) = (&mut summary, extra) {
        fields.remove("customAmount");
        fields.remove("patientPaysProcessingFee");
        fields.insert("patient".into(), patient);
        fields.insert("items".into(), Value::Array(items));
        fields.insert("tips".into(), Value::Array(tips));
        fields.extend(extra);
    }
    summary
}

impl PayloadRenderer for DecodaPayloads {
    fn data<'a>(&'a self, store: &'a Store, event: &'a EventToRender) -> RenderFuture<'a> {
        Box::pin(data(store, event))
    }

    fn data_many<'a>(
        &'a self,
        store: &'a Store,
        events: &'a [EventToRender],
    ) -> RenderManyFuture<'a> {
        Box::pin(data_many(store, events))
    }

    fn snapshot_data(&self, snapshot: Snapshot<'_>, generation: Generation) -> Option<Value> {
        match snapshot {
            Snapshot::Charge(charge) => Some(charge_data(charge.clone(), generation)),
        }
    }

    fn envelope(&self, delivery_id: Uuid, event: &EventToRender, data: Value) -> Value {
        json!({
            "id": delivery_id.to_string(),
            "type": event.event_type,
            "data": data,
            "createdDate": format_timestamp(event.created_at),
            "alertId": event.event_id.to_string(),
        })
    }
}
