//! Small wire types shared by Candid resources: dates, enums, schema instances.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use crate::wire::{WireDate, format_date, parse_date};

/// `SchemaInstance`: custom-schema key/values attached to a charge.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct SchemaInstance {
    pub schema_id: Uuid,
    #[schema(value_type = Object)]
    pub content: serde_json::Map<String, serde_json::Value>,
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }
    };
}

wire_enum!(
    /// `ChargeCaptureStatus`
    ChargeCaptureStatusWire {
        Planned = "planned",
        NotBillable = "not-billable",
        Billable = "billable",
        Aborted = "aborted",
        EnteredInError = "entered-in-error",
    }
);

wire_enum!(Hl7MessageType { Bar = "BAR", Dft = "DFT", Adt = "ADT" });

wire_enum!(BillableStatusType { Billable = "BILLABLE", NotBillable = "NOT_BILLABLE" });

wire_enum!(ResponsiblePartyType { InsurancePay = "INSURANCE_PAY", SelfPay = "SELF_PAY", Unknown = "UNKNOWN" });

wire_enum!(ServiceLineUnits { Minutes = "MJ", Units = "UN" });

wire_enum!(Gender { Male = "male", Female = "female", Other = "other", NotGiven = "not_given", Unknown = "unknown" });

wire_enum!(DiagnosisTypeCode {
    Abf = "ABF", Abj = "ABJ", Abk = "ABK", Apr = "APR", Bf = "BF", Bj = "BJ", Bk = "BK", Pr = "PR", Dr = "DR", Loi = "LOI",
});

impl From<ChargeCaptureStatusWire> for copay_domain::charge_capture::ChargeCaptureStatus {
    fn from(status: ChargeCaptureStatusWire) -> Self {
        use copay_domain::charge_capture::ChargeCaptureStatus as S;
        match status {
            ChargeCaptureStatusWire::Planned => S::Planned,
            ChargeCaptureStatusWire::NotBillable => S::NotBillable,
            ChargeCaptureStatusWire::Billable => S::Billable,
            ChargeCaptureStatusWire::Aborted => S::Aborted,
            ChargeCaptureStatusWire::EnteredInError => S::EnteredInError,
        }
    }
}

impl Hl7MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            Hl7MessageType::Bar => "BAR",
            Hl7MessageType::Dft => "DFT",
            Hl7MessageType::Adt => "ADT",
        }
    }
}
