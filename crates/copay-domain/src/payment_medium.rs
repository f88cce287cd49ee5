//! Payment mediums (Decoda Gen-2): the card-processor ones, which move real card money
//! and so can never be voided away, and the external-settlement ones (cash, check,
//! CareCredit, patient credit, and names a tenant makes up), settled outside copay.

use std::fmt;

/// Mediums that need a card processor. A charge with such a payment cannot be voided.
pub const PROCESSOR_MEDIUMS: [&str; 8] = [
    "POS",
    "VIRTUAL_TERMINAL",
    "PAYMENT_LINK",
    "PAYMENT_PLAN",
    "SUBSCRIPTION",
    "SAVED_PAYMENT_METHOD",
    "MEMBERSHIP",
    "EMBEDDED_TERMINAL",
];

/// The medium of a payment drawn from the patient's credit.
pub const PATIENT_CREDIT: &str = "PATIENT_CREDIT";

/// The longest custom medium name.
pub const MAX_MEDIUM_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediumKind {
    Processor,
    PatientCredit,
    ExternalSettlement,
}

pub fn classify(medium: &str) -> MediumKind {
    if medium == PATIENT_CREDIT {
        MediumKind::PatientCredit
    } else if PROCESSOR_MEDIUMS.contains(&medium) {
        MediumKind::Processor
    } else {
        MediumKind::ExternalSettlement
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediumError {
    Empty,
    TooLong,
    NeedsProcessor(String),
    IsPatientCredit,
}

impl fmt::Display for MediumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MediumError::Empty => f.write_str("must name a payment medium"),
            MediumError::TooLong => write!(f, "must be at most {MAX_MEDIUM_LEN} characters"),
            MediumError::NeedsProcessor(medium) => write!(
                f,
                "{medium} is a card-processor medium; record cash, check, CareCredit or a custom \
                 external-settlement medium here"
            ),
            MediumError::IsPatientCredit => {
                f.write_str("PATIENT_CREDIT payments are made with the patient-credit endpoints")
            }
        }
    }
}

/// An external-settlement medium as given: CASH, CHECK, CARE_CREDIT, or a custom name.
pub fn external_settlement(medium: &str) -> Result<String, MediumError> {
    let medium = medium.trim();
    if medium.is_empty() {
        return Err(MediumError::Empty);
    }
    if medium.chars().count() > MAX_MEDIUM_LEN {
        return Err(MediumError::TooLong);
    }
    match classify(medium) {
        MediumKind::Processor => Err(MediumError::NeedsProcessor(medium.to_string())),
        MediumKind::PatientCredit => Err(MediumError::IsPatientCredit),
        MediumKind::ExternalSettlement => Ok(medium.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_processor_medium_is_refused_for_external_settlement() {
        for medium in PROCESSOR_MEDIUMS {
            assert_eq!(classify(medium), MediumKind::Processor);
            assert_eq!(
                external_settlement(medium),
                Err(MediumError::NeedsProcessor(medium.to_string()))
            );
        }
    }

    #[test]
    fn cash_check_care_credit_and_custom_names_settle_externally() {
        for medium in ["CASH", "CHECK", "CARE_CREDIT", "Venmo"] {
            assert_eq!(external_settlement(medium), Ok(medium.to_string()));
        }
        assert_eq!(external_settlement("  CASH "), Ok("CASH".to_string()));
    }

    #[test]
    fn empty_overlong_and_patient_credit_are_refused() {
        assert_eq!(external_settlement("  "), Err(MediumError::Empty));
        assert_eq!(
            external_settlement(&"X".repeat(MAX_MEDIUM_LEN + 1)),
            Err(MediumError::TooLong)
        );
        assert_eq!(
            external_settlement(PATIENT_CREDIT),
            Err(MediumError::IsPatientCredit)
        );
        assert_eq!(classify(PATIENT_CREDIT), MediumKind::PatientCredit);
    }
}
