//! Webhooks: Gen-1 `/v1/webhook/…`, Gen-2 `/webhook/decoda/…` and the tenant-level
//! `/tenant/webhook-config`. Both generations share one store; a webhook made on one
//! surface receives that surface's payload shapes. Gen-1 delete and Gen-2 delete both
//! archive (deliveries keep their webhook); Gen-1 then no longer shows it.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::TenantCtx;
use copay_service::webhooks::{
    self as service, Delivery, NewWebhook, Source, Webhook, WebhookChanges,
};
use copay_store::webhooks::DeliveryFilter;

use super::error::DecodaError;
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp, present};

/// Subscribable event names: Decoda's `AlertType` values of both generations, and copay's
/// own Candid-side events (documented in copay's OpenAPI).
pub const ALERT_TYPES: &[&str] = &[
    "PATIENT_CREATED",
    "PATIENT_UPDATED",
    "APPOINTMENT_CANCELLED",
    "APPOINTMENT_UPDATED",
    "APPOINTMENT_RESCHEDULED",
    "APPOINTMENT_REQUEST",
    "APPOINTMENT_SCHEDULED",
    "SELF_SCHEDULED_APPOINTMENT",
    "SELF_SCHEDULED_APPOINTMENT_CANCELLED",
    "SELF_SCHEDULED_APPOINTMENT_UPDATED",
    "BLOCK_CREATED",
    "BLOCK_CANCELLED",
    "BLOCK_UPDATED",
    "SHIFT_CREATED",
    "SHIFT_CANCELLED",
    "SHIFT_UPDATED",
    "PAYMENT_CREATED",
    "PAYMENT_FAILED",
    "PAYMENT_SUCCEEDED",
    "PLANNED_PAYMENT_FAILED",
    "PLANNED_PAYMENT_SUCCEEDED",
    "CHARGE_CREATED",
    "REFUND_CREATED",
    "REFUND_FAILED",
    "REFUND_SUCCEEDED",
    "ADJUSTMENT_CREATED",
    "ADJUSTMENT_FAILED",
    "ADJUSTMENT_SUCCEEDED",
    "INVOICE_SENT",
    "INVOICE_FAILED",
    "INVOICE_UPDATED",
    "INVOICE_STATUS_UPDATE",
    "INVOICE_SET_UPDATED",
    "CHARGE_PAYMENT_CREATED",
    "CALL_RECEIVED",
    "CALL_MADE",
    "MESSAGE_RECEIVED",
    "MESSAGE_RECIEVED",
    "MESSAGE_SENT",
    "MESSAGE_DELIVERED",
    "MESSAGE_FAILED",
    "EMAIL_RECEIVED",
    "EMAIL_RECIEVED",
    "EMAIL_SENT",
    "MAIL_SENT",
    "MAIL_DELIVERY_FAILED",
    "FORM_SUBMITTED",
    "NOTIFICATION",
    "APPOINTMENT_CHECKLIST_UPDATED",
    "LOW_PATIENT_REVIEW",
    "RAINFOREST_DEPOSIT_IN_REVIEW",
    "RAINFOREST_DEPOSIT_SUCCEEDED",
    "RAINFOREST_DEPOSIT_FAILED",
    "CHAT_UPDATE",
    "RAINFOREST_PAYIN_FAILED",
    "RAINFOREST_PAYIN_PROCESSING",
    "RAINFOREST_POS_PAYIN_CANCELLED",
    "STOCK_LOW",
    "STOCK_ADDED",
    "STOCK_ARCHIVED",
    "STOCK_LINKED_TO_ITEM",
    "STOCK_UNLINKED_FROM_ITEM",
    "STOCK_UPDATED",
    "STOCK_DRAWDOWN",
    "STOCK_PARTIAL_DRAWDOWN",
    "SHIPMENT_RECEIVED",
    "SHIPMENT_UPDATED",
    "SHIPMENT_ARCHIVED",
    "ITEM_CREATED",
    "ITEM_UPDATED",
    "ITEM_ARCHIVED",
    "SUPPLIER_LINKED_TO_STOCK",
    "SUPPLIER_UNLINKED_FROM_STOCK",
    "SUPPLIER_TO_STOCK_UPDATED",
    "PO_CREATED",
    "PO_PLACED",
    "PO_CANCELLED",
    "PO_COMPLETED",
    "PO_ARCHIVED",
    "INVENTORY_ACTION",
    "NOTE_CREATED",
    "NOTE_UPDATED",
    // copay's Candid-side events
    "CHARGE_CAPTURE_CREATED",
    "CHARGE_CAPTURE_UPDATED",
    "CLAIM_CREATION_PROCESSED",
    "INSURANCE_PAYMENT_CREATED",
    "INSURANCE_REFUND_CREATED",
];

/// The delivery list's `event_type` filter (`WebhookEventType`); `PAYMENT_COMPLETED` is
/// the older name of `PAYMENT_SUCCEEDED`.
const WEBHOOK_EVENT_TYPES: &[&str] = &[
    "PAYMENT_CREATED",
    "PAYMENT_COMPLETED",
    "PAYMENT_FAILED",
    "CHARGE_CREATED",
    "ADJUSTMENT_CREATED",
    "REFUND_CREATED",
    "PATIENT_CREATED",
    "PATIENT_UPDATED",
];

/// `WebhookCreate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookCreate {
    /// http or https; by default not a loopback, link-local or private address.
    pub url: String,
    /// `AlertType` names (either generation), or copay's Candid-side events:
    /// `CHARGE_CAPTURE_CREATED` and `CHARGE_CAPTURE_UPDATED` (data: Candid's
    /// `ChargeCapture`), `CLAIM_CREATION_PROCESSED` (data: Candid's
    /// `ChargeCaptureClaimCreation`), `INSURANCE_PAYMENT_CREATED` and
    /// `INSURANCE_REFUND_CREATED` (data: copay's `InsurancePayment`, Candid's
    /// `InsuranceRefund`). copay emits `PATIENT_CREATED`, `PATIENT_UPDATED`,
    /// `CHARGE_CREATED`, `ADJUSTMENT_CREATED`, `ADJUSTMENT_SUCCEEDED`, `PAYMENT_CREATED`,
    /// `PAYMENT_SUCCEEDED`, `CHARGE_PAYMENT_CREATED`, `REFUND_CREATED`, `REFUND_SUCCEEDED` and
    /// those five.
    pub subscriptions: Vec<String>,
    #[serde(default, alias = "notification_email")]
    pub notification_email: Option<String>,
}

/// `WebhookUpdate`: every field optional; a null `url` or `subscriptions` changes nothing.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct WebhookUpdate {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub subscriptions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present", alias = "notification_email")]
    #[schema(value_type = Option<String>)]
    pub notification_email: Option<Option<String>>,
}

/// `WebhookSummary` (`isArchived` only on Gen-2 paths).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookSummary {
    pub id: String,
    pub subscriptions: Vec<String>,
    pub url: String,
    pub created_date: String,
    pub updated_date: Option<String>,
    /// The HMAC-SHA256 key of `Decoda-Signature`.
    pub secret: String,
    pub notification_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_archived: Option<bool>,
}

fn summary(webhook: Webhook, source: Source) -> WebhookSummary {
    WebhookSummary {
        id: webhook.id.to_string(),
        subscriptions: webhook.subscriptions,
        url: webhook.url,
        created_date: format_timestamp(webhook.created_at),
        updated_date: webhook.updated_at.map(format_timestamp),
        secret: webhook.secret,
        notification_email: webhook.notification_email,
        is_archived: (source == Source::V2).then_some(webhook.archived),
    }
}

/// `WebhookDeliveryAttemptSummary`: one event as delivered to one webhook. The first five
/// fields are the delivered body.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookDeliveryAttemptSummary {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// The event's object, in the shapes of the webhook's generation.
    #[schema(value_type = Object)]
    pub data: Value,
    pub created_date: String,
    pub alert_id: String,
    pub delivered_date: Option<String>,
    pub last_delivery_attempt_date: Option<String>,
    pub last_delivery_attempt_status: Option<i32>,
    pub last_delivery_attempt_error: Option<String>,
}

impl From<Delivery> for WebhookDeliveryAttemptSummary {
    fn from(delivery: Delivery) -> Self {
        let field = |name: &str| delivery.body.get(name).cloned().unwrap_or(Value::Null);
        let text = |name: &str| field(name).as_str().map(str::to_string);
        WebhookDeliveryAttemptSummary {
            id: delivery.id.to_string(),
            event_type: delivery.event_type.clone(),
            data: field("data"),
            created_date: text("createdDate")
                .unwrap_or_else(|| format_timestamp(delivery.created_at)),
            alert_id: text("alertId").unwrap_or_else(|| delivery.event_id.to_string()),
            delivered_date: delivery.delivered_at.map(format_timestamp),
            last_delivery_attempt_date: delivery.last_attempt_at.map(format_timestamp),
            last_delivery_attempt_status: delivery.last_status,
            last_delivery_attempt_error: delivery.last_error,
        }
    }
}

fn check_subscriptions(field: &str, subscriptions: &[String]) -> Result<(), DecodaError> {
    match subscriptions
        .iter()
        .enumerate()
        .find(|(_, name)| !ALERT_TYPES.contains(&name.as_str()))
    {
        Some((index, name)) => Err(DecodaError::Validation(
            super::error::Location::Body,
            vec![FieldError::at_dotted(
                &format!("{field}[{index}]"),
                format!("{name:?} is not an AlertType"),
                "enum",
            )],
        )),
        None => Ok(()),
    }
}

fn webhook_id(id: &str) -> Result<Uuid, DecodaError> {
    DecodaError::existing_id("webhook", id)
}

fn delivery_id(id: &str) -> Result<Uuid, DecodaError> {
    DecodaError::existing_id("webhook delivery attempt", id)
}

/// Gen-1 hides archived (deleted) webhooks; Gen-2 shows them with `isArchived`.
fn sees_archived(source: Source) -> bool {
    source == Source::V2
}

async fn create_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    body: WebhookCreate,
) -> Result<Json<WebhookSummary>, DecodaError> {
    check_subscriptions("subscriptions", &body.subscriptions)?;
    let new = NewWebhook {
        url: body.url,
        subscriptions: body.subscriptions,
        notification_email: body.notification_email,
    };
    let webhook =
        service::create(&state.store, tenant, &state.config.webhooks, source, new).await?;
    Ok(Json(summary(webhook, source)))
}

async fn get_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    id: &str,
) -> Result<Json<WebhookSummary>, DecodaError> {
    let id = webhook_id(id)?;
    let webhook = service::get(&state.store, tenant, id, sees_archived(source)).await?;
    Ok(Json(summary(webhook, source)))
}

async fn update_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    id: &str,
    body: WebhookUpdate,
) -> Result<Json<WebhookSummary>, DecodaError> {
    let id = webhook_id(id)?;
    if let Some(subscriptions) = &body.subscriptions {
        check_subscriptions("subscriptions", subscriptions)?;
    }
    let changes = WebhookChanges {
        url: body.url,
        subscriptions: body.subscriptions,
        notification_email: body.notification_email,
    };
    let webhook = service::update(
        &state.store,
        tenant,
        &state.config.webhooks,
        id,
        changes,
        sees_archived(source),
    )
    .await?;
    Ok(Json(summary(webhook, source)))
}

async fn delete_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    id: &str,
) -> Result<Json<bool>, DecodaError> {
    let id = webhook_id(id)?;
    service::archive(&state.store, tenant, id, sees_archived(source)).await?;
    Ok(Json(true))
}

async fn list_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    include_archived: bool,
) -> Result<Json<Vec<WebhookSummary>>, DecodaError> {
    let webhooks = service::list(&state.store, tenant, include_archived).await?;
    Ok(Json(
        webhooks
            .into_iter()
            .map(|webhook| summary(webhook, source))
            .collect(),
    ))
}

fn date_time(query: &QueryParams, key: &str) -> Result<Option<OffsetDateTime>, DecodaError> {
    query
        .string(key)
        .map(|text| {
            OffsetDateTime::parse(&text, &Rfc3339).map_err(|_| {
                DecodaError::query(FieldError::at(
                    &[key],
                    format!("{text:?} is not a date-time (RFC 3339)"),
                    "datetime_parsing",
                ))
            })
        })
        .transpose()
}

fn delivery_filter(raw: Option<&str>) -> Result<DeliveryFilter, DecodaError> {
    let query = QueryParams::parse(raw);
    let event_type = query
        .one_of("event_type", WEBHOOK_EVENT_TYPES)
        .map_err(DecodaError::query)?
        .map(|name| match name.as_str() {
            "PAYMENT_COMPLETED" => "PAYMENT_SUCCEEDED".to_string(),
            _ => name,
        });
    let sort_column = match query
        .one_of(
            "sort_by",
            &[
                "created_date",
                "delivered_date",
                "last_delivery_attempt_date",
            ],
        )
        .map_err(DecodaError::query)?
        .as_deref()
    {
        Some("delivered_date") => "delivered_at",
        Some("last_delivery_attempt_date") => "last_attempt_at",
        _ => "created_at",
    };
    let descending = query
        .one_of("sort_direction", &["asc", "desc"])
        .map_err(DecodaError::query)?
        .is_none_or(|direction| direction == "desc");
    Ok(DeliveryFilter {
        event_type,
        is_delivered: query.bool("is_delivered").map_err(DecodaError::query)?,
        created_before: date_time(&query, "created_before")?,
        created_after: date_time(&query, "created_after")?,
        last_status: query
            .parsed::<i32>("last_delivery_attempt_status", "an HTTP status code")
            .map_err(DecodaError::query)?,
        last_error: query.string("last_delivery_attempt_error"),
        delivered_before: date_time(&query, "delivery_date_before")?,
        delivered_after: date_time(&query, "delivery_date_after")?,
        sort_column,
        descending,
        limit: query
            .parsed::<i64>("limit", "a whole number")
            .map_err(DecodaError::query)?
            .unwrap_or(10),
        offset: query
            .parsed::<i64>("offset", "a whole number")
            .map_err(DecodaError::query)?
            .unwrap_or(0),
    })
}

async fn deliveries_on(
    state: &AppState,
    tenant: &TenantCtx,
    source: Source,
    id: &str,
    raw: Option<&str>,
) -> Result<Json<Vec<WebhookDeliveryAttemptSummary>>, DecodaError> {
    let id = webhook_id(id)?;
    let filter = delivery_filter(raw)?;
    let deliveries =
        service::list_deliveries(&state.store, tenant, id, sees_archived(source), filter)
            .await
            .map_err(DecodaError::from_query)?;
    Ok(Json(deliveries.into_iter().map(Into::into).collect()))
}

async fn event_on(
    state: &AppState,
    tenant: &TenantCtx,
    id: &str,
) -> Result<Json<WebhookDeliveryAttemptSummary>, DecodaError> {
    let id = delivery_id(id)?;
    let delivery = service::get_delivery(&state.store, tenant, id).await?;
    Ok(Json(delivery.into()))
}

async fn resend_on(
    state: &AppState,
    tenant: &TenantCtx,
    id: &str,
    raw: Option<&str>,
) -> Result<Json<WebhookDeliveryAttemptSummary>, DecodaError> {
    let id = delivery_id(id)?;
    // `notify_failure` is accepted and checked; copay sends no e-mail (no mailer).
    QueryParams::parse(raw)
        .bool("notify_failure")
        .map_err(DecodaError::query)?;
    let delivery = service::resend(&state.store, tenant, &state.config.webhooks, id).await?;
    Ok(Json(delivery.into()))
}

macro_rules! webhook_routes {
    ($source:expr, $tag:literal,
     [$p_create:literal, $p_get:literal, $p_update:literal, $p_delete:literal, $p_list:literal,
      $p_deliveries:literal, $p_event:literal, $p_resend:literal],
     $create:ident, $get:ident, $update:ident, $delete:ident, $list:ident,
     $deliveries:ident, $event:ident, $resend:ident, $list_params:tt) => {
        /// Creates a webhook; the response carries its signing `secret`.
        #[utoipa::path(post, path = $p_create, tag = $tag,
            request_body = WebhookCreate,
            responses((status = 200, body = WebhookSummary), (status = 422, description = "Invalid body or refused URL")))]
        pub async fn $create(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            DecodaJson(body): DecodaJson<WebhookCreate>,
        ) -> Result<Json<WebhookSummary>, DecodaError> {
            create_on(&state, &tenant, $source, body).await
        }

        #[utoipa::path(get, path = $p_get, tag = $tag,
            params(("webhook_id" = String, Path)),
            responses((status = 200, body = WebhookSummary), (status = 404, description = "Unknown webhook")))]
        pub async fn $get(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
        ) -> Result<Json<WebhookSummary>, DecodaError> {
            get_on(&state, &tenant, $source, &id).await
        }

        #[utoipa::path(put, path = $p_update, tag = $tag,
            params(("webhook_id" = String, Path)), request_body = WebhookUpdate,
            responses((status = 200, body = WebhookSummary), (status = 404, description = "Unknown webhook"),
                      (status = 422, description = "Invalid body or refused URL")))]
        pub async fn $update(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
            DecodaJson(body): DecodaJson<WebhookUpdate>,
        ) -> Result<Json<WebhookSummary>, DecodaError> {
            update_on(&state, &tenant, $source, &id, body).await
        }

        /// Archives the webhook: no new events; pending deliveries still go out.
        #[utoipa::path(delete, path = $p_delete, tag = $tag,
            params(("webhook_id" = String, Path)),
            responses((status = 200, body = bool), (status = 404, description = "Unknown webhook")))]
        pub async fn $delete(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
        ) -> Result<Json<bool>, DecodaError> {
            delete_on(&state, &tenant, $source, &id).await
        }

        #[utoipa::path(get, path = $p_list, tag = $tag, params $list_params,
            responses((status = 200, body = Vec<WebhookSummary>)))]
        pub async fn $list(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            RawQuery(raw): RawQuery,
        ) -> Result<Json<Vec<WebhookSummary>>, DecodaError> {
            let include_archived = $source == Source::V2
                && QueryParams::parse(raw.as_deref())
                    .bool("include_archived")
                    .map_err(DecodaError::query)?
                    .unwrap_or(false);
            list_on(&state, &tenant, $source, include_archived).await
        }

        /// The webhook's events, each with its delivery outcome (`limit` ≤ 1000).
        #[utoipa::path(get, path = $p_deliveries, tag = $tag,
            params(("webhook_id" = String, Path), ("event_type" = Option<String>, Query),
                   ("is_delivered" = Option<bool>, Query), ("created_before" = Option<String>, Query),
                   ("created_after" = Option<String>, Query), ("last_delivery_attempt_status" = Option<String>, Query),
                   ("last_delivery_attempt_error" = Option<String>, Query),
                   ("delivery_date_before" = Option<String>, Query), ("delivery_date_after" = Option<String>, Query),
                   ("sort_by" = Option<String>, Query), ("sort_direction" = Option<String>, Query),
                   ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
            responses((status = 200, body = Vec<WebhookDeliveryAttemptSummary>), (status = 404, description = "Unknown webhook")))]
        pub async fn $deliveries(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
            RawQuery(raw): RawQuery,
        ) -> Result<Json<Vec<WebhookDeliveryAttemptSummary>>, DecodaError> {
            deliveries_on(&state, &tenant, $source, &id, raw.as_deref()).await
        }

        #[utoipa::path(get, path = $p_event, tag = $tag,
            params(("webhook_delivery_attempt_id" = String, Path)),
            responses((status = 200, body = WebhookDeliveryAttemptSummary), (status = 404, description = "Unknown delivery")))]
        pub async fn $event(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
        ) -> Result<Json<WebhookDeliveryAttemptSummary>, DecodaError> {
            event_on(&state, &tenant, &id).await
        }

        /// Sends the event again now (one more attempt, signed over the same bytes) and
        /// returns it as it stands after that attempt.
        #[utoipa::path(get, path = $p_resend, tag = $tag,
            params(("webhook_delivery_attempt_id" = String, Path), ("notify_failure" = Option<bool>, Query)),
            responses((status = 200, body = WebhookDeliveryAttemptSummary), (status = 404, description = "Unknown delivery")))]
        pub async fn $resend(
            State(state): State<AppState>,
            DecodaTenant(tenant): DecodaTenant,
            Path(id): Path<String>,
            RawQuery(raw): RawQuery,
        ) -> Result<Json<WebhookDeliveryAttemptSummary>, DecodaError> {
            resend_on(&state, &tenant, &id, raw.as_deref()).await
        }
    };
}

webhook_routes!(
    Source::V1,
    "decoda: webhooks (v1)",
    [
        "/v1/webhook/create",
        "/v1/webhook/get/{webhook_id}",
        "/v1/webhook/update/{webhook_id}",
        "/v1/webhook/delete/{webhook_id}",
        "/v1/webhook/list",
        "/v1/webhook/{webhook_id}/delivery-attempts/list",
        "/v1/webhook/events/{webhook_delivery_attempt_id}",
        "/v1/webhook/events/{webhook_delivery_attempt_id}/send"
    ],
    create_v1,
    get_v1,
    update_v1,
    delete_v1,
    list_v1,
    deliveries_v1,
    event_v1,
    resend_v1,
    ()
);

webhook_routes!(
    Source::V2, "decoda: webhooks",
    ["/webhook/decoda/create", "/webhook/decoda/get/{webhook_id}",
     "/webhook/decoda/update/{webhook_id}", "/webhook/decoda/delete/{webhook_id}",
     "/webhook/decoda/list", "/webhook/decoda/{webhook_id}/delivery-attempts/list",
     "/webhook/decoda/events/{webhook_delivery_attempt_id}",
     "/webhook/decoda/events/{webhook_delivery_attempt_id}/send"],
    create_v2, get_v2, update_v2, delete_v2, list_v2, deliveries_v2, event_v2, resend_v2,
    (("include_archived" = Option<bool>, Query))
);

/// `WebhookConfigUpdate`.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfigUpdate {
    #[serde(default, alias = "webhook_url")]
    pub webhook_url: Option<String>,
    #[serde(default, alias = "webhook_enabled")]
    pub webhook_enabled: bool,
    #[serde(default, alias = "webhook_subscriptions")]
    pub webhook_subscriptions: Vec<String>,
}

fn config_json(config: &service::TenantWebhookConfig) -> Value {
    json!({
        "webhookUrl": config.url,
        "webhookEnabled": config.enabled,
        "webhookSubscriptions": config.subscriptions,
        "webhookSecret": config.secret,
    })
}

/// The tenant-level webhook: `webhookUrl`, `webhookEnabled`, `webhookSubscriptions`, and
/// `webhookSecret` (the key of its `Decoda-Signature`, null until first set).
#[utoipa::path(get, path = "/tenant/webhook-config", tag = "decoda: webhooks",
    responses((status = 200, description = "The tenant's webhook configuration")))]
pub async fn get_config(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
) -> Result<Json<Value>, DecodaError> {
    let config = service::tenant_config(&state.store, &tenant).await?;
    Ok(Json(config_json(&config)))
}

/// Sets the tenant-level webhook (delivered, signed and retried like any webhook) and
/// returns the tenant (Decoda's `Tenant`, copay's defaults for what it does not keep).
#[utoipa::path(put, path = "/tenant/webhook-config", tag = "decoda: webhooks",
    request_body = WebhookConfigUpdate,
    responses((status = 200, description = "Decoda's `Tenant`"), (status = 422, description = "Invalid body or refused URL")))]
pub async fn put_config(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<WebhookConfigUpdate>,
) -> Result<Json<Value>, DecodaError> {
    check_subscriptions("webhookSubscriptions", &body.webhook_subscriptions)?;
    service::set_tenant_config(
        &state.store,
        &tenant,
        &state.config.webhooks,
        body.webhook_url,
        body.webhook_enabled,
        body.webhook_subscriptions,
    )
    .await?;
    let row = copay_service::tenants::get_tenant(&state.store, tenant.tenant_id).await?;
    // Decoda's `Tenant` has no webhook fields; `GET /tenant/webhook-config` shows them.
    Ok(Json(json!({
        "name": row.name,
        "subDomain": row.slug,
        "providerDeactivatedPages": [],
        "patientDeactivatedPages": [],
        "enabledModules": [],
        "homePage": "",
        "passFeeToPatient": false,
        "paymentProcessor": "",
        "activatedChargeMethods": [],
        "phoneNumber": "",
        "logoUrl": "",
        "successfulPaymentText": "",
        "campaign": "",
        "enterpriseTenant": null,
        "manualInvoiceText": "",
        "sendReceiptText": "",
        "smsProvider": "SIGNALWIRE",
    })))
}
