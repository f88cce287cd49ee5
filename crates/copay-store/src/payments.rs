//! Payments against patient charges and how each is split.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub patient_id: Uuid,
    pub amount: i64,
    pub medium: String,
    pub status: String,
    pub fee: i64,
    pub operation_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// One charge's share of a payment, with the payment.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ChargePaymentRow {
    pub charge_id: Uuid,
    pub share: i64,
    pub shared_at: OffsetDateTime,
    #[sqlx(flatten)]
    pub payment: PaymentRow,
}

pub async fn insert(tx: &mut Tx, row: &PaymentRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO payments (id, tenant_id, patient_id, amount, medium, status, fee, operation_id, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.patient_id)
        .bind(row.amount)
        .bind(&row.medium)
        .bind(&row.status)
        .bind(row.fee)
        .bind(row.operation_id)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_share(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment_id: Uuid,
    charge_id: Uuid,
    amount: i64,
    at: OffsetDateTime,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_payments (id, tenant_id, payment_id, charge_id, amount, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(payment_id)
        .bind(charge_id)
        .bind(amount)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_credit_draw(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment_id: Uuid,
    credit_id: Uuid,
    amount: i64,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO payment_credit_draws (id, tenant_id, payment_id, credit_id, amount) VALUES ($1, $2, $3, $4, $5)")
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(payment_id)
        .bind(credit_id)
        .bind(amount)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

impl Store {
    /// The payment shares of these charges, oldest first.
    pub async fn charge_payments(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<ChargePaymentRow>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT s.charge_id, s.amount AS share, s.created_at AS shared_at, p.id, p.tenant_id, p.patient_id, \
                 p.amount, p.medium, p.status, p.fee, p.operation_id, p.created_at, p.updated_at \
                 FROM charge_payments s JOIN payments p ON p.id = s.payment_id AND p.tenant_id = s.tenant_id \
                 WHERE s.tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "s.charge_id", charge_ids);
            qb.push(" ORDER BY s.id");
            qb.build_query_as::<ChargePaymentRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
