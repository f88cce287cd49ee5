//! Charge captures: the rules that do not depend on any wire shape.

use std::fmt;

use time::Date;

/// Where a captured charge stands. Stored by its text name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargeCaptureStatus {
    Planned,
    NotBillable,
    Billable,
    Aborted,
    EnteredInError,
}

impl ChargeCaptureStatus {
    pub const ALL: [ChargeCaptureStatus; 5] = [
        ChargeCaptureStatus::Planned,
        ChargeCaptureStatus::NotBillable,
        ChargeCaptureStatus::Billable,
        ChargeCaptureStatus::Aborted,
        ChargeCaptureStatus::EnteredInError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCaptureStatus::Planned => "planned",
            ChargeCaptureStatus::NotBillable => "not-billable",
            ChargeCaptureStatus::Billable => "billable",
            ChargeCaptureStatus::Aborted => "aborted",
            ChargeCaptureStatus::EnteredInError => "entered-in-error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

impl fmt::Display for ChargeCaptureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A charge's date of service: the earliest of its service lines' dates, where a line
/// without its own date counts as on the encounter-level date; with no dated line, the
/// encounter-level date. Lines are what get billed, so their dates win.
pub fn date_of_service(encounter_date: Option<Date>, line_dates: &[Option<Date>]) -> Option<Date> {
    line_dates
        .iter()
        .filter_map(|line| line.or(encounter_date))
        .min()
        .or(encounter_date)
}

/// Whether `text` is a non-negative decimal with at most `max_places` fractional digits,
/// as Candid's `quantity` ("1", "0.5", "12.25").
pub fn is_decimal_quantity(text: &str, max_places: usize) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    digits(whole)
        && whole.len() <= 12
        && fraction.is_none_or(|fraction| digits(fraction) && fraction.len() <= max_places)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn statuses_round_trip() {
        for status in ChargeCaptureStatus::ALL {
            assert_eq!(ChargeCaptureStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ChargeCaptureStatus::parse("not_billable"), None);
    }

    #[test]
    fn line_dates_win_over_the_encounter_date() {
        let encounter = Some(date!(2024 - 05 - 10));
        assert_eq!(date_of_service(encounter, &[]), encounter);
        assert_eq!(date_of_service(encounter, &[None, None]), encounter);
        assert_eq!(
            date_of_service(
                encounter,
                &[
                    Some(date!(2024 - 05 - 12)),
                    None,
                    Some(date!(2024 - 05 - 11))
                ]
            ),
            // The undated line happened on the encounter's date, the earliest.
            encounter
        );
        assert_eq!(
            date_of_service(
                encounter,
                &[Some(date!(2024 - 05 - 12)), Some(date!(2024 - 05 - 09))]
            ),
            Some(date!(2024 - 05 - 09))
        );
        assert_eq!(
            date_of_service(None, &[None, Some(date!(2024 - 05 - 11))]),
            Some(date!(2024 - 05 - 11))
        );
        assert_eq!(date_of_service(None, &[None]), None);
    }

    #[test]
    fn quantities_are_decimal_strings() {
        for good in ["1", "0.5", "12", "3.25", "0"] {
            assert!(is_decimal_quantity(good, 3), "{good}");
        }
        for bad in ["", "1.", ".5", "-1", "1e3", "one", "1.2345", " 1", "1,5"] {
            assert!(!is_decimal_quantity(bad, 3), "{bad}");
        }
        assert!(!is_decimal_quantity("1.25", 1));
    }
}
