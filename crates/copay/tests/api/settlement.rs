//! Settling charges with patient credit: the split by hand, credit order, new charges in
//! the body, refusals that write nothing, and 50 settlements racing for one patient's
//! credit. The ledger check runs after each scenario.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, decoda};

crate::both_backends!(
    credit_pays_charges_in_list_order_from_the_oldest_credit,
    charges_without_an_id_are_created_and_paid_in_one_go,
    refused_settlements_write_nothing,
    concurrent_settlements_never_spend_more_than_the_credit,
);

pub(crate) const SETTLE: &str = "/billing/payment-terminal/charge/create-patient-credit-settled";

pub(crate) async fn post(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let (status, created) = decoda(app, tenant, Method::POST, path, Some(body.clone())).await;
    assert_eq!(status, 200, "{path} {body}: {created}");
    created
}

pub(crate) async fn patient(app: &TestApp, tenant: &Tenant) -> String {
    let created = post(
        app,
        tenant,
        "/user/patient/create",
        json!({"firstName": "Ana"}),
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

pub(crate) async fn credit(app: &TestApp, tenant: &Tenant, patient: &str, body: Value) -> String {
    let created = post(
        app,
        tenant,
        &format!("/user/patient/{patient}/credit"),
        body,
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

pub(crate) async fn charge(
    app: &TestApp,
    tenant: &Tenant,
    patient: &str,
    outstanding: i64,
) -> String {
    let created = post(
        app,
        tenant,
        "/v1/charge/create",
        json!({"patientId": patient, "customAmount": outstanding, "totalOutstanding": outstanding}),
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

pub(crate) async fn settle(
    app: &TestApp,
    tenant: &Tenant,
    query: &str,
    charges: Value,
) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::POST,
        &format!("{SETTLE}?{query}"),
        Some(charges),
    )
    .await
}

pub(crate) async fn charge_state(app: &TestApp, tenant: &Tenant, id: &str) -> Value {
    let (status, body) = decoda(
        app,
        tenant,
        Method::GET,
        &format!("/v1/charge/get/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) async fn outstanding_and_status(
    app: &TestApp,
    tenant: &Tenant,
    id: &str,
) -> (i64, String) {
    let body = charge_state(app, tenant, id).await;
    (
        body["totalOutstanding"].as_i64().unwrap_or(-1),
        body["status"].as_str().unwrap_or("").to_string(),
    )
}

pub(crate) async fn available(app: &TestApp, tenant: &Tenant, patient: &str) -> Vec<(String, i64)> {
    let (_, body) = decoda(
        app,
        tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit/available"),
        None,
    )
    .await;
    body["credits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["creditId"].as_str().unwrap_or("").to_string(),
                c["remainingAmount"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

pub(crate) fn by_id(ids: &[&str]) -> Value {
    Value::Array(
        ids.iter()
            .map(|id| json!({"id": id, "patientId": "ignored", "totalOutstanding": 999_999}))
            .collect(),
    )
}

async fn credit_pays_charges_in_list_order_from_the_oldest_credit(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let older = credit(app, &tenant, &patient, json!({"amount": 300})).await;
    let newer = credit(app, &tenant, &patient, json!({"amount": 500})).await;
    let expired = credit(
        app,
        &tenant,
        &patient,
        json!({"amount": 1000, "expiryDate": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let a = charge(app, &tenant, &patient, 400).await;
    let b = charge(app, &tenant, &patient, 600).await;

    // 700 over [A, B]: A takes its 400, B the other 300. Drawn: the older credit's 300,
    // then 400 of the newer; the expired credit is skipped.
    let (status, payment) = settle(app, &tenant, "amount=700", by_id(&[&a, &b])).await;
    assert_eq!(status, 200, "{payment}");
    assert_eq!(payment["amount"], 700);
    assert_eq!(payment["paymentMedium"], "PATIENT_CREDIT");
    assert_eq!(payment["status"], "SUCCEEDED");
    assert_eq!(payment["fee"], 0);
    assert_eq!(payment["patientId"], json!(patient));
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (0, "PAID".into())
    );
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (300, "OUTSTANDING".into())
    );
    assert_eq!(
        available(app, &tenant, &patient).await,
        [(newer.clone(), 100)]
    );
    // Gen-1 has no name for a patient-credit payment, so its detail lists none.
    let paid = charge_state(app, &tenant, &a).await;
    assert_eq!(paid["payments"], json!([]), "{paid}");
    let (_, chart) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}"),
        None,
    )
    .await;
    assert_eq!(chart["creditBalance"], 100);

    // Naming credits uses only those: the expired one gives nothing.
    let (status, error) = settle(
        app,
        &tenant,
        &format!("amount=100&credit_ids={expired}"),
        by_id(&[&b]),
    )
    .await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"]
            .as_str()
            .is_some_and(|d| d.contains("0 of patient credit")),
        "{error}"
    );
    let (status, _) = settle(
        app,
        &tenant,
        &format!("amount=100&credit_ids={expired}&credit_ids={newer}"),
        by_id(&[&b]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (200, "OUTSTANDING".into())
    );
    assert!(available(app, &tenant, &patient).await.is_empty());
    let _ = older;
    app.assert_ledger_ok().await;
}

async fn charges_without_an_id_are_created_and_paid_in_one_go(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 10_000})).await;
    let existing = charge(app, &tenant, &patient, 1500).await;
    // New: 2 × 2000 − 10 % (400) + 150 tax = 3750; − 250 charge discount = 3500.
    let new_charge = json!({
        "patientId": patient, "totalOutstanding": 3500, "total": 3500, "externalId": "pos-1",
        "discountAmount": 250,
        "items": [{"name": "Facial", "price": 2000, "quantity": 2, "discountPercentage": 10, "taxAmount": 150}]
    });
    let body = json!([new_charge, {"id": existing, "patientId": patient, "totalOutstanding": 1}]);
    let (status, payment) = settle(app, &tenant, "amount=4000", body).await;
    assert_eq!(status, 200, "{payment}");
    let (_, created) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/charge/get_by_external_id/pos-1",
        None,
    )
    .await;
    assert_eq!(created["total"], 3500);
    assert_eq!(created["status"], "PAID");
    // The existing charge's stored 1500 counts, not the body's 1: it takes the other 500.
    assert_eq!(
        outstanding_and_status(app, &tenant, &existing).await,
        (1000, "OUTSTANDING".into())
    );

    // A stated total that does not match the items is refused.
    let wrong = json!([{"patientId": patient, "totalOutstanding": 100, "total": 100,
                        "items": [{"price": 2000, "quantity": 1}]}]);
    let (status, error) = settle(app, &tenant, "amount=100", wrong).await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["detail"][0]["loc"], json!(["body", "total"]));
    app.assert_ledger_ok().await;
}

async fn refused_settlements_write_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other_tenant = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    let someone_else = self::patient(app, &tenant).await;
    let credit_id = credit(app, &tenant, &patient, json!({"amount": 500})).await;
    let a = charge(app, &tenant, &patient, 400).await;
    let b = charge(app, &tenant, &patient, 300).await;
    let theirs = charge(app, &tenant, &someone_else, 300).await;
    let foreign_patient = self::patient(app, &other_tenant).await;
    let foreign = charge(app, &other_tenant, &foreign_patient, 300).await;

    let cases: Vec<(String, Value, u16, &str)> = vec![
        ("amount=0".into(), by_id(&[&a]), 400, "greater than zero"),
        ("amount=-5".into(), by_id(&[&a]), 400, "greater than zero"),
        ("amount=701".into(), by_id(&[&a, &b]), 400, "700"),
        (
            "amount=600".into(),
            by_id(&[&a, &b]),
            400,
            "500 of patient credit",
        ),
        (
            "amount=100".into(),
            by_id(&[&a, &theirs]),
            422,
            "same patient",
        ),
        ("amount=100".into(), by_id(&[&foreign]), 404, "not found"),
        (
            "amount=100".into(),
            by_id(&["0190d7a4-0000-7000-8000-000000000000"]),
            404,
            "not found",
        ),
        (
            "amount=100&credit_ids=0190d7a4-0000-7000-8000-000000000000".into(),
            by_id(&[&a]),
            404,
            "not found",
        ),
        ("amount=ten".into(), by_id(&[&a]), 422, ""),
        (String::new(), by_id(&[&a]), 422, ""),
        ("amount=100".into(), json!([]), 422, ""),
        ("amount=100".into(), json!({"id": a}), 422, ""),
        (
            "amount=100".into(),
            json!([{"patientId": patient, "totalOutstanding": 100, "customAmount": 1, "total": 100}, {"id": a}]),
            422,
            "",
        ),
    ];
    for (query, body, expected, message) in cases {
        let (status, error) = settle(app, &tenant, &query, body.clone()).await;
        assert_eq!(status, expected, "{query} {body}: {error}");
        if !message.is_empty() {
            let text = error["detail"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| error["detail"].to_string());
            assert!(text.contains(message), "{query}: {error}");
        }
    }
    assert_eq!(
        outstanding_and_status(app, &tenant, &a).await,
        (400, "OUTSTANDING".into())
    );
    assert_eq!(
        outstanding_and_status(app, &tenant, &b).await,
        (300, "OUTSTANDING".into())
    );
    assert_eq!(available(app, &tenant, &patient).await, [(credit_id, 500)]);
    let (_, list) = decoda(app, &tenant, Method::GET, "/v1/charge/list?n=100", None).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(3),
        "no charge was created by a refused settlement"
    );
    app.assert_ledger_ok().await;
}

async fn concurrent_settlements_never_spend_more_than_the_credit(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    credit(app, &tenant, &patient, json!({"amount": 1500})).await;
    credit(app, &tenant, &patient, json!({"amount": 1000})).await;
    let mut charges = Vec::new();
    for _ in 0..50 {
        charges.push(charge(app, &tenant, &patient, 100).await);
    }
    // 50 settlements of 100 at once; the credit (2500) covers 25 of them.
    let attempts = charges.iter().map(|id| {
        let tenant = &tenant;
        async move { settle(app, tenant, "amount=100", by_id(&[id])).await }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let succeeded = outcomes.iter().filter(|(status, _)| *status == 200).count();
    let refused = outcomes.iter().filter(|(status, _)| *status == 400).count();
    assert_eq!((succeeded, refused), (25, 25), "{outcomes:?}");
    let mut paid = 0;
    for id in &charges {
        match outstanding_and_status(app, &tenant, id).await {
            (0, status) if status == "PAID" => paid += 1,
            (100, status) if status == "OUTSTANDING" => {}
            other => panic!("charge {id} is {other:?}"),
        }
    }
    assert_eq!(paid, 25, "what failed wrote nothing");
    assert!(available(app, &tenant, &patient).await.is_empty());
    app.assert_ledger_ok().await;
}
