//! Write-offs v1 through raw HTTP: batches that are all or nothing, get, revert once,
//! lists with every filter and order, insurance write-offs on every target kind, and
//! tenant isolation.

use reqwest::Method;
use serde_json::{Value, json};

use crate::claim_money::claim_for;
use crate::harness::{TestApp, call};

crate::both_backends!(
    patient_write_offs_come_in_batches_and_revert_once,
    a_batch_is_all_or_nothing,
    lists_filter_sort_and_page,
    write_offs_stay_in_their_tenant,
    insurance_write_offs_target_lines_claims_and_billing_providers,
);

const PATH: &str = "/api/write-offs/v1";

pub fn patient_write_off(line: &str, cents: i64, note: Option<&str>, at: &str) -> Value {
    json!({
        "type": "patient",
        "service_line_id": line,
        "amount_cents": cents,
        "write_off_timestamp": at,
        "write_off_note": note,
        "write_off_reason": "SMALL_BALANCE",
    })
}

pub async fn create(app: &TestApp, token: &str, write_offs: Value) -> (u16, Value) {
    call(
        app.candid(Method::POST, PATH, token)
            .json(&json!({ "write_offs": write_offs })),
    )
    .await
}

pub async fn revert(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    call(app.candid(Method::POST, &format!("{PATH}/{id}/revert"), token)).await
}

async fn get(app: &TestApp, token: &str, id: &str) -> (u16, Value) {
    call(app.candid(Method::GET, &format!("{PATH}/{id}"), token)).await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) = call(app.candid(Method::GET, &format!("{PATH}{query}"), token)).await;
    assert_eq!(status, 200, "{query}: {page}");
    page
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|item| {
            item["write_off_id"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn id(write_off: &Value) -> String {
    write_off["write_off_id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn line_balances(app: &TestApp, token: &str, encounter_id: &str) -> Vec<(i64, i64)> {
    let (status, encounter) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4/{encounter_id}"),
        token,
    ))
    .await;
    assert_eq!(status, 200, "{encounter}");
    encounter["claims"][0]["service_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|line| {
            (
                line["insurance_balance_cents"].as_i64().unwrap_or(-1),
                line["patient_balance_cents"].as_i64().unwrap_or(-1),
            )
        })
        .collect()
}

async fn patient_write_offs_come_in_batches_and_revert_once(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, lines) =
        claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let (status, created) = create(
        app,
        &token,
        json!([
            patient_write_off(&lines[0], 1000, Some("goodwill"), "2024-06-01T10:00:00+02:00"),
            {
                "type": "patient", "service_line_id": lines[1], "amount_cents": 250,
                "write_off_timestamp": "2024-06-02T00:00:00Z", "write_off_reason": "OTHER",
                "custom_write_off_reason": "promised at checkout",
            },
        ]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let items = created["write_offs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items.len(), 2);
    let first = &items[0];
    assert_eq!(
        first,
        &json!({
            "type": "patient",
            "write_off_id": first["write_off_id"],
            "write_off_timestamp": "2024-06-01T08:00:00Z",
            "write_off_note": "goodwill",
            "write_off_reason": "SMALL_BALANCE",
            "custom_write_off_reason": null,
            "reverts_write_off_id": null,
            "reverted_by_write_off_id": null,
            "amount_cents": 1000,
            "patient_external_id": "pat-1",
            "claim_id": claim_id,
            "service_line_id": lines[0],
        })
    );
    assert_eq!(items[1]["custom_write_off_reason"], "promised at checkout");
    assert_eq!(items[1]["write_off_reason"], "OTHER");
    let (status, again) = get(app, &token, &id(first)).await;
    assert_eq!((status, &again), (200, first));
    // The write-offs come off the lines' patient side; the insurance balances stay.
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 9000), (5000, 4750)]
    );
    app.assert_ledger_ok().await;

    // Reverting puts the amount back and records a write-off of the opposite amount.
    let (status, reverting) = revert(app, &token, &id(first)).await;
    assert_eq!(status, 200, "{reverting}");
    assert_eq!(reverting["type"], "patient");
    assert_eq!(reverting["amount_cents"], -1000);
    assert_eq!(reverting["reverts_write_off_id"], first["write_off_id"]);
    assert_eq!(reverting["reverted_by_write_off_id"], Value::Null);
    assert_eq!(reverting["service_line_id"], json!(lines[0]));
    assert_eq!(reverting["write_off_reason"], "SMALL_BALANCE");
    assert_ne!(reverting["write_off_id"], first["write_off_id"]);
    let (_, original) = get(app, &token, &id(first)).await;
    assert_eq!(
        original["reverted_by_write_off_id"],
        reverting["write_off_id"]
    );
    assert_eq!(original["amount_cents"], 1000);
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 10000), (5000, 4750)]
    );
    app.assert_ledger_ok().await;

    // Once only, never a revert, never an unknown id; ERA-originated ones do not exist.
    let (status, error) = revert(app, &token, &id(first)).await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (422, Some("UnprocessableEntityError")),
        "{error}"
    );
    let (status, _) = revert(app, &token, &id(&reverting)).await;
    assert_eq!(status, 422);
    let missing = "00000000-0000-0000-0000-000000000009";
    let (status, error) = revert(app, &token, missing).await;
    assert_eq!(
        (status, &error),
        (
            404,
            &json!({"errorName": "EntityNotFoundError", "content": {"id": missing}})
        )
    );
    let (status, _) = revert(app, &token, "not-a-uuid").await;
    assert_eq!(status, 404);
    let (status, _) = get(app, &token, missing).await;
    assert_eq!(status, 404);
    for target in [id(first), missing.to_string()] {
        let (status, error) = call(app.candid(
            Method::POST,
            &format!("{PATH}/{target}/revert-era-originated"),
            &token,
        ))
        .await;
        assert_eq!(
            (status, error["errorName"].as_str()),
            (404, Some("EntityNotFoundError"))
        );
    }
    // Nothing changed by the refused reverts.
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 10000), (5000, 4750)]
    );
    assert_eq!(ids(&list(app, &token, "").await).len(), 3);
    app.assert_ledger_ok().await;
}

async fn a_batch_is_all_or_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let good = patient_write_off(&lines[0], 100, None, "2024-06-01T00:00:00Z");
    let missing = "00000000-0000-0000-0000-000000000009";
    let cases: Vec<(Value, u16, &str)> = vec![
        // An unknown line anywhere in the batch refuses the whole batch.
        (
            json!([
                good,
                patient_write_off(missing, 100, None, "2024-06-01T00:00:00Z")
            ]),
            404,
            "EntityNotFoundError",
        ),
        // Amounts must be positive.
        (
            json!([
                good,
                patient_write_off(&lines[0], 0, None, "2024-06-01T00:00:00Z")
            ]),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!([patient_write_off(
                &lines[0],
                -5,
                None,
                "2024-06-01T00:00:00Z"
            )]),
            422,
            "UnprocessableEntityError",
        ),
        // copay keeps no non-insurance payers.
        (
            json!([good, {
                "type": "non_insurance_payer", "non_insurance_payer_id": missing,
                "service_line_id": lines[0], "amount_cents": 100,
                "write_off_timestamp": "2024-06-01T00:00:00Z", "write_off_reason": "OTHER",
            }]),
            404,
            "EntityNotFoundError",
        ),
        // An unknown payer uuid.
        (
            json!([good, {
                "type": "insurance", "payer_identifier": {"type": "payer_uuid", "value": missing},
                "write_off_target": {"type": "service_line_id", "value": lines[0]},
                "amount_cents": 100, "write_off_timestamp": "2024-06-01T00:00:00Z",
                "write_off_reason": "CONTRACTUAL_ADJUSTMENT",
            }]),
            404,
            "EntityNotFoundError",
        ),
        // Body shape: a reason outside the enum, a missing timestamp, an unknown type.
        (
            json!([{"type": "patient", "service_line_id": lines[0], "amount_cents": 100,
                    "write_off_timestamp": "2024-06-01T00:00:00Z", "write_off_reason": "CONTRACTUAL_ADJUSTMENT"}]),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!([{"type": "patient", "service_line_id": lines[0], "amount_cents": 100,
                    "write_off_reason": "SMALL_BALANCE"}]),
            422,
            "UnprocessableEntityError",
        ),
        (
            json!([{"type": "charity", "amount_cents": 100}]),
            422,
            "UnprocessableEntityError",
        ),
    ];
    for (write_offs, status, name) in cases {
        let (got, error) = create(app, &token, write_offs.clone()).await;
        assert_eq!(
            (got, error["errorName"].as_str()),
            (status, Some(name)),
            "{write_offs}: {error}"
        );
    }
    assert!(ids(&list(app, &token, "").await).is_empty());
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 10000)]
    );
    // An empty batch writes nothing and says so.
    let (status, empty) = create(app, &token, json!([])).await;
    assert_eq!((status, empty), (200, json!({"write_offs": []})));
    app.assert_ledger_ok().await;
}

async fn lists_filter_sort_and_page(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, claim_a, lines_a) = claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let (_, claim_b, lines_b) = claim_for(app, &token, "pat-2", "c-2", &[8000]).await;
    // Five write-offs: amounts and times in different orders, notes with one missing.
    let specs = [
        (&lines_a[0], 500, Some("b-note"), "2024-06-03T00:00:00Z"),
        (&lines_a[1], 100, None, "2024-06-01T00:00:00.5Z"),
        (&lines_b[0], 300, Some("a-note"), "2024-06-05T00:00:00Z"),
        (
            &lines_a[0],
            400,
            Some("c-note"),
            "2024-06-01T00:00:00.123456Z",
        ),
        (&lines_b[0], 200, Some("a-note"), "2024-06-02T00:00:00Z"),
    ];
    let body: Vec<Value> = specs
        .iter()
        .map(|(line, cents, note, at)| patient_write_off(line, *cents, *note, at))
        .collect();
    let (status, created) = create(app, &token, Value::Array(body)).await;
    assert_eq!(status, 200, "{created}");
    let created: Vec<String> = created["write_offs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(id)
        .collect();
    assert_eq!(created.len(), 5);

    // Default order: newest write-off timestamp first (fractions of seconds compare as
    // time, not as text).
    assert_eq!(
        ids(&list(app, &token, "").await),
        vec![
            created[2].clone(),
            created[0].clone(),
            created[4].clone(),
            created[1].clone(),
            created[3].clone()
        ]
    );
    let amounts = |page: &Value| -> Vec<i64> {
        page["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|item| item["amount_cents"].as_i64().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        amounts(&list(app, &token, "?sort=amount_cents&sort_direction=asc").await),
        vec![100, 200, 300, 400, 500]
    );

    // Filters.
    assert_eq!(
        ids(&list(app, &token, "?patient_external_id=pat-2").await).len(),
        2
    );
    assert_eq!(
        ids(&list(app, &token, &format!("?claim_id={claim_a}")).await).len(),
        3
    );
    assert_eq!(
        ids(&list(app, &token, &format!("?claim_id={claim_b}")).await).len(),
        2
    );
    assert_eq!(
        ids(&list(app, &token, &format!("?service_line_id={}", lines_a[0])).await),
        vec![created[0].clone(), created[3].clone()]
    );
    let nobody = "00000000-0000-0000-0000-000000000009";
    for query in [
        format!("?payer_uuid={nobody}"),
        format!("?billing_provider_id={nobody}"),
        "?account_types=INSURANCE".to_string(),
        "?account_types=THIRD_PARTY_PAYER".to_string(),
        "?patient_external_id=pat-9".to_string(),
    ] {
        assert!(ids(&list(app, &token, &query).await).is_empty(), "{query}");
    }
    assert_eq!(
        ids(&list(
            app,
            &token,
            "?account_types=PATIENT&account_types=INSURANCE"
        )
        .await)
        .len(),
        5
    );
    assert_eq!(
        ids(&list(
            app,
            &token,
            "?account_types=PATIENT&patient_external_id=pat-1"
        )
        .await)
        .len(),
        3
    );

    // Paging in every order and direction: no skips, no repeats, same order as one page.
    for sort in ["write_off_timestamp", "amount_cents", "write_off_note"] {
        for direction in ["asc", "desc"] {
            let whole = ids(&list(
                app,
                &token,
                &format!("?sort={sort}&sort_direction={direction}"),
            )
            .await);
            let mut paged = Vec::new();
            let mut token_param = String::new();
            loop {
                let page = list(
                    app,
                    &token,
                    &format!("?sort={sort}&sort_direction={direction}&limit=2{token_param}"),
                )
                .await;
                paged.extend(ids(&page));
                match page["next_page_token"].as_str() {
                    Some(next) => token_param = format!("&page_token={next}"),
                    None => break,
                }
            }
            assert_eq!(paged, whole, "{sort} {direction}");
            assert_eq!(paged.len(), 5);
        }
    }
    // Notes order with a missing note first (as empty text), ties by id.
    let notes: Vec<Value> =
        list(app, &token, "?sort=write_off_note&sort_direction=asc").await["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|item| item["write_off_note"].clone())
            .collect();
    assert_eq!(
        notes,
        vec![
            Value::Null,
            json!("a-note"),
            json!("a-note"),
            json!("b-note"),
            json!("c-note")
        ]
    );

    // Bad parameters are refused, not ignored.
    let first_page = list(app, &token, "?limit=2").await;
    let token_of_time = first_page["next_page_token"].as_str().unwrap_or_default();
    for query in [
        "?limit=0".to_string(),
        "?limit=1000".to_string(),
        "?limit=many".to_string(),
        "?sort=payer".to_string(),
        "?sort_direction=up".to_string(),
        "?account_types=SELF".to_string(),
        "?claim_id=42".to_string(),
        "?page_token=garbage".to_string(),
        format!("?sort=amount_cents&page_token={token_of_time}"),
    ] {
        let (status, error) =
            call(app.candid(Method::GET, &format!("{PATH}{query}"), &token)).await;
        assert_eq!(
            (status, error["errorName"].as_str()),
            (422, Some("UnprocessableEntityError")),
            "{query}: {error}"
        );
    }
}

async fn write_offs_stay_in_their_tenant(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let beta = app.tenant("beta").await;
    let token = app.token(&acme).await;
    let beta_token = app.token(&beta).await;
    let (encounter_id, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (_, created) = create(
        app,
        &token,
        json!([patient_write_off(
            &lines[0],
            700,
            None,
            "2024-06-01T00:00:00Z"
        )]),
    )
    .await;
    let write_off = id(&created["write_offs"][0]);
    // Another tenant neither sees, reverts nor writes off acme's money.
    let (status, _) = get(app, &beta_token, &write_off).await;
    assert_eq!(status, 404);
    let (status, _) = revert(app, &beta_token, &write_off).await;
    assert_eq!(status, 404);
    assert!(ids(&list(app, &beta_token, "").await).is_empty());
    let (status, _) = create(
        app,
        &beta_token,
        json!([patient_write_off(
            &lines[0],
            1,
            None,
            "2024-06-01T00:00:00Z"
        )]),
    )
    .await;
    assert_eq!(status, 404);
    let (_, original) = get(app, &token, &write_off).await;
    assert_eq!(original["reverted_by_write_off_id"], Value::Null);
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 9300)]
    );
    // Without a token there is nothing to see.
    let (status, _) = call(
        reqwest::Client::new()
            .get(app.url(PATH))
            .bearer_auth("not-a-token"),
    )
    .await;
    assert_eq!(status, 401);
    app.assert_ledger_ok().await;
}

async fn insurance_write_offs_target_lines_claims_and_billing_providers(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, lines) =
        claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let (_, encounter) = call(app.candid(
        Method::GET,
        &format!("/api/encounters/v4/{encounter_id}"),
        &token,
    ))
    .await;
    let provider = encounter["billing_provider"]["provider_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let payer = json!({"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"});
    let insurance = |target: Value, cents: i64, at: &str| {
        json!({
            "type": "insurance", "payer_identifier": payer, "write_off_target": target,
            "amount_cents": cents, "write_off_timestamp": at,
            "write_off_reason": "CONTRACTUAL_ADJUSTMENT", "write_off_note": "contract",
        })
    };
    let (status, created) = create(
        app,
        &token,
        json!([
            insurance(
                json!({"type": "service_line_id", "value": lines[0]}),
                3000,
                "2024-06-01T00:00:00Z"
            ),
            insurance(
                json!({"type": "claim_id", "value": claim_id}),
                500,
                "2024-06-02T00:00:00Z"
            ),
            insurance(
                json!({"type": "billing_provider_id", "value": provider}),
                200,
                "2024-06-03T00:00:00Z"
            ),
        ]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let items = created["write_offs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(items[0]["type"], "insurance");
    assert_eq!(items[0]["payer"]["payer_id"], "60054");
    assert_eq!(items[0]["write_off_reason"], "CONTRACTUAL_ADJUSTMENT");
    assert_eq!(
        items[0]["write_off_target"],
        json!({"type": "service_line_id", "value": lines[0]})
    );
    assert_eq!(
        items[1]["write_off_target"],
        json!({"type": "claim_id", "value": claim_id})
    );
    assert_eq!(
        items[2]["write_off_target"],
        json!({"type": "billing_provider_id", "value": provider})
    );
    let payer_uuid = items[0]["payer"]["payer_uuid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    // The line's insurance balance and its patient balance both drop by the write-off.
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(7000, 7000), (5000, 5000)]
    );
    // Itemization: the line's insurance adjustment, and the claim-level write-off comes
    // off the claim's balance.
    let (_, itemized) = call(app.candid(
        Method::GET,
        &format!("/api/patient-ar/v1/invoice-itemization/{claim_id}"),
        &token,
    ))
    .await;
    assert_eq!(
        itemized["service_line_itemization"][0]["insurance_adjustments"],
        json!({"total_adjustment_cents": 3000})
    );
    assert_eq!(itemized["patient_balance_cents"], 7000 + 5000 - 500);
    // Filters.
    assert_eq!(
        ids(&list(app, &token, &format!("?payer_uuid={payer_uuid}")).await).len(),
        3
    );
    assert_eq!(
        ids(&list(app, &token, &format!("?billing_provider_id={provider}")).await),
        vec![id(&items[2])]
    );
    assert_eq!(
        ids(&list(app, &token, &format!("?claim_id={claim_id}")).await).len(),
        2
    );
    assert_eq!(
        ids(&list(app, &token, "?account_types=INSURANCE").await).len(),
        3
    );
    assert!(ids(&list(app, &token, "?account_types=PATIENT").await).is_empty());
    // Reverting the line's write-off restores its balances.
    let (status, reverting) = revert(app, &token, &id(&items[0])).await;
    assert_eq!(status, 200, "{reverting}");
    assert_eq!(reverting["amount_cents"], -3000);
    assert_eq!(reverting["payer"]["payer_uuid"], json!(payer_uuid));
    assert_eq!(reverting["write_off_target"], items[0]["write_off_target"]);
    assert_eq!(
        line_balances(app, &token, &encounter_id).await,
        vec![(10000, 10000), (5000, 5000)]
    );
    app.assert_ledger_ok().await;
}
