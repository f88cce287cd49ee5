//! Payments against patient charges, how each is split over charges, which credits a
//! credit payment drew, and the refunds given back on them.

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
    pub location_id: Option<String>,
    pub creator_id: Option<String>,
    pub comment: Option<String>,
    pub operation_id: Option<Uuid>,
    pub voided_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The columns of [`PaymentRow`], for selects from `payments p`.
macro_rules! payment_columns {
    () => {
        "p.id, p.tenant_id, p.patient_id, p.amount, p.medium, p.status, p.fee, p.location_id, p.creator_id, \
         p.comment, p.operation_id, p.voided_at, p.created_at, p.updated_at"
    };
}
pub(crate) use payment_columns;

/// One charge's share of a payment, with the payment.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct ChargePaymentRow {
    pub charge_id: Uuid,
    pub share: i64,
    pub shared_at: OffsetDateTime,
    #[sqlx(flatten)]
    pub payment: PaymentRow,
}

/// One charge's share of a payment.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct ShareRow {
    pub charge_id: Uuid,
    pub amount: i64,
}

/// What one credit gave to a payment.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct CreditDrawRow {
    pub credit_id: Uuid,
    pub amount: i64,
}

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct RefundRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub reason: String,
    pub description: Option<String>,
    pub provider_id: String,
    pub location_id: Option<String>,
    pub status: String,
    /// The credit record a refund of a credit payment put the money back on.
    pub credit_id: Option<Uuid>,
    pub operation_id: Option<Uuid>,
    pub created_at: OffsetDateTime,
}

macro_rules! refund_columns {
    () => {
        "r.id, r.tenant_id, r.payment_id, r.amount, r.reason, r.description, r.provider_id, r.location_id, \
         r.status, r.credit_id, r.operation_id, r.created_at"
    };
}

pub async fn insert(tx: &mut Tx, row: &PaymentRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO payments (id, tenant_id, patient_id, amount, medium, status, fee, location_id, creator_id, \
         comment, operation_id, voided_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.patient_id)
        .bind(row.amount)
        .bind(&row.medium)
        .bind(&row.status)
        .bind(row.fee)
        .bind(&row.location_id)
        .bind(&row.creator_id)
        .bind(&row.comment)
        .bind(row.operation_id)
        .bind(row.voided_at)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Records a payment as voided (`CANCELED`), keeping the row for the history.
pub async fn set_voided(tx: &mut Tx, row: &PaymentRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE payments SET status = $1, voided_at = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5")
        .bind(&row.status)
        .bind(row.voided_at)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
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
) -> StoreResult<Uuid> {
    let id = Uuid::now_v7();
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO charge_payments (id, tenant_id, payment_id, charge_id, amount, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id)
        .bind(tenant_id)
        .bind(payment_id)
        .bind(charge_id)
        .bind(amount)
        .bind(at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(id)
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

/// The payment, locked for the rest of the transaction on PostgreSQL.
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<PaymentRow>> {
    macro_rules! select_payment_row {
        ($($tail:expr),*) => {
            concat!("SELECT ", payment_columns!(), " FROM payments p ", $($tail),*)
        };
    }
    Ok(fetch_optional_locked!(
        tx,
        PaymentRow,
        select_payment_row,
        "WHERE p.tenant_id = $1 AND p.id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// The patient of a tenant's payment, read in the caller's transaction.
pub async fn patient_of(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<Uuid>> {
    let patient = on_tx!(tx, conn => sqlx::query_scalar::<_, Uuid>(
        "SELECT patient_id FROM payments WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(patient)
}

/// How a payment was split over charges, in the order it paid them.
pub async fn shares_of_payment(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment_id: Uuid,
) -> StoreResult<Vec<ShareRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, ShareRow>(
        "SELECT charge_id, amount FROM charge_payments WHERE tenant_id = $1 AND payment_id = $2 ORDER BY id")
        .bind(tenant_id)
        .bind(payment_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

/// What earlier refunds of a payment took back from each charge.
pub async fn refunded_shares_of_payment(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment_id: Uuid,
) -> StoreResult<Vec<ShareRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, ShareRow>(
        "SELECT s.charge_id, CAST(SUM(s.amount) AS BIGINT) AS amount FROM refund_shares s \
         JOIN refunds r ON r.id = s.refund_id AND r.tenant_id = s.tenant_id \
         WHERE r.tenant_id = $1 AND r.payment_id = $2 GROUP BY s.charge_id")
        .bind(tenant_id)
        .bind(payment_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

/// The live (not voided) payments with a share on this charge.
pub async fn live_payments_of_charge(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge_id: Uuid,
) -> StoreResult<Vec<PaymentRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, PaymentRow>(concat!(
        "SELECT ", payment_columns!(), " FROM payments p WHERE p.tenant_id = $1 AND p.voided_at IS NULL \
         AND p.id IN (SELECT payment_id FROM charge_payments WHERE tenant_id = $1 AND charge_id = $2) ORDER BY p.id"))
        .bind(tenant_id)
        .bind(charge_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

/// What live payments paid this charge, and what refunds gave back of it.
pub async fn paid_and_refunded(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge_id: Uuid,
) -> StoreResult<(i64, i64)> {
    let (paid, refunded) = on_tx!(tx, conn => sqlx::query_as::<_, (i64, i64)>(
        "SELECT \
           CAST(COALESCE((SELECT SUM(s.amount) FROM charge_payments s JOIN payments p ON p.id = s.payment_id \
                     WHERE s.tenant_id = $1 AND s.charge_id = $2 AND p.voided_at IS NULL), 0) AS BIGINT), \
           CAST(COALESCE((SELECT SUM(amount) FROM refund_shares WHERE tenant_id = $1 AND charge_id = $2), 0) AS BIGINT)")
        .bind(tenant_id)
        .bind(charge_id)
        .fetch_one(conn)
        .await)?;
    Ok((paid, refunded))
}

/// Which credits a credit payment drew, and how much from each.
pub async fn credit_draws(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment_id: Uuid,
) -> StoreResult<Vec<CreditDrawRow>> {
    let rows = on_tx!(tx, conn => sqlx::query_as::<_, CreditDrawRow>(
        "SELECT credit_id, amount FROM payment_credit_draws WHERE tenant_id = $1 AND payment_id = $2 ORDER BY id")
        .bind(tenant_id)
        .bind(payment_id)
        .fetch_all(conn)
        .await)?;
    Ok(rows)
}

pub async fn insert_refund(tx: &mut Tx, row: &RefundRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO refunds (id, tenant_id, payment_id, amount, reason, description, provider_id, location_id, \
         status, credit_id, operation_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(row.payment_id)
        .bind(row.amount)
        .bind(&row.reason)
        .bind(&row.description)
        .bind(&row.provider_id)
        .bind(&row.location_id)
        .bind(&row.status)
        .bind(row.credit_id)
        .bind(row.operation_id)
        .bind(row.created_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_refund_share(
    tx: &mut Tx,
    tenant_id: Uuid,
    refund_id: Uuid,
    charge_id: Uuid,
    amount: i64,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO refund_shares (id, tenant_id, refund_id, charge_id, amount) VALUES ($1, $2, $3, $4, $5)")
        .bind(Uuid::now_v7())
        .bind(tenant_id)
        .bind(refund_id)
        .bind(charge_id)
        .bind(amount)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Whether the payment has been refunded at all.
pub async fn has_refunds(tx: &mut Tx, tenant_id: Uuid, payment_id: Uuid) -> StoreResult<bool> {
    let count = on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM refunds WHERE tenant_id = $1 AND payment_id = $2")
        .bind(tenant_id)
        .bind(payment_id)
        .fetch_one(conn)
        .await)?;
    Ok(count > 0)
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
            let mut qb = sqlx::QueryBuilder::new(concat!(
                "SELECT s.charge_id, s.amount AS share, s.created_at AS shared_at, ", payment_columns!(),
                " FROM charge_payments s JOIN payments p ON p.id = s.payment_id AND p.tenant_id = s.tenant_id \
                 WHERE s.tenant_id = "));
            qb.push_bind(tenant_id);
            push_in!(qb, "s.charge_id", charge_ids);
            qb.push(" ORDER BY s.id");
            qb.build_query_as::<ChargePaymentRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    pub async fn payment(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<PaymentRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, PaymentRow>(concat!(
            "SELECT ", payment_columns!(), " FROM payments p WHERE p.tenant_id = $1 AND p.id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// The refunds of these payments, oldest first.
    pub async fn refunds_of_payments(
        &self,
        tenant_id: Uuid,
        payment_ids: &[Uuid],
    ) -> StoreResult<Vec<RefundRow>> {
        if payment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(concat!(
                "SELECT ", refund_columns!(), " FROM refunds r WHERE r.tenant_id = "));
            qb.push_bind(tenant_id);
            push_in!(qb, "r.payment_id", payment_ids);
            qb.push(" ORDER BY r.id");
            qb.build_query_as::<RefundRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// What each refund took back from each of these charges: (refund, charge, amount).
    pub async fn refund_shares_of_charges(
        &self,
        tenant_id: Uuid,
        charge_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, Uuid, i64)>> {
        if charge_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT refund_id, charge_id, amount FROM refund_shares WHERE tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "charge_id", charge_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<(Uuid, Uuid, i64)>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// How each of these payments was split over charges, in order.
    pub async fn payment_shares(
        &self,
        tenant_id: Uuid,
        payment_ids: &[Uuid],
    ) -> StoreResult<Vec<(Uuid, ShareRow)>> {
        if payment_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(Uuid, Uuid, i64)> = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT payment_id, charge_id, amount FROM charge_payments WHERE tenant_id = ");
            qb.push_bind(tenant_id);
            push_in!(qb, "payment_id", payment_ids);
            qb.push(" ORDER BY id");
            qb.build_query_as::<(Uuid, Uuid, i64)>().fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(|(payment_id, charge_id, amount)| (payment_id, ShareRow { charge_id, amount }))
            .collect())
    }
}

/// A payment or refund whose parts do not add up (see [`Store::payment_faults`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentFault {
    pub id: Uuid,
    pub reason: String,
}

impl Store {
    /// Every payment whose charge shares do not sum to its amount, every refund whose
    /// shares do not sum to its amount, and every payment share refunded beyond what it
    /// paid, across tenants (an operator check).
    pub async fn payment_faults(&self) -> StoreResult<Vec<PaymentFault>> {
        // (id, amount, sum of parts) and (payment, charge, paid, refunded).
        type Sums = Vec<(Uuid, i64, i64)>;
        type Overdrawn = Vec<(Uuid, Uuid, i64, i64)>;
        let (payments, refunds, over): (Sums, Sums, Overdrawn) = on_db!(self, pool => {
            let payments = sqlx::query_as::<_, (Uuid, i64, i64)>(
                "SELECT p.id, p.amount, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) FROM payments p \
                 LEFT JOIN charge_payments s ON s.tenant_id = p.tenant_id AND s.payment_id = p.id \
                 GROUP BY p.id, p.amount HAVING p.amount <> COALESCE(SUM(s.amount), 0)")
                .fetch_all(pool)
                .await?;
            let refunds = sqlx::query_as::<_, (Uuid, i64, i64)>(
                "SELECT r.id, r.amount, CAST(COALESCE(SUM(s.amount), 0) AS BIGINT) FROM refunds r \
                 LEFT JOIN refund_shares s ON s.tenant_id = r.tenant_id AND s.refund_id = r.id \
                 GROUP BY r.id, r.amount HAVING r.amount <> COALESCE(SUM(s.amount), 0)")
                .fetch_all(pool)
                .await?;
            let over = sqlx::query_as::<_, (Uuid, Uuid, i64, i64)>(
                "SELECT x.payment_id, x.charge_id, x.paid, x.refunded FROM ( \
                   SELECT s.payment_id, s.charge_id, CAST(SUM(s.amount) AS BIGINT) AS paid, \
                     CAST(COALESCE((SELECT SUM(rs.amount) FROM refund_shares rs JOIN refunds r \
                       ON r.id = rs.refund_id AND r.tenant_id = rs.tenant_id \
                       WHERE r.payment_id = s.payment_id AND rs.charge_id = s.charge_id), 0) AS BIGINT) AS refunded \
                   FROM charge_payments s GROUP BY s.payment_id, s.charge_id) x WHERE x.refunded > x.paid")
                .fetch_all(pool)
                .await?;
            Ok::<_, sqlx::Error>((payments, refunds, over))
        })?;
        let mut faults = Vec::new();
        for (id, amount, shares) in payments {
            faults.push(PaymentFault {
                id,
                reason: format!("payment of {amount} is split into shares summing to {shares}"),
            });
        }
        for (id, amount, shares) in refunds {
            faults.push(PaymentFault {
                id,
                reason: format!("refund of {amount} takes back shares summing to {shares}"),
            });
        }
        for (payment_id, charge_id, paid, refunded) in over {
            faults.push(PaymentFault {
                id: payment_id,
                reason: format!(
                    "paid {paid} on charge {charge_id} but refunds took back {refunded}"
                ),
            });
        }
        Ok(faults)
    }
}

/// One charge's share of a payment, by the share's id.
#[derive(Debug, Clone, Copy, FromRow, PartialEq, Eq)]
pub struct ShareById {
    pub payment_id: Uuid,
    pub charge_id: Uuid,
    pub amount: i64,
    pub created_at: OffsetDateTime,
}

impl Store {
    pub async fn charge_payment_share(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<ShareById>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ShareById>(
            "SELECT payment_id, charge_id, amount, created_at FROM charge_payments \
             WHERE tenant_id = $1 AND id = $2")
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }
}
