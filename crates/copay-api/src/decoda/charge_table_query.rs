//! The query of Gen-2 `/billing/charge/table`: page, sort and every filter, with the
//! time ranges read in the caller's time zone (`tz`, an IANA name, default UTC). The parts
//! every table shares are in [`super::table_query`].

use copay_service::charge_table::{ChargeTableQuery, ChargeTableSort};

use super::table_query::{amount_range, enum_list, id_filter, paging, time_range, zone};
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

/// The sorts, the default first.
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

pub fn parse(query: &QueryParams) -> Result<ChargeTableQuery, FieldError> {
    let paging = paging(query, &SORTS)?;
    let zone = zone(query)?;
    Ok(ChargeTableQuery {
        id: id_filter(query, "id"),
        patient_id: id_filter(query, "patient_id"),
        location_id: query.string("location_id"),
        location_ids: query.strings("location_ids"),
        patient_name: query.string("name").filter(|name| !name.trim().is_empty()),
        total: amount_range(query, "total")?,
        total_outstanding: amount_range(query, "total_outstanding")?,
        description: query.string("description"),
        statuses: enum_list(query, "status", &GEN2_STATUSES)?,
        external_id: query.string("charge_external_id"),
        patient_external_id: query.string("patient_external_id"),
        created: time_range(query, "created_date", zone)?,
        paid: time_range(query, "payment_date", zone)?,
        snapshot: paging.snapshot,
        sort: paging.sort,
        descending: paging.descending,
        offset: paging.offset,
        limit: paging.limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use copay_service::charge_table::AmountRange;
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
