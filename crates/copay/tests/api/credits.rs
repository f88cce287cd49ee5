//! Patient credit on Gen-2: grant, correct, withdraw, list, available, and a patient's
//! `creditBalance` (read and written), with the ledger check after each scenario.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, decoda};

crate::both_backends!(
    credits_are_granted_listed_corrected_and_withdrawn,
    expired_and_used_up_credits_are_not_available,
    writing_credit_balance_grants_or_draws_oldest_first,
    bad_credit_input_is_refused_and_writes_nothing,
    another_tenants_credits_are_not_found,
    add_credit_grants_like_the_credit_endpoint,
);

async fn patient(app: &TestApp, tenant: &Tenant) -> String {
    let (status, created) = decoda(
        app,
        tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"firstName": "Ana"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    created["id"].as_str().unwrap_or_default().to_string()
}

async fn grant(app: &TestApp, tenant: &Tenant, patient: &str, body: Value) -> Value {
    let (status, credit) = decoda(
        app,
        tenant,
        Method::POST,
        &format!("/user/patient/{patient}/credit"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 200, "{body}: {credit}");
    credit
}

async fn balance(app: &TestApp, tenant: &Tenant, patient: &str) -> Value {
    let (status, chart) = decoda(
        app,
        tenant,
        Method::GET,
        &format!("/user/patient/{patient}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{chart}");
    chart["creditBalance"].clone()
}

async fn available(app: &TestApp, tenant: &Tenant, patient: &str) -> Value {
    let (status, body) = decoda(
        app,
        tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit/available"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn credits_are_granted_listed_corrected_and_withdrawn(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    assert_eq!(balance(app, &tenant, &patient).await, 0);
    let first = grant(
        app,
        &tenant,
        &patient,
        json!({"amount": 5000, "comment": "prepaid package"}),
    )
    .await;
    assert_eq!(first["amount"], 5000);
    assert_eq!(first["amountRemaining"], 5000);
    assert_eq!(first["patientId"], json!(patient));
    assert_eq!(first["comment"], "prepaid package");
    let second = grant(
        app,
        &tenant,
        &patient,
        json!({"amount": 3000, "amountRemaining": 1000, "expiryDate": "2099-12-31"}),
    )
    .await;
    assert_eq!(second["amountRemaining"], 1000);
    assert_eq!(
        second["expiryDate"], "2100-01-01T00:00:00Z",
        "valid through the end of the date"
    );
    assert_eq!(balance(app, &tenant, &patient).await, 6000);

    let (status, page) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["total"], 2);
    assert_eq!(page["data"][0]["id"], first["id"]);
    let (_, one) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit?per_page=1&page=2"),
        None,
    )
    .await;
    assert_eq!(one["data"][0]["id"], second["id"]);
    assert_eq!(one["total"], 2);

    // Correct what remains: the difference moves on or off the patient's credit.
    let path = format!(
        "/user/patient/{patient}/credit/{}",
        second["id"].as_str().unwrap_or_default()
    );
    let (status, corrected) = decoda(
        app,
        &tenant,
        Method::PATCH,
        &path,
        Some(json!({"amountRemaining": 2500, "comment": "fixed"})),
    )
    .await;
    assert_eq!(status, 200, "{corrected}");
    assert_eq!(corrected["amountRemaining"], 2500);
    assert_eq!(corrected["comment"], "fixed");
    assert_eq!(balance(app, &tenant, &patient).await, 7500);
    let (status, error) = decoda(
        app,
        &tenant,
        Method::PATCH,
        &path,
        Some(json!({"amount": 2000})),
    )
    .await;
    assert_eq!(status, 422, "amount below what remains: {error}");
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "amountRemaining"])
    );

    // Only an unused credit can be withdrawn.
    let (status, error) = decoda(app, &tenant, Method::DELETE, &path, None).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().is_some_and(|d| d.contains("used")),
        "{error}"
    );
    let first_path = format!(
        "/user/patient/{patient}/credit/{}",
        first["id"].as_str().unwrap_or_default()
    );
    let (status, deleted) = decoda(app, &tenant, Method::DELETE, &first_path, None).await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["deleted"], true);
    assert_eq!(balance(app, &tenant, &patient).await, 2500);
    let (status, _) = decoda(app, &tenant, Method::DELETE, &first_path, None).await;
    assert_eq!(status, 404);
    app.assert_ledger_ok().await;
}

async fn expired_and_used_up_credits_are_not_available(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let expired = grant(
        app,
        &tenant,
        &patient,
        json!({"amount": 900, "expiryDate": "2020-01-01T00:00:00Z"}),
    )
    .await;
    let used = grant(
        app,
        &tenant,
        &patient,
        json!({"amount": 800, "amountRemaining": 0}),
    )
    .await;
    let live = grant(app, &tenant, &patient, json!({"amount": 700})).await;
    let later = grant(
        app,
        &tenant,
        &patient,
        json!({"amount": 600, "expiryDate": "2099-01-01"}),
    )
    .await;

    let body = available(app, &tenant, &patient).await;
    assert_eq!(body["totalAvailable"], 1300);
    assert_eq!(body["count"], 2);
    let ids: Vec<&Value> = body["credits"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| &c["creditId"])
        .collect();
    assert_eq!(ids, [&live["id"], &later["id"]], "oldest first");
    assert_eq!(body["credits"][0]["totalAmount"], 700);
    assert_eq!(balance(app, &tenant, &patient).await, 1300);

    let count = |page: &Value| page["total"].as_i64().unwrap_or(-1);
    let tenant = &tenant;
    let patient = &patient;
    let list = |query: &'static str| {
        let path = format!("/user/patient/{patient}/credit{query}");
        async move { decoda(app, tenant, Method::GET, &path, None).await.1 }
    };
    assert_eq!(
        count(&list("").await),
        3,
        "expired left out by default, used kept"
    );
    assert_eq!(count(&list("?include_expired=true").await), 4);
    assert_eq!(count(&list("?include_used=false").await), 2);
    let all = list("?include_expired=true&include_used=false").await;
    assert_eq!(count(&all), 3);
    assert!(
        all["data"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|c| c["id"] != used["id"])
    );
    assert!(
        all["data"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["id"] == expired["id"])
    );
    app.assert_ledger_ok().await;
}

async fn writing_credit_balance_grants_or_draws_oldest_first(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let (status, created) = decoda(
        app,
        &tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"firstName": "Bo", "creditBalance": 1000})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["creditBalance"], 1000);
    let patient = created["id"].as_str().unwrap_or_default().to_string();
    grant(app, &tenant, &patient, json!({"amount": 500})).await;
    assert_eq!(balance(app, &tenant, &patient).await, 1500);

    // Down to 300: 1200 drawn, the oldest credit (1000) first, then 200 of the next.
    let path = format!("/user/patient/{patient}");
    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &path,
        Some(json!({"creditBalance": 300})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["creditBalance"], 300);
    let (_, page) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit"),
        None,
    )
    .await;
    let remaining: Vec<i64> = page["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["amountRemaining"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(remaining, [0, 300]);
    assert!(
        page["data"][0]["comment"]
            .as_str()
            .is_some_and(|c| c.contains("creditBalance")),
        "{page}"
    );

    // Up to 800: a new credit of 500 explains the raise.
    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &path,
        Some(json!({"creditBalance": 800})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["creditBalance"], 800);
    let (_, page) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit"),
        None,
    )
    .await;
    assert_eq!(page["total"], 3);
    assert_eq!(page["data"][2]["amount"], 500);
    // The same balance again changes nothing.
    decoda(
        app,
        &tenant,
        Method::PUT,
        &path,
        Some(json!({"creditBalance": 800})),
    )
    .await;
    let (_, page) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/user/patient/{patient}/credit"),
        None,
    )
    .await;
    assert_eq!(page["total"], 3);
    app.assert_ledger_ok().await;
}

async fn bad_credit_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant).await;
    let other_patient = self::patient(app, &tenant).await;
    let path = format!("/user/patient/{patient}/credit");
    for (body, field) in [
        (json!({"amount": 0}), "amount"),
        (json!({"amount": -5}), "amount"),
        (json!({"amount": 10.5}), "amount"),
        (json!({}), "amount"),
        (
            json!({"amount": 100, "amountRemaining": 101}),
            "amountRemaining",
        ),
        (
            json!({"amount": 100, "amountRemaining": -1}),
            "amountRemaining",
        ),
        (json!({"amount": 100, "expiryDate": "soon"}), "expiryDate"),
        (
            json!({"amount": 100, "patientId": other_patient}),
            "patientId",
        ),
    ] {
        let (status, error) = decoda(app, &tenant, Method::POST, &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(
            error["detail"][0]["loc"],
            json!(["body", field]),
            "{body}: {error}"
        );
    }
    let (status, _) = decoda(
        app,
        &tenant,
        Method::PUT,
        &format!("/user/patient/{patient}"),
        Some(json!({"creditBalance": -1})),
    )
    .await;
    assert_eq!(status, 422);
    let (_, page) = decoda(app, &tenant, Method::GET, &path, None).await;
    assert_eq!(page["total"], 0);
    assert_eq!(balance(app, &tenant, &patient).await, 0);
    for (method, path) in [
        (
            Method::GET,
            "/user/patient/0190d7a4-0000-7000-8000-000000000000/credit".to_string(),
        ),
        (
            Method::GET,
            "/user/patient/not-a-uuid/credit/available".to_string(),
        ),
        (
            Method::DELETE,
            format!("{path}/0190d7a4-0000-7000-8000-000000000000"),
        ),
        (Method::PATCH, format!("{path}/not-a-uuid")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"comment": "x"}));
        let (status, error) = decoda(app, &tenant, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {error}");
    }
    for bad in ["?per_page=101", "?page=0", "?include_used=maybe"] {
        let (status, error) =
            decoda(app, &tenant, Method::GET, &format!("{path}{bad}"), None).await;
        assert_eq!(status, 422, "{bad}: {error}");
        assert_eq!(error["detail"][0]["loc"][0], "query");
    }
    app.assert_ledger_ok().await;
}

async fn another_tenants_credits_are_not_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = patient(app, &acme).await;
    let credit = grant(app, &acme, &patient, json!({"amount": 1000})).await;
    let credit_path = format!(
        "/user/patient/{patient}/credit/{}",
        credit["id"].as_str().unwrap_or_default()
    );
    for (method, path, body) in [
        (Method::GET, format!("/user/patient/{patient}/credit"), None),
        (
            Method::GET,
            format!("/user/patient/{patient}/credit/available"),
            None,
        ),
        (
            Method::POST,
            format!("/user/patient/{patient}/credit"),
            Some(json!({"amount": 5})),
        ),
        (
            Method::PATCH,
            credit_path.clone(),
            Some(json!({"amountRemaining": 0})),
        ),
        (Method::DELETE, credit_path.clone(), None),
    ] {
        let (status, error) = decoda(app, &other, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {error}");
    }
    // A credit id under another patient of the same tenant is not found either.
    let stranger = self::patient(app, &acme).await;
    let wrong = format!(
        "/user/patient/{stranger}/credit/{}",
        credit["id"].as_str().unwrap_or_default()
    );
    let (status, _) = decoda(app, &acme, Method::DELETE, &wrong, None).await;
    assert_eq!(status, 404);
    assert_eq!(balance(app, &acme, &patient).await, 1000);
    app.assert_ledger_ok().await;
}

async fn add_credit_grants_like_the_credit_endpoint(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = patient(app, &tenant).await;
    grant(app, &tenant, &patient, json!({"amount": 1000})).await;
    let (status, credit) = decoda(
        app,
        &tenant,
        Method::POST,
        &format!("/user/patient/{patient}/add-credit"),
        Some(json!({"amount": 2500, "comment": "gift card"})),
    )
    .await;
    assert_eq!(status, 200, "{credit}");
    assert_eq!(
        (
            &credit["amount"],
            &credit["amountRemaining"],
            &credit["comment"]
        ),
        (&json!(2500), &json!(2500), &json!("gift card"))
    );
    assert_eq!(balance(app, &tenant, &patient).await, 3500);
    assert_eq!(
        available(app, &tenant, &patient).await["totalAvailable"],
        3500
    );
    for (tenant, body, expected) in [
        (&tenant, json!({"amount": 0}), 422),
        (&other, json!({"amount": 100}), 404),
    ] {
        let (status, error) = decoda(
            app,
            tenant,
            Method::POST,
            &format!("/user/patient/{patient}/add-credit"),
            Some(body),
        )
        .await;
        assert_eq!(status, expected, "{error}");
    }
    assert_eq!(balance(app, &tenant, &patient).await, 3500);
    app.assert_ledger_ok().await;
}
