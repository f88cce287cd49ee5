//! Patient credit records, read with what is left on each (their ledger balance).

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct CreditRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub patient_id: Uuid,
    /// What the credit was granted with.
    pub amount: i64,
    pub comment: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub member_id: Option<String>,
    pub creator_id: Option<String>,
    pub external_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A credit with what is left on it.
#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct CreditWithRemaining {
    #[sqlx(flatten)]
    pub credit: CreditRow,
    /// The credit account's balance as stored (credit-normal: negative debit balance).
    pub debit_balance: i64,
}

macro_rules! select_credit {
    ($($tail:expr),*) => {
        concat!(
            "SELECT p.id, p.tenant_id, p.patient_id, p.amount, p.comment, p.expires_at, p.member_id, p.creator_id, \
             p.external_id, p.created_at, p.updated_at, COALESCE(a.balance, 0) AS debit_balance \
             FROM patient_credits p LEFT JOIN ledger_accounts a ON a.tenant_id = p.tenant_id \
             AND a.kind = 'patient_credit' AND a.owner_id = p.id AND a.qualifier = '' ",
            $($tail),*
        )
    };
}

pub async fn insert(tx: &mut Tx, row: &CreditRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO patient_credits (id, tenant_id, patient_id, amount, comment, expires_at, member_id, creator_id, \
         external_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.patient_id)
        .bind(row.amount)
        .bind(&row.comment)
        .bind(row.expires_at)
        .bind(&row.member_id)
        .bind(&row.creator_id)
        .bind(&row.external_id)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn update(tx: &mut Tx, row: &CreditRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE patient_credits SET amount = $1, comment = $2, expires_at = $3, updated_at = $4 \
         WHERE tenant_id = $5 AND id = $6")
        .bind(row.amount)
        .bind(&row.comment)
        .bind(row.expires_at)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query("DELETE FROM patient_credits WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// One patient's credits with what is left, oldest first, read in the caller's
/// transaction (whose patient lock keeps them from changing underneath).
pub async fn of_patient_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
) -> StoreResult<Vec<CreditWithRemaining>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, CreditWithRemaining>(
        select_credit!("WHERE p.tenant_id = $1 AND p.patient_id = $2 ORDER BY p.id"))
        .bind(tenant_id)
        .bind(patient_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

impl Store {
    /// One patient's credits with what is left, oldest first.
    pub async fn patient_credits(
        &self,
        tenant_id: Uuid,
        patient_id: Uuid,
    ) -> StoreResult<Vec<CreditWithRemaining>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, CreditWithRemaining>(
            select_credit!("WHERE p.tenant_id = $1 AND p.patient_id = $2 ORDER BY p.id"))
            .bind(tenant_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}

impl Store {
    /// The credits of these patients with what is left, oldest first.
    pub async fn credits_of_patients(
        &self,
        tenant_id: Uuid,
        patient_ids: &[Uuid],
    ) -> StoreResult<Vec<CreditWithRemaining>> {
        if patient_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_credit!("WHERE p.tenant_id = "));
            qb.push_bind(tenant_id);
            push_in!(qb, "p.patient_id", patient_ids);
            qb.push(" ORDER BY p.id");
            qb.build_query_as::<CreditWithRemaining>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Every credit with what remains, across tenants (an operator check).
    pub async fn all_credits(&self) -> StoreResult<Vec<CreditWithRemaining>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, CreditWithRemaining>(
            select_credit!("ORDER BY p.id"))
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}
