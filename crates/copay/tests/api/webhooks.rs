//! Events and webhooks: CRUD on both generations, target checks, and delivery to a real
//! HTTP receiver in the test process (signatures, retries, order, resend, crashes, two
//! replicas).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;

use copay::ServerConfig;

use crate::harness::{Backend, Tenant, TestApp, decoda};

/// Runs each scenario on both databases with webhook settings fit for tests: private
/// targets allowed (the receiver is on 127.0.0.1), short retries, a quick worker.
macro_rules! webhook_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = TestApp::start_with(Backend::Sqlite, super::fast).await;
                    super::$name(app).await;
                }
            )+
            use crate::harness::{Backend, TestApp};
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = TestApp::start_with(Backend::Postgres, super::fast).await;
                    super::$name(app).await;
                }
            )+
            use crate::harness::{Backend, TestApp};
        }
    };
}

webhook_tests!(
    crud_on_both_generations,
    refuses_private_and_odd_targets,
    other_tenants_see_nothing,
    retries_until_delivered_with_identical_signed_bytes,
    gives_up_after_max_attempts_then_sends_the_next_event,
    delivers_in_order_per_webhook,
    manual_resend_is_a_new_attempt,
    refused_requests_emit_nothing,
    nothing_is_lost_when_killed_mid_delivery,
    tenant_webhook_config_delivers_too,
    billing_changes_emit_their_events,
    candid_changes_emit_their_events,
    insurance_money_emits_its_events,
    every_subscribed_webhook_gets_each_event_however_many,
);

/// Scenarios that watch what the worker has not done yet: after its first round, at
/// start, it sleeps for the rest of the test.
mod idle_worker {
    use crate::harness::{Backend, TestApp};

    fn idle(config: &mut copay::ServerConfig) {
        super::fast(config);
        config.api.webhooks.tick = std::time::Duration::from_secs(3600);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn charge_bodies_render_in_the_charges_transaction_sqlite() {
        let app = TestApp::start_with(Backend::Sqlite, idle).await;
        super::charge_bodies_render_in_the_charges_transaction(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn charge_bodies_render_in_the_charges_transaction_postgres() {
        let app = TestApp::start_with(Backend::Postgres, idle).await;
        super::charge_bodies_render_in_the_charges_transaction(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_charge_shows_changes_made_while_it_was_prepared_sqlite() {
        let app = TestApp::start_with(Backend::Sqlite, idle).await;
        super::a_charge_shows_changes_made_while_it_was_prepared(app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_charge_shows_changes_made_while_it_was_prepared_postgres() {
        let app = TestApp::start_with(Backend::Postgres, idle).await;
        super::a_charge_shows_changes_made_while_it_was_prepared(app).await;
    }
}

fn fast(config: &mut ServerConfig) {
    config.claim_creation_quiet_period = Duration::ZERO;
    let webhooks = &mut config.api.webhooks;
    webhooks.allow_private_targets = true;
    webhooks.retry_base = Duration::from_millis(150);
    webhooks.tick = Duration::from_millis(50);
    webhooks.timeout = Duration::from_secs(2);
    webhooks.max_attempts = 4;
}

// ---------------------------------------------------------------------------------------
// The receiver

#[derive(Debug, Clone)]
struct Received {
    body: Vec<u8>,
    signature: String,
    status: u16,
    at: Instant,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("delivered body is JSON")
    }

    fn alert_id(&self) -> String {
        self.json()["alertId"]
            .as_str()
            .expect("alertId")
            .to_string()
    }
}

#[derive(Default)]
struct ReceiverState {
    /// Requests answered with `failure` before the receiver starts answering 200.
    fail_first: usize,
    failure: u16,
    /// Every request whose alert id is in here fails.
    always_fail: HashSet<String>,
    /// The first `hang_first` requests are held this long before an answer.
    hang_first: usize,
    hang: Duration,
    /// Each request takes this long.
    delay: Duration,
    seen: usize,
    received: Vec<Received>,
    in_flight: HashMap<String, usize>,
    concurrent_duplicates: usize,
}

#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    async fn start(configure: impl FnOnce(&mut ReceiverState)) -> Receiver {
        let mut state = ReceiverState {
            failure: 500,
            ..ReceiverState::default()
        };
        configure(&mut state);
        let state = Arc::new(Mutex::new(state));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let addr = listener.local_addr().expect("receiver addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, state }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().expect("receiver lock").received.clone()
    }

    fn delivered(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|request| (200..300).contains(&request.status))
            .collect()
    }

    /// Waits until `done` holds for what was received, or panics after `limit`.
    async fn wait_for(&self, limit: Duration, what: &str, done: impl Fn(&[Received]) -> bool) {
        let start = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return;
            }
            if start.elapsed() > limit {
                panic!(
                    "timed out waiting for {what}; received: {:#?}",
                    received
                        .iter()
                        .map(|r| (r.status, String::from_utf8_lossy(&r.body).to_string()))
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let alert = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|value| value["id"].as_str().map(str::to_string))
        .unwrap_or_default();
    let (wait, status) = {
        let mut state = state.lock().expect("receiver lock");
        let index = state.seen;
        state.seen += 1;
        let flights = state.in_flight.entry(alert.clone()).or_insert(0);
        *flights += 1;
        if *flights > 1 {
            state.concurrent_duplicates += 1;
        }
        let alert_id = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|value| value["alertId"].as_str().map(str::to_string))
            .unwrap_or_default();
        let status = if index < state.fail_first || state.always_fail.contains(&alert_id) {
            state.failure
        } else {
            200
        };
        let wait = if index < state.hang_first {
            state.hang
        } else {
            state.delay
        };
        (wait, status)
    };
    tokio::time::sleep(wait).await;
    let mut state = state.lock().expect("receiver lock");
    if let Some(flights) = state.in_flight.get_mut(&alert) {
        *flights -= 1;
    }
    state.received.push(Received {
        body: body.to_vec(),
        signature: headers
            .get("Decoda-Signature")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        status,
        at: Instant::now(),
    });
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

// ---------------------------------------------------------------------------------------
// Helpers

async fn create_webhook(
    app: &TestApp,
    tenant: &Tenant,
    prefix: &str,
    url: &str,
    subscriptions: &[&str],
) -> Value {
    let (status, body) = decoda(
        app,
        tenant,
        Method::POST,
        &format!("{prefix}/create"),
        Some(json!({"url": url, "subscriptions": subscriptions})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// A catalogue item "Visit" at `price` cents.
async fn create_item(app: &TestApp, tenant: &Tenant, price: i64) -> Value {
    let (status, item) = decoda(
        app,
        tenant,
        Method::POST,
        "/v1/item/create",
        Some(json!({"name": "Visit", "price": price})),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    item
}

async fn create_patient(app: &TestApp, tenant: &Tenant, first: &str) -> String {
    let (status, body) = decoda(
        app,
        tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"firstName": first, "lastName": "Doe"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().expect("patient id").to_string()
}

async fn deliveries(app: &TestApp, tenant: &Tenant, prefix: &str, webhook: &Value) -> Vec<Value> {
    let path = format!(
        "{prefix}/{}/delivery-attempts/list?limit=100&sort_direction=asc",
        webhook["id"].as_str().expect("id")
    );
    let (status, body) = decoda(app, tenant, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("list").clone()
}

/// The webhook's deliveries once `settled` holds of them: a receiver sees a request before
/// the worker records the attempt, so what is recorded is polled for (up to 10 s).
async fn deliveries_when(
    app: &TestApp,
    tenant: &Tenant,
    prefix: &str,
    webhook: &Value,
    settled: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let list = deliveries(app, tenant, prefix, webhook).await;
        if settled(&list) {
            return list;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the deliveries never settled: {list:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn all_delivered(list: &[Value]) -> bool {
    !list.is_empty() && list.iter().all(|d| d["deliveredDate"].as_str().is_some())
}

// ---------------------------------------------------------------------------------------
// Scenarios

async fn crud_on_both_generations(app: TestApp) {
    let tenant = app.tenant("acme").await;
    for prefix in ["/v1/webhook", "/webhook/decoda"] {
        let gen2 = prefix == "/webhook/decoda";
        let created = create_webhook(
            &app,
            &tenant,
            prefix,
            "https://hooks.example.test/a",
            &["PATIENT_CREATED", "CHARGE_CREATED"],
        )
        .await;
        let id = created["id"].as_str().expect("id").to_string();
        let secret = created["secret"].as_str().expect("secret");
        assert_eq!(secret.len(), 32, "{created}");
        assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(created["url"], "https://hooks.example.test/a");
        assert_eq!(
            created["subscriptions"],
            json!(["PATIENT_CREATED", "CHARGE_CREATED"])
        );
        assert_eq!(created["notificationEmail"], Value::Null);
        assert_eq!(created["updatedDate"], Value::Null);
        assert!(created["createdDate"].as_str().is_some());
        assert_eq!(
            created.get("isArchived").cloned(),
            gen2.then_some(json!(false))
        );

        let (status, got) = decoda(
            &app,
            &tenant,
            Method::GET,
            &format!("{prefix}/get/{id}"),
            None,
        )
        .await;
        assert_eq!((status, &got), (200, &created));

        let (status, updated) = decoda(
            &app,
            &tenant,
            Method::PUT,
            &format!("{prefix}/update/{id}"),
            Some(json!({"subscriptions": ["PAYMENT_SUCCEEDED"], "notificationEmail": "ops@example.test"})),
        )
        .await;
        assert_eq!(status, 200, "{updated}");
        assert_eq!(updated["subscriptions"], json!(["PAYMENT_SUCCEEDED"]));
        assert_eq!(updated["notificationEmail"], "ops@example.test");
        assert_eq!(updated["url"], "https://hooks.example.test/a");
        assert_eq!(updated["secret"], created["secret"]);
        assert!(updated["updatedDate"].as_str().is_some());

        let (status, bad) = decoda(
            &app,
            &tenant,
            Method::PUT,
            &format!("{prefix}/update/{id}"),
            Some(json!({"subscriptions": ["PATIENT_CREATED", "NOT_A_THING"]})),
        )
        .await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(bad["detail"][0]["loc"], json!(["body", "subscriptions", 1]));

        let (status, list) =
            decoda(&app, &tenant, Method::GET, &format!("{prefix}/list"), None).await;
        assert_eq!(status, 200);
        assert!(
            list.as_array()
                .expect("list")
                .iter()
                .any(|w| w["id"] == id.as_str())
        );

        let (status, deleted) = decoda(
            &app,
            &tenant,
            Method::DELETE,
            &format!("{prefix}/delete/{id}"),
            None,
        )
        .await;
        assert_eq!((status, deleted), (200, json!(true)));

        let (status, got) = decoda(
            &app,
            &tenant,
            Method::GET,
            &format!("{prefix}/get/{id}"),
            None,
        )
        .await;
        let (_, list) = decoda(&app, &tenant, Method::GET, &format!("{prefix}/list"), None).await;
        assert!(
            !list
                .as_array()
                .expect("list")
                .iter()
                .any(|w| w["id"] == id.as_str())
        );
        if gen2 {
            // Archived, still readable, listed only on request.
            assert_eq!(status, 200, "{got}");
            assert_eq!(got["isArchived"], true);
            let (_, all) = decoda(
                &app,
                &tenant,
                Method::GET,
                &format!("{prefix}/list?include_archived=true"),
                None,
            )
            .await;
            assert!(
                all.as_array()
                    .expect("list")
                    .iter()
                    .any(|w| w["id"] == id.as_str() && w["isArchived"] == true)
            );
        } else {
            assert_eq!(status, 404, "{got}");
            let (status, _) = decoda(
                &app,
                &tenant,
                Method::DELETE,
                &format!("{prefix}/delete/{id}"),
                None,
            )
            .await;
            assert_eq!(status, 404);
        }
    }
    let (status, missing) = decoda(
        &app,
        &tenant,
        Method::GET,
        "/webhook/decoda/get/not-a-uuid",
        None,
    )
    .await;
    assert_eq!(status, 404, "{missing}");
    let (status, missing) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/webhook/decoda/create",
        Some(json!({"url": "https://hooks.example.test/"})),
    )
    .await;
    assert_eq!(status, 422, "{missing}");
    app.stop().await;
}

async fn refuses_private_and_odd_targets(app: TestApp) {
    let tenant = app.tenant("acme").await;
    let strict = TestApp::start_with(app.backend, |config| {
        config.api.webhooks.allow_private_targets = false;
    })
    .await;
    let strict_tenant = strict.tenant("acme").await;
    for url in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/",
    ] {
        for prefix in ["/v1/webhook", "/webhook/decoda"] {
            let (status, body) = decoda(
                &strict,
                &strict_tenant,
                Method::POST,
                &format!("{prefix}/create"),
                Some(json!({"url": url, "subscriptions": ["PATIENT_CREATED"]})),
            )
            .await;
            assert_eq!(status, 422, "{url}: {body}");
            assert_eq!(body["detail"][0]["loc"], json!(["body", "url"]), "{body}");
        }
        // Allowed when the server says so (this test's main server does).
        let created =
            create_webhook(&app, &tenant, "/webhook/decoda", url, &["PATIENT_CREATED"]).await;
        assert_eq!(
            created["url"].as_str().map(|u| u.trim_end_matches('/')),
            Some(url.trim_end_matches('/'))
        );
    }
    for url in [
        "ftp://files.example.test/",
        "file:///etc/passwd",
        "hooks.example.test",
        "",
    ] {
        let (status, body) = decoda(
            &app,
            &tenant,
            Method::POST,
            "/webhook/decoda/create",
            Some(json!({"url": url, "subscriptions": []})),
        )
        .await;
        assert_eq!(status, 422, "{url}: {body}");
    }
    // A public address is fine; moving it somewhere private is refused like creating it.
    let public = create_webhook(
        &strict,
        &strict_tenant,
        "/webhook/decoda",
        "http://93.184.215.14/hook",
        &["PATIENT_CREATED"],
    )
    .await;
    let (status, body) = decoda(
        &strict,
        &strict_tenant,
        Method::PUT,
        &format!(
            "/webhook/decoda/update/{}",
            public["id"].as_str().expect("id")
        ),
        Some(json!({"url": "http://127.0.0.1/"})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = decoda(
        &strict,
        &strict_tenant,
        Method::PUT,
        "/tenant/webhook-config",
        Some(json!({"webhookUrl": "http://10.1.1.1/", "webhookEnabled": true})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    strict.stop().await;
    app.stop().await;
}

async fn other_tenants_see_nothing(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let owner = app.tenant("acme").await;
    let other = app.tenant("globex").await;
    let webhook = create_webhook(
        &app,
        &owner,
        "/webhook/decoda",
        &receiver.url(),
        &["PATIENT_CREATED"],
    )
    .await;
    let id = webhook["id"].as_str().expect("id");
    create_patient(&app, &owner, "Ann").await;
    // The other tenant's patient is not the owner's event.
    create_patient(&app, &other, "Bob").await;
    receiver
        .wait_for(Duration::from_secs(10), "one delivery", |r| !r.is_empty())
        .await;
    let delivery = &deliveries(&app, &owner, "/webhook/decoda", &webhook).await[0];
    let delivery_id = delivery["id"].as_str().expect("delivery id");
    for prefix in ["/v1/webhook", "/webhook/decoda"] {
        for (method, path, body) in [
            (Method::GET, format!("{prefix}/get/{id}"), None),
            (
                Method::PUT,
                format!("{prefix}/update/{id}"),
                Some(json!({"url": "https://x.example.test/"})),
            ),
            (Method::DELETE, format!("{prefix}/delete/{id}"), None),
            (
                Method::GET,
                format!("{prefix}/{id}/delivery-attempts/list"),
                None,
            ),
            (Method::GET, format!("{prefix}/events/{delivery_id}"), None),
            (
                Method::GET,
                format!("{prefix}/events/{delivery_id}/send"),
                None,
            ),
        ] {
            let (status, response) = decoda(&app, &other, method, &path, body).await;
            assert_eq!(status, 404, "{path}: {response}");
        }
        let (_, list) = decoda(&app, &other, Method::GET, &format!("{prefix}/list"), None).await;
        assert_eq!(list, json!([]));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "only the owner's patient is delivered"
    );
    let (status, still) = decoda(
        &app,
        &owner,
        Method::GET,
        &format!("/webhook/decoda/get/{id}"),
        None,
    )
    .await;
    assert_eq!((status, still["isArchived"].clone()), (200, json!(false)));
    app.stop().await;
}

async fn retries_until_delivered_with_identical_signed_bytes(app: TestApp) {
    let receiver = Receiver::start(|state| state.fail_first = 2).await;
    let tenant = app.tenant("acme").await;
    let webhook = create_webhook(
        &app,
        &tenant,
        "/webhook/decoda",
        &receiver.url(),
        &["PATIENT_CREATED"],
    )
    .await;
    let secret = webhook["secret"].as_str().expect("secret");
    let patient = create_patient(&app, &tenant, "Ann").await;
    receiver
        .wait_for(Duration::from_secs(15), "a delivered attempt", |r| {
            r.iter().any(|request| request.status == 200)
        })
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let received = receiver.received();
    assert_eq!(
        received.len(),
        3,
        "two failures, then one success, then nothing"
    );
    assert_eq!(
        received.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![500, 500, 200]
    );
    for request in &received {
        assert_eq!(
            request.body, received[0].body,
            "every attempt sends the same bytes"
        );
        assert_eq!(request.signature, hmac_hex(secret, &request.body));
    }
    // Backed off: each retry waited longer than the previous one (base 150 ms, ×3).
    let gap1 = received[1].at - received[0].at;
    let gap2 = received[2].at - received[1].at;
    assert!(gap1 >= Duration::from_millis(100), "{gap1:?}");
    assert!(gap2 > gap1, "{gap1:?} then {gap2:?}");

    let body = received[0].json();
    let text = String::from_utf8(received[0].body.clone()).expect("ASCII body");
    assert!(
        text.contains("\", \"") && text.contains("\": "),
        "Python separators: {text}"
    );
    assert_eq!(body["type"], "PATIENT_CREATED");
    assert_eq!(body["data"]["id"], patient.as_str());
    assert_eq!(body["data"]["firstName"], "Ann");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["alertId", "createdDate", "data", "id", "type"]);

    let list = deliveries_when(&app, &tenant, "/webhook/decoda", &webhook, all_delivered).await;
    assert_eq!(list.len(), 1);
    let delivery = &list[0];
    assert_eq!(delivery["id"], body["id"]);
    assert_eq!(delivery["alertId"], body["alertId"]);
    assert_eq!(delivery["createdDate"], body["createdDate"]);
    assert_eq!(delivery["data"], body["data"]);
    assert_eq!(delivery["type"], "PATIENT_CREATED");
    assert_eq!(delivery["lastDeliveryAttemptStatus"], 200);
    assert_eq!(delivery["lastDeliveryAttemptError"], Value::Null);
    assert!(delivery["deliveredDate"].as_str().is_some());
    let (status, one) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!(
            "/v1/webhook/events/{}",
            delivery["id"].as_str().expect("id")
        ),
        None,
    )
    .await;
    assert_eq!((status, &one), (200, delivery));
    let (_, undelivered) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!(
            "/webhook/decoda/{}/delivery-attempts/list?is_delivered=false",
            webhook["id"].as_str().expect("id")
        ),
        None,
    )
    .await;
    assert_eq!(undelivered, json!([]));

    let attempts = app
        .store()
        .delivery_attempts(delivery["id"].as_str().expect("id").parse().expect("uuid"))
        .await
        .expect("attempts");
    assert_eq!(attempts.len(), 3);
    assert_eq!(
        attempts.iter().map(|a| a.status_code).collect::<Vec<_>>(),
        vec![Some(500), Some(500), Some(200)]
    );
    assert_eq!(
        attempts[0].error.as_deref(),
        Some("receiver answered 500 Internal Server Error")
    );
    assert!(attempts.iter().all(|a| !a.manual && a.duration_ms >= 0));
    app.stop().await;
}

async fn gives_up_after_max_attempts_then_sends_the_next_event(app: TestApp) {
    let receiver = Receiver::start(|state| state.failure = 302).await;
    let tenant = app.tenant("acme").await;
    let webhook = create_webhook(
        &app,
        &tenant,
        "/webhook/decoda",
        &receiver.url(),
        &["PATIENT_CREATED"],
    )
    .await;
    // Every attempt at the first event is redirected (not followed: a failure).
    receiver.state.lock().expect("lock").fail_first = 4;
    create_patient(&app, &tenant, "Ann").await;
    create_patient(&app, &tenant, "Bob").await;
    receiver
        .wait_for(Duration::from_secs(20), "the second event delivered", |r| {
            r.iter().any(|request| request.status == 200)
        })
        .await;
    let received = receiver.received();
    assert_eq!(
        received.len(),
        5,
        "4 attempts at the first, then the second"
    );
    let first = received[0].alert_id();
    assert!(
        received[..4]
            .iter()
            .all(|r| r.alert_id() == first && r.status == 302)
    );
    assert_ne!(received[4].alert_id(), first);
    assert_eq!(received[4].json()["data"]["firstName"], "Bob");

    let list = deliveries(&app, &tenant, "/webhook/decoda", &webhook).await;
    let given_up = list
        .iter()
        .find(|d| d["alertId"] == first.as_str())
        .expect("first");
    assert_eq!(given_up["deliveredDate"], Value::Null);
    assert_eq!(given_up["lastDeliveryAttemptStatus"], 302);
    assert_eq!(
        given_up["lastDeliveryAttemptError"],
        "receiver answered 302 Found; redirects are not followed"
    );
    app.stop().await;
}

async fn delivers_in_order_per_webhook(app: TestApp) {
    let receiver = Receiver::start(|state| state.fail_first = 3).await;
    let tenant = app.tenant("acme").await;
    create_webhook(
        &app,
        &tenant,
        "/v1/webhook",
        &receiver.url(),
        &["PATIENT_CREATED", "PATIENT_UPDATED"],
    )
    .await;
    let mut expected = Vec::new();
    for name in ["P0", "P1", "P2", "P3", "P4"] {
        let id = create_patient(&app, &tenant, name).await;
        expected.push(("PATIENT_CREATED".to_string(), id));
    }
    let (status, _) = decoda(
        &app,
        &tenant,
        Method::PUT,
        &format!("/v1/patient/update/{}", expected[0].1),
        Some(json!({"lastName": "Roe"})),
    )
    .await;
    assert_eq!(status, 200);
    expected.push(("PATIENT_UPDATED".to_string(), expected[0].1.clone()));
    receiver
        .wait_for(Duration::from_secs(20), "six deliveries", |r| {
            r.iter().filter(|request| request.status == 200).count() >= 6
        })
        .await;
    let received = receiver.received();
    // No event went out before the one before it was delivered: alert ids (UUIDv7, in
    // event order) never go back, and each is delivered once.
    let alerts: Vec<String> = received.iter().map(Received::alert_id).collect();
    assert!(
        alerts.windows(2).all(|pair| pair[0] <= pair[1]),
        "{alerts:#?}"
    );
    assert_eq!(received.iter().filter(|r| r.status == 200).count(), 6);
    let order: Vec<(String, String)> = receiver
        .delivered()
        .iter()
        .map(|r| {
            let body = r.json();
            (
                body["type"].as_str().unwrap_or_default().to_string(),
                body["data"]["id"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(order, expected);
    // Gen-1 webhooks get Gen-1 shapes.
    let last = receiver.delivered().last().expect("one").json();
    assert_eq!(last["data"]["lastName"], "Roe");
    assert!(last["data"].get("optedOutOfSms").is_some(), "{last}");
    app.stop().await;
}

async fn manual_resend_is_a_new_attempt(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let webhook = create_webhook(
        &app,
        &tenant,
        "/v1/webhook",
        &receiver.url(),
        &["PATIENT_CREATED"],
    )
    .await;
    create_patient(&app, &tenant, "Ann").await;
    receiver
        .wait_for(Duration::from_secs(10), "one delivery", |r| r.len() == 1)
        .await;
    // The receiver has it before the worker records the attempt: wait for the record.
    let delivery =
        deliveries_when(&app, &tenant, "/v1/webhook", &webhook, all_delivered).await[0].clone();
    let id = delivery["id"].as_str().expect("id");
    let first_delivered = delivery["deliveredDate"].clone();
    let (status, resent) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!("/webhook/decoda/events/{id}/send?notify_failure=false"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{resent}");
    assert_eq!(resent["id"], id);
    assert_eq!(resent["lastDeliveryAttemptStatus"], 200);
    assert_eq!(
        resent["deliveredDate"], first_delivered,
        "delivered once, kept"
    );
    let received = receiver.received();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].body, received[1].body);
    assert_eq!(received[0].signature, received[1].signature);
    let attempts = app
        .store()
        .delivery_attempts(id.parse().expect("uuid"))
        .await
        .expect("attempts");
    assert_eq!(
        attempts
            .iter()
            .map(|a| (a.attempt, a.manual))
            .collect::<Vec<_>>(),
        vec![(1, false), (2, true)]
    );

    // A resend to a receiver that fails is recorded and reported, and is no retry.
    receiver.state.lock().expect("lock").fail_first = usize::MAX;
    let (status, failed) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!("/v1/webhook/events/{id}/send"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{failed}");
    assert_eq!(failed["lastDeliveryAttemptStatus"], 500);
    assert_eq!(failed["deliveredDate"], first_delivered);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 3);
    let (status, bad) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!("/v1/webhook/events/{id}/send?notify_failure=maybe"),
        None,
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    app.stop().await;
}

async fn refused_requests_emit_nothing(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let webhook = create_webhook(
        &app,
        &tenant,
        "/webhook/decoda",
        &receiver.url(),
        &["PATIENT_CREATED", "PATIENT_UPDATED"],
    )
    .await;
    let (status, _) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"firstName": "Ann", "externalId": "emr-1"})),
    )
    .await;
    assert_eq!(status, 200);
    // A duplicate external id is refused: its transaction rolls back with its event.
    let (status, body) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/user/patient/create",
        Some(json!({"firstName": "Ann again", "externalId": "emr-1"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = decoda(
        &app,
        &tenant,
        Method::PUT,
        "/user/patient/0190d7a4-0000-7000-8000-000000000000",
        Some(json!({"firstName": "Nobody"})),
    )
    .await;
    assert_eq!(status, 404);
    receiver
        .wait_for(Duration::from_secs(10), "one delivery", |r| !r.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1);
    assert_eq!(
        deliveries(&app, &tenant, "/webhook/decoda", &webhook)
            .await
            .len(),
        1
    );
    app.stop().await;
}

async fn nothing_is_lost_when_killed_mid_delivery(mut app: TestApp) {
    // The first request is held until long after the server is gone.
    let receiver = Receiver::start(|state| {
        state.hang_first = 1;
        state.hang = Duration::from_secs(4);
    })
    .await;
    let tenant = app.tenant("acme").await;
    let webhook = create_webhook(
        &app,
        &tenant,
        "/webhook/decoda",
        &receiver.url(),
        &["PATIENT_CREATED"],
    )
    .await;
    let mut patients = Vec::new();
    for name in ["P0", "P1", "P2", "P3", "P4"] {
        patients.push(create_patient(&app, &tenant, name).await);
    }
    // Wait until the first delivery is in flight, then kill the server.
    let state = receiver.state.clone();
    let start = Instant::now();
    while state.lock().expect("lock").seen == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no delivery started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.kill_and_restart(fast).await;
    receiver
        .wait_for(
            Duration::from_secs(30),
            "every event delivered after the restart",
            |r| {
                let delivered: HashSet<String> = r
                    .iter()
                    .filter(|request| request.status == 200)
                    .filter_map(|request| request.json()["data"]["id"].as_str().map(str::to_string))
                    .collect();
                patients.iter().all(|id| delivered.contains(id))
            },
        )
        .await;
    let list = deliveries_when(&app, &tenant, "/webhook/decoda", &webhook, |list| {
        list.len() == 5 && all_delivered(list)
    })
    .await;
    assert_eq!(list.len(), 5);
    app.stop().await;
}

async fn tenant_webhook_config_delivers_too(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let (status, config) = decoda(&app, &tenant, Method::GET, "/tenant/webhook-config", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        config,
        json!({"webhookUrl": null, "webhookEnabled": false, "webhookSubscriptions": [], "webhookSecret": null})
    );
    let (status, body) = decoda(
        &app,
        &tenant,
        Method::PUT,
        "/tenant/webhook-config",
        Some(json!({"webhookUrl": receiver.url(), "webhookEnabled": true, "webhookSubscriptions": ["PATIENT_CREATED"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["subDomain"], "acme");
    let (_, config) = decoda(&app, &tenant, Method::GET, "/tenant/webhook-config", None).await;
    let secret = config["webhookSecret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_eq!(config["webhookUrl"], receiver.url());
    // It is not one of the listed webhooks.
    let (_, list) = decoda(
        &app,
        &tenant,
        Method::GET,
        "/webhook/decoda/list?include_archived=true",
        None,
    )
    .await;
    assert_eq!(list, json!([]));
    create_patient(&app, &tenant, "Ann").await;
    receiver
        .wait_for(Duration::from_secs(10), "one delivery", |r| !r.is_empty())
        .await;
    let request = &receiver.received()[0];
    assert_eq!(request.signature, hmac_hex(&secret, &request.body));
    // Disabled: nothing more.
    let (status, _) = decoda(
        &app,
        &tenant,
        Method::PUT,
        "/tenant/webhook-config",
        Some(json!({"webhookUrl": receiver.url(), "webhookEnabled": false})),
    )
    .await;
    assert_eq!(status, 200);
    create_patient(&app, &tenant, "Bob").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 1);
    let (status, body) = decoda(
        &app,
        &tenant,
        Method::PUT,
        "/tenant/webhook-config",
        Some(json!({"webhookEnabled": true})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    app.stop().await;
}

/// Two copay servers on one PostgreSQL database: every event goes out exactly once
/// (the receiver always answers 200) and never twice at the same time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_deliver_each_event_once() {
    let app = TestApp::start_with(Backend::Postgres, fast).await;
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse().expect("addr"),
        app.database_url.clone(),
    );
    config.max_connections = 8;
    fast(&mut config);
    let second = copay::start(config).await.expect("second replica starts");
    let receiver = Receiver::start(|state| state.delay = Duration::from_millis(20)).await;
    let tenant = app.tenant("acme").await;
    for _ in 0..3 {
        create_webhook(
            &app,
            &tenant,
            "/webhook/decoda",
            &receiver.url(),
            &["PATIENT_CREATED"],
        )
        .await;
    }
    for index in 0..20 {
        create_patient(&app, &tenant, &format!("P{index}")).await;
    }
    receiver
        .wait_for(Duration::from_secs(60), "60 deliveries", |r| r.len() >= 60)
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received = receiver.received();
    let ids: HashSet<String> = received
        .iter()
        .map(|r| r.json()["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(received.len(), 60, "each delivery exactly once");
    assert_eq!(ids.len(), 60);
    assert_eq!(
        receiver.state.lock().expect("lock").concurrent_duplicates,
        0
    );
    second.shutdown().await.expect("second replica stops");
    app.stop().await;
}

async fn billing_changes_emit_their_events(app: TestApp) {
    use crate::settlement::{by_id, charge, patient, post};
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let kinds = [
        "CHARGE_CREATED",
        "ADJUSTMENT_CREATED",
        "ADJUSTMENT_SUCCEEDED",
        "PAYMENT_CREATED",
        "PAYMENT_SUCCEEDED",
        "CHARGE_PAYMENT_CREATED",
        "REFUND_CREATED",
        "REFUND_SUCCEEDED",
    ];
    let v1 = create_webhook(&app, &tenant, "/v1/webhook", &receiver.url(), &kinds).await;
    let v2 = create_webhook(&app, &tenant, "/webhook/decoda", &receiver.url(), &kinds).await;
    let patient = patient(&app, &tenant).await;
    let charge_id = charge(&app, &tenant, &patient, 5000).await;
    // Refused: an unknown patient writes no charge and no event.
    let (status, _) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/v1/charge/create",
        Some(json!({"patientId": "0190d7a4-0000-7000-8000-000000000000", "customAmount": 1, "totalOutstanding": 1})),
    )
    .await;
    assert_eq!(status, 404);
    let adjustment = post(
        &app,
        &tenant,
        "/v1/charge/adjust",
        json!({"chargeId": charge_id, "amount": -1000, "reason": "courtesy"}),
    )
    .await;
    let (status, payment) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/billing/payment-terminal/charge/create-cash-settled?payment_medium=CASH&amount=4000",
        Some(by_id(&[&charge_id])),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    let provider = post(
        &app,
        &tenant,
        "/v1/provider/create",
        json!({"firstName": "Rhea", "email": "rhea@example.invalid", "roles": ["PROVIDER"]}),
    )
    .await;
    let refund = post(
        &app,
        &tenant,
        "/billing/payment/refund",
        json!({"paymentId": payment["id"], "providerId": provider["id"], "amount": 1500, "reason": "OTHER"}),
    )
    .await;
    receiver
        .wait_for(Duration::from_secs(15), "16 deliveries", |r| r.len() >= 16)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let expected_ids = [
        charge_id.clone(),
        adjustment["id"].as_str().unwrap_or_default().to_string(),
        adjustment["id"].as_str().unwrap_or_default().to_string(),
        payment["id"].as_str().unwrap_or_default().to_string(),
        payment["id"].as_str().unwrap_or_default().to_string(),
        // `ChargePaymentUpdate` has no `id`: it names the payment and the charge.
        String::new(),
        refund["id"].as_str().unwrap_or_default().to_string(),
        refund["id"].as_str().unwrap_or_default().to_string(),
    ];
    for webhook in [&v1, &v2] {
        let mut list = deliveries(
            &app,
            &tenant,
            if webhook == &v1 {
                "/v1/webhook"
            } else {
                "/webhook/decoda"
            },
            webhook,
        )
        .await;
        list.sort_by(|a, b| a["alertId"].as_str().cmp(&b["alertId"].as_str()));
        let seen: Vec<(String, String)> = list
            .iter()
            .map(|d| {
                (
                    d["type"].as_str().unwrap_or_default().to_string(),
                    d["data"]["id"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, String)> = kinds
            .iter()
            .map(|kind| kind.to_string())
            .zip(expected_ids.iter().cloned())
            .collect();
        assert_eq!(seen, expected, "{list:#?}");
        assert!(list.iter().all(|d| d["deliveredDate"].as_str().is_some()));
        let by_type =
            |kind: &str| list.iter().find(|d| d["type"] == kind).expect(kind)["data"].clone();
        assert_eq!(by_type("CHARGE_CREATED")["patientId"], patient.as_str());
        assert_eq!(by_type("ADJUSTMENT_CREATED")["amount"], -1000);
        assert_eq!(
            by_type("ADJUSTMENT_CREATED")["adjustmentType"],
            "ADJUSTMENT"
        );
        assert_eq!(by_type("PAYMENT_SUCCEEDED")["amount"], 4000);
        assert_eq!(by_type("PAYMENT_SUCCEEDED")["status"], "SUCCEEDED");
        let share = by_type("CHARGE_PAYMENT_CREATED");
        assert_eq!(
            (
                share["paymentId"].clone(),
                share["chargeId"].as_str(),
                share["amount"].clone(),
                share["paymentMedium"].as_str()
            ),
            (
                payment["id"].clone(),
                Some(charge_id.as_str()),
                json!(4000),
                Some("CASH")
            )
        );
        assert_eq!(share["payment"]["id"], payment["id"]);
        assert_eq!(by_type("ADJUSTMENT_SUCCEEDED")["amount"], -1000);
        assert_eq!(by_type("REFUND_CREATED")["amount"], 1500);
        assert_eq!(by_type("REFUND_CREATED")["paymentId"], payment["id"]);
        // Each generation's shapes: Gen-1 charges have `customAmount`, Gen-2 ones `items`;
        // Gen-2 adjustments carry `locationId`, Gen-1 ones do not.
        assert_eq!(
            by_type("CHARGE_CREATED").get("customAmount").is_some(),
            webhook == &v1
        );
        assert_eq!(
            by_type("CHARGE_CREATED").get("items").is_some(),
            webhook == &v2
        );
        assert_eq!(
            by_type("ADJUSTMENT_CREATED").get("locationId").is_some(),
            webhook == &v2
        );
    }
    // The receiver got the same bodies the list shows.
    let charge_event = receiver
        .delivered()
        .into_iter()
        .find(|r| r.json()["type"] == "CHARGE_CREATED")
        .expect("charge event");
    assert_eq!(charge_event.json()["data"]["id"], charge_id.as_str());
    app.assert_ledger_ok().await;
    app.stop().await;
}

async fn candid_changes_emit_their_events(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let kinds = [
        "CHARGE_CAPTURE_CREATED",
        "CHARGE_CAPTURE_UPDATED",
        "CLAIM_CREATION_PROCESSED",
    ];
    create_webhook(&app, &tenant, "/webhook/decoda", &receiver.url(), &kinds).await;
    let token = app.token(&tenant).await;
    let body = json!({
        "charge_external_id": "chg-1",
        "patient_external_id": "emr-patient-7",
        "status": "billable",
        "data": {
            "date_of_service": "2024-05-10",
            "patient": {"first_name": "Test", "last_name": "Person", "date_of_birth": "1980-01-02", "gender": "female"},
            "billing_provider": {"npi": "1234567893", "organization_name": "Acme Clinic"},
            "diagnoses": [{"code_type": "ABK", "code": "J10.1", "name": "Influenza"}],
            "service_lines": [{"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 15000}]
        }
    });
    let (status, created) = crate::harness::call(
        app.candid(Method::POST, "/api/charge_captures/v1", &token)
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    receiver
        .wait_for(
            Duration::from_secs(15),
            "capture and claim creation events",
            |r| r.iter().filter(|request| request.status == 200).count() >= 2,
        )
        .await;
    let events: Vec<Value> = receiver.delivered().iter().map(Received::json).collect();
    assert_eq!(events[0]["type"], "CHARGE_CAPTURE_CREATED");
    assert_eq!(events[0]["data"]["id"], created["id"]);
    assert_eq!(events[0]["data"]["charge_external_id"], "chg-1");
    assert_eq!(events[1]["type"], "CLAIM_CREATION_PROCESSED");
    assert_eq!(
        events[1]["data"]["id"], created["claim_creation_id"],
        "{:#}",
        events[1]
    );
    app.stop().await;
}

async fn insurance_money_emits_its_events(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let kinds = ["INSURANCE_PAYMENT_CREATED", "INSURANCE_REFUND_CREATED"];
    create_webhook(&app, &tenant, "/webhook/decoda", &receiver.url(), &kinds).await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = crate::claim_money::claim_for(&app, &token, "pat-1", "c-1", &[10000]).await;
    let aetna = json!({"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"});
    let allocation = |cents: i64| json!([{"amount_cents": cents, "target": {"type": "service_line_by_id", "value": lines[0]}}]);
    let (status, payment) = crate::harness::call(
        app.candid(Method::POST, "/api/insurance-payments/v1", &token)
            .json(&json!({"payer_identifier": aetna, "amount_cents": 4000, "allocations": allocation(4000)})),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    let (status, refund) = crate::harness::call(
        app.candid(Method::POST, "/api/insurance-refunds/v1", &token)
            .json(&json!({"payer_identifier": aetna, "amount_cents": 500, "allocations": allocation(500)})),
    )
    .await;
    assert_eq!(status, 200, "{refund}");
    // A refused refund emits nothing.
    let (status, _) = crate::harness::call(
        app.candid(Method::POST, "/api/insurance-refunds/v1", &token)
            .json(&json!({"payer_identifier": aetna, "amount_cents": 9000, "allocations": allocation(9000)})),
    )
    .await;
    assert_eq!(status, 422);
    receiver
        .wait_for(Duration::from_secs(15), "insurance events", |r| {
            r.iter().filter(|request| request.status == 200).count() >= 2
        })
        .await;
    let events: Vec<Value> = receiver.delivered().iter().map(Received::json).collect();
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["type"], "INSURANCE_PAYMENT_CREATED");
    assert_eq!(events[0]["data"], payment);
    assert_eq!(events[1]["type"], "INSURANCE_REFUND_CREATED");
    assert_eq!(events[1]["data"], refund);
    app.stop().await;
}

/// Up to 16 active webhooks the outbox picks the subscribers inside the business
/// transaction's one statement; above that it reads them first. Either way each active
/// webhook subscribed to the event gets exactly one delivery, others none.
async fn every_subscribed_webhook_gets_each_event_however_many(app: TestApp) {
    let receiver = Receiver::start(|_| {}).await;
    let tenant = app.tenant("acme").await;
    let prefix = "/webhook/decoda";
    let mut subscribed = Vec::new();
    for _ in 0..18 {
        subscribed.push(
            create_webhook(&app, &tenant, prefix, &receiver.url(), &["PATIENT_CREATED"]).await,
        );
    }
    let other = create_webhook(&app, &tenant, prefix, &receiver.url(), &["PATIENT_UPDATED"]).await;
    let archived = subscribed.pop().expect("a webhook");
    let (status, body) = decoda(
        &app,
        &tenant,
        Method::DELETE,
        &format!("{prefix}/delete/{}", archived["id"].as_str().expect("id")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // 18 active webhooks: more than fit the one-statement path.
    create_patient(&app, &tenant, "First").await;
    for webhook in &subscribed {
        let list = deliveries_when(&app, &tenant, prefix, webhook, all_delivered).await;
        assert_eq!(list.len(), 1, "{list:#?}");
    }
    // 14 active webhooks (13 subscribed): the one-statement path.
    for webhook in subscribed.drain(..4) {
        let path = format!("{prefix}/delete/{}", webhook["id"].as_str().expect("id"));
        let (status, body) = decoda(&app, &tenant, Method::DELETE, &path, None).await;
        assert_eq!(status, 200, "{body}");
    }
    create_patient(&app, &tenant, "Second").await;
    for webhook in &subscribed {
        let list = deliveries_when(&app, &tenant, prefix, webhook, |list| {
            list.len() >= 2 && all_delivered(list)
        })
        .await;
        assert_eq!(list.len(), 2, "{list:#?}");
    }
    assert!(deliveries(&app, &tenant, prefix, &other).await.is_empty());
    assert!(
        deliveries(&app, &tenant, prefix, &archived)
            .await
            .is_empty()
    );
    receiver
        .wait_for(Duration::from_secs(10), "31 deliveries", |r| {
            r.iter().filter(|request| request.status == 200).count() >= 17 + 13
        })
        .await;
    assert_eq!(receiver.delivered().len(), 17 + 13);
    app.stop().await;
}

/// The subjects of the deliveries still without a body, in event order.
async fn unrendered_subjects(app: &TestApp) -> Vec<String> {
    app.store()
        .unrendered_deliveries(100)
        .await
        .expect("unrendered deliveries")
        .into_iter()
        .map(|delivery| delivery.subject_id)
        .collect()
}

/// A charge create renders its `CHARGE_CREATED` bodies in its own transaction once the
/// tenant's webhooks are known to subscribe, and they are the bodies the worker renders
/// from a read.
async fn charge_bodies_render_in_the_charges_transaction(app: TestApp) {
    let tenant = app.tenant("acme").await;
    // Never sent: the worker sleeps through the test.
    let url = "http://127.0.0.1:9/hook";
    let v1 = create_webhook(&app, &tenant, "/v1/webhook", url, &["CHARGE_CREATED"]).await;
    let v2 = create_webhook(&app, &tenant, "/webhook/decoda", url, &["CHARGE_CREATED"]).await;
    let patient = create_patient(&app, &tenant, "Ada").await;
    let item = create_item(&app, &tenant, 12500).await;
    // 2 × 12500 + 500 = 25500, less 10 % = 22950; 20000 owed, 2950 settled before.
    let body = json!({"patientId": patient, "totalOutstanding": 20000, "customAmount": 500,
        "items": [{"itemId": item["id"], "quantity": 2}], "discountPercentage": 10,
        "description": "Visit", "meta": {"visit": 7}});
    let create = || async {
        let (status, created) = decoda(
            &app,
            &tenant,
            Method::POST,
            "/v1/charge/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        created["id"].as_str().expect("charge id").to_string()
    };
    // The first charge's webhooks were not known: the worker will render its bodies.
    let first = create().await;
    assert_eq!(
        unrendered_subjects(&app).await,
        [first.clone(), first.clone()]
    );
    // The second's were rendered in its transaction.
    let second = create().await;
    assert_eq!(
        unrendered_subjects(&app).await,
        [first.clone(), first.clone()]
    );

    // Listing renders the first charge's bodies from a read; the second's read the same
    // but for the charge's own id and dates.
    for (prefix, webhook) in [("/v1/webhook", &v1), ("/webhook/decoda", &v2)] {
        let list = deliveries(&app, &tenant, prefix, webhook).await;
        let data_of = |charge: &str| {
            let delivery = list
                .iter()
                .find(|d| d["data"]["id"] == charge)
                .unwrap_or_else(|| panic!("{prefix}: no delivery of {charge}: {list:#?}"));
            assert_eq!(delivery["type"], "CHARGE_CREATED");
            let mut data = delivery["data"].clone();
            if let Some(fields) = data.as_object_mut() {
                fields.remove("createdDate");
            }
            serde_json::to_string(&data)
                .expect("json")
                .replace(charge, "CHARGE")
        };
        let (read, written) = (data_of(&first), data_of(&second));
        assert_eq!(read, written, "{prefix}");
        assert!(read.contains("\"totalOutstanding\":20000"), "{read}");
        assert!(read.contains("\"status\":\"OUTSTANDING\""), "{read}");
    }
    assert!(unrendered_subjects(&app).await.is_empty());

    // Archived webhooks get nothing; the one left still gets its body in the transaction.
    let (status, archived) = decoda(
        &app,
        &tenant,
        Method::DELETE,
        &format!("/webhook/decoda/delete/{}", v2["id"].as_str().expect("id")),
        None,
    )
    .await;
    assert_eq!(status, 200, "{archived}");
    let third = create().await;
    assert!(unrendered_subjects(&app).await.is_empty());
    let v1_list = deliveries(&app, &tenant, "/v1/webhook", &v1).await;
    assert!(v1_list.iter().any(|d| d["data"]["id"] == third.as_str()));
    assert_eq!(
        deliveries(&app, &tenant, "/webhook/decoda", &v2)
            .await
            .len(),
        2
    );
    app.stop().await;
}

/// A charge is worked out (and its webhook body rendered) before its transaction. When
/// the patient or a catalogue item it names changes in between, the transaction sees it:
/// the charge is priced at the new price, shows the patient as they now are, and so does
/// the body written with it.
async fn a_charge_shows_changes_made_while_it_was_prepared(app: TestApp) {
    use copay_domain::pricing::Percent;
    use copay_service::charges::{self, LineItem, NewCharge, NewChargeLine};

    let tenant = app.tenant("acme").await;
    let url = "http://127.0.0.1:9/hook";
    let webhook = create_webhook(&app, &tenant, "/webhook/decoda", url, &["CHARGE_CREATED"]).await;
    let patient = create_patient(&app, &tenant, "Ada").await;
    let item = create_item(&app, &tenant, 12500).await;
    // A first charge teaches the server that this tenant's webhooks take CHARGE_CREATED;
    // its own body is left to the (sleeping) worker.
    let (status, first) = decoda(
        &app,
        &tenant,
        Method::POST,
        "/v1/charge/create",
        Some(json!({"patientId": patient, "customAmount": 100, "totalOutstanding": 100})),
    )
    .await;
    assert_eq!(status, 200, "{first}");

    let ctx = copay_service::TenantCtx {
        tenant_id: tenant.tenant_id.parse().expect("tenant id"),
        slug: tenant.slug.clone(),
        credential_id: uuid::Uuid::nil(),
    };
    let item_id: uuid::Uuid = item["id"].as_str().expect("item id").parse().expect("uuid");
    let new = NewCharge {
        patient_id: patient.parse().expect("patient id"),
        total_outstanding: 25000,
        custom_amount: 0,
        lines: vec![NewChargeLine::plain(LineItem::Existing(item_id), 2)],
        discount_amount: 0,
        discount_percentage: Percent::ZERO,
        status: None,
        description: None,
        external_id: None,
        external_created_date: None,
        rule_set_id: None,
        meta: None,
        attributes: serde_json::Map::new(),
        stated_total: None,
        tips: Vec::new(),
    };
    let prepared = charges::prepare(app.store(), &ctx, new)
        .await
        .expect("prepared");
    // Meanwhile the patient is renamed and the item's price goes up.
    let (status, renamed) = decoda(
        &app,
        &tenant,
        Method::PUT,
        &format!("/v1/patient/update/{patient}"),
        Some(json!({"firstName": "Eve"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    let (status, repriced) = decoda(
        &app,
        &tenant,
        Method::PUT,
        &format!("/v1/item/update/{item_id}"),
        Some(json!({"price": 15000})),
    )
    .await;
    assert_eq!(status, 200, "{repriced}");

    let charge = charges::create_prepared(app.store(), &ctx, prepared)
        .await
        .expect("created");
    // 2 × 15000, of which 25000 owed and 5000 settled before.
    assert_eq!(charge.total, 30000);
    assert_eq!(charge.total_outstanding, 25000);
    assert_eq!(charge.patient.first_name.as_deref(), Some("Eve"));
    let id = charge.id.to_string();
    let (status, read) = decoda(
        &app,
        &tenant,
        Method::GET,
        &format!("/v1/charge/get/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["total"], 30000, "{read}");
    assert_eq!(read["totalOutstanding"], 25000, "{read}");
    assert_eq!(read["patient"]["firstName"], "Eve", "{read}");

    // Its body was written in its transaction (only the first charge's waits for the
    // worker), and it shows the charge as written.
    let first_id = first["id"].as_str().expect("first id").to_string();
    assert_eq!(unrendered_subjects(&app).await, [first_id]);
    let list = deliveries(&app, &tenant, "/webhook/decoda", &webhook).await;
    let delivery = list
        .iter()
        .find(|d| d["data"]["id"] == id.as_str())
        .unwrap_or_else(|| panic!("no delivery of {id}: {list:#?}"));
    let data = serde_json::to_string(&delivery["data"]).expect("json");
    assert!(data.contains("30000") && data.contains("25000"), "{data}");
    assert!(
        data.contains("\"Eve\"") && !data.contains("\"Ada\""),
        "{data}"
    );
    assert!(app.verify().await.violations.is_empty());
    app.stop().await;
}
