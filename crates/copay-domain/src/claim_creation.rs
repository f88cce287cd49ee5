//! Claim creations: how billable charges are grouped, how a group's charges become one
//! encounter input, and what that input must contain before a claim is made from it.
//!
//! Charge data is an encounter-shaped JSON document whose every field is optional, so this
//! module reads it as `serde_json::Value` by path rather than through a typed model.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimCreationStatus {
    NotStarted,
    InError,
    Successful,
    SuccessfulDryRun,
    Aborted,
    Held,
}

impl ClaimCreationStatus {
    pub const ALL: [ClaimCreationStatus; 6] = [
        ClaimCreationStatus::NotStarted,
        ClaimCreationStatus::InError,
        ClaimCreationStatus::Successful,
        ClaimCreationStatus::SuccessfulDryRun,
        ClaimCreationStatus::Aborted,
        ClaimCreationStatus::Held,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimCreationStatus::NotStarted => "not-started",
            ClaimCreationStatus::InError => "in-error",
            ClaimCreationStatus::Successful => "successful",
            ClaimCreationStatus::SuccessfulDryRun => "successful-dry-run",
            ClaimCreationStatus::Aborted => "aborted",
            ClaimCreationStatus::Held => "held",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    /// Open creations still take charges in; the others are final.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ClaimCreationStatus::NotStarted
                | ClaimCreationStatus::InError
                | ClaimCreationStatus::Held
        )
    }
}

impl fmt::Display for ClaimCreationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The values that decide which claim creation a billable charge joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Characteristics {
    entries: Vec<(&'static str, Option<String>)>,
}

/// Dotted paths into the charge data that take part in grouping, after the two
/// charge-level keys.
const DATA_KEYS: [(&str, &[&str]); 3] = [
    ("billing_provider.npi", &["billing_provider", "npi"]),
    ("service_facility.npi", &["service_facility", "npi"]),
    (
        "subscriber_primary.insurance_card.payer_id",
        &["subscriber_primary", "insurance_card", "payer_id"],
    ),
];

impl Characteristics {
    pub fn of(
        patient_external_id: &str,
        date_of_service: Option<Date>,
        claim_creation_category: Option<&str>,
        data: &Value,
    ) -> Characteristics {
        let mut entries = vec![
            ("patient_external_id", Some(patient_external_id.to_string())),
            ("date_of_service", date_of_service.map(format_date)),
        ];
        for (name, path) in DATA_KEYS {
            entries.push((name, text_at(data, path)));
        }
        entries.push((
            "claim_creation_category",
            claim_creation_category.map(str::to_string),
        ));
        Characteristics { entries }
    }

    /// A canonical text for the whole key, absent values included, so "no facility NPI"
    /// and "facility NPI X" never share a creation.
    pub fn key(&self) -> String {
        let parts: Vec<Value> = self
            .entries
            .iter()
            .map(|(_, value)| value.clone().map(Value::String).unwrap_or(Value::Null))
            .collect();
        Value::Array(parts).to_string()
    }

    /// The keys that have a value, as the API echoes them.
    pub fn present(&self) -> Map<String, Value> {
        self.entries
            .iter()
            .filter_map(|(name, value)| {
                value
                    .as_ref()
                    .map(|value| (name.to_string(), Value::String(value.clone())))
            })
            .collect()
    }
}

pub fn format_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |current, key| current.get(*key))
        .filter(|value| !value.is_null())
}

/// A non-blank string at `path`.
fn text_at(value: &Value, path: &[&str]) -> Option<String> {
    at(value, path)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_string)
}

/// One member charge of a claim creation, in creation order.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub charge_capture_id: Uuid,
    pub data: &'a Value,
}

/// The encounter input built from a creation's charges, and which charge each of its
/// service lines came from.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedEncounter {
    pub input: Value,
    pub line_origins: Vec<Uuid>,
    /// Problems found while merging (a diagnosis pointer that points at nothing).
    pub problems: Vec<Problem>,
}

/// Something that keeps a claim creation from producing a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
    /// The one charge at fault, or `None` when the problem concerns the whole creation.
    pub charge_capture_id: Option<Uuid>,
}

impl Problem {
    fn new(field: impl Into<String>, message: impl Into<String>, charge: Option<Uuid>) -> Self {
        Problem {
            field: field.into(),
            message: message.into(),
            charge_capture_id: charge,
        }
    }
}

/// Merges member charges into one encounter input: for every top-level field the first
/// charge that gives it wins; `service_lines` are concatenated (a line without its own
/// date takes its charge's encounter date); `diagnoses` are concatenated without repeats
/// (same `code_type` and `code`) and each line's `diagnosis_pointers` are renumbered into
/// the merged list; `tag_ids` are united. `date_of_service` is the creation's.
pub fn merge(members: &[Member<'_>], date_of_service: Option<Date>) -> MergedEncounter {
    let mut input = Map::new();
    let mut diagnoses: Vec<Value> = Vec::new();
    let mut lines: Vec<Value> = Vec::new();
    let mut line_origins = Vec::new();
    let mut tags: Vec<Value> = Vec::new();
    let mut problems = Vec::new();

    for member in members {
        let Some(fields) = member.data.as_object() else {
            continue;
        };
        // Where this charge's diagnoses landed in the merged list.
        let mut diagnosis_index = Vec::new();
        for diagnosis in array(fields.get("diagnoses")) {
            let position = diagnoses
                .iter()
                .position(|known| same_diagnosis(known, diagnosis))
                .unwrap_or_else(|| {
                    diagnoses.push(diagnosis.clone());
                    diagnoses.len() - 1
                });
            diagnosis_index.push(position);
        }
        for line in array(fields.get("service_lines")) {
            let mut line = line.clone();
            if let Some(object) = line.as_object_mut() {
                if object.get("date_of_service").is_none_or(Value::is_null)
                    && let Some(date) = fields.get("date_of_service").filter(|d| !d.is_null())
                {
                    object.insert("date_of_service".into(), date.clone());
                }
                if let Some(pointers) = object.get("diagnosis_pointers").and_then(Value::as_array) {
                    let mut renumbered = Vec::new();
                    for pointer in pointers {
                        match pointer
                            .as_u64()
                            .and_then(|p| diagnosis_index.get(usize::try_from(p).ok()?))
                        {
                            Some(index) => renumbered.push(Value::from(*index as u64)),
                            None => problems.push(Problem::new(
                                format!("service_lines[{}].diagnosis_pointers", lines.len()),
                                format!("diagnosis pointer {pointer} points at no diagnosis of its charge"),
                                Some(member.charge_capture_id),
                            )),
                        }
                    }
                    object.insert("diagnosis_pointers".into(), Value::Array(renumbered));
                }
            }
            lines.push(line);
            line_origins.push(member.charge_capture_id);
        }
        for tag in array(fields.get("tag_ids")) {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        for (key, value) in fields {
            if value.is_null()
                || matches!(
                    key.as_str(),
                    "diagnoses" | "service_lines" | "tag_ids" | "date_of_service"
                )
            {
                continue;
            }
            input.entry(key.clone()).or_insert_with(|| value.clone());
        }
    }
    if let Some(date) = date_of_service {
        input.insert("date_of_service".into(), Value::String(format_date(date)));
    }
    input.insert("diagnoses".into(), Value::Array(diagnoses));
    input.insert("service_lines".into(), Value::Array(lines));
    if !tags.is_empty() {
        input.insert("tag_ids".into(), Value::Array(tags));
    }
    MergedEncounter {
        input: Value::Object(input),
        line_origins,
        problems,
    }
}

fn array(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn same_diagnosis(a: &Value, b: &Value) -> bool {
    let key = |d: &Value| (d.get("code_type").cloned(), d.get("code").cloned());
    a.get("code").is_some() && key(a) == key(b)
}

/// Everything that keeps `merged` from becoming a claim, in a stable order. A problem
/// someone resolved (`waived`: field and charge) is not reported again.
pub fn validate(
    merged: &MergedEncounter,
    waived: &BTreeSet<(String, Option<Uuid>)>,
) -> Vec<Problem> {
    let input = &merged.input;
    let mut problems = merged.problems.clone();
    for (field, path) in [
        ("patient.first_name", &["patient", "first_name"][..]),
        ("patient.last_name", &["patient", "last_name"][..]),
        ("patient.date_of_birth", &["patient", "date_of_birth"][..]),
        ("billing_provider.npi", &["billing_provider", "npi"][..]),
    ] {
        if text_at(input, path).is_none() {
            problems.push(Problem::new(field, format!("{field} is required"), None));
        }
    }
    if array(input.get("diagnoses")).is_empty() {
        problems.push(Problem::new(
            "diagnoses",
            "at least one diagnosis is required",
            None,
        ));
    }
    let lines = array(input.get("service_lines"));
    if lines.is_empty() {
        problems.push(Problem::new(
            "service_lines",
            "at least one service line is required",
            None,
        ));
    }
    for (index, line) in lines.iter().enumerate() {
        let origin = merged.line_origins.get(index).copied();
        if text_at(line, &["procedure_code"]).is_none() {
            problems.push(Problem::new(
                format!("service_lines[{index}].procedure_code"),
                "a service line needs a procedure code",
                origin,
            ));
        }
        if at(line, &["charge_amount_cents"])
            .and_then(Value::as_i64)
            .is_none_or(|cents| cents < 0)
        {
            problems.push(Problem::new(
                format!("service_lines[{index}].charge_amount_cents"),
                "a service line needs a charge amount of zero or more cents",
                origin,
            ));
        }
        if text_at(line, &["date_of_service"]).is_none() {
            problems.push(Problem::new(
                format!("service_lines[{index}].date_of_service"),
                "a service line needs a date of service (its own or its charge's)",
                origin,
            ));
        }
    }
    let self_pay = text_at(input, &["responsible_party"]).as_deref() == Some("SELF_PAY");
    if !self_pay {
        for (field, path) in [
            (
                "subscriber_primary.insurance_card.member_id",
                &["subscriber_primary", "insurance_card", "member_id"][..],
            ),
            (
                "subscriber_primary.insurance_card.payer_id",
                &["subscriber_primary", "insurance_card", "payer_id"][..],
            ),
        ] {
            if text_at(input, path).is_none() {
                problems.push(Problem::new(
                    field,
                    format!("{field} is required unless responsible_party is SELF_PAY"),
                    None,
                ));
            }
        }
    }
    problems
        .retain(|problem| !waived.contains(&(problem.field.clone(), problem.charge_capture_id)));
    problems
}

/// The top-level keys of charge data whose values differ between two versions, sorted.
pub fn changed_data_keys(before: &Value, after: &Value) -> Vec<String> {
    let empty = Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    keys.into_iter()
        .filter(|key| {
            let old = before.get(*key).filter(|v| !v.is_null());
            let new = after.get(*key).filter(|v| !v.is_null());
            old != new
        })
        .map(|key| key.to_string())
        .collect()
}

#[cfg(test)]
mod tests;
