//! Webhook subscriptions, the event outbox, deliveries and delivery attempts.
//!
//! A delivery is claimed by pushing its `next_attempt_ms` past the attempt's deadline (a
//! lease): another worker, or this one after a restart, takes it again only once the
//! lease has run out. On PostgreSQL the claim skips rows another replica is claiming
//! (`FOR UPDATE SKIP LOCKED`); on SQLite the claiming transaction holds the write lock.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Json, Store, StoreError, StoreResult, Tx, on_db, on_tx};

/// A delivery not yet delivered nor given up.
pub const PENDING: &str = "pending";
/// A delivery answered with a 2xx.
pub const DELIVERED: &str = "delivered";
/// A delivery whose automatic attempts are used up.
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `v1`, `v2` or `tenant-config`.
    pub source: String,
    pub url: String,
    pub subscriptions: Json<Vec<String>>,
    pub secret: String,
    pub notification_email: Option<String>,
    pub archived: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
}

macro_rules! select_webhook {
    ($($tail:expr),*) => {
        concat!(
            "SELECT id, tenant_id, source, url, subscriptions, secret, notification_email, \
             archived, created_at, updated_at FROM webhooks WHERE tenant_id = $1 ",
            $($tail),*
        )
    };
}

pub async fn insert_webhook(tx: &mut Tx, row: &WebhookRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO webhooks (id, tenant_id, source, url, subscriptions, secret, \
         notification_email, archived, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.source)
        .bind(&row.url)
        .bind(&row.subscriptions)
        .bind(&row.secret)
        .bind(&row.notification_email)
        .bind(row.archived)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes url, subscriptions, e-mail, archived and `updated_at`.
pub async fn update_webhook(tx: &mut Tx, row: &WebhookRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE webhooks SET url = $1, subscriptions = $2, notification_email = $3, \
         archived = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7")
        .bind(&row.url)
        .bind(&row.subscriptions)
        .bind(&row.notification_email)
        .bind(row.archived)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn webhook_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<WebhookRow>> {
    Ok(fetch_optional_locked!(
        tx,
        WebhookRow,
        select_webhook,
        "AND id = $2",
        |query| query.bind(tenant_id).bind(id)
    ))
}

/// The row behind the tenant's `/tenant/webhook-config`, if it was ever set.
pub async fn tenant_config_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
) -> StoreResult<Option<WebhookRow>> {
    Ok(fetch_optional_locked!(
        tx,
        WebhookRow,
        select_webhook,
        "AND source = 'tenant-config'",
        |query| query.bind(tenant_id)
    ))
}

/// PostgreSQL only: pushes the query of [`active_webhooks`], for a caller that ends its
/// own statement with it (the same rows, read with that statement's snapshot).
pub fn push_active_webhooks(query: &mut sqlx::QueryBuilder<sqlx::Postgres>, tenant_id: Uuid) {
    query.push(
        "SELECT id, tenant_id, source, url, subscriptions, secret, notification_email, \
         archived, created_at, updated_at FROM webhooks WHERE tenant_id = ",
    );
    query.push_bind(tenant_id);
    query.push(" AND archived = FALSE ORDER BY id");
}

/// The tenant's subscriptions that receive new events: not archived.
pub async fn active_webhooks(tx: &mut Tx, tenant_id: Uuid) -> StoreResult<Vec<WebhookRow>> {
    on_tx!(tx, conn => sqlx::query_as::<_, WebhookRow>(select_webhook!("AND archived = FALSE ORDER BY id"))
        .bind(tenant_id)
        .fetch_all(conn)
        .await)
    .map_err(Into::into)
}

/// Rows per `UPDATE … FROM (VALUES …)` of [`Store::set_delivery_bodies`] (two parameters
/// each, far below either database's limit).
const BODIES_PER_STATEMENT: usize = 200;

impl Store {
    pub async fn webhook(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<WebhookRow>> {
        on_db!(self, pool => sqlx::query_as::<_, WebhookRow>(select_webhook!("AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)
        .map_err(Into::into)
    }

    pub async fn tenant_webhook_config(&self, tenant_id: Uuid) -> StoreResult<Option<WebhookRow>> {
        on_db!(self, pool => sqlx::query_as::<_, WebhookRow>(select_webhook!("AND source = 'tenant-config'"))
            .bind(tenant_id)
            .fetch_optional(pool)
            .await)
        .map_err(Into::into)
    }

    /// The tenant's webhooks made through the API (not the tenant-config one), oldest first.
    pub async fn list_webhooks(
        &self,
        tenant_id: Uuid,
        include_archived: bool,
    ) -> StoreResult<Vec<WebhookRow>> {
        on_db!(self, pool => sqlx::query_as::<_, WebhookRow>(select_webhook!(
            "AND source <> 'tenant-config' AND (archived = FALSE OR $2) ORDER BY created_at, id"))
            .bind(tenant_id)
            .bind(include_archived)
            .fetch_all(pool)
            .await)
        .map_err(Into::into)
    }
}

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct EventRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_type: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub created_at: OffsetDateTime,
}

/// One event to write, with the webhooks it goes to (one pending delivery each).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub row: EventRow,
    /// `(delivery id, webhook id)` of each delivery.
    pub deliveries: Vec<(Uuid, Uuid)>,
}

/// Writes events and their deliveries (pending, no body yet, due at once) in one round
/// trip: on PostgreSQL one statement (the events in a data-modifying `WITH`, whose rows
/// the deliveries' foreign key sees at the statement's end), on SQLite two statements
/// sent together. The outbox is written inside the business transaction, where every
/// round trip holds the transaction (on SQLite, the one writer) longer.
pub async fn insert_events(tx: &mut Tx, events: &[NewEvent]) -> StoreResult<()> {
    let deliveries: Vec<(&EventRow, Uuid, Uuid)> = events
        .iter()
        .flat_map(|event| {
            event
                .deliveries
                .iter()
                .map(move |(delivery_id, webhook_id)| (&event.row, *delivery_id, *webhook_id))
        })
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let postgres = matches!(tx, Tx::Postgres(_));
    on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(if postgres { "WITH events AS (" } else { "" });
        query.push(
            "INSERT INTO webhook_events (id, tenant_id, event_type, subject_kind, subject_id, \
             created_at) ",
        );
        query.push_values(events, |mut values, event| {
            let row = &event.row;
            values
                .push_bind(row.id)
                .push_bind(row.tenant_id)
                .push_bind(row.event_type.clone())
                .push_bind(row.subject_kind.clone())
                .push_bind(row.subject_id.clone())
                .push_bind(row.created_at);
        });
        if !deliveries.is_empty() {
            query.push(if postgres { ") " } else { "; " });
            query.push(
                "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, event_type, \
                 body, status, attempts, next_attempt_ms, created_at) ",
            );
            query.push_values(&deliveries, |mut values, (event, delivery_id, webhook_id)| {
                values
                    .push_bind(*delivery_id)
                    .push_bind(event.tenant_id)
                    .push_bind(*webhook_id)
                    .push_bind(event.id)
                    .push_bind(event.event_type.clone())
                    .push("NULL, 'pending', 0")
                    .push_bind(due_ms(event.created_at))
                    .push_bind(event.created_at);
            });
        } else if postgres {
            query.push(") SELECT 1");
        }
        query.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Webhooks a tenant may have for [`record_events`] to write the outbox in one round trip
/// (a delivery id is chosen for each up front).
pub const INLINE_WEBHOOKS: usize = 16;

/// One event for [`record_events`]: its id and what it is about.
#[derive(Debug, Clone)]
pub struct PlannedEvent {
    pub id: Uuid,
    pub event_type: String,
    pub subject_kind: String,
    pub subject_id: String,
    /// The body for deliveries to `v1` webhooks, when rendered before the write.
    pub body_v1: Option<BodyTemplate>,
    /// The body for deliveries to webhooks of any other source, when rendered before.
    pub body_other: Option<BodyTemplate>,
}

/// A delivery body rendered before its delivery's id was chosen: the body is `before`,
/// the delivery id (hyphenated, lower case), then `after`.
#[derive(Debug, Clone)]
pub struct BodyTemplate {
    pub before: String,
    pub after: String,
}

/// What [`record_events`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// False when the tenant has more than [`INLINE_WEBHOOKS`] active webhooks: nothing
    /// was written.
    pub fits: bool,
    /// Which sources the active webhooks subscribed to the events have: bit
    /// [`SOURCE_V1`] for `v1`, bit [`SOURCE_OTHER`] for any other.
    pub sources: u8,
}

pub const SOURCE_V1: u8 = 1;
pub const SOURCE_OTHER: u8 = 2;

/// Writes `events` and one pending delivery per active webhook of the tenant subscribed to
/// each, choosing the webhooks in the same round trip (on PostgreSQL one statement, on
/// SQLite statements sent together): the outbox then costs a use case one round trip,
/// whether or not anything subscribes. An event no webhook subscribes to is not written.
/// Delivery ids come from `delivery_ids`, [`INLINE_WEBHOOKS`] per event in order (the
/// n-th subscribed webhook by id takes the n-th). A delivery gets its body from the
/// event's template for its webhook's source, when there is one (else none, for the
/// worker to render).
///
/// When the tenant has more than [`INLINE_WEBHOOKS`] active webhooks it writes nothing
/// (`fits` false); the caller then reads them ([`active_webhooks`]) and writes with
/// [`insert_events`].
pub async fn record_events(
    tx: &mut Tx,
    tenant_id: Uuid,
    events: &[PlannedEvent],
    delivery_ids: &[Uuid],
    at: OffsetDateTime,
) -> StoreResult<Recorded> {
    if events.is_empty() {
        return Ok(Recorded {
            fits: true,
            sources: 0,
        });
    }
    if delivery_ids.len() < events.len() * INLINE_WEBHOOKS {
        return Err(StoreError::Corrupt(format!(
            "{} delivery ids for {} events",
            delivery_ids.len(),
            events.len()
        )));
    }
    let inline = i64::try_from(INLINE_WEBHOOKS).unwrap_or(i64::MAX);
    let template = |body: &Option<BodyTemplate>| {
        (
            body.as_ref().map(|body| body.before.clone()),
            body.as_ref().map(|body| body.after.clone()),
        )
    };
    let (fits, sources): (bool, i64) = match tx {
        Tx::Postgres(tx) => {
            let (v1_before, v1_after): (Vec<Option<String>>, Vec<Option<String>>) =
                events.iter().map(|event| template(&event.body_v1)).unzip();
            let (other_before, other_after): (Vec<Option<String>>, Vec<Option<String>>) = events
                .iter()
                .map(|event| template(&event.body_other))
                .unzip();
            sqlx::query_as(
                "WITH active AS (SELECT id, source, subscriptions FROM webhooks \
                   WHERE tenant_id = $1 AND archived = FALSE), \
                 fits AS (SELECT COUNT(*) <= $2 AS yes FROM active), \
                 ev AS (SELECT * FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], \
                   $10::text[], $11::text[], $12::text[], $13::text[]) \
                   WITH ORDINALITY AS e(id, event_type, subject_kind, subject_id, \
                   v1_before, v1_after, other_before, other_after, position)), \
                 subs AS (SELECT ev.id AS event_id, ev.event_type, ev.position, a.id AS webhook_id, \
                   CASE WHEN a.source = 'v1' THEN 1 ELSE 2 END AS source_bit, \
                   CASE WHEN a.source = 'v1' THEN ev.v1_before ELSE ev.other_before END AS body_before, \
                   CASE WHEN a.source = 'v1' THEN ev.v1_after ELSE ev.other_after END AS body_after, \
                   row_number() OVER (PARTITION BY ev.id ORDER BY a.id) AS n \
                   FROM ev JOIN active a ON a.subscriptions ? ev.event_type \
                   WHERE (SELECT yes FROM fits)), \
                 ids AS (SELECT subs.*, ($8::uuid[])[(subs.position - 1) * $2 + subs.n] AS id \
                   FROM subs), \
                 events AS (INSERT INTO webhook_events \
                   (id, tenant_id, event_type, subject_kind, subject_id, created_at) \
                   SELECT ev.id, $1, ev.event_type, ev.subject_kind, ev.subject_id, $7 FROM ev \
                   WHERE ev.id IN (SELECT event_id FROM subs)), \
                 deliveries AS (INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, \
                   event_type, body, status, attempts, next_attempt_ms, created_at) \
                   SELECT ids.id, $1, ids.webhook_id, ids.event_id, ids.event_type, \
                   convert_to(ids.body_before || ids.id::text || ids.body_after, 'UTF8'), \
                   'pending', 0, $9, $7 FROM ids) \
                 SELECT (SELECT yes FROM fits), \
                   COALESCE((SELECT bit_or(source_bit) FROM subs), 0)::int8",
            )
            .bind(tenant_id)
            .bind(inline)
            .bind(events.iter().map(|event| event.id).collect::<Vec<Uuid>>())
            .bind(events.iter().map(|event| event.event_type.clone()).collect::<Vec<String>>())
            .bind(events.iter().map(|event| event.subject_kind.clone()).collect::<Vec<String>>())
            .bind(events.iter().map(|event| event.subject_id.clone()).collect::<Vec<String>>())
            .bind(at)
            .bind(delivery_ids)
            .bind(due_ms(at))
            .bind(v1_before)
            .bind(v1_after)
            .bind(other_before)
            .bind(other_after)
            .fetch_one(&mut **tx)
            .await?
        }
        Tx::Sqlite(tx) => {
            // Per event: the event if a webhook subscribes, then its deliveries; all guarded
            // by the tenant having at most INLINE_WEBHOOKS active webhooks; the last
            // statement answers whether it had, and the sources subscribed. The statements
            // run in SQLite's one writer, so each is kept cheap: a subscription is found
            // with `instr` on the stored JSON array (it holds only event type names, which
            // need no escaping, so `"TYPE"` with its quotes matches exactly one element),
            // and an event's delivery ids are two binds (their bytes and their text, cut
            // by the webhook's rank) instead of a row of binds per id.
            let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new("");
            let fits = |query: &mut sqlx::QueryBuilder<sqlx::Sqlite>| {
                query.push("(SELECT COUNT(*) FROM webhooks WHERE tenant_id = ");
                query.push_bind(tenant_id);
                query.push(" AND archived = FALSE) <= ");
                query.push_bind(inline);
            };
            let subscribed = |query: &mut sqlx::QueryBuilder<sqlx::Sqlite>, needle: &str| {
                query.push(" FROM webhooks w WHERE w.tenant_id = ");
                query.push_bind(tenant_id);
                query.push(" AND w.archived = FALSE AND instr(w.subscriptions, ");
                query.push_bind(needle.to_string());
                query.push(") > 0");
            };
            for (event, ids) in events.iter().zip(delivery_ids.chunks(INLINE_WEBHOOKS)) {
                let needle = format!("\"{}\"", event.event_type);
                query.push(
                    "INSERT INTO webhook_events (id, tenant_id, event_type, subject_kind, \
                     subject_id, created_at) SELECT ",
                );
                query.push_bind(event.id).push(", ");
                query.push_bind(tenant_id).push(", ");
                query.push_bind(event.event_type.clone()).push(", ");
                query.push_bind(event.subject_kind.clone()).push(", ");
                query.push_bind(event.subject_id.clone()).push(", ");
                query.push_bind(at).push(" WHERE ");
                fits(&mut query);
                query.push(" AND EXISTS (SELECT 1");
                subscribed(&mut query, &needle);
                query.push("); ");
                let (v1_before, v1_after) = template(&event.body_v1);
                let (other_before, other_after) = template(&event.body_other);
                let id_bytes: Vec<u8> = ids.iter().flat_map(|id| *id.as_bytes()).collect();
                let id_text: String = ids.iter().map(|id| id.hyphenated().to_string()).collect();
                query.push(
                    "INSERT INTO webhook_deliveries (id, tenant_id, webhook_id, event_id, \
                     event_type, body, status, attempts, next_attempt_ms, created_at) \
                     SELECT substr(",
                );
                query.push_bind(id_bytes).push(", subs.n * 16 - 15, 16), ");
                query.push_bind(tenant_id).push(", subs.id, ");
                query.push_bind(event.id).push(", ");
                query.push_bind(event.event_type.clone());
                query.push(", CAST(CASE WHEN subs.source = 'v1' THEN ");
                query.push_bind(v1_before).push(" || subs.id_text || ");
                query.push_bind(v1_after).push(" ELSE ");
                query.push_bind(other_before).push(" || subs.id_text || ");
                query.push_bind(other_after);
                query.push(" END AS BLOB), 'pending', 0, ");
                query.push_bind(due_ms(at)).push(", ");
                query.push_bind(at).push(" FROM (SELECT ranked.*, substr(");
                query.push_bind(id_text);
                query.push(
                    ", ranked.n * 36 - 35, 36) AS id_text FROM (SELECT w.id, w.source, \
                     row_number() OVER (ORDER BY w.id) AS n",
                );
                subscribed(&mut query, &needle);
                query.push(") AS ranked) AS subs WHERE subs.n <= ");
                query.push_bind(i64::try_from(ids.len()).unwrap_or(0));
                query.push(" AND ");
                fits(&mut query);
                query.push("; ");
            }
            query.push("SELECT ");
            fits(&mut query);
            query.push(
                ", (SELECT COALESCE(SUM(DISTINCT CASE WHEN w.source = 'v1' THEN 1 ELSE 2 END), 0) \
                 FROM webhooks w WHERE w.tenant_id = ",
            );
            query.push_bind(tenant_id);
            query.push(" AND w.archived = FALSE AND (");
            let mut types = query.separated(" OR ");
            for event in events {
                types.push("instr(w.subscriptions, ");
                types.push_bind_unseparated(format!("\"{}\"", event.event_type));
                types.push_unseparated(") > 0");
            }
            query.push("))");
            query.build_query_as().fetch_one(&mut **tx).await?
        }
    };
    Ok(Recorded {
        fits,
        sources: u8::try_from(sources).unwrap_or(SOURCE_V1 | SOURCE_OTHER),
    })
}

/// A new delivery is due when its event happened (milliseconds since the epoch).
fn due_ms(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// A delivery with what its summary shows and what sending it needs.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub body: Option<Vec<u8>>,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_ms: i64,
    pub delivered_at: Option<OffsetDateTime>,
    pub last_attempt_at: Option<OffsetDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub url: String,
    pub secret: String,
    pub source: String,
    pub subject_kind: String,
    pub subject_id: String,
}

macro_rules! select_delivery {
    ($($tail:expr),*) => {
        concat!(
            "SELECT d.id, d.tenant_id, d.webhook_id, d.event_id, d.event_type, d.body, d.status, \
             d.attempts, d.next_attempt_ms, d.delivered_at, d.last_attempt_at, d.last_status, \
             d.last_error, d.created_at, w.url, w.secret, w.source, e.subject_kind, e.subject_id \
             FROM webhook_deliveries d \
             JOIN webhooks w ON w.id = d.webhook_id \
             JOIN webhook_events e ON e.id = d.event_id ",
            $($tail),*
        )
    };
}

/// Filters of a webhook's delivery list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub event_type: Option<String>,
    pub is_delivered: Option<bool>,
    pub created_before: Option<OffsetDateTime>,
    pub created_after: Option<OffsetDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_before: Option<OffsetDateTime>,
    pub delivered_after: Option<OffsetDateTime>,
    /// `created_date`, `delivered_date` or `last_delivery_attempt_date`.
    pub sort_column: &'static str,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

impl Store {
    pub async fn delivery(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<DeliveryRow>> {
        on_db!(self, pool => sqlx::query_as::<_, DeliveryRow>(select_delivery!("WHERE d.tenant_id = $1 AND d.id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)
        .map_err(Into::into)
    }

    pub async fn list_deliveries(
        &self,
        tenant_id: Uuid,
        webhook_id: Uuid,
        filter: &DeliveryFilter,
    ) -> StoreResult<Vec<DeliveryRow>> {
        on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_delivery!("WHERE d.tenant_id = "));
            qb.push_bind(tenant_id);
            qb.push(" AND d.webhook_id = ").push_bind(webhook_id);
            if let Some(event_type) = &filter.event_type {
                qb.push(" AND d.event_type = ").push_bind(event_type.clone());
            }
            match filter.is_delivered {
                Some(true) => { qb.push(" AND d.delivered_at IS NOT NULL"); }
                Some(false) => { qb.push(" AND d.delivered_at IS NULL"); }
                None => {}
            }
            if let Some(at) = filter.created_before {
                qb.push(" AND d.created_at < ").push_bind(at);
            }
            if let Some(at) = filter.created_after {
                qb.push(" AND d.created_at > ").push_bind(at);
            }
            if let Some(status) = filter.last_status {
                qb.push(" AND d.last_status = ").push_bind(status);
            }
            if let Some(error) = &filter.last_error {
                qb.push(" AND d.last_error = ").push_bind(error.clone());
            }
            if let Some(at) = filter.delivered_before {
                qb.push(" AND d.delivered_at < ").push_bind(at);
            }
            if let Some(at) = filter.delivered_after {
                qb.push(" AND d.delivered_at > ").push_bind(at);
            }
            let direction = if filter.descending { " DESC" } else { " ASC" };
            qb.push(" ORDER BY d.").push(filter.sort_column).push(direction);
            qb.push(", d.id").push(direction);
            qb.push(" LIMIT ").push_bind(filter.limit);
            qb.push(" OFFSET ").push_bind(filter.offset);
            qb.build_query_as::<DeliveryRow>().fetch_all(pool).await
        })
        .map_err(Into::into)
    }

    /// Deliveries whose body is not rendered yet, oldest event first.
    pub async fn unrendered_deliveries(&self, limit: i64) -> StoreResult<Vec<DeliveryRow>> {
        on_db!(self, pool => sqlx::query_as::<_, DeliveryRow>(select_delivery!(
            "WHERE d.body IS NULL ORDER BY d.event_id, d.id LIMIT $1"))
            .bind(limit)
            .fetch_all(pool)
            .await)
        .map_err(Into::into)
    }

    /// Fixes a delivery's body unless one is already there (the first render wins, so
    /// every attempt signs the same bytes). Returns whether this call set it.
    /// Stores rendered bodies (each only if none is stored yet) in one write transaction,
    /// so a burst of events costs one writer turn, not one per delivery (on SQLite every
    /// write waits for the single writer). Returns how many were stored.
    pub async fn set_delivery_bodies(&self, bodies: &[(Uuid, Vec<u8>)]) -> StoreResult<usize> {
        if bodies.is_empty() {
            return Ok(0);
        }
        let mut tx = self.begin().await?;
        let mut stored = 0;
        // One statement per chunk: each statement is a round trip while holding the writer.
        for chunk in bodies.chunks(BODIES_PER_STATEMENT) {
            let done = on_tx!(&mut tx, conn => {
                let mut query = sqlx::QueryBuilder::new(
                    "UPDATE webhook_deliveries SET body = v.column2 FROM (",
                );
                query.push_values(chunk, |mut values, (id, body)| {
                    values.push_bind(*id).push_bind(body.clone());
                });
                query.push(
                    ") AS v WHERE webhook_deliveries.id = v.column1 \
                     AND webhook_deliveries.body IS NULL",
                );
                query.build().execute(conn).await.map(|done| done.rows_affected())
            })?;
            stored += usize::try_from(done).unwrap_or(0);
        }
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn set_delivery_body(&self, id: Uuid, body: &[u8]) -> StoreResult<bool> {
        let done = on_db!(self, pool => sqlx::query(
            "UPDATE webhook_deliveries SET body = $1 WHERE id = $2 AND body IS NULL")
            .bind(body)
            .bind(id)
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))?;
        Ok(done == 1)
    }

    /// Claims up to `limit` due deliveries, at most one per webhook and only the earliest
    /// pending one of each, by moving their `next_attempt_ms` to `lease_until_ms`.
    pub async fn claim_due_deliveries(
        &self,
        now_ms: i64,
        lease_until_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRow>> {
        // Each webhook's earliest pending delivery (one index probe per webhook, however
        // long its backlog), if it is due and rendered. The heads are found first and joined
        // in that order (MATERIALIZED, CROSS JOIN): SQLite otherwise filters the deliveries
        // first, walking every due delivery of every backlog on every tick.
        macro_rules! due {
            ($($lock:expr),*) => {
                concat!(
                    "WITH heads AS MATERIALIZED (SELECT (SELECT e.id FROM webhook_deliveries e \
                            WHERE e.webhook_id = w.id AND e.status = 'pending' \
                            ORDER BY e.event_id LIMIT 1) AS id FROM webhooks w) \
                     SELECT d.id FROM heads h CROSS JOIN webhook_deliveries d \
                     WHERE d.id = h.id AND d.status = 'pending' AND d.body IS NOT NULL \
                     AND d.next_attempt_ms <= $1 \
                     ORDER BY d.next_attempt_ms, d.event_id LIMIT $2",
                    $($lock),*
                )
            };
        }
        // Most ticks find nothing due: asking the read side first spares them a write
        // transaction (on SQLite, a turn of the one writer the requests wait for).
        let any_due: Option<Uuid> = on_db!(self, pool => sqlx::query_scalar(due!())
            .bind(now_ms)
            .bind(1_i64)
            .fetch_optional(pool)
            .await)?;
        if any_due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let ids: Vec<Uuid> = match &mut tx {
            Tx::Postgres(tx) => {
                sqlx::query_scalar(due!(" FOR UPDATE OF d SKIP LOCKED"))
                    .bind(now_ms)
                    .bind(limit)
                    .fetch_all(&mut **tx)
                    .await?
            }
            Tx::Sqlite(tx) => {
                sqlx::query_scalar(due!())
                    .bind(now_ms)
                    .bind(limit)
                    .fetch_all(&mut **tx)
                    .await?
            }
        };
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE webhook_deliveries SET next_attempt_ms = $1 WHERE id = $2")
                .bind(lease_until_ms)
                .bind(id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
            let row = on_tx!(&mut tx, conn => sqlx::query_as::<_, DeliveryRow>(select_delivery!("WHERE d.id = $1"))
                .bind(id)
                .fetch_optional(conn)
                .await)?;
            claimed.extend(row);
        }
        tx.commit().await?;
        Ok(claimed)
    }
}

/// One HTTP attempt and what it did to its delivery.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub delivery_id: Uuid,
    pub manual: bool,
    pub started_at: OffsetDateTime,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    /// Whether the receiver answered 2xx.
    pub delivered: bool,
    /// For a failed automatic attempt: when to try again, or `None` to give up.
    pub retry_at_ms: Option<i64>,
}

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct AttemptRow {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempt: i32,
    pub manual: bool,
    pub started_at: OffsetDateTime,
    pub duration_ms: i64,
    pub status_code: Option<i32>,
    pub error: Option<String>,
}

impl Store {
    /// Records an attempt and updates its delivery: delivered on a 2xx; after a failed
    /// automatic attempt, rescheduled or given up; a failed manual attempt changes only
    /// the "last attempt" facts.
    pub async fn record_attempt(&self, record: &AttemptRecord) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        let previous: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(
            "SELECT COUNT(*) FROM webhook_delivery_attempts WHERE delivery_id = $1")
            .bind(record.delivery_id)
            .fetch_one(conn)
            .await)?;
        let attempt = i32::try_from(previous + 1).unwrap_or(i32::MAX);
        on_tx!(&mut tx, conn => sqlx::query(
            "INSERT INTO webhook_delivery_attempts (id, tenant_id, delivery_id, attempt, manual, \
             started_at, duration_ms, status_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(record.id)
            .bind(record.tenant_id)
            .bind(record.delivery_id)
            .bind(attempt)
            .bind(record.manual)
            .bind(record.started_at)
            .bind(record.duration_ms)
            .bind(record.status_code)
            .bind(&record.error)
            .execute(conn)
            .await
            .map(|done| done.rows_affected()))?;
        let finished_at = record.started_at + time::Duration::milliseconds(record.duration_ms);
        let automatic = i32::from(!record.manual);
        if record.delivered {
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE webhook_deliveries SET status = 'delivered', \
                 delivered_at = COALESCE(delivered_at, $1), attempts = attempts + $2, \
                 last_attempt_at = $3, last_status = $4, last_error = NULL WHERE id = $5")
                .bind(finished_at)
                .bind(automatic)
                .bind(record.started_at)
                .bind(record.status_code)
                .bind(record.delivery_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        } else if record.manual {
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE webhook_deliveries SET last_attempt_at = $1, last_status = $2, \
                 last_error = $3 WHERE id = $4")
                .bind(record.started_at)
                .bind(record.status_code)
                .bind(&record.error)
                .bind(record.delivery_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        } else {
            // Only a pending delivery is rescheduled or given up: a manual resend may have
            // delivered it meanwhile.
            let (status, next) = match record.retry_at_ms {
                Some(at) => (PENDING, at),
                None => (FAILED, 0),
            };
            on_tx!(&mut tx, conn => sqlx::query(
                "UPDATE webhook_deliveries SET status = CASE WHEN status = 'pending' THEN $1 ELSE status END, \
                 next_attempt_ms = $2, attempts = attempts + 1, last_attempt_at = $3, \
                 last_status = $4, last_error = $5 WHERE id = $6")
                .bind(status)
                .bind(next)
                .bind(record.started_at)
                .bind(record.status_code)
                .bind(&record.error)
                .bind(record.delivery_id)
                .execute(conn)
                .await
                .map(|done| done.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every attempt at one delivery, first first.
    pub async fn delivery_attempts(&self, delivery_id: Uuid) -> StoreResult<Vec<AttemptRow>> {
        on_db!(self, pool => sqlx::query_as::<_, AttemptRow>(
            "SELECT id, delivery_id, attempt, manual, started_at, duration_ms, status_code, error \
             FROM webhook_delivery_attempts WHERE delivery_id = $1 ORDER BY attempt")
            .bind(delivery_id)
            .fetch_all(pool)
            .await)
        .map_err(Into::into)
    }
}

/// Reads of the objects events are about that no other module offers by id.
impl Store {
    pub async fn refund_by_id(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<crate::payments::RefundRow>> {
        on_db!(self, pool => sqlx::query_as::<_, crate::payments::RefundRow>(
            "SELECT id, tenant_id, payment_id, amount, reason, description, provider_id, location_id, \
             status, credit_id, operation_id, created_at FROM refunds WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)
        .map_err(Into::into)
    }

    pub async fn adjustment_by_id(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<crate::charges::AdjustmentRow>> {
        on_db!(self, pool => sqlx::query_as::<_, crate::charges::AdjustmentRow>(
            "SELECT id, tenant_id, charge_id, amount, adjustment_type, reason, provider_id, location_id, \
             operation_id, created_at FROM charge_adjustments WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)
        .map_err(Into::into)
    }
}
