//! Encounters, their claims and service lines, as successful claim creations write them.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct EncounterRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub claim_creation_id: Option<Uuid>,
    pub external_id: String,
    pub patient_external_id: String,
    pub date_of_service: Option<Date>,
    pub data: Json<Value>,
    /// Stable per tenant and billing-provider NPI; none when the input named no NPI.
    pub billing_provider_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, FromRow)]
pub struct ClaimRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub encounter_id: Uuid,
    pub status: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, FromRow)]
pub struct ServiceLineRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub encounter_id: Uuid,
    pub claim_id: Uuid,
    pub charge_capture_id: Option<Uuid>,
    pub position: i64,
    pub procedure_code: String,
    pub quantity: String,
    pub units: String,
    pub charge_amount_cents: i64,
    pub date_of_service: Date,
    pub end_date_of_service: Option<Date>,
    pub data: Json<Value>,
    pub created_at: OffsetDateTime,
}

macro_rules! select_encounter {
    ($tail:literal) => {
        concat!(
            "SELECT id, tenant_id, claim_creation_id, external_id, patient_external_id, date_of_service, data, \
             billing_provider_id, created_at FROM encounters ",
            $tail
        )
    };
}

pub async fn insert_encounter(tx: &mut Tx, row: &EncounterRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO encounters (id, tenant_id, claim_creation_id, external_id, patient_external_id, \
         date_of_service, data, billing_provider_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.claim_creation_id)
        .bind(&row.external_id)
        .bind(&row.patient_external_id)
        .bind(row.date_of_service)
        .bind(&row.data)
        .bind(row.billing_provider_id)
        .bind(row.created_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Inserts a claim; its money last changed when it was made (patient AR's inventory lists
/// it from then on).
pub async fn insert_claim(tx: &mut Tx, row: &ClaimRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO claims (id, tenant_id, encounter_id, status, created_at, ar_changed_at, ar_changed_us) \
         VALUES ($1, $2, $3, $4, $5, $5, $6)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.encounter_id)
        .bind(&row.status)
        .bind(row.created_at)
        .bind(crate::claim_ar::unix_micros(row.created_at))
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_service_line(tx: &mut Tx, row: &ServiceLineRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO service_lines (id, tenant_id, encounter_id, claim_id, charge_capture_id, position, \
         procedure_code, quantity, units, charge_amount_cents, date_of_service, end_date_of_service, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.encounter_id)
        .bind(row.claim_id)
        .bind(row.charge_capture_id)
        .bind(row.position)
        .bind(&row.procedure_code)
        .bind(&row.quantity)
        .bind(&row.units)
        .bind(row.charge_amount_cents)
        .bind(row.date_of_service)
        .bind(row.end_date_of_service)
        .bind(&row.data)
        .bind(row.created_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

impl Store {
    pub async fn encounter(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<EncounterRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, EncounterRow>(select_encounter!(
            "WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// Up to `limit` encounters, newest first, after the encounter `before` (exclusive).
    pub async fn encounters_page(
        &self,
        tenant_id: Uuid,
        before: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<EncounterRow>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, EncounterRow>(select_encounter!(
            "WHERE tenant_id = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3"))
            .bind(tenant_id)
            .bind(before)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Claims of the given encounters.
    pub async fn claims_of(
        &self,
        tenant_id: Uuid,
        encounter_ids: &[Uuid],
    ) -> StoreResult<Vec<ClaimRow>> {
        if encounter_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, tenant_id, encounter_id, status, created_at FROM claims WHERE tenant_id = ",
            );
            qb.push_bind(tenant_id);
            push_in!(qb, "encounter_id", encounter_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<ClaimRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Service lines of the given encounters, in claim order.
    pub async fn service_lines_of(
        &self,
        tenant_id: Uuid,
        encounter_ids: &[Uuid],
    ) -> StoreResult<Vec<ServiceLineRow>> {
        if encounter_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, tenant_id, encounter_id, claim_id, charge_capture_id, position, procedure_code, quantity, \
                 units, charge_amount_cents, date_of_service, end_date_of_service, data, created_at \
                 FROM service_lines WHERE tenant_id = ",
            );
            qb.push_bind(tenant_id);
            push_in!(qb, "encounter_id", encounter_ids);
            qb.push(" ORDER BY claim_id, position");
            qb.build_query_as::<ServiceLineRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

impl Store {
    /// Stored (debit-positive) balances of the accounts of `kind` owned by `owner_ids`.
    pub async fn owner_balances(
        &self,
        tenant_id: Uuid,
        kind: &str,
        owner_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, i64)>> {
        if owner_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT owner_id, balance FROM ledger_accounts WHERE tenant_id = ");
            qb.push_bind(tenant_id).push(" AND kind = ").push_bind(kind.to_string());
            push_in!(qb, "owner_id", owner_ids);
            qb.build_query_as::<(Uuid, i64)>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
