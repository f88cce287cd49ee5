//! Encounters v4 made by claim creations: one claim, its service lines and balances.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call};

crate::both_backends!(
    a_processed_creation_reads_back_as_an_encounter_with_balances,
    encounters_list_in_pages_and_stay_in_their_tenant,
);

fn charge(external_id: &str, date: &str, self_pay: bool, lines: Value) -> Value {
    let mut data = json!({
        "date_of_service": date,
        "external_id": format!("enc-{external_id}"),
        "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02"},
        "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
        "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054"}},
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}, {"code_type": "ABF", "code": "R05"}],
        "service_lines": lines,
    });
    if self_pay {
        data["responsible_party"] = json!("SELF_PAY");
    }
    json!({"charge_external_id": external_id, "patient_external_id": "pat-9", "status": "billable", "data": data})
}

async fn process_and_get_encounter(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = call(
        app.candid(Method::POST, "/api/charge_captures/v1", token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (status, _) =
        call(app.candid(Method::POST, "/copay/v1/claim-creations/process", token)).await;
    assert_eq!(status, 200);
    let creation_path = format!(
        "/api/charge_capture_claim_creation/v1/{}",
        created["claim_creation_id"].as_str().unwrap_or_default()
    );
    let (_, creation) = call(app.candid(Method::GET, &creation_path, token)).await;
    assert_eq!(creation["status"], "successful", "{creation}");
    let path = format!(
        "/api/encounters/v4/{}",
        creation["created_encounter_id"]
            .as_str()
            .unwrap_or_default()
    );
    let (status, encounter) = call(app.candid(Method::GET, &path, token)).await;
    assert_eq!(status, 200, "{encounter}");
    assert_eq!(encounter["claim_creation_id"], created["claim_creation_id"]);
    encounter
}

async fn a_processed_creation_reads_back_as_an_encounter_with_balances(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let lines = json!([
        {"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 15000, "diagnosis_pointers": [1, 0]},
        {"procedure_code": "87804", "quantity": "2", "units": "UN", "charge_amount_cents": 3000, "date_of_service": "2024-05-02"}
    ]);
    let encounter =
        process_and_get_encounter(app, &token, charge("c-1", "2024-05-01", false, lines)).await;
    assert_eq!(encounter["external_id"], "enc-c-1");
    assert_eq!(encounter["date_of_service"], "2024-05-01");
    assert_eq!(encounter["patient"]["external_id"], "pat-9");
    assert_eq!(encounter["patient"]["first_name"], "Test");
    assert_eq!(encounter["billing_provider"]["npi"], "1234567893");
    assert_eq!(
        encounter["subscriber_primary"]["insurance_card"]["payer_name"],
        "60054"
    );
    let claims = encounter["claims"].as_array().cloned().unwrap_or_default();
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0]["status"], "biller_received");
    let lines = claims[0]["service_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["charge_amount_cents"], 15000);
    assert_eq!(lines[0]["insurance_balance_cents"], 15000);
    // The whole charge is open until someone pays it: the patient balance shows it.
    assert_eq!(lines[0]["patient_balance_cents"], 15000);
    assert_eq!(lines[0]["paid_amount_cents"], 0);
    assert_eq!(lines[0]["date_of_service"], "2024-05-01");
    assert_eq!(lines[1]["quantity"], "2");
    assert_eq!(
        lines[1]["date_of_service_range"],
        json!({"start_date": "2024-05-02", "end_date": null})
    );
    // Diagnosis pointers resolve to the encounter's diagnosis ids.
    let diagnoses = encounter["diagnoses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(lines[0]["diagnosis_id_zero"], diagnoses[1]["diagnosis_id"]);
    assert_eq!(lines[0]["diagnosis_id_one"], diagnoses[0]["diagnosis_id"]);
    // Reads are stable.
    let path = format!(
        "/api/encounters/v4/{}",
        encounter["encounter_id"].as_str().unwrap_or_default()
    );
    let (_, again) = call(app.candid(Method::GET, &path, &token)).await;
    assert_eq!(again, encounter);

    // Self-pay charges land on the patient's balance.
    let lines = json!([{"procedure_code": "99213", "charge_amount_cents": 8000}]);
    let self_pay =
        process_and_get_encounter(app, &token, charge("c-2", "2024-06-01", true, lines)).await;
    let line = &self_pay["claims"][0]["service_lines"][0];
    assert_eq!(
        (
            line["insurance_balance_cents"].clone(),
            line["patient_balance_cents"].clone()
        ),
        (json!(0), json!(8000))
    );
    assert!(self_pay.get("subscriber_primary").is_some());
    // The billing provider has one id per NPI, on every encounter, and money can be
    // allocated to it by that id.
    let provider = &encounter["billing_provider"]["provider_id"];
    assert_eq!(provider, &self_pay["billing_provider"]["provider_id"]);
    assert_ne!(
        encounter["rendering_provider"]["provider_id"],
        self_pay["rendering_provider"]["provider_id"]
    );
    let (status, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&json!({"amount_cents": 100, "patient_external_id": "pat-9", "allocations": [
                {"amount_cents": 100, "target": {"type": "billing_provider_by_id", "value": provider}}
            ]})),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(
        payment["allocations"][0]["target"],
        json!({"type": "billing_provider_id", "billing_provider_id": provider})
    );
    app.assert_ledger_ok().await;
}

async fn encounters_list_in_pages_and_stay_in_their_tenant(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let token = app.token(&acme).await;
    let beta_token = app.token(&beta).await;
    let mut ids = Vec::new();
    for (i, date) in ["2024-05-01", "2024-05-02", "2024-05-03"]
        .iter()
        .enumerate()
    {
        let lines = json!([{"procedure_code": "99213", "charge_amount_cents": 100}]);
        let encounter =
            process_and_get_encounter(app, &token, charge(&format!("c-{i}"), date, false, lines))
                .await;
        ids.push(encounter["encounter_id"].clone());
    }
    let (status, first) = call(app.candid(Method::GET, "/api/encounters/v4?limit=2", &token)).await;
    assert_eq!(status, 200);
    let page_ids = |page: &Value| -> Vec<Value> {
        page["items"]
            .as_array()
            .map(|items| items.iter().map(|e| e["encounter_id"].clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(page_ids(&first), [ids[2].clone(), ids[1].clone()]);
    let next = first["next_page_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, rest) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4?limit=2&page_token={next}"),
        &token,
    ))
    .await;
    assert_eq!(page_ids(&rest), [ids[0].clone()]);
    assert_eq!(rest["next_page_token"], Value::Null);

    let (status, body) = call(app.candid(
        Method::GET,
        "/api/encounters/v4?patient_external_id=pat-9",
        &token,
    ))
    .await;
    assert_eq!(
        (status, body["content"][0]["fieldName"].as_str()),
        (422, Some("patient_external_id"))
    );

    let (_, beta_page) = call(app.candid(Method::GET, "/api/encounters/v4", &beta_token)).await;
    assert_eq!(beta_page["items"], json!([]));
    let path = format!("/api/encounters/v4/{}", ids[0].as_str().unwrap_or_default());
    let (status, body) = call(app.candid(Method::GET, &path, &beta_token)).await;
    assert_eq!(
        (status, body["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
}
