//! Gen-2 tips, adjustments, write-offs and charge edits: balances computed by hand after
//! each step, tips on paid charges, tips already paid, and refusals that write nothing.
//! The ledger check runs after each step.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, decoda};

crate::both_backends!(
    tips_adjustments_and_a_write_off_move_the_balance_by_hand,
    a_tip_on_a_paid_charge_reopens_it_and_its_removal_closes_it,
    a_tip_already_paid_cannot_be_lowered,
    bad_tip_input_is_refused_and_writes_nothing,
    bad_adjustment_and_write_off_input_is_refused_and_writes_nothing,
    charge_comment_and_details_are_edited_without_moving_money,
    verify_names_a_tip_that_drifted_from_the_ledger,
    a_void_charge_takes_no_tip_adjustment_or_write_off,
);

const MISSING: &str = "0190d7a4-0000-7000-8000-000000000000";

async fn post(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let (status, created) = decoda(app, tenant, Method::POST, path, Some(body.clone())).await;
    assert_eq!(status, 200, "{path} {body}: {created}");
    created
}

fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap_or_default().to_string()
}

async fn patient(app: &TestApp, tenant: &Tenant) -> String {
    id_of(
        &post(
            app,
            tenant,
            "/user/patient/create",
            json!({"firstName": "Ana"}),
        )
        .await,
    )
}

async fn provider(app: &TestApp, tenant: &Tenant, first_name: &str) -> String {
    let body = json!({"firstName": first_name, "lastName": "Reyes", "email": "r@example.com", "roles": ["PROVIDER"]});
    id_of(&post(app, tenant, "/v1/provider/create", body).await)
}

async fn charge(app: &TestApp, tenant: &Tenant, patient: &str, amount: i64) -> String {
    let body = json!({"patientId": patient, "customAmount": amount, "totalOutstanding": amount});
    id_of(&post(app, tenant, "/v1/charge/create", body).await)
}

async fn charge_detail(app: &TestApp, tenant: &Tenant, id: &str) -> Value {
    let path = format!("/v1/charge/get/{id}");
    let (status, body) = decoda(app, tenant, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// (totalOutstanding, total, status) as the Gen-1 charge GET shows them.
async fn balance(app: &TestApp, tenant: &Tenant, id: &str) -> (i64, i64, String) {
    let body = charge_detail(app, tenant, id).await;
    (
        body["totalOutstanding"].as_i64().unwrap_or(-1),
        body["total"].as_i64().unwrap_or(-1),
        body["status"].as_str().unwrap_or("").to_string(),
    )
}

fn state(outstanding: i64, total: i64, status: &str) -> (i64, i64, String) {
    (outstanding, total, status.to_string())
}

async fn tip(app: &TestApp, tenant: &Tenant, charge: &str, provider: &str, amount: i64) -> Value {
    let body = json!({"chargeId": charge, "providerId": provider, "amount": amount});
    post(app, tenant, "/billing/tips/create", body).await
}

async fn put_tip(app: &TestApp, tenant: &Tenant, tip: &str, body: Value) -> (u16, Value) {
    let path = format!("/billing/tips/{tip}");
    decoda(app, tenant, Method::PUT, &path, Some(body)).await
}

async fn delete_tip(app: &TestApp, tenant: &Tenant, tip: &str) -> (u16, Value) {
    let path = format!("/billing/tips/{tip}");
    decoda(app, tenant, Method::DELETE, &path, None).await
}

async fn get_tip(app: &TestApp, tenant: &Tenant, tip: &str) -> (u16, Value) {
    let path = format!("/billing/tips/{tip}");
    decoda(app, tenant, Method::GET, &path, None).await
}

/// Pays `amount` of the charge from a patient credit granted for it.
async fn pay(app: &TestApp, tenant: &Tenant, patient: &str, charge: &str, amount: i64) {
    post(
        app,
        tenant,
        &format!("/user/patient/{patient}/credit"),
        json!({"amount": amount}),
    )
    .await;
    let path =
        format!("/billing/payment-terminal/charge/create-patient-credit-settled?amount={amount}");
    let body = json!([{"id": charge, "patientId": patient, "totalOutstanding": 0}]);
    post(app, tenant, &path, body).await;
}

async fn transfers(app: &TestApp) -> i64 {
    app.verify().await.transfers
}

async fn tips_adjustments_and_a_write_off_move_the_balance_by_hand(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 10_000).await;
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(10_000, 10_000, "OUTSTANDING")
    );

    // A tip of 1500 raises what is owed and the total: 11500 both.
    let created = tip(app, &tenant, &charge, &nurse, 1500).await;
    assert_eq!(created["amount"], 1500);
    assert_eq!(created["chargeId"], json!(charge));
    assert_eq!(created["providerId"], json!(nurse));
    assert_eq!(created["provider"]["id"], json!(nurse));
    assert_eq!(created["provider"]["firstName"], "Rosa");
    assert_eq!(created["provider"]["lastName"], "Reyes");
    assert_eq!(created["provider"]["email"], "r@example.com");
    let tip_id = id_of(&created);
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(11_500, 11_500, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;
    let (status, read) = get_tip(app, &tenant, &tip_id).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read, created);

    // Lowered to 1000, to another provider: 500 moves back; 11000 both.
    let doctor = provider(app, &tenant, "Ivo").await;
    let (status, lowered) = put_tip(
        app,
        &tenant,
        &tip_id,
        json!({"providerId": doctor, "amount": 1000}),
    )
    .await;
    assert_eq!(status, 200, "{lowered}");
    assert_eq!(lowered["amount"], 1000);
    assert_eq!(lowered["providerId"], json!(doctor));
    assert_eq!(lowered["provider"]["firstName"], "Ivo");
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(11_000, 11_000, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;
    // Only the provider changes: no money moves.
    let before = transfers(app).await;
    let (status, moved) = put_tip(app, &tenant, &tip_id, json!({"providerId": nurse})).await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["amount"].clone(), moved["providerId"].clone()),
        (json!(1000), json!(nurse))
    );
    assert_eq!(transfers(app).await, before);

    // Adjustments: +500 → 11500 owed, then −2000 → 9500. The total stays 11000.
    let raised = post(
        app,
        &tenant,
        "/billing/adjustment/create",
        json!({"chargeId": charge, "amount": 500, "reason": "extra supplies", "providerId": "dr-1", "locationId": "loc-9"}),
    )
    .await;
    assert_eq!(raised["amount"], 500);
    assert_eq!(raised["adjustmentType"], "ADJUSTMENT");
    assert_eq!(raised["locationId"], "loc-9");
    assert_eq!(raised["providerId"], "dr-1");
    assert_eq!(raised["reason"], "extra supplies");
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(11_500, 11_000, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;
    let lowered = post(
        app,
        &tenant,
        "/billing/adjustment/create",
        json!({"chargeId": charge, "amount": -2000, "reason": "courtesy"}),
    )
    .await;
    assert_eq!(lowered["amount"], -2000);
    assert_eq!(lowered["locationId"], Value::Null);
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(9_500, 11_000, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;

    // The write-off takes the 9500 left.
    let written_off = post(
        app,
        &tenant,
        "/billing/write-off/create",
        json!({"chargeId": charge, "reason": "hardship", "locationId": "loc-9"}),
    )
    .await;
    assert_eq!(written_off["amount"], -9_500);
    assert_eq!(written_off["adjustmentType"], "WRITE_OFF");
    assert_eq!(written_off["reason"], "hardship");
    assert_eq!(written_off["locationId"], "loc-9");
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(0, 11_000, "WRITE_OFF")
    );
    app.assert_ledger_ok().await;
    let detail = charge_detail(app, &tenant, &charge).await;
    let amounts: Vec<i64> = detail["adjustments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|adjustment| adjustment["amount"].as_i64())
        .collect();
    assert_eq!(amounts, [500, -2000, -9500]);

    // Nothing left to write off.
    let before = transfers(app).await;
    let (status, error) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/write-off/create",
        Some(json!({"chargeId": charge, "reason": "again"})),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap_or("")
            .contains("nothing outstanding"),
        "{error}"
    );
    assert_eq!(transfers(app).await, before);
    app.assert_ledger_ok().await;
}

async fn a_tip_on_a_paid_charge_reopens_it_and_its_removal_closes_it(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    pay(app, &tenant, &patient, &charge, 1000).await;
    assert_eq!(balance(app, &tenant, &charge).await, state(0, 1000, "PAID"));

    let created = tip(app, &tenant, &charge, &nurse, 200).await;
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(200, 1200, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;

    // Raised again while open: the status stays.
    let (status, raised) = put_tip(
        app,
        &tenant,
        &id_of(&created),
        json!({"providerId": nurse, "amount": 300}),
    )
    .await;
    assert_eq!(status, 200, "{raised}");
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(300, 1300, "OUTSTANDING")
    );

    // Deleted before it was paid: the charge is as it was, paid.
    let (status, deleted) = delete_tip(app, &tenant, &id_of(&created)).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted, json!(true));
    assert_eq!(balance(app, &tenant, &charge).await, state(0, 1000, "PAID"));
    let (status, _) = get_tip(app, &tenant, &id_of(&created)).await;
    assert_eq!(status, 404);
    let (status, _) = delete_tip(app, &tenant, &id_of(&created)).await;
    assert_eq!(status, 404, "a deleted tip is gone");
    app.assert_ledger_ok().await;

    // A tip on a written-off charge reopens it too, and its removal restores WRITE_OFF.
    let other = self::charge(app, &tenant, &patient, 700).await;
    post(
        app,
        &tenant,
        "/billing/write-off/create",
        json!({"chargeId": other, "reason": "hardship"}),
    )
    .await;
    let reopened = tip(app, &tenant, &other, &nurse, 50).await;
    assert_eq!(
        balance(app, &tenant, &other).await,
        state(50, 750, "OUTSTANDING")
    );
    let (status, _) = delete_tip(app, &tenant, &id_of(&reopened)).await;
    assert_eq!(status, 200);
    assert_eq!(
        balance(app, &tenant, &other).await,
        state(0, 700, "WRITE_OFF")
    );
    app.assert_ledger_ok().await;
}

async fn a_tip_already_paid_cannot_be_lowered(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let created = tip(app, &tenant, &charge, &nurse, 500).await;
    let tip_id = id_of(&created);
    // 1500 owed; 1200 paid leaves 300.
    pay(app, &tenant, &patient, &charge, 1200).await;
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(300, 1500, "OUTSTANDING")
    );

    let before = transfers(app).await;
    // Lowering to 100 takes 400 off, more than the 300 owed: refused.
    let (status, error) = put_tip(
        app,
        &tenant,
        &tip_id,
        json!({"providerId": nurse, "amount": 100}),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .unwrap_or("")
            .contains("already paid"),
        "{error}"
    );
    let (status, error) = delete_tip(app, &tenant, &tip_id).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(transfers(app).await, before);
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(300, 1500, "OUTSTANDING")
    );
    let (_, unchanged) = get_tip(app, &tenant, &tip_id).await;
    assert_eq!(unchanged, created);

    // Lowering by what is still owed is fine: 500 → 200 takes 300 off; nothing is owed
    // and the payment closed it.
    let (status, lowered) = put_tip(
        app,
        &tenant,
        &tip_id,
        json!({"providerId": nurse, "amount": 200}),
    )
    .await;
    assert_eq!(status, 200, "{lowered}");
    assert_eq!(balance(app, &tenant, &charge).await, state(0, 1200, "PAID"));
    app.assert_ledger_ok().await;
}

async fn bad_tip_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other_tenant = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let their_patient = self::patient(app, &other_tenant).await;
    let their_charge = self::charge(app, &other_tenant, &their_patient, 1000).await;
    let their_provider = provider(app, &other_tenant, "Zed").await;
    let their_tip = id_of(&tip(app, &other_tenant, &their_charge, &their_provider, 100).await);
    let tip_id = id_of(&tip(app, &tenant, &charge, &nurse, 100).await);

    let before = transfers(app).await;
    let create = |charge: &str, provider: &str, amount: Value| json!({"chargeId": charge, "providerId": provider, "amount": amount});
    let cases: Vec<(Value, u16, &str)> = vec![
        (create(&charge, &nurse, json!(0)), 422, "amount"),
        (create(&charge, &nurse, json!(-5)), 422, "amount"),
        (create(&charge, &nurse, json!(1.5)), 422, "amount"),
        (
            json!({"chargeId": charge, "amount": 100}),
            422,
            "providerId",
        ),
        (create(MISSING, &nurse, json!(100)), 404, "charge"),
        (create("not-a-uuid", &nurse, json!(100)), 404, "charge"),
        (create(&their_charge, &nurse, json!(100)), 404, "charge"),
        (create(&charge, MISSING, json!(100)), 404, "provider"),
        (
            create(&charge, &their_provider, json!(100)),
            404,
            "provider",
        ),
    ];
    for (body, expected, names) in cases {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/billing/tips/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
        assert!(
            error["detail"].to_string().contains(names),
            "{body}: {error}"
        );
    }
    for id in [MISSING, "nope", their_tip.as_str()] {
        let (status, error) = get_tip(app, &tenant, id).await;
        assert_eq!(status, 404, "{id}: {error}");
        assert!(
            error["detail"].as_str().unwrap_or("").contains("tip"),
            "{error}"
        );
        let (status, _) =
            put_tip(app, &tenant, id, json!({"providerId": nurse, "amount": 5})).await;
        assert_eq!(status, 404, "{id}");
        let (status, _) = delete_tip(app, &tenant, id).await;
        assert_eq!(status, 404, "{id}");
    }
    let updates: Vec<(Value, u16)> = vec![
        (json!({"providerId": nurse, "amount": 0}), 422),
        (json!({"providerId": nurse, "amount": -100}), 422),
        (json!({"amount": 200}), 422),
        (json!({"providerId": MISSING, "amount": 200}), 404),
        (json!({"providerId": their_provider}), 404),
    ];
    for (body, expected) in updates {
        let (status, error) = put_tip(app, &tenant, &tip_id, body.clone()).await;
        assert_eq!(status, expected, "{body}: {error}");
    }
    assert_eq!(transfers(app).await, before);
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(1100, 1100, "OUTSTANDING")
    );
    let (_, unchanged) = get_tip(app, &tenant, &tip_id).await;
    assert_eq!(
        (unchanged["amount"].clone(), unchanged["providerId"].clone()),
        (json!(100), json!(nurse))
    );
    app.assert_ledger_ok().await;
}

async fn bad_adjustment_and_write_off_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other_tenant = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let their_patient = self::patient(app, &other_tenant).await;
    let their_charge = self::charge(app, &other_tenant, &their_patient, 1000).await;
    let settled = self::charge(app, &tenant, &patient, 400).await;
    pay(app, &tenant, &patient, &settled, 400).await;

    let before = transfers(app).await;
    let adjustments: Vec<(Value, u16)> = vec![
        (json!({"chargeId": charge, "amount": 0, "reason": "x"}), 422),
        (
            json!({"chargeId": charge, "amount": 100, "reason": "  "}),
            422,
        ),
        (json!({"chargeId": charge, "amount": 100}), 422),
        (
            json!({"chargeId": charge, "amount": -1001, "reason": "x"}),
            400,
        ),
        (
            json!({"chargeId": MISSING, "amount": 100, "reason": "x"}),
            404,
        ),
        (
            json!({"chargeId": their_charge, "amount": 100, "reason": "x"}),
            404,
        ),
    ];
    for (body, expected) in adjustments {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/billing/adjustment/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
    }
    let write_offs: Vec<(Value, u16)> = vec![
        (json!({"chargeId": charge, "reason": ""}), 422),
        (json!({"chargeId": charge}), 422),
        (json!({"chargeId": settled, "reason": "x"}), 400),
        (json!({"chargeId": MISSING, "reason": "x"}), 404),
        (json!({"chargeId": "nope", "reason": "x"}), 404),
        (json!({"chargeId": their_charge, "reason": "x"}), 404),
    ];
    for (body, expected) in write_offs {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/billing/write-off/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
    }
    assert_eq!(transfers(app).await, before);
    assert_eq!(
        balance(app, &tenant, &charge).await,
        state(1000, 1000, "OUTSTANDING")
    );
    assert_eq!(balance(app, &tenant, &settled).await, state(0, 400, "PAID"));
    assert_eq!(
        balance(app, &other_tenant, &their_charge).await,
        state(1000, 1000, "OUTSTANDING")
    );
    app.assert_ledger_ok().await;
}

async fn charge_comment_and_details_are_edited_without_moving_money(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other_tenant = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let patient_there = self::patient(app, &other_tenant).await;
    let theirs = self::charge(app, &other_tenant, &patient_there, 500).await;
    let before = transfers(app).await;

    let path = format!("/billing/charge/update-details/{charge}");
    let done = post(
        app,
        &tenant,
        &path,
        json!({"description": "Botox, 20 units", "externalCreatedDate": "2024-05-01T09:30:00Z"}),
    )
    .await;
    assert_eq!(done, json!(true));
    let detail = charge_detail(app, &tenant, &charge).await;
    assert_eq!(detail["description"], "Botox, 20 units");
    assert_eq!(detail["externalCreatedDate"], "2024-05-01T09:30:00Z");
    assert_eq!(detail["totalOutstanding"], 1000);

    let comment_path = format!("/billing/charge/update-comment/{charge}");
    let done = post(
        app,
        &tenant,
        &comment_path,
        json!({"comment": "call first"}),
    )
    .await;
    assert_eq!(done, json!(true));
    assert_eq!(
        stored_comment(app, &tenant, &charge).await,
        json!("call first")
    );

    // Absent keys stay; null clears.
    post(app, &tenant, &path, json!({"comment": "second thoughts"})).await;
    let detail = charge_detail(app, &tenant, &charge).await;
    assert_eq!(detail["description"], "Botox, 20 units");
    assert_eq!(
        stored_comment(app, &tenant, &charge).await,
        json!("second thoughts")
    );
    post(
        app,
        &tenant,
        &path,
        json!({"description": null, "comment": null}),
    )
    .await;
    let detail = charge_detail(app, &tenant, &charge).await;
    assert_eq!(detail["description"], Value::Null);
    assert_eq!(detail["externalCreatedDate"], "2024-05-01T09:30:00Z");
    assert_eq!(stored_comment(app, &tenant, &charge).await, Value::Null);

    // Refusals.
    for id in [MISSING, "nope", theirs.as_str()] {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            &format!("/billing/charge/update-comment/{id}"),
            Some(json!({"comment": "x"})),
        )
        .await;
        assert_eq!(status, 404, "{id}: {error}");
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            &format!("/billing/charge/update-details/{id}"),
            Some(json!({"description": "x"})),
        )
        .await;
        assert_eq!(status, 404, "{id}: {error}");
    }
    for body in [
        json!({"externalCreatedDate": "yesterday"}),
        json!({"description": 5}),
    ] {
        let (status, error) = decoda(app, &tenant, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {error}");
    }
    let (status, error) = decoda(app, &tenant, Method::POST, &comment_path, Some(json!({}))).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["detail"][0]["loc"], json!(["body", "comment"]));
    let detail = charge_detail(app, &tenant, &charge).await;
    assert_eq!(detail["externalCreatedDate"], "2024-05-01T09:30:00Z");
    let (_, theirs_now) = decoda(
        app,
        &other_tenant,
        Method::GET,
        &format!("/v1/charge/get/{theirs}"),
        None,
    )
    .await;
    assert_eq!(theirs_now["description"], Value::Null);
    assert_eq!(transfers(app).await, before, "no money moved");
    app.assert_ledger_ok().await;
}

/// The charge's comment as stored (Gen-1 responses have no comment field).
async fn stored_comment(app: &TestApp, tenant: &Tenant, charge: &str) -> Value {
    let tenant_id = uuid::Uuid::parse_str(&tenant.tenant_id).expect("tenant id");
    let id = uuid::Uuid::parse_str(charge).expect("charge id");
    let row = app
        .store()
        .charge(tenant_id, id)
        .await
        .expect("read")
        .expect("charge exists");
    row.charge.attributes.0["comment"].clone()
}

async fn verify_names_a_tip_that_drifted_from_the_ledger(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let tip_id = id_of(&tip(app, &tenant, &charge, &nurse, 300).await);
    app.assert_ledger_ok().await;

    // A tip row changed behind the ledger's back.
    let id = uuid::Uuid::parse_str(&tip_id).expect("tip id");
    let mut tx = app.store().begin().await.expect("begin");
    copay_store::on_tx!(&mut tx, conn => sqlx::query("UPDATE tips SET amount = amount + 1 WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ()))
    .expect("tamper");
    tx.commit().await.expect("commit");

    let report = app.verify().await;
    assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
    assert!(
        report.violations[0].contains(&charge)
            && report.violations[0].contains("tips of 301 but 300"),
        "{:?}",
        report.violations
    );
}

async fn a_void_charge_takes_no_tip_adjustment_or_write_off(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let nurse = provider(app, &tenant, "Rosa").await;
    let charge = charge(app, &tenant, &patient, 1000).await;
    let tip_id = id_of(&tip(app, &tenant, &charge, &nurse, 100).await);
    let (status, _) = decoda(
        app,
        &tenant,
        Method::DELETE,
        &format!("/billing/charge/{charge}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(balance(app, &tenant, &charge).await, state(0, 1100, "VOID"));

    let before = transfers(app).await;
    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/billing/tips/create".into(),
            Some(json!({"chargeId": charge, "providerId": nurse, "amount": 100})),
        ),
        (
            Method::PUT,
            format!("/billing/tips/{tip_id}"),
            Some(json!({"providerId": nurse, "amount": 50})),
        ),
        (Method::DELETE, format!("/billing/tips/{tip_id}"), None),
        (
            Method::POST,
            "/billing/adjustment/create".into(),
            Some(json!({"chargeId": charge, "amount": -100, "reason": "x"})),
        ),
        (
            Method::POST,
            "/billing/write-off/create".into(),
            Some(json!({"chargeId": charge, "reason": "x"})),
        ),
    ];
    for (method, path, body) in attempts {
        let (status, error) = decoda(app, &tenant, method.clone(), &path, body).await;
        assert_eq!(status, 400, "{method} {path}: {error}");
        assert!(
            error["detail"].as_str().unwrap_or("").contains("void"),
            "{error}"
        );
    }
    assert_eq!(transfers(app).await, before);
    assert_eq!(balance(app, &tenant, &charge).await, state(0, 1100, "VOID"));
    app.assert_ledger_ok().await;
}
