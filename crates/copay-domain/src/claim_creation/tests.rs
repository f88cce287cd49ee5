use std::collections::BTreeSet;

use serde_json::{Value, json};
use time::macros::date;
use uuid::Uuid;

use super::*;

fn complete(line_date: Option<&str>) -> Value {
    let mut line = json!({"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 10000, "diagnosis_pointers": [0]});
    if let Some(date) = line_date {
        line["date_of_service"] = json!(date);
    }
    json!({
        "date_of_service": "2024-05-01",
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02"},
        "billing_provider": {"npi": "1234567893"},
        "subscriber_primary": {"insurance_card": {"member_id": "M1", "payer_id": "60054", "payer_name": "Payer"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [line],
    })
}

fn no_waivers() -> BTreeSet<(String, Option<Uuid>)> {
    BTreeSet::new()
}

#[test]
fn statuses_round_trip_and_only_three_are_open() {
    for status in ClaimCreationStatus::ALL {
        assert_eq!(ClaimCreationStatus::parse(status.as_str()), Some(status));
    }
    let open: Vec<_> = ClaimCreationStatus::ALL
        .into_iter()
        .filter(|s| s.is_open())
        .collect();
    assert_eq!(
        open,
        [
            ClaimCreationStatus::NotStarted,
            ClaimCreationStatus::InError,
            ClaimCreationStatus::Held
        ]
    );
    assert_eq!(ClaimCreationStatus::parse("NOT_STARTED"), None);
}

#[test]
fn characteristics_key_distinguishes_absent_from_present_and_echoes_present_keys() {
    let data = complete(None);
    let a = Characteristics::of("p1", Some(date!(2024 - 05 - 01)), None, &data);
    let same = Characteristics::of("p1", Some(date!(2024 - 05 - 01)), None, &data);
    assert_eq!(a.key(), same.key());
    let other_day = Characteristics::of("p1", Some(date!(2024 - 05 - 02)), None, &data);
    assert_ne!(a.key(), other_day.key());
    let categorised = Characteristics::of("p1", Some(date!(2024 - 05 - 01)), Some("x"), &data);
    assert_ne!(a.key(), categorised.key());
    let mut with_facility = data.clone();
    with_facility["service_facility"] = json!({"npi": "999"});
    let b = Characteristics::of("p1", Some(date!(2024 - 05 - 01)), None, &with_facility);
    assert_ne!(a.key(), b.key());
    // A blank NPI groups like a missing one.
    let mut blank = data.clone();
    blank["service_facility"] = json!({"npi": "  "});
    assert_eq!(
        Characteristics::of("p1", Some(date!(2024 - 05 - 01)), None, &blank).key(),
        a.key()
    );

    let present = b.present();
    assert_eq!(present["patient_external_id"], "p1");
    assert_eq!(present["date_of_service"], "2024-05-01");
    assert_eq!(present["billing_provider.npi"], "1234567893");
    assert_eq!(present["service_facility.npi"], "999");
    assert_eq!(
        present["subscriber_primary.insurance_card.payer_id"],
        "60054"
    );
    assert!(!present.contains_key("claim_creation_category"));
}

#[test]
fn merge_concatenates_lines_dedups_diagnoses_and_renumbers_pointers() {
    let first_id = Uuid::from_u128(1);
    let second_id = Uuid::from_u128(2);
    let first = complete(None);
    let second = json!({
        "date_of_service": "2024-05-01",
        "patient": {"first_name": "Ignored"},
        "diagnoses": [{"code_type": "ABF", "code": "R05"}, {"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [{"procedure_code": "87804", "charge_amount_cents": 3000, "diagnosis_pointers": [1, 0]}],
        "tag_ids": ["t1"],
    });
    let merged = merge(
        &[
            Member {
                charge_capture_id: first_id,
                data: &first,
            },
            Member {
                charge_capture_id: second_id,
                data: &second,
            },
        ],
        Some(date!(2024 - 05 - 01)),
    );
    assert_eq!(merged.problems, []);
    assert_eq!(merged.line_origins, [first_id, second_id]);
    let input = &merged.input;
    // The first charge's patient wins as a whole.
    assert_eq!(input["patient"]["first_name"], "Test");
    assert_eq!(
        input["diagnoses"],
        json!([{"code_type": "ABK", "code": "J10.1"}, {"code_type": "ABF", "code": "R05"}])
    );
    // Second charge's pointer 1 (J10.1) is merged index 0; its pointer 0 (R05) is 1.
    assert_eq!(
        input["service_lines"][1]["diagnosis_pointers"],
        json!([0, 1])
    );
    // Lines without a date take their charge's encounter date.
    assert_eq!(input["service_lines"][0]["date_of_service"], "2024-05-01");
    assert_eq!(input["tag_ids"], json!(["t1"]));
    assert_eq!(validate(&merged, &no_waivers()), []);
}

#[test]
fn a_pointer_to_no_diagnosis_is_a_problem_of_its_charge() {
    let id = Uuid::from_u128(7);
    let mut data = complete(None);
    data["service_lines"][0]["diagnosis_pointers"] = json!([3]);
    let merged = merge(
        &[Member {
            charge_capture_id: id,
            data: &data,
        }],
        None,
    );
    assert_eq!(merged.problems.len(), 1);
    assert_eq!(
        merged.problems[0].field,
        "service_lines[0].diagnosis_pointers"
    );
    assert_eq!(merged.problems[0].charge_capture_id, Some(id));
}

#[test]
fn validation_names_each_missing_field_and_the_charge_at_fault() {
    let id = Uuid::from_u128(9);
    let data = json!({
        "patient": {"first_name": "Test"},
        "service_lines": [{"procedure_code": "99213", "charge_amount_cents": -5}],
    });
    let merged = merge(
        &[Member {
            charge_capture_id: id,
            data: &data,
        }],
        None,
    );
    let problems = validate(&merged, &no_waivers());
    let fields: Vec<(&str, Option<Uuid>)> = problems
        .iter()
        .map(|p| (p.field.as_str(), p.charge_capture_id))
        .collect();
    assert_eq!(
        fields,
        [
            ("patient.last_name", None),
            ("patient.date_of_birth", None),
            ("billing_provider.npi", None),
            ("diagnoses", None),
            ("service_lines[0].charge_amount_cents", Some(id)),
            ("service_lines[0].date_of_service", Some(id)),
            ("subscriber_primary.insurance_card.member_id", None),
            ("subscriber_primary.insurance_card.payer_id", None),
        ]
    );
}

#[test]
fn self_pay_needs_no_subscriber_and_a_waived_problem_is_not_reported() {
    let id = Uuid::from_u128(3);
    let mut data = complete(Some("2024-05-01"));
    data.as_object_mut().map(|o| o.remove("subscriber_primary"));
    let merged = merge(
        &[Member {
            charge_capture_id: id,
            data: &data,
        }],
        None,
    );
    assert_eq!(validate(&merged, &no_waivers()).len(), 2);
    let mut self_pay = data.clone();
    self_pay["responsible_party"] = json!("SELF_PAY");
    let merged_self_pay = merge(
        &[Member {
            charge_capture_id: id,
            data: &self_pay,
        }],
        None,
    );
    assert_eq!(validate(&merged_self_pay, &no_waivers()), []);

    let mut no_diagnosis = complete(Some("2024-05-01"));
    no_diagnosis["diagnoses"] = json!([]);
    no_diagnosis["service_lines"][0]["diagnosis_pointers"] = json!([]);
    let merged = merge(
        &[Member {
            charge_capture_id: id,
            data: &no_diagnosis,
        }],
        None,
    );
    assert_eq!(validate(&merged, &no_waivers())[0].field, "diagnoses");
    let waived = BTreeSet::from([("diagnoses".to_string(), None)]);
    assert_eq!(validate(&merged, &waived), []);
}

#[test]
fn changed_keys_ignore_null_versus_absent() {
    let before = json!({"a": 1, "b": {"x": 1}, "c": null});
    let after = json!({"a": 1, "b": {"x": 2}, "d": "new"});
    assert_eq!(changed_data_keys(&before, &after), ["b", "d"]);
    assert_eq!(changed_data_keys(&before, &before), Vec::<String>::new());
}
