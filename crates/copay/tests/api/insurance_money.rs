//! Insurance payments (copay's) and insurance refunds v1 through raw HTTP: payer
//! identification, allocations to every target kind, refunds limited to what the payer
//! paid, the contract's update body, deletes, lists, and 50 concurrent refunds.

use reqwest::Method;
use serde_json::{Value, json};

use crate::claim_money::claim_for;
use crate::harness::{TestApp, call};

crate::both_backends!(
    insurance_money_allocates_to_every_target_kind_and_names_its_payer,
    an_insurance_refund_takes_back_at_most_what_the_payer_paid,
    the_refund_update_body_changes_only_timestamp_note_and_reason,
    insurance_lists_filter_sort_and_stay_in_their_tenant,
    fifty_concurrent_insurance_refunds_never_exceed_what_was_paid,
);

const AETNA: &str = r#"{"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"}"#;

fn aetna() -> Value {
    serde_json::from_str(AETNA).unwrap_or(Value::Null)
}

fn line(id: &str, cents: i64) -> Value {
    json!({"amount_cents": cents, "target": {"type": "service_line_by_id", "value": id}})
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    call(app.candid(Method::POST, path, token).json(&body)).await
}

async fn pay(app: &TestApp, token: &str, cents: i64, allocations: Value) -> (u16, Value) {
    post(
        app,
        token,
        "/api/insurance-payments/v1",
        json!({"payer_identifier": aetna(), "amount_cents": cents, "allocations": allocations}),
    )
    .await
}

async fn refund(app: &TestApp, token: &str, cents: i64, allocations: Value) -> (u16, Value) {
    post(
        app,
        token,
        "/api/insurance-refunds/v1",
        json!({"payer_identifier": aetna(), "amount_cents": cents, "allocations": allocations, "refund_reason": "OVERCHARGED"}),
    )
    .await
}

async fn items(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let (status, page) = call(app.candid(Method::GET, path, token)).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

async fn insurance_money_allocates_to_every_target_kind_and_names_its_payer(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, lines) =
        claim_for(app, &token, "pat-1", "c-1", &[10000, 5000, 2000]).await;
    let tenant_id: uuid::Uuid = tenant.tenant_id.parse().unwrap_or_default();
    let provider =
        copay_service::claim_money::billing_provider_id(tenant_id, "1234567893").to_string();
    let body = json!({
        "payer_identifier": aetna(),
        "amount_cents": 9000,
        "payment_timestamp": "2024-06-01T00:00:00Z",
        "payment_note": "ERA 1",
        "allocations": [
            line(&lines[0], 4000),
            {"amount_cents": 1000, "target": {"type": "claim_by_id", "value": claim_id}},
            {"amount_cents": 1000, "target": {"type": "claim_by_encounter_external_id", "value": "enc-c-1"}},
            {"amount_cents": 1000, "target": {"type": "billing_provider_by_id", "value": provider}},
            {"amount_cents": 1000, "target": {"type": "appointment_by_id_and_patient_external_id", "appointment_id": "appt-1", "patient_external_id": "pat-1"}},
            {"amount_cents": 1000, "target": {"type": "unattributed"}, "earmark": {"type": "external_encounter_id", "value": "enc-later"}},
        ]
    });
    let (status, payment) = post(app, &token, "/api/insurance-payments/v1", body).await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["payer"]["payer_id"], "60054");
    assert_eq!(payment["payer"]["payer_name"], "Aetna");
    let targets: Vec<Value> = payment["allocations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| a["target"].clone())
        .collect();
    assert_eq!(
        targets,
        vec![
            json!({"type": "service_line", "service_line_id": lines[0], "claim_id": claim_id, "encounter_id": encounter_id}),
            json!({"type": "claim", "claim_id": claim_id, "encounter_id": encounter_id}),
            json!({"type": "claim", "claim_id": claim_id, "encounter_id": encounter_id}),
            json!({"type": "billing_provider_id", "billing_provider_id": provider}),
            json!({"type": "appointment", "appointment_id": "appt-1", "patient_external_id": "pat-1"}),
            json!({"type": "unattributed"}),
        ]
    );
    assert_eq!(
        payment["allocations"][5]["earmark"]["target"],
        json!({"type": "external_encounter_id", "value": "enc-later"})
    );
    // The payer is now in the directory; naming it by uuid finds the same payer.
    let payer_uuid = payment["payer"]["payer_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, again) = post(
        app,
        &token,
        "/api/insurance-payments/v1",
        json!({"payer_identifier": {"type": "payer_uuid", "value": payer_uuid}, "amount_cents": 100, "allocations": []}),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["payer"]["payer_uuid"], json!(payer_uuid));
    assert_eq!(
        again["allocations"][0]["target"],
        json!({"type": "unattributed"})
    );
    let (status, error) = post(
        app,
        &token,
        "/api/insurance-payments/v1",
        json!({"payer_identifier": {"type": "payer_uuid", "value": "00000000-0000-0000-0000-000000000009"}, "amount_cents": 100, "allocations": []}),
    )
    .await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );

    // A refund with three allocations, each within what the payer paid there.
    let (status, refunded) = refund(
        app,
        &token,
        2500,
        json!([line(&lines[0], 1500), {"amount_cents": 500, "target": {"type": "claim_by_id", "value": claim_id}}, {"amount_cents": 500, "target": {"type": "billing_provider_by_id", "value": provider}}]),
    )
    .await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["refund_reason"], "OVERCHARGED");
    assert_eq!(refunded["payer"]["payer_uuid"], json!(payer_uuid));
    let id = refunded["insurance_refund_id"].as_str().unwrap_or_default();
    let (status, read) = call(app.candid(
        Method::GET,
        &format!("/api/insurance-refunds/v1/{id}"),
        &token,
    ))
    .await;
    assert_eq!((status, &read), (200, &refunded));
    app.assert_ledger_ok().await;
}

async fn an_insurance_refund_takes_back_at_most_what_the_payer_paid(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let (status, _) = pay(app, &token, 6000, json!([line(&lines[0], 6000)])).await;
    assert_eq!(status, 200);
    // Patient money on the same line does not count toward what the payer paid.
    let (status, _) = post(
        app,
        &token,
        "/api/patient-payments/v4",
        json!({"amount_cents": 1000, "patient_external_id": "pat-1", "allocations": [line(&lines[0], 1000)]}),
    )
    .await;
    assert_eq!(status, 200);
    for (cents, allocations) in [
        (6001, json!([line(&lines[0], 6001)])),
        (1, json!([line(&lines[1], 1)])),
        (6001, json!([line(&lines[0], 3000), line(&lines[0], 3001)])),
    ] {
        let (status, error) = refund(app, &token, cents, allocations).await;
        assert_eq!(
            (status, error["errorName"].as_str()),
            (422, Some("UnprocessableEntityError")),
            "{error}"
        );
    }
    assert!(
        items(app, &token, "/api/insurance-refunds/v1")
            .await
            .is_empty()
    );
    let (status, _) = refund(app, &token, 4000, json!([line(&lines[0], 4000)])).await;
    assert_eq!(status, 200);
    let (status, _) = refund(app, &token, 2001, json!([line(&lines[0], 2001)])).await;
    assert_eq!(status, 422);
    let (status, _) = refund(app, &token, 2000, json!([line(&lines[0], 2000)])).await;
    assert_eq!(status, 200);
    // The payment cannot go while its refunds stand; without them it can, and is gone.
    let payments = items(app, &token, "/api/insurance-payments/v1").await;
    let payment_path = format!(
        "/api/insurance-payments/v1/{}",
        payments[0]["insurance_payment_id"]
            .as_str()
            .unwrap_or_default()
    );
    let status = app
        .candid(Method::DELETE, &payment_path, &token)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 422);
    for refund in items(app, &token, "/api/insurance-refunds/v1").await {
        let path = format!(
            "/api/insurance-refunds/v1/{}",
            refund["insurance_refund_id"].as_str().unwrap_or_default()
        );
        let status = app
            .candid(Method::DELETE, &path, &token)
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, 204);
    }
    let status = app
        .candid(Method::DELETE, &payment_path, &token)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 204);
    let (status, _) = call(app.candid(Method::GET, &payment_path, &token)).await;
    assert_eq!(status, 404);
    app.assert_ledger_ok().await;
}

async fn the_refund_update_body_changes_only_timestamp_note_and_reason(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    pay(app, &token, 5000, json!([line(&lines[0], 5000)])).await;
    let (_, refunded) = refund(app, &token, 500, json!([line(&lines[0], 500)])).await;
    let path = format!(
        "/api/insurance-refunds/v1/{}",
        refunded["insurance_refund_id"].as_str().unwrap_or_default()
    );
    // The SDK's captured wire body: key order inside the unions varies.
    let (status, updated) = call(app.candid(Method::PATCH, &path, &token).json(&json!({
        "refund_timestamp": "2024-01-02T03:04:05.123456Z",
        "refund_note": {"value": "hi", "type": "set"},
        "refund_reason": {"type": "remove"},
        "amount_cents": 1,
    })))
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["refund_timestamp"], "2024-01-02T03:04:05.123456Z");
    assert_eq!(updated["refund_note"], "hi");
    assert_eq!(updated["refund_reason"], Value::Null);
    assert_eq!(updated["amount_cents"], 500);
    assert_eq!(updated["allocations"], refunded["allocations"]);
    let (status, updated) = call(app.candid(Method::PATCH, &path, &token).json(&json!({
        "refund_reason": {"type": "set", "value": "TRANSFER"}, "refund_note": {"type": "remove"}
    })))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            updated["refund_reason"].clone(),
            updated["refund_note"].clone()
        ),
        (json!("TRANSFER"), Value::Null)
    );
    for bad in [
        json!({"refund_reason": {"type": "set", "value": "BORED"}}),
        json!({"refund_timestamp": "yesterday"}),
        json!({"refund_note": "plain"}),
    ] {
        let (status, error) = call(app.candid(Method::PATCH, &path, &token).json(&bad)).await;
        assert_eq!(
            (status, error["errorName"].as_str()),
            (422, Some("UnprocessableEntityError")),
            "{bad}"
        );
    }
    let (status, error) = call(
        app.candid(
            Method::PATCH,
            "/api/insurance-refunds/v1/00000000-0000-0000-0000-000000000009",
            &token,
        )
        .json(&json!({})),
    )
    .await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
}

async fn insurance_lists_filter_sort_and_stay_in_their_tenant(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, claim_a, lines_a) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (_, claim_b, lines_b) = claim_for(app, &token, "pat-2", "c-2", &[10000]).await;
    pay(app, &token, 3000, json!([line(&lines_a[0], 3000)])).await;
    pay(app, &token, 4000, json!([line(&lines_b[0], 4000)])).await;
    let (status, cigna) = post(
        app,
        &token,
        "/api/insurance-payments/v1",
        json!({"payer_identifier": {"type": "payer_info", "payer_id": "62308", "payer_name": "Cigna"}, "amount_cents": 2000, "allocations": [line(&lines_b[0], 2000)]}),
    )
    .await;
    assert_eq!(status, 200, "{cigna}");
    let cigna_uuid = cigna["payer"]["payer_uuid"].as_str().unwrap_or_default();
    for (cents, line_id, note) in [
        (100, &lines_a[0], "b"),
        (300, &lines_b[0], "a"),
        (200, &lines_b[0], "c"),
    ] {
        let (status, _) = post(app, &token, "/api/insurance-refunds/v1", json!({
            "payer_identifier": aetna(), "amount_cents": cents, "allocations": [line(line_id, cents)], "refund_note": note
        })).await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        items(
            app,
            &token,
            &format!("/api/insurance-payments/v1?claim_id={claim_a}")
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        items(
            app,
            &token,
            &format!("/api/insurance-payments/v1?service_line_id={}", lines_b[0])
        )
        .await
        .len(),
        2
    );
    assert_eq!(
        items(
            app,
            &token,
            &format!("/api/insurance-payments/v1?payer_uuid={cigna_uuid}")
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        items(
            app,
            &token,
            &format!("/api/insurance-refunds/v1?claim_id={claim_b}")
        )
        .await
        .len(),
        2
    );
    assert!(
        items(
            app,
            &token,
            &format!("/api/insurance-refunds/v1?payer_uuid={cigna_uuid}")
        )
        .await
        .is_empty()
    );
    let by_amount: Vec<i64> = items(
        app,
        &token,
        "/api/insurance-refunds/v1?sort=amount_cents&sort_direction=asc",
    )
    .await
    .iter()
    .filter_map(|r| r["amount_cents"].as_i64())
    .collect();
    assert_eq!(by_amount, vec![100, 200, 300]);
    let by_note: Vec<String> = items(
        app,
        &token,
        "/api/insurance-refunds/v1?sort=refund_note&sort_direction=desc",
    )
    .await
    .iter()
    .filter_map(|r| r["refund_note"].as_str().map(str::to_string))
    .collect();
    assert_eq!(by_note, vec!["c", "b", "a"]);
    // Two pages of two and one: no skip, no repeat.
    let (_, first) = call(app.candid(
        Method::GET,
        "/api/insurance-refunds/v1?limit=2&sort=amount_cents",
        &token,
    ))
    .await;
    let next = first["next_page_token"].as_str().unwrap_or_default();
    let (_, second) = call(app.candid(
        Method::GET,
        &format!("/api/insurance-refunds/v1?limit=2&sort=amount_cents&page_token={next}"),
        &token,
    ))
    .await;
    let amounts: Vec<i64> = first["items"]
        .as_array()
        .into_iter()
        .chain(second["items"].as_array())
        .flatten()
        .filter_map(|r| r["amount_cents"].as_i64())
        .collect();
    assert_eq!(amounts, vec![300, 200, 100]);
    assert!(second["next_page_token"].is_null());
    let (status, error) = call(app.candid(
        Method::GET,
        "/api/insurance-refunds/v1?sort=payment_note",
        &token,
    ))
    .await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (422, Some("UnprocessableEntityError"))
    );

    let other = app.tenant("other").await;
    let other_token = app.token(&other).await;
    assert!(
        items(app, &other_token, "/api/insurance-refunds/v1")
            .await
            .is_empty()
    );
    assert!(
        items(app, &other_token, "/api/insurance-payments/v1")
            .await
            .is_empty()
    );
    let (status, _) = pay(app, &other_token, 100, json!([line(&lines_a[0], 100)])).await;
    assert_eq!(status, 404, "another tenant's line is unknown");
    let refund_id =
        items(app, &token, "/api/insurance-refunds/v1").await[0]["insurance_refund_id"].clone();
    let path = format!(
        "/api/insurance-refunds/v1/{}",
        refund_id.as_str().unwrap_or_default()
    );
    let (status, _) = call(app.candid(Method::GET, &path, &other_token)).await;
    assert_eq!(status, 404);
    let status = app
        .candid(Method::DELETE, &path, &other_token)
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 404);
    app.assert_ledger_ok().await;
}

async fn fifty_concurrent_insurance_refunds_never_exceed_what_was_paid(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (status, _) = pay(app, &token, 1700, json!([line(&lines[0], 1700)])).await;
    assert_eq!(status, 200);
    let attempts = (0..50).map(|_| refund(app, &token, 100, json!([line(&lines[0], 100)])));
    let results = futures::future::join_all(attempts).await;
    let succeeded = results.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(
        succeeded,
        17,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(
        results
            .iter()
            .all(|(status, _)| *status == 200 || *status == 422)
    );
    let total: i64 = items(app, &token, "/api/insurance-refunds/v1?limit=999")
        .await
        .iter()
        .filter_map(|r| r["amount_cents"].as_i64())
        .sum();
    assert_eq!(total, 1700);
    app.assert_ledger_ok().await;
}
