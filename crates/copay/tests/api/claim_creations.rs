//! Bundling billable charges into claim creations, processing them into claims, errors
//! and their resolution, post-billed changes, the summary and the list.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call};

crate::both_backends!(
    same_characteristics_bundle_into_one_claim_and_another_date_opens_a_second,
    planned_waits_not_billable_stays_out_and_a_creation_left_empty_is_aborted,
    a_missing_diagnosis_is_an_error_until_the_capture_is_fixed,
    resolving_the_error_lets_processing_succeed,
    an_update_after_billing_is_one_unresolved_change_until_resolved,
    list_filters_and_summary_counts,
    another_tenants_claim_creations_errors_and_changes_are_not_found,
);

const CAPTURES: &str = "/api/charge_captures/v1";
const CREATIONS: &str = "/api/charge_capture_claim_creation/v1";
const PROCESS: &str = "/copay/v1/claim-creations/process";

fn data(date: &str, procedure: &str, cents: i64) -> Value {
    json!({
        "date_of_service": date,
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
        "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
        "service_facility": {"npi": "1987654321", "organization_name": "Acme Main St"},
        "subscriber_primary": {"first_name": "Test", "last_name": "Person",
            "insurance_card": {"member_id": "M-1", "payer_id": "60054", "payer_name": "Test Payer"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [{"procedure_code": procedure, "quantity": "1", "units": "UN",
            "charge_amount_cents": cents, "diagnosis_pointers": [0]}]
    })
}

fn capture(external_id: &str, status: &str, data: Value) -> Value {
    json!({"charge_external_id": external_id, "patient_external_id": "pat-1", "status": status, "data": data})
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = call(app.candid(Method::POST, CAPTURES, token).json(&body)).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn patch(app: &TestApp, token: &str, id: &Value, body: Value) -> Value {
    let path = format!("{CAPTURES}/{}", id.as_str().unwrap_or_default());
    let (status, updated) = call(app.candid(Method::PATCH, &path, token).json(&body)).await;
    assert_eq!(status, 200, "{updated}");
    updated
}

async fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let (status, body) = call(app.candid(Method::GET, path, token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn creation(app: &TestApp, token: &str, id: &Value) -> Value {
    get(
        app,
        token,
        &format!("{CREATIONS}/{}", id.as_str().unwrap_or_default()),
    )
    .await
}

/// Processes every not-started creation of the tenant now.
async fn process(app: &TestApp, token: &str) -> Value {
    let (status, report) = call(app.candid(Method::POST, PROCESS, token)).await;
    assert_eq!(status, 200, "{report}");
    report
}

async fn same_characteristics_bundle_into_one_claim_and_another_date_opens_a_second(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let a = create(
        app,
        &token,
        capture("c-1", "billable", data("2024-05-01", "99213", 15000)),
    )
    .await;
    let b = create(
        app,
        &token,
        capture("c-2", "billable", data("2024-05-01", "87804", 3000)),
    )
    .await;
    let other_day = create(
        app,
        &token,
        capture("c-3", "billable", data("2024-05-02", "99213", 15000)),
    )
    .await;
    assert!(a["claim_creation_id"].is_string());
    assert_eq!(a["claim_creation_id"], b["claim_creation_id"]);
    assert_ne!(a["claim_creation_id"], other_day["claim_creation_id"]);

    let first = creation(app, &token, &a["claim_creation_id"]).await;
    assert_eq!(first["status"], "not-started");
    assert_eq!(first["errors"], json!([]));
    assert_eq!(
        first["characteristics"],
        json!({
            "patient_external_id": "pat-1",
            "date_of_service": "2024-05-01",
            "billing_provider.npi": "1234567893",
            "service_facility.npi": "1987654321",
            "subscriber_primary.insurance_card.payer_id": "60054",
        })
    );
    // Members are found through the charge list.
    let members = get(
        app,
        &token,
        &format!(
            "{CAPTURES}?claim_creation_ids={}",
            a["claim_creation_id"].as_str().unwrap_or_default()
        ),
    )
    .await;
    assert_eq!(members["item_count"], 2);

    assert_eq!(
        process(app, &token).await,
        json!({"succeeded": 2, "failed": 0, "skipped": 0})
    );
    let first = creation(app, &token, &a["claim_creation_id"]).await;
    assert_eq!(first["status"], "successful");
    assert!(first["created_encounter_id"].is_string());
    let lines = first["encounter_creation_input"]["service_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let codes: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["procedure_code"].as_str())
        .collect();
    assert_eq!(codes, ["99213", "87804"]);
    let second = creation(app, &token, &other_day["claim_creation_id"]).await;
    assert_eq!(second["status"], "successful");
    assert_ne!(
        second["created_encounter_id"],
        first["created_encounter_id"]
    );

    // Processing again does nothing; a new charge for the billed key opens a new creation.
    assert_eq!(
        process(app, &token).await,
        json!({"succeeded": 0, "failed": 0, "skipped": 0})
    );
    let late = create(
        app,
        &token,
        capture("c-4", "billable", data("2024-05-01", "99214", 20000)),
    )
    .await;
    assert!(late["claim_creation_id"].is_string());
    assert_ne!(late["claim_creation_id"], a["claim_creation_id"]);
    // The charges' balances are on the ledger and every invariant holds.
    app.assert_ledger_ok().await;
}

async fn planned_waits_not_billable_stays_out_and_a_creation_left_empty_is_aborted(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let planned = create(
        app,
        &token,
        capture("p-1", "planned", data("2024-05-01", "99213", 100)),
    )
    .await;
    let out = create(
        app,
        &token,
        capture("n-1", "not-billable", data("2024-05-01", "99213", 100)),
    )
    .await;
    assert_eq!(planned["claim_creation_id"], Value::Null);
    assert_eq!(out["claim_creation_id"], Value::Null);
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(
        summary["charge_capture_charges_not_linked_to_claims_count"],
        2
    );
    assert_eq!(
        summary["charge_capture_claim_creations_not_started_count"],
        0
    );

    // Planned becomes billable: it joins a creation.
    let billable = patch(app, &token, &planned["id"], json!({"status": "billable"})).await;
    let creation_id = billable["claim_creation_id"].clone();
    assert!(creation_id.is_string());
    // Its date moves: it leaves that creation (now empty, aborted) for another.
    let mut moved = data("2024-06-01", "99213", 100);
    moved["diagnoses"] = json!([{"code_type": "ABK", "code": "J10.1"}]);
    let moved = patch(app, &token, &planned["id"], json!({"data": moved})).await;
    assert_ne!(moved["claim_creation_id"], creation_id);
    assert_eq!(
        creation(app, &token, &creation_id).await["status"],
        "aborted"
    );
    // Leaving billable altogether leaves the creation too.
    let withdrawn = patch(app, &token, &planned["id"], json!({"status": "aborted"})).await;
    assert_eq!(withdrawn["claim_creation_id"], Value::Null);
    assert_eq!(
        creation(app, &token, &moved["claim_creation_id"]).await["status"],
        "aborted"
    );
    assert_eq!(process(app, &token).await["succeeded"], 0);
}

async fn a_missing_diagnosis_is_an_error_until_the_capture_is_fixed(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let mut incomplete = data("2024-05-01", "99213", 15000);
    incomplete["diagnoses"] = json!([]);
    incomplete["service_lines"][0]["diagnosis_pointers"] = json!([]);
    let charge = create(app, &token, capture("c-1", "billable", incomplete)).await;
    assert_eq!(
        process(app, &token).await,
        json!({"succeeded": 0, "failed": 1, "skipped": 0})
    );
    let failed = creation(app, &token, &charge["claim_creation_id"]).await;
    assert_eq!(failed["status"], "in-error");
    assert_eq!(failed["created_encounter_id"], Value::Null);
    assert_eq!(
        failed["errors"].as_array().map(Vec::len),
        Some(1),
        "{failed}"
    );
    assert_eq!(failed["errors"][0]["field_in_error"], "diagnoses");
    assert_eq!(failed["errors"][0]["resolved"], false);
    assert_eq!(
        failed["errors"][0]["claim_creation_id"],
        charge["claim_creation_id"]
    );
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(summary["charge_capture_claim_creations_in_error_count"], 1);
    // The worker does not retry an errored creation on its own.
    assert_eq!(process(app, &token).await["failed"], 0);

    let fixed = patch(
        app,
        &token,
        &charge["id"],
        json!({"data": data("2024-05-01", "99213", 15000)}),
    )
    .await;
    assert_eq!(fixed["claim_creation_id"], charge["claim_creation_id"]);
    assert_eq!(
        creation(app, &token, &charge["claim_creation_id"]).await["status"],
        "not-started"
    );
    assert_eq!(process(app, &token).await["succeeded"], 1);
    let done = creation(app, &token, &charge["claim_creation_id"]).await;
    assert_eq!(done["status"], "successful");
    assert_eq!(done["errors"], json!([]));

    // A line missing its procedure code names the charge at fault.
    let mut no_code = data("2024-07-01", "", 100);
    no_code["service_lines"][0]
        .as_object_mut()
        .map(|l| l.remove("procedure_code"));
    let bad = create(app, &token, capture("c-2", "billable", no_code)).await;
    process(app, &token).await;
    let failed = creation(app, &token, &bad["claim_creation_id"]).await;
    assert_eq!(
        failed["errors"][0]["field_in_error"],
        "service_lines[0].procedure_code"
    );
    assert_eq!(failed["errors"][0]["charge_capture_id"], bad["id"]);
    let (_, bad_now) = call(app.candid(
        Method::GET,
        &format!("{CAPTURES}/{}", bad["id"].as_str().unwrap_or_default()),
        &token,
    ))
    .await;
    assert_eq!(
        bad_now["error"]["field_in_error"],
        "service_lines[0].procedure_code"
    );
}

async fn resolving_the_error_lets_processing_succeed(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let mut incomplete = data("2024-05-01", "99213", 15000);
    incomplete["diagnoses"] = json!([]);
    incomplete["service_lines"][0]["diagnosis_pointers"] = json!([]);
    let charge = create(app, &token, capture("c-1", "billable", incomplete)).await;
    process(app, &token).await;
    let failed = creation(app, &token, &charge["claim_creation_id"]).await;
    let error_id = failed["errors"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let response = app
        .candid(Method::PATCH, &format!("{CREATIONS}/error/{error_id}"), &token)
        .json(&json!({"resolved_by": "biller@clinic.test", "resolution_reason": "diagnosis on paper chart"}))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 204);
    let resolved = creation(app, &token, &charge["claim_creation_id"]).await;
    assert_eq!(resolved["status"], "not-started");
    assert_eq!(resolved["errors"][0]["resolved"], true);
    assert_eq!(resolved["errors"][0]["resolved_by"], "biller@clinic.test");
    assert_eq!(
        resolved["errors"][0]["resolution_reason"],
        "diagnosis on paper chart"
    );

    assert_eq!(process(app, &token).await["succeeded"], 1);
    assert_eq!(
        creation(app, &token, &charge["claim_creation_id"]).await["status"],
        "successful"
    );

    // An unknown error id is a 404 in Candid's envelope; a bodiless PATCH is accepted.
    let (status, body) = call(app.candid(
        Method::PATCH,
        &format!("{CREATIONS}/error/{}", uuid::Uuid::now_v7()),
        &token,
    ))
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["errorName"], "EntityNotFoundError");
}

async fn an_update_after_billing_is_one_unresolved_change_until_resolved(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let charge = create(
        app,
        &token,
        capture("c-1", "billable", data("2024-05-01", "99213", 15000)),
    )
    .await;
    process(app, &token).await;
    let encounter =
        creation(app, &token, &charge["claim_creation_id"]).await["created_encounter_id"].clone();

    // A bodiless update changes nothing and records nothing.
    let same = patch(app, &token, &charge["id"], json!({})).await;
    assert_eq!(same["updates"], json!([]));
    let changed = patch(
        app,
        &token,
        &charge["id"],
        json!({"data": data("2024-05-01", "99214", 17000)}),
    )
    .await;
    assert_eq!(changed["updates"].as_array().map(Vec::len), Some(1));
    assert_eq!(changed["updates"][0]["resolved"], false);
    assert!(
        changed["updates"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("data.service_lines")
    );
    // Not rebundled: same creation, still successful, same encounter.
    assert_eq!(changed["claim_creation_id"], charge["claim_creation_id"]);
    let still = creation(app, &token, &charge["claim_creation_id"]).await;
    assert_eq!(
        (
            still["status"].clone(),
            still["created_encounter_id"].clone()
        ),
        (json!("successful"), encounter)
    );

    // A second change replaces the unresolved one.
    let again = patch(app, &token, &charge["id"], json!({"status": "aborted"})).await;
    let updates = again["updates"].as_array().cloned().unwrap_or_default();
    assert_eq!(updates.len(), 1, "{again}");
    assert!(
        updates[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("status")
    );
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(summary["charge_capture_unresolved_change_count"], 1);
    let with_updates = get(
        app,
        &token,
        &format!("{CREATIONS}?has_charge_capture_updates=true"),
    )
    .await;
    assert_eq!(with_updates["items"].as_array().map(Vec::len), Some(1));

    let (status, resolved) = call(
        app.candid(Method::PATCH, &format!("{CAPTURES}/changes"), &token)
            .json(&json!({"charge_capture_change_ids": [updates[0]["id"]], "resolved": true})),
    )
    .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(
        resolved,
        json!([{"id": updates[0]["id"], "message": updates[0]["message"], "resolved": true}])
    );
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(summary["charge_capture_unresolved_change_count"], 0);
    let after = get(
        app,
        &token,
        &format!("{CAPTURES}/{}", charge["id"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(after["updates"][0]["resolved"], true);

    // One unknown id fails the whole call and changes nothing.
    let (status, body) = call(
        app.candid(Method::PATCH, &format!("{CAPTURES}/changes"), &token)
            .json(&json!({"charge_capture_change_ids": [updates[0]["id"], uuid::Uuid::now_v7()], "resolved": false})),
    )
    .await;
    assert_eq!(
        (status, body["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
    let after = get(
        app,
        &token,
        &format!("{CAPTURES}/{}", charge["id"].as_str().unwrap_or_default()),
    )
    .await;
    assert_eq!(after["updates"][0]["resolved"], true);
}

async fn list_filters_and_summary_counts(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let may = create(
        app,
        &token,
        capture("c-1", "billable", data("2024-05-01", "99213", 100)),
    )
    .await;
    let june = create(
        app,
        &token,
        capture("c-2", "billable", data("2024-06-01", "99213", 100)),
    )
    .await;
    let mut incomplete = data("2024-07-01", "99213", 100);
    incomplete["patient"] = json!({});
    let july = create(app, &token, capture("c-3", "billable", incomplete)).await;
    create(
        app,
        &token,
        capture("c-4", "planned", data("2024-08-01", "99213", 100)),
    )
    .await;
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(
        summary,
        json!({
            "charge_capture_charges_not_linked_to_claims_count": 1,
            "charge_capture_claim_creations_not_started_count": 3,
            "charge_capture_held_claim_creations_count": 0,
            "charge_capture_claim_creations_in_error_count": 0,
            "charge_capture_unresolved_change_count": 0,
        })
    );
    // Process only the May creation, by id.
    let (status, report) = call(
        app.candid(Method::POST, PROCESS, &token)
            .json(&json!({"claim_creation_id": may["claim_creation_id"]})),
    )
    .await;
    assert_eq!(
        (status, report),
        (200, json!({"succeeded": 1, "failed": 0, "skipped": 0}))
    );
    process(app, &token).await;
    let summary = get(app, &token, &format!("{CREATIONS}/all/summary")).await;
    assert_eq!(
        summary["charge_capture_claim_creations_not_started_count"],
        0
    );
    assert_eq!(summary["charge_capture_claim_creations_in_error_count"], 1);

    let ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .map(|items| items.iter().map(|i| i["id"].clone()).collect())
            .unwrap_or_default()
    };
    let all = get(app, &token, CREATIONS).await;
    assert_eq!(
        ids(&all),
        [
            july["claim_creation_id"].clone(),
            june["claim_creation_id"].clone(),
            may["claim_creation_id"].clone()
        ]
    );
    let cases: Vec<(String, Vec<Value>)> = vec![
        (
            "claim_creation_status=in-error".into(),
            vec![july["claim_creation_id"].clone()],
        ),
        (
            "claim_creation_status=successful&date_of_service_max=2024-05-31".into(),
            vec![may["claim_creation_id"].clone()],
        ),
        (
            "date_of_service_min=2024-06-01&sort_direction=asc".into(),
            vec![
                june["claim_creation_id"].clone(),
                july["claim_creation_id"].clone(),
            ],
        ),
        (
            "charge_external_id=c-2".into(),
            vec![june["claim_creation_id"].clone()],
        ),
        ("charge_status=planned".into(), vec![]),
        (
            "claim_status=biller_received&patient_external_id=pat-1".into(),
            vec![
                june["claim_creation_id"].clone(),
                may["claim_creation_id"].clone(),
            ],
        ),
        (
            format!(
                "claim_creation_ids={}&claim_creation_ids={}",
                may["claim_creation_id"].as_str().unwrap_or_default(),
                july["claim_creation_id"].as_str().unwrap_or_default()
            ),
            vec![
                july["claim_creation_id"].clone(),
                may["claim_creation_id"].clone(),
            ],
        ),
        (
            "has_charge_capture_updates=false&limit=1".into(),
            vec![july["claim_creation_id"].clone()],
        ),
    ];
    for (query, expected) in cases {
        let page = get(app, &token, &format!("{CREATIONS}?{query}")).await;
        assert_eq!(ids(&page), expected, "{query}");
    }
    // Paging walks every creation once.
    let first = get(app, &token, &format!("{CREATIONS}?limit=2")).await;
    let next = first["next_page_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let rest = get(
        app,
        &token,
        &format!("{CREATIONS}?limit=2&page_token={next}"),
    )
    .await;
    assert_eq!(ids(&rest), [may["claim_creation_id"].clone()]);
    assert_eq!(rest["next_page_token"], Value::Null);
    for (query, field) in [
        ("claim_creation_status=done", "claim_creation_status"),
        ("claim_status=PAID", "claim_status"),
        ("sort=date_of_service", "sort"),
        ("claim_ids=x", "claim_ids"),
    ] {
        let (status, body) =
            call(app.candid(Method::GET, &format!("{CREATIONS}?{query}"), &token)).await;
        assert_eq!(
            (status, body["content"][0]["fieldName"].as_str()),
            (422, Some(field)),
            "{query}"
        );
    }
}

async fn another_tenants_claim_creations_errors_and_changes_are_not_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let acme_token = app.token(&acme).await;
    let beta_token = app.token(&beta).await;
    let mut incomplete = data("2024-05-01", "99213", 100);
    incomplete["diagnoses"] = json!([]);
    incomplete["service_lines"][0]["diagnosis_pointers"] = json!([]);
    let charge = create(app, &acme_token, capture("c-1", "billable", incomplete)).await;
    // Beta's on-demand run does not touch acme's creation.
    assert_eq!(process(app, &beta_token).await["failed"], 0);
    process(app, &acme_token).await;
    let acme_creation = creation(app, &acme_token, &charge["claim_creation_id"]).await;
    let creation_path = format!(
        "{CREATIONS}/{}",
        charge["claim_creation_id"].as_str().unwrap_or_default()
    );
    let (status, body) = call(app.candid(Method::GET, &creation_path, &beta_token)).await;
    assert_eq!(
        (status, body["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
    let error_path = format!(
        "{CREATIONS}/error/{}",
        acme_creation["errors"][0]["id"]
            .as_str()
            .unwrap_or_default()
    );
    let (status, _) = call(
        app.candid(Method::PATCH, &error_path, &beta_token)
            .json(&json!({})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        app.candid(Method::POST, PROCESS, &beta_token)
            .json(&json!({"claim_creation_id": charge["claim_creation_id"]})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(get(app, &beta_token, CREATIONS).await["items"], json!([]));
    assert_eq!(
        get(app, &beta_token, &format!("{CREATIONS}/all/summary")).await["charge_capture_claim_creations_in_error_count"],
        0
    );
    // Acme's error is still unresolved.
    assert_eq!(
        creation(app, &acme_token, &charge["claim_creation_id"]).await["errors"][0]["resolved"],
        false
    );

    // Post-billed changes are per tenant too.
    let billed = create(
        app,
        &acme_token,
        capture("c-2", "billable", data("2024-09-01", "99213", 100)),
    )
    .await;
    process(app, &acme_token).await;
    let changed = patch(
        app,
        &acme_token,
        &billed["id"],
        json!({"status": "aborted"}),
    )
    .await;
    let (status, _) = call(
        app.candid(Method::PATCH, &format!("{CAPTURES}/changes"), &beta_token)
            .json(&json!({"charge_capture_change_ids": [changed["updates"][0]["id"]], "resolved": true})),
    )
    .await;
    assert_eq!(status, 404);
}

mod worker {
    use super::*;
    use crate::harness::Backend;

    /// A server whose worker processes creations on its next tick (quiet period 0).
    async fn eager(backend: Backend) -> TestApp {
        TestApp::start_with(backend, |config| {
            config.claim_creation_quiet_period = Duration::ZERO;
            config.claim_creation_tick = Duration::from_millis(50);
        })
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_worker_processes_a_quiet_creation() {
        let app = eager(Backend::Sqlite).await;
        the_worker_processes_a_creation_once_it_has_been_quiet(&app).await;
        app.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_worker_processes_a_quiet_creation() {
        let app = eager(Backend::Postgres).await;
        the_worker_processes_a_creation_once_it_has_been_quiet(&app).await;
        app.stop().await;
    }

    async fn the_worker_processes_a_creation_once_it_has_been_quiet(app: &TestApp) {
        let tenant = app.tenant("acme").await;
        let token = app.token(&tenant).await;
        let charge = create(
            app,
            &token,
            capture("c-1", "billable", data("2024-05-01", "99213", 100)),
        )
        .await;
        let mut status = Value::Null;
        for _ in 0..200 {
            status = creation(app, &token, &charge["claim_creation_id"]).await["status"].clone();
            if status == "successful" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(status, "successful");
        app.assert_ledger_ok().await;
    }
}
