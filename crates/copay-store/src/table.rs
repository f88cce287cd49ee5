//! What the Gen-2 tables (`/billing/charge/table`, `/billing/payment/table`) share: time
//! and amount ranges, contains-matching, and the SQL fragments that filter on them.
//!
//! SQLite keeps timestamps as RFC 3339 text with a trimmed fraction, which does not order
//! as text within a second; time ranges there compare `julianday()` (millisecond
//! precision), which the `*_by_created_time` expression indexes serve.

use time::OffsetDateTime;

use crate::Backend;

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

/// Lowercase `LIKE` pattern matching `text` anywhere, wildcards escaped.
pub(crate) fn contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column` as something that orders by instant on this backend.
pub(crate) fn instant(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!("julianday({column})"),
        Backend::Postgres => column.to_string(),
    }
}

/// A UUID column as the canonical text form (lowercase, hyphenated), to compare with ids
/// kept as text. SQLite stores a UUID as 16 bytes.
pub(crate) fn uuid_text(backend: Backend, column: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "lower(substr(hex({column}), 1, 8) || '-' || substr(hex({column}), 9, 4) || '-' || \
             substr(hex({column}), 13, 4) || '-' || substr(hex({column}), 17, 4) || '-' || \
             substr(hex({column}), 21, 12))"
        ),
        Backend::Postgres => format!("CAST({column} AS TEXT)"),
    }
}

/// Appends ` AND <instant(column)> <op> <bound>` for each end of `$range`.
macro_rules! push_time_range {
    ($qb:expr, $backend:expr, $column:expr, $range:expr) => {{
        let range: &$crate::table::TimeRange = $range;
        let bound_open = match $backend {
            $crate::Backend::Sqlite => "julianday(",
            $crate::Backend::Postgres => "(",
        };
        let column = $crate::table::instant($backend, $column);
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
pub(crate) use push_time_range;

/// Appends ` AND <column> >= min AND <column> <= max` for the ends `$range` has.
macro_rules! push_amount_range {
    ($qb:expr, $column:expr, $range:expr) => {{
        let range: &$crate::table::AmountRange = $range;
        let column: &str = $column;
        if let Some(min) = range.min {
            $qb.push(format_args!(" AND {column} >= ")).push_bind(min);
        }
        if let Some(max) = range.max {
            $qb.push(format_args!(" AND {column} <= ")).push_bind(max);
        }
    }};
}
pub(crate) use push_amount_range;

/// Appends ` AND (<alias>.first_name, last_name or "first last" contains $text)`, without
/// case, for a table with nullable `first_name` and `last_name` (patients, providers).
macro_rules! push_name_contains {
    ($qb:expr, $alias:literal, $text:expr) => {{
        let pattern = $crate::table::contains($text);
        $qb.push(concat!(" AND (LOWER(", $alias, ".first_name) LIKE "))
            .push_bind(pattern.clone())
            .push(concat!(
                " ESCAPE '\\' OR LOWER(",
                $alias,
                ".last_name) LIKE "
            ))
            .push_bind(pattern.clone())
            .push(concat!(
                " ESCAPE '\\' OR LOWER(COALESCE(",
                $alias,
                ".first_name, '') || ' ' || COALESCE(",
                $alias,
                ".last_name, '')) LIKE "
            ))
            .push_bind(pattern)
            .push(" ESCAPE '\\')");
    }};
}
pub(crate) use push_name_contains;

/// Appends ` AND <column> IN (the tenant's patients whose name contains $text)`.
macro_rules! push_patient_name {
    ($qb:expr, $column:literal, $tenant_id:expr, $text:expr) => {{
        $qb.push(concat!(
            " AND ",
            $column,
            " IN (SELECT pn.id FROM patients pn WHERE pn.tenant_id = "
        ))
        .push_bind($tenant_id);
        $crate::table::push_name_contains!($qb, "pn", $text);
        $qb.push(")");
    }};
}
pub(crate) use push_patient_name;

/// Appends ` AND <column> IN (the tenant's patient with that external id)`.
macro_rules! push_patient_external_id {
    ($qb:expr, $column:literal, $tenant_id:expr, $external_id:expr) => {{
        $qb.push(concat!(
            " AND ",
            $column,
            " IN (SELECT pe.id FROM patients pe WHERE pe.tenant_id = "
        ))
        .push_bind($tenant_id)
        .push(" AND pe.external_id = ")
        .push_bind($external_id)
        .push(")");
    }};
}
pub(crate) use push_patient_external_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_escapes_like_wildcards() {
        assert_eq!(contains("50%_A\\b"), "%50\\%\\_a\\\\b%");
    }
}
