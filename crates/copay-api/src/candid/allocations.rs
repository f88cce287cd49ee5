//! Wire shapes shared by Candid's money ledgers (contract §5.5): allocations and their
//! targets in both directions, earmarks, the `{"type":"set"|"remove"}` updates, timestamps,
//! and the error mapping those endpoints understand.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::claim_money::{AllocationInput, Entry, Target};
use copay_store::claim_money::AllocationRow;

use super::error::CandidError;
use crate::query::QueryParams;
use crate::wire::{FieldError, format_timestamp, parse_date};

/// An RFC 3339 date-time; one without an offset (what Python sends for a naive
/// `datetime`) is read as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ToSchema)]
#[schema(value_type = String, format = DateTime)]
pub struct WireDateTime(pub OffsetDateTime);

pub fn parse_datetime(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok().or_else(|| {
        let naive = time::PrimitiveDateTime::parse(
            text,
            time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
            ),
        )
        .ok()?;
        Some(naive.assume_utc())
    })
}

impl<'de> Deserialize<'de> for WireDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateTimeVisitor;
        impl Visitor<'_> for DateTimeVisitor {
            type Value = WireDateTime;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date-time (RFC 3339)")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<WireDateTime, E> {
                parse_datetime(text)
                    .map(WireDateTime)
                    .ok_or_else(|| E::custom(format!("{text:?} is not a date-time (RFC 3339)")))
            }
        }
        deserializer.deserialize_str(DateTimeVisitor)
    }
}

/// `AllocationEarmarkType`, both directions. A `date_of_service` must be a date.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EarmarkType {
    DateOfService { value: String },
    ExternalEncounterId { value: String },
}

/// `AllocationTargetCreate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AllocationTargetCreate {
    ServiceLineById {
        value: Uuid,
    },
    ClaimById {
        value: Uuid,
    },
    ClaimByEncounterExternalId {
        value: String,
    },
    BillingProviderById {
        value: Uuid,
    },
    AppointmentByIdAndPatientExternalId {
        appointment_id: String,
        patient_external_id: String,
    },
    Unattributed,
}

/// `AllocationCreate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AllocationCreate {
    pub amount_cents: i64,
    pub target: AllocationTargetCreate,
    #[serde(default)]
    pub earmark: Option<EarmarkType>,
}

/// The service's allocations, checking earmark dates.
pub fn allocation_inputs(
    allocations: Vec<AllocationCreate>,
) -> Result<Vec<AllocationInput>, CandidError> {
    allocations
        .into_iter()
        .enumerate()
        .map(|(index, allocation)| {
            if let Some(EarmarkType::DateOfService { value }) = &allocation.earmark
                && parse_date(value).is_none()
            {
                return Err(CandidError::Unprocessable(format!(
                    "allocations[{index}].earmark.value: {value:?} is not a date (YYYY-MM-DD)"
                )));
            }
            let target = match allocation.target {
                AllocationTargetCreate::ServiceLineById { value } => Target::ServiceLine(value),
                AllocationTargetCreate::ClaimById { value } => Target::Claim(value),
                AllocationTargetCreate::ClaimByEncounterExternalId { value } => {
                    Target::ClaimByEncounterExternalId(value)
                }
                AllocationTargetCreate::BillingProviderById { value } => {
                    Target::BillingProvider(value)
                }
                AllocationTargetCreate::AppointmentByIdAndPatientExternalId {
                    appointment_id,
                    patient_external_id,
                } => Target::Appointment {
                    appointment_id,
                    patient_external_id,
                },
                AllocationTargetCreate::Unattributed => Target::Unattributed,
            };
            Ok(AllocationInput {
                amount_cents: allocation.amount_cents,
                target,
                earmark: allocation
                    .earmark
                    .and_then(|earmark| serde_json::to_value(earmark).ok()),
            })
        })
        .collect()
}

/// `AllocationTarget` (response side: other tag names than the create union).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AllocationTarget {
    ServiceLine {
        service_line_id: Uuid,
        claim_id: Uuid,
        encounter_id: Uuid,
    },
    Claim {
        claim_id: Uuid,
        encounter_id: Uuid,
    },
    BillingProviderId {
        billing_provider_id: Uuid,
    },
    Appointment {
        appointment_id: String,
        patient_external_id: String,
    },
    Unattributed,
}

impl AllocationTarget {
    pub fn of(row: &AllocationRow) -> AllocationTarget {
        let nil = Uuid::nil();
        match row.target_kind.as_str() {
            "service_line" => AllocationTarget::ServiceLine {
                service_line_id: row.service_line_id.unwrap_or(nil),
                claim_id: row.claim_id.unwrap_or(nil),
                encounter_id: row.encounter_id.unwrap_or(nil),
            },
            "claim" => AllocationTarget::Claim {
                claim_id: row.claim_id.unwrap_or(nil),
                encounter_id: row.encounter_id.unwrap_or(nil),
            },
            "billing_provider" => AllocationTarget::BillingProviderId {
                billing_provider_id: row.billing_provider_id.unwrap_or(nil),
            },
            "appointment" => AllocationTarget::Appointment {
                appointment_id: row.appointment_id.clone().unwrap_or_default(),
                patient_external_id: row
                    .appointment_patient_external_id
                    .clone()
                    .unwrap_or_default(),
            },
            _ => AllocationTarget::Unattributed,
        }
    }
}

/// `BalanceEarmark`: copay keeps an allocation's earmark for as long as the allocation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BalanceEarmark {
    pub id: Uuid,
    pub target: EarmarkType,
    pub amount_earmarked_cents: i64,
    pub created_by_allocation_id: Uuid,
}

/// `Allocation`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Allocation {
    pub allocation_id: Uuid,
    pub amount_cents: i64,
    pub target: AllocationTarget,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earmark: Option<BalanceEarmark>,
    pub allocated_on: String,
}

impl From<&AllocationRow> for Allocation {
    fn from(row: &AllocationRow) -> Self {
        let earmark = row
            .earmark
            .as_ref()
            .and_then(|json| serde_json::from_value::<EarmarkType>(json.0.clone()).ok())
            .map(|target| BalanceEarmark {
                id: Uuid::new_v5(&row.id, b"earmark"),
                target,
                amount_earmarked_cents: row.amount_cents,
                created_by_allocation_id: row.id,
            });
        Allocation {
            allocation_id: row.id,
            amount_cents: row.amount_cents,
            target: AllocationTarget::of(row),
            earmark,
            allocated_on: format_timestamp(row.created_at),
        }
    }
}

pub fn allocations_of(entry: &Entry) -> Vec<Allocation> {
    entry.allocations.iter().map(Allocation::from).collect()
}

macro_rules! set_or_remove {
    ($(#[$meta:meta])* $name:ident($value:ty)) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Deserialize, ToSchema)]
        #[serde(tag = "type", rename_all = "snake_case")]
        pub enum $name {
            Set { value: $value },
            Remove,
        }

        impl $name {
            /// `Some(value)` to set, `None` to remove.
            pub fn into_change(self) -> Option<$value> {
                match self {
                    $name::Set { value } => Some(value),
                    $name::Remove => None,
                }
            }
        }
    };
}

set_or_remove!(
    /// `NoteUpdate`.
    NoteUpdate(String)
);
set_or_remove!(
    /// `RefundReasonUpdate`.
    RefundReasonUpdate(RefundReason)
);
set_or_remove!(
    /// `InvoiceUpdate`.
    InvoiceUpdate(Uuid)
);

/// `RefundReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundReason {
    Overcharged,
    EnteredInError,
    Transfer,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Overcharged => "OVERCHARGED",
            RefundReason::EnteredInError => "ENTERED_IN_ERROR",
            RefundReason::Transfer => "TRANSFER",
        }
    }

    pub fn parse(text: &str) -> Option<RefundReason> {
        [
            RefundReason::Overcharged,
            RefundReason::EnteredInError,
            RefundReason::Transfer,
        ]
        .into_iter()
        .find(|reason| reason.as_str() == text)
    }
}

/// Body and query problems on the money ledgers come back as `UnprocessableEntityError`,
/// the 422 these endpoints name (the SDK raises it by name), with the field in the message.
pub fn unprocessable(error: CandidError) -> CandidError {
    match error {
        CandidError::Validations(errors) => CandidError::Unprocessable(
            errors
                .iter()
                .map(|error| {
                    let field = error.dotted_path();
                    if field.is_empty() {
                        error.message.clone()
                    } else {
                        format!("{field}: {}", error.message)
                    }
                })
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => other,
    }
}

/// The `sort_direction` of a list: descending unless `asc`.
pub fn descending(params: &QueryParams) -> Result<bool, CandidError> {
    match params.string("sort_direction").as_deref() {
        None | Some("desc") => Ok(true),
        Some("asc") => Ok(false),
        Some(other) => Err(CandidError::Unprocessable(format!(
            "sort_direction: {other:?} is not one of asc, desc"
        ))),
    }
}

/// The `limit` of a list (default 100).
pub fn limit(params: &QueryParams) -> Result<u32, CandidError> {
    Ok(params
        .parsed::<u32>("limit", "a whole number")
        .map_err(field_error)?
        .unwrap_or(100))
}

pub fn field_error(error: FieldError) -> CandidError {
    unprocessable(CandidError::validation(error))
}

pub fn uuid_param(params: &QueryParams, key: &str) -> Result<Option<Uuid>, CandidError> {
    params.parsed::<Uuid>(key, "a UUID").map_err(field_error)
}

/// A path id: one that is not a UUID names nothing.
pub fn path_id(id: &str) -> Result<Uuid, CandidError> {
    Uuid::parse_str(id).map_err(|_| CandidError::EntityNotFound(id.to_string()))
}

pub fn timestamp(at: OffsetDateTime) -> String {
    format_timestamp(at)
}
