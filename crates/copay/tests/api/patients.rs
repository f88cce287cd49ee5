//! The patient registry on Decoda's two generations, and its bridge to the Candid side:
//! processing registers the EHR's patient, and create-from-pre-encounter fills a claim's
//! patient from the registry.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, call, decoda};

crate::both_backends!(
    gen1_create_get_update_and_find_by_external_id,
    gen1_list_searches_newest_first_and_bounds_n,
    gen2_create_chart_update_and_list_by_ids,
    both_generations_share_one_registry,
    bad_patient_input_is_refused_and_writes_nothing,
    another_tenants_patients_are_not_found,
    processing_registers_and_updates_the_ehr_patient,
    a_charge_from_a_pre_encounter_patient_takes_the_registry_patient,
    create_from_pre_encounter_needs_a_patient_of_the_tenant,
);

async fn create_v1(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let (status, created) =
        decoda(app, tenant, Method::POST, "/v1/patient/create", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn create_v2(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let (status, created) = decoda(
        app,
        tenant,
        Method::POST,
        "/user/patient/create",
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    created
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

async fn gen1_create_get_update_and_find_by_external_id(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let created = create_v1(
        app,
        &tenant,
        json!({"firstName": "Jane", "lastName": "Doe", "externalUserId": "emr-7", "dateOfBirth": "1980-01-02",
               "gender": "FEMALE", "email": "jane@example.test", "phoneNumber": "555-0100",
               "address": "1 Main St", "city": "Springfield", "state": "IL", "zipCode": "62701",
               "allergies": ["peanuts"], "meta": {"mrn": "A1"}, "optedOutOfSms": true}),
    )
    .await;
    assert_eq!(created["firstName"], "Jane");
    assert_eq!(created["type"], "PATIENT");
    assert_eq!(created["externalUserId"], "emr-7");
    assert_eq!(created["dateOfBirth"], "1980-01-02");
    assert_eq!(created["allergies"], json!(["peanuts"]));
    assert_eq!(created["meta"], json!({"mrn": "A1"}));
    assert_eq!(created["optedOutOfSms"], true);
    assert!(
        created["createdDate"]
            .as_str()
            .is_some_and(|d| d.contains('T'))
    );

    let path = format!("/v1/patient/{}", id(&created));
    let (status, fetched) = decoda(app, &tenant, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, created);
    let (status, by_external) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/patient/get_by_external_id/emr-7",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_external["id"], created["id"]);

    // Absent keys stay; null clears; snake_case is accepted.
    let update = format!("/v1/patient/update/{}", id(&created));
    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &update,
        Some(json!({"last_name": "Roe", "email": null, "allergies": null})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["lastName"], "Roe");
    assert_eq!(updated["firstName"], "Jane");
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["allergies"], Value::Null);
    assert_eq!(updated["city"], "Springfield");
    let (_, fetched) = decoda(app, &tenant, Method::GET, &path, None).await;
    assert_eq!(fetched, updated);
}

async fn gen1_list_searches_newest_first_and_bounds_n(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    for (first, last, phone, external) in [
        ("Jane", "Doe", "555-0100", "emr-1"),
        ("John", "Doe", "555-0101", "emr-2"),
        ("Mary", "Smith", "555-0199", "emr-3"),
    ] {
        create_v1(
            app,
            &tenant,
            json!({"firstName": first, "lastName": last, "phoneNumber": phone, "externalUserId": external}),
        )
        .await;
    }
    let names = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|p| p["firstName"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for (query, expected) in [
        ("", vec!["Mary", "John", "Jane"]),
        ("?n=2", vec!["Mary", "John"]),
        ("?search_term=DOE", vec!["John", "Jane"]),
        ("?search_term=0199", vec!["Mary"]),
        ("?search_term=100%25", vec![]),
        ("?external_user_id=emr-2", vec!["John"]),
        ("?search_term=doe&external_user_id=emr-3", vec![]),
    ] {
        let (status, list) = decoda(
            app,
            &tenant,
            Method::GET,
            &format!("/v1/patient/list{query}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(names(&list), expected, "{query}");
    }
    // A caller-chosen id says nothing about age: the newest is still listed first.
    create_v1(
        app,
        &tenant,
        json!({"firstName": "Zed", "id": "00000000-0000-7000-8000-000000000001"}),
    )
    .await;
    let (_, list) = decoda(app, &tenant, Method::GET, "/v1/patient/list?n=2", None).await;
    assert_eq!(names(&list), ["Zed", "Mary"]);
    for bad in ["?n=lots", "?n=100000"] {
        let (status, body) = decoda(
            app,
            &tenant,
            Method::GET,
            &format!("/v1/patient/list{bad}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["detail"][0]["loc"], json!(["query", "n"]), "{bad}");
    }
}

async fn gen2_create_chart_update_and_list_by_ids(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let empty = create_v2(app, &tenant, json!({})).await;
    assert_eq!(empty["firstName"], Value::Null);
    assert_eq!(empty["creditBalance"], 0);
    let created = create_v2(
        app,
        &tenant,
        json!({"firstName": "Ada", "externalId": "emr-9", "gender": "nonbinary", "pronouns": "they/them",
               "patientSource": "EXTERNAL_INTEGRATION", "onSchedulingBlacklist": true, "creditBalance": 0}),
    )
    .await;
    assert_eq!(created["externalId"], "emr-9");
    assert_eq!(created["gender"], "nonbinary");
    assert_eq!(created["patientSource"], "EXTERNAL_INTEGRATION");
    assert_eq!(created["onSchedulingBlacklist"], true);

    let path = format!("/user/patient/{}", id(&created));
    let (status, chart) = decoda(app, &tenant, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{chart}");
    assert_eq!(chart["pronouns"], "they/them");
    assert_eq!(chart["memberships"], json!([]));
    assert_eq!(chart["appointmentCount"], 0);

    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &path,
        Some(json!({"lastName": "Lovelace", "goalWeight": 140.5, "pronouns": null})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["lastName"], "Lovelace");
    assert_eq!(updated["pronouns"], Value::Null);
    let (_, chart) = decoda(app, &tenant, Method::GET, &path, None).await;
    assert_eq!(chart["goalWeight"], 140.5);

    let list = format!(
        "/user/patient/list?patient_ids={}&patient_ids={}&patient_ids=unknown&patient_ids=0190d7a4-0000-7000-8000-000000000000",
        id(&empty),
        id(&created)
    );
    let (status, listed) = decoda(app, &tenant, Method::GET, &list, None).await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<&str> = listed
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert_eq!(ids, [id(&created), id(&empty)]);
    let (status, _) = decoda(app, &tenant, Method::GET, "/user/patient/list", None).await;
    assert_eq!(status, 422);
}

async fn both_generations_share_one_registry(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let from_v1 = create_v1(
        app,
        &tenant,
        json!({"firstName": "Jane", "externalUserId": "emr-1"}),
    )
    .await;
    let (status, chart) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{}", id(&from_v1)),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(chart["externalId"], "emr-1");
    assert_eq!(chart["firstName"], "Jane");

    let from_v2 = create_v2(
        app,
        &tenant,
        json!({"lastName": "Only", "externalId": "emr-2"}),
    )
    .await;
    let (status, summary) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/patient/get_by_external_id/emr-2",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(summary["id"], from_v2["id"]);
    // Gen-1 requires a first name in its summary; a patient without one shows "".
    assert_eq!(summary["firstName"], "");
    // One external id per tenant across both generations.
    let (status, body) = decoda(
        app,
        &tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"externalId": "emr-1"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("emr-1")),
        "{body}"
    );
}

async fn patient_count(app: &TestApp, tenant: &Tenant) -> usize {
    let (_, list) = decoda(app, tenant, Method::GET, "/v1/patient/list?n=1000", None).await;
    list.as_array().map(Vec::len).unwrap_or(0)
}

async fn bad_patient_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let existing = create_v1(
        app,
        &tenant,
        json!({"firstName": "Jane", "externalUserId": "emr-1"}),
    )
    .await;
    let cases: &[(&str, Value, u16, &str)] = &[
        (
            "/v1/patient/create",
            json!({"lastName": "NoFirst"}),
            422,
            "firstName",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": 7}),
            422,
            "firstName",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "gender": "female"}),
            422,
            "gender",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "dateOfBirth": "01/02/1980"}),
            422,
            "dateOfBirth",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "allergies": "peanuts"}),
            422,
            "allergies",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "id": "pat_123"}),
            422,
            "id",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "externalUserId": "emr-1"}),
            409,
            "",
        ),
        (
            "/v1/patient/create",
            json!({"firstName": "A", "externalUserId": " "}),
            422,
            "externalUserId",
        ),
        (
            "/user/patient/create",
            json!({"creditBalance": -500}),
            422,
            "creditBalance",
        ),
        (
            "/user/patient/create",
            json!({"patientSource": "WALK_IN"}),
            422,
            "patientSource",
        ),
        (
            "/user/patient/create",
            json!({"preferredName": "x".repeat(256)}),
            422,
            "preferredName",
        ),
        ("/user/patient/create", json!({"meta": [1]}), 422, "meta"),
    ];
    for (path, body, expected, field) in cases {
        let (status, error) = decoda(app, &tenant, Method::POST, path, Some(body.clone())).await;
        assert_eq!(status, *expected, "{path} {body}: {error}");
        if *expected == 422 {
            assert_eq!(error["detail"][0]["loc"][0], "body", "{body}: {error}");
            assert_eq!(error["detail"][0]["loc"][1], *field, "{body}: {error}");
            assert!(error["detail"][0]["msg"].is_string(), "{error}");
        } else {
            assert!(error["detail"].is_string(), "{error}");
        }
    }
    let (status, _) = decoda(app, &tenant, Method::POST, "/v1/patient/create", None).await;
    assert_eq!(status, 422);
    let update = format!("/v1/patient/update/{}", id(&existing));
    let (status, _) = decoda(
        app,
        &tenant,
        Method::PUT,
        &update,
        Some(json!({"firstName": null})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(patient_count(app, &tenant).await, 1);
    let (_, unchanged) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/v1/patient/{}", id(&existing)),
        None,
    )
    .await;
    assert_eq!(unchanged, existing);
}

async fn another_tenants_patients_are_not_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = create_v1(
        app,
        &acme,
        json!({"firstName": "Jane", "externalUserId": "emr-1"}),
    )
    .await;
    let patient_id = id(&patient);
    for (method, path, body) in [
        (Method::GET, format!("/v1/patient/{patient_id}"), None),
        (
            Method::GET,
            "/v1/patient/get_by_external_id/emr-1".to_string(),
            None,
        ),
        (
            Method::PUT,
            format!("/v1/patient/update/{patient_id}"),
            Some(json!({"firstName": "X"})),
        ),
        (Method::GET, format!("/user/patient/{patient_id}"), None),
        (
            Method::PUT,
            format!("/user/patient/{patient_id}"),
            Some(json!({"firstName": "X"})),
        ),
        (Method::GET, "/v1/patient/not-a-uuid".to_string(), None),
    ] {
        let (status, body) = decoda(app, &other, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    let (_, listed) = decoda(
        app,
        &other,
        Method::GET,
        &format!("/user/patient/list?patient_ids={patient_id}"),
        None,
    )
    .await;
    assert_eq!(listed, json!([]));
    assert_eq!(patient_count(app, &other).await, 0);
    // The other tenant may use the same external id for its own patient.
    create_v1(
        app,
        &other,
        json!({"firstName": "Other", "externalUserId": "emr-1"}),
    )
    .await;
    let (_, still) = decoda(
        app,
        &acme,
        Method::GET,
        &format!("/v1/patient/{patient_id}"),
        None,
    )
    .await;
    assert_eq!(still["firstName"], "Jane");
}

const CAPTURES: &str = "/api/charge_captures/v1";
const PROCESS: &str = "/copay/v1/claim-creations/process";

/// Billable charge data complete enough to become a claim, with `patient` as given.
fn claim_data(patient: Value) -> Value {
    json!({
        "date_of_service": "2024-05-01",
        "patient": patient,
        "billing_provider": {"npi": "1234567893"},
        "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [{"procedure_code": "99213", "quantity": "1", "units": "UN",
            "charge_amount_cents": 10000, "diagnosis_pointers": [0]}]
    })
}

async fn process(app: &TestApp, token: &str) {
    let (status, report) = call(app.candid(Method::POST, PROCESS, token)).await;
    assert_eq!(status, 200, "{report}");
}

/// The encounter the capture's claim creation produced.
async fn encounter_of(app: &TestApp, token: &str, capture_id: &str) -> Value {
    let (_, capture) =
        call(app.candid(Method::GET, &format!("{CAPTURES}/{capture_id}"), token)).await;
    let creation = capture["claim_creation_id"].as_str().unwrap_or_default();
    let (_, creation) = call(app.candid(
        Method::GET,
        &format!("/api/charge_capture_claim_creation/v1/{creation}"),
        token,
    ))
    .await;
    assert_eq!(creation["status"], "successful", "{creation}");
    let encounter = creation["created_encounter_id"]
        .as_str()
        .unwrap_or_default();
    let (status, encounter) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4/{encounter}"),
        token,
    ))
    .await;
    assert_eq!(status, 200, "{encounter}");
    encounter
}

async fn processing_registers_and_updates_the_ehr_patient(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (status, missing) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/patient/get_by_external_id/emr-55",
        None,
    )
    .await;
    assert_eq!(status, 404, "{missing}");

    let capture = |external: &str, first: &str| {
        json!({"charge_external_id": external, "patient_external_id": "emr-55", "status": "billable",
               "data": claim_data(json!({"first_name": first, "last_name": "Doe", "date_of_birth": "1980-01-02",
                                         "gender": "female", "address": {"address1": "1 Main St", "city": "Springfield",
                                         "state": "IL", "zip_code": "62701"}}))})
    };
    let (status, body) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture("c-1", "Jane")),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    process(app, &token).await;
    let (status, registered) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/patient/get_by_external_id/emr-55",
        None,
    )
    .await;
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["firstName"], "Jane");
    assert_eq!(registered["lastName"], "Doe");
    assert_eq!(registered["dateOfBirth"], "1980-01-02");
    assert_eq!(registered["city"], "Springfield");
    assert_eq!(registered["zipCode"], "62701");

    // A later claim for the same patient updates the entry; it never duplicates it.
    let mut later = capture("c-2", "Janet");
    later["data"]["date_of_service"] = json!("2024-06-01");
    let (status, body) = call(app.candid(Method::POST, CAPTURES, &token).json(&later)).await;
    assert_eq!(status, 200, "{body}");
    process(app, &token).await;
    let (_, updated) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/patient/get_by_external_id/emr-55",
        None,
    )
    .await;
    assert_eq!(updated["id"], registered["id"]);
    assert_eq!(updated["firstName"], "Janet");
    assert_eq!(patient_count(app, &tenant).await, 1);
    app.assert_ledger_ok().await;
}

async fn a_charge_from_a_pre_encounter_patient_takes_the_registry_patient(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let patient = create_v2(
        app,
        &tenant,
        json!({"firstName": "Grace", "lastName": "Hopper", "externalId": "emr-77", "dateOfBirth": "1906-12-09",
               "gender": "FEMALE", "address": "1 Navy Way", "city": "Arlington", "state": "VA", "zipCode": "22202"}),
    )
    .await;
    let body = json!({
        "charge_external_id": "pre-1",
        "pre_encounter_patient_id": patient["id"],
        "pre_encounter_appointment_ids": ["0190d7a4-0000-7000-8000-0000000000aa"],
        "status": "billable",
        // The charge's own patient data is replaced by the registry's.
        "data": claim_data(json!({"first_name": "Wrong", "last_name": "Name"})),
    });
    let (status, capture) = call(
        app.candid(
            Method::POST,
            &format!("{CAPTURES}/create-from-pre-encounter"),
            &token,
        )
        .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{capture}");
    assert_eq!(capture["patient_external_id"], "emr-77");
    assert_eq!(capture["status"], "billable");
    assert!(capture["claim_creation_id"].is_string());

    // An edit to the registry before processing reaches the claim.
    let (status, _) = decoda(
        app,
        &tenant,
        Method::PUT,
        &format!("/user/patient/{}", id(&patient)),
        Some(json!({"lastName": "Murray Hopper"})),
    )
    .await;
    assert_eq!(status, 200);
    process(app, &token).await;
    let encounter = encounter_of(app, &token, capture["id"].as_str().unwrap_or_default()).await;
    let claim_patient = &encounter["patient"];
    assert_eq!(claim_patient["first_name"], "Grace", "{claim_patient}");
    assert_eq!(claim_patient["last_name"], "Murray Hopper");
    assert_eq!(claim_patient["date_of_birth"], "1906-12-09");
    assert_eq!(claim_patient["gender"], "female");
    assert_eq!(claim_patient["address"]["city"], "Arlington");
    assert_eq!(claim_patient["address"]["state"], "VA");
    // The registry keeps its own spelling: processing does not write it back.
    let (_, after) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{}", id(&patient)),
        None,
    )
    .await;
    assert_eq!(after["gender"], "FEMALE");
    assert_eq!(patient_count(app, &tenant).await, 1);

    // A registry patient without an external id is known by its copay id.
    let anonymous = create_v2(app, &tenant, json!({"firstName": "Anon"})).await;
    let mut body = body;
    body["charge_external_id"] = json!("pre-2");
    body["pre_encounter_patient_id"] = anonymous["id"].clone();
    let (status, capture) = call(
        app.candid(
            Method::POST,
            &format!("{CAPTURES}/create-from-pre-encounter"),
            &token,
        )
        .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{capture}");
    assert_eq!(capture["patient_external_id"], anonymous["id"]);
    app.assert_ledger_ok().await;
}

async fn create_from_pre_encounter_needs_a_patient_of_the_tenant(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let token = app.token(&acme).await;
    let foreign = create_v2(
        app,
        &other,
        json!({"firstName": "Not", "externalId": "emr-1"}),
    )
    .await;
    let path = format!("{CAPTURES}/create-from-pre-encounter");
    let body = |patient: &Value| {
        json!({"charge_external_id": "pre-1", "pre_encounter_patient_id": patient,
               "pre_encounter_appointment_ids": [], "status": "billable", "data": {}})
    };
    for patient in [
        foreign["id"].clone(),
        json!("0190d7a4-0000-7000-8000-000000000000"),
    ] {
        let (status, error) = call(
            app.candid(Method::POST, &path, &token)
                .json(&body(&patient)),
        )
        .await;
        assert_eq!(status, 404, "{error}");
        assert_eq!(error["errorName"], "EntityNotFoundError");
    }
    for bad in [
        body(&json!("not-a-uuid")),
        json!({"charge_external_id": "pre-1", "pre_encounter_patient_id": foreign["id"], "status": "billable", "data": {}}),
        json!({"charge_external_id": "pre-1", "pre_encounter_patient_id": foreign["id"],
               "pre_encounter_appointment_ids": [], "status": "billable", "data": {"date_of_service": "May 1"}}),
    ] {
        let (status, error) = call(app.candid(Method::POST, &path, &token).json(&bad)).await;
        assert_eq!(status, 422, "{bad}: {error}");
        assert_eq!(error["errorName"], "HttpRequestValidationsError");
    }
    let (_, page) = call(app.candid(Method::GET, CAPTURES, &token)).await;
    assert_eq!(page["item_count"], 0, "nothing was written: {page}");
}
