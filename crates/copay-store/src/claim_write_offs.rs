//! Write-offs on claims (`claim_write_offs`): insert, read, mark reverted, and list with
//! the filters and orders of Candid's write-offs v1.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct WriteOffRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `PATIENT` | `INSURANCE`.
    pub account_type: String,
    /// `service_line` | `claim` | `billing_provider`.
    pub target_kind: String,
    pub service_line_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub encounter_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    pub patient_external_id: Option<String>,
    pub payer_uuid: Option<Uuid>,
    pub amount_cents: i64,
    pub occurred_at: OffsetDateTime,
    pub occurred_us: i64,
    pub note: Option<String>,
    pub reason: String,
    pub custom_reason: Option<String>,
    pub reverts_id: Option<Uuid>,
    pub reverted_by_id: Option<Uuid>,
    pub account_id: Uuid,
    pub operation_id: Uuid,
    pub created_at: OffsetDateTime,
}

macro_rules! select_write_off {
    ($tail:literal) => {
        concat!(
            "SELECT id, tenant_id, account_type, target_kind, service_line_id, claim_id, encounter_id, \
             billing_provider_id, patient_external_id, payer_uuid, amount_cents, occurred_at, occurred_us, \
             note, reason, custom_reason, reverts_id, reverted_by_id, account_id, operation_id, created_at \
             FROM claim_write_offs ",
            $tail
        )
    };
    ($tail:literal, $lock:literal) => {
        concat!(select_write_off!($tail), $lock)
    };
}

/// All rows in one statement.
pub async fn insert(tx: &mut Tx, rows: &[WriteOffRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "INSERT INTO claim_write_offs (id, tenant_id, account_type, target_kind, service_line_id, claim_id, \
             encounter_id, billing_provider_id, patient_external_id, payer_uuid, amount_cents, occurred_at, \
             occurred_us, note, reason, custom_reason, reverts_id, reverted_by_id, account_id, operation_id, \
             created_at) ",
        );
        query.push_values(rows, |mut b, row| {
            b.push_bind(row.id)
                .push_bind(row.tenant_id)
                .push_bind(row.account_type.clone())
                .push_bind(row.target_kind.clone())
                .push_bind(row.service_line_id)
                .push_bind(row.claim_id)
                .push_bind(row.encounter_id)
                .push_bind(row.billing_provider_id)
                .push_bind(row.patient_external_id.clone())
                .push_bind(row.payer_uuid)
                .push_bind(row.amount_cents)
                .push_bind(row.occurred_at)
                .push_bind(row.occurred_us)
                .push_bind(row.note.clone())
                .push_bind(row.reason.clone())
                .push_bind(row.custom_reason.clone())
                .push_bind(row.reverts_id)
                .push_bind(row.reverted_by_id)
                .push_bind(row.account_id)
                .push_bind(row.operation_id)
                .push_bind(row.created_at);
        });
        query.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The write-off, locked for the rest of the transaction on PostgreSQL (two reverts of
/// one write-off serialize here; SQLite's `BEGIN IMMEDIATE` already does).
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<WriteOffRow>> {
    Ok(fetch_optional_locked!(
        tx,
        WriteOffRow,
        select_write_off,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

pub async fn set_reverted_by(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    reverted_by: Uuid,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE claim_write_offs SET reverted_by_id = $3 WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(reverted_by)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// The order of a list of write-offs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOffSort {
    Time,
    Amount,
    Note,
}

impl WriteOffSort {
    /// What the list orders by; a missing note sorts as empty text so a keyset compares it
    /// (the same expression as the index).
    fn expression(self) -> &'static str {
        match self {
            WriteOffSort::Time => "occurred_us",
            WriteOffSort::Amount => "amount_cents",
            WriteOffSort::Note => "COALESCE(note, '')",
        }
    }
}

/// Where the previous page ended: its last row's sort value, then its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOffKey {
    Number(i64),
    Text(String),
}

impl WriteOffKey {
    pub fn of(sort: WriteOffSort, row: &WriteOffRow) -> WriteOffKey {
        match sort {
            WriteOffSort::Time => WriteOffKey::Number(row.occurred_us),
            WriteOffSort::Amount => WriteOffKey::Number(row.amount_cents),
            WriteOffSort::Note => WriteOffKey::Text(row.note.clone().unwrap_or_default()),
        }
    }
}

/// A page of a tenant's write-offs. At most `limit` rows.
#[derive(Debug, Clone)]
pub struct WriteOffQuery {
    pub patient_external_id: Option<String>,
    pub payer_uuid: Option<Uuid>,
    pub service_line_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    /// Empty: every account type.
    pub account_types: Vec<String>,
    pub sort: WriteOffSort,
    pub descending: bool,
    pub after: Option<(WriteOffKey, Uuid)>,
    pub limit: u32,
}

impl Store {
    pub async fn claim_write_off(
        &self,
        tenant_id: Uuid,
        id: Uuid,
    ) -> StoreResult<Option<WriteOffRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, WriteOffRow>(
            select_write_off!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn claim_write_offs(
        &self,
        tenant_id: Uuid,
        q: &WriteOffQuery,
    ) -> StoreResult<Vec<WriteOffRow>> {
        let rows = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(select_write_off!("WHERE tenant_id = "));
            query.push_bind(tenant_id);
            if let Some(patient) = &q.patient_external_id {
                query.push(" AND patient_external_id = ").push_bind(patient.clone());
            }
            for (column, value) in [
                ("payer_uuid", q.payer_uuid),
                ("service_line_id", q.service_line_id),
                ("claim_id", q.claim_id),
                ("billing_provider_id", q.billing_provider_id),
            ] {
                if let Some(value) = value {
                    query.push(format!(" AND {column} = ")).push_bind(value);
                }
            }
            push_in!(query, "account_type", q.account_types);
            let expression = q.sort.expression();
            let (cmp, order) = if q.descending { ("<", "DESC") } else { (">", "ASC") };
            if let Some((key, id)) = &q.after {
                query.push(format!(" AND ({expression} {cmp} "));
                push_key(&mut query, key);
                query.push(format!(" OR ({expression} = "));
                push_key(&mut query, key);
                query.push(format!(" AND id {cmp} ")).push_bind(*id).push("))");
            }
            query.push(format!(" ORDER BY {expression} {order}, id {order} LIMIT "));
            query.push_bind(i64::from(q.limit));
            query.build_query_as::<WriteOffRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

fn push_key<DB>(query: &mut sqlx::QueryBuilder<DB>, key: &WriteOffKey)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match key {
        WriteOffKey::Number(value) => query.push_bind(*value),
        WriteOffKey::Text(text) => query.push_bind(text.clone()),
    };
}
