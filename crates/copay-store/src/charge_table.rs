//! The Gen-2 charge table: every filter of `/billing/charge/table`, one sort with the id
//! as tie-break (so equal keys never swap between pages), numbered pages, and the count of
//! all matches.
//!
//! A charge's outstanding amount is its receivable account's balance, so filters and sorts
//! on it join the ledger. The ranges and matches it shares with the payment table are in
//! [`crate::table`].

use uuid::Uuid;

use crate::charges::{ChargeWithBalance, SELECT_CHARGE_WITH_BALANCE};
use crate::table::{
    contains, push_amount_range, push_patient_external_id, push_patient_name, push_time_range,
};
use crate::{Store, StoreResult, on_db};

pub use crate::table::{AmountRange, TimeRange};

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
        push_amount_range!($qb, "c.total", &query.total);
        push_amount_range!($qb, "COALESCE(a.balance, 0)", &query.total_outstanding);
        if let Some(name) = &query.patient_name {
            push_patient_name!($qb, "c.patient_id", $tenant_id, name);
        }
        if let Some(external_id) = &query.patient_external_id {
            push_patient_external_id!($qb, "c.patient_id", $tenant_id, external_id.clone());
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
