//! Charge captures v1 over raw HTTP: create, get, update, errors, tenant isolation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call, json};

crate::both_backends!(
    create_then_get_returns_what_was_sent_with_derived_date,
    update_replaces_data_and_null_clears_optional_fields,
    duplicate_external_id_is_a_409_conflict,
    invalid_data_is_a_422_naming_the_field_and_writes_nothing,
    bearer_tokens_are_required_and_scoped_to_their_tenant,
);

const CAPTURES: &str = "/api/charge_captures/v1";

fn capture_body(external_id: &str) -> Value {
    json!({
        "charge_external_id": external_id,
        "patient_external_id": "emr-patient-7",
        "status": "billable",
        "originating_system": "ehr-test",
        "data": {
            "date_of_service": "2024-05-10",
            "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
            "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
            "diagnoses": [{"code_type": "ABK", "code": "J10.1", "name": "Influenza"}],
            "service_lines": [
                {"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 15000, "date_of_service": "2024-05-09"},
                {"procedure_code": "87804", "quantity": "0.5", "units": "UN", "charge_amount_cents": 3000}
            ],
            "a_key_copay_does_not_know": {"kept": true}
        }
    })
}

async fn create_then_get_returns_what_was_sent_with_derived_date(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let body = capture_body("chg-1");
    let (status, created) = call(app.candid(Method::POST, CAPTURES, &token).json(&body)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "billable");
    assert_eq!(created["charge_external_id"], "chg-1");
    assert_eq!(created["patient_external_id"], "emr-patient-7");
    assert_eq!(created["originating_system"], "ehr-test");
    assert_eq!(created["charge_capture_data"], body["data"]);
    // The earliest service-line date wins over the encounter's.
    assert_eq!(created["date_of_service"], "2024-05-09");
    assert_eq!(created["updates"], json!([]));
    let id = created["id"].as_str().unwrap();

    let (status, fetched) =
        call(app.candid(Method::GET, &format!("{CAPTURES}/{id}"), &token)).await;
    assert_eq!(status, 200);
    assert_eq!(fetched, created);
    // Path ids match case-insensitively.
    let (status, _) = call(app.candid(
        Method::GET,
        &format!("{CAPTURES}/{}", id.to_uppercase()),
        &token,
    ))
    .await;
    assert_eq!(status, 200);
}

async fn update_replaces_data_and_null_clears_optional_fields(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, created) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture_body("chg-1")),
    )
    .await;
    let path = format!("{CAPTURES}/{}", created["id"].as_str().unwrap());

    // A bodiless PATCH (what the SDK sends with no changes) changes nothing.
    let response = app
        .candid(Method::PATCH, &path, &token)
        .header("content-length", "0")
        .send()
        .await
        .unwrap();
    let (status, unchanged) = json(response).await;
    assert_eq!(status, 200);
    assert_eq!(unchanged, created);

    let (status, updated) = call(app.candid(Method::PATCH, &path, &token)
            .json(&json!({"data": {"date_of_service": "2024-06-01"}, "originating_system": null, "status": "planned"}))).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["charge_capture_data"],
        json!({"date_of_service": "2024-06-01"})
    );
    assert_eq!(updated["date_of_service"], "2024-06-01");
    assert_eq!(updated["originating_system"], Value::Null);
    assert_eq!(updated["status"], "planned");
    assert_eq!(updated["charge_external_id"], "chg-1");

    let (status, body) = call(
        app.candid(Method::PATCH, &path, &token)
            .json(&json!({"status": null})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["content"][0]["fieldName"], "status");
}

async fn duplicate_external_id_is_a_409_conflict(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (status, _) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture_body("chg-1")),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture_body("chg-1")),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["errorName"], "ChargeExternalIdConflictError");
    assert!(
        body["content"]["message"]
            .as_str()
            .unwrap()
            .contains("chg-1")
    );

    // Another tenant may use the same external id.
    let other = app.tenant("beta").await;
    let other_token = app.token(&other).await;
    let (status, _) = call(
        app.candid(Method::POST, CAPTURES, &other_token)
            .json(&capture_body("chg-1")),
    )
    .await;
    assert_eq!(status, 200);
}

async fn invalid_data_is_a_422_naming_the_field_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let cases = [
        (json!({"status": "BILLABLE"}), "status"),
        (
            json!({"data": {"date_of_service": "10/05/2024"}}),
            "data.date_of_service",
        ),
        (
            json!({"data": {"service_lines": [{"quantity": 1}]}}),
            "data.service_lines[0].quantity",
        ),
        (
            json!({"data": {"service_lines": [{}, {"quantity": "one"}]}}),
            "data.service_lines[1].quantity",
        ),
        (
            json!({"data": {"patient": {"gender": "M"}}}),
            "data.patient.gender",
        ),
        (
            json!({"data": {"diagnoses": [{"code_type": "ICD"}]}}),
            "data.diagnoses[0].code_type",
        ),
        (json!({"data": "not an object"}), "data"),
        (json!({"patient_external_id": 123}), "patient_external_id"),
        (json!({"charge_external_id": ""}), "charge_external_id"),
    ];
    for (overrides, field) in cases {
        let mut body = capture_body("chg-bad");
        for (key, value) in overrides.as_object().unwrap() {
            if key == "data" && value.is_object() {
                for (inner, inner_value) in value.as_object().unwrap() {
                    body["data"][inner] = inner_value.clone();
                }
            } else {
                body[key] = value.clone();
            }
        }
        let (status, error) = call(app.candid(Method::POST, CAPTURES, &token).json(&body)).await;
        assert_eq!(status, 422, "{field}: {error}");
        assert_eq!(error["errorName"], "HttpRequestValidationsError");
        assert_eq!(error["content"][0]["fieldName"], field, "{error}");
        assert!(error["content"][0]["humanReadableMessage"].is_string());
    }
    let mut missing = capture_body("chg-bad");
    missing.as_object_mut().unwrap().remove("status");
    let (status, error) = call(app.candid(Method::POST, CAPTURES, &token).json(&missing)).await;
    assert_eq!(
        (status, error["content"][0]["fieldName"].as_str()),
        (422, Some("status"))
    );

    // Nothing was written: the external id is still free.
    let (status, _) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture_body("chg-bad")),
    )
    .await;
    assert_eq!(status, 200);
}

async fn bearer_tokens_are_required_and_scoped_to_their_tenant(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let acme_token = app.token(&acme).await;
    let beta_token = app.token(&beta).await;
    let (_, created) = call(
        app.candid(Method::POST, CAPTURES, &acme_token)
            .json(&capture_body("chg-1")),
    )
    .await;
    let path = format!("{CAPTURES}/{}", created["id"].as_str().unwrap());

    // Tenant B cannot see or change tenant A's capture: it is simply not there.
    let (status, body) = call(app.candid(Method::GET, &path, &beta_token)).await;
    assert_eq!(status, 404);
    assert_eq!(body["errorName"], "EntityNotFoundError");
    let (status, body) = call(
        app.candid(Method::PATCH, &path, &beta_token)
            .json(&json!({"status": "aborted"})),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"errorName": "EntityNotFoundError", "content": {"id": created["id"]}})
    );
    let (_, still) = call(app.candid(Method::GET, &path, &acme_token)).await;
    assert_eq!(still["status"], "billable");

    // No token, a garbage token, a token signed with another key, an API key as bearer.
    let forged = {
        let mut parts: Vec<String> = acme_token.split('.').map(String::from).collect();
        parts[2] = "AAAA".repeat(10);
        parts.join(".")
    };
    for token in [
        None,
        Some("garbage"),
        Some(forged.as_str()),
        Some(acme.api_key.as_str()),
    ] {
        let mut request = app.http.get(app.url(&path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let (status, body) = json(response).await;
        assert_eq!(status, 401, "{token:?}");
        assert_eq!(body["errorName"], "UnauthorizedError");
        assert!(body["content"]["message"].is_string());
    }
}
