//! `Idempotency-Key`: one key, one effect.

use reqwest::Method;
use serde_json::json;

use crate::harness::{TestApp, call, json};

crate::both_backends!(
    same_key_same_body_replays_the_stored_response,
    same_key_different_body_is_refused,
    keys_are_per_tenant_and_failures_are_replayed_too,
    concurrent_requests_with_one_key_have_one_effect,
);

fn body(external_id: &str) -> serde_json::Value {
    json!({"charge_external_id": external_id, "patient_external_id": "p1", "status": "planned", "data": {}})
}

async fn same_key_same_body_replays_the_stored_response(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let send = || {
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .header("Idempotency-Key", "create-chg-1")
            .json(&body("chg-1"))
            .send()
    };
    let first = send().await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status, created) = json(first).await;
    assert_eq!(status, 200);
    let second = send().await.unwrap();
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.headers()["content-type"], "application/json");
    let (status, replayed) = json(second).await;
    assert_eq!(status, 200);
    assert_eq!(replayed, created);

    // Without the key, the same body is a second create: a 409 on the external id.
    let (status, _) = call(
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .json(&body("chg-1")),
    )
    .await;
    assert_eq!(status, 409);
}

async fn same_key_different_body_is_refused(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let send = |external_id: &'static str| {
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .header("Idempotency-Key", "k1")
            .json(&body(external_id))
            .send()
    };
    assert_eq!(send("chg-1").await.unwrap().status(), 200);
    let (status, error) = json(send("chg-2").await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(error["errorName"], "UnprocessableEntityError");
    // chg-2 was not created.
    let (status, _) = call(
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .json(&body("chg-2")),
    )
    .await;
    assert_eq!(status, 200);

    let (status, error) = call(
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .header("Idempotency-Key", "x".repeat(256))
            .json(&body("chg-3")),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error["errorName"], "BadRequestError");
}

async fn keys_are_per_tenant_and_failures_are_replayed_too(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    for tenant in [&acme, &beta] {
        let token = app.token(tenant).await;
        let (status, _) = call(
            app.candid(Method::POST, "/api/charge_captures/v1", &token)
                .header("Idempotency-Key", "shared-key")
                .json(&body("chg-1")),
        )
        .await;
        assert_eq!(status, 200, "tenant {}", tenant.slug);
    }
    // A 4xx is stored and replayed like a success.
    let token = app.token(&acme).await;
    let send = || {
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .header("Idempotency-Key", "bad-one")
            .json(&json!({"status": "nope"}))
            .send()
    };
    let (status, first) = json(send().await.unwrap()).await;
    assert_eq!(status, 422);
    let second = send().await.unwrap();
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let (status, replayed) = json(second).await;
    assert_eq!((status, replayed), (422, first));
}

async fn concurrent_requests_with_one_key_have_one_effect(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let request = app
            .candid(Method::POST, "/api/charge_captures/v1", &token)
            .header("Idempotency-Key", "race")
            .json(&body("chg-race"));
        tasks.push(tokio::spawn(async move {
            let (status, body) = call(request).await;
            (status, body["errorName"].as_str().map(String::from))
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    // Each request either created it, replayed the creation, or was told the first is
    // still running; none saw the ChargeExternalIdConflictError a second create would cause.
    for outcome in &outcomes {
        match outcome {
            (200, None) => {}
            (409, Some(name)) if name == "ConflictError" => {}
            other => panic!("unexpected outcome {other:?} in {outcomes:?}"),
        }
    }
    assert!(outcomes.iter().any(|(status, _)| *status == 200));
    let count: i64 = copay_store::on_db!(app.store(), pool => sqlx::query_scalar("SELECT COUNT(*) FROM charge_captures")
        .fetch_one(pool)
        .await)
    .unwrap();
    assert_eq!(count, 1);
}
