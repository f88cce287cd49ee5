//! Finding charge captures by what their data holds: the data-derived list filters,
//! free-text search, claim filters, ranking hints and find-by-metadata.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call};

crate::both_backends!(
    data_filters_match_what_the_charge_data_holds,
    an_update_moves_a_capture_between_filters,
    search_term_matches_names_ids_and_dates_by_prefix,
    claim_filters_follow_the_claim_a_capture_produced,
    ranking_hints_list_matches_first_and_pages_stay_whole,
    find_by_metadata_matches_any_instance,
    bad_filter_values_are_422_naming_the_parameter,
    another_tenants_captures_are_never_found,
    captures_indexed_by_older_rules_are_reindexed_at_start,
    one_filter_pages_count_each_capture_once,
    a_prefix_of_many_words_pages_like_a_prefix_of_few,
);

const CAPTURES: &str = "/api/charge_captures/v1";
const FIND: &str = "/api/charge_captures/v1/find-by-metadata";
const PROCESS: &str = "/copay/v1/claim-creations/process";
const SCHEMA: &str = "0190d7a4-0000-7000-8000-00000000000a";
const OTHER_SCHEMA: &str = "0190d7a4-0000-7000-8000-00000000000b";

/// The parts of a charge that the filters look at.
struct Charge<'a> {
    id: &'a str,
    patient: &'a str,
    name: (&'a str, &'a str),
    billing_npi: &'a str,
    payer: (&'a str, &'a str),
    rendering: (&'a str, &'a str),
    tags: &'a [&'a str],
    billable_status: &'a str,
    responsible_party: &'a str,
}

impl Charge<'_> {
    fn body(&self) -> Value {
        json!({
            "charge_external_id": self.id,
            "patient_external_id": self.patient,
            "status": "planned",
            "claim_creation_category": if self.tags.contains(&"urgent") { "urgent-care" } else { "routine" },
            "data": {
                "date_of_service": "2024-05-01",
                "patient": {"first_name": self.name.0, "last_name": self.name.1, "date_of_birth": "1980-01-02"},
                "billing_provider": {"npi": self.billing_npi},
                "service_facility": {"organization_name": format!("{} Clinic", self.billing_npi)},
                "subscriber_primary": {"insurance_card": {"payer_id": self.payer.0, "payer_name": self.payer.1}},
                "rendering_provider": {"npi": self.rendering.0, "first_name": "Dr", "last_name": self.rendering.1},
                "supervising_provider": {"npi": "5555555555", "organization_name": "Supervisors Group"},
                "tag_ids": self.tags,
                "billable_status": self.billable_status,
                "responsible_party": self.responsible_party,
            }
        })
    }
}

const CHARGES: [Charge<'static>; 4] = [
    Charge {
        id: "c-1",
        patient: "emr-100",
        name: ("Jane", "Doe"),
        billing_npi: "1111111111",
        payer: ("60054", "Aetna"),
        rendering: ("2222222222", "House"),
        tags: &["urgent", "new-patient"],
        billable_status: "BILLABLE",
        responsible_party: "INSURANCE_PAY",
    },
    Charge {
        id: "c-2",
        patient: "emr-101",
        name: ("John", "Doe"),
        billing_npi: "1111111111",
        payer: ("87726", "United Healthcare"),
        rendering: ("3333333333", "Wilson"),
        tags: &["follow-up"],
        billable_status: "BILLABLE",
        responsible_party: "SELF_PAY",
    },
    Charge {
        id: "c-3",
        patient: "emr-200",
        name: ("Mary Ann", "Smith"),
        billing_npi: "4444444444",
        payer: ("60054", "Aetna"),
        rendering: ("2222222222", "House"),
        tags: &[],
        billable_status: "NOT_BILLABLE",
        responsible_party: "INSURANCE_PAY",
    },
    Charge {
        id: "x-4",
        patient: "emr-300",
        name: ("Pat", "Jones"),
        billing_npi: "4444444444",
        payer: ("BCBS", "Blue Cross"),
        rendering: ("3333333333", "Wilson"),
        tags: &["urgent"],
        billable_status: "BILLABLE",
        responsible_party: "UNKNOWN",
    },
];

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = call(app.candid(Method::POST, CAPTURES, token).json(&body)).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn seed(app: &TestApp, token: &str) -> Vec<Value> {
    let mut created = Vec::new();
    for charge in &CHARGES {
        created.push(create(app, token, charge.body()).await);
    }
    created
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = call(app.candid(Method::GET, &format!("{CAPTURES}?{query}"), token)).await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn external_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    item["charge_external_id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Lists with `query` (oldest first) and checks the ids and the count.
async fn assert_finds(app: &TestApp, token: &str, query: &str, expected: &[&str]) {
    let page = list(app, token, &format!("sort_direction=asc&{query}")).await;
    assert_eq!(external_ids(&page), expected, "{query}");
    assert_eq!(page["item_count"], expected.len(), "{query}");
}

async fn data_filters_match_what_the_charge_data_holds(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    seed(app, &token).await;
    let cases: &[(&str, &[&str])] = &[
        ("billing_provider_npis=1111111111", &["c-1", "c-2"]),
        // A list parameter matches any of its values.
        (
            "billing_provider_npis=1111111111&billing_provider_npis=4444444444",
            &["c-1", "c-2", "c-3", "x-4"],
        ),
        ("service_facility_name=4444444444%20CLINIC", &["c-3", "x-4"]),
        ("primary_payer_ids=60054", &["c-1", "c-3"]),
        ("primary_payer_names=united%20healthcare", &["c-2"]),
        ("primary_payer_names=United", &[]),
        ("rendering_provider_npis=3333333333", &["c-2", "x-4"]),
        ("rendering_provider_names=dr%20house", &["c-1", "c-3"]),
        (
            "supervising_provider_npis=5555555555",
            &["c-1", "c-2", "c-3", "x-4"],
        ),
        (
            "supervising_provider_names=supervisors%20group",
            &["c-1", "c-2", "c-3", "x-4"],
        ),
        ("supervising_provider_npis=0000000000", &[]),
        ("claim_creation_category=urgent-care", &["c-1", "x-4"]),
        ("tags=urgent", &["c-1", "x-4"]),
        ("tags=follow-up&tags=new-patient", &["c-1", "c-2"]),
        // Names ignore case and extra spaces.
        ("patient_names=%20JANE%20%20doe", &["c-1"]),
        (
            "patient_names=mary%20ann%20smith&patient_names=pat%20jones",
            &["c-3", "x-4"],
        ),
        ("billable_status=NOT_BILLABLE", &["c-3"]),
        ("responsible_party=SELF_PAY", &["c-2"]),
        // Filters combine with AND, with each other and with the column filters.
        (
            "primary_payer_ids=60054&billing_provider_npis=4444444444",
            &["c-3"],
        ),
        (
            "tags=urgent&billable_status=BILLABLE&patient_external_id=emr-300",
            &["x-4"],
        ),
        ("tags=urgent&status=billable", &[]),
        // A blank value filters nothing.
        ("tags=", &["c-1", "c-2", "c-3", "x-4"]),
    ];
    for (query, expected) in cases {
        assert_finds(app, &token, query, expected).await;
    }
}

async fn an_update_moves_a_capture_between_filters(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let created = seed(app, &token).await;
    let id = created[0]["id"].as_str().unwrap_or_default();
    let mut data = CHARGES[0].body()["data"].clone();
    data["billing_provider"]["npi"] = json!("9999999999");
    data["tag_ids"] = json!([]);
    let (status, body) = call(
        app.candid(Method::PATCH, &format!("{CAPTURES}/{id}"), &token)
            .json(&json!({"data": data, "claim_creation_category": null})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_finds(app, &token, "billing_provider_npis=9999999999", &["c-1"]).await;
    assert_finds(app, &token, "billing_provider_npis=1111111111", &["c-2"]).await;
    assert_finds(app, &token, "tags=urgent", &["x-4"]).await;
    assert_finds(app, &token, "claim_creation_category=urgent-care", &["x-4"]).await;
    // The stored per-value counts moved with the facets.
    app.assert_ledger_ok().await;
}

async fn search_term_matches_names_ids_and_dates_by_prefix(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let created = seed(app, &token).await;
    let id_of_c3 = created[2]["id"].as_str().unwrap_or_default().to_string();
    let cases: Vec<(String, &[&str])> = vec![
        ("doe".into(), &["c-1", "c-2"]),
        ("DO".into(), &["c-1", "c-2"]),
        // Every word must match; words may match different fields.
        ("jane%20doe".into(), &["c-1"]),
        ("doe%20emr-101".into(), &["c-2"]),
        ("mary%20smith".into(), &["c-3"]),
        ("emr-1".into(), &["c-1", "c-2"]),
        ("x-".into(), &["x-4"]),
        ("1980-01".into(), &["c-1", "c-2", "c-3", "x-4"]),
        (id_of_c3.to_uppercase(), &["c-3"]),
        ("nobody".into(), &[]),
        ("jane%20nobody".into(), &[]),
    ];
    for (term, expected) in cases {
        assert_finds(app, &token, &format!("search_term={term}"), expected).await;
    }
    assert_finds(app, &token, "search_term=doe&tags=follow-up", &["c-2"]).await;
}

fn billable(external_id: &str, patient: &str, date: &str) -> Value {
    json!({
        "charge_external_id": external_id,
        "patient_external_id": patient,
        "status": "billable",
        "data": {
            "date_of_service": date,
            "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02"},
            "billing_provider": {"npi": "1234567893"},
            "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054"}},
            "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
            "service_lines": [{"procedure_code": "99213", "quantity": "1", "units": "UN",
                "charge_amount_cents": 10000, "diagnosis_pointers": [0]}]
        }
    })
}

async fn claim_filters_follow_the_claim_a_capture_produced(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    create(app, &token, billable("a-1", "pat-a", "2024-05-01")).await;
    create(app, &token, billable("a-2", "pat-a", "2024-05-01")).await;
    create(app, &token, billable("b-1", "pat-b", "2024-05-01")).await;
    let (status, report) = call(app.candid(Method::POST, PROCESS, &token)).await;
    assert_eq!(status, 200, "{report}");
    // Created after processing: in a new, unprocessed creation without a claim.
    create(app, &token, billable("c-1", "pat-c", "2024-05-01")).await;

    let a = list(app, &token, "patient_external_id=pat-a").await;
    let creation = a["items"][0]["claim_creation_id"]
        .as_str()
        .unwrap_or_default();
    let (status, creation) = call(app.candid(
        Method::GET,
        &format!("/api/charge_capture_claim_creation/v1/{creation}"),
        &token,
    ))
    .await;
    assert_eq!(status, 200, "{creation}");
    let encounter = creation["created_encounter_id"]
        .as_str()
        .unwrap_or_default();
    let (status, encounter) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4/{encounter}"),
        &token,
    ))
    .await;
    assert_eq!(status, 200, "{encounter}");
    let claim_id = encounter["claims"][0]["claim_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!claim_id.is_empty(), "{encounter}");

    assert_finds(
        app,
        &token,
        &format!("claim_ids={claim_id}"),
        &["a-1", "a-2"],
    )
    .await;
    assert_finds(
        app,
        &token,
        "claim_ids=0190d7a4-0000-7000-8000-000000000000",
        &[],
    )
    .await;
    assert_finds(
        app,
        &token,
        "claim_status=biller_received",
        &["a-1", "a-2", "b-1"],
    )
    .await;
    assert_finds(app, &token, "claim_status=paid", &[]).await;
    // The claim id is searchable too.
    assert_finds(
        app,
        &token,
        &format!("search_term={claim_id}"),
        &["a-1", "a-2"],
    )
    .await;
}

async fn ranking_hints_list_matches_first_and_pages_stay_whole(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    seed(app, &token).await;
    // Hints reorder; they never filter.
    let page = list(app, &token, "sort_direction=asc&tags_ranked_sort=urgent").await;
    assert_eq!(external_ids(&page), ["c-1", "x-4", "c-2", "c-3"]);
    assert_eq!(page["item_count"], 4);
    // More hints matched rank higher: c-3 matches both, c-1 and c-2 one each.
    let page = list(
        app,
        &token,
        "sort_direction=asc&primary_payer_ids_ranked_sort=60054&billable_status=BILLABLE\
         &patient_names_ranked_sort=john%20doe",
    )
    .await;
    assert_eq!(external_ids(&page), ["c-1", "c-2", "x-4"]);
    let page = list(
        app,
        &token,
        "primary_payer_ids_ranked_sort=60054&billing_provider_npis_ranked_sort=4444444444",
    )
    .await;
    assert_eq!(external_ids(&page), ["c-3", "x-4", "c-1", "c-2"]);

    // Paging under a hint, with captures inserted between fetches, skips and repeats none.
    for i in 0..6 {
        let mut body = CHARGES[i % CHARGES.len()].body();
        body["charge_external_id"] = json!(format!("old-{i}"));
        create(app, &token, body).await;
    }
    for direction in ["asc", "desc"] {
        let mut seen: Vec<String> = Vec::new();
        let mut page_token = String::new();
        let mut ranks_seen_descending = true;
        let mut last_urgent = true;
        for inserted in 0.. {
            let page = list(
                app,
                &token,
                &format!("limit=3&sort_direction={direction}&tags_ranked_sort=urgent{page_token}"),
            )
            .await;
            for item in page["items"].as_array().into_iter().flatten() {
                let urgent = item["charge_capture_data"]["tag_ids"]
                    .as_array()
                    .is_some_and(|tags| tags.contains(&json!("urgent")));
                ranks_seen_descending &= last_urgent || !urgent;
                last_urgent = urgent;
                seen.push(
                    item["charge_external_id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                );
            }
            let mut body = CHARGES[inserted % CHARGES.len()].body();
            body["charge_external_id"] = json!(format!("new-{direction}-{inserted}"));
            create(app, &token, body).await;
            match page["next_page_token"].as_str() {
                Some(next) => page_token = format!("&page_token={next}"),
                None => break,
            }
        }
        let old: Vec<&String> = seen.iter().filter(|id| !id.starts_with("new-")).collect();
        let mut unique = old.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), old.len(), "{direction}: repeated: {seen:?}");
        assert_eq!(old.len(), 10, "{direction}: skipped: {seen:?}");
        assert!(ranks_seen_descending, "{direction}: order broke: {seen:?}");
    }
    // A token minted with hints does not position a list without them.
    let page = list(app, &token, "limit=1&tags_ranked_sort=urgent").await;
    let next = page["next_page_token"].as_str().unwrap_or_default();
    let (status, body) = call(app.candid(
        Method::GET,
        &format!("{CAPTURES}?limit=1&page_token={next}"),
        &token,
    ))
    .await;
    assert_eq!(status, 422, "{body}");
}

fn with_metadata(external_id: &str, metadata: Value) -> Value {
    json!({
        "charge_external_id": external_id,
        "patient_external_id": "pat",
        "status": "planned",
        "data": {},
        "metadata": metadata,
    })
}

async fn find(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, page) = call(app.candid(Method::POST, FIND, token).json(&body)).await;
    assert_eq!(status, 200, "{body}: {page}");
    page
}

async fn find_by_metadata_matches_any_instance(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    create(
        app,
        &token,
        with_metadata(
            "m-1",
            json!([{"schema_id": SCHEMA, "content": {"visit": "annual", "score": 3, "flags": {"a": 1, "b": 2}}}]),
        ),
    )
    .await;
    create(
        app,
        &token,
        with_metadata(
            "m-2",
            json!([{"schema_id": SCHEMA, "content": {"visit": "sick", "score": 3}},
                   {"schema_id": OTHER_SCHEMA, "content": {"site": "north"}}]),
        ),
    )
    .await;
    create(app, &token, with_metadata("m-3", json!([]))).await;
    create(
        app,
        &token,
        json!({"charge_external_id": "m-4", "patient_external_id": "pat", "status": "planned", "data": {}}),
    )
    .await;

    let cases: Vec<(Value, &[&str])> = vec![
        (
            json!([{"schema_id": SCHEMA, "content": {"visit": "annual"}}]),
            &["m-1"],
        ),
        (
            json!([{"schema_id": SCHEMA, "content": {"score": 3}}]),
            &["m-2", "m-1"],
        ),
        // Every key of an instance must match...
        (
            json!([{"schema_id": SCHEMA, "content": {"score": 3, "visit": "sick"}}]),
            &["m-2"],
        ),
        (
            json!([{"schema_id": SCHEMA, "content": {"score": "3"}}]),
            &[],
        ),
        // ...objects compare by value, whatever their key order...
        (
            json!([{"schema_id": SCHEMA, "content": {"flags": {"b": 2, "a": 1}}}]),
            &["m-1"],
        ),
        // ...and any instance may match.
        (
            json!([{"schema_id": SCHEMA, "content": {"visit": "annual"}},
                   {"schema_id": OTHER_SCHEMA, "content": {"site": "north"}}]),
            &["m-2", "m-1"],
        ),
        // The key must be under the same schema.
        (
            json!([{"schema_id": OTHER_SCHEMA, "content": {"visit": "annual"}}]),
            &[],
        ),
        // Empty content: any capture with an instance of the schema.
        (
            json!([{"schema_id": OTHER_SCHEMA, "content": {}}]),
            &["m-2"],
        ),
        (json!([]), &[]),
    ];
    for (metadata, expected) in cases {
        let page = find(app, &token, json!({"metadata": metadata})).await;
        assert_eq!(external_ids(&page), expected, "{metadata}");
        assert_eq!(page["item_count"], expected.len(), "{metadata}");
    }
    // The response carries the metadata as stored.
    let page = find(
        app,
        &token,
        json!({"metadata": [{"schema_id": OTHER_SCHEMA, "content": {}}]}),
    )
    .await;
    assert_eq!(
        page["items"][0]["metadata"][1]["content"],
        json!({"site": "north"})
    );

    // Paging.
    let body = json!({"metadata": [{"schema_id": SCHEMA, "content": {}}], "limit": 1});
    let first = find(app, &token, body.clone()).await;
    assert_eq!(external_ids(&first), ["m-2"]);
    assert_eq!(first["item_count"], 2);
    let mut next = body;
    next["page_token"] = first["next_page_token"].clone();
    let second = find(app, &token, next).await;
    assert_eq!(external_ids(&second), ["m-1"]);
    assert_eq!(second["next_page_token"], Value::Null);

    // Bad bodies.
    for bad in [
        json!({}),
        json!({"metadata": [{"schema_id": "not-a-uuid", "content": {}}]}),
        json!({"metadata": [{"schema_id": SCHEMA}]}),
        json!({"metadata": [], "limit": 0}),
        json!({"metadata": [], "page_token": "garbage"}),
    ] {
        let (status, error) = call(app.candid(Method::POST, FIND, &token).json(&bad)).await;
        assert_eq!(status, 422, "{bad}: {error}");
        assert_eq!(error["errorName"], "HttpRequestValidationsError", "{bad}");
    }
}

async fn bad_filter_values_are_422_naming_the_parameter(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    for (query, parameter) in [
        ("billable_status=billable", "billable_status"),
        ("responsible_party=CASH", "responsible_party"),
        ("claim_status=open", "claim_status"),
        ("claim_ids=nope", "claim_ids"),
        ("status_ranked_sort=done", "status_ranked_sort"),
        ("claim_ids_ranked_sort=nope", "claim_ids_ranked_sort"),
        (
            "date_of_service_min_ranked_sort=May",
            "date_of_service_min_ranked_sort",
        ),
    ] {
        let (status, body) =
            call(app.candid(Method::GET, &format!("{CAPTURES}?{query}"), &token)).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["errorName"], "HttpRequestValidationsError", "{query}");
        assert_eq!(
            body["content"][0]["fieldName"], parameter,
            "{query}: {body}"
        );
    }
}

async fn another_tenants_captures_are_never_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let acme_token = app.token(&acme).await;
    let other = app.tenant("other").await;
    let other_token = app.token(&other).await;
    seed(app, &acme_token).await;
    create(
        app,
        &acme_token,
        with_metadata("m-1", json!([{"schema_id": SCHEMA, "content": {"k": 1}}])),
    )
    .await;
    for query in [
        "billing_provider_npis=1111111111",
        "search_term=doe",
        "tags=urgent",
        "tags_ranked_sort=urgent",
        "",
    ] {
        let page = list(app, &other_token, query).await;
        assert_eq!(page["item_count"], 0, "{query}: {page}");
    }
    let page = find(
        app,
        &other_token,
        json!({"metadata": [{"schema_id": SCHEMA, "content": {"k": 1}}]}),
    )
    .await;
    assert_eq!(page["item_count"], 0);
}

async fn captures_indexed_by_older_rules_are_reindexed_at_start(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    seed(app, &token).await;
    // What a database written before facets existed looks like (the migration that
    // added the per-value counts counted the facets there were: none).
    for statement in [
        "DELETE FROM charge_capture_facets",
        "DELETE FROM charge_capture_facet_counts",
        "UPDATE charge_captures SET facets_version = 0",
    ] {
        app.execute_sql(statement).await;
    }
    assert_finds(app, &token, "tags=urgent", &[]).await;
    let refreshed = copay_service::charge_captures::refresh_stale_facets(app.store())
        .await
        .expect("refresh");
    assert_eq!(refreshed, 4);
    assert_finds(app, &token, "tags=urgent", &["c-1", "x-4"]).await;
    assert_finds(app, &token, "search_term=doe", &["c-1", "c-2"]).await;
    let again = copay_service::charge_captures::refresh_stale_facets(app.store())
        .await
        .expect("refresh");
    assert_eq!(again, 0);
    app.assert_ledger_ok().await;
}

/// A single data filter or search word is answered from the facet index alone (the page
/// walks the index, the count reads no capture): pages must still neither skip nor
/// repeat, in both directions, and a capture with two matching words counts once.
async fn one_filter_pages_count_each_capture_once(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    seed(app, &token).await;
    let mut twice = CHARGES[1].body();
    twice["charge_external_id"] = json!("c-5");
    twice["data"]["patient"] =
        json!({"first_name": "Ann", "last_name": "Anders", "date_of_birth": "1990-03-04"});
    create(app, &token, twice).await;

    for (query, expected) in [
        (
            "billing_provider_npis=1111111111",
            vec!["c-5", "c-2", "c-1"],
        ),
        ("search_term=doe", vec!["c-2", "c-1"]),
        ("search_term=an", vec!["c-5", "c-3"]),
    ] {
        for direction in ["desc", "asc"] {
            let mut seen = Vec::new();
            let mut token_param = String::new();
            for _ in 0..10 {
                let page = list(
                    app,
                    &token,
                    &format!("limit=1&sort_direction={direction}&{query}{token_param}"),
                )
                .await;
                assert_eq!(page["item_count"], expected.len(), "{query} {direction}");
                seen.extend(external_ids(&page));
                match page["next_page_token"].as_str() {
                    Some(next) => token_param = format!("&page_token={next}"),
                    None => break,
                }
            }
            let mut want = expected.clone();
            if direction == "asc" {
                want.reverse();
            }
            assert_eq!(seen, want, "{query} {direction}");
        }
    }
    // The facet drives the page; the other filters still apply to it.
    assert_finds(
        app,
        &token,
        "billing_provider_npis=1111111111&patient_external_id=emr-101",
        &["c-2", "c-5"],
    )
    .await;

    // The counts are stored per value; `copay verify` compares them with the facets.
    app.assert_ledger_ok().await;
    let forget = "DELETE FROM charge_capture_facet_counts WHERE value = '1111111111'";
    app.execute_sql(forget).await;
    assert_eq!(
        app.verify().await.violations,
        [format!(
            "tenant {} has 3 charge captures with billing_provider_npi \"1111111111\" but counts 0",
            tenant.tenant_id
        )]
    );
}

/// Walks every page of `query` (`limit=3`) in `direction`; returns the external ids seen
/// and checks that each page reports the same `item_count`.
async fn walk(app: &TestApp, token: &str, query: &str, direction: &str) -> (Vec<String>, Value) {
    let (mut seen, mut count, mut next) = (Vec::new(), Value::Null, String::new());
    for _ in 0..30 {
        let page = list(
            app,
            token,
            &format!("limit=3&sort_direction={direction}&{query}{next}"),
        )
        .await;
        if !count.is_null() {
            assert_eq!(page["item_count"], count, "{query}");
        }
        count = page["item_count"].clone();
        seen.extend(external_ids(&page));
        match page["next_page_token"].as_str() {
            Some(token) => next = format!("&page_token={token}"),
            None => break,
        }
    }
    (seen, count)
}

/// A search prefix shared by few words is paged word by word from the index, one shared
/// by many like any other filter: both list every match once, newest first.
async fn a_prefix_of_many_words_pages_like_a_prefix_of_few(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let mut all = Vec::new();
    for n in 0..20 {
        let mut body = CHARGES[0].body();
        let id = format!("z-{n:02}");
        body["charge_external_id"] = json!(id);
        body["patient_external_id"] = json!(format!("emr-z{n:02}"));
        body["data"]["patient"] = json!({"first_name": "Zed", "last_name": format!("Zedson{n:02}"), "date_of_birth": "1970-01-01"});
        create(app, &token, body).await;
        all.push(id);
    }
    all.reverse();
    for (query, expected) in [
        // 21 words start with "zed" (zed, zedson00 … zedson19): more than are paged word by word.
        ("search_term=zed", all.clone()),
        ("search_term=zedson1", all[..10].to_vec()),
        ("search_term=zedson07", vec!["z-07".to_string()]),
        ("search_term=zedsonx", vec![]),
    ] {
        let (newest_first, count) = walk(app, &token, query, "desc").await;
        assert_eq!(newest_first, expected, "{query}");
        assert_eq!(count, expected.len(), "{query}");
        let (mut oldest_first, _) = walk(app, &token, query, "asc").await;
        oldest_first.reverse();
        assert_eq!(oldest_first, expected, "{query} asc");
    }
}
