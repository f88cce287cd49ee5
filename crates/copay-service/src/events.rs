//! Events: what changed, written to the outbox in the transaction of the change.
//!
//! A use case calls [`record_in_tx`] with the event's type and the object it is about.
//! That writes the event and one pending delivery per subscribed, non-archived webhook of
//! the tenant, in the caller's transaction: an event exists exactly when its change
//! committed. An event no webhook subscribes to is not written (no later webhook could
//! receive it: subscriptions only see events recorded after they exist).
//!
//! The delivered JSON is not built here: the service layer knows no wire shapes. It asks
//! the [`PayloadRenderer`] the HTTP layer installed at start-up. A use case that holds
//! the changed object ([`record_with_snapshot_in_tx`]) has the bodies rendered from it
//! and written with the deliveries; otherwise, after commit, the delivery worker renders
//! each body from the object's state read back. Either way the bytes are stored once, and
//! every attempt and resend sends and signs those same bytes.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

use copay_store::webhooks::{
    self as rows, BodyTemplate, DeliveryRow, EventRow, NewEvent, PlannedEvent, WebhookRow,
};
use copay_store::{Store, Tx};

use crate::ServiceError;

/// The kinds of event copay emits. The names are the subscription names (Decoda's
/// `AlertType` values for the patient side; copay's own for the Candid side).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    PatientCreated,
    PatientUpdated,
    ChargeCreated,
    PaymentCreated,
    PaymentSucceeded,
    RefundCreated,
    RefundSucceeded,
    AdjustmentCreated,
    AdjustmentSucceeded,
    ChargePaymentCreated,
    ChargeCaptureCreated,
    ChargeCaptureUpdated,
    ClaimCreationProcessed,
    InsurancePaymentCreated,
    InsuranceRefundCreated,
}

impl EventType {
    pub const ALL: [EventType; 15] = [
        EventType::PatientCreated,
        EventType::PatientUpdated,
        EventType::ChargeCreated,
        EventType::PaymentCreated,
        EventType::PaymentSucceeded,
        EventType::RefundCreated,
        EventType::RefundSucceeded,
        EventType::AdjustmentCreated,
        EventType::AdjustmentSucceeded,
        EventType::ChargePaymentCreated,
        EventType::ChargeCaptureCreated,
        EventType::ChargeCaptureUpdated,
        EventType::ClaimCreationProcessed,
        EventType::InsurancePaymentCreated,
        EventType::InsuranceRefundCreated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::PatientCreated => "PATIENT_CREATED",
            EventType::PatientUpdated => "PATIENT_UPDATED",
            EventType::ChargeCreated => "CHARGE_CREATED",
            EventType::PaymentCreated => "PAYMENT_CREATED",
            EventType::PaymentSucceeded => "PAYMENT_SUCCEEDED",
            EventType::RefundCreated => "REFUND_CREATED",
            EventType::RefundSucceeded => "REFUND_SUCCEEDED",
            EventType::AdjustmentCreated => "ADJUSTMENT_CREATED",
            EventType::AdjustmentSucceeded => "ADJUSTMENT_SUCCEEDED",
            EventType::ChargePaymentCreated => "CHARGE_PAYMENT_CREATED",
            EventType::ChargeCaptureCreated => "CHARGE_CAPTURE_CREATED",
            EventType::ChargeCaptureUpdated => "CHARGE_CAPTURE_UPDATED",
            EventType::ClaimCreationProcessed => "CLAIM_CREATION_PROCESSED",
            EventType::InsurancePaymentCreated => "INSURANCE_PAYMENT_CREATED",
            EventType::InsuranceRefundCreated => "INSURANCE_REFUND_CREATED",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// The object an event is about; its payload is that object as it reads after the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Patient(Uuid),
    Charge(Uuid),
    Payment(Uuid),
    Refund(Uuid),
    Adjustment(Uuid),
    /// One charge's share of a payment (`charge_payments`).
    ChargePayment(Uuid),
    ChargeCapture(Uuid),
    ClaimCreation(Uuid),
    InsurancePayment(Uuid),
    InsuranceRefund(Uuid),
}

impl Subject {
    pub fn kind(self) -> &'static str {
        match self {
            Subject::Patient(_) => "patient",
            Subject::Charge(_) => "charge",
            Subject::Payment(_) => "payment",
            Subject::Refund(_) => "refund",
            Subject::Adjustment(_) => "adjustment",
            Subject::ChargePayment(_) => "charge_payment",
            Subject::ChargeCapture(_) => "charge_capture",
            Subject::ClaimCreation(_) => "claim_creation",
            Subject::InsurancePayment(_) => "insurance_payment",
            Subject::InsuranceRefund(_) => "insurance_refund",
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            Subject::Patient(id)
            | Subject::Charge(id)
            | Subject::Payment(id)
            | Subject::Refund(id)
            | Subject::Adjustment(id)
            | Subject::ChargePayment(id)
            | Subject::ChargeCapture(id)
            | Subject::ClaimCreation(id)
            | Subject::InsurancePayment(id)
            | Subject::InsuranceRefund(id) => id,
        }
    }

    pub fn parse(kind: &str, id: &str) -> Option<Subject> {
        let id = Uuid::parse_str(id).ok()?;
        Some(match kind {
            "patient" => Subject::Patient(id),
            "charge" => Subject::Charge(id),
            "payment" => Subject::Payment(id),
            "refund" => Subject::Refund(id),
            "adjustment" => Subject::Adjustment(id),
            "charge_payment" => Subject::ChargePayment(id),
            "charge_capture" => Subject::ChargeCapture(id),
            "claim_creation" => Subject::ClaimCreation(id),
            "insurance_payment" => Subject::InsurancePayment(id),
            "insurance_refund" => Subject::InsuranceRefund(id),
            _ => return None,
        })
    }
}

/// Whether a created Candid-side money entry of this kind has an event: insurance
/// payments and refunds have one; patient payments and refunds on claims have none yet.
pub fn claim_money_has_event(kind: copay_domain::allocation::EntryKind) -> bool {
    claim_money_event(kind, Uuid::nil()).is_some()
}

fn claim_money_event(
    kind: copay_domain::allocation::EntryKind,
    id: Uuid,
) -> Option<(EventType, Subject)> {
    use copay_domain::allocation::EntryKind;
    match kind {
        EntryKind::InsurancePayment => Some((
            EventType::InsurancePaymentCreated,
            Subject::InsurancePayment(id),
        )),
        EntryKind::InsuranceRefund => Some((
            EventType::InsuranceRefundCreated,
            Subject::InsuranceRefund(id),
        )),
        EntryKind::PatientPayment | EntryKind::PatientRefund => None,
    }
}

/// The event of a created Candid-side money entry (see [`claim_money_has_event`]).
/// `webhooks` are the tenant's active webhooks when the caller already read them in this
/// transaction; `None` reads them.
pub async fn record_claim_money_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: copay_domain::allocation::EntryKind,
    id: Uuid,
    webhooks: Option<Vec<WebhookRow>>,
) -> Result<(), ServiceError> {
    let Some((event_type, subject)) = claim_money_event(kind, id) else {
        return Ok(());
    };
    let webhooks = match webhooks {
        Some(webhooks) => webhooks,
        None => rows::active_webhooks(tx, tenant_id).await?,
    };
    record_for_webhooks(tx, tenant_id, event_type, subject, &webhooks).await
}

/// Writes the event and its deliveries in the caller's transaction (see the module doc).
pub async fn record_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    event_type: EventType,
    subject: Subject,
) -> Result<(), ServiceError> {
    record_many_in_tx(tx, tenant_id, &[event_type], subject).await
}

/// [`record_in_tx`] given the tenant's active webhooks, read in this transaction.
async fn record_for_webhooks(
    tx: &mut Tx,
    tenant_id: Uuid,
    event_type: EventType,
    subject: Subject,
    webhooks: &[WebhookRow],
) -> Result<(), ServiceError> {
    let events: Vec<NewEvent> = new_event(tenant_id, event_type, subject, webhooks)
        .into_iter()
        .collect();
    rows::insert_events(tx, &events).await?;
    Ok(())
}

/// The event and its deliveries, or `None` when no webhook subscribes to its type (an
/// event no webhook subscribes to is not written).
fn new_event(
    tenant_id: Uuid,
    event_type: EventType,
    subject: Subject,
    webhooks: &[WebhookRow],
) -> Option<NewEvent> {
    let name = event_type.as_str();
    let deliveries: Vec<(Uuid, Uuid)> = webhooks
        .iter()
        .filter(|webhook| webhook.subscriptions.0.iter().any(|kind| kind == name))
        .map(|webhook| (Uuid::now_v7(), webhook.id))
        .collect();
    if deliveries.is_empty() {
        return None;
    }
    Some(NewEvent {
        row: EventRow {
            id: Uuid::now_v7(),
            tenant_id,
            event_type: name.to_string(),
            subject_kind: subject.kind().to_string(),
            subject_id: subject.id().to_string(),
            created_at: copay_store::now(),
        },
        deliveries,
    })
}

/// Several events about one object, in this order (say a payment created and succeeded
/// at once): the tenant's webhooks read once, the events written in one round trip.
pub async fn record_many_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    event_types: &[EventType],
    subject: Subject,
) -> Result<(), ServiceError> {
    record_with_snapshot_in_tx(tx, tenant_id, event_types, subject, None).await
}

/// An object as the use case that changed it holds it at the end of its transaction:
/// enough to render a webhook body without reading the object back.
#[derive(Debug, Clone, Copy)]
pub enum Snapshot<'a> {
    Charge(&'a crate::charges::Charge),
}

/// The `data` of an event's bodies, rendered from a [`Snapshot`] (as the body's JSON
/// text) for each webhook generation that received such events last time
/// ([`body_hints`]). Rendering is the costly part of a body, so a use case may do it
/// before its transaction, outside SQLite's one writer; the envelope around it (with
/// the event's id and time) is rendered in the transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedData {
    v1: Option<String>,
    other: Option<String>,
}

/// Renders `snapshot` as the `data` of an `event_type` event of the tenant, for the
/// generations its webhooks subscribed with last time (none: nothing is rendered).
pub fn render_snapshot(
    tenant_id: Uuid,
    event_type: EventType,
    snapshot: Snapshot<'_>,
) -> RenderedData {
    let sources = body_hints::sources(tenant_id, event_type);
    let renderer = renderer();
    let render = |source: u8, generation: Generation| {
        if sources & source == 0 {
            return None;
        }
        let data = renderer.snapshot_data(snapshot, generation)?;
        String::from_utf8(crate::webhook_signing::to_python_json(&data)).ok()
    };
    RenderedData {
        v1: render(rows::SOURCE_V1, Generation::V1),
        other: render(rows::SOURCE_OTHER, Generation::V2),
    }
}

/// [`record_many_in_tx`], given the object's `data` as it stands after the change
/// ([`render_snapshot`]). The bodies of the generations rendered are written with the
/// deliveries, so the worker neither reads the object back nor takes a write turn to
/// store them. The hints the rendering went by are refreshed here for the next event.
pub async fn record_with_snapshot_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    event_types: &[EventType],
    subject: Subject,
    rendered: Option<&RenderedData>,
) -> Result<(), ServiceError> {
    let Some(first_type) = event_types.first().copied() else {
        return Ok(());
    };
    let at = copay_store::now();
    let renderer = renderer();
    let data_v1 = rendered.and_then(|data| data.v1.as_deref());
    let data_other = rendered.and_then(|data| data.other.as_deref());
    // Nearly every tenant has a few webhooks: choosing the subscribed ones and writing the
    // rows is then one round trip in the business transaction.
    let planned: Vec<PlannedEvent> = event_types
        .iter()
        .map(|event_type| {
            let mut event = EventToRender {
                tenant_id,
                event_id: Uuid::now_v7(),
                event_type: event_type.as_str().to_string(),
                subject,
                created_at: at,
                generation: Generation::V1,
            };
            let body_v1 = data_v1.and_then(|data| body_template(renderer.as_ref(), &event, data));
            event.generation = Generation::V2;
            let body_other =
                data_other.and_then(|data| body_template(renderer.as_ref(), &event, data));
            PlannedEvent {
                id: event.event_id,
                event_type: event.event_type,
                subject_kind: subject.kind().to_string(),
                subject_id: subject.id().to_string(),
                body_v1,
                body_other,
            }
        })
        .collect();
    let delivery_ids: Vec<Uuid> = (0..planned.len() * rows::INLINE_WEBHOOKS)
        .map(|_| Uuid::now_v7())
        .collect();
    let recorded = rows::record_events(tx, tenant_id, &planned, &delivery_ids, at).await?;
    if rendered.is_some() {
        // With more webhooks than fit the one statement, the fallback below writes no
        // bodies: rendering for it would be wasted.
        let sources = if recorded.fits { recorded.sources } else { 0 };
        body_hints::remember(tenant_id, first_type, sources);
    }
    if recorded.fits {
        return Ok(());
    }
    let webhooks = rows::active_webhooks(tx, tenant_id).await?;
    let events: Vec<NewEvent> = event_types
        .iter()
        .filter_map(|event_type| new_event(tenant_id, *event_type, subject, &webhooks))
        .collect();
    rows::insert_events(tx, &events).await?;
    Ok(())
}

/// Which payload generation a webhook receives: the surface it was made on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Generation {
    /// Decoda's `/v1` shapes.
    V1,
    /// Decoda's current shapes (also the tenant-level webhook config).
    V2,
}

impl Generation {
    pub fn of_source(source: &str) -> Generation {
        if source == "v1" {
            Generation::V1
        } else {
            Generation::V2
        }
    }
}

/// An event as the renderer sees it.
#[derive(Debug, Clone)]
pub struct EventToRender {
    pub tenant_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub subject: Subject,
    pub created_at: OffsetDateTime,
    pub generation: Generation,
}

pub type RenderFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ServiceError>> + Send + 'a>>;
pub type RenderManyFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Value>, ServiceError>> + Send + 'a>>;

/// Turns events into the JSON a receiver gets. Installed once by the HTTP layer.
pub trait PayloadRenderer: Send + Sync {
    /// The event's `data`: the object as it reads now. A subject that no longer reads
    /// (say, deleted) renders as `{"id": …}` rather than failing the delivery.
    fn data<'a>(&'a self, store: &'a Store, event: &'a EventToRender) -> RenderFuture<'a>;

    /// The `data` of each event, in order, as [`PayloadRenderer::data`] renders it. A
    /// renderer may read objects of one kind together (the worker renders a tick's
    /// deliveries at once, on the cores that also serve requests); by default each is
    /// rendered on its own.
    fn data_many<'a>(
        &'a self,
        store: &'a Store,
        events: &'a [EventToRender],
    ) -> RenderManyFuture<'a> {
        Box::pin(async move {
            let mut rendered = Vec::with_capacity(events.len());
            for event in events {
                rendered.push(self.data(store, event).await?);
            }
            Ok(rendered)
        })
    }

    /// The `data` of an event about `snapshot` for a webhook of `generation`, rendered
    /// from the snapshot alone; `None` when this renderer cannot (the worker then renders
    /// the delivery from a read).
    fn snapshot_data(&self, _snapshot: Snapshot<'_>, _generation: Generation) -> Option<Value> {
        None
    }

    /// The delivered envelope around `data` for one delivery.
    fn envelope(&self, delivery_id: Uuid, event: &EventToRender, data: Value) -> Value;
}

/// The body of each delivery of `event` with `data` (its JSON text), split around its
/// delivery id: the envelope is rendered once with stand-ins for the delivery id and for
/// `data`, which occur nowhere else in it; `data` is then put in its stand-in's place,
/// which gives the bytes rendering the whole would (the JSON is compact, so a value's
/// text does not depend on where it sits).
fn body_template(
    renderer: &dyn PayloadRenderer,
    event: &EventToRender,
    data: &str,
) -> Option<BodyTemplate> {
    let delivery_stand_in = Uuid::new_v4();
    let data_stand_in = Uuid::new_v4().to_string();
    let envelope = renderer.envelope(
        delivery_stand_in,
        event,
        Value::String(data_stand_in.clone()),
    );
    let envelope = String::from_utf8(crate::webhook_signing::to_python_json(&envelope)).ok()?;
    let (head, tail) = split_once_only(&envelope, &format!("\"{data_stand_in}\""))?;
    let body = [head, data, tail].concat();
    let (before, after) = split_once_only(&body, &delivery_stand_in.to_string())?;
    Some(BodyTemplate {
        before: before.to_string(),
        after: after.to_string(),
    })
}

/// `text` around the one occurrence of `stand_in`; `None` when it occurs more than once
/// (a second would be left unreplaced: the worker renders such a body instead) or never.
fn split_once_only<'a>(text: &'a str, stand_in: &str) -> Option<(&'a str, &'a str)> {
    let (before, after) = text.split_once(stand_in)?;
    (!after.contains(stand_in)).then_some((before, after))
}

/// Which webhook sources subscribed, last time, to an event type of a tenant: the
/// outbox statement reports it every time, so the next event renders bodies in its
/// transaction only for the generations that will receive it. A hint only: a webhook
/// created since gets its first body rendered by the worker, and an unneeded rendering
/// is wasted CPU, never a wrong body.
mod body_hints {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use uuid::Uuid;

    use super::EventType;

    /// Past this many (tenant, event type) pairs the hints start over: memory stays
    /// bounded with many tenants, at the cost of a worker rendering per pair.
    const MAX_HINTS: usize = 65_536;

    type Hints = HashMap<(Uuid, &'static str), u8>;

    fn hints() -> &'static Mutex<Hints> {
        static HINTS: OnceLock<Mutex<Hints>> = OnceLock::new();
        HINTS.get_or_init(|| Mutex::new(HashMap::new()))
    }

    pub(super) fn sources(tenant_id: Uuid, event_type: EventType) -> u8 {
        match hints().lock() {
            Ok(hints) => hints
                .get(&(tenant_id, event_type.as_str()))
                .copied()
                .unwrap_or(0),
            Err(_) => 0,
        }
    }

    pub(super) fn remember(tenant_id: Uuid, event_type: EventType, sources: u8) {
        let Ok(mut hints) = hints().lock() else {
            return;
        };
        let key = (tenant_id, event_type.as_str());
        if sources == 0 {
            hints.remove(&key);
            return;
        }
        if hints.len() >= MAX_HINTS && !hints.contains_key(&key) {
            hints.clear();
        }
        hints.insert(key, sources);
    }
}

static RENDERER: OnceLock<Arc<dyn PayloadRenderer>> = OnceLock::new();

/// Installs the renderer; the first installation wins (it is stateless, so every server
/// in one process can share it).
pub fn install_renderer(renderer: Arc<dyn PayloadRenderer>) {
    let _ = RENDERER.set(renderer);
}

/// Without an installed renderer (a tool that only uses the service layer) a delivery
/// still has a well-formed body naming its object.
struct MinimalRenderer;

impl PayloadRenderer for MinimalRenderer {
    fn data<'a>(&'a self, _store: &'a Store, event: &'a EventToRender) -> RenderFuture<'a> {
        Box::pin(async move { Ok(json!({ "id": event.subject.id().to_string() })) })
    }

    fn envelope(&self, delivery_id: Uuid, event: &EventToRender, data: Value) -> Value {
        json!({
            "id": delivery_id.to_string(),
            "type": event.event_type,
            "data": data,
            "createdDate": event.created_at.format(&Rfc3339).unwrap_or_default(),
            "alertId": event.event_id.to_string(),
        })
    }
}

fn renderer() -> Arc<dyn PayloadRenderer> {
    match RENDERER.get() {
        Some(renderer) => renderer.clone(),
        None => Arc::new(MinimalRenderer),
    }
}

fn event_of(delivery: &DeliveryRow) -> Result<EventToRender, ServiceError> {
    let subject =
        Subject::parse(&delivery.subject_kind, &delivery.subject_id).ok_or_else(|| {
            ServiceError::Store(copay_store::StoreError::Corrupt(format!(
                "event {} is about {:?} {:?}",
                delivery.event_id, delivery.subject_kind, delivery.subject_id
            )))
        })?;
    Ok(EventToRender {
        tenant_id: delivery.tenant_id,
        event_id: delivery.event_id,
        event_type: delivery.event_type.clone(),
        subject,
        created_at: delivery.created_at,
        generation: Generation::of_source(&delivery.source),
    })
}

/// Renders one delivery's body (if it has none yet) and returns the bytes it keeps.
pub async fn ensure_body(store: &Store, delivery: &DeliveryRow) -> Result<Vec<u8>, ServiceError> {
    if let Some(body) = &delivery.body {
        return Ok(body.clone());
    }
    let event = event_of(delivery)?;
    let renderer = renderer();
    let data = renderer.data(store, &event).await?;
    let body =
        crate::webhook_signing::to_python_json(&renderer.envelope(delivery.id, &event, data));
    if store.set_delivery_body(delivery.id, &body).await? {
        return Ok(body);
    }
    // Rendered concurrently elsewhere: that body is the one.
    let stored = store
        .delivery(delivery.tenant_id, delivery.id)
        .await?
        .and_then(|row| row.body);
    Ok(stored.unwrap_or(body))
}

/// Renders the bodies of up to `limit` deliveries that have none, oldest first, so each
/// shows its object as close to the change as possible. Returns how many it rendered.
pub async fn render_pending(store: &Store, limit: i64) -> Result<usize, ServiceError> {
    let pending = store.unrendered_deliveries(limit).await?;
    let renderer = renderer();
    // Deliveries of one event to webhooks of one generation share their data (and their
    // envelope but for the delivery id): each (event, generation) is rendered once, and
    // the tick's objects are read together.
    let mut distinct: Vec<EventToRender> = Vec::new();
    let mut deliveries = Vec::with_capacity(pending.len());
    for delivery in &pending {
        let event = event_of(delivery)?;
        let index = match distinct.iter().position(|seen| same_data(seen, &event)) {
            Some(index) => index,
            None => {
                distinct.push(event);
                distinct.len() - 1
            }
        };
        deliveries.push((delivery.id, index));
    }
    let data = renderer.data_many(store, &distinct).await?;
    let mut bodies = Vec::with_capacity(deliveries.len());
    for (delivery_id, index) in deliveries {
        // A delivery without data stays unrendered; its first send renders it alone.
        let (Some(event), Some(data)) = (distinct.get(index), data.get(index)) else {
            continue;
        };
        let body = crate::webhook_signing::to_python_json(&renderer.envelope(
            delivery_id,
            event,
            data.clone(),
        ));
        bodies.push((delivery_id, body));
    }
    Ok(store.set_delivery_bodies(&bodies).await?)
}

fn same_data(a: &EventToRender, b: &EventToRender) -> bool {
    a.event_id == b.event_id && a.generation == b.generation
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use time::OffsetDateTime;
    use uuid::Uuid;

    use super::{EventToRender, Generation, PayloadRenderer, RenderFuture, Subject, body_template};
    use crate::webhook_signing::to_python_json;

    /// The envelope shape the Decoda renderer writes (sorted keys, data nested).
    struct Envelope;

    impl PayloadRenderer for Envelope {
        fn data<'a>(&'a self, _: &'a copay_store::Store, _: &'a EventToRender) -> RenderFuture<'a> {
            Box::pin(async { Ok(Value::Null) })
        }

        fn envelope(&self, delivery_id: Uuid, event: &EventToRender, data: Value) -> Value {
            json!({
                "id": delivery_id.to_string(),
                "type": event.event_type,
                "data": data,
                "createdDate": "2026-12-04T00:00:00Z",
                "alertId": event.event_id.to_string(),
            })
        }
    }

    #[test]
    fn a_body_from_rendered_data_is_the_body_rendered_whole() {
        let event = EventToRender {
            tenant_id: Uuid::now_v7(),
            event_id: Uuid::now_v7(),
            event_type: "CHARGE_CREATED".to_string(),
            subject: Subject::Charge(Uuid::now_v7()),
            created_at: OffsetDateTime::UNIX_EPOCH,
            generation: Generation::V2,
        };
        let data = json!({
            "id": "c-1", "total": 25500, "patient": {"firstName": "Zoë", "lastName": "O\"Neil"},
            "items": [{"quantity": 2, "name": "Visit 😀"}, {"quantity": 1, "name": null}],
            "meta": {}, "tags": [], "note": "line\nbreak/\u{7f}",
        });
        let text = String::from_utf8(to_python_json(&data)).expect("ascii");
        let template = body_template(&Envelope, &event, &text).expect("template");
        let delivery = Uuid::now_v7();
        let spliced = format!("{}{delivery}{}", template.before, template.after);
        let whole = to_python_json(&Envelope.envelope(delivery, &event, data));
        assert_eq!(spliced.as_bytes(), whole.as_slice());
    }

    #[test]
    fn a_stand_in_found_twice_or_never_is_not_split() {
        // A second occurrence would be left unreplaced: such a body is rendered by the
        // worker instead.
        assert_eq!(super::split_once_only("a-x-b-x-c", "-x-"), None);
        assert_eq!(super::split_once_only("abc", "-x-"), None);
        assert_eq!(super::split_once_only("a-x-b", "-x-"), Some(("a", "b")));
    }
}
