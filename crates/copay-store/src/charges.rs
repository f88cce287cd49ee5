//! Patient charges, their lines and adjustments. A charge's outstanding amount is the
//! balance of its charge-receivable ledger account, read alongside the row.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ChargeRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub patient_id: Uuid,
    pub external_id: Option<String>,
    pub status: String,
    pub total: i64,
    pub custom_amount: i64,
    pub discount_amount: i64,
    pub discount_percentage_millionths: i64,
    pub description: Option<String>,
    pub external_created_date: Option<OffsetDateTime>,
    pub rule_set_id: Option<String>,
    pub meta: Option<Json<Value>>,
    pub attributes: Json<Value>,
    /// Also in `attributes` (as given); a column so the charge table can filter on it.
    pub location_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A charge with what it still owes.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ChargeWithBalance {
    #[sqlx(flatten)]
    pub charge: ChargeRow,
    /// The receivable account's balance (debit-positive: what the patient owes).
    pub outstanding: i64,
}

macro_rules! select_charge {
    ($($tail:expr),*) => {
        concat!(
            "SELECT c.id, c.tenant_id, c.patient_id, c.external_id, c.status, c.total, c.custom_amount, \
             c.discount_amount, c.discount_percentage_millionths, c.description, c.external_created_date, \
             c.rule_set_id, c.meta, c.attributes, c.location_id, c.created_at, c.updated_at, \
             COALESCE(a.balance, 0) AS outstanding \
             FROM charges c LEFT JOIN ledger_accounts a ON a.tenant_id = c.tenant_id \
             AND a.kind = 'charge_receivable' AND a.owner_id = c.id AND a.qualifier = '' ",
            $($tail),*
        )
    };
}

/// The charge-with-balance select without a condition, for queries built elsewhere.
pub(crate) const SELECT_CHARGE_WITH_BALANCE: &str = select_charge!("");

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ChargeItemRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_id: Uuid,
    pub item_id: Option<Uuid>,
    pub position: i64,
    pub quantity: i64,
    pub unit_price: i64,
    pub discount_amount: i64,
    pub discount_percentage_millionths: i64,
    pub tax_amount: i64,
    pub line_total: i64,
    pub name: Option<String>,
    pub attributes: Json<Value>,
}

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct AdjustmentRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_id: Uuid,
    /// Signed: positive raises what is owed.
    pub amount: i64,
    pub adjustment_type: String,
    pub reason: Option<String>,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
    pub operation_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

pub async fn insert(tx: &mut Tx, row: &ChargeRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charges (id, tenant_id, patient_id, external_id, status, total, custom_amount, discount_amount, \
         discount_percentage_millionths, description, external_created_date, rule_set_id, meta, attributes, \
         location_id, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.patient_id)
        .bind(&row.external_id)
        .bind(&row.status)
        .bind(row.total)
        .bind(row.custom_amount)
        .bind(row.discount_amount)
        .bind(row.discount_percentage_millionths)
        .bind(&row.description)
        .bind(row.external_created_date)
        .bind(&row.rule_set_id)
        .bind(&row.meta)
        .bind(&row.attributes)
        .bind(&row.location_id)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn set_status(tx: &mut Tx, row: &ChargeRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charges SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(&row.status)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks the charge `VOID` as of `at`.
pub async fn set_voided(tx: &mut Tx, row: &ChargeRow, at: OffsetDateTime) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charges SET status = $1, voided_at = $2, updated_at = $2 WHERE tenant_id = $3 AND id = $4")
        .bind(&row.status)
        .bind(at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes the charge's total and status (a tip changed what it charges).
pub async fn set_total_and_status(tx: &mut Tx, row: &ChargeRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charges SET total = $1, status = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5")
        .bind(row.total)
        .bind(&row.status)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes the charge's descriptive fields: description, external date, attributes.
pub async fn set_details(tx: &mut Tx, row: &ChargeRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE charges SET description = $1, external_created_date = $2, attributes = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6")
        .bind(&row.description)
        .bind(row.external_created_date)
        .bind(&row.attributes)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_item(tx: &mut Tx, row: &ChargeItemRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_items (id, tenant_id, charge_id, item_id, position, quantity, unit_price, discount_amount, \
         discount_percentage_millionths, tax_amount, line_total, name, attributes) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.charge_id)
        .bind(row.item_id)
        .bind(row.position)
        .bind(row.quantity)
        .bind(row.unit_price)
        .bind(row.discount_amount)
        .bind(row.discount_percentage_millionths)
        .bind(row.tax_amount)
        .bind(row.line_total)
        .bind(&row.name)
        .bind(&row.attributes)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Inserts a charge's lines in one statement.
pub async fn insert_items(tx: &mut Tx, rows: &[ChargeItemRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_tx!(tx, conn => {
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO charge_items (id, tenant_id, charge_id, item_id, position, quantity, unit_price, \
             discount_amount, discount_percentage_millionths, tax_amount, line_total, name, attributes) ",
        );
        qb.push_values(rows, |mut values, row| {
            values
                .push_bind(row.id)
                .push_bind(row.tenant_id)
                .push_bind(row.charge_id)
                .push_bind(row.item_id)
                .push_bind(row.position)
                .push_bind(row.quantity)
                .push_bind(row.unit_price)
                .push_bind(row.discount_amount)
                .push_bind(row.discount_percentage_millionths)
                .push_bind(row.tax_amount)
                .push_bind(row.line_total)
                .push_bind(row.name.clone())
                .push_bind(row.attributes.clone());
        });
        qb.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_adjustment(tx: &mut Tx, row: &AdjustmentRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_adjustments (id, tenant_id, charge_id, amount, adjustment_type, reason, provider_id, \
         location_id, operation_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.charge_id)
        .bind(row.amount)
        .bind(&row.adjustment_type)
        .bind(&row.reason)
        .bind(&row.provider_id)
        .bind(&row.location_id)
        .bind(row.operation_id)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The charge, locked for the rest of the transaction on PostgreSQL.
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ChargeRow>> {
    macro_rules! select_charge_row {
        ($($tail:expr),*) => {
            concat!(
                "SELECT id, tenant_id, patient_id, external_id, status, total, custom_amount, discount_amount, \
                 discount_percentage_millionths, description, external_created_date, rule_set_id, meta, attributes, \
                 location_id, created_at, updated_at FROM charges ",
                $($tail),*
            )
        };
    }
    Ok(fetch_optional_locked!(
        tx,
        ChargeRow,
        select_charge_row,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// The patient of a tenant's charge, read in the caller's transaction.
pub async fn patient_of(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<Uuid>> {
    let patient = on_tx!(tx, conn => sqlx::query_scalar::<_, Uuid>(
        "SELECT patient_id FROM charges WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(patient)
}

/// Sort orders of the charge list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeSort {
    CreatedDate,
    Total,
    TotalOutstanding,
    ExternalCreatedDate,
}

/// A bounded charge list: equality filters, one sort, at most `limit` rows.
#[derive(Debug, Clone)]
pub struct ChargeQuery {
    pub patient_id: Option<Uuid>,
    pub status: Option<String>,
    pub external_id: Option<String>,
    pub total: Option<i64>,
    pub total_outstanding: Option<i64>,
    pub description: Option<String>,
    pub sort: ChargeSort,
    pub descending: bool,
    pub limit: u32,
}

impl Store {
    pub async fn charge(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<ChargeWithBalance>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ChargeWithBalance>(
            select_charge!("WHERE c.tenant_id = $1 AND c.id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn charge_by_external_id(
        &self,
        tenant_id: Uuid,
        external_id: &str,
    ) -> StoreResult<Option<ChargeWithBalance>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ChargeWithBalance>(
            select_charge!("WHERE c.tenant_id = $1 AND c.external_id = $2"))
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn list_charges(
        &self,
        tenant_id: Uuid,
        query: &ChargeQuery,
    ) -> StoreResult<Vec<ChargeWithBalance>> {
        let direction = if query.descending { "DESC" } else { "ASC" };
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_charge!(""));
            qb.push(" WHERE c.tenant_id = ").push_bind(tenant_id);
            if let Some(patient_id) = query.patient_id {
                qb.push(" AND c.patient_id = ").push_bind(patient_id);
            }
            if let Some(status) = &query.status {
                qb.push(" AND c.status = ").push_bind(status.clone());
            }
            if let Some(external_id) = &query.external_id {
                qb.push(" AND c.external_id = ").push_bind(external_id.clone());
            }
            if let Some(total) = query.total {
                qb.push(" AND c.total = ").push_bind(total);
            }
            if let Some(outstanding) = query.total_outstanding {
                qb.push(" AND COALESCE(a.balance, 0) = ").push_bind(outstanding);
            }
            if let Some(description) = &query.description {
                qb.push(" AND c.description = ").push_bind(description.clone());
            }
            let key = match query.sort {
                ChargeSort::CreatedDate => "c.id",
                ChargeSort::Total => "c.total",
                ChargeSort::TotalOutstanding => "COALESCE(a.balance, 0)",
                // Undated charges last in both directions, on both databases.
                ChargeSort::ExternalCreatedDate => "(c.external_created_date IS NULL), c.external_created_date",
            };
            qb.push(format_args!(" ORDER BY {key} {direction}, c.id {direction} LIMIT "))
                .push_bind(i64::from(query.limit));
            qb.build_query_as::<ChargeWithBalance>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// The lines of these charges, in order.
    pub async fn charge_items(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<ChargeItemRow>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, tenant_id, charge_id, item_id, position, quantity, unit_price, discount_amount, \
                 discount_percentage_millionths, tax_amount, line_total, name, attributes FROM charge_items \
                 WHERE tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "charge_id", charge_ids);
            qb.push(" ORDER BY charge_id, position");
            qb.build_query_as::<ChargeItemRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// The adjustments of these charges, oldest first.
    /// These charges of the tenant (unknown ids are left out), in id order.
    pub async fn charges_by_ids(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
    ) -> StoreResult<Vec<ChargeWithBalance>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(SELECT_CHARGE_WITH_BALANCE);
            qb.push(" WHERE c.tenant_id = ").push_bind(tenant_id);
            push_in!(qb, "c.id", ids);
            qb.push(" ORDER BY c.id");
            qb.build_query_as::<ChargeWithBalance>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// When each of these charges was voided (charges never voided are left out).
    pub async fn charge_void_times(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, OffsetDateTime)>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, voided_at FROM charges WHERE voided_at IS NOT NULL AND tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "id", charge_ids);
            qb.build_query_as::<(Uuid, OffsetDateTime)>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    pub async fn charge_adjustments(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<AdjustmentRow>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT id, tenant_id, charge_id, amount, adjustment_type, reason, provider_id, location_id, \
                 operation_id, created_at FROM charge_adjustments WHERE tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "charge_id", charge_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<AdjustmentRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

/// What `copay verify` checks of one charge: its total, what it owes (its receivable
/// balance) and the sum of the adjustments that raised it.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ChargeBalanceFacts {
    pub id: Uuid,
    pub total: i64,
    pub outstanding: i64,
    pub raised_by: i64,
}

impl Store {
    /// Every charge's balance facts, across tenants (an operator check).
    pub async fn charge_balance_facts(&self) -> StoreResult<Vec<ChargeBalanceFacts>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, ChargeBalanceFacts>(
            "SELECT c.id, c.total, COALESCE(a.balance, 0) AS outstanding, \
             CAST(COALESCE((SELECT SUM(j.amount) FROM charge_adjustments j \
                 WHERE j.tenant_id = c.tenant_id AND j.charge_id = c.id AND j.amount > 0), 0) AS BIGINT) AS raised_by \
             FROM charges c LEFT JOIN ledger_accounts a ON a.tenant_id = c.tenant_id \
             AND a.kind = 'charge_receivable' AND a.owner_id = c.id AND a.qualifier = '' ORDER BY c.id")
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}
