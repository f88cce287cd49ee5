//! Payments after the fact and the other ways to settle: cash settlement with an
//! overpayment bought as credit, single-charge payments, refunds (credit restored as a new
//! credit, partial and full, REFUNDED), deleting payments and charges (VOID, payments
//! voided, credit returned, card payments refused), refusals that write nothing, and 50
//! refunds racing for one payment. Balances are computed by hand; the ledger check runs
//! after each scenario.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Tenant, TestApp, decoda};
use crate::settlement::{
    SETTLE, available, by_id, charge, credit, outstanding_and_status, patient, post, settle,
};

crate::both_backends!(
    cash_settlement_turns_an_overpayment_into_credit,
    single_charge_payments_pay_what_is_owed,
    refunds_partial_and_full_and_credit_refunds_restore_credit,
    deleting_a_charge_before_payment_voids_it,
    deleting_a_charge_after_payments_voids_them_and_returns_credit,
    deleting_a_payment_reopens_its_charges,
    card_payments_block_deleting_their_charge,
    refused_payments_and_refunds_write_nothing,
    concurrent_refunds_never_take_back_more_than_was_paid,
    mark_no_charge_closes_only_charges_that_owe_nothing,
    the_timeline_tells_a_charges_history_in_order,
);

pub(crate) const CASH: &str = "/billing/payment-terminal/charge/create-cash-settled";

async fn provider(app: &TestApp, tenant: &Tenant) -> String {
    let created = post(
        app,
        tenant,
        "/v1/provider/create",
        json!({"firstName": "Rhea", "email": "rhea@example.invalid", "roles": ["PROVIDER"]}),
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

pub(crate) async fn cash(
    app: &TestApp,
    tenant: &Tenant,
    query: &str,
    charges: Value,
) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::POST,
        &format!("{CASH}?{query}"),
        Some(charges),
    )
    .await
}

pub(crate) async fn refund(
    app: &TestApp,
    tenant: &Tenant,
    payment: &str,
    provider: &str,
    amount: i64,
) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::POST,
        "/billing/payment/refund",
        Some(json!({"paymentId": payment, "providerId": provider, "amount": amount, "reason": "OTHER",
                    "description": "returned"})),
    )
    .await
}

pub(crate) async fn delete(app: &TestApp, tenant: &Tenant, path: &str) -> (u16, Value) {
    decoda(app, tenant, Method::DELETE, path, None).await
}

pub(crate) fn id_of(body: &Value) -> String {
    body["id"].as_str().unwrap_or_default().to_string()
}

fn total_available(credits: &[(String, i64)]) -> i64 {
    credits.iter().map(|(_, remaining)| remaining).sum()
}

async fn cash_settlement_turns_an_overpayment_into_credit(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let a = charge(app, &tenant, &patient, 7000).await;
    let b = charge(app, &tenant, &patient, 5000).await;

    // 10000 in cash over [A, B]: A takes 7000, B 3000 of its 5000.
    let (status, payment) = cash(
        app,
        &tenant,
        "payment_medium=CASH&amount=10000",
        by_id(&[&a, &b]),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["paymentMedium"], "CASH");
    assert_eq!(payment["amount"], 10000);
    assert_eq!(payment["status"], "SUCCEEDED");
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "PAID".into())
    );
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (2000, "OUTSTANDING".into())
    );
    // The Gen-1 detail shows the cash payment and its share.
    let (_, detail) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/v1/charge/get/{a}"),
        None,
    )
    .await;
    assert_eq!(detail["payments"][0]["amount"], 7000, "{detail}");
    assert_eq!(detail["payments"][0]["payment"]["paymentMedium"], "CASH");

    // 3500 by check, 1500 of it bought as credit: B's 2000 is paid, credit 1500 granted.
    let (status, payment) = cash(
        app,
        &tenant,
        "payment_medium=CHECK&amount=3500&credit_overpayment_amount=1500",
        by_id(&[&b]),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["amount"], 3500);
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (0, "PAID".into())
    );
    let credits = available(app, &tenant, &patient).await;
    assert_eq!(credits.iter().map(|c| c.1).collect::<Vec<_>>(), [1500]);

    // A pure credit purchase names the patient in the query.
    let (status, payment) = cash(
        app,
        &tenant,
        &format!(
            "payment_medium=Venmo&amount=800&credit_overpayment_amount=800&patient_id={patient}"
        ),
        json!([]),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["paymentMedium"], "Venmo");
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        2300
    );
    // That credit pays like any other.
    let c = charge(app, &tenant, &patient, 2300).await;
    let (status, _) = settle(app, &tenant, "amount=2300", by_id(&[&c])).await;
    assert_eq!(status, 200);
    assert_eq!(
        outstanding_and_status(app, &tenant, &c).await,
        (0, "PAID".into())
    );
    app.assert_ledger_ok().await;
}

async fn single_charge_payments_pay_what_is_owed(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 1000})).await;
    let a = charge(app, &tenant, &patient, 600).await;
    let b = charge(app, &tenant, &patient, 900).await;

    let body =
        |id: &str| json!({"id": id, "total": 1, "totalOutstanding": 1, "status": "OUTSTANDING"});
    let payment = post(
        app,
        &tenant,
        "/billing/payment/patient-credit/create",
        body(&a),
    )
    .await;
    assert_eq!(
        (
            payment["amount"].as_i64(),
            payment["paymentMedium"].as_str()
        ),
        (Some(600), Some("PATIENT_CREDIT"))
    );
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "PAID".into())
    );
    // B owes 900 but only 400 of credit is left: refused, nothing drawn.
    let (status, error) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/payment/patient-credit/create",
        Some(body(&b)),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        400
    );

    let payment = post(
        app,
        &tenant,
        "/billing/payment/cash/create?payment_medium=CARE_CREDIT",
        body(&b),
    )
    .await;
    assert_eq!(
        (
            payment["amount"].as_i64(),
            payment["paymentMedium"].as_str()
        ),
        (Some(900), Some("CARE_CREDIT"))
    );
    // Nothing is owed any more: paying again is refused.
    let (status, error) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/payment/cash/create",
        Some(body(&b)),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    app.assert_ledger_ok().await;
}

async fn refunds_partial_and_full_and_credit_refunds_restore_credit(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let provider = provider(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 5000})).await;
    let a = charge(app, &tenant, &patient, 3000).await;
    let (_, credit_payment) = settle(app, &tenant, "amount=3000", by_id(&[&a])).await;
    let credit_payment = id_of(&credit_payment);
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        2000
    );

    // A partial refund of the credit payment: 1000 comes back as a new credit record.
    let (status, refunded) = refund(app, &tenant, &credit_payment, &provider, 1000).await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(refunded["amount"], 1000);
    assert_eq!(refunded["paymentId"], json!(credit_payment));
    assert_eq!(refunded["reason"], "OTHER");
    assert_eq!(refunded["status"], "SUCCEEDED");
    let credits = available(app, &tenant, &patient).await;
    assert_eq!(credits.len(), 2, "{credits:?}");
    assert_eq!(total_available(&credits), 3000);
    // The debt does not reopen; the charge stays PAID until every cent came back.
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "PAID".into())
    );
    let (status, refunded) = refund(app, &tenant, &credit_payment, &provider, 2000).await;
    assert_eq!(status, 200, "{refunded}");
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "REFUNDED".into())
    );
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        5000
    );
    let (status, error) = refund(app, &tenant, &credit_payment, &provider, 1).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.contains("0 left")),
        "{error}"
    );

    // A cash payment over two charges: refunds take back A's share first, then B's.
    let b = charge(app, &tenant, &patient, 1000).await;
    let c = charge(app, &tenant, &patient, 2000).await;
    let (_, cash_payment) = cash(
        app,
        &tenant,
        "payment_medium=CASH&amount=3000",
        by_id(&[&b, &c]),
    )
    .await;
    let cash_payment = id_of(&cash_payment);
    let (status, _) = refund(app, &tenant, &cash_payment, &provider, 1500).await;
    assert_eq!(status, 200);
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (0, "REFUNDED".into())
    );
    assert_eq!(
        outstanding_and_status(app, &tenant, &c).await,
        (0, "PAID".into())
    );
    let (status, error) = refund(app, &tenant, &cash_payment, &provider, 1501).await;
    assert_eq!(status, 400, "{error}");
    let (status, _) = refund(app, &tenant, &cash_payment, &provider, 1500).await;
    assert_eq!(status, 200);
    assert_eq!(
        outstanding_and_status(app, &tenant, &c).await,
        (0, "REFUNDED".into())
    );
    // Cash refunds put nothing on the patient's credit.
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        5000
    );
    // A payment with refunds cannot be deleted.
    let (status, error) = delete(app, &tenant, &format!("/billing/payment/{cash_payment}")).await;
    assert_eq!(status, 400, "{error}");
    app.assert_ledger_ok().await;
}

async fn deleting_a_charge_before_payment_voids_it(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let a = charge(app, &tenant, &patient, 2500).await;
    let (status, deleted) = delete(app, &tenant, &format!("/billing/charge/{a}")).await;
    assert_eq!((status, deleted), (200, json!(true)));
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "VOID".into())
    );
    // A void charge can be neither paid, adjusted nor deleted again.
    let (status, _) = cash(app, &tenant, "payment_medium=CASH&amount=1", by_id(&[&a])).await;
    assert_eq!(status, 400);
    let (status, _) = decoda(
        app,
        &tenant,
        Method::POST,
        "/v1/charge/adjust",
        Some(json!({"chargeId": a, "amount": 100, "reason": "late fee"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = delete(app, &tenant, &format!("/billing/charge/{a}")).await;
    assert_eq!(status, 400);
    app.assert_ledger_ok().await;
}

async fn deleting_a_charge_after_payments_voids_them_and_returns_credit(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let first = credit(app, &tenant, &patient, json!({"amount": 2000})).await;
    let a = charge(app, &tenant, &patient, 5000).await;
    let b = charge(app, &tenant, &patient, 1000).await;
    // A: 2000 from credit, then a cash payment of 4000 over [A, B] (A 3000, B 1000).
    let (status, _) = settle(app, &tenant, "amount=2000", by_id(&[&a])).await;
    assert_eq!(status, 200);
    let (status, _) = cash(
        app,
        &tenant,
        "payment_medium=CASH&amount=4000",
        by_id(&[&a, &b]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(available(app, &tenant, &patient).await.is_empty());
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (0, "PAID".into())
    );

    let (status, _) = delete(app, &tenant, &format!("/billing/charge/{a}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "VOID".into())
    );
    // The credit went back onto the credit it came from; the cash payment was voided
    // whole, so B owes its 1000 again.
    assert_eq!(available(app, &tenant, &patient).await, [(first, 2000)]);
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (1000, "OUTSTANDING".into())
    );
    app.assert_ledger_ok().await;
}

async fn deleting_a_payment_reopens_its_charges(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 800})).await;
    let a = charge(app, &tenant, &patient, 800).await;
    let (_, payment) = settle(app, &tenant, "amount=800", by_id(&[&a])).await;
    let payment = id_of(&payment);
    assert!(available(app, &tenant, &patient).await.is_empty());

    let (status, deleted) = delete(app, &tenant, &format!("/billing/payment/{payment}")).await;
    assert_eq!((status, deleted), (200, json!(true)));
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (800, "OUTSTANDING".into())
    );
    assert_eq!(
        total_available(&available(app, &tenant, &patient).await),
        800
    );
    // Gone: deleting again or refunding it finds nothing to act on.
    let (status, _) = delete(app, &tenant, &format!("/billing/payment/{payment}")).await;
    assert_eq!(status, 404);
    let provider = provider(app, &tenant).await;
    let (status, _) = refund(app, &tenant, &payment, &provider, 100).await;
    assert_eq!(status, 400);
    app.assert_ledger_ok().await;
}

/// Card payments arrive with the card endpoints; one is written straight to the store
/// here so the rule that protects them can be shown now.
async fn card_payments_block_deleting_their_charge(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let a = charge(app, &tenant, &patient, 1200).await;
    let tenant_id = Uuid::parse_str(&tenant.tenant_id).expect("tenant id");
    let charge_id = Uuid::parse_str(&a).unwrap_or_default();
    let patient_id = Uuid::parse_str(&patient).unwrap_or_default();
    let now = copay_store::now();
    let payment_id = Uuid::now_v7();
    let mut tx = app.store().begin().await.expect("begin");
    copay_store::payments::insert(
        &mut tx,
        &copay_store::payments::PaymentRow {
            id: payment_id,
            tenant_id,
            patient_id,
            amount: 200,
            medium: "POS".into(),
            status: "SUCCEEDED".into(),
            fee: 0,
            location_id: None,
            creator_id: None,
            comment: None,
            operation_id: None,
            voided_at: None,
            created_at: now,
            updated_at: now,
        },
    )
    .await
    .expect("payment");
    copay_store::payments::insert_share(&mut tx, tenant_id, payment_id, charge_id, 200, now)
        .await
        .expect("share");
    tx.commit().await.expect("commit");

    let (status, error) = delete(app, &tenant, &format!("/billing/charge/{a}")).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().is_some_and(|d| d.contains("card")),
        "{error}"
    );
    let (status, _) = delete(app, &tenant, &format!("/billing/payment/{payment_id}")).await;
    assert_eq!(status, 400);
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (1200, "OUTSTANDING".into())
    );
}

async fn refused_payments_and_refunds_write_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let someone_else = self::patient(app, &tenant).await;
    let provider = provider(app, &tenant).await;
    let a = charge(app, &tenant, &patient, 1000).await;
    let theirs = charge(app, &tenant, &someone_else, 500).await;
    let foreign_patient = self::patient(app, &other).await;
    let foreign = charge(app, &other, &foreign_patient, 500).await;

    let cases: Vec<(String, Value, u16)> = vec![
        ("payment_medium=POS&amount=100".into(), by_id(&[&a]), 422),
        (
            "payment_medium=PATIENT_CREDIT&amount=100".into(),
            by_id(&[&a]),
            422,
        ),
        ("amount=100".into(), by_id(&[&a]), 422),
        ("payment_medium=CASH".into(), by_id(&[&a]), 422),
        ("payment_medium=CASH&amount=0".into(), by_id(&[&a]), 400),
        ("payment_medium=CASH&amount=1001".into(), by_id(&[&a]), 400),
        (
            "payment_medium=CASH&amount=100&credit_overpayment_amount=200".into(),
            by_id(&[&a]),
            400,
        ),
        (
            "payment_medium=CASH&amount=100&credit_overpayment_amount=-1".into(),
            by_id(&[&a]),
            422,
        ),
        (
            "payment_medium=CASH&amount=100".into(),
            by_id(&[&a, &theirs]),
            422,
        ),
        (
            "payment_medium=CASH&amount=100".into(),
            by_id(&[&foreign]),
            404,
        ),
        (
            format!(
                "payment_medium=CASH&amount=100&credit_overpayment_amount=100&patient_id={foreign_patient}"
            ),
            json!([]),
            404,
        ),
        ("payment_medium=CASH&amount=100".into(), json!([]), 422),
    ];
    for (query, body, expected) in cases {
        let (status, error) = cash(app, &tenant, &query, body.clone()).await;
        assert_eq!(status, expected, "{query} {body}: {error}");
    }
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (1000, "OUTSTANDING".into())
    );
    assert!(available(app, &tenant, &patient).await.is_empty());

    let (status, payment) =
        cash(app, &tenant, "payment_medium=CASH&amount=600", by_id(&[&a])).await;
    assert_eq!(status, 200);
    let payment = id_of(&payment);
    let refunds: Vec<(Value, u16)> = vec![
        (
            json!({"paymentId": payment, "providerId": provider, "amount": 601, "reason": "OTHER"}),
            400,
        ),
        (
            json!({"paymentId": payment, "providerId": provider, "amount": 0, "reason": "OTHER"}),
            422,
        ),
        (
            json!({"paymentId": payment, "providerId": provider, "amount": 10, "reason": "BORED"}),
            422,
        ),
        (
            json!({"paymentId": payment, "amount": 10, "reason": "OTHER"}),
            422,
        ),
        (
            json!({"paymentId": payment, "providerId": Uuid::now_v7(), "amount": 10, "reason": "OTHER"}),
            404,
        ),
        (
            json!({"paymentId": Uuid::now_v7(), "providerId": provider, "amount": 10, "reason": "OTHER"}),
            404,
        ),
        (
            json!({"paymentId": "not-an-id", "providerId": provider, "amount": 10, "reason": "OTHER"}),
            404,
        ),
    ];
    for (body, expected) in refunds {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/billing/payment/refund",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
    }
    // Another tenant can neither refund, delete, nor void this tenant's money.
    let other_provider = self::provider(app, &other).await;
    let (status, _) = refund(app, &other, &payment, &other_provider, 10).await;
    assert_eq!(status, 404);
    let (status, _) = delete(app, &other, &format!("/billing/payment/{payment}")).await;
    assert_eq!(status, 404);
    let (status, _) = delete(app, &other, &format!("/billing/charge/{a}")).await;
    assert_eq!(status, 404);
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (400, "OUTSTANDING".into())
    );
    // The whole 600 is still refundable.
    let (status, _) = refund(app, &tenant, &payment, &provider, 600).await;
    assert_eq!(status, 200);
    let _ = SETTLE;
    app.assert_ledger_ok().await;
}

async fn concurrent_refunds_never_take_back_more_than_was_paid(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let provider = provider(app, &tenant).await;
    let a = charge(app, &tenant, &patient, 2500).await;
    let (_, payment) = cash(
        app,
        &tenant,
        "payment_medium=CASH&amount=2500",
        by_id(&[&a]),
    )
    .await;
    let payment = id_of(&payment);
    // 50 refunds of 100 at once against a payment of 2500: 25 fit.
    let attempts = (0..50).map(|_| {
        let (tenant, payment, provider) = (&tenant, &payment, &provider);
        async move { refund(app, tenant, payment, provider, 100).await }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let succeeded = outcomes.iter().filter(|(status, _)| *status == 200).count();
    let refused = outcomes.iter().filter(|(status, _)| *status == 400).count();
    assert_eq!((succeeded, refused), (25, 25), "{outcomes:?}");
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "REFUNDED".into())
    );
    app.assert_ledger_ok().await;
}

async fn mark_no_charge_closes_only_charges_that_owe_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let owing = charge(app, &tenant, &patient, 700).await;
    let free = json!({"patientId": patient, "totalOutstanding": 0, "externalId": "free-consult",
                      "items": [{"name": "Consult", "price": 0, "quantity": 1}]});

    // A charge that owes something refuses the whole request: the new one is not created.
    let (status, error) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/payment-terminal/mark-no-charge",
        Some(json!([free.clone(), {"id": owing, "patientId": patient, "totalOutstanding": 0}])),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().is_some_and(|d| d.contains("700")),
        "{error}"
    );
    let (status, _) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/charge/get_by_external_id/free-consult",
        None,
    )
    .await;
    assert_eq!(status, 404);

    // Written off to zero, it may join; the new $0 charge is created and closed.
    let (status, _) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/write-off/create",
        Some(json!({"chargeId": owing, "reason": "courtesy"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, closed) = decoda(
        app,
        &tenant,
        Method::POST,
        "/billing/payment-terminal/mark-no-charge",
        Some(json!([free, {"id": owing, "patientId": patient, "totalOutstanding": 0}])),
    )
    .await;
    assert_eq!(status, 200, "{closed}");
    let statuses: Vec<(i64, &str)> = closed
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["totalOutstanding"].as_i64().unwrap_or(-1),
                c["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(statuses, [(0, "PAID"), (0, "WRITE_OFF")]);
    assert_eq!(closed[0]["externalId"], "free-consult");
    assert_eq!(closed[0]["items"][0]["name"], "Consult");
    app.assert_ledger_ok().await;
}

async fn timeline(app: &TestApp, tenant: &Tenant, query: &str) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::GET,
        &format!("/billing/charge/timeline?{query}"),
        None,
    )
    .await
}

/// (type, amount, status) of each entry.
fn entries(timeline: &Value) -> Vec<(String, i64, String)> {
    timeline
        .as_array()
        .into_iter()
        .flatten()
        .map(|entry| {
            (
                entry["type"].as_str().unwrap_or("").to_string(),
                entry["amount"].as_i64().unwrap_or(i64::MIN),
                entry["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn entry(kind: &str, amount: i64, status: &str) -> (String, i64, String) {
    (kind.to_string(), amount, status.to_string())
}

async fn the_timeline_tells_a_charges_history_in_order(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let provider = provider(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 2500})).await;
    let a = charge(app, &tenant, &patient, 5000).await;
    post(
        app,
        &tenant,
        "/billing/adjustment/create",
        json!({"chargeId": a, "amount": 500, "reason": "late fee"}),
    )
    .await;
    let (_, cash_payment) = cash(
        app,
        &tenant,
        "payment_medium=CASH&amount=3000",
        by_id(&[&a]),
    )
    .await;
    let (status, _) = settle(app, &tenant, "amount=2500", by_id(&[&a])).await;
    assert_eq!(status, 200);
    let (status, _) = refund(app, &tenant, &id_of(&cash_payment), &provider, 1000).await;
    assert_eq!(status, 200);

    let (status, history) = timeline(app, &tenant, &format!("charge_id={a}")).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(
        entries(&history),
        [
            entry("CHARGE", 5000, "PAID"),
            entry("ADJUSTMENT", 500, ""),
            entry("PAYMENT", 3000, "SUCCEEDED"),
            entry("PAYMENT", 2500, "SUCCEEDED"),
            entry("REFUND", 1000, "SUCCEEDED"),
        ]
    );
    assert_eq!(history[0]["id"], json!(a));
    assert_eq!(history[1]["comment"], "late fee");
    assert_eq!(history[2]["paymentMedium"], "CASH");
    assert_eq!(history[3]["paymentMedium"], "PATIENT_CREDIT");
    assert_eq!(history[4]["refundReason"], "OTHER");

    // By payment: every charge it paid, and the void when it is deleted.
    let b = charge(app, &tenant, &patient, 1000).await;
    let c = charge(app, &tenant, &patient, 500).await;
    let (_, payment) = cash(
        app,
        &tenant,
        "payment_medium=CHECK&amount=1500",
        by_id(&[&b, &c]),
    )
    .await;
    let payment = id_of(&payment);
    let (status, _) = delete(app, &tenant, &format!("/billing/payment/{payment}")).await;
    assert_eq!(status, 200);
    let (status, _) = delete(app, &tenant, &format!("/billing/charge/{b}")).await;
    assert_eq!(status, 200);
    let (status, history) = timeline(app, &tenant, &format!("payment_id={payment}")).await;
    assert_eq!(status, 200, "{history}");
    assert_eq!(
        entries(&history),
        [
            entry("CHARGE", 1000, "VOID"),
            entry("CHARGE", 500, "OUTSTANDING"),
            entry("PAYMENT", 1000, "CANCELED"),
            entry("PAYMENT", 500, "CANCELED"),
            entry("VOID", 1000, "CANCELED"),
            entry("VOID", 500, "CANCELED"),
            entry("VOID", 1000, "VOID"),
        ]
    );

    let (status, _) = timeline(app, &tenant, "").await;
    assert_eq!(status, 422);
    let (status, _) = timeline(app, &other, &format!("charge_id={a}")).await;
    assert_eq!(status, 404);
    let (status, _) = timeline(app, &other, &format!("payment_id={payment}")).await;
    assert_eq!(status, 404);
    app.assert_ledger_ok().await;
}
