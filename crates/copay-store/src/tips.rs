//! Tips on patient charges, each for one of the tenant's providers. A deleted tip keeps
//! its row (`deleted_at` set) and is no longer read.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct TipRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub charge_id: Uuid,
    pub provider_id: Uuid,
    /// Cents, > 0.
    pub amount: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A tip with the few facts of its provider a tip shows.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct TipWithProvider {
    #[sqlx(flatten)]
    pub tip: TipRow,
    pub provider_first_name: String,
    pub provider_last_name: Option<String>,
    pub provider_email: Option<String>,
    pub provider_created_at: OffsetDateTime,
}

macro_rules! select_tip {
    ($($tail:expr),*) => {
        concat!(
            "SELECT t.id, t.tenant_id, t.charge_id, t.provider_id, t.amount, t.created_at, t.updated_at, \
             p.first_name AS provider_first_name, p.last_name AS provider_last_name, \
             p.email AS provider_email, p.created_at AS provider_created_at \
             FROM tips t JOIN providers p ON p.tenant_id = t.tenant_id AND p.id = t.provider_id \
             WHERE t.deleted_at IS NULL AND t.tenant_id = $1 ",
            $($tail),*
        )
    };
}

pub async fn insert(tx: &mut Tx, row: &TipRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO tips (id, tenant_id, charge_id, provider_id, amount, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.charge_id)
        .bind(row.provider_id)
        .bind(row.amount)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes the tip's provider, amount and `updated_at`.
pub async fn update(tx: &mut Tx, row: &TipRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE tips SET provider_id = $1, amount = $2, updated_at = $3 \
         WHERE tenant_id = $4 AND id = $5 AND deleted_at IS NULL")
        .bind(row.provider_id)
        .bind(row.amount)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn mark_deleted(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE tips SET deleted_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL")
        .bind(at)
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// A tenant's live tip, read in the caller's transaction. Tip writes lock the tip's
/// charge first, so a read made after that lock is current.
pub async fn get_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<TipWithProvider>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, TipWithProvider>(select_tip!("AND t.id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(row)
}

/// Whether the tenant has this provider, read in the caller's transaction.
pub async fn provider_exists(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let found = on_tx!(tx, conn => sqlx::query_scalar::<_, i32>(
        "SELECT 1 FROM providers WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(found.is_some())
}

/// The kind of the latest transfer out of `account` other than a tip's: what last
/// brought a charge's receivable down (a payment, write-off, settlement, adjustment…).
pub async fn last_closing_kind(
    tx: &mut Tx,
    tenant_id: Uuid,
    account: Uuid,
) -> StoreResult<Option<String>> {
    let kind = on_tx!(tx, conn => sqlx::query_scalar::<_, String>(
        "SELECT kind FROM ledger_transfers WHERE tenant_id = $1 AND credit_account_id = $2 AND kind <> 'tip' \
         ORDER BY created_at DESC, id DESC LIMIT 1")
        .bind(tenant_id)
        .bind(account)
        .fetch_optional(conn)
        .await)?;
    Ok(kind)
}

impl Store {
    pub async fn tip(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<TipWithProvider>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, TipWithProvider>(select_tip!("AND t.id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// The live tips of these charges, oldest first.
    pub async fn charge_tips(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<TipWithProvider>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT t.id, t.tenant_id, t.charge_id, t.provider_id, t.amount, t.created_at, t.updated_at, \
                 p.first_name AS provider_first_name, p.last_name AS provider_last_name, \
                 p.email AS provider_email, p.created_at AS provider_created_at \
                 FROM tips t JOIN providers p ON p.tenant_id = t.tenant_id AND p.id = t.provider_id \
                 WHERE t.deleted_at IS NULL AND t.tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "t.charge_id", charge_ids);
            qb.push(" ORDER BY t.charge_id, t.id");
            qb.build_query_as::<TipWithProvider>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

/// A charge whose live tips do not add up to the tips posted to its receivable.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct TipMismatch {
    pub charge_id: Uuid,
    pub tipped: i64,
    pub posted: i64,
}

impl Store {
    /// Every charge (across tenants, an operator check) whose live tips' sum differs from
    /// the net of the tip transfers into and out of its receivable.
    pub async fn tip_mismatches(&self) -> StoreResult<Vec<TipMismatch>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, TipMismatch>(
            "SELECT charge_id, CAST(SUM(tipped) AS BIGINT) AS tipped, CAST(SUM(posted) AS BIGINT) AS posted FROM ( \
               SELECT charge_id, amount AS tipped, 0 AS posted FROM tips WHERE deleted_at IS NULL \
               UNION ALL \
               SELECT a.owner_id AS charge_id, 0 AS tipped, \
                      CASE WHEN x.debit_account_id = a.id THEN x.amount ELSE -x.amount END AS posted \
               FROM ledger_transfers x JOIN ledger_accounts a \
                 ON (a.id = x.debit_account_id OR a.id = x.credit_account_id) AND a.kind = 'charge_receivable' \
               WHERE x.kind = 'tip' \
             ) facts GROUP BY charge_id HAVING SUM(tipped) <> SUM(posted) ORDER BY charge_id")
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}
