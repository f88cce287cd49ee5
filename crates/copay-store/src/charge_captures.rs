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

pub async fn insert(tx: &mut Tx, row: &ChargeCaptureRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_captures (id, tenant_id, charge_external_id, patient_external_id, status, data, \
         date_of_service, originating_system, claim_creation_category, ehr_source_url, \
         attachment_external_document_ids, metadata, hl7_message_type, claim_creation_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
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
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes every mutable column of `row` (matched by tenant and id).
pub async fn update(tx: &mut Tx, row: &ChargeCaptureRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charge_captures SET charge_external_id = $1, patient_external_id = $2, status = $3, data = $4, \
         date_of_service = $5, originating_system = $6, claim_creation_category = $7, ehr_source_url = $8, \
         attachment_external_document_ids = $9, metadata = $10, hl7_message_type = $11, updated_at = $12 \
         WHERE tenant_id = $13 AND id = $14")
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
