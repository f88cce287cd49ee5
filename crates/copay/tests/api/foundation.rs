//! Auth in both dialects, error envelopes, limits and the operations endpoints.

use reqwest::Method;
use serde_json::json;

use crate::harness::{TestApp, call, json};

crate::both_backends!(
    token_endpoint_accepts_json_and_form_credentials,
    token_endpoint_refuses_bad_credentials_in_candid_envelopes,
    decoda_headers_authenticate_and_scope_to_the_tenant,
    decoda_auth_failures_are_401_or_403_with_detail,
    unknown_routes_and_methods_answer_in_the_dialect_envelope,
    oversized_and_malformed_bodies_are_4xx_not_5xx,
    operations_endpoints_report_health_metrics_and_docs,
    request_ids_are_generated_or_propagated,
    copay_namespace_accepts_either_dialects_credentials,
    expired_tokens_are_refused_even_after_use,
);

async fn token_endpoint_accepts_json_and_form_credentials(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let (status, body) = call(
        app.http
            .post(app.url("/api/auth/v2/token"))
            .json(&json!({"client_id": tenant.client_id, "client_secret": tenant.client_secret})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 5 * 60 * 60);
    assert!(body["access_token"].as_str().unwrap().len() > 20);

    let (status, body) = call(app.http.post(app.url("/api/auth/v2/token")).form(&[
        ("client_id", &tenant.client_id),
        ("client_secret", &tenant.client_secret),
    ]))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
}

async fn token_endpoint_refuses_bad_credentials_in_candid_envelopes(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let post = |body: serde_json::Value| {
        app.http
            .post(app.url("/api/auth/v2/token"))
            .json(&body)
            .send()
    };

    let (status, body) = json(
        post(json!({"client_id": tenant.client_id, "client_secret": "cps_wrong"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"errorName": "UnauthorizedError", "content": {"message": "invalid credentials"}})
    );

    let (status, body) = json(
        post(json!({"client_id": "cpc_unknown", "client_secret": tenant.client_secret}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["errorName"], "UnauthorizedError");

    let (status, body) = json(post(json!({"client_id": tenant.client_id})).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(
        body,
        json!({"errorName": "HttpRequestValidationsError",
               "content": [{"fieldName": "client_secret", "humanReadableMessage": "Field required"}]})
    );

    let (status, body) = json(
        post(json!({"client_id": 42, "client_secret": "x"}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["content"][0]["fieldName"], "client_id");

    let (status, body) = call(
        app.http
            .post(app.url("/api/auth/v2/token"))
            .header("content-type", "text/xml")
            .body("<creds/>"),
    )
    .await;
    assert_eq!(status, 415);
    assert_eq!(body["errorName"], "InvalidContentTypeError");
    assert!(body["content"]["message"].is_string());
}

async fn decoda_headers_authenticate_and_scope_to_the_tenant(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    for tenant in [&acme, &beta] {
        let (status, body) = call(app.decoda(Method::GET, "/tenant/public", tenant)).await;
        assert_eq!(status, 200);
        assert_eq!(body["subDomain"], tenant.slug.as_str());
        assert_eq!(body["name"], tenant.slug.as_str());
        for required in [
            "homePage",
            "phoneNumber",
            "logoUrl",
            "manualInvoiceText",
            "passFeeToPatient",
        ] {
            assert!(
                body.get(required).is_some(),
                "{required} missing from {body}"
            );
        }
    }
    // The TENANT header is matched case-insensitively, as subdomains are.
    let (status, _) = call(
        app.http
            .get(app.url("/tenant/public"))
            .header("API-KEY", &acme.api_key)
            .header("TENANT", "ACME"),
    )
    .await;
    assert_eq!(status, 200);
}

async fn decoda_auth_failures_are_401_or_403_with_detail(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let get = |key: Option<&str>, tenant: Option<&str>| {
        let mut request = app.http.get(app.url("/tenant/public"));
        if let Some(key) = key {
            request = request.header("API-KEY", key);
        }
        if let Some(tenant) = tenant {
            request = request.header("TENANT", tenant);
        }
        request.send()
    };
    let cases = [
        (None, Some("acme"), 401),
        (Some("cpk_not-a-key"), Some("acme"), 401),
        (Some(acme.api_key.as_str()), None, 401),
        // A valid key of acme naming beta: authenticated, but not allowed there.
        (Some(acme.api_key.as_str()), Some("beta"), 403),
        (Some(beta.api_key.as_str()), Some("acme"), 403),
        (Some(acme.api_key.as_str()), Some("nobody"), 403),
    ];
    for (key, tenant, expected) in cases {
        let (status, body) = json(get(key, tenant).await.unwrap()).await;
        assert_eq!(status, expected, "key={key:?} tenant={tenant:?}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    // A bearer token is not a Decoda credential.
    let token = app.token(&acme).await;
    let (status, _) = call(app.http.get(app.url("/tenant/public")).bearer_auth(token)).await;
    assert_eq!(status, 401);
}

async fn unknown_routes_and_methods_answer_in_the_dialect_envelope(app: &TestApp) {
    let (status, body) = call(app.http.get(app.url("/api/nope/v1"))).await;
    assert_eq!(status, 404);
    assert_eq!(body["errorName"], "NotFoundError");
    assert!(body["content"]["message"].is_string());

    let (status, body) = call(app.http.get(app.url("/billing/nope"))).await;
    assert_eq!(status, 404);
    assert_eq!(body, json!({"detail": "no such endpoint"}));

    let response = app
        .http
        .delete(app.url("/api/auth/v2/token"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("allow").is_some());
    let (status, body) = json(response).await;
    assert_eq!(status, 405);
    assert_eq!(body["errorName"], "MethodNotAllowedError");
}

async fn oversized_and_malformed_bodies_are_4xx_not_5xx(app: &TestApp) {
    // A small limit, so the whole oversized body fits the socket buffers and the client
    // reads the 413 instead of racing the server's early close.
    let small =
        TestApp::start_with(app.backend, |config| config.api.max_body_bytes = 16 * 1024).await;
    let big = "x".repeat(40 * 1024);
    let (status, body) = call(
        small
            .http
            .post(small.url("/api/auth/v2/token"))
            .header("content-type", "application/json")
            .body(format!(
                "{{\"client_id\":\"{big}\",\"client_secret\":\"y\"}}"
            )),
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(body["errorName"], "PayloadTooLargeError");
    small.stop().await;

    let (status, body) = call(
        app.http
            .post(app.url("/api/auth/v2/token"))
            .header("content-type", "application/json")
            .body("{\"client_id\": "),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errorName"], "HttpRequestValidationsError");

    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let (status, _) = call(
        app.http
            .post(app.url("/api/auth/v2/token"))
            .header("content-type", "application/json")
            .body(deep),
    )
    .await;
    assert_eq!(status, 422);
}

async fn operations_endpoints_report_health_metrics_and_docs(app: &TestApp) {
    let (status, body) = call(app.http.get(app.url("/healthz"))).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    let (status, body) = call(app.http.get(app.url("/readyz"))).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));

    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(
            "copay_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains("copay_http_request_duration_seconds_bucket"),
        "{metrics}"
    );

    let (status, spec) = call(app.http.get(app.url("/openapi.json"))).await;
    assert_eq!(status, 200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/auth/v2/token",
        "/tenant/public",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            spec["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(spec["components"]["securitySchemes"]["candid_bearer"].is_object());

    let docs = app.http.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), 200);
    assert!(
        docs.text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("swagger")
    );
}

async fn request_ids_are_generated_or_propagated(app: &TestApp) {
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(uuid::Uuid::parse_str(&generated).is_ok());
    let response = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-123");
}

async fn copay_namespace_accepts_either_dialects_credentials(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let token = app.token(&acme).await;
    let (status, by_token) = call(
        app.http
            .get(app.url("/copay/v1/whoami"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_token["tenant"], "acme");
    assert_eq!(by_token["tenant_id"], acme.tenant_id.as_str());
    assert_eq!(by_token["authenticated_with"], "bearer");

    let (status, by_key) = call(app.decoda(Method::GET, "/copay/v1/whoami", &acme)).await;
    assert_eq!(status, 200);
    assert_eq!(by_key["tenant_id"], acme.tenant_id.as_str());
    assert_eq!(by_key["authenticated_with"], "api_key");
    assert_eq!(by_key["credential_id"], by_token["credential_id"]);

    let (status, body) = call(app.http.get(app.url("/copay/v1/whoami"))).await;
    assert_eq!(status, 401);
    assert!(body["detail"].is_string());
    let (status, _) = call(
        app.http
            .get(app.url("/copay/v1/whoami"))
            .bearer_auth("nope"),
    )
    .await;
    assert_eq!(status, 401);
}

async fn expired_tokens_are_refused_even_after_use(app: &TestApp) {
    let short = TestApp::start_with(app.backend, |config| {
        config.token_ttl = std::time::Duration::from_secs(1)
    })
    .await;
    let tenant = short.tenant("acme").await;
    let token = short.token(&tenant).await;
    let whoami = || {
        short
            .http
            .get(short.url("/copay/v1/whoami"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(whoami().await.unwrap().status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (status, body) = json(whoami().await.unwrap()).await;
    assert_eq!(status, 401, "{body}");
    let (status, body) = call(
        short
            .http
            .get(short.url("/api/charge_captures/v1/00000000-0000-0000-0000-000000000000"))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["content"]["message"], "the bearer token has expired");
    short.stop().await;
}
