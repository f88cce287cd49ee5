//! Claim creation rows, their errors, and post-billed changes of charge captures.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::charge_captures::{ChargeCaptureRow, date_key, select_charge_capture};
use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct ClaimCreationRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub status: String,
    pub bundle_key: String,
    pub characteristics: Json<Value>,
    pub patient_external_id: String,
    pub date_of_service_key: String,
    pub claim_creation_category: Option<String>,
    pub encounter_creation_input: Option<Json<Value>>,
    pub created_encounter_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub last_change_ms: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_claim_creation {
    ($($tail:expr),+) => {
        concat!(
            "SELECT id, tenant_id, status, bundle_key, characteristics, patient_external_id, \
             date_of_service_key, claim_creation_category, encounter_creation_input, created_encounter_id, \
             claim_id, last_change_ms, created_at, updated_at FROM claim_creations ",
            $($tail),+
        )
    };
}

#[derive(Debug, Clone, FromRow)]
pub struct ClaimCreationErrorRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub claim_creation_id: Uuid,
    pub charge_capture_id: Option<Uuid>,
    pub field_in_error: Option<String>,
    pub message: String,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolution_reason: Option<String>,
    pub created_at: OffsetDateTime,
}

macro_rules! select_error {
    ($tail:literal) => {
        concat!(
            "SELECT id, tenant_id, claim_creation_id, charge_capture_id, field_in_error, message, resolved, \
             resolved_by, resolution_reason, created_at FROM claim_creation_errors ",
            $tail
        )
    };
}

#[derive(Debug, Clone, FromRow)]
pub struct ChangeRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_capture_id: Uuid,
    pub message: String,
    pub resolved: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The open creation with this grouping key, locked.
pub async fn open_for_key(
    tx: &mut Tx,
    tenant_id: Uuid,
    bundle_key: &str,
) -> StoreResult<Option<ClaimCreationRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ClaimCreationRow,
        select_claim_creation,
        "WHERE tenant_id = $1 AND bundle_key = $2 AND status IN ('not-started', 'in-error', 'held')",
        |q| q.bind(tenant_id).bind(bundle_key)
    ))
}

pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ClaimCreationRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ClaimCreationRow,
        select_claim_creation,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// Inserts a new open creation unless another transaction just opened one for the same
/// key (the partial unique index); returns whether this one was written.
pub async fn insert_open(tx: &mut Tx, row: &ClaimCreationRow) -> StoreResult<bool> {
    let written = on_tx!(tx, conn => sqlx::query(
        "INSERT INTO claim_creations (id, tenant_id, status, bundle_key, characteristics, patient_external_id, \
         date_of_service_key, claim_creation_category, encounter_creation_input, created_encounter_id, claim_id, \
         last_change_ms, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (tenant_id, bundle_key) WHERE status IN ('not-started', 'in-error', 'held') DO NOTHING")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.status)
        .bind(&row.bundle_key)
        .bind(&row.characteristics)
        .bind(&row.patient_external_id)
        .bind(&row.date_of_service_key)
        .bind(&row.claim_creation_category)
        .bind(&row.encounter_creation_input)
        .bind(row.created_encounter_id)
        .bind(row.claim_id)
        .bind(row.last_change_ms)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(written == 1)
}

/// Writes back the mutable parts of a creation.
pub async fn update(tx: &mut Tx, row: &ClaimCreationRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE claim_creations SET status = $1, encounter_creation_input = $2, created_encounter_id = $3, \
         claim_id = $4, last_change_ms = $5, updated_at = $6 WHERE tenant_id = $7 AND id = $8")
        .bind(&row.status)
        .bind(&row.encounter_creation_input)
        .bind(row.created_encounter_id)
        .bind(row.claim_id)
        .bind(row.last_change_ms)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn set_capture_claim_creation(
    tx: &mut Tx,
    tenant_id: Uuid,
    capture_id: Uuid,
    claim_creation_id: Option<Uuid>,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charge_captures SET claim_creation_id = $1 WHERE tenant_id = $2 AND id = $3")
        .bind(claim_creation_id)
        .bind(tenant_id)
        .bind(capture_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn member_count(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_creation_id: Uuid,
) -> StoreResult<i64> {
    let count = on_tx!(tx, conn => sqlx::query_scalar(
        "SELECT COUNT(*) FROM charge_captures WHERE tenant_id = $1 AND claim_creation_id = $2")
        .bind(tenant_id)
        .bind(claim_creation_id)
        .fetch_one(conn)
        .await)?;
    Ok(count)
}

/// The member charges of a creation in creation order.
pub async fn members(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_creation_id: Uuid,
) -> StoreResult<Vec<ChargeCaptureRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, ChargeCaptureRow>(select_charge_capture!(
        "WHERE tenant_id = $1 AND claim_creation_id = $2 ORDER BY id"))
        .bind(tenant_id)
        .bind(claim_creation_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

pub async fn insert_error(tx: &mut Tx, row: &ClaimCreationErrorRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO claim_creation_errors (id, tenant_id, claim_creation_id, charge_capture_id, field_in_error, \
         message, resolved, resolved_by, resolution_reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.claim_creation_id)
        .bind(row.charge_capture_id)
        .bind(&row.field_in_error)
        .bind(&row.message)
        .bind(row.resolved)
        .bind(&row.resolved_by)
        .bind(&row.resolution_reason)
        .bind(row.created_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Drops a creation's unresolved errors: a new processing attempt replaces them.
pub async fn delete_unresolved_errors(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_creation_id: Uuid,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "DELETE FROM claim_creation_errors WHERE tenant_id = $1 AND claim_creation_id = $2 AND NOT resolved")
        .bind(tenant_id)
        .bind(claim_creation_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn errors_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_creation_id: Uuid,
) -> StoreResult<Vec<ClaimCreationErrorRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, ClaimCreationErrorRow>(select_error!(
        "WHERE tenant_id = $1 AND claim_creation_id = $2 ORDER BY id"))
        .bind(tenant_id)
        .bind(claim_creation_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

/// Marks an error resolved; returns it as it was before, if the tenant has it.
pub async fn resolve_error(
    tx: &mut Tx,
    tenant_id: Uuid,
    error_id: Uuid,
    resolved_by: Option<&str>,
    resolution_reason: Option<&str>,
) -> StoreResult<Option<ClaimCreationErrorRow>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ClaimCreationErrorRow>(select_error!(
        "WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant_id)
        .bind(error_id)
        .fetch_optional(&mut *conn)
        .await)?;
    if row.is_some() {
        on_tx!(tx, conn => sqlx::query(
            "UPDATE claim_creation_errors SET resolved = TRUE, resolved_by = $1, resolution_reason = $2 \
             WHERE tenant_id = $3 AND id = $4")
            .bind(resolved_by)
            .bind(resolution_reason)
            .bind(tenant_id)
            .bind(error_id)
            .execute(conn)
            .await.map(|done| done.rows_affected()))?;
    }
    Ok(row)
}

/// Records a post-billed change of a charge, replacing its previous unresolved one.
pub async fn replace_unresolved_change(
    tx: &mut Tx,
    tenant_id: Uuid,
    capture_id: Uuid,
    message: &str,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "DELETE FROM charge_capture_changes WHERE tenant_id = $1 AND charge_capture_id = $2 AND NOT resolved")
        .bind(tenant_id)
        .bind(capture_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    let now = crate::now();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_capture_changes (id, tenant_id, charge_capture_id, message, resolved, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, FALSE, $5, $5)")
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(capture_id)
        .bind(message)
        .bind(now)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Sets `resolved` on the given changes of a tenant; returns the ones that exist, updated.
pub async fn set_changes_resolved(
    tx: &mut Tx,
    tenant_id: Uuid,
    ids: &[Uuid],
    resolved: bool,
) -> StoreResult<Vec<ChangeRow>> {
    let mut rows = Vec::with_capacity(ids.len());
    let now = crate::now();
    for id in ids {
        let row = on_tx!(tx, conn => sqlx::query_as::<_, ChangeRow>(
            "UPDATE charge_capture_changes SET resolved = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4 \
             RETURNING id, tenant_id, charge_capture_id, message, resolved, created_at, updated_at")
            .bind(resolved)
            .bind(now)
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(conn)
            .await)?;
        rows.extend(row);
    }
    Ok(rows)
}

impl Store {
    pub async fn claim_creation(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<ClaimCreationRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ClaimCreationRow>(select_claim_creation!(
            "WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// Errors of the given creations, oldest first.
    pub async fn claim_creation_errors(
        &self,
        tenant_id: Uuid,
        claim_creation_ids: &[Uuid],
    ) -> StoreResult<Vec<ClaimCreationErrorRow>> {
        if claim_creation_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_error!("WHERE tenant_id = "));
            qb.push_bind(tenant_id);
            push_in!(qb, "claim_creation_id", claim_creation_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<ClaimCreationErrorRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Post-billed changes of the given charges, oldest first.
    pub async fn charge_capture_changes(
        &self,
        tenant_id: Uuid,
        capture_ids: &[Uuid],
    ) -> StoreResult<Vec<ChangeRow>> {
        if capture_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, tenant_id, charge_capture_id, message, resolved, created_at, updated_at \
                 FROM charge_capture_changes WHERE tenant_id = ",
            );
            qb.push_bind(tenant_id);
            push_in!(qb, "charge_capture_id", capture_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<ChangeRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Open, not-started creations whose last change is at or before `changed_before_ms`,
    /// oldest change first: what the worker processes next.
    pub async fn due_claim_creations(
        &self,
        changed_before_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<(Uuid, Uuid)>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT tenant_id, id FROM claim_creations WHERE status = 'not-started' AND last_change_ms <= $1 \
             ORDER BY last_change_ms, id LIMIT $2")
            .bind(changed_before_ms)
            .bind(limit)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Not-started creations of one tenant (all, or the given one), for on-demand processing.
    pub async fn pending_claim_creations(
        &self,
        tenant_id: Option<Uuid>,
    ) -> StoreResult<Vec<(Uuid, Uuid)>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, (Uuid, Uuid)>(
            "SELECT tenant_id, id FROM claim_creations WHERE status = 'not-started' \
             AND ($1 IS NULL OR tenant_id = $1) ORDER BY id")
            .bind(tenant_id)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}

/// What a claim-creation list may filter on. Charge-level filters match a creation when
/// at least one of its charges matches.
#[derive(Debug, Clone, Default)]
pub struct ClaimCreationFilter {
    pub patient_external_id: Option<String>,
    pub status: Option<String>,
    pub charge_status: Option<String>,
    pub charge_external_id: Option<String>,
    pub date_of_service_min: Option<Date>,
    pub date_of_service_max: Option<Date>,
    pub claim_ids: Vec<Uuid>,
    pub claim_creation_ids: Vec<Uuid>,
    pub claim_creation_categories: Vec<String>,
    pub claim_status: Option<String>,
    pub has_charge_capture_updates: Option<bool>,
}

macro_rules! push_creation_filter {
    ($qb:expr, $tenant:expr, $filter:expr) => {{
        let qb = &mut $qb;
        let filter = $filter;
        const MEMBER: &str = " AND EXISTS (SELECT 1 FROM charge_captures c WHERE c.tenant_id = cc.tenant_id \
                               AND c.claim_creation_id = cc.id AND ";
        qb.push(" WHERE cc.tenant_id = ").push_bind($tenant);
        if let Some(value) = &filter.patient_external_id {
            qb.push(" AND cc.patient_external_id = ").push_bind(value.clone());
        }
        if let Some(value) = &filter.status {
            qb.push(" AND cc.status = ").push_bind(value.clone());
        }
        if let Some(min) = filter.date_of_service_min {
            qb.push(" AND cc.date_of_service_key >= ").push_bind(date_key(Some(min)));
        }
        if let Some(max) = filter.date_of_service_max {
            qb.push(" AND cc.date_of_service_key <> '' AND cc.date_of_service_key <= ")
                .push_bind(date_key(Some(max)));
        }
        push_in!(qb, "cc.claim_id", filter.claim_ids);
        push_in!(qb, "cc.id", filter.claim_creation_ids);
        push_in!(qb, "cc.claim_creation_category", filter.claim_creation_categories);
        if let Some(value) = &filter.charge_status {
            qb.push(MEMBER).push("c.status = ").push_bind(value.clone()).push(")");
        }
        if let Some(value) = &filter.charge_external_id {
            qb.push(MEMBER).push("c.charge_external_id = ").push_bind(value.clone()).push(")");
        }
        if let Some(value) = &filter.claim_status {
            qb.push(" AND EXISTS (SELECT 1 FROM claims k WHERE k.tenant_id = cc.tenant_id AND k.id = cc.claim_id AND k.status = ")
                .push_bind(value.clone())
                .push(")");
        }
        if let Some(has) = filter.has_charge_capture_updates {
            qb.push(if has { " AND EXISTS" } else { " AND NOT EXISTS" }).push(
                " (SELECT 1 FROM charge_capture_changes x JOIN charge_captures c ON c.id = x.charge_capture_id \
                 WHERE x.tenant_id = cc.tenant_id AND c.claim_creation_id = cc.id AND NOT x.resolved)",
            );
        }
    }};
}

/// The five counts of the claim-creation summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClaimCreationCounts {
    pub charges_not_linked: i64,
    pub not_started: i64,
    pub held: i64,
    pub in_error: i64,
    pub unresolved_changes: i64,
}

impl Store {
    /// Up to `limit + 1` creations in id (= creation) order after `after`.
    pub async fn list_claim_creations(
        &self,
        tenant_id: Uuid,
        filter: &ClaimCreationFilter,
        descending: bool,
        after: Option<Uuid>,
        limit: u32,
    ) -> StoreResult<Vec<ClaimCreationRow>> {
        let (comparison, direction) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT cc.id, cc.tenant_id, cc.status, cc.bundle_key, cc.characteristics, cc.patient_external_id, \
                 cc.date_of_service_key, cc.claim_creation_category, cc.encounter_creation_input, \
                 cc.created_encounter_id, cc.claim_id, cc.last_change_ms, cc.created_at, cc.updated_at \
                 FROM claim_creations cc",
            );
            push_creation_filter!(qb, tenant_id, filter);
            if let Some(after) = after {
                qb.push(format_args!(" AND cc.id {comparison} ")).push_bind(after);
            }
            qb.push(format_args!(" ORDER BY cc.id {direction} LIMIT "))
                .push_bind(i64::from(limit) + 1);
            qb.build_query_as::<ClaimCreationRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    pub async fn claim_creation_counts(&self, tenant_id: Uuid) -> StoreResult<ClaimCreationCounts> {
        let (charges_not_linked, not_started, held, in_error, unresolved_changes) = on_db!(self, pool => sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(
            "SELECT \
               (SELECT COUNT(*) FROM charge_captures WHERE tenant_id = $1 AND claim_creation_id IS NULL), \
               (SELECT COUNT(*) FROM claim_creations WHERE tenant_id = $1 AND status = 'not-started'), \
               (SELECT COUNT(*) FROM claim_creations WHERE tenant_id = $1 AND status = 'held'), \
               (SELECT COUNT(*) FROM claim_creations WHERE tenant_id = $1 AND status = 'in-error'), \
               (SELECT COUNT(*) FROM charge_capture_changes WHERE tenant_id = $1 AND NOT resolved)")
            .bind(tenant_id)
            .fetch_one(pool)
            .await)?;
        Ok(ClaimCreationCounts {
            charges_not_linked,
            not_started,
            held,
            in_error,
            unresolved_changes,
        })
    }
}

impl Store {
    /// The tenant a claim creation belongs to (operator tools address creations by id alone).
    pub async fn claim_creation_owner(&self, id: Uuid) -> StoreResult<Option<Uuid>> {
        let owner = on_db!(self, pool => sqlx::query_scalar::<_, Uuid>(
            "SELECT tenant_id FROM claim_creations WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(owner)
    }
}
