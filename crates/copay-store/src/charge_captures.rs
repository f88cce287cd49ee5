//! Charge capture rows.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct ChargeCaptureRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_external_id: String,
    pub patient_external_id: String,
    pub status: String,
    pub data: Json<Value>,
    pub date_of_service: Option<Date>,
    pub originating_system: Option<String>,
    pub claim_creation_category: Option<String>,
    pub ehr_source_url: Option<String>,
    pub attachment_external_document_ids: Option<Json<Value>>,
    pub metadata: Option<Json<Value>>,
    pub hl7_message_type: Option<String>,
    pub claim_creation_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_charge_capture {
    ($tail:literal) => {
        concat!(
            "SELECT id, tenant_id, charge_external_id, patient_external_id, status, data, date_of_service, \
             originating_system, claim_creation_category, ehr_source_url, attachment_external_document_ids, metadata, \
             hl7_message_type, claim_creation_id, created_at, updated_at FROM charge_captures ",
            $tail
        )
    };
}

/// The date as a sortable, never-null text key: `YYYY-MM-DD`, or `` when absent.
pub fn date_key(date: Option<Date>) -> String {
    date.map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// What a charge-capture list may filter on. Empty lists and `None` filter nothing.
#[derive(Debug, Clone, Default)]
pub struct ChargeCaptureFilter {
    pub status: Option<String>,
    pub patient_external_id: Option<String>,
    pub charge_external_id: Option<String>,
    pub date_of_service_min: Option<Date>,
    pub date_of_service_max: Option<Date>,
    pub claim_creation_ids: Vec<Uuid>,
    pub exclude_linked_to_claim_creations: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeCaptureSort {
    /// Ids are UUIDv7, so id order is creation order.
    CreatedAt,
    DateOfService,
}

/// One page request: sort, direction, size and the last row of the previous page.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub sort: ChargeCaptureSort,
    pub descending: bool,
    pub limit: u32,
    /// (sort key, id) of the last row already returned.
    pub after: Option<(String, Uuid)>,
}

/// Appends `AND …` conditions for `filter` to a query on `charge_captures`.
macro_rules! push_filter {
    ($qb:expr, $tenant:expr, $filter:expr) => {{
        let qb = &mut $qb;
        let filter = $filter;
        qb.push(" WHERE tenant_id = ").push_bind($tenant);
        if let Some(status) = &filter.status {
            qb.push(" AND status = ").push_bind(status.clone());
        }
        if let Some(patient) = &filter.patient_external_id {
            qb.push(" AND patient_external_id = ")
                .push_bind(patient.clone());
        }
        if let Some(external) = &filter.charge_external_id {
            qb.push(" AND charge_external_id = ")
                .push_bind(external.clone());
        }
        if let Some(min) = filter.date_of_service_min {
            qb.push(" AND date_of_service_key >= ")
                .push_bind(date_key(Some(min)));
        }
        if let Some(max) = filter.date_of_service_max {
            qb.push(" AND date_of_service_key <> '' AND date_of_service_key <= ")
                .push_bind(date_key(Some(max)));
        }
        push_in!(qb, "claim_creation_id", filter.claim_creation_ids);
        if filter.exclude_linked_to_claim_creations {
            qb.push(" AND claim_creation_id IS NULL");
        }
    }};
}

pub async fn insert(tx: &mut Tx, row: &ChargeCaptureRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_captures (id, tenant_id, charge_external_id, patient_external_id, status, data, \
         date_of_service, originating_system, claim_creation_category, ehr_source_url, \
         attachment_external_document_ids, metadata, hl7_message_type, claim_creation_id, created_at, updated_at, \
         date_of_service_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
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
    let row = match tx {
        Tx::Postgres(tx) => {
            sqlx::query_as::<_, ChargeCaptureRow>(select_charge_capture!(
                "WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
        }
        Tx::Sqlite(tx) => {
            sqlx::query_as::<_, ChargeCaptureRow>(select_charge_capture!(
                "WHERE tenant_id = $1 AND id = $2"
            ))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
        }
    };
    Ok(row)
}

impl Store {
    /// One page of a tenant's charge captures (at most `page.limit` rows, plus one more
    /// fetched to know whether another page follows) and the count of all matching rows.
    pub async fn list_charge_captures(
        &self,
        tenant_id: Uuid,
        filter: &ChargeCaptureFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<ChargeCaptureRow>, i64)> {
        let (comparison, direction) = if page.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_charge_capture!(""));
            push_filter!(qb, tenant_id, filter);
            match (&page.after, page.sort) {
                (None, _) => {}
                (Some((_, id)), ChargeCaptureSort::CreatedAt) => {
                    qb.push(format_args!(" AND id {comparison} ")).push_bind(*id);
                }
                (Some((key, id)), ChargeCaptureSort::DateOfService) => {
                    qb.push(format_args!(" AND (date_of_service_key, id) {comparison} ("))
                        .push_bind(key.clone())
                        .push(", ")
                        .push_bind(*id)
                        .push(")");
                }
            }
            match page.sort {
                ChargeCaptureSort::CreatedAt => qb.push(format_args!(" ORDER BY id {direction} LIMIT ")),
                ChargeCaptureSort::DateOfService => qb.push(format_args!(
                    " ORDER BY date_of_service_key {direction}, id {direction} LIMIT "
                )),
            };
            qb.push_bind(i64::from(page.limit) + 1);
            qb.build_query_as::<ChargeCaptureRow>().fetch_all(pool).await
        })?;
        let count: i64 = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM charge_captures");
            push_filter!(qb, tenant_id, filter);
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok((rows, count))
    }

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
