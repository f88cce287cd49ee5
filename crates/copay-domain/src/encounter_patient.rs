//! The patient of an encounter and the patient registry: reading what an encounter says
//! about its patient (so processing can keep the registry current), and filling an
//! encounter's patient from the registry (charges created from a pre-encounter patient).

use serde_json::{Map, Value};
use time::Date;

use crate::claim_creation::format_date;

/// What the registry and an encounter both know about a patient. `None` = not known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientFacts {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub date_of_birth: Option<Date>,
    pub gender: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub address_line_one: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

fn parse_date(text: &str) -> Option<Date> {
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The facts an encounter input's `patient` states.
pub fn facts_of(input: &Value) -> PatientFacts {
    let Some(patient) = input.get("patient") else {
        return PatientFacts::default();
    };
    let address = patient.get("address");
    let field = |key: &str| text(patient.get(key));
    let address_field = |key: &str| text(address.and_then(|a| a.get(key)));
    let zip_code = address_field("zip_code").map(|zip| match address_field("zip_plus_four_code") {
        Some(plus_four) => format!("{zip}-{plus_four}"),
        None => zip,
    });
    PatientFacts {
        first_name: field("first_name"),
        last_name: field("last_name"),
        date_of_birth: field("date_of_birth").as_deref().and_then(parse_date),
        gender: field("gender"),
        email: field("email"),
        phone_number: patient
            .get("phone_numbers")
            .and_then(Value::as_array)
            .and_then(|numbers| numbers.iter().find_map(|n| text(n.get("number")))),
        address_line_one: address_field("address1"),
        address_line_two: address_field("address2"),
        city: address_field("city"),
        state: address_field("state"),
        zip_code,
    }
}

/// The encounter's gender vocabulary (`male`, `female`, `other`, `not_given`, `unknown`)
/// for a registry value written by either dialect.
pub fn encounter_gender(gender: &str) -> &'static str {
    match gender.trim().to_ascii_lowercase().as_str() {
        "male" | "m" => "male",
        "female" | "f" => "female",
        "other" => "other",
        "not_given" | "prefer_not_to_say" => "not_given",
        _ => "unknown",
    }
}

/// A two-letter state code, as the encounter's address takes, or nothing.
fn state_code(state: &str) -> Option<String> {
    let state = state.trim();
    (state.len() == 2 && state.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| state.to_ascii_uppercase())
}

/// `12345` or `12345-6789` as (zip, plus four).
fn zip_parts(zip: &str) -> Option<(String, Option<String>)> {
    let digits =
        |part: &str, len: usize| part.len() == len && part.bytes().all(|b| b.is_ascii_digit());
    let zip = zip.trim();
    match zip.split_once('-') {
        Some((five, four)) if digits(five, 5) && digits(four, 4) => {
            Some((five.to_string(), Some(four.to_string())))
        }
        None if digits(zip, 5) => Some((zip.to_string(), None)),
        _ => None,
    }
}

/// Replaces what `input.patient` says with what the registry knows: the registry is the
/// source of truth for a pre-encounter patient. Keys the registry has no value for keep
/// what the charge data gave; values the encounter's vocabulary cannot hold (a state
/// name, a malformed zip) are left out rather than made up.
pub fn fill_from_registry(input: &mut Value, facts: &PatientFacts) {
    let Some(encounter) = input.as_object_mut() else {
        return;
    };
    let patient = encounter
        .entry("patient")
        .or_insert_with(|| Value::Object(Map::new()));
    if !patient.is_object() {
        *patient = Value::Object(Map::new());
    }
    let Some(patient) = patient.as_object_mut() else {
        return;
    };
    let put = |map: &mut Map<String, Value>, key: &str, value: Option<String>| {
        if let Some(value) = value {
            map.insert(key.to_string(), Value::String(value));
        }
    };
    put(patient, "first_name", facts.first_name.clone());
    put(patient, "last_name", facts.last_name.clone());
    put(
        patient,
        "date_of_birth",
        facts.date_of_birth.map(format_date),
    );
    put(
        patient,
        "gender",
        facts
            .gender
            .as_deref()
            .map(|gender| encounter_gender(gender).to_string()),
    );
    put(patient, "email", facts.email.clone());
    if let Some(number) = &facts.phone_number {
        patient.insert(
            "phone_numbers".to_string(),
            serde_json::json!([{"number": number, "type": "Mobile"}]),
        );
    }
    if facts.address_line_one.is_some() || facts.city.is_some() || facts.zip_code.is_some() {
        let address = patient
            .entry("address")
            .or_insert_with(|| Value::Object(Map::new()));
        if !address.is_object() {
            *address = Value::Object(Map::new());
        }
        if let Some(address) = address.as_object_mut() {
            put(address, "address1", facts.address_line_one.clone());
            put(address, "address2", facts.address_line_two.clone());
            put(address, "city", facts.city.clone());
            put(
                address,
                "state",
                facts.state.as_deref().and_then(state_code),
            );
            if let Some((zip, plus_four)) = facts.zip_code.as_deref().and_then(zip_parts) {
                put(address, "zip_code", Some(zip));
                put(address, "zip_plus_four_code", plus_four);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::date;

    use super::*;

    fn registry() -> PatientFacts {
        PatientFacts {
            first_name: Some("Jane".into()),
            last_name: Some("Doe".into()),
            date_of_birth: Some(date!(1980 - 01 - 02)),
            gender: Some("FEMALE".into()),
            email: Some("jane@example.test".into()),
            phone_number: Some("5550100".into()),
            address_line_one: Some("1 Main St".into()),
            address_line_two: None,
            city: Some("Springfield".into()),
            state: Some("il".into()),
            zip_code: Some("62701-1234".into()),
        }
    }

    #[test]
    fn registry_facts_replace_the_charge_patient_and_keep_the_rest() {
        let mut input = json!({
            "patient": {"first_name": "Janet", "external_id": "emr-7", "gender": "male"},
            "diagnoses": []
        });
        fill_from_registry(&mut input, &registry());
        assert_eq!(
            input["patient"],
            json!({
                "first_name": "Jane", "last_name": "Doe", "external_id": "emr-7",
                "date_of_birth": "1980-01-02", "gender": "female", "email": "jane@example.test",
                "phone_numbers": [{"number": "5550100", "type": "Mobile"}],
                "address": {"address1": "1 Main St", "city": "Springfield", "state": "IL",
                            "zip_code": "62701", "zip_plus_four_code": "1234"}
            })
        );
        assert_eq!(input["diagnoses"], json!([]));
    }

    #[test]
    fn values_the_encounter_cannot_hold_are_left_out() {
        let mut input = json!({});
        let facts = PatientFacts {
            state: Some("Illinois".into()),
            zip_code: Some("627".into()),
            city: Some("Springfield".into()),
            ..PatientFacts::default()
        };
        fill_from_registry(&mut input, &facts);
        assert_eq!(
            input["patient"],
            json!({"address": {"city": "Springfield"}})
        );
    }

    #[test]
    fn an_unknown_registry_leaves_the_charge_patient_alone() {
        let mut input = json!({"patient": {"first_name": "Janet"}});
        fill_from_registry(&mut input, &PatientFacts::default());
        assert_eq!(input, json!({"patient": {"first_name": "Janet"}}));
    }

    #[test]
    fn genders_map_to_the_encounter_vocabulary() {
        for (given, expected) in [
            ("MALE", "male"),
            ("female", "female"),
            ("OTHER", "other"),
            ("PREFER_NOT_TO_SAY", "not_given"),
            ("not_given", "not_given"),
            ("nonbinary", "unknown"),
        ] {
            assert_eq!(encounter_gender(given), expected, "{given}");
        }
    }

    #[test]
    fn facts_are_read_back_from_an_encounter() {
        let mut input = json!({});
        fill_from_registry(&mut input, &registry());
        let facts = facts_of(&input);
        assert_eq!(
            facts,
            PatientFacts {
                gender: Some("female".into()),
                state: Some("IL".into()),
                ..registry()
            }
        );
        assert_eq!(
            facts_of(&json!({"patient": "nonsense"})),
            PatientFacts::default()
        );
    }
}
