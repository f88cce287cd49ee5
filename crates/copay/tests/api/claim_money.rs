//! Money on claims through raw HTTP: patient payments v4 and patient refunds v1 with
//! allocations to lines, claims and nothing; refunds limited to what was paid; updates,
//! deletes, lists; and 50 concurrent refunds against one line.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call};

crate::both_backends!(
    a_patient_payment_allocates_to_lines_and_claims_and_lists_by_them,
    a_refund_never_takes_back_more_than_was_paid_on_its_target,
    bad_allocations_are_refused_and_write_nothing,
    updates_change_only_timestamp_note_and_invoice_and_deletes_reverse,
    lists_page_in_every_sort_without_skips_or_repeats,
    fifty_concurrent_refunds_never_exceed_what_was_paid,
);

/// A processed claim for `patient` with lines of these charges (cents); returns
/// (encounter id, claim id, line ids).
pub async fn claim_for(
    app: &TestApp,
    token: &str,
    patient: &str,
    charge_id: &str,
    cents: &[i64],
) -> (String, String, Vec<String>) {
    let lines: Vec<Value> = cents
        .iter()
        .map(|amount| json!({"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": amount}))
        .collect();
    let body = json!({
        "charge_external_id": charge_id,
        "patient_external_id": patient,
        "status": "billable",
        "data": {
            "date_of_service": "2024-05-01",
            "external_id": format!("enc-{charge_id}"),
            "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02"},
            "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
            "subscriber_primary": {"insurance_card": {"member_id": "M-1", "payer_id": "60054"}},
            "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
            "service_lines": lines,
        }
    });
    let (status, created) = call(
        app.candid(Method::POST, "/api/charge_captures/v1", token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (status, _) =
        call(app.candid(Method::POST, "/copay/v1/claim-creations/process", token)).await;
    assert_eq!(status, 200);
    let path = format!(
        "/api/charge_capture_claim_creation/v1/{}",
        created["claim_creation_id"].as_str().unwrap_or_default()
    );
    let (_, creation) = call(app.candid(Method::GET, &path, token)).await;
    assert_eq!(creation["status"], "successful", "{creation}");
    let encounter_id = creation["created_encounter_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (_, encounter) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4/{encounter_id}"),
        token,
    ))
    .await;
    let claim = &encounter["claims"][0];
    let line_ids = claim["service_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|line| {
            line["service_line_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    (
        encounter_id,
        claim["claim_id"].as_str().unwrap_or_default().to_string(),
        line_ids,
    )
}

fn line(id: &str, cents: i64) -> Value {
    json!({"amount_cents": cents, "target": {"type": "service_line_by_id", "value": id}})
}

async fn pay(
    app: &TestApp,
    token: &str,
    patient: &str,
    cents: i64,
    allocations: Value,
) -> (u16, Value) {
    call(
        app.candid(Method::POST, "/api/patient-payments/v4", token)
            .json(&json!({"amount_cents": cents, "patient_external_id": patient, "allocations": allocations})),
    )
    .await
}

async fn refund(
    app: &TestApp,
    token: &str,
    patient: &str,
    cents: i64,
    allocations: Value,
) -> (u16, Value) {
    call(
        app.candid(Method::POST, "/api/patient-refunds/v1", token)
            .json(&json!({"amount_cents": cents, "patient_external_id": patient, "allocations": allocations})),
    )
    .await
}

async fn list(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let (status, page) = call(app.candid(Method::GET, path, token)).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn a_patient_payment_allocates_to_lines_and_claims_and_lists_by_them(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, lines) =
        claim_for(app, &token, "pat-1", "c-1", &[15000, 3000]).await;
    let body = json!({
        "amount_cents": 5000,
        "patient_external_id": "pat-1",
        "payment_timestamp": "2024-06-01T10:00:00Z",
        "payment_note": "front desk",
        "payment_source": "LOCKBOX",
        "source_internal_id": "box-7",
        "payment_method_detail": {"payment_method": {"type": "check", "check_number": "1001"}, "organization_service_facility_id": "00000000-0000-0000-0000-000000000001"},
        "allocations": [
            line(&lines[0], 3000),
            {"amount_cents": 2000, "target": {"type": "claim_by_id", "value": claim_id}},
        ]
    });
    let (status, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["amount_cents"], 5000);
    assert_eq!(payment["payment_source"], "LOCKBOX");
    assert_eq!(payment["source_internal_id"], "box-7");
    assert_eq!(payment["organization_id"], json!(tenant.tenant_id));
    assert_eq!(payment["payment_timestamp"], "2024-06-01T10:00:00Z");
    assert_eq!(
        payment["payment_method_detail"],
        json!({"payment_method": {"type": "check", "check_number": "1001"}})
    );
    assert_eq!(
        payment["allocations"][0]["target"],
        json!({"type": "service_line", "service_line_id": lines[0], "claim_id": claim_id, "encounter_id": encounter_id})
    );
    assert_eq!(
        payment["allocations"][1]["target"],
        json!({"type": "claim", "claim_id": claim_id, "encounter_id": encounter_id})
    );
    let id = payment["patient_payment_id"].as_str().unwrap_or_default();
    let (status, again) = call(app.candid(
        Method::GET,
        &format!("/api/patient-payments/v4/{id}"),
        &token,
    ))
    .await;
    assert_eq!((status, &again), (200, &payment));

    // An empty allocation list is all unattributed; an earmark is kept.
    let (status, prepay) = pay(app, &token, "pat-1", 700, json!([])).await;
    assert_eq!(status, 200, "{prepay}");
    assert_eq!(
        prepay["allocations"],
        json!([{
            "allocation_id": prepay["allocations"][0]["allocation_id"],
            "amount_cents": 700,
            "target": {"type": "unattributed"},
            "allocated_on": prepay["allocations"][0]["allocated_on"],
        }])
    );
    let (status, earmarked) = pay(
        app,
        &token,
        "pat-1",
        300,
        json!([{"amount_cents": 300, "target": {"type": "unattributed"}, "earmark": {"type": "date_of_service", "value": "2024-07-01"}}]),
    )
    .await;
    assert_eq!(status, 200, "{earmarked}");
    let earmark = &earmarked["allocations"][0]["earmark"];
    assert_eq!(
        earmark["target"],
        json!({"type": "date_of_service", "value": "2024-07-01"})
    );
    assert_eq!(earmark["amount_earmarked_cents"], 300);
    assert_eq!(
        earmark["created_by_allocation_id"],
        earmarked["allocations"][0]["allocation_id"]
    );

    // Filters: by claim (line and claim allocations both count), by line, unattributed.
    let by_claim = list(
        app,
        &token,
        &format!("/api/patient-payments/v4?claim_id={claim_id}"),
    )
    .await;
    assert_eq!(by_claim.len(), 1);
    let by_line = list(
        app,
        &token,
        &format!("/api/patient-payments/v4?service_line_id={}", lines[1]),
    )
    .await;
    assert!(by_line.is_empty());
    let unattributed = list(app, &token, "/api/patient-payments/v4?unattributed=true").await;
    assert_eq!(unattributed.len(), 2);
    let attributed = list(app, &token, "/api/patient-payments/v4?unattributed=false").await;
    assert_eq!(attributed.len(), 1);
    let lockbox = list(
        app,
        &token,
        "/api/patient-payments/v4?sources=LOCKBOX&sources=STRIPE",
    )
    .await;
    assert_eq!(lockbox.len(), 1);
    let by_source_id = list(
        app,
        &token,
        "/api/patient-payments/v4?source_internal_id=box-7",
    )
    .await;
    assert_eq!(by_source_id.len(), 1);
    let other_patient = list(
        app,
        &token,
        "/api/patient-payments/v4?patient_external_id=pat-2",
    )
    .await;
    assert!(other_patient.is_empty());

    // Another tenant sees none of it.
    let other = app.tenant("other").await;
    let other_token = app.token(&other).await;
    let (status, error) = call(app.candid(
        Method::GET,
        &format!("/api/patient-payments/v4/{id}"),
        &other_token,
    ))
    .await;
    assert_eq!(status, 404);
    assert_eq!(error["errorName"], "EntityNotFoundError");
    assert!(
        list(app, &other_token, "/api/patient-payments/v4")
            .await
            .is_empty()
    );
    let (status, error) = pay(app, &other_token, "pat-1", 100, json!([])).await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
    app.assert_ledger_ok().await;
}

async fn a_refund_never_takes_back_more_than_was_paid_on_its_target(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, claim_id, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let (status, _) = pay(app, &token, "pat-1", 3000, json!([line(&lines[0], 3000)])).await;
    assert_eq!(status, 200);

    // More than paid on the line: the contract's overdraft error, nothing written.
    let (status, error) = refund(app, &token, "pat-1", 3001, json!([line(&lines[0], 3001)])).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["errorName"], "ReallocationWouldOverdraftError");
    let detail = &error["content"]["allocation_details"][0];
    assert_eq!(detail["patient_paid_amount_cents"], 3000);
    assert_eq!(detail["overage_amount_cents"], 1);
    assert_eq!(
        detail["allocation_target"]["service_line_id"],
        json!(lines[0])
    );
    assert!(error["content"]["messages"][0].is_string());
    assert!(
        list(app, &token, "/api/patient-refunds/v1")
            .await
            .is_empty()
    );
    // Nothing was paid on the other line or the claim itself.
    let (status, error) = refund(app, &token, "pat-1", 1, json!([line(&lines[1], 1)])).await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (422, Some("ReallocationWouldOverdraftError"))
    );
    let (status, _) = refund(
        app,
        &token,
        "pat-1",
        1,
        json!([{"amount_cents": 1, "target": {"type": "claim_by_id", "value": claim_id}}]),
    )
    .await;
    assert_eq!(status, 422);

    // Partial refunds up to what was paid, then no more.
    let body = json!({
        "amount_cents": 1000, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 1000)],
        "refund_reason": "OVERCHARGED", "refund_note": "sorry", "raise_on_overdraft": true,
        "refund_timestamp": "2024-06-02T00:00:00+02:00"
    });
    let (status, first) = call(
        app.candid(Method::POST, "/api/patient-refunds/v1", &token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["refund_reason"], "OVERCHARGED");
    assert_eq!(first["refund_source"], "MANUAL_ENTRY");
    assert_eq!(first["refund_timestamp"], "2024-06-01T22:00:00Z");
    let (status, _) = refund(app, &token, "pat-1", 2001, json!([line(&lines[0], 2001)])).await;
    assert_eq!(status, 422);
    let (status, _) = refund(app, &token, "pat-1", 2000, json!([line(&lines[0], 2000)])).await;
    assert_eq!(status, 200);
    let (status, _) = refund(app, &token, "pat-1", 1, json!([line(&lines[0], 1)])).await;
    assert_eq!(status, 422);
    assert_eq!(list(app, &token, "/api/patient-refunds/v1").await.len(), 2);
    let by_line = list(
        app,
        &token,
        &format!("/api/patient-refunds/v1?service_line_id={}", lines[0]),
    )
    .await;
    assert_eq!(by_line.len(), 2);
    app.assert_ledger_ok().await;
}

async fn bad_allocations_are_refused_and_write_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (_, other_claim, other_lines) = claim_for(app, &token, "pat-2", "c-2", &[10000]).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        // Allocations must sum to the amount.
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 400)]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 0, "patient_external_id": "pat-1", "allocations": []}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 600), line(&lines[0], -100)]}),
            422,
            "UnprocessableEntityError",
        ),
        // Unknown patient, unknown line, a line of another patient.
        (
            json!({"amount_cents": 500, "patient_external_id": "nobody", "allocations": []}),
            404,
            "EntityNotFoundError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line("00000000-0000-0000-0000-000000000009", 500)]}),
            404,
            "EntityNotFoundError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line(&other_lines[0], 500)]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [{"amount_cents": 500, "target": {"type": "claim_by_id", "value": other_claim}}]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [{"amount_cents": 500, "target": {"type": "claim_by_encounter_external_id", "value": "enc-missing"}}]}),
            404,
            "EntityNotFoundError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [{"amount_cents": 500, "target": {"type": "billing_provider_by_id", "value": "00000000-0000-0000-0000-000000000009"}}]}),
            404,
            "EntityNotFoundError",
        ),
        // Shapes: unknown target type, a non-date earmark, a bad restriction, a bad source.
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [{"amount_cents": 500, "target": {"type": "galaxy"}}]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [{"amount_cents": 500, "target": {"type": "unattributed"}, "earmark": {"type": "date_of_service", "value": "soon"}}]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [], "allocation_restrictions": [{"restriction_type": "zip", "restriction_value": "1"}]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [], "allocation_restrictions": [{"restriction_type": "billing_provider_npi", "restriction_value": "1"}, {"restriction_type": "billing_provider_npi", "restriction_value": "1"}]}),
            422,
            "UnprocessableEntityError",
        ),
        // A restriction the target's billing provider does not meet.
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 500)], "allocation_restrictions": [{"restriction_type": "billing_provider_npi", "restriction_value": "1111111111"}]}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [], "payment_source": "CASH_BOX"}),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!({"amount_cents": "500", "patient_external_id": "pat-1", "allocations": []}),
            422,
            "UnprocessableEntityError",
        ),
    ];
    for (body, status, name) in cases {
        let (got, error) = call(
            app.candid(Method::POST, "/api/patient-payments/v4", &token)
                .json(&body),
        )
        .await;
        assert_eq!(
            (got, error["errorName"].as_str()),
            (status, Some(name)),
            "{body} → {error}"
        );
    }
    assert!(
        list(app, &token, "/api/patient-payments/v4")
            .await
            .is_empty()
    );
    // A restriction the target meets is fine.
    let body = json!({"amount_cents": 500, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 500)],
        "allocation_restrictions": [{"restriction_type": "billing_provider_npi", "restriction_value": "1111111111"}, {"restriction_type": "billing_provider_npi", "restriction_value": "1234567893"}]});
    let (status, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    app.assert_ledger_ok().await;
}

async fn delete(app: &TestApp, token: &str, path: &str) -> u16 {
    app.candid(Method::DELETE, path, token)
        .send()
        .await
        .expect("sent")
        .status()
        .as_u16()
}

async fn updates_change_only_timestamp_note_and_invoice_and_deletes_reverse(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (_, payment) = pay(app, &token, "pat-1", 4000, json!([line(&lines[0], 4000)])).await;
    let id = payment["patient_payment_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let path = format!("/api/patient-payments/v4/{id}");
    let invoice = "00000000-0000-0000-0000-00000000abcd";
    let (status, updated) = call(app.candid(Method::PATCH, &path, &token).json(&json!({
        "payment_timestamp": "2024-08-01T00:00:00Z",
        "payment_note": {"value": "moved", "type": "set"},
        "invoice": {"type": "set", "value": invoice},
        "amount_cents": 1,
    })))
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["payment_timestamp"], "2024-08-01T00:00:00Z");
    assert_eq!(updated["payment_note"], "moved");
    assert_eq!(updated["invoice"], invoice);
    assert_eq!(updated["amount_cents"], 4000, "money is immutable");
    assert_eq!(updated["allocations"], payment["allocations"]);
    let (status, updated) = call(app.candid(Method::PATCH, &path, &token).json(&json!({
        "payment_note": {"type": "remove"}, "invoice": {"type": "remove"}
    })))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (updated["payment_note"].clone(), updated["invoice"].clone()),
        (Value::Null, Value::Null)
    );
    // A bodiless PATCH changes nothing.
    let (status, same) = call(app.candid(Method::PATCH, &path, &token)).await;
    assert_eq!((status, &same), (200, &updated));
    let (status, error) = call(
        app.candid(Method::PATCH, &path, &token)
            .json(&json!({"payment_note": {"type": "replace"}})),
    )
    .await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (422, Some("UnprocessableEntityError"))
    );

    // A payment with a refund against it stays until the refund goes.
    let (_, refunded) = refund(app, &token, "pat-1", 1500, json!([line(&lines[0], 1500)])).await;
    let refund_path = format!(
        "/api/patient-refunds/v1/{}",
        refunded["patient_refund_id"].as_str().unwrap_or_default()
    );
    let (status, updated_refund) = call(app.candid(Method::PATCH, &refund_path, &token).json(&json!({
        "refund_reason": {"type": "set", "value": "TRANSFER"}, "refund_note": {"type": "set", "value": "n"}
    })))
    .await;
    assert_eq!(status, 200, "{updated_refund}");
    assert_eq!(updated_refund["refund_reason"], "TRANSFER");
    assert_eq!(delete(app, &token, &path).await, 422);
    assert_eq!(delete(app, &token, &refund_path).await, 204);
    assert_eq!(delete(app, &token, &refund_path).await, 404);
    let (status, _) = call(app.candid(Method::GET, &refund_path, &token)).await;
    assert_eq!(status, 404);
    assert_eq!(delete(app, &token, &path).await, 204);
    let (status, error) = call(app.candid(Method::GET, &path, &token)).await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
    assert!(
        list(app, &token, "/api/patient-payments/v4")
            .await
            .is_empty()
    );
    // With the payment gone, nothing is left to refund.
    let (status, _) = refund(app, &token, "pat-1", 1, json!([line(&lines[0], 1)])).await;
    assert_eq!(status, 422);
    app.assert_ledger_ok().await;
}

async fn lists_page_in_every_sort_without_skips_or_repeats(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, _) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let notes = ["b", "a", "c", "a", "b"];
    for (index, amount) in [300, 100, 500, 100, 200].into_iter().enumerate() {
        let (status, _) = call(
            app.candid(Method::POST, "/api/patient-payments/v4", &token)
                .json(&json!({
                    "amount_cents": amount, "patient_external_id": "pat-1", "allocations": [],
                    "payment_timestamp": format!("2024-01-0{}T00:00:00Z", 5 - index),
                    "payment_note": notes[index],
                })),
        )
        .await;
        assert_eq!(status, 200);
    }
    for (sort, key) in [
        ("payment_timestamp", "payment_timestamp"),
        ("amount_cents", "amount_cents"),
        ("payment_note", "payment_note"),
        ("payment_source", "payment_source"),
    ] {
        for direction in ["asc", "desc"] {
            let mut seen: Vec<Value> = Vec::new();
            let mut token_param = String::new();
            loop {
                let path = format!(
                    "/api/patient-payments/v4?limit=2&sort={sort}&sort_direction={direction}{token_param}"
                );
                let (status, page) = call(app.candid(Method::GET, &path, &token)).await;
                assert_eq!(status, 200, "{page}");
                seen.extend(page["items"].as_array().cloned().unwrap_or_default());
                match page["next_page_token"].as_str() {
                    Some(next) => token_param = format!("&page_token={next}"),
                    None => break,
                }
            }
            let ids: std::collections::HashSet<&str> = seen
                .iter()
                .filter_map(|p| p["patient_payment_id"].as_str())
                .collect();
            assert_eq!((seen.len(), ids.len()), (5, 5), "{sort} {direction}");
            let keys: Vec<String> = seen.iter().map(|p| p[key].to_string()).collect();
            let mut sorted = keys.clone();
            sorted.sort_by(|a, b| {
                let (a, b) = (a.trim_matches('"'), b.trim_matches('"'));
                match (a.parse::<i64>(), b.parse::<i64>()) {
                    (Ok(a), Ok(b)) => a.cmp(&b),
                    _ => a.cmp(b),
                }
            });
            if direction == "desc" {
                sorted.reverse();
            }
            assert_eq!(keys, sorted, "{sort} {direction}");
        }
    }
    // Defaults: newest payment_timestamp first.
    let items = list(app, &token, "/api/patient-payments/v4").await;
    assert_eq!(items[0]["payment_timestamp"], "2024-01-05T00:00:00Z");
    // A token of another order, a bad sort, a bad limit.
    let (_, page) = call(app.candid(
        Method::GET,
        "/api/patient-payments/v4?limit=1&sort=amount_cents",
        &token,
    ))
    .await;
    let next = page["next_page_token"].as_str().unwrap_or_default();
    for path in [
        format!("/api/patient-payments/v4?page_token={next}"),
        "/api/patient-payments/v4?sort=refund_reason".to_string(),
        "/api/patient-payments/v4?limit=0".to_string(),
        "/api/patient-payments/v4?limit=1000".to_string(),
        "/api/patient-payments/v4?sort_direction=up".to_string(),
        "/api/patient-payments/v4?claim_id=nope".to_string(),
    ] {
        let (status, error) = call(app.candid(Method::GET, &path, &token)).await;
        assert_eq!(
            (status, error["errorName"].as_str()),
            (422, Some("UnprocessableEntityError")),
            "{path}"
        );
    }
}

async fn fifty_concurrent_refunds_never_exceed_what_was_paid(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (status, _) = pay(app, &token, "pat-1", 2500, json!([line(&lines[0], 2500)])).await;
    assert_eq!(status, 200);
    let attempts =
        (0..50).map(|_| refund(app, &token, "pat-1", 100, json!([line(&lines[0], 100)])));
    let results = futures::future::join_all(attempts).await;
    let succeeded = results.iter().filter(|(status, _)| *status == 200).count();
    let refused = results
        .iter()
        .filter(|(status, body)| {
            *status == 422 && body["errorName"] == "ReallocationWouldOverdraftError"
        })
        .count();
    assert_eq!(
        (succeeded, refused),
        (25, 25),
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    let refunds = list(app, &token, "/api/patient-refunds/v1?limit=999").await;
    let total: i64 = refunds
        .iter()
        .filter_map(|r| r["amount_cents"].as_i64())
        .sum();
    assert_eq!(total, 2500);
    app.assert_ledger_ok().await;
}
