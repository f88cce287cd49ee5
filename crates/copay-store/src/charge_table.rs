//! The Gen-2 charge table: every filter of `/billing/charge/table`, one sort with the id
//! as tie-break (so equal keys never swap between pages), numbered pages, and the count of
//! all matches.
//!
//! A charge's outstanding amount is its receivable account's balance, so filters and sorts
//! on it join the ledger. SQLite keeps timestamps as RFC 3339 text with a trimmed fraction,
//! which does not order as text within a second; time ranges there compare `julianday()`
//! (millisecond precision), which the `*_by_created_time` expression indexes serve.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::charges::{ChargeWithBalance, SELECT_CHARGE_WITH_BALANCE};
use crate::{Backend, Store, StoreResult, on_db};

/// Sort keys of the charge table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeTableSort {
    /// Creation order: the time-ordered (UUIDv7) id.
    CreatedDate,
    Total,
    TotalOutstanding,
    /// Undated charges last in both directions.
    ExternalCreatedDate,
    Status,
    /// Charges without a description last in both directions.
    Description,
}

impl ChargeTableSort {
    fn key(self) -> &'static str {
        match self {
            ChargeTableSort::CreatedDate => "c.id",
            ChargeTableSort::Total => "c.total",
            ChargeTableSort::TotalOutstanding => "COALESCE(a.balance, 0)",
            ChargeTableSort::ExternalCreatedDate => {
                "(c.external_created_date IS NULL), c.external_created_date"
            }
            ChargeTableSort::Status => "c.status",
            ChargeTableSort::Description => "(c.description IS NULL), c.description",
        }
    }
}

/// An interval of instants: `from` inclusive, `until` inclusive or exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    pub until_inclusive: bool,
}

/// An inclusive range of cents; either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AmountRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

/// Every filter of the charge table (all of them must hold), a sort and a page.
#[derive(Debug, Clone)]
pub struct ChargeTableQuery {
    pub id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub location_id: Option<String>,
    /// Any of these locations (empty: no such restriction).
    pub location_ids: Vec<String>,
    /// Lowercase text the patient's first name, last name or "first last" contains.
    pub patient_name: Option<String>,
    pub total: AmountRange,
    pub total_outstanding: AmountRange,
    /// Lowercase text the description contains.
    pub description: Option<String>,
    /// Any of these statuses (empty: no such restriction).
    pub statuses: Vec<String>,
    pub external_id: Option<String>,
    pub patient_external_id: Option<String>,
    pub created: Option<TimeRange>,
    /// Charges with a payment created in this range.
    pub paid: Option<TimeRange>,
    /// Only charges whose id is at most this one: charges created after the first page was
    /// read stay out of later pages.
    pub snapshot: Option<Uuid>,
    pub sort: ChargeTableSort,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// Lowercase `LIKE` pattern matching `text` anywhere, wildcards escaped.
fn contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column` as something that orders by instant on this backend.
fn instant(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("julianday({column})"),
        Backend::Postgres => column.to_string(),
    }
}

/// Appends ` AND <instant(column)> <op> <bound>` for each end of `$range`.
macro_rules! push_time_range {
    ($qb:expr, $backend:expr, $column:expr, $range:expr) => {{
        let range: &TimeRange = $range;
        let bound_open = match $backend {
            Backend::Sqlite => "julianday(",
            Backend::Postgres => "(",
        };
        let column = instant($backend, $column);
        if let Some(from) = range.from {
            $qb.push(format_args!(" AND {column} >= {bound_open}"))
                .push_bind(from)
                .push(")");
        }
        if let Some(until) = range.until {
            let op = if range.until_inclusive { "<=" } else { "<" };
            $qb.push(format_args!(" AND {column} {op} {bound_open}"))
                .push_bind(until)
                .push(")");
        }
    }};
}

/// Appends the WHERE clause of `$query` (the FROM must alias charges `c` and the balance
/// account `a`).
macro_rules! push_table_filters {
    ($qb:expr, $backend:expr, $tenant_id:expr, $query:expr) => {{
        let query: &ChargeTableQuery = $query;
        $qb.push(" WHERE c.tenant_id = ").push_bind($tenant_id);
        if let Some(snapshot) = query.snapshot {
            $qb.push(" AND c.id <= ").push_bind(snapshot);
        }
        if let Some(id) = query.id {
            $qb.push(" AND c.id = ").push_bind(id);
        }
        if let Some(patient_id) = query.patient_id {
            $qb.push(" AND c.patient_id = ").push_bind(patient_id);
        }
        if let Some(location_id) = &query.location_id {
            $qb.push(" AND c.location_id = ")
                .push_bind(location_id.clone());
        }
        push_in!($qb, "c.location_id", query.location_ids);
        push_in!($qb, "c.status", query.statuses);
        if let Some(external_id) = &query.external_id {
            $qb.push(" AND c.external_id = ")
                .push_bind(external_id.clone());
        }
        if let Some(description) = &query.description {
            $qb.push(" AND LOWER(c.description) LIKE ")
                .push_bind(contains(description))
                .push(" ESCAPE '\\'");
        }
        for (column, range) in [
            ("c.total", &query.total),
            ("COALESCE(a.balance, 0)", &query.total_outstanding),
        ] {
            if let Some(min) = range.min {
                $qb.push(format_args!(" AND {column} >= ")).push_bind(min);
            }
            if let Some(max) = range.max {
                $qb.push(format_args!(" AND {column} <= ")).push_bind(max);
            }
        }
        if let Some(name) = &query.patient_name {
            let pattern = contains(name);
            $qb.push(" AND c.patient_id IN (SELECT p.id FROM patients p WHERE p.tenant_id = ")
                .push_bind($tenant_id)
                .push(" AND (LOWER(p.first_name) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(p.last_name) LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\' OR LOWER(COALESCE(p.first_name, '') || ' ' || COALESCE(p.last_name, '')) LIKE ")
                .push_bind(pattern)
                .push(" ESCAPE '\\'))");
        }
        if let Some(external_id) = &query.patient_external_id {
            $qb.push(" AND c.patient_id IN (SELECT p.id FROM patients p WHERE p.tenant_id = ")
                .push_bind($tenant_id)
                .push(" AND p.external_id = ")
                .push_bind(external_id.clone())
                .push(")");
        }
        if let Some(range) = &query.created {
            push_time_range!($qb, $backend, "c.created_at", range);
        }
        if let Some(range) = &query.paid {
            $qb.push(
                " AND c.id IN (SELECT s.charge_id FROM payments p JOIN charge_payments s \
                 ON s.tenant_id = p.tenant_id AND s.payment_id = p.id WHERE p.tenant_id = ",
            )
            .push_bind($tenant_id);
            push_time_range!($qb, $backend, "p.created_at", range);
            $qb.push(")");
        }
    }};
}

const FROM_CHARGES_WITH_BALANCE: &str = "SELECT COUNT(*) FROM charges c LEFT JOIN ledger_accounts a \
     ON a.tenant_id = c.tenant_id AND a.kind = 'charge_receivable' AND a.owner_id = c.id \
     AND a.qualifier = ''";

impl Store {
    /// One page of the charge table and how many charges match in all.
    pub async fn charge_table(
        &self,
        tenant_id: Uuid,
        query: &ChargeTableQuery,
    ) -> StoreResult<(Vec<ChargeWithBalance>, i64)> {
        let backend = self.backend();
        let direction = if query.descending { "DESC" } else { "ASC" };
        let key = query.sort.key();
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(SELECT_CHARGE_WITH_BALANCE);
            push_table_filters!(qb, backend, tenant_id, query);
            qb.push(format_args!(" ORDER BY {key} {direction}, c.id {direction} LIMIT "))
                .push_bind(query.limit)
                .push(" OFFSET ")
                .push_bind(query.offset);
            qb.build_query_as::<ChargeWithBalance>().fetch_all(pool).await
        })?;
        let total = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(FROM_CHARGES_WITH_BALANCE);
            push_table_filters!(qb, backend, tenant_id, query);
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok((rows, total))
    }
}
