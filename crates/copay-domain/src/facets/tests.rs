use serde_json::json;

use super::*;

fn source<'a>(data: &'a Value, metadata: Option<&'a Value>) -> FacetSource<'a> {
    FacetSource {
        id: Uuid::nil(),
        charge_external_id: "CHG-1",
        patient_external_id: "emr-7",
        claim_creation_category: Some("behavioral"),
        data,
        metadata,
    }
}

fn values(facets: &BTreeSet<(Facet, String)>, facet: Facet) -> Vec<&str> {
    facets
        .iter()
        .filter(|(f, _)| *f == facet)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn reads_every_filterable_field_out_of_the_data() {
    let data = json!({
        "billing_provider": {"npi": " 1234567893 "},
        "service_facility": {"organization_name": "Main  Street Clinic"},
        "subscriber_primary": {"insurance_card": {"payer_id": "60054", "payer_name": "Aetna"}},
        "rendering_provider": {"npi": "1111111111", "first_name": "Ada", "last_name": "Lovelace"},
        "supervising_provider": {"npi": "2222222222", "organization_name": "Group PC"},
        "tag_ids": ["urgent", "", "follow-up", "urgent"],
        "patient": {"first_name": "Jane", "last_name": "Doe", "date_of_birth": "1980-02-29"},
        "billable_status": "BILLABLE",
        "responsible_party": "SELF_PAY"
    });
    let facets = facets_of(&source(&data, None));
    assert_eq!(values(&facets, Facet::BillingProviderNpi), ["1234567893"]);
    assert_eq!(
        values(&facets, Facet::ServiceFacilityName),
        ["main street clinic"]
    );
    assert_eq!(values(&facets, Facet::PrimaryPayerId), ["60054"]);
    assert_eq!(values(&facets, Facet::PrimaryPayerName), ["aetna"]);
    assert_eq!(values(&facets, Facet::RenderingProviderNpi), ["1111111111"]);
    assert_eq!(
        values(&facets, Facet::RenderingProviderName),
        ["ada lovelace"]
    );
    assert_eq!(
        values(&facets, Facet::SupervisingProviderName),
        ["group pc"]
    );
    assert_eq!(
        values(&facets, Facet::ClaimCreationCategory),
        ["behavioral"]
    );
    // Blank tags are dropped and repeats collapse.
    assert_eq!(values(&facets, Facet::Tag), ["follow-up", "urgent"]);
    assert_eq!(values(&facets, Facet::PatientName), ["jane doe"]);
    assert_eq!(values(&facets, Facet::BillableStatus), ["BILLABLE"]);
    assert_eq!(values(&facets, Facet::ResponsibleParty), ["SELF_PAY"]);
    assert_eq!(
        values(&facets, Facet::SearchWord),
        [
            "00000000-0000-0000-0000-000000000000",
            "1980-02-29",
            "chg-1",
            "doe",
            "emr-7",
            "jane"
        ]
    );
}

#[test]
fn empty_data_has_only_the_charge_level_facets() {
    let data = json!({});
    let facets = facets_of(&FacetSource {
        claim_creation_category: None,
        ..source(&data, None)
    });
    assert!(
        facets.iter().all(|(facet, _)| *facet == Facet::SearchWord),
        "{facets:?}"
    );
    assert_eq!(facets.len(), 3);
}

#[test]
fn wrong_types_are_ignored_not_fatal() {
    let data = json!({"billing_provider": {"npi": 42}, "tag_ids": "urgent", "patient": "Jane"});
    let facets = facets_of(&source(&data, None));
    assert!(values(&facets, Facet::BillingProviderNpi).is_empty());
    assert!(values(&facets, Facet::Tag).is_empty());
    assert!(values(&facets, Facet::PatientName).is_empty());
}

#[test]
fn names_compare_without_case_or_spacing_and_ids_exactly() {
    assert_eq!(
        Facet::PatientName.normalize("  JANE \t doe "),
        Some("jane doe".to_string())
    );
    assert_eq!(Facet::Tag.normalize(" Urgent "), Some("Urgent".to_string()));
    assert_eq!(Facet::PatientName.normalize("   "), None);
}

#[test]
fn long_values_are_cut_on_a_character_boundary() {
    let long = "é".repeat(200); // 400 bytes
    let value = Facet::Tag.normalize(&long).unwrap();
    assert!(value.len() <= MAX_VALUE_BYTES);
    assert!(long.starts_with(&value));
    assert_eq!(value.chars().count(), MAX_VALUE_BYTES / 2);
}

#[test]
fn search_words_are_lowercase_and_split_on_white_space() {
    assert_eq!(search_words("  Jane  DOE "), ["jane", "doe"]);
    assert!(search_words("   ").is_empty());
}

#[test]
fn metadata_entries_ignore_key_order_and_schema_case() {
    let a = metadata_entry("ABC", "k", &json!({"x": 1, "y": [1, {"b": 2, "a": 1}]}));
    let b = metadata_entry("abc", "k", &json!({"y": [1, {"a": 1, "b": 2}], "x": 1}));
    assert_eq!(a, b);
    assert_ne!(a, metadata_entry("abc", "k", &json!({"x": 2})));
    assert_ne!(
        metadata_entry("abc", "k", &json!("1")),
        metadata_entry("abc", "k", &json!(1))
    );
}

#[test]
fn metadata_instances_give_schema_and_entry_facets() {
    let data = json!({});
    let metadata = json!([
        {"schema_id": "s1", "content": {"visit": "annual", "score": 3}},
        {"schema_id": "s2", "content": {}},
        {"content": {"orphan": true}}
    ]);
    let facets = facets_of(&source(&data, Some(&metadata)));
    assert_eq!(values(&facets, Facet::MetadataSchema), ["s1", "s2"]);
    let entries = values(&facets, Facet::MetadataEntry);
    assert_eq!(entries.len(), 2);
    assert!(entries.contains(&metadata_entry("s1", "visit", &json!("annual")).as_str()));
    assert!(entries.contains(&metadata_entry("s1", "score", &json!(3)).as_str()));
}

#[test]
fn long_metadata_values_that_differ_never_match() {
    let base = "x".repeat(300);
    let a = metadata_entry("s", "k", &json!(format!("{base}AAA")));
    let b = metadata_entry("s", "k", &json!(format!("{base}ZZZ")));
    assert_ne!(a, b);
    assert!(a.len() <= MAX_VALUE_BYTES);
    assert_eq!(a, metadata_entry("S", "k", &json!(format!("{base}AAA"))));
}
