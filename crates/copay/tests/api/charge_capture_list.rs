//! Listing charge captures: filters, sort orders, keyset paging, bad parameters, tenants.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{TestApp, call};

crate::both_backends!(
    filters_combine_and_item_count_counts_every_match,
    pages_neither_skip_nor_repeat_while_captures_are_inserted,
    date_of_service_order_uses_the_derived_date,
    invalid_parameters_are_422_naming_the_parameter,
    another_tenants_captures_never_appear,
    item_count_follows_status_changes_and_ignores_failed_writes,
);

const CAPTURES: &str = "/api/charge_captures/v1";

/// A capture for `patient` on `date` (encounter-level), with one service line.
fn capture(external_id: &str, patient: &str, status: &str, date: Option<&str>) -> Value {
    let mut data = json!({
        "diagnoses": [{"code_type": "ABK", "code": "J10.1"}],
        "service_lines": [{"procedure_code": "99213", "quantity": "1", "units": "UN", "charge_amount_cents": 10000}]
    });
    if let Some(date) = date {
        data["date_of_service"] = json!(date);
    }
    json!({
        "charge_external_id": external_id,
        "patient_external_id": patient,
        "status": status,
        "data": data,
    })
}

async fn create(app: &TestApp, token: &str, body: Value) -> Value {
    let (status, created) = call(app.candid(Method::POST, CAPTURES, token).json(&body)).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = call(app.candid(Method::GET, &format!("{CAPTURES}?{query}"), token)).await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn external_ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|item| {
                    item["charge_external_id"]
                        .as_str()
                        .unwrap_or("")
                        .to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn filters_combine_and_item_count_counts_every_match(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    create(
        app,
        &token,
        capture("a1", "pat-a", "billable", Some("2024-05-01")),
    )
    .await;
    create(
        app,
        &token,
        capture("a2", "pat-a", "planned", Some("2024-05-02")),
    )
    .await;
    create(
        app,
        &token,
        capture("a3", "pat-a", "billable", Some("2024-06-01")),
    )
    .await;
    create(
        app,
        &token,
        capture("b1", "pat-b", "billable", Some("2024-05-01")),
    )
    .await;
    create(app, &token, capture("c1", "pat-c", "billable", None)).await;

    let everything = list(app, &token, "").await;
    assert_eq!(everything["item_count"], 5);
    // Newest first by default.
    assert_eq!(external_ids(&everything), ["c1", "b1", "a3", "a2", "a1"]);
    assert_eq!(everything["next_page_token"], Value::Null);
    assert_eq!(everything["prev_page_token"], Value::Null);

    let cases: &[(&str, &[&str])] = &[
        ("patient_external_id=pat-a", &["a3", "a2", "a1"]),
        ("patient_external_id=pat-a&status=billable", &["a3", "a1"]),
        (
            "status=billable&date_of_service_min=2024-05-01&date_of_service_max=2024-05-31",
            &["b1", "a1"],
        ),
        (
            "patient_external_id=pat-a&date_of_service_min=2024-05-02",
            &["a3", "a2"],
        ),
        // A capture without a date of service matches no date bound.
        ("date_of_service_max=2030-01-01", &["b1", "a3", "a2", "a1"]),
        ("charge_external_id=b1", &["b1"]),
        ("charge_external_id=b1&patient_external_id=pat-a", &[]),
        ("status=aborted", &[]),
        // Billable captures are bundled into claim creations at once; the planned one is not.
        (
            "exclude_charges_linked_to_claims=true&patient_external_id=pat-a",
            &["a2"],
        ),
        (
            "claim_creation_ids=0190d7a4-0000-7000-8000-000000000000",
            &[],
        ),
        (
            "sort_direction=asc&patient_external_id=pat-a",
            &["a1", "a2", "a3"],
        ),
    ];
    for (query, expected) in cases {
        let page = list(app, &token, query).await;
        assert_eq!(external_ids(&page), *expected, "{query}");
        assert_eq!(page["item_count"], expected.len(), "{query}");
    }

    // item_count is the total over all pages, not the page size.
    let first = list(app, &token, "limit=2&status=billable").await;
    assert_eq!(external_ids(&first), ["c1", "b1"]);
    assert_eq!(first["item_count"], 4);
    assert!(first["next_page_token"].is_string());
}

async fn pages_neither_skip_nor_repeat_while_captures_are_inserted(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let dates = ["2024-03-01", "2024-01-01", "2024-02-01"];
    for i in 0..12 {
        let date = dates[i % dates.len()];
        create(
            app,
            &token,
            capture(&format!("old-{i:02}"), "pat", "billable", Some(date)),
        )
        .await;
    }
    for sort in ["created_at", "date_of_service"] {
        for direction in ["asc", "desc"] {
            let mut seen: Vec<String> = Vec::new();
            let mut token_param = String::new();
            let mut inserted = 0;
            loop {
                let query = format!("limit=5&sort={sort}&sort_direction={direction}{token_param}");
                let page = list(app, &token, &query).await;
                seen.extend(
                    external_ids(&page)
                        .into_iter()
                        .filter(|id| id.starts_with("old-")),
                );
                // A new capture lands between page fetches, dated inside the range walked.
                create(
                    app,
                    &token,
                    capture(
                        &format!("new-{sort}-{direction}-{inserted}"),
                        "pat",
                        "billable",
                        Some("2024-02-01"),
                    ),
                )
                .await;
                inserted += 1;
                match page["next_page_token"].as_str() {
                    Some(next) => token_param = format!("&page_token={next}"),
                    None => break,
                }
            }
            let mut sorted = seen.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(
                sorted.len(),
                seen.len(),
                "{sort} {direction}: a row repeated: {seen:?}"
            );
            assert_eq!(
                seen.len(),
                12,
                "{sort} {direction}: a row was skipped: {seen:?}"
            );
        }
    }
    // A token is bound to its sort: replaying it under another order is refused.
    let page = list(app, &token, "limit=5&sort=created_at").await;
    let next = page["next_page_token"].as_str().unwrap_or_default();
    let (status, body) = call(app.candid(
        Method::GET,
        &format!("{CAPTURES}?limit=5&sort=date_of_service&page_token={next}"),
        &token,
    ))
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["content"][0]["fieldName"], "page_token");
}

async fn date_of_service_order_uses_the_derived_date(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    // Encounter date says June, but a service line says January: January decides.
    let mut early = capture("early-by-line", "pat", "billable", Some("2024-06-15"));
    early["data"]["service_lines"][0]["date_of_service"] = json!("2024-01-20");
    create(app, &token, early).await;
    create(
        app,
        &token,
        capture("march", "pat", "billable", Some("2024-03-01")),
    )
    .await;
    create(app, &token, capture("undated", "pat", "billable", None)).await;
    create(
        app,
        &token,
        capture("may", "pat", "billable", Some("2024-05-01")),
    )
    .await;

    let ascending = list(app, &token, "sort=date_of_service&sort_direction=asc").await;
    assert_eq!(
        external_ids(&ascending),
        ["undated", "early-by-line", "march", "may"]
    );
    let descending = list(app, &token, "sort=date_of_service&sort_direction=desc").await;
    assert_eq!(
        external_ids(&descending),
        ["may", "march", "early-by-line", "undated"]
    );
    let in_january = list(
        app,
        &token,
        "date_of_service_min=2024-01-01&date_of_service_max=2024-01-31",
    )
    .await;
    assert_eq!(external_ids(&in_january), ["early-by-line"]);

    // Moving the line date by update moves the capture in the order.
    let id = ascending["items"][1]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mut data = ascending["items"][1]["charge_capture_data"].clone();
    data["service_lines"][0]["date_of_service"] = json!("2024-12-01");
    let (status, _) = call(
        app.candid(Method::PATCH, &format!("{CAPTURES}/{id}"), &token)
            .json(&json!({"data": data})),
    )
    .await;
    assert_eq!(status, 200);
    let ascending = list(app, &token, "sort=date_of_service&sort_direction=asc").await;
    assert_eq!(
        external_ids(&ascending),
        ["undated", "march", "may", "early-by-line"]
    );
}

async fn invalid_parameters_are_422_naming_the_parameter(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    create(
        app,
        &token,
        capture("a1", "pat", "billable", Some("2024-05-01")),
    )
    .await;
    let cases = [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("sort=amount", "sort"),
        ("sort_direction=up", "sort_direction"),
        ("status=BILLABLE", "status"),
        ("date_of_service_min=05/01/2024", "date_of_service_min"),
        ("date_of_service_max=2024-13-01", "date_of_service_max"),
        ("claim_creation_ids=not-a-uuid", "claim_creation_ids"),
        (
            "exclude_charges_linked_to_claims=maybe",
            "exclude_charges_linked_to_claims",
        ),
        ("page_token=bm90IGEgdG9rZW4", "page_token"),
    ];
    for (query, field) in cases {
        let (status, body) =
            call(app.candid(Method::GET, &format!("{CAPTURES}?{query}"), &token)).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["errorName"], "HttpRequestValidationsError", "{query}");
        assert_eq!(body["content"][0]["fieldName"], field, "{query}");
    }
    // Unknown parameters are ignored, as the vendor's server does.
    let page = list(app, &token, "no_such_filter=1").await;
    assert_eq!(page["item_count"], 1);
}

async fn another_tenants_captures_never_appear(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let acme_token = app.token(&acme).await;
    let beta_token = app.token(&beta).await;
    let created = create(
        app,
        &acme_token,
        capture("shared-id", "pat", "billable", Some("2024-05-01")),
    )
    .await;
    create(
        app,
        &beta_token,
        capture("beta-only", "pat", "billable", Some("2024-05-01")),
    )
    .await;

    let beta_page = list(app, &beta_token, "").await;
    assert_eq!(external_ids(&beta_page), ["beta-only"]);
    assert_eq!(beta_page["item_count"], 1);
    for query in [
        "charge_external_id=shared-id",
        "patient_external_id=pat&status=billable",
    ] {
        let page = list(app, &beta_token, query).await;
        assert!(
            !external_ids(&page).contains(&"shared-id".to_string()),
            "{query}"
        );
    }
    // A page token minted for tenant A's list only positions B's list; it reveals nothing.
    create(
        app,
        &acme_token,
        capture("second", "pat", "billable", Some("2024-05-02")),
    )
    .await;
    let acme_page = list(app, &acme_token, "limit=1&sort_direction=asc").await;
    assert_eq!(acme_page["items"][0]["id"], created["id"]);
    let next = acme_page["next_page_token"].as_str().unwrap_or_default();
    let page = list(
        app,
        &beta_token,
        &format!("limit=5&sort_direction=asc&page_token={next}"),
    )
    .await;
    assert!(external_ids(&page).iter().all(|id| id == "beta-only"));
}

async fn item_count_follows_status_changes_and_ignores_failed_writes(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let other = app.tenant("other").await;
    let other_token = app.token(&other).await;
    let first = create(
        app,
        &token,
        capture("s1", "pat-s", "billable", Some("2024-05-01")),
    )
    .await;
    let second = create(
        app,
        &token,
        capture("s2", "pat-s", "billable", Some("2024-05-20")),
    )
    .await;
    create(app, &token, capture("s3", "pat-t", "planned", None)).await;
    create(
        app,
        &token,
        capture("s4", "pat-t", "planned", Some("2024-06-10")),
    )
    .await;
    create(
        app,
        &other_token,
        capture("o1", "pat-o", "billable", Some("2024-05-01")),
    )
    .await;
    let path =
        |created: &Value| format!("{CAPTURES}/{}", created["id"].as_str().unwrap_or_default());

    // A duplicate create and an update that collides with another capture fail and move
    // no count; a change of status or date of service moves one; an update that keeps
    // both moves none.
    let (status, _) = call(
        app.candid(Method::POST, CAPTURES, &token)
            .json(&capture("s2", "pat-s", "planned", None)),
    )
    .await;
    assert_eq!(status, 409);
    for (created, change, expected) in [
        (
            &first,
            json!({"charge_external_id": "s2", "status": "planned"}),
            409,
        ),
        (
            &first,
            json!({"status": "planned", "data": {"date_of_service": "2024-06-01"}}),
            200,
        ),
        (
            &first,
            json!({"status": "planned", "ehr_source_url": "https://ehr.example/s1"}),
            200,
        ),
        (
            &second,
            json!({"data": {"date_of_service": "2024-07-01"}}),
            200,
        ),
    ] {
        let (status, body) = call(
            app.candid(Method::PATCH, &path(created), &token)
                .json(&change),
        )
        .await;
        assert_eq!(status, expected, "{change}: {body}");
    }

    // Now: s1 planned 2024-06-01, s2 billable 2024-07-01, s3 planned without a date,
    // s4 planned 2024-06-10.
    for (query, expected) in [
        ("", 4),
        ("status=billable", 1),
        ("status=planned", 3),
        ("status=aborted", 0),
        ("date_of_service_min=2024-06-01", 3),
        ("date_of_service_max=2024-06-30", 2),
        (
            "date_of_service_min=2024-05-01&date_of_service_max=2024-05-31",
            0,
        ),
        ("status=planned&date_of_service_min=2024-06-05", 1),
        ("status=billable&date_of_service_max=2024-12-31", 1),
    ] {
        let page = list(app, &token, query).await;
        assert_eq!(page["item_count"], expected, "{query}: {page}");
        assert_eq!(
            page["items"].as_array().map(Vec::len),
            Some(expected),
            "{query}"
        );
    }
    assert_eq!(list(app, &other_token, "").await["item_count"], 1);
    app.assert_ledger_ok().await;

    // A count changed behind copay's back is what `copay verify` reports.
    for forget in [
        "DELETE FROM charge_capture_counts WHERE status = 'billable'",
        "DELETE FROM charge_capture_day_counts WHERE date_key = '2024-06-10'",
    ] {
        app.execute_sql(forget).await;
    }
    let mut reported = app.verify().await.violations;
    reported.sort();
    let mut expected: Vec<String> = [&tenant.tenant_id, &other.tenant_id]
        .iter()
        .map(|id| format!("tenant {id} has 1 charge captures with status \"billable\" but counts 0"))
        .chain([format!(
            "tenant {} has 1 charge captures with status \"planned\" on \"2024-06-10\" but counts 0",
            tenant.tenant_id
        )])
        .collect();
    expected.sort();
    assert_eq!(reported, expected);
}
