//! Listing charge captures: filters, ranking hints and keyset pages.
//!
//! Every filter is one SQL condition on a `charge_captures` row. Filters on values read
//! out of the charge data go through `charge_capture_facets` (an index lookup); filters on
//! the claim go through `claim_creations` and `claims`. The same conditions serve as
//! ranking hints: each hint a row satisfies adds one to its rank, and higher ranks list
//! first.

use copay_domain::facets::Facet;
use sqlx::FromRow;
use time::Date;
use uuid::Uuid;

use crate::charge_captures::{ChargeCaptureRow, CountQuery, date_key};

/// Stored JSON read as text, checked but not parsed into a tree.
pub type RawJson = sqlx::types::Json<Box<serde_json::value::RawValue>>;
use crate::{Store, StoreResult, on_db};

/// What a charge-capture list may filter on. Empty lists and `None` filter nothing;
/// every given filter must match.
#[derive(Debug, Clone, Default)]
pub struct ChargeCaptureFilter {
    pub status: Option<String>,
    pub patient_external_id: Option<String>,
    pub charge_external_id: Option<String>,
    pub date_of_service_min: Option<Date>,
    pub date_of_service_max: Option<Date>,
    pub claim_ids: Vec<Uuid>,
    pub claim_creation_ids: Vec<Uuid>,
    /// Status of the claim the charge's creation produced.
    pub claim_status: Option<String>,
    pub exclude_linked_to_claim_creations: bool,
    /// Each entry: the charge has this facet with one of these (normalized) values.
    pub facets: Vec<(Facet, Vec<String>)>,
    /// Each word is the prefix of one of the charge's search words, or (a UUID) the id of
    /// the claim it produced.
    pub search_words: Vec<String>,
    /// The charge matches at least one of these metadata instances.
    pub metadata_any: Option<Vec<MetadataMatch>>,
}

/// One metadata instance asked for: a charge matches when it has an instance of the
/// schema holding every entry (stored form, see `copay_domain::facets::metadata_entry`).
#[derive(Debug, Clone)]
pub struct MetadataMatch {
    pub schema_id: String,
    pub entries: Vec<String>,
}

/// One SQL condition on a charge-capture row `c`.
enum Condition<'a> {
    Column(&'static str, &'a str),
    DateMin(Date),
    DateMax(Date),
    ClaimIds(&'a [Uuid]),
    ClaimCreationIds(&'a [Uuid]),
    ClaimStatus(&'a str),
    NotLinked,
    Facet(Facet, &'a [String]),
    SearchWord(&'a str),
    Metadata(&'a [MetadataMatch]),
}

impl ChargeCaptureFilter {
    fn conditions(&self) -> Vec<Condition<'_>> {
        let mut out = Vec::new();
        if let Some(value) = &self.status {
            out.push(Condition::Column("status", value));
        }
        if let Some(value) = &self.patient_external_id {
            out.push(Condition::Column("patient_external_id", value));
        }
        if let Some(value) = &self.charge_external_id {
            out.push(Condition::Column("charge_external_id", value));
        }
        if let Some(min) = self.date_of_service_min {
            out.push(Condition::DateMin(min));
        }
        if let Some(max) = self.date_of_service_max {
            out.push(Condition::DateMax(max));
        }
        if !self.claim_ids.is_empty() {
            out.push(Condition::ClaimIds(&self.claim_ids));
        }
        if !self.claim_creation_ids.is_empty() {
            out.push(Condition::ClaimCreationIds(&self.claim_creation_ids));
        }
        if let Some(value) = &self.claim_status {
            out.push(Condition::ClaimStatus(value));
        }
        if self.exclude_linked_to_claim_creations {
            out.push(Condition::NotLinked);
        }
        for (facet, values) in &self.facets {
            if !values.is_empty() {
                out.push(Condition::Facet(*facet, values));
            }
        }
        for word in &self.search_words {
            out.push(Condition::SearchWord(word));
        }
        if let Some(instances) = &self.metadata_any {
            out.push(Condition::Metadata(instances));
        }
        out
    }

    /// True when at least one condition was given.
    pub fn has_conditions(&self) -> bool {
        !self.conditions().is_empty()
    }

    /// The stored counts that count exactly the matching rows, when the only conditions
    /// are a status and bounds on the date of service; `None` when rows must be counted.
    fn stored_count_query(&self) -> Option<CountQuery<'_>> {
        let mut query = CountQuery::default();
        for condition in self.conditions() {
            match condition {
                Condition::Column("status", value) => query.status = Some(value),
                Condition::DateMin(date) => query.date_min = Some(date),
                Condition::DateMax(date) => query.date_max = Some(date),
                _ => return None,
            }
        }
        Some(query)
    }

    /// The facet value whose index can drive a newest-first page: the first facet filter
    /// naming one value. Its index lists the captures having it in id order, so the page
    /// is cut after reading as many index entries as it shows.
    /// Also returns the condition's position among `conditions()`: the join to the facet
    /// row already applies it.
    fn driving_facet(&self) -> Option<(usize, Facet, &str)> {
        self.conditions()
            .into_iter()
            .enumerate()
            .find_map(|(at, condition)| match condition {
                Condition::Facet(facet, [value]) => Some((at, facet, value.as_str())),
                _ => None,
            })
    }

    /// When the only condition is on facets, the matching captures are counted in the
    /// facet index alone, without visiting a capture row.
    fn only_facet_condition(&self) -> Option<(Facet, FacetValues<'_>)> {
        match self.conditions().as_slice() {
            [Condition::Facet(facet, values)] => Some((*facet, FacetValues::OneOf(values))),
            // A search word that is a UUID also matches the charges of that claim.
            [Condition::SearchWord(word)] if Uuid::parse_str(word).is_err() => {
                Some((Facet::SearchWord, FacetValues::Prefix(word)))
            }
            _ => None,
        }
    }

    /// True when a filter was given that no row can match (an empty `metadata_any`).
    fn matches_nothing(&self) -> bool {
        self.metadata_any.as_ref().is_some_and(Vec::is_empty)
    }
}

/// The smallest text greater than every text starting with `prefix` (byte-wise).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

/// Appends the condition on a facet row `f` of a facet filter: one of the values, or a
/// search word's prefix range.
macro_rules! push_facet_match {
    ($qb:expr, $tenant:expr, $facet:expr, $values:expr) => {{
        let qb = &mut *$qb;
        qb.push("f.tenant_id = ")
            .push_bind($tenant)
            .push(" AND f.facet = ")
            .push_bind($facet.as_str());
        match $values {
            FacetValues::OneOf(values) => push_in!(qb, "f.value", values),
            FacetValues::Prefix(word) => {
                qb.push(" AND f.value >= ")
                    .push_bind(word.to_string())
                    .push(" AND f.value < ")
                    .push_bind(prefix_end(word));
            }
        }
    }};
}

/// What a facet filter asks of the facet's value.
enum FacetValues<'a> {
    OneOf(&'a [String]),
    Prefix(&'a str),
}

/// Appends one condition as a parenthesised boolean expression.
macro_rules! push_condition {
    ($qb:expr, $tenant:expr, $condition:expr) => {{
        let qb = &mut *$qb;
        const IN_FACETS: &str = "c.id IN (SELECT f.charge_capture_id FROM charge_capture_facets f WHERE ";
        match $condition {
            Condition::Column(column, value) => {
                qb.push(format_args!("(c.{column} = ")).push_bind(value.to_string()).push(")");
            }
            Condition::DateMin(min) => {
                qb.push("(c.date_of_service_key >= ").push_bind(date_key(Some(*min))).push(")");
            }
            Condition::DateMax(max) => {
                qb.push("(c.date_of_service_key <> '' AND c.date_of_service_key <= ")
                    .push_bind(date_key(Some(*max)))
                    .push(")");
            }
            Condition::ClaimIds(ids) => {
                qb.push("(c.claim_creation_id IN (SELECT cc.id FROM claim_creations cc WHERE cc.tenant_id = ")
                    .push_bind($tenant);
                push_in!(qb, "cc.claim_id", ids);
                qb.push("))");
            }
            Condition::ClaimCreationIds(ids) => {
                qb.push("(1 = 1");
                push_in!(qb, "c.claim_creation_id", ids);
                qb.push(")");
            }
            Condition::ClaimStatus(status) => {
                qb.push("(c.claim_creation_id IN (SELECT cc.id FROM claim_creations cc JOIN claims k \
                         ON k.id = cc.claim_id WHERE cc.tenant_id = ")
                    .push_bind($tenant)
                    .push(" AND k.tenant_id = ")
                    .push_bind($tenant)
                    .push(" AND k.status = ")
                    .push_bind(status.to_string())
                    .push("))");
            }
            Condition::NotLinked => {
                qb.push("(c.claim_creation_id IS NULL)");
            }
            Condition::Facet(facet, values) => {
                qb.push("(").push(IN_FACETS);
                push_facet_match!(qb, $tenant, facet, FacetValues::OneOf(values));
                qb.push("))");
            }
            Condition::SearchWord(word) => {
                qb.push("(").push(IN_FACETS);
                push_facet_match!(qb, $tenant, Facet::SearchWord, FacetValues::Prefix(word));
                qb.push(")");
                if let Ok(claim_id) = Uuid::parse_str(word) {
                    qb.push(" OR c.claim_creation_id IN (SELECT cc.id FROM claim_creations cc WHERE cc.tenant_id = ")
                        .push_bind($tenant)
                        .push(" AND cc.claim_id = ")
                        .push_bind(claim_id)
                        .push(")");
                }
                qb.push(")");
            }
            Condition::Metadata(instances) => {
                qb.push("(1 = 0");
                for instance in instances.iter() {
                    qb.push(" OR (").push(IN_FACETS);
                    let schema = std::slice::from_ref(&instance.schema_id);
                    push_facet_match!(qb, $tenant, Facet::MetadataSchema, FacetValues::OneOf(schema));
                    qb.push(")");
                    for entry in &instance.entries {
                        qb.push(" AND ").push(IN_FACETS);
                        let entry = std::slice::from_ref(entry);
                        push_facet_match!(qb, $tenant, Facet::MetadataEntry, FacetValues::OneOf(entry));
                        qb.push(")");
                    }
                    qb.push(")");
                }
                qb.push(")");
            }
        }
    }};
}

/// Appends ` WHERE` with the tenant and every filter condition (but the one at `$skip`).
macro_rules! push_where {
    ($qb:expr, $tenant:expr, $filter:expr) => {
        push_where!($qb, $tenant, $filter, None::<usize>)
    };
    ($qb:expr, $tenant:expr, $filter:expr, $skip:expr) => {{
        let qb = &mut $qb;
        qb.push(" WHERE c.tenant_id = ").push_bind($tenant);
        for (at, condition) in $filter.conditions().iter().enumerate() {
            if Some(at) != $skip {
                qb.push(" AND ");
                push_condition!(qb, $tenant, condition);
            }
        }
    }};
}

/// Appends the rank: how many of the hints a row satisfies.
macro_rules! push_rank {
    ($qb:expr, $tenant:expr, $hints:expr) => {{
        let qb = &mut $qb;
        qb.push("(0");
        for condition in $hints {
            qb.push(" + CASE WHEN ");
            push_condition!(qb, $tenant, condition);
            qb.push(" THEN 1 ELSE 0 END");
        }
        qb.push(")");
    }};
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeCaptureSort {
    /// Ids are UUIDv7, so id order is creation order.
    CreatedAt,
    DateOfService,
}

/// Where the previous page ended: the last row's rank, sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagePosition {
    pub rank: i64,
    pub key: String,
    pub id: Uuid,
}

/// One page request: sort, direction, size, ranking hints and where to continue.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub sort: ChargeCaptureSort,
    pub descending: bool,
    pub limit: u32,
    /// Rows matching more of these hints come first.
    pub rank_by: ChargeCaptureFilter,
    pub after: Option<PagePosition>,
}

#[derive(Debug, Clone, FromRow)]
pub struct RankedChargeCaptureRow {
    #[sqlx(flatten)]
    pub row: ChargeCaptureRow<RawJson>,
    pub rank: i64,
}

impl RankedChargeCaptureRow {
    pub fn position(&self) -> PagePosition {
        PagePosition {
            rank: self.rank,
            key: date_key(self.row.date_of_service),
            id: self.row.id,
        }
    }
}

const COLUMNS: &str = "SELECT c.id, c.tenant_id, c.charge_external_id, c.patient_external_id, c.status, c.data, \
     c.date_of_service, c.originating_system, c.claim_creation_category, c.ehr_source_url, \
     c.attachment_external_document_ids, c.metadata, c.hl7_message_type, c.claim_creation_id, \
     c.pre_encounter_patient_id, c.pre_encounter_appointment_ids, c.created_at, c.updated_at, ";

impl Store {
    /// One page of a tenant's charge captures (at most `page.limit` rows, plus one more
    /// fetched to know whether another page follows) and the count of all matching rows.
    pub async fn list_charge_captures(
        &self,
        tenant_id: Uuid,
        filter: &ChargeCaptureFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<RankedChargeCaptureRow>, i64)> {
        if filter.matches_nothing() {
            return Ok((Vec::new(), 0));
        }
        let (comparison, direction) = if page.descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        let hints = page.rank_by.conditions();
        let ranked = !hints.is_empty();
        let driving = match page.sort {
            ChargeCaptureSort::CreatedAt if !ranked => filter.driving_facet(),
            _ => None,
        };
        // A lone search word: its page is the newest (oldest) ids of each word it is a
        // prefix of, read from the facet index word by word, when there are few such words.
        let words = match (page.sort, filter.only_facet_condition()) {
            (
                ChargeCaptureSort::CreatedAt,
                Some((Facet::SearchWord, FacetValues::Prefix(prefix))),
            ) if !ranked => {
                let words = self
                    .search_words_with_prefix(tenant_id, prefix, MAX_PAGED_WORDS + 1)
                    .await?;
                if words.is_empty() {
                    return Ok((Vec::new(), 0));
                }
                (words.len() <= MAX_PAGED_WORDS).then_some(words)
            }
            _ => None,
        };
        let limit = i64::from(page.limit) + 1;
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(COLUMNS);
            // PostgreSQL sums integers as int4; the row reads an i64.
            qb.push("CAST(");
            push_rank!(qb, tenant_id, &hints);
            qb.push(" AS BIGINT) AS rank FROM ");
            if let Some((at, facet, value)) = driving {
                // Ordered by the facet row's id, the page reads the facet index backwards
                // (or forwards) and stops at its end. CROSS JOIN makes SQLite take the
                // facet rows as the outer loop (PostgreSQL plans it as an inner join).
                qb.push("charge_capture_facets d CROSS JOIN charge_captures c");
                push_where!(qb, tenant_id, filter, Some(at));
                qb.push(" AND c.id = d.charge_capture_id AND d.tenant_id = ")
                    .push_bind(tenant_id)
                    .push(" AND d.facet = ")
                    .push_bind(facet.as_str())
                    .push(" AND d.value = ")
                    .push_bind(value.to_string());
            } else if let Some(words) = &words {
                qb.push("charge_captures c");
                push_where!(qb, tenant_id, filter, Some(0));
                qb.push(" AND c.id IN (SELECT id FROM (");
                for (at, word) in words.iter().enumerate() {
                    if at > 0 {
                        qb.push(" UNION ");
                    }
                    qb.push("SELECT id FROM (SELECT f.charge_capture_id AS id FROM charge_capture_facets f WHERE ");
                    push_facet_match!(&mut qb, tenant_id, Facet::SearchWord, FacetValues::OneOf(std::slice::from_ref(word)));
                    if let Some(after) = &page.after {
                        qb.push(format_args!(" AND f.charge_capture_id {comparison} ")).push_bind(after.id);
                    }
                    qb.push(format_args!(" ORDER BY f.charge_capture_id {direction} LIMIT "))
                        .push_bind(limit)
                        .push(format_args!(") w{at}"));
                }
                qb.push(format_args!(") u ORDER BY id {direction} LIMIT ")).push_bind(limit).push(")");
            } else {
                qb.push("charge_captures c");
                push_where!(qb, tenant_id, filter);
            }
            if let Some(after) = &page.after {
                qb.push(" AND (");
                if ranked {
                    push_rank!(qb, tenant_id, &hints);
                    qb.push(" < ").push_bind(after.rank).push(" OR (");
                    push_rank!(qb, tenant_id, &hints);
                    qb.push(" = ").push_bind(after.rank).push(" AND ");
                }
                match page.sort {
                    ChargeCaptureSort::CreatedAt if driving.is_some() => {
                        qb.push(format_args!("d.charge_capture_id {comparison} ")).push_bind(after.id);
                    }
                    ChargeCaptureSort::CreatedAt => {
                        qb.push(format_args!("c.id {comparison} ")).push_bind(after.id);
                    }
                    ChargeCaptureSort::DateOfService => {
                        qb.push(format_args!("(c.date_of_service_key, c.id) {comparison} ("))
                            .push_bind(after.key.clone())
                            .push(", ")
                            .push_bind(after.id)
                            .push(")");
                    }
                }
                qb.push(if ranked { "))" } else { ")" });
            }
            qb.push(" ORDER BY ");
            if ranked {
                qb.push("rank DESC, ");
            }
            match page.sort {
                ChargeCaptureSort::CreatedAt if driving.is_some() => {
                    qb.push(format_args!("d.charge_capture_id {direction} LIMIT "))
                }
                ChargeCaptureSort::CreatedAt => qb.push(format_args!("c.id {direction} LIMIT ")),
                ChargeCaptureSort::DateOfService => qb.push(format_args!(
                    "c.date_of_service_key {direction}, c.id {direction} LIMIT "
                )),
            };
            qb.push_bind(limit);
            qb.build_query_as::<RankedChargeCaptureRow>().fetch_all(pool).await
        })?;
        if let Some(query) = filter.stored_count_query() {
            let count = self.charge_capture_count(tenant_id, &query).await?;
            return Ok((rows, count));
        }
        // One facet value alone, or a search prefix of exactly one word: the stored count.
        let counted_value = match filter.only_facet_condition() {
            Some((facet, FacetValues::OneOf([value]))) => Some((facet, value.clone())),
            Some((facet, FacetValues::Prefix(prefix))) => {
                let mut words = match &words {
                    Some(words) => words.clone(),
                    None => self.search_words_with_prefix(tenant_id, prefix, 2).await?,
                };
                match (words.pop(), words.is_empty()) {
                    (Some(word), true) => Some((facet, word)),
                    (None, _) => return Ok((rows, 0)),
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some((facet, value)) = counted_value {
            let count = self
                .charge_capture_facet_count(tenant_id, facet, &value)
                .await?;
            return Ok((rows, count));
        }
        let count: i64 = on_db!(self, pool => {
            let mut qb;
            if let Some((facet, values)) = filter.only_facet_condition() {
                qb = sqlx::QueryBuilder::new(
                    "SELECT COUNT(DISTINCT f.charge_capture_id) FROM charge_capture_facets f WHERE ",
                );
                push_facet_match!(&mut qb, tenant_id, facet, values);
            } else {
                qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM charge_captures c");
                push_where!(qb, tenant_id, filter);
            }
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok((rows, count))
    }
}

/// The most search words a lone search prefix may match for its page to be read word by
/// word; a prefix matching more is listed like any other filter.
const MAX_PAGED_WORDS: usize = 16;

impl Store {
    /// Up to `max` distinct search words of the tenant starting with `prefix`, in order.
    /// Each step seeks the next word in the index (a loose index scan), so a word held by
    /// many captures costs one seek, not one read per capture.
    async fn search_words_with_prefix(
        &self,
        tenant_id: Uuid,
        prefix: &str,
        max: usize,
    ) -> StoreResult<Vec<String>> {
        let words = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "WITH RECURSIVE words (word, n) AS (SELECT (SELECT MIN(f.value) FROM charge_capture_facets f WHERE ",
            );
            push_facet_match!(&mut qb, tenant_id, Facet::SearchWord, FacetValues::Prefix(prefix));
            // The next word is sought from the previous one alone: given the prefix's lower
            // bound too, SQLite seeks from that and reads every entry of the words before.
            qb.push("), 1 UNION ALL SELECT (SELECT MIN(f.value) FROM charge_capture_facets f WHERE f.tenant_id = ")
                .push_bind(tenant_id)
                .push(" AND f.facet = ")
                .push_bind(Facet::SearchWord.as_str())
                .push(" AND f.value > words.word AND f.value < ")
                .push_bind(prefix_end(prefix))
                .push("), words.n + 1 FROM words WHERE words.word IS NOT NULL AND words.n < ")
                .push_bind(i64::try_from(max).unwrap_or(i64::MAX))
                .push(") SELECT word FROM words WHERE word IS NOT NULL ORDER BY word");
            qb.build_query_scalar::<String>().fetch_all(pool).await
        })?;
        Ok(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_extension_of_the_prefix() {
        let end = prefix_end("jan");
        for word in ["jan", "jane", "janus", "jan\u{FFFF}z"] {
            assert!(word >= "jan" && word < end.as_str(), "{word}");
        }
        for word in ["jam", "jao", "ja"] {
            assert!(!(word >= "jan" && word < end.as_str()), "{word}");
        }
    }
}
