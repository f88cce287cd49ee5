//! Items and Gen-1 charges: the arithmetic by hand, the opening rules, adjustments, the
//! ledger check after each scenario, bad input and tenants.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, decoda};

crate::both_backends!(
    items_create_update_archive_and_page,
    a_charge_with_items_and_discounts_adds_up_by_hand,
    the_opening_status_follows_what_is_outstanding,
    adjustments_move_the_balance_up_and_down_never_below_zero,
    charges_are_found_by_id_external_id_and_list_filters,
    bad_charge_input_is_refused_and_writes_nothing,
    another_tenants_patients_items_and_charges_are_not_found,
    verify_names_a_charge_owing_more_than_it_was_charged,
);

async fn post(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let (status, created) = decoda(app, tenant, Method::POST, path, Some(body.clone())).await;
    assert_eq!(status, 200, "{path} {body}: {created}");
    created
}

async fn patient(app: &TestApp, tenant: &Tenant, name: &str) -> String {
    let created = post(
        app,
        tenant,
        "/v1/patient/create",
        json!({"firstName": name}),
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

async fn item(app: &TestApp, tenant: &Tenant, name: &str, price: i64) -> String {
    let created = post(
        app,
        tenant,
        "/v1/item/create",
        json!({"name": name, "price": price}),
    )
    .await;
    created["id"].as_str().unwrap_or_default().to_string()
}

async fn charge(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    post(app, tenant, "/v1/charge/create", body).await
}

async fn get_charge(app: &TestApp, tenant: &Tenant, id: &Value) -> Value {
    let path = format!("/v1/charge/get/{}", id.as_str().unwrap_or_default());
    let (status, body) = decoda(app, tenant, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn items_create_update_archive_and_page(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let visit = post(
        app,
        &tenant,
        "/v1/item/create",
        json!({"name": "Office visit", "price": 15000, "description": "Established patient", "unit": "visit",
               "meta": {"cpt": "99213"}}),
    )
    .await;
    assert_eq!(visit["price"], 15000);
    assert_eq!(visit["meta"], json!({"cpt": "99213"}));
    for (name, price) in [
        ("Flu shot", 3500),
        ("Lab draw", 1200),
        ("Office consult", 20000),
    ] {
        item(app, &tenant, name, price).await;
    }
    let id = visit["id"].as_str().unwrap_or_default();
    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &format!("/v1/item/update/{id}"),
        Some(json!({"price": 16000, "description": null})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["price"], 16000);
    assert_eq!(updated["description"], Value::Null);
    assert_eq!(updated["name"], "Office visit");

    let names = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| item["name"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for (query, expected, total) in [
        (
            "",
            vec!["Office consult", "Lab draw", "Flu shot", "Office visit"],
            4,
        ),
        ("?per_page=2", vec!["Office consult", "Lab draw"], 4),
        ("?per_page=2&page=2", vec!["Flu shot", "Office visit"], 4),
        ("?per_page=2&page=3", vec![], 4),
        ("?name=OFFICE", vec!["Office consult", "Office visit"], 2),
        ("?price=15000", vec!["Office consult", "Office visit"], 2),
        ("?description=established", vec![], 0),
        ("?category=vaccines", vec![], 0),
    ] {
        let (status, page) = decoda(
            app,
            &tenant,
            Method::GET,
            &format!("/v1/item/list{query}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{query}: {page}");
        assert_eq!(names(&page), expected, "{query}");
        assert_eq!(page["total"], total, "{query}");
    }

    let (status, deleted) = decoda(
        app,
        &tenant,
        Method::DELETE,
        &format!("/v1/item/delete/{id}"),
        None,
    )
    .await;
    assert_eq!((status, deleted), (200, json!(true)));
    let (_, page) = decoda(app, &tenant, Method::GET, "/v1/item/list", None).await;
    assert_eq!(page["total"], 3);
    let (_, archived) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/item/list?archived=true",
        None,
    )
    .await;
    assert_eq!(names(&archived), ["Office visit"]);
    // Still readable: past charges name it.
    let (status, _) = decoda(
        app,
        &tenant,
        Method::GET,
        &format!("/v1/item/get/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);

    for (body, field) in [
        (json!({"price": 100}), "name"),
        (json!({"name": "X", "price": -1}), "price"),
        (json!({"name": " ", "price": 1}), "name"),
        (json!({"name": "X", "price": 1.5}), "price"),
    ] {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/v1/item/create",
            Some(body.clone()),
        )
        .await;
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
        Method::GET,
        "/v1/item/list?per_page=101",
        None,
    )
    .await;
    assert_eq!(status, 422);
}

async fn a_charge_with_items_and_discounts_adds_up_by_hand(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant, "Jane").await;
    let visit = item(app, &tenant, "Visit", 12500).await;
    // 2 × 12500 = 25000; a new inline item 3 × 1999 = 5997; custom 1500.
    // Subtotal 32497; − 2000 − 12.5 % of 32497 (4062.125 → 4062) = 26435.
    let created = charge(
        app,
        &tenant,
        json!({"patientId": patient, "totalOutstanding": 26435, "customAmount": 1500,
               "items": [{"itemId": visit, "quantity": 2}, {"quantity": 3, "item": {"name": "Supplies", "price": 1999}}],
               "discountAmount": 2000, "discountPercentage": 12.5, "description": "Visit and supplies",
               "externalCreatedDate": "2024-05-01T10:00:00Z", "meta": {"visit": 7}}),
    )
    .await;
    assert_eq!(created["total"], 26435);
    assert_eq!(created["totalOutstanding"], 26435);
    assert_eq!(created["status"], "OUTSTANDING");
    assert_eq!(created["discountPercentage"], 12.5);
    assert_eq!(created["customAmount"], 1500);
    assert_eq!(created["externalCreatedDate"], "2024-05-01T10:00:00Z");
    assert_eq!(created["patient"]["firstName"], "Jane");
    assert_eq!(created["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(created["items"][0]["item"]["price"], 12500);
    assert_eq!(created["items"][1]["item"]["name"], "Supplies");
    assert_eq!(created["items"][1]["quantity"], 3);
    assert_eq!(created["adjustments"], json!([]));
    assert_eq!(created["payments"], json!([]));
    // The inline item joined the catalogue.
    let (_, page) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/item/list?name=supplies",
        None,
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(get_charge(app, &tenant, &created["id"]).await, created);
    app.assert_ledger_ok().await;

    // A charge of only a custom amount; and one discounted to exactly zero.
    let custom = charge(
        app,
        &tenant,
        json!({"patientId": patient, "totalOutstanding": 4000, "customAmount": 4000}),
    )
    .await;
    assert_eq!(custom["total"], 4000);
    let free = charge(
        app,
        &tenant,
        json!({"patientId": patient, "totalOutstanding": 0, "items": [{"itemId": visit, "quantity": 1}],
               "discountPercentage": 100}),
    )
    .await;
    assert_eq!(
        (free["total"].clone(), free["status"].clone()),
        (json!(0), json!("PAID"))
    );
    app.assert_ledger_ok().await;
}

async fn the_opening_status_follows_what_is_outstanding(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant, "Jane").await;
    let open = |outstanding: i64, status: Option<&str>| {
        let mut body =
            json!({"patientId": patient, "totalOutstanding": outstanding, "customAmount": 10000});
        if let Some(status) = status {
            body["status"] = json!(status);
        }
        body
    };
    // A gap between the total and what is outstanding was settled before copay.
    let partly = charge(app, &tenant, open(6000, None)).await;
    assert_eq!(partly["status"], "OUTSTANDING");
    assert_eq!(partly["totalOutstanding"], 6000);
    assert_eq!(
        partly["adjustments"][0]["adjustmentType"],
        "EXTERNAL_SETTLEMENT"
    );
    assert_eq!(partly["adjustments"][0]["amount"], -4000);

    let settled = charge(app, &tenant, open(0, None)).await;
    assert_eq!(settled["status"], "EXTERNAL_SETTLEMENT");
    let paid = charge(app, &tenant, open(0, Some("PAID"))).await;
    assert_eq!(
        (paid["status"].clone(), paid["totalOutstanding"].clone()),
        (json!("PAID"), json!(0))
    );
    let settled_all = charge(app, &tenant, open(7000, Some("EXTERNAL_SETTLEMENT"))).await;
    assert_eq!(settled_all["totalOutstanding"], 0);
    assert_eq!(settled_all["adjustments"][0]["amount"], -10000);
    let written_off = charge(app, &tenant, open(7000, Some("WRITE_OFF"))).await;
    assert_eq!(written_off["status"], "WRITE_OFF");
    assert_eq!(written_off["totalOutstanding"], 0);
    let kinds: Vec<(String, i64)> = written_off["adjustments"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["adjustmentType"].as_str().unwrap_or("").to_string(),
                a["amount"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("EXTERNAL_SETTLEMENT".to_string(), -3000),
            ("WRITE_OFF".to_string(), -7000)
        ]
    );
    // A create answers with the charge as it then reads, adjustments and status included.
    for created in [&partly, &settled, &paid, &settled_all, &written_off] {
        assert_eq!(&get_charge(app, &tenant, &created["id"]).await, created);
    }

    for (body, message) in [
        (open(10001, None), "exceed"),
        (open(-1, None), "negative"),
        (open(1, Some("PAID")), "PAID"),
        (open(10000, Some("VOID")), "VOID"),
        (open(10000, Some("REFUNDED")), "REFUNDED"),
    ] {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/v1/charge/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(
            error["detail"][0]["loc"],
            json!(["body", "totalOutstanding"]),
            "{error}"
        );
        assert!(
            error["detail"][0]["msg"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{error}"
        );
    }
    app.assert_ledger_ok().await;
}

async fn adjust(app: &TestApp, tenant: &Tenant, charge_id: &Value, amount: i64) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::POST,
        "/v1/charge/adjust",
        Some(json!({"chargeId": charge_id, "amount": amount, "reason": "correction", "providerId": "prov-1"})),
    )
    .await
}

async fn adjustments_move_the_balance_up_and_down_never_below_zero(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant, "Jane").await;
    let created = charge(
        app,
        &tenant,
        json!({"patientId": patient, "totalOutstanding": 5000, "customAmount": 5000}),
    )
    .await;
    let id = &created["id"];

    let (status, up) = adjust(app, &tenant, id, 1500).await;
    assert_eq!(status, 200, "{up}");
    assert_eq!(up["amount"], 1500);
    assert_eq!(up["adjustmentType"], "ADJUSTMENT");
    assert_eq!(up["providerId"], "prov-1");
    assert_eq!(get_charge(app, &tenant, id).await["totalOutstanding"], 6500);

    let (status, _) = adjust(app, &tenant, id, -2500).await;
    assert_eq!(status, 200);
    let after = get_charge(app, &tenant, id).await;
    assert_eq!(after["totalOutstanding"], 4000);
    assert_eq!(after["total"], 5000, "the total stays what was charged");
    assert_eq!(after["status"], "OUTSTANDING");

    // Not below zero: refused, and nothing changes.
    let (status, error) = adjust(app, &tenant, id, -4001).await;
    assert_eq!(status, 400, "{error}");
    assert!(
        error["detail"].as_str().is_some_and(|d| d.contains("4000")),
        "{error}"
    );
    assert_eq!(get_charge(app, &tenant, id).await["totalOutstanding"], 4000);

    // Adjusted to zero it is closed; adjusted up again it owes again.
    let (status, _) = adjust(app, &tenant, id, -4000).await;
    assert_eq!(status, 200);
    let closed = get_charge(app, &tenant, id).await;
    assert_eq!(
        (closed["totalOutstanding"].clone(), closed["status"].clone()),
        (json!(0), json!("WRITE_OFF"))
    );
    let (status, _) = adjust(app, &tenant, id, 700).await;
    assert_eq!(status, 200);
    let reopened = get_charge(app, &tenant, id).await;
    assert_eq!(
        (
            reopened["totalOutstanding"].clone(),
            reopened["status"].clone()
        ),
        (json!(700), json!("OUTSTANDING"))
    );
    assert_eq!(reopened["adjustments"].as_array().map(Vec::len), Some(4));

    for (body, expected) in [
        (json!({"chargeId": id, "amount": 0, "reason": "x"}), 422),
        (json!({"chargeId": id, "amount": 10, "reason": " "}), 422),
        (json!({"chargeId": id, "amount": 10}), 422),
        (json!({"chargeId": id, "amount": "10", "reason": "x"}), 422),
        (
            json!({"chargeId": "0190d7a4-0000-7000-8000-000000000000", "amount": 10, "reason": "x"}),
            404,
        ),
    ] {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/v1/charge/adjust",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
    }
    assert_eq!(get_charge(app, &tenant, id).await["totalOutstanding"], 700);
    app.assert_ledger_ok().await;
}

async fn charges_are_found_by_id_external_id_and_list_filters(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let jane = patient(app, &tenant, "Jane").await;
    let john = patient(app, &tenant, "John").await;
    for (external, who, total, outstanding, description) in [
        ("c-1", &jane, 1000, 1000, "visit"),
        ("c-2", &jane, 3000, 0, "lab"),
        ("c-3", &john, 2000, 500, "visit"),
    ] {
        charge(
            app,
            &tenant,
            json!({"patientId": who, "customAmount": total, "totalOutstanding": outstanding,
                   "externalId": external, "description": description}),
        )
        .await;
    }
    let (status, found) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/charge/get_by_external_id/c-3",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(found["patient"]["firstName"], "John");
    assert_eq!(found["totalOutstanding"], 500);

    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|c| c["externalId"].as_str().unwrap_or("").to_string())
            .collect()
    };
    for (query, expected) in [
        (String::new(), vec!["c-3", "c-2", "c-1"]),
        ("?n=2".into(), vec!["c-3", "c-2"]),
        ("?sort_direction=asc".into(), vec!["c-1", "c-2", "c-3"]),
        (format!("?patient_id={jane}"), vec!["c-2", "c-1"]),
        ("?status=EXTERNAL_SETTLEMENT".into(), vec!["c-2"]),
        (
            "?status=OUTSTANDING&description=visit".into(),
            vec!["c-3", "c-1"],
        ),
        ("?external_id=c-1".into(), vec!["c-1"]),
        ("?total=2000".into(), vec!["c-3"]),
        ("?total_outstanding=0".into(), vec!["c-2"]),
        (
            "?sort_by=total&sort_direction=desc".into(),
            vec!["c-2", "c-3", "c-1"],
        ),
        (
            "?sort_by=total_outstanding&sort_direction=asc".into(),
            vec!["c-2", "c-3", "c-1"],
        ),
        ("?patient_id=not-a-uuid".into(), vec![]),
    ] {
        let (status, list) = decoda(
            app,
            &tenant,
            Method::GET,
            &format!("/v1/charge/list{query}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(ids(&list), expected, "{query}");
    }
    // Summaries carry the patient but not the lines.
    let (_, list) = decoda(app, &tenant, Method::GET, "/v1/charge/list?n=1", None).await;
    assert_eq!(list[0]["patient"]["firstName"], "John");
    assert!(list[0].get("items").is_none(), "{list}");
    for bad in [
        "?status=open",
        "?sort_by=size",
        "?n=0",
        "?n=1001",
        "?total=12.5",
        "?sort_direction=up",
    ] {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::GET,
            &format!("/v1/charge/list{bad}"),
            None,
        )
        .await;
        assert_eq!(status, 422, "{bad}: {error}");
        assert_eq!(error["detail"][0]["loc"][0], "query", "{error}");
    }
}

async fn charge_count(app: &TestApp, tenant: &Tenant) -> usize {
    let (_, list) = decoda(app, tenant, Method::GET, "/v1/charge/list?n=1000", None).await;
    list.as_array().map(Vec::len).unwrap_or(0)
}

async fn bad_charge_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant, "Jane").await;
    let visit = item(app, &tenant, "Visit", 1000).await;
    charge(app, &tenant, json!({"patientId": patient, "totalOutstanding": 1000, "customAmount": 1000, "externalId": "dup"})).await;
    let base = json!({"patientId": patient, "totalOutstanding": 1000, "items": [{"itemId": visit, "quantity": 1}]});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let line = |line: Value| with("items", json!([line]));
    let cases: Vec<(Value, u16, Value)> = vec![
        (
            with("totalOutstanding", json!(null)),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            json!({"totalOutstanding": 0}),
            422,
            json!(["body", "patientId"]),
        ),
        (
            line(json!({"itemId": visit, "quantity": 0})),
            422,
            json!(["body", "items", 0, "quantity"]),
        ),
        (
            line(json!({"itemId": visit, "quantity": -2})),
            422,
            json!(["body", "items", 0, "quantity"]),
        ),
        (
            line(json!({"itemId": visit, "quantity": 1.5})),
            422,
            json!(["body", "items", 0, "quantity"]),
        ),
        (
            line(json!({"quantity": 1})),
            422,
            json!(["body", "items", 0, "itemId"]),
        ),
        (
            line(json!({"itemId": visit, "quantity": 1, "item": {"name": "X", "price": 1}})),
            422,
            json!(["body", "items", 0, "itemId"]),
        ),
        (
            line(json!({"quantity": 1, "item": {"name": "X", "price": -5}})),
            422,
            json!(["body", "items", 0, "item", "price"]),
        ),
        (
            with("discountPercentage", json!(100.5)),
            422,
            json!(["body", "discountPercentage"]),
        ),
        (
            with("discountPercentage", json!(-1)),
            422,
            json!(["body", "discountPercentage"]),
        ),
        (
            with("discountAmount", json!(1001)),
            422,
            json!(["body", "discountAmount"]),
        ),
        (
            with("discountAmount", json!(-1)),
            422,
            json!(["body", "discountAmount"]),
        ),
        (
            with("customAmount", json!(-1)),
            422,
            json!(["body", "customAmount"]),
        ),
        (
            with("totalOutstanding", json!(1001)),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            with("status", json!("DONE")),
            422,
            json!(["body", "status"]),
        ),
        (
            with("externalCreatedDate", json!("yesterday")),
            422,
            json!(["body", "externalCreatedDate"]),
        ),
        (with("externalId", json!("dup")), 409, Value::Null),
        (
            with("patientId", json!("0190d7a4-0000-7000-8000-000000000000")),
            404,
            Value::Null,
        ),
        (
            line(json!({"itemId": "0190d7a4-0000-7000-8000-000000000000", "quantity": 1})),
            404,
            Value::Null,
        ),
        (
            line(json!({"itemId": "not-an-id", "quantity": 1})),
            404,
            Value::Null,
        ),
    ];
    for (body, expected, loc) in cases {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/v1/charge/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, expected, "{body}: {error}");
        if expected == 422 {
            assert_eq!(error["detail"][0]["loc"], loc, "{body}: {error}");
        } else {
            assert!(error["detail"].is_string(), "{error}");
        }
    }
    assert_eq!(charge_count(app, &tenant).await, 1);
    // No inline item from a refused charge reached the catalogue.
    let (_, items) = decoda(app, &tenant, Method::GET, "/v1/item/list", None).await;
    assert_eq!(items["total"], 1);
    app.assert_ledger_ok().await;
}

async fn another_tenants_patients_items_and_charges_are_not_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let patient = patient(app, &acme, "Jane").await;
    let visit = item(app, &acme, "Visit", 1000).await;
    let created = charge(
        app,
        &acme,
        json!({"patientId": patient, "totalOutstanding": 1000, "items": [{"itemId": visit, "quantity": 1}], "externalId": "c-1"}),
    )
    .await;
    let charge_id = created["id"].as_str().unwrap_or_default();
    let own_patient = patient_of_other(app, &other).await;
    for (method, path, body) in [
        (Method::GET, format!("/v1/charge/get/{charge_id}"), None),
        (
            Method::GET,
            "/v1/charge/get_by_external_id/c-1".to_string(),
            None,
        ),
        (Method::GET, format!("/v1/item/get/{visit}"), None),
        (
            Method::PUT,
            format!("/v1/item/update/{visit}"),
            Some(json!({"price": 1})),
        ),
        (Method::DELETE, format!("/v1/item/delete/{visit}"), None),
        (
            Method::POST,
            "/v1/charge/adjust".to_string(),
            Some(json!({"chargeId": charge_id, "amount": -1000, "reason": "x"})),
        ),
        (
            Method::POST,
            "/v1/charge/create".to_string(),
            Some(json!({"patientId": patient, "totalOutstanding": 0})),
        ),
        (
            Method::POST,
            "/v1/charge/create".to_string(),
            Some(
                json!({"patientId": own_patient, "totalOutstanding": 0, "items": [{"itemId": visit, "quantity": 1}]}),
            ),
        ),
    ] {
        let (status, error) = decoda(app, &other, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {error}");
    }
    assert_eq!(charge_count(app, &other).await, 0);
    let (_, items) = decoda(app, &other, Method::GET, "/v1/item/list", None).await;
    assert_eq!(items["total"], 0);
    let untouched = get_charge(app, &acme, &created["id"]).await;
    assert_eq!(untouched["totalOutstanding"], 1000);
    app.assert_ledger_ok().await;
}

async fn patient_of_other(app: &TestApp, tenant: &Tenant) -> String {
    patient(app, tenant, "Other").await
}

async fn verify_names_a_charge_owing_more_than_it_was_charged(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let patient = patient(app, &tenant, "Jane").await;
    let created = charge(
        app,
        &tenant,
        json!({"patientId": patient, "totalOutstanding": 5000, "customAmount": 5000}),
    )
    .await;
    let (status, _) = adjust(app, &tenant, &created["id"], 700).await;
    assert_eq!(status, 200);
    app.assert_ledger_ok().await;
    // A charge row whose total was lowered behind copay's back: the ledger still adds up,
    // but the charge now owes more than it was charged plus its raises.
    let id = created["id"].as_str().unwrap_or_default().to_string();
    let lower = "UPDATE charges SET total = 1000";
    app.execute_sql(lower).await;
    let report = app.verify().await;
    assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
    assert!(
        report.violations[0].contains(&id) && report.violations[0].contains("5700"),
        "{:?}",
        report.violations
    );
}
