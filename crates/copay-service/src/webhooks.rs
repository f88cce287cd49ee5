//! Webhook subscriptions and their deliveries: create, read, update, archive, the
//! tenant-level webhook config, delivery lists and manual resend.

use std::time::Duration;

use rand::Rng;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use copay_store::webhooks::{self as rows, DeliveryFilter, DeliveryRow, WebhookRow};
use copay_store::{Json, Store};

use crate::webhook_delivery::{self, check_target};
use crate::{ServiceError, TenantCtx, events};

const ENTITY: &str = "webhook";
const DELIVERY: &str = "webhook delivery attempt";

/// How webhooks are delivered; one value for the API and the worker.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow targets on loopback, link-local, private and unspecified addresses (local
    /// development and tests); off by default so a tenant cannot make copay call into
    /// the network it runs in.
    pub allow_private_targets: bool,
    /// How long one attempt may take, connection included.
    pub timeout: Duration,
    /// The first retry's delay; each next one is three times longer (with jitter).
    pub retry_base: Duration,
    /// Automatic attempts before a delivery is given up (manual resends not counted).
    pub max_attempts: u32,
    /// How often the worker looks for due deliveries.
    pub tick: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        // 15 s × (1 + 3 + 9 + 27 + 81) ≈ 30 min between the first and the sixth attempt.
        WebhookSettings {
            allow_private_targets: false,
            timeout: Duration::from_secs(5),
            retry_base: Duration::from_secs(15),
            max_attempts: 6,
            tick: Duration::from_millis(250),
        }
    }
}

/// Which surface a webhook was made on; it picks the payload shapes it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    V1,
    V2,
    TenantConfig,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::V1 => "v1",
            Source::V2 => "v2",
            Source::TenantConfig => "tenant-config",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub subscriptions: Vec<String>,
    pub secret: String,
    pub notification_email: Option<String>,
    pub archived: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
}

impl From<WebhookRow> for Webhook {
    fn from(row: WebhookRow) -> Self {
        Webhook {
            id: row.id,
            url: row.url,
            subscriptions: row.subscriptions.0,
            secret: row.secret,
            notification_email: row.notification_email,
            archived: row.archived,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub subscriptions: Vec<String>,
    pub notification_email: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub subscriptions: Option<Vec<String>>,
    /// `Some(None)` clears it.
    pub notification_email: Option<Option<String>>,
}

/// A 32-hex-digit signing secret (128 random bits), the form Decoda's samples show.
fn new_secret() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    hex::encode(bytes)
}

async fn validated_url(url: &str, settings: &WebhookSettings) -> Result<String, ServiceError> {
    check_target(url, settings.allow_private_targets)
        .await
        .map(|url| url.to_string())
        .map_err(|reason| ServiceError::invalid("url", reason))
}

pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    settings: &WebhookSettings,
    source: Source,
    new: NewWebhook,
) -> Result<Webhook, ServiceError> {
    let url = validated_url(&new.url, settings).await?;
    let row = WebhookRow {
        id: Uuid::now_v7(),
        tenant_id: tenant.tenant_id,
        source: source.as_str().to_string(),
        url,
        subscriptions: Json(new.subscriptions),
        secret: new_secret(),
        notification_email: new.notification_email,
        archived: false,
        created_at: copay_store::now(),
        updated_at: None,
    };
    let mut tx = store.begin().await?;
    rows::insert_webhook(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// A webhook of the tenant made through the API; an archived one only when
/// `include_archived` (Gen-1 treats a deleted webhook as gone).
pub async fn get(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    include_archived: bool,
) -> Result<Webhook, ServiceError> {
    store
        .webhook(tenant.tenant_id, id)
        .await?
        .filter(|row| row.source != Source::TenantConfig.as_str())
        .filter(|row| include_archived || !row.archived)
        .map(Into::into)
        .ok_or_else(|| not_found(ENTITY, id))
}

fn not_found(entity: &'static str, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    settings: &WebhookSettings,
    id: Uuid,
    changes: WebhookChanges,
    include_archived: bool,
) -> Result<Webhook, ServiceError> {
    let url = match &changes.url {
        Some(url) => Some(validated_url(url, settings).await?),
        None => None,
    };
    let mut tx = store.begin().await?;
    let mut row = rows::webhook_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .filter(|row| row.source != Source::TenantConfig.as_str())
        .filter(|row| include_archived || !row.archived)
        .ok_or_else(|| not_found(ENTITY, id))?;
    if let Some(url) = url {
        row.url = url;
    }
    if let Some(subscriptions) = changes.subscriptions {
        row.subscriptions = Json(subscriptions);
    }
    if let Some(email) = changes.notification_email {
        row.notification_email = email;
    }
    row.updated_at = Some(copay_store::now());
    rows::update_webhook(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Archives a webhook: it receives no new events; its deliveries stay readable and
/// those still pending are still delivered. Archiving twice is fine.
pub async fn archive(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    include_archived: bool,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::webhook_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .filter(|row| row.source != Source::TenantConfig.as_str())
        .filter(|row| include_archived || !row.archived)
        .ok_or_else(|| not_found(ENTITY, id))?;
    if !row.archived {
        row.archived = true;
        row.updated_at = Some(copay_store::now());
        rows::update_webhook(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    include_archived: bool,
) -> Result<Vec<Webhook>, ServiceError> {
    Ok(store
        .list_webhooks(tenant.tenant_id, include_archived)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// The tenant-level webhook (`/tenant/webhook-config`): one URL, on or off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantWebhookConfig {
    pub url: Option<String>,
    pub enabled: bool,
    pub subscriptions: Vec<String>,
    /// Signs this webhook's deliveries like any other's.
    pub secret: Option<String>,
}

pub async fn tenant_config(
    store: &Store,
    tenant: &TenantCtx,
) -> Result<TenantWebhookConfig, ServiceError> {
    Ok(match store.tenant_webhook_config(tenant.tenant_id).await? {
        Some(row) => config_of(row),
        None => TenantWebhookConfig {
            url: None,
            enabled: false,
            subscriptions: Vec::new(),
            secret: None,
        },
    })
}

fn config_of(row: WebhookRow) -> TenantWebhookConfig {
    TenantWebhookConfig {
        url: (!row.url.is_empty()).then_some(row.url),
        enabled: !row.archived,
        subscriptions: row.subscriptions.0,
        secret: Some(row.secret),
    }
}

/// Sets the tenant-level webhook. It is a webhook like the others underneath (same
/// outbox, signing and retries), enabled only with a URL.
pub async fn set_tenant_config(
    store: &Store,
    tenant: &TenantCtx,
    settings: &WebhookSettings,
    url: Option<String>,
    enabled: bool,
    subscriptions: Vec<String>,
) -> Result<TenantWebhookConfig, ServiceError> {
    let url = match url.as_deref().map(str::trim) {
        Some("") | None => None,
        Some(url) => Some(validated_url(url, settings).await?),
    };
    if enabled && url.is_none() {
        return Err(ServiceError::invalid(
            "webhookUrl",
            "is required to enable the webhook",
        ));
    }
    let now = copay_store::now();
    let mut tx = store.begin().await?;
    let existing = rows::tenant_config_for_update(&mut tx, tenant.tenant_id).await?;
    let row = match existing {
        Some(mut row) => {
            row.url = url.unwrap_or_default();
            row.subscriptions = Json(subscriptions);
            row.archived = !enabled;
            row.updated_at = Some(now);
            rows::update_webhook(&mut tx, &row).await?;
            row
        }
        None => {
            let row = WebhookRow {
                id: Uuid::now_v7(),
                tenant_id: tenant.tenant_id,
                source: Source::TenantConfig.as_str().to_string(),
                url: url.unwrap_or_default(),
                subscriptions: Json(subscriptions),
                secret: new_secret(),
                notification_email: None,
                archived: !enabled,
                created_at: now,
                updated_at: None,
            };
            rows::insert_webhook(&mut tx, &row).await?;
            row
        }
    };
    tx.commit().await?;
    Ok(config_of(row))
}

/// One event as delivered to one webhook, with the outcome so far.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// The delivered body, parsed.
    pub body: Value,
    pub created_at: OffsetDateTime,
    pub delivered_at: Option<OffsetDateTime>,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

async fn delivery_of(store: &Store, row: DeliveryRow) -> Result<Delivery, ServiceError> {
    let bytes = events::ensure_body(store, &row).await?;
    let body = serde_json::from_slice(&bytes).map_err(|error| {
        ServiceError::Store(copay_store::StoreError::Corrupt(format!(
            "delivery {} has a body that is not JSON: {error}",
            row.id
        )))
    })?;
    Ok(Delivery {
        id: row.id,
        event_id: row.event_id,
        event_type: row.event_type,
        body,
        created_at: row.created_at,
        delivered_at: row.delivered_at,
        last_attempt_at: row.last_attempt_at,
        last_status: row.last_status,
        last_error: row.last_error,
    })
}

/// The largest delivery list.
pub const MAX_DELIVERY_LIST: i64 = 1000;

pub async fn list_deliveries(
    store: &Store,
    tenant: &TenantCtx,
    webhook_id: Uuid,
    include_archived: bool,
    filter: DeliveryFilter,
) -> Result<Vec<Delivery>, ServiceError> {
    get(store, tenant, webhook_id, include_archived).await?;
    if filter.limit < 0 || filter.limit > MAX_DELIVERY_LIST {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 0 and {MAX_DELIVERY_LIST}"),
        ));
    }
    if filter.offset < 0 {
        return Err(ServiceError::invalid("offset", "must not be negative"));
    }
    let rows = store
        .list_deliveries(tenant.tenant_id, webhook_id, &filter)
        .await?;
    let mut deliveries = Vec::with_capacity(rows.len());
    for row in rows {
        deliveries.push(delivery_of(store, row).await?);
    }
    Ok(deliveries)
}

async fn delivery_row(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<DeliveryRow, ServiceError> {
    store
        .delivery(tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(DELIVERY, id))
}

pub async fn get_delivery(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<Delivery, ServiceError> {
    let row = delivery_row(store, tenant, id).await?;
    delivery_of(store, row).await
}

/// Sends a delivery again now, whatever its state, as one more (manual) attempt, and
/// returns it as it stands after that attempt.
pub async fn resend(
    store: &Store,
    tenant: &TenantCtx,
    settings: &WebhookSettings,
    id: Uuid,
) -> Result<Delivery, ServiceError> {
    let mut row = delivery_row(store, tenant, id).await?;
    row.body = Some(events::ensure_body(store, &row).await?);
    let client = webhook_delivery::http_client(settings).map_err(|error| {
        ServiceError::Unprocessable(format!("cannot build the webhook HTTP client: {error}"))
    })?;
    webhook_delivery::attempt_and_record(store, &client, settings, &row, true).await?;
    get_delivery(store, tenant, id).await
}
