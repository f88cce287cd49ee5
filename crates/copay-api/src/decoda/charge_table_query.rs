//! The query of Gen-2 `/billing/charge/table`: page, sort and every filter, with the
//! time ranges read in the caller's time zone (`tz`, an IANA name, default UTC).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use time_tz::{Offset, PrimitiveDateTimeExt, TimeZone, timezones};
use uuid::Uuid;

use copay_service::charge_table::{
    AmountRange, ChargeTableQuery, ChargeTableSort, MAX_PER_PAGE, TimeRange,
};

use crate::query::QueryParams;
use crate::wire::FieldError;

/// The statuses Gen-2's `ChargeStatus` names (copay never gives a charge the last two,
/// so filtering on them finds nothing).
pub const GEN2_STATUSES: [&str; 9] = [
    "OUTSTANDING",
    "PAID",
    "EXTERNAL_SETTLEMENT",
    "VOID",
    "WRITE_OFF",
    "REFUNDED",
    "PAYMENT_PLAN",
    "CHARGEBACK",
    "COLLECTIONS",
];

const SORTS: [(&str, ChargeTableSort); 6] = [
    ("created_date", ChargeTableSort::CreatedDate),
    ("total", ChargeTableSort::Total),
    ("total_outstanding", ChargeTableSort::TotalOutstanding),
    (
        "external_created_date",
        ChargeTableSort::ExternalCreatedDate,
    ),
    ("status", ChargeTableSort::Status),
    ("description", ChargeTableSort::Description),
];

pub const DEFAULT_PER_PAGE: i64 = 50;

fn error(key: &str, message: impl Into<String>, kind: &'static str) -> FieldError {
    FieldError::at(&[key], message, kind)
}

/// The zone day boundaries are read in.
#[derive(Clone, Copy)]
enum Zone {
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

/// One value: that whole day (of a date, or of a date-time's local date). Two values: from
/// the first to the second, both inclusive (a date as the second means to its end).
fn time_range(query: &QueryParams, key: &str, zone: Zone) -> Result<Option<TimeRange>, FieldError> {
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
fn amount_range(query: &QueryParams, key: &str) -> Result<AmountRange, FieldError> {
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
fn id_filter(query: &QueryParams, key: &str) -> Option<Uuid> {
    query
        .string(key)
        .map(|id| Uuid::parse_str(&id).unwrap_or(Uuid::nil()))
}

pub fn parse(query: &QueryParams) -> Result<ChargeTableQuery, FieldError> {
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
    let sort_names: Vec<&str> = SORTS.iter().map(|(name, _)| *name).collect();
    let sort = query
        .one_of("sort_by", &sort_names)?
        .and_then(|name| SORTS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s))
        .unwrap_or(ChargeTableSort::CreatedDate);
    let descending = query.one_of("sort_direction", &["asc", "desc"])?.as_deref() != Some("asc");
    let zone = match query.string("tz") {
        None => Zone::Fixed(UtcOffset::UTC),
        Some(name) => Zone::parse(&name).ok_or_else(|| {
            error(
                "tz",
                format!(
                    "{name:?} is not a time zone (an IANA name such as America/New_York, or UTC)"
                ),
                "value_error",
            )
        })?,
    };
    let statuses = query.strings("status");
    if let Some(bad) = statuses
        .iter()
        .find(|status| !GEN2_STATUSES.contains(&status.as_str()))
    {
        return Err(error(
            "status",
            format!("{bad:?} is not one of {}", GEN2_STATUSES.join(", ")),
            "enum",
        ));
    }
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
    Ok(ChargeTableQuery {
        id: id_filter(query, "id"),
        patient_id: id_filter(query, "patient_id"),
        location_id: query.string("location_id"),
        location_ids: query.strings("location_ids"),
        patient_name: query.string("name").filter(|name| !name.trim().is_empty()),
        total: amount_range(query, "total")?,
        total_outstanding: amount_range(query, "total_outstanding")?,
        description: query.string("description"),
        statuses,
        external_id: query.string("charge_external_id"),
        patient_external_id: query.string("patient_external_id"),
        created: time_range(query, "created_date", zone)?,
        paid: time_range(query, "payment_date", zone)?,
        snapshot,
        sort,
        descending,
        offset,
        limit: per_page,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parsed(query: &str) -> Result<ChargeTableQuery, FieldError> {
        parse(&QueryParams::parse(Some(query)))
    }

    #[test]
    fn a_day_is_read_in_the_named_zone() {
        let q = parsed("created_date=2024-07-04&tz=America/New_York").unwrap();
        let range = q.created.unwrap();
        assert_eq!(range.from, Some(datetime!(2024-07-04 04:00 UTC)));
        assert_eq!(range.until, Some(datetime!(2024-07-05 04:00 UTC)));
        assert!(!range.until_inclusive);
    }

    #[test]
    fn a_day_starting_a_dst_change_has_its_real_length() {
        // Europe/Berlin springs forward on 2024-03-31: that day has 23 hours.
        let range = parsed("payment_date=2024-03-31&tz=Europe/Berlin")
            .unwrap()
            .paid
            .unwrap();
        assert_eq!(range.from, Some(datetime!(2024-03-30 23:00 UTC)));
        assert_eq!(range.until, Some(datetime!(2024-03-31 22:00 UTC)));
    }

    #[test]
    fn two_date_times_are_an_inclusive_range() {
        let range =
            parsed("created_date=2024-01-01T00:00:00Z&created_date=2024-01-31T12:00:00%2B02:00")
                .unwrap()
                .created
                .unwrap();
        assert_eq!(range.from, Some(datetime!(2024-01-01 00:00 UTC)));
        assert_eq!(range.until, Some(datetime!(2024-01-31 10:00 UTC)));
        assert!(range.until_inclusive);
    }

    #[test]
    fn bad_paging_sorting_and_zones_name_their_parameter() {
        for (query, key) in [
            ("page=0", "page"),
            ("per_page=101", "per_page"),
            ("per_page=0", "per_page"),
            ("sort_by=size", "sort_by"),
            ("sort_direction=up", "sort_direction"),
            ("tz=Mars/Olympus", "tz"),
            ("status=OPEN", "status"),
            ("total=5&total=1", "total"),
            ("created_date=yesterday", "created_date"),
        ] {
            let error = parsed(query)
                .err()
                .unwrap_or_else(|| panic!("{query} accepted"));
            assert_eq!(error.dotted_path(), key, "{query}");
        }
    }

    #[test]
    fn one_amount_is_a_minimum_and_pages_become_offsets() {
        let q = parsed("total_outstanding=500&page=3&per_page=20").unwrap();
        assert_eq!(
            q.total_outstanding,
            AmountRange {
                min: Some(500),
                max: None
            }
        );
        assert_eq!((q.offset, q.limit), (40, 20));
    }
}
