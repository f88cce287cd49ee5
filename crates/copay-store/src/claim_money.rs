//! Money on claims: insurance and patient payments and refunds (`claim_money_entries`),
//! their allocations (`claim_money_allocations`), and the claim-side facts allocation
//! targets are checked against.

use std::collections::HashMap;

use copay_domain::Cents;
use copay_domain::ledger::{AccountId, Transfer, TransferKind};
use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreError, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct EntryRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub payer_uuid: Option<Uuid>,
    pub patient_external_id: Option<String>,
    pub amount_cents: i64,
    pub occurred_at: OffsetDateTime,
    pub occurred_us: i64,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub source: Option<String>,
    pub source_internal_id: Option<String>,
    pub invoice_id: Option<Uuid>,
    pub extra: Json<Value>,
    pub operation_id: Uuid,
    pub reversal_operation_id: Option<Uuid>,
    pub deleted_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, FromRow)]
pub struct AllocationRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub entry_id: Uuid,
    pub entry_kind: String,
    pub position: i64,
    pub amount_cents: i64,
    pub target_kind: String,
    pub service_line_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub encounter_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    pub appointment_id: Option<String>,
    pub appointment_patient_external_id: Option<String>,
    pub earmark: Option<Json<Value>>,
    pub account_id: Uuid,
    pub deleted_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// What an allocation to a claim or one of its lines is checked against: whose claim it
/// is, and the facts allocation restrictions name.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimTarget {
    /// The service line, when the target is one.
    pub service_line_id: Option<Uuid>,
    pub claim_id: Uuid,
    pub encounter_id: Uuid,
    pub patient_external_id: String,
    /// The encounter's input, for the billing provider NPI and the facility.
    pub data: Json<Value>,
}

macro_rules! select_entry {
    ($tail:literal) => {
        concat!(
            "SELECT id, tenant_id, kind, payer_uuid, patient_external_id, amount_cents, occurred_at, occurred_us, note, \
             reason, source, source_internal_id, invoice_id, extra, operation_id, reversal_operation_id, \
             deleted_at, created_at, updated_at FROM claim_money_entries ",
            $tail
        )
    };
    ($tail:literal, $lock:literal) => {
        concat!(select_entry!($tail), $lock)
    };
}

const SELECT_ALLOCATION: &str = "SELECT id, tenant_id, entry_id, entry_kind, position, amount_cents, target_kind, \
     service_line_id, claim_id, encounter_id, billing_provider_id, appointment_id, \
     appointment_patient_external_id, earmark, account_id, deleted_at, created_at \
     FROM claim_money_allocations WHERE tenant_id = ";

pub async fn insert_entry(tx: &mut Tx, row: &EntryRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO claim_money_entries (id, tenant_id, kind, payer_uuid, patient_external_id, amount_cents, \
         occurred_at, occurred_us, note, reason, source, source_internal_id, invoice_id, extra, operation_id, \
         reversal_operation_id, deleted_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.kind)
        .bind(row.payer_uuid)
        .bind(&row.patient_external_id)
        .bind(row.amount_cents)
        .bind(row.occurred_at)
        .bind(row.occurred_us)
        .bind(&row.note)
        .bind(&row.reason)
        .bind(&row.source)
        .bind(&row.source_internal_id)
        .bind(row.invoice_id)
        .bind(&row.extra)
        .bind(row.operation_id)
        .bind(row.reversal_operation_id)
        .bind(row.deleted_at)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// All of an entry's allocations in one statement.
pub async fn insert_allocations(tx: &mut Tx, rows: &[AllocationRow]) -> StoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "INSERT INTO claim_money_allocations (id, tenant_id, entry_id, entry_kind, position, amount_cents, \
             target_kind, service_line_id, claim_id, encounter_id, billing_provider_id, appointment_id, \
             appointment_patient_external_id, earmark, account_id, deleted_at, created_at) ",
        );
        query.push_values(rows, |mut b, row| {
            b.push_bind(row.id)
                .push_bind(row.tenant_id)
                .push_bind(row.entry_id)
                .push_bind(row.entry_kind.clone())
                .push_bind(row.position)
                .push_bind(row.amount_cents)
                .push_bind(row.target_kind.clone())
                .push_bind(row.service_line_id)
                .push_bind(row.claim_id)
                .push_bind(row.encounter_id)
                .push_bind(row.billing_provider_id)
                .push_bind(row.appointment_id.clone())
                .push_bind(row.appointment_patient_external_id.clone())
                .push_bind(row.earmark.clone())
                .push_bind(row.account_id)
                .push_bind(row.deleted_at)
                .push_bind(row.created_at);
        });
        query.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// Writes a new entry with everything it moved: the ledger posting (operation, transfers,
/// balances), the entry, its allocations, and the claims' AR time (`touch_claims`).
///
/// On PostgreSQL that is one statement of data-modifying common table expressions (one
/// round trip instead of six while the target accounts are locked); the foreign keys
/// between the rows are checked at its end. With `read_webhooks` the same statement also
/// returns the tenant's active webhooks (`webhooks::active_webhooks`), for the entry's
/// event: `Some` of them on PostgreSQL, `None` when not asked or on SQLite, which writes
/// the rows one by one.
pub async fn record_entry(
    tx: &mut Tx,
    posting: &crate::ledger::Posting,
    entry: &EntryRow,
    allocations: &[AllocationRow],
    touched_claims: &[Uuid],
    touched_at: OffsetDateTime,
    read_webhooks: bool,
) -> StoreResult<Option<Vec<crate::webhooks::WebhookRow>>> {
    let Tx::Postgres(pg) = tx else {
        crate::ledger::write_posting(tx, entry.tenant_id, posting).await?;
        insert_entry(tx, entry).await?;
        insert_allocations(tx, allocations).await?;
        touch_claims(tx, entry.tenant_id, touched_claims, touched_at).await?;
        return Ok(None);
    };
    let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("WITH ");
    crate::ledger::push_posting_ctes(&mut query, entry.tenant_id, posting);
    query.push(
        ", entry AS (INSERT INTO claim_money_entries (id, tenant_id, kind, payer_uuid, patient_external_id, \
         amount_cents, occurred_at, occurred_us, note, reason, source, source_internal_id, invoice_id, extra, \
         operation_id, reversal_operation_id, deleted_at, created_at, updated_at) VALUES (",
    );
    {
        let mut values = query.separated(", ");
        values
            .push_bind(entry.id)
            .push_bind(entry.tenant_id)
            .push_bind(entry.kind.clone())
            .push_bind(entry.payer_uuid)
            .push_bind(entry.patient_external_id.clone())
            .push_bind(entry.amount_cents)
            .push_bind(entry.occurred_at)
            .push_bind(entry.occurred_us)
            .push_bind(entry.note.clone())
            .push_bind(entry.reason.clone())
            .push_bind(entry.source.clone())
            .push_bind(entry.source_internal_id.clone())
            .push_bind(entry.invoice_id)
            .push_bind(entry.extra.clone())
            .push_bind(entry.operation_id)
            .push_bind(entry.reversal_operation_id)
            .push_bind(entry.deleted_at)
            .push_bind(entry.created_at)
            .push_bind(entry.updated_at);
    }
    query.push(")), ");
    query.push(
        "allocations AS (INSERT INTO claim_money_allocations (id, tenant_id, entry_id, entry_kind, position, \
         amount_cents, target_kind, service_line_id, claim_id, encounter_id, billing_provider_id, appointment_id, \
         appointment_patient_external_id, earmark, account_id, deleted_at, created_at) \
         SELECT r.id, r.tenant_id, r.entry_id, r.entry_kind, r.position, r.amount_cents, r.target_kind, \
         r.service_line_id, r.claim_id, r.encounter_id, r.billing_provider_id, r.appointment_id, \
         r.appointment_patient_external_id, r.earmark, r.account_id, r.deleted_at, r.created_at FROM unnest(",
    );
    {
        let rows = allocations;
        let mut arrays = query.separated(", ");
        let a = &mut arrays;
        push_column(a, rows.iter().map(|r| r.id).collect::<Vec<_>>(), "::uuid[]");
        push_column(
            a,
            rows.iter().map(|r| r.tenant_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.entry_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter()
                .map(|r| r.entry_kind.clone())
                .collect::<Vec<_>>(),
            "::text[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.position).collect::<Vec<_>>(),
            "::int8[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.amount_cents).collect::<Vec<_>>(),
            "::int8[]",
        );
        push_column(
            a,
            rows.iter()
                .map(|r| r.target_kind.clone())
                .collect::<Vec<_>>(),
            "::text[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.service_line_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.claim_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.encounter_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter()
                .map(|r| r.billing_provider_id)
                .collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter()
                .map(|r| r.appointment_id.clone())
                .collect::<Vec<_>>(),
            "::text[]",
        );
        push_column(
            a,
            rows.iter()
                .map(|r| r.appointment_patient_external_id.clone())
                .collect::<Vec<_>>(),
            "::text[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.earmark.clone()).collect::<Vec<_>>(),
            "::jsonb[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.account_id).collect::<Vec<_>>(),
            "::uuid[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.deleted_at).collect::<Vec<_>>(),
            "::timestamptz[]",
        );
        push_column(
            a,
            rows.iter().map(|r| r.created_at).collect::<Vec<_>>(),
            "::timestamptz[]",
        );
    }
    query.push(
        ") AS r(id, tenant_id, entry_id, entry_kind, position, amount_cents, target_kind, service_line_id, \
         claim_id, encounter_id, billing_provider_id, appointment_id, appointment_patient_external_id, earmark, \
         account_id, deleted_at, created_at))",
    );
    // `touch_claims`, its ids listed as there: PostgreSQL's generic plan for
    // `id = ANY($array)` guesses ten ids and scans the whole claims table.
    if !touched_claims.is_empty() {
        query.push(", touched AS (UPDATE claims SET ar_changed_us = ");
        query.push_bind(crate::claim_ar::unix_micros(touched_at));
        query.push(" WHERE tenant_id = ").push_bind(entry.tenant_id);
        push_in!(query, "id", touched_claims);
        query.push(")");
    }
    // Data-modifying expressions run to completion whatever the main query reads.
    query.push(" ");
    if read_webhooks {
        crate::webhooks::push_active_webhooks(&mut query, entry.tenant_id);
        let webhooks = query
            .build_query_as::<crate::webhooks::WebhookRow>()
            .fetch_all(&mut **pg)
            .await?;
        return Ok(Some(webhooks));
    }
    query.push("SELECT 1");
    query.build().execute(&mut **pg).await?;
    Ok(None)
}

/// Binds one column of rows as a PostgreSQL array with its cast, for `unnest(…)`.
fn push_column<T>(
    arrays: &mut sqlx::query_builder::Separated<'_, sqlx::Postgres, &'static str>,
    values: Vec<T>,
    cast: &'static str,
) where
    for<'t> Vec<T>: sqlx::Encode<'t, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    arrays.push_bind(values);
    arrays.push_unseparated(cast);
}

/// The live entry of this kind, locked for the rest of the transaction on PostgreSQL.
pub async fn entry_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: &str,
    id: Uuid,
) -> StoreResult<Option<EntryRow>> {
    Ok(fetch_optional_locked!(
        tx,
        EntryRow,
        select_entry,
        "WHERE tenant_id = $1 AND kind = $2 AND id = $3 AND deleted_at IS NULL",
        |q| q.bind(tenant_id).bind(kind).bind(id)
    ))
}

pub async fn allocations_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    entry_id: Uuid,
) -> StoreResult<Vec<AllocationRow>> {
    let rows = on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(SELECT_ALLOCATION);
        query.push_bind(tenant_id).push(" AND entry_id = ").push_bind(entry_id);
        query.push(" ORDER BY position");
        query.build_query_as::<AllocationRow>().fetch_all(conn).await
    })?;
    Ok(rows)
}

/// Saves the fields PATCH may change: the timestamp, note, reason and invoice.
pub async fn update_entry(tx: &mut Tx, row: &EntryRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE claim_money_entries SET occurred_at = $3, occurred_us = $8, note = $4, reason = $5, \
         invoice_id = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2")
        .bind(row.tenant_id)
        .bind(row.id)
        .bind(row.occurred_at)
        .bind(&row.note)
        .bind(&row.reason)
        .bind(row.invoice_id)
        .bind(row.updated_at)
        .bind(row.occurred_us)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Marks the entry and its allocations deleted, naming the operation that reversed them.
pub async fn mark_deleted(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
    reversal_operation_id: Uuid,
    at: OffsetDateTime,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE claim_money_entries SET deleted_at = $3, reversal_operation_id = $4, updated_at = $3 \
         WHERE tenant_id = $1 AND id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(at)
        .bind(reversal_operation_id)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    on_tx!(tx, conn => sqlx::query(
        "UPDATE claim_money_allocations SET deleted_at = $3 WHERE tenant_id = $1 AND entry_id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

/// Per account, what live entries of `payment_kind` put on it minus what live entries of
/// `refund_kind` took back: what a refund may still take from that target.
///
/// The accounts are the tenant's own (the caller opened them for this tenant), so the
/// query names no tenant: that keeps PostgreSQL's generic plan on the account index
/// instead of a (tenant_id, …) index that scans every allocation of the tenant.
pub async fn paid_net(
    tx: &mut Tx,
    payment_kind: &str,
    refund_kind: &str,
    accounts: &[AccountId],
) -> StoreResult<HashMap<AccountId, i64>> {
    if accounts.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Uuid, i64)> = on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT account_id, CAST(SUM(CASE WHEN entry_kind = ",
        );
        query.push_bind(payment_kind.to_string());
        query.push(" THEN amount_cents ELSE -amount_cents END) AS BIGINT) FROM claim_money_allocations \
                    WHERE deleted_at IS NULL AND entry_kind IN (");
        query.push_bind(payment_kind.to_string()).push(", ").push_bind(refund_kind.to_string()).push(")");
        push_in!(query, "account_id", accounts);
        query.push(" GROUP BY account_id");
        query.build_query_as().fetch_all(conn).await
    })?;
    Ok(rows.into_iter().collect())
}

/// The transfers one ledger operation made, to reverse them.
pub async fn operation_transfers(
    tx: &mut Tx,
    tenant_id: Uuid,
    operation_id: Uuid,
) -> StoreResult<Vec<Transfer>> {
    let rows: Vec<(Uuid, Uuid, i64, String)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT debit_account_id, credit_account_id, amount, kind FROM ledger_transfers \
         WHERE tenant_id = $1 AND operation_id = $2 ORDER BY id")
        .bind(tenant_id)
        .bind(operation_id)
        .fetch_all(conn)
        .await)?;
    rows.into_iter()
        .map(|(debit, credit, amount, kind)| {
            let kind = TransferKind::parse(&kind).ok_or_else(|| {
                StoreError::Corrupt(format!(
                    "operation {operation_id} has a transfer of kind {kind:?}"
                ))
            })?;
            Ok(Transfer {
                debit,
                credit,
                amount: Cents::new(amount),
                kind,
            })
        })
        .collect()
}

/// Records that money on these claims changed now (patient AR's inventory pages by it).
pub async fn touch_claims(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_ids: &[Uuid],
    at: OffsetDateTime,
) -> StoreResult<()> {
    if claim_ids.is_empty() {
        return Ok(());
    }
    on_tx!(tx, conn => {
        // `ar_changed_us` alone: the inventory orders by it; `ar_changed_at` (0019) is
        // superseded by it and read by nothing.
        let mut query = sqlx::QueryBuilder::new("UPDATE claims SET ar_changed_us = ");
        query.push_bind(crate::claim_ar::unix_micros(at));
        query.push(" WHERE tenant_id = ").push_bind(tenant_id);
        push_in!(query, "id", claim_ids);
        query.build().execute(conn).await.map(|done| done.rows_affected())
    })?;
    Ok(())
}

/// The service lines with these ids, with their claim and encounter.
pub async fn line_targets(
    tx: &mut Tx,
    tenant_id: Uuid,
    line_ids: &[Uuid],
) -> StoreResult<Vec<ClaimTarget>> {
    if line_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT l.id AS service_line_id, l.claim_id, l.encounter_id, e.patient_external_id, e.data \
             FROM service_lines l JOIN encounters e ON e.id = l.encounter_id AND e.tenant_id = l.tenant_id \
             WHERE l.tenant_id = ",
        );
        query.push_bind(tenant_id);
        push_in!(query, "l.id", line_ids);
        query.build_query_as::<ClaimTarget>().fetch_all(conn).await
    })?;
    Ok(rows)
}

/// The claims with these ids, with their encounter.
pub async fn claim_targets(
    tx: &mut Tx,
    tenant_id: Uuid,
    claim_ids: &[Uuid],
) -> StoreResult<Vec<ClaimTarget>> {
    if claim_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = on_tx!(tx, conn => {
        let mut query = sqlx::QueryBuilder::new(
            "SELECT CAST(NULL AS UUID) AS service_line_id, c.id AS claim_id, c.encounter_id, \
             e.patient_external_id, e.data \
             FROM claims c JOIN encounters e ON e.id = c.encounter_id AND e.tenant_id = c.tenant_id \
             WHERE c.tenant_id = ",
        );
        query.push_bind(tenant_id);
        push_in!(query, "c.id", claim_ids);
        query.build_query_as::<ClaimTarget>().fetch_all(conn).await
    })?;
    Ok(rows)
}

/// The first claim of the encounter with this external id.
pub async fn claim_by_encounter_external_id(
    tx: &mut Tx,
    tenant_id: Uuid,
    external_id: &str,
) -> StoreResult<Option<ClaimTarget>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ClaimTarget>(
        "SELECT CAST(NULL AS UUID) AS service_line_id, c.id AS claim_id, c.encounter_id, \
         e.patient_external_id, e.data \
         FROM encounters e JOIN claims c ON c.encounter_id = e.id AND c.tenant_id = e.tenant_id \
         WHERE e.tenant_id = $1 AND e.external_id = $2 ORDER BY e.created_at, c.created_at LIMIT 1")
        .bind(tenant_id)
        .bind(external_id)
        .fetch_optional(conn)
        .await)?;
    Ok(row)
}

/// An encounter whose billing provider has this id (the provider's data, for its NPI).
pub async fn billing_provider_encounter(
    tx: &mut Tx,
    tenant_id: Uuid,
    billing_provider_id: Uuid,
) -> StoreResult<Option<Json<Value>>> {
    let row: Option<(Json<Value>,)> = on_tx!(tx, conn => sqlx::query_as(
        "SELECT data FROM encounters WHERE tenant_id = $1 AND billing_provider_id = $2 LIMIT 1")
        .bind(tenant_id)
        .bind(billing_provider_id)
        .fetch_optional(conn)
        .await)?;
    Ok(row.map(|(data,)| data))
}

/// The order of a list of entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySort {
    Time,
    Amount,
    Note,
    Reason,
    Source,
}

impl EntrySort {
    /// The SQL the list orders by; nullable text sorts as empty text so a keyset can
    /// compare it.
    fn expression(self) -> &'static str {
        match self {
            EntrySort::Time => "occurred_us",
            EntrySort::Amount => "amount_cents",
            EntrySort::Note => "COALESCE(note, '')",
            EntrySort::Reason => "COALESCE(reason, '')",
            EntrySort::Source => "COALESCE(source, '')",
        }
    }
}

/// Where the previous page ended: the sort value of its last row, then its id.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    Time(i64),
    Amount(i64),
    Text(String),
}

impl SortKey {
    pub fn of(sort: EntrySort, row: &EntryRow) -> SortKey {
        match sort {
            EntrySort::Time => SortKey::Time(row.occurred_us),
            EntrySort::Amount => SortKey::Amount(row.amount_cents),
            EntrySort::Note => SortKey::Text(row.note.clone().unwrap_or_default()),
            EntrySort::Reason => SortKey::Text(row.reason.clone().unwrap_or_default()),
            EntrySort::Source => SortKey::Text(row.source.clone().unwrap_or_default()),
        }
    }
}

/// A list of one ledger's live entries. At most `limit` rows.
#[derive(Debug, Clone)]
pub struct EntryQuery {
    pub kind: String,
    pub patient_external_id: Option<String>,
    pub payer_uuid: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub service_line_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    /// Some(true): only entries with an unattributed allocation; Some(false): none.
    pub unattributed: Option<bool>,
    pub invoice_id: Option<Uuid>,
    pub sources: Vec<String>,
    pub source_internal_id: Option<String>,
    pub sort: EntrySort,
    pub descending: bool,
    pub after: Option<(SortKey, Uuid)>,
    pub limit: u32,
}

impl Store {
    pub async fn claim_money_entry(
        &self,
        tenant_id: Uuid,
        kind: &str,
        id: Uuid,
    ) -> StoreResult<Option<EntryRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, EntryRow>(
            select_entry!("WHERE tenant_id = $1 AND kind = $2 AND id = $3 AND deleted_at IS NULL"))
            .bind(tenant_id)
            .bind(kind)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// The allocations of these entries, in each entry's order.
    pub async fn claim_money_allocations(
        &self,
        tenant_id: Uuid,
        entry_ids: &[Uuid],
    ) -> StoreResult<Vec<AllocationRow>> {
        if entry_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SELECT_ALLOCATION);
            query.push_bind(tenant_id);
            push_in!(query, "entry_id", entry_ids);
            query.push(" ORDER BY entry_id, position");
            query.build_query_as::<AllocationRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    pub async fn claim_money_entries(
        &self,
        tenant_id: Uuid,
        q: &EntryQuery,
    ) -> StoreResult<Vec<EntryRow>> {
        let rows = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(select_entry!("WHERE tenant_id = "));
            query.push_bind(tenant_id);
            query.push(" AND kind = ").push_bind(q.kind.clone());
            query.push(" AND deleted_at IS NULL");
            if let Some(patient) = &q.patient_external_id {
                query.push(" AND patient_external_id = ").push_bind(patient.clone());
            }
            if let Some(payer) = q.payer_uuid {
                query.push(" AND payer_uuid = ").push_bind(payer);
            }
            if let Some(invoice) = q.invoice_id {
                query.push(" AND invoice_id = ").push_bind(invoice);
            }
            if let Some(source_id) = &q.source_internal_id {
                query.push(" AND source_internal_id = ").push_bind(source_id.clone());
            }
            push_in!(query, "source", q.sources);
            // Allocation-level filters: entries with a live allocation on the target. A
            // claim filter matches allocations to the claim and to any of its lines.
            for (column, value) in [
                ("claim_id", q.claim_id),
                ("service_line_id", q.service_line_id),
                ("billing_provider_id", q.billing_provider_id),
            ] {
                if let Some(value) = value {
                    query.push(" AND id IN (SELECT entry_id FROM claim_money_allocations WHERE tenant_id = ");
                    query.push_bind(tenant_id);
                    query.push(" AND deleted_at IS NULL AND entry_kind = ").push_bind(q.kind.clone());
                    query.push(format!(" AND {column} = ")).push_bind(value).push(")");
                }
            }
            if let Some(unattributed) = q.unattributed {
                query.push(if unattributed { " AND id IN" } else { " AND id NOT IN" });
                query.push(" (SELECT entry_id FROM claim_money_allocations WHERE tenant_id = ");
                query.push_bind(tenant_id);
                query.push(" AND entry_kind = ").push_bind(q.kind.clone());
                query.push(" AND target_kind = 'unattributed')");
            }
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
            query.build_query_as::<EntryRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}

fn push_key<DB>(query: &mut sqlx::QueryBuilder<DB>, key: &SortKey)
where
    DB: sqlx::Database,
    for<'t> i64: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
    for<'t> String: sqlx::Encode<'t, DB> + sqlx::Type<DB>,
{
    match key {
        SortKey::Time(micros) => query.push_bind(*micros),
        SortKey::Amount(cents) => query.push_bind(*cents),
        SortKey::Text(text) => query.push_bind(text.clone()),
    };
}
