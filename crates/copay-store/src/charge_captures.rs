//! Charge capture rows.

use std::collections::BTreeMap;

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use copay_domain::facets::Facet;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

/// A charge capture row. `D` is how its `data` is read: as a JSON tree where copay looks
/// inside it, as raw JSON text where it is only passed on (a list page).
#[derive(Debug, Clone, FromRow)]
pub struct ChargeCaptureRow<D = Json<Value>> {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_external_id: String,
    pub patient_external_id: String,
    pub status: String,
    pub data: D,
    pub date_of_service: Option<Date>,
    pub originating_system: Option<String>,
    pub claim_creation_category: Option<String>,
    pub ehr_source_url: Option<String>,
    pub attachment_external_document_ids: Option<Json<Value>>,
    pub metadata: Option<Json<Value>>,
    pub hl7_message_type: Option<String>,
    pub claim_creation_id: Option<Uuid>,
    /// The registry patient whose data fills the encounter (create-from-pre-encounter).
    pub pre_encounter_patient_id: Option<Uuid>,
    pub pre_encounter_appointment_ids: Option<Json<Value>>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_charge_capture {
    ($($tail:expr),*) => {
        concat!(
            "SELECT id, tenant_id, charge_external_id, patient_external_id, status, data, date_of_service, \
             originating_system, claim_creation_category, ehr_source_url, attachment_external_document_ids, metadata, \
             hl7_message_type, claim_creation_id, pre_encounter_patient_id, pre_encounter_appointment_ids, created_at, \
             updated_at FROM charge_captures ",
            $($tail),*
        )
    };
}

pub(crate) use select_charge_capture;

/// The date as a sortable, never-null text key: `YYYY-MM-DD`, or `` when absent.
pub fn date_key(date: Option<Date>) -> String {
    date.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

pub async fn insert(tx: &mut Tx, row: &ChargeCaptureRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_captures (id, tenant_id, charge_external_id, patient_external_id, status, data, \
         date_of_service, originating_system, claim_creation_category, ehr_source_url, \
         attachment_external_document_ids, metadata, hl7_message_type, claim_creation_id, created_at, updated_at, \
         date_of_service_key, pre_encounter_patient_id, pre_encounter_appointment_ids) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.charge_external_id)
        .bind(&row.patient_external_id)
        .bind(&row.status)
        .bind(&row.data)
        .bind(row.date_of_service)
        .bind(&row.originating_system)
        .bind(&row.claim_creation_category)
        .bind(&row.ehr_source_url)
        .bind(&row.attachment_external_document_ids)
        .bind(&row.metadata)
        .bind(&row.hl7_message_type)
        .bind(row.claim_creation_id)
        .bind(row.created_at)
        .bind(row.updated_at)
        .bind(date_key(row.date_of_service))
        .bind(row.pre_encounter_patient_id)
        .bind(&row.pre_encounter_appointment_ids)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes every mutable column of `row` (matched by tenant and id).
pub async fn update(tx: &mut Tx, row: &ChargeCaptureRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charge_captures SET charge_external_id = $1, patient_external_id = $2, status = $3, data = $4, \
         date_of_service = $5, originating_system = $6, claim_creation_category = $7, ehr_source_url = $8, \
         attachment_external_document_ids = $9, metadata = $10, hl7_message_type = $11, updated_at = $12, \
         date_of_service_key = $15 WHERE tenant_id = $13 AND id = $14")
        .bind(&row.charge_external_id)
        .bind(&row.patient_external_id)
        .bind(&row.status)
        .bind(&row.data)
        .bind(row.date_of_service)
        .bind(&row.originating_system)
        .bind(&row.claim_creation_category)
        .bind(&row.ehr_source_url)
        .bind(&row.attachment_external_document_ids)
        .bind(&row.metadata)
        .bind(&row.hl7_message_type)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .bind(date_key(row.date_of_service))
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The row, locked for update on PostgreSQL (SQLite's write transaction already is).
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ChargeCaptureRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ChargeCaptureRow,
        select_charge_capture,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

impl Store {
    pub async fn charge_capture(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<ChargeCaptureRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ChargeCaptureRow>(
            select_charge_capture!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }
}

/// Replaces the facets of one charge capture, moves the per-value facet counts by the
/// difference, and records which extraction rules wrote them (`version`).
pub async fn write_facets(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge_capture_id: Uuid,
    facets: &[(Facet, String)],
    version: i32,
) -> StoreResult<()> {
    let old: Vec<(String, String)> = on_tx!(tx, conn => sqlx::query_as(
        "DELETE FROM charge_capture_facets WHERE charge_capture_id = $1 RETURNING facet, value")
        .bind(charge_capture_id)
        .fetch_all(&mut *conn)
        .await)?;
    // Bounded batches keep every statement under both databases' bind-parameter limits.
    for chunk in facets.chunks(1000) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO charge_capture_facets (tenant_id, facet, value, charge_capture_id) ",
            );
            qb.push_values(chunk, |mut values, (facet, value)| {
                values
                    .push_bind(tenant_id)
                    .push_bind(facet.as_str())
                    .push_bind(value.clone())
                    .push_bind(charge_capture_id);
            });
            qb.build().execute(&mut *conn).await.map(|done| done.rows_affected())
        })?;
    }
    // The values the capture loses count one less, those it gains one more.
    let moves = old
        .iter()
        .map(|(facet, value)| ([facet.as_str(), value.as_str()], -1))
        .chain(
            facets
                .iter()
                .map(|(facet, value)| ([facet.as_str(), value.as_str()], 1)),
        );
    let stripe = count_stripe(charge_capture_id);
    add_to_counts(
        tx,
        "charge_capture_facet_counts",
        ["facet", "value"],
        tenant_id,
        stripe,
        moves,
    )
    .await?;
    on_tx!(tx, conn => sqlx::query("UPDATE charge_captures SET facets_version = $1 WHERE id = $2")
        .bind(version)
        .bind(charge_capture_id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Up to `limit` charge captures whose facets were written by rules older than `version`.
pub async fn with_stale_facets(
    tx: &mut Tx,
    version: i32,
    limit: i64,
) -> StoreResult<Vec<ChargeCaptureRow>> {
    // Locked (and skipped when another replica holds them), so two replicas starting
    // together, or an update racing the refresh, never write one capture's facets twice.
    let rows = match tx {
        Tx::Postgres(tx) => {
            sqlx::query_as::<_, ChargeCaptureRow>(select_charge_capture!(
                "WHERE facets_version < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"
            ))
            .bind(version)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await?
        }
        Tx::Sqlite(tx) => {
            sqlx::query_as::<_, ChargeCaptureRow>(select_charge_capture!(
                "WHERE facets_version < $1 ORDER BY id LIMIT $2"
            ))
            .bind(version)
            .bind(limit)
            .fetch_all(&mut **tx)
            .await?
        }
    };
    Ok(rows)
}

/// Which of the 16 count stripes a capture counts in: a fixed function of its id, so
/// concurrent creates spread over the stripes and a status change stays in one stripe.
fn count_stripe(id: Uuid) -> i32 {
    i32::from(id.as_bytes()[15] % 16)
}

/// What a capture counts under: its status and its date of service key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CountKey<'a> {
    pub status: &'a str,
    pub date_key: &'a str,
}

impl<'a> CountKey<'a> {
    /// The key of `row` as it is about to be written; `date_key` is `date_key(row.date_of_service)`.
    pub fn of(row: &'a ChargeCaptureRow, date_key: &'a str) -> Self {
        CountKey {
            status: &row.status,
            date_key,
        }
    }
}

/// Moves one capture between counts: out of `from` (unless it is new), into `to`.
/// Call it late in the transaction: the stripe rows stay locked until commit.
pub async fn move_counts(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    from: Option<CountKey<'_>>,
    to: CountKey<'_>,
) -> StoreResult<()> {
    if from == Some(to) {
        return Ok(());
    }
    let stripe = count_stripe(id);
    let out_of = from.into_iter().map(|from| (from, -1));
    let moves: Vec<(CountKey<'_>, i64)> = out_of.chain([(to, 1)]).collect();
    // The status table first, then the day table, in every transaction.
    add_to_counts(
        tx,
        "charge_capture_counts",
        ["status"],
        tenant_id,
        stripe,
        moves.iter().map(|(key, delta)| ([key.status], *delta)),
    )
    .await?;
    add_to_counts(
        tx,
        "charge_capture_day_counts",
        ["date_key", "status"],
        tenant_id,
        stripe,
        moves
            .iter()
            .map(|(key, delta)| ([key.date_key, key.status], *delta)),
    )
    .await
}

/// Adds each delta to its count row (keyed by the tenant, `keys` and the stripe), netting
/// the deltas of one key first and leaving a row alone whose net change is none. One
/// multi-row upsert in key order, so every transaction locks a table's count rows in the
/// same order and two never deadlock.
async fn add_to_counts<const K: usize>(
    tx: &mut Tx,
    table: &'static str,
    keys: [&'static str; K],
    tenant_id: Uuid,
    stripe: i32,
    deltas: impl IntoIterator<Item = ([&str; K], i64)>,
) -> StoreResult<()> {
    let mut net: BTreeMap<[&str; K], i64> = BTreeMap::new();
    for (key, delta) in deltas {
        *net.entry(key).or_default() += delta;
    }
    let rows: Vec<([&str; K], i64)> = net.into_iter().filter(|(_, delta)| *delta != 0).collect();
    let columns = keys.join(", ");
    // Bounded batches keep every statement under both databases' bind-parameter limits.
    for chunk in rows.chunks(1000) {
        on_tx!(tx, conn => {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO ");
            qb.push(table).push(format_args!(" (tenant_id, {columns}, stripe, count) "));
            qb.push_values(chunk, |mut values, (key, delta)| {
                values.push_bind(tenant_id);
                for part in key {
                    values.push_bind(*part);
                }
                values.push_bind(stripe).push_bind(*delta);
            });
            qb.push(format_args!(
                " ON CONFLICT (tenant_id, {columns}, stripe) DO UPDATE SET count = {table}.count + excluded.count"
            ));
            qb.build().execute(&mut *conn).await.map(|done| done.rows_affected())
        })?;
    }
    Ok(())
}

/// Captures the stored counts can count: with this status (any when `None`) and a date
/// of service within the bounds (any date, or none, without bounds).
#[derive(Debug, Clone, Copy, Default)]
pub struct CountQuery<'a> {
    pub status: Option<&'a str>,
    pub date_min: Option<Date>,
    pub date_max: Option<Date>,
}

/// A stored facet-value count that differs from the facet rows it counts.
#[derive(Debug, Clone, FromRow)]
pub struct FacetCountMismatch {
    pub tenant_id: Uuid,
    pub facet: String,
    pub value: String,
    pub counted: i64,
    pub actual: i64,
}

/// A stored count that differs from the captures it counts.
#[derive(Debug, Clone, FromRow)]
pub struct CountMismatch {
    pub tenant_id: Uuid,
    pub status: String,
    /// The date of service key, for a per-day count.
    pub date_key: Option<String>,
    pub counted: i64,
    pub actual: i64,
}

impl Store {
    /// How many of the tenant's captures `query` selects, from the stored counts.
    pub async fn charge_capture_count(
        &self,
        tenant_id: Uuid,
        query: &CountQuery<'_>,
    ) -> StoreResult<i64> {
        let by_day = query.date_min.is_some() || query.date_max.is_some();
        let count = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM ");
            qb.push(if by_day { "charge_capture_day_counts" } else { "charge_capture_counts" })
                .push(" WHERE tenant_id = ")
                .push_bind(tenant_id);
            if let Some(status) = query.status {
                qb.push(" AND status = ").push_bind(status);
            }
            if let Some(min) = query.date_min {
                qb.push(" AND date_key >= ").push_bind(date_key(Some(min)));
            }
            if let Some(max) = query.date_max {
                qb.push(" AND date_key <> '' AND date_key <= ").push_bind(date_key(Some(max)));
            }
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok(count)
    }

    /// How many of the tenant's captures have this facet value, from the stored counts.
    pub async fn charge_capture_facet_count(
        &self,
        tenant_id: Uuid,
        facet: Facet,
        value: &str,
    ) -> StoreResult<i64> {
        let count = on_db!(self, pool => sqlx::query_scalar::<_, i64>(
            "SELECT CAST(COALESCE(SUM(count), 0) AS BIGINT) FROM charge_capture_facet_counts \
             WHERE tenant_id = $1 AND facet = $2 AND value = $3")
            .bind(tenant_id)
            .bind(facet.as_str())
            .bind(value)
            .fetch_one(pool)
            .await)?;
        Ok(count)
    }

    /// Every stored facet-value count that is not the number of the tenant's captures
    /// having that value.
    pub async fn charge_capture_facet_count_mismatches(
        &self,
    ) -> StoreResult<Vec<FacetCountMismatch>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, FacetCountMismatch>(
            "WITH counted AS (SELECT tenant_id, facet, value, CAST(SUM(count) AS BIGINT) AS n \
                 FROM charge_capture_facet_counts GROUP BY tenant_id, facet, value), \
             actual AS (SELECT tenant_id, facet, value, COUNT(*) AS n FROM charge_capture_facets \
                 GROUP BY tenant_id, facet, value) \
             SELECT k.tenant_id, k.facet, k.value, COALESCE(c.n, 0) AS counted, COALESCE(a.n, 0) AS actual \
                 FROM (SELECT tenant_id, facet, value FROM counted \
                       UNION SELECT tenant_id, facet, value FROM actual) k \
                 LEFT JOIN counted c ON c.tenant_id = k.tenant_id AND c.facet = k.facet AND c.value = k.value \
                 LEFT JOIN actual a ON a.tenant_id = k.tenant_id AND a.facet = k.facet AND a.value = k.value \
                 WHERE COALESCE(c.n, 0) <> COALESCE(a.n, 0)")
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Every stored count (per status, and per day and status) that is not the number of
    /// the tenant's captures it counts.
    pub async fn charge_capture_count_mismatches(&self) -> StoreResult<Vec<CountMismatch>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, CountMismatch>(
            "WITH counted AS (SELECT tenant_id, status, CAST(SUM(count) AS BIGINT) AS n \
                 FROM charge_capture_counts GROUP BY tenant_id, status), \
             counted_days AS (SELECT tenant_id, date_key, status, CAST(SUM(count) AS BIGINT) AS n \
                 FROM charge_capture_day_counts GROUP BY tenant_id, date_key, status), \
             actual_days AS (SELECT tenant_id, date_of_service_key AS date_key, status, COUNT(*) AS n \
                 FROM charge_captures GROUP BY tenant_id, date_of_service_key, status), \
             actual AS (SELECT tenant_id, status, CAST(SUM(n) AS BIGINT) AS n FROM actual_days \
                 GROUP BY tenant_id, status) \
             SELECT k.tenant_id, k.status, CAST(NULL AS TEXT) AS date_key, \
                 COALESCE(c.n, 0) AS counted, COALESCE(a.n, 0) AS actual \
                 FROM (SELECT tenant_id, status FROM counted UNION SELECT tenant_id, status FROM actual) k \
                 LEFT JOIN counted c ON c.tenant_id = k.tenant_id AND c.status = k.status \
                 LEFT JOIN actual a ON a.tenant_id = k.tenant_id AND a.status = k.status \
                 WHERE COALESCE(c.n, 0) <> COALESCE(a.n, 0) \
             UNION ALL \
             SELECT k.tenant_id, k.status, k.date_key, COALESCE(c.n, 0), COALESCE(a.n, 0) \
                 FROM (SELECT tenant_id, date_key, status FROM counted_days \
                       UNION SELECT tenant_id, date_key, status FROM actual_days) k \
                 LEFT JOIN counted_days c \
                     ON c.tenant_id = k.tenant_id AND c.date_key = k.date_key AND c.status = k.status \
                 LEFT JOIN actual_days a \
                     ON a.tenant_id = k.tenant_id AND a.date_key = k.date_key AND a.status = k.status \
                 WHERE COALESCE(c.n, 0) <> COALESCE(a.n, 0)")
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}
