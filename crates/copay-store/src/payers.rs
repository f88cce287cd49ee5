//! The payer directory: one per installation (not per tenant), keyed by the national
//! payer id.
//!
//! Lists go by `payer_name`, then `payer_uuid`, compared byte-wise on both databases (the
//! PostgreSQL column is `COLLATE "C"`), so keyset pages mean the same on each. Search is a
//! case-insensitive substring match on the name or the payer id: a scan of the directory,
//! which at thousands of payers costs well under a millisecond and needs no search index.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreError, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct PayerRow {
    pub payer_uuid: Uuid,
    /// The national (clearinghouse) payer id; unique in the directory.
    pub payer_id: String,
    pub payer_name: String,
    pub availity_payer_name: Option<String>,
    pub availity_claims_payer_id: Option<String>,
    pub availity_eligibility_id: Option<String>,
    pub availity_remittance_payer_id: Option<String>,
    /// `{address1, address2?, city, state, zip_code, zip_plus_four_code}`.
    pub street_address: Option<Json<Value>>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl PayerRow {
    /// A new directory entry with only an id and a name.
    pub fn new(payer_id: &str, payer_name: &str, now: OffsetDateTime) -> PayerRow {
        PayerRow {
            payer_uuid: Uuid::now_v7(),
            payer_id: payer_id.to_string(),
            payer_name: payer_name.to_string(),
            availity_payer_name: None,
            availity_claims_payer_id: None,
            availity_eligibility_id: None,
            availity_remittance_payer_id: None,
            street_address: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// True when every field a directory import sets is the same in both rows.
    pub fn same_details(&self, other: &PayerRow) -> bool {
        self.payer_id == other.payer_id
            && self.payer_name == other.payer_name
            && self.availity_payer_name == other.availity_payer_name
            && self.availity_claims_payer_id == other.availity_claims_payer_id
            && self.availity_eligibility_id == other.availity_eligibility_id
            && self.availity_remittance_payer_id == other.availity_remittance_payer_id
            && self.street_address == other.street_address
    }
}

macro_rules! select_payer {
    ($($tail:expr),*) => {
        concat!(
            "SELECT payer_uuid, payer_id, payer_name, availity_payer_name, availity_claims_payer_id, \
             availity_eligibility_id, availity_remittance_payer_id, street_address, created_at, updated_at \
             FROM payers ",
            $($tail),*
        )
    };
}

/// Where a page of the directory starts: after this (name, uuid).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayerCursor {
    pub payer_name: String,
    pub payer_uuid: Uuid,
}

/// A `LIKE` pattern matching `text` anywhere, wildcards escaped. Only ASCII letters are
/// lowered, as `LOWER` does on SQLite and on the `COLLATE "C"` column on PostgreSQL, so a
/// non-ASCII letter still matches itself.
fn contains_ascii_case(text: &str) -> String {
    let escaped = text
        .to_ascii_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    pub async fn payer(&self, payer_uuid: Uuid) -> StoreResult<Option<PayerRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, PayerRow>(
            select_payer!("WHERE payer_uuid = $1"))
            .bind(payer_uuid)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// These payers, in no particular order (unknown uuids are left out).
    pub async fn payers_by_uuids(&self, payer_uuids: &[Uuid]) -> StoreResult<Vec<PayerRow>> {
        if payer_uuids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_payer!("WHERE 1 = 1"));
            push_in!(qb, "payer_uuid", payer_uuids);
            qb.build_query_as::<PayerRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    pub async fn payer_by_payer_id(&self, payer_id: &str) -> StoreResult<Option<PayerRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, PayerRow>(
            select_payer!("WHERE payer_id = $1"))
            .bind(payer_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// Up to `limit` payers after `after` in (name, uuid) order, those whose name or payer
    /// id contains `search_term` (ignoring ASCII case) when one is given.
    pub async fn list_payers(
        &self,
        search_term: Option<&str>,
        after: Option<&PayerCursor>,
        limit: u32,
    ) -> StoreResult<Vec<PayerRow>> {
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_payer!("WHERE 1 = 1"));
            if let Some(term) = search_term {
                let pattern = contains_ascii_case(term);
                qb.push(" AND (LOWER(payer_name) LIKE ")
                    .push_bind(pattern.clone())
                    .push(" ESCAPE '\\' OR LOWER(payer_id) LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\')");
            }
            if let Some(after) = after {
                qb.push(" AND (payer_name > ")
                    .push_bind(after.payer_name.clone())
                    .push(" OR (payer_name = ")
                    .push_bind(after.payer_name.clone())
                    .push(" AND payer_uuid > ")
                    .push_bind(after.payer_uuid)
                    .push("))");
            }
            qb.push(" ORDER BY payer_name, payer_uuid LIMIT ")
                .push_bind(i64::from(limit));
            qb.build_query_as::<PayerRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

/// The payers with these payer ids, read in the caller's transaction.
pub async fn by_payer_ids(tx: &mut Tx, payer_ids: &[String]) -> StoreResult<Vec<PayerRow>> {
    if payer_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = on_tx!(tx, conn => {
        let mut qb = sqlx::QueryBuilder::new(select_payer!("WHERE 1 = 1"));
        push_in!(qb, "payer_id", payer_ids);
        qb.build_query_as::<PayerRow>().fetch_all(conn).await
    })?;
    Ok(rows)
}

/// Inserts `row`, or, when its payer id is already in the directory, overwrites that
/// entry's details (its uuid and `created_at` stay).
pub async fn upsert(tx: &mut Tx, row: &PayerRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO payers (payer_uuid, payer_id, payer_name, availity_payer_name, availity_claims_payer_id, \
         availity_eligibility_id, availity_remittance_payer_id, street_address, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT (payer_id) DO UPDATE SET payer_name = excluded.payer_name, \
         availity_payer_name = excluded.availity_payer_name, \
         availity_claims_payer_id = excluded.availity_claims_payer_id, \
         availity_eligibility_id = excluded.availity_eligibility_id, \
         availity_remittance_payer_id = excluded.availity_remittance_payer_id, \
         street_address = excluded.street_address, updated_at = excluded.updated_at")
        .bind(row.payer_uuid)
        .bind(&row.payer_id)
        .bind(&row.payer_name)
        .bind(&row.availity_payer_name)
        .bind(&row.availity_claims_payer_id)
        .bind(&row.availity_eligibility_id)
        .bind(&row.availity_remittance_payer_id)
        .bind(&row.street_address)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The directory entry with `row.payer_id`, inserting `row` first when there is none.
/// Runs in the caller's transaction. A known payer (nearly every call: each insurance
/// payment and refund names one) is one read. On PostgreSQL an insert racing another
/// transaction's uncommitted insert of the same payer id waits for it; the read after then
/// sees the winner's row (read committed takes a new snapshot per statement).
pub async fn insert_if_missing(tx: &mut Tx, row: &PayerRow) -> StoreResult<PayerRow> {
    if let Some(known) = by_payer_id_in_tx(tx, &row.payer_id).await? {
        return Ok(known);
    }
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO payers (payer_uuid, payer_id, payer_name, availity_payer_name, availity_claims_payer_id, \
         availity_eligibility_id, availity_remittance_payer_id, street_address, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (payer_id) DO NOTHING")
        .bind(row.payer_uuid)
        .bind(&row.payer_id)
        .bind(&row.payer_name)
        .bind(&row.availity_payer_name)
        .bind(&row.availity_claims_payer_id)
        .bind(&row.availity_eligibility_id)
        .bind(&row.availity_remittance_payer_id)
        .bind(&row.street_address)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    by_payer_id_in_tx(tx, &row.payer_id).await?.ok_or_else(|| {
        StoreError::Corrupt(format!("payer {} vanished after its insert", row.payer_id))
    })
}

async fn by_payer_id_in_tx(tx: &mut Tx, payer_id: &str) -> StoreResult<Option<PayerRow>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, PayerRow>(
        select_payer!("WHERE payer_id = $1"))
        .bind(payer_id)
        .fetch_optional(conn)
        .await)?;
    Ok(row)
}

/// The payer by uuid, read in the caller's transaction.
pub async fn get_in_tx(tx: &mut Tx, payer_uuid: Uuid) -> StoreResult<Option<PayerRow>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, PayerRow>(
        select_payer!("WHERE payer_uuid = $1"))
        .bind(payer_uuid)
        .fetch_optional(conn)
        .await)?;
    Ok(row)
}
