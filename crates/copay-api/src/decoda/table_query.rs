//! What the Gen-2 tables' queries share (`/billing/charge/table`, `/billing/payment/table`):
//! numbered pages, a sort and its direction, the snapshot that keeps paging stable, id
//! filters, amount ranges, and time ranges read in the caller's time zone (`tz`, an IANA
//! name, default UTC).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use time_tz::{Offset, PrimitiveDateTimeExt, TimeZone, timezones};
use uuid::Uuid;

use copay_service::charge_table::{AmountRange, MAX_PER_PAGE, TimeRange};

use crate::query::QueryParams;
use crate::wire::FieldError;

pub const DEFAULT_PER_PAGE: i64 = 50;

pub(crate) fn error(key: &str, message: impl Into<String>, kind: &'static str) -> FieldError {
    FieldError::at(&[key], message, kind)
}

/// The zone day boundaries are read in.
#[derive(Clone, Copy)]
pub(crate) enum Zone {
    Fixed(UtcOffset),
    Named(&'static time_tz::Tz),
}

impl Zone {
    fn parse(text: &str) -> Option<Zone> {
        if text.eq_ignore_ascii_case("UTC") || text.eq_ignore_ascii_case("Z") {
            return Some(Zone::Fixed(UtcOffset::UTC));
        }
        if let Ok(offset) = UtcOffset::parse(
            text,
            format_description!("[offset_hour sign:mandatory]:[offset_minute]"),
        ) {
            return Some(Zone::Fixed(offset));
        }
        timezones::get_by_name(text).map(Zone::Named)
    }

    /// The instant a wall-clock time names here. A time skipped by a DST change is read
    /// with the offset in force just before it; a repeated one as its first occurrence.
    fn instant(self, local: PrimitiveDateTime) -> OffsetDateTime {
        match self {
            Zone::Fixed(offset) => local.assume_offset(offset),
            Zone::Named(tz) => local.assume_timezone(tz).take_first().unwrap_or_else(|| {
                let before = local.assume_utc() - Duration::hours(12);
                let offset = tz.get_offset_utc(&before).to_utc();
                local.assume_offset(offset)
            }),
        }
    }

    fn start_of(self, day: Date) -> OffsetDateTime {
        self.instant(PrimitiveDateTime::new(day, Time::MIDNIGHT))
    }

    fn date_of(self, at: OffsetDateTime) -> Date {
        match self {
            Zone::Fixed(offset) => at.to_offset(offset).date(),
            Zone::Named(tz) => at.to_offset(tz.get_offset_utc(&at).to_utc()).date(),
        }
    }
}

/// A bound as given: a calendar day, or an instant (a date-time without offset is read in
/// the zone).
enum Bound {
    Day(Date),
    At(OffsetDateTime),
}

fn bound(key: &str, text: &str, zone: Zone) -> Result<Bound, FieldError> {
    if let Ok(day) = Date::parse(text, format_description!("[year]-[month]-[day]")) {
        return Ok(Bound::Day(day));
    }
    if let Ok(at) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(Bound::At(at));
    }
    let local = PrimitiveDateTime::parse(
        text,
        format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
        ),
    )
    .map_err(|_| {
        error(
            key,
            format!("{text:?} is not a date (YYYY-MM-DD) or an RFC 3339 date-time"),
            "datetime_parsing",
        )
    })?;
    Ok(Bound::At(zone.instant(local)))
}

fn next_day(key: &str, day: Date) -> Result<Date, FieldError> {
    day.next_day()
        .ok_or_else(|| error(key, "date is out of range", "value_error"))
}

/// `tz`: an IANA zone name, `UTC`, or a fixed offset (`+05:30`); default UTC.
pub(crate) fn zone(query: &QueryParams) -> Result<Zone, FieldError> {
    match query.string("tz") {
        None => Ok(Zone::Fixed(UtcOffset::UTC)),
        Some(name) => Zone::parse(&name).ok_or_else(|| {
            error(
                "tz",
                format!(
                    "{name:?} is not a time zone (an IANA name such as America/New_York, or UTC)"
                ),
                "value_error",
            )
        }),
    }
}

/// One value: that whole day (of a date, or of a date-time's local date). Two values: from
/// the first to the second, both inclusive (a date as the second means to its end).
pub(crate) fn time_range(
    query: &QueryParams,
    key: &str,
    zone: Zone,
) -> Result<Option<TimeRange>, FieldError> {
    let values = query.strings(key);
    match values.as_slice() {
        [] => Ok(None),
        [one] => {
            let day = match bound(key, one, zone)? {
                Bound::Day(day) => day,
                Bound::At(at) => zone.date_of(at),
            };
            Ok(Some(TimeRange {
                from: Some(zone.start_of(day)),
                until: Some(zone.start_of(next_day(key, day)?)),
                until_inclusive: false,
            }))
        }
        [first, second] => {
            let from = match bound(key, first, zone)? {
                Bound::Day(day) => zone.start_of(day),
                Bound::At(at) => at,
            };
            let (until, until_inclusive) = match bound(key, second, zone)? {
                Bound::Day(day) => (zone.start_of(next_day(key, day)?), false),
                Bound::At(at) => (at, true),
            };
            if until < from {
                return Err(error(key, "the range ends before it starts", "value_error"));
            }
            Ok(Some(TimeRange {
                from: Some(from),
                until: Some(until),
                until_inclusive,
            }))
        }
        _ => Err(error(
            key,
            "give one date, or two date-times (from, to)",
            "value_error",
        )),
    }
}

/// `[min]` or `[min, max]` in whole cents.
pub(crate) fn amount_range(query: &QueryParams, key: &str) -> Result<AmountRange, FieldError> {
    let values = query.parsed_list::<i64>(key, "a whole number of cents")?;
    match values.as_slice() {
        [] => Ok(AmountRange::default()),
        [min] => Ok(AmountRange {
            min: Some(*min),
            max: None,
        }),
        [min, max] if min <= max => Ok(AmountRange {
            min: Some(*min),
            max: Some(*max),
        }),
        [_, _] => Err(error(
            key,
            "the minimum is above the maximum",
            "value_error",
        )),
        _ => Err(error(
            key,
            "give a minimum, or a minimum and a maximum",
            "value_error",
        )),
    }
}

/// An id filter: text that is not a UUID names nothing of copay's, so it matches nothing.
pub(crate) fn id_filter(query: &QueryParams, key: &str) -> Option<Uuid> {
    query
        .string(key)
        .map(|id| Uuid::parse_str(&id).unwrap_or(Uuid::nil()))
}

/// A list filter whose values must each be one of `allowed`.
pub(crate) fn enum_list(
    query: &QueryParams,
    key: &str,
    allowed: &[&str],
) -> Result<Vec<String>, FieldError> {
    let values = query.strings(key);
    match values
        .iter()
        .find(|value| !allowed.contains(&value.as_str()))
    {
        Some(bad) => Err(error(
            key,
            format!("{bad:?} is not one of {}", allowed.join(", ")),
            "enum",
        )),
        None => Ok(values),
    }
}

/// A page, a sort and a snapshot, as every table reads them.
pub(crate) struct Paging<S> {
    pub sort: S,
    pub descending: bool,
    pub offset: i64,
    pub limit: i64,
    pub snapshot: Option<Uuid>,
}

/// `page` ≥ 1 (default 1), `per_page` 1–[`MAX_PER_PAGE`] (default 50), `sort_by` one of
/// `sorts` (default the first), `sort_direction` `asc`/`desc` (default `desc`) and
/// `snapshot` (a `Copay-Snapshot` a first page returned).
pub(crate) fn paging<S: Copy>(
    query: &QueryParams,
    sorts: &[(&str, S)],
) -> Result<Paging<S>, FieldError> {
    let page = query.parsed::<i64>("page", "a whole number")?.unwrap_or(1);
    if page < 1 {
        return Err(error("page", "must be at least 1", "greater_than_equal"));
    }
    let per_page = query
        .parsed::<i64>("per_page", "a whole number")?
        .unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(error(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
            "value_error",
        ));
    }
    let offset = (page - 1)
        .checked_mul(per_page)
        .ok_or_else(|| error("page", "is too large", "value_error"))?;
    let sort_names: Vec<&str> = sorts.iter().map(|(name, _)| *name).collect();
    let chosen = query.one_of("sort_by", &sort_names)?;
    let sort = sorts
        .iter()
        .find(|(name, _)| chosen.as_deref().is_none_or(|chosen| chosen == *name))
        .map(|(_, sort)| *sort)
        .ok_or_else(|| error("sort_by", "no sort is available", "value_error"))?;
    let descending = query.one_of("sort_direction", &["asc", "desc"])?.as_deref() != Some("asc");
    let snapshot = query
        .string("snapshot")
        .map(|id| {
            Uuid::parse_str(&id).map_err(|_| {
                error(
                    "snapshot",
                    "is not a snapshot a previous page returned",
                    "uuid_parsing",
                )
            })
        })
        .transpose()?;
    Ok(Paging {
        sort,
        descending,
        offset,
        limit: per_page,
        snapshot,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> QueryParams {
        QueryParams::parse(Some(query))
    }

    #[test]
    fn the_first_sort_is_the_default_and_pages_become_offsets() {
        let sorts = [("a", 1), ("b", 2)];
        let paging = paging(&params("page=3&per_page=20"), &sorts).unwrap();
        assert_eq!((paging.sort, paging.descending), (1, true));
        assert_eq!((paging.offset, paging.limit), (40, 20));
        let paging = super::paging(&params("sort_by=b&sort_direction=asc"), &sorts).unwrap();
        assert_eq!((paging.sort, paging.descending), (2, false));
        let error = super::paging(&params("sort_by=c"), &sorts).err().unwrap();
        assert_eq!(error.dotted_path(), "sort_by");
    }

    #[test]
    fn enum_lists_name_the_bad_value() {
        let query = params("status=A&status=C");
        assert_eq!(
            enum_list(&params("status=A"), "status", &["A", "B"]).unwrap(),
            ["A"]
        );
        let error = enum_list(&query, "status", &["A", "B"]).err().unwrap();
        assert_eq!(error.dotted_path(), "status");
    }
}
