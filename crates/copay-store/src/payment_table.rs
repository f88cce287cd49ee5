//! The Gen-2 payment table: every filter of `/billing/payment/table`, one sort with the id
//! as tie-break (so equal keys never swap between pages), numbered pages, and the count of
//! all matches. Each row carries its patient's contact fields.
//!
//! The ranges and matches it shares with the charge table are in [`crate::table`].

use copay_domain::payment_medium::{MediumKind, PATIENT_CREDIT, PROCESSOR_MEDIUMS};
use sqlx::FromRow;
use uuid::Uuid;

use crate::payments::{PaymentRow, payment_columns};
use crate::table::{
    AmountRange, TimeRange, contains, push_amount_range, push_name_contains,
    push_patient_external_id, push_patient_name, push_time_range, uuid_text,
};
use crate::{Store, StoreResult, on_db};

/// Sort keys of the payment table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentTableSort {
    /// Creation order: the time-ordered (UUIDv7) id.
    CreatedDate,
    Amount,
    Status,
    PaymentMedium,
    /// The patient's "first last", without case.
    PatientName,
}

impl PaymentTableSort {
    fn key(self) -> &'static str {
        match self {
            PaymentTableSort::CreatedDate => "p.id",
            PaymentTableSort::Amount => "p.amount",
            PaymentTableSort::Status => "p.status",
            PaymentTableSort::PaymentMedium => "p.medium",
            PaymentTableSort::PatientName => {
                "LOWER(COALESCE(pt.first_name, '') || ' ' || COALESCE(pt.last_name, ''))"
            }
        }
    }
}

/// Every filter of the payment table (all of them must hold), a sort and a page.
#[derive(Debug, Clone)]
pub struct PaymentTableQuery {
    pub id: Option<Uuid>,
    pub patient_id: Option<Uuid>,
    pub patient_external_id: Option<String>,
    /// Text the patient's first name, last name or "first last" contains, without case.
    pub payer: Option<String>,
    pub location_id: Option<String>,
    /// Any of these locations (empty: no such restriction).
    pub location_ids: Vec<String>,
    pub amount: AmountRange,
    /// Text the comment contains, without case.
    pub comment: Option<String>,
    /// Any of these mediums (empty: no such restriction).
    pub mediums: Vec<String>,
    /// Mediums of this kind only.
    pub medium_kind: Option<MediumKind>,
    /// Any of these statuses (empty: no such restriction).
    pub statuses: Vec<String>,
    pub created: Option<TimeRange>,
    /// Payments whose creator is this id (ids kept as text; UUIDs in canonical form).
    pub creator_id: Option<String>,
    /// Payments whose creator is a provider of the tenant with a name containing this.
    pub creator_name: Option<String>,
    /// Payments this provider created or gave a refund of.
    pub provider_id: Option<String>,
    /// A filter was given that no payment of copay's can meet (a card's last 4, tags,
    /// merchant accounts, insurance payments): the page is empty.
    pub matches_nothing: bool,
    /// Only payments whose id is at most this one: payments created after the first page
    /// was read stay out of later pages.
    pub snapshot: Option<Uuid>,
    pub sort: PaymentTableSort,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
}

/// A payment with its patient's names and contact fields.
#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct PaymentTableRow {
    #[sqlx(flatten)]
    pub payment: PaymentRow,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub patient_external_id: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
}

/// Appends the WHERE clause of `$query` (the FROM must alias payments `p`).
macro_rules! push_payment_filters {
    ($qb:expr, $backend:expr, $tenant_id:expr, $query:expr) => {{
        let query: &PaymentTableQuery = $query;
        $qb.push(" WHERE p.tenant_id = ").push_bind($tenant_id);
        if query.matches_nothing {
            $qb.push(" AND 1 = 0");
        }
        if let Some(snapshot) = query.snapshot {
            $qb.push(" AND p.id <= ").push_bind(snapshot);
        }
        if let Some(id) = query.id {
            $qb.push(" AND p.id = ").push_bind(id);
        }
        if let Some(patient_id) = query.patient_id {
            $qb.push(" AND p.patient_id = ").push_bind(patient_id);
        }
        if let Some(location_id) = &query.location_id {
            $qb.push(" AND p.location_id = ")
                .push_bind(location_id.clone());
        }
        push_in!($qb, "p.location_id", query.location_ids);
        push_in!($qb, "p.medium", query.mediums);
        push_in!($qb, "p.status", query.statuses);
        match query.medium_kind {
            None => {}
            Some(MediumKind::Processor) => {
                push_in!($qb, "p.medium", PROCESSOR_MEDIUMS);
            }
            Some(MediumKind::PatientCredit) => {
                $qb.push(" AND p.medium = ").push_bind(PATIENT_CREDIT);
            }
            Some(MediumKind::ExternalSettlement) => {
                $qb.push(" AND p.medium NOT IN (");
                let mut separated = $qb.separated(", ");
                for medium in PROCESSOR_MEDIUMS.iter().chain([&PATIENT_CREDIT]) {
                    separated.push_bind(*medium);
                }
                $qb.push(")");
            }
        }
        push_amount_range!($qb, "p.amount", &query.amount);
        if let Some(comment) = &query.comment {
            $qb.push(" AND LOWER(p.comment) LIKE ")
                .push_bind(contains(comment))
                .push(" ESCAPE '\\'");
        }
        if let Some(payer) = &query.payer {
            push_patient_name!($qb, "p.patient_id", $tenant_id, payer);
        }
        if let Some(external_id) = &query.patient_external_id {
            push_patient_external_id!($qb, "p.patient_id", $tenant_id, external_id.clone());
        }
        if let Some(range) = &query.created {
            push_time_range!($qb, $backend, "p.created_at", range);
        }
        if let Some(creator_id) = &query.creator_id {
            $qb.push(" AND p.creator_id = ")
                .push_bind(creator_id.clone());
        }
        if let Some(name) = &query.creator_name {
            let provider_id = uuid_text($backend, "v.id");
            $qb.push(format_args!(
                " AND p.creator_id IN (SELECT {provider_id} FROM providers v WHERE v.tenant_id = "
            ))
            .push_bind($tenant_id);
            push_name_contains!($qb, "v", name);
            $qb.push(")");
        }
        if let Some(provider_id) = &query.provider_id {
            $qb.push(" AND (p.creator_id = ")
                .push_bind(provider_id.clone())
                .push(" OR p.id IN (SELECT r.payment_id FROM refunds r WHERE r.tenant_id = ")
                .push_bind($tenant_id)
                .push(" AND r.provider_id = ")
                .push_bind(provider_id.clone())
                .push("))");
        }
    }};
}

const SELECT_PAYMENT_WITH_PATIENT: &str = concat!(
    "SELECT ",
    payment_columns!(),
    ", pt.first_name, pt.last_name, pt.external_id AS patient_external_id, pt.email, \
     pt.phone_number FROM payments p LEFT JOIN patients pt ON pt.tenant_id = p.tenant_id \
     AND pt.id = p.patient_id"
);

impl Store {
    /// One page of the payment table and how many payments match in all.
    pub async fn payment_table(
        &self,
        tenant_id: Uuid,
        query: &PaymentTableQuery,
    ) -> StoreResult<(Vec<PaymentTableRow>, i64)> {
        let backend = self.backend();
        let direction = if query.descending { "DESC" } else { "ASC" };
        let key = query.sort.key();
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(SELECT_PAYMENT_WITH_PATIENT);
            push_payment_filters!(qb, backend, tenant_id, query);
            qb.push(format_args!(" ORDER BY {key} {direction}, p.id {direction} LIMIT "))
                .push_bind(query.limit)
                .push(" OFFSET ")
                .push_bind(query.offset);
            qb.build_query_as::<PaymentTableRow>().fetch_all(pool).await
        })?;
        let total = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM payments p");
            push_payment_filters!(qb, backend, tenant_id, query);
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok((rows, total))
    }
}
