//! The query of Gen-2 `/billing/payment/table`: page, sort and every filter. The parts
//! every table shares (paging, ranges, zones) are in [`super::table_query`].

use copay_domain::payment_medium::MediumKind;
use copay_service::payment_table::{PaymentTableQuery, PaymentTableSort};

use super::table_query::{amount_range, enum_list, id_filter, paging, time_range, zone};
use crate::query::QueryParams;
use crate::wire::FieldError;

/// Gen-2's `PaymentStatus` (copay's payments are `SUCCEEDED` or, voided, `CANCELED`; the
/// others are valid filters that find nothing).
pub const PAYMENT_STATUSES: [&str; 7] = [
    "CANCELED",
    "CREATED",
    "FAILED",
    "IN_REVIEW",
    "PRESENTING",
    "PROCESSING",
    "SUCCEEDED",
];

/// The sorts, the default first.
const SORTS: [(&str, PaymentTableSort); 5] = [
    ("created_date", PaymentTableSort::CreatedDate),
    ("amount", PaymentTableSort::Amount),
    ("status", PaymentTableSort::Status),
    ("payment_medium", PaymentTableSort::PaymentMedium),
    ("patient_name", PaymentTableSort::PatientName),
];

/// `type`: the kind of medium.
const TYPES: [(&str, MediumKind); 3] = [
    ("CARD", MediumKind::Processor),
    ("EXTERNAL_SETTLEMENT", MediumKind::ExternalSettlement),
    ("PATIENT_CREDIT", MediumKind::PatientCredit),
];

/// A text filter; blank text filters nothing.
fn text(query: &QueryParams, key: &str) -> Option<String> {
    query.string(key).filter(|text| !text.trim().is_empty())
}

/// The non-blank values of a list filter.
fn texts(query: &QueryParams, key: &str) -> Vec<String> {
    query
        .strings(key)
        .into_iter()
        .filter(|text| !text.trim().is_empty())
        .collect()
}

pub fn parse(query: &QueryParams) -> Result<PaymentTableQuery, FieldError> {
    let paging = paging(query, &SORTS)?;
    let zone = zone(query)?;
    // copay's Decoda side records patient payments only.
    let insurance = query
        .one_of("payer_type", &["PATIENT", "INSURANCE"])?
        .as_deref()
        == Some("INSURANCE");
    let type_names: Vec<&str> = TYPES.iter().map(|(name, _)| *name).collect();
    let medium_kind = query.one_of("type", &type_names)?.and_then(|name| {
        TYPES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, kind)| *kind)
    });
    // copay keeps no card details, tags or merchant accounts: asking for any finds nothing.
    let unkept = text(query, "last4").is_some()
        || !texts(query, "tags").is_empty()
        || !texts(query, "merchant_account_ids").is_empty();
    Ok(PaymentTableQuery {
        id: id_filter(query, "id"),
        patient_id: id_filter(query, "patient_id"),
        patient_external_id: query.string("external_patient_id"),
        payer: text(query, "payer"),
        location_id: query.string("location_id"),
        location_ids: query.strings("location_ids"),
        amount: amount_range(query, "amount")?,
        comment: text(query, "comment"),
        mediums: texts(query, "payment_mediums"),
        medium_kind,
        statuses: enum_list(query, "status", &PAYMENT_STATUSES)?,
        created: time_range(query, "created_date", zone)?,
        creator_id: query.string("creator_id"),
        creator_name: text(query, "creator_name"),
        provider_id: query.string("provider_id"),
        matches_nothing: insurance || unkept,
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

    fn parsed(query: &str) -> Result<PaymentTableQuery, FieldError> {
        parse(&QueryParams::parse(Some(query)))
    }

    #[test]
    fn bad_values_name_their_parameter() {
        for (query, key) in [
            ("sort_by=total", "sort_by"),
            ("status=PAID", "status"),
            ("payer_type=EMPLOYER", "payer_type"),
            ("type=ACH", "type"),
            ("amount=9&amount=1", "amount"),
            ("created_date=soon", "created_date"),
        ] {
            let error = parsed(query)
                .err()
                .unwrap_or_else(|| panic!("{query} accepted"));
            assert_eq!(error.dotted_path(), key, "{query}");
        }
    }

    #[test]
    fn what_copay_never_keeps_matches_nothing() {
        for query in [
            "payer_type=INSURANCE",
            "last4=4242",
            "tags=vip",
            "merchant_account_ids=m1",
        ] {
            assert!(parsed(query).unwrap().matches_nothing, "{query}");
        }
        for query in ["payer_type=PATIENT", "tags=", "last4=", ""] {
            assert!(!parsed(query).unwrap().matches_nothing, "{query}");
        }
        let q = parsed("type=CARD&sort_by=patient_name&sort_direction=asc").unwrap();
        assert_eq!(q.medium_kind, Some(MediumKind::Processor));
        assert_eq!(
            (q.sort, q.descending),
            (PaymentTableSort::PatientName, false)
        );
    }
}
