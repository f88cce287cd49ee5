//! Gen-2 charges: create (totals checked by hand), refusals that write nothing, reads that
//! stay inside the tenant, and the charge table's every filter, sort and page. The ledger
//! check runs after each scenario.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::harness::{Tenant, TestApp, decoda};

crate::both_backends!(
    create_prices_lines_and_discounts_as_computed_by_hand,
    refused_creates_write_nothing,
    reads_stay_inside_the_tenant,
    every_table_filter_narrows_to_the_right_charges,
    table_sorts_order_by_their_key_then_id,
    table_pages_never_skip_or_repeat_while_charges_are_created,
    bad_table_parameters_are_422s,
    tips_in_a_create_body_come_on_top_of_its_totals,
);

const CREATE: &str = "/billing/payment-terminal/charge/create";
const TABLE: &str = "/billing/charge/table";

async fn post(app: &TestApp, tenant: &Tenant, path: &str, body: Value) -> Value {
    let (status, created) = decoda(app, tenant, Method::POST, path, Some(body.clone())).await;
    assert_eq!(status, 200, "{path} {body}: {created}");
    created
}

async fn get(app: &TestApp, tenant: &Tenant, path: &str) -> (u16, Value) {
    decoda(app, tenant, Method::GET, path, None).await
}

async fn patient(app: &TestApp, tenant: &Tenant, body: Value) -> String {
    let created = post(app, tenant, "/user/patient/create", body).await;
    created["id"].as_str().unwrap_or_default().to_string()
}

async fn charge(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    post(app, tenant, CREATE, body).await
}

/// A charge of `total` without lines (what it owes: `outstanding`).
async fn simple(app: &TestApp, tenant: &Tenant, patient: &str, total: i64, extra: Value) -> String {
    let mut body = json!({"patientId": patient, "total": total, "totalOutstanding": total});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    charge(app, tenant, body).await["id"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

/// The table page for `query`: its status, the ids of its rows, its `total` and its
/// snapshot header.
async fn table(
    app: &TestApp,
    tenant: &Tenant,
    query: &str,
) -> (u16, Vec<String>, i64, Option<String>, Value) {
    let response = app
        .decoda(Method::GET, &format!("{TABLE}?{query}"), tenant)
        .send()
        .await
        .expect("table request");
    let status = response.status().as_u16();
    let snapshot = response
        .headers()
        .get("copay-snapshot")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let body: Value = response.json().await.expect("table json");
    let ids = body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(id_of)
        .collect();
    let total = body["total"].as_i64().unwrap_or(-1);
    (status, ids, total, snapshot, body)
}

/// The ids a filter finds (all on one page), checking `total` counts them.
async fn found(app: &TestApp, tenant: &Tenant, query: &str) -> HashSet<String> {
    let (status, ids, total, _, body) = table(app, tenant, &format!("{query}&per_page=100")).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(total, ids.len() as i64, "{query}: total counts the matches");
    ids.into_iter().collect()
}

fn set(ids: &[&String]) -> HashSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

async fn create_prices_lines_and_discounts_as_computed_by_hand(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(
        app,
        &tenant,
        json!({"firstName": "Ana", "lastName": "Lopez"}),
    )
    .await;
    let item = post(
        app,
        &tenant,
        "/v1/item/create",
        json!({"name": "Botox", "price": 10000, "unit": "UNITS", "description": "per area"}),
    )
    .await;
    let provider = post(
        app,
        &tenant,
        "/v1/provider/create",
        json!({"firstName": "Dr", "lastName": "Who", "roles": []}),
    )
    .await;
    // Line 1: 2 × 10000 = 20000 − 500 − 10 % (2000) + 300 tax = 17800.
    // Line 2: 1 × 2500 = 2500. Subtotal 20300.
    // Charge: 20300 − 300 − round(12.5 % × 20300 = 2537.5 → 2538) = 17462.
    // 17000 still owed: 462 was settled before the charge reached copay.
    let created = charge(
        app,
        &tenant,
        json!({
            "patientId": ana,
            "totalOutstanding": 17000,
            "items": [
                {"itemId": id_of(&item), "price": 10000, "quantity": 2, "discountAmount": 500,
                 "discountPercentage": 10, "taxAmount": 300},
                {"name": "Lab fee", "price": 2500, "quantity": 1}
            ],
            "discountAmount": 300,
            "discountPercentage": 12.5,
            "description": "Botox and lab",
            "externalId": "ehr-1",
            "externalCreatedDate": "2024-05-01T10:00:00+02:00",
            "creatorId": id_of(&provider),
            "locationId": "loc-1",
            "comment": "first visit",
            "meta": {"visit": 7}
        }),
    )
    .await;
    assert_eq!(created["total"], 17462, "{created}");
    assert_eq!(created["totalOutstanding"], 17000);
    assert_eq!(created["status"], "OUTSTANDING");
    assert_eq!(created["patientId"], ana.as_str());
    assert_eq!(created["patient"]["lastName"], "Lopez");
    assert_eq!(created["externalCreatedDate"], "2024-05-01T08:00:00Z");
    assert_eq!(created["locationId"], "loc-1");
    assert_eq!(created["comment"], "first visit");
    assert_eq!(created["meta"], json!({"visit": 7}));
    assert_eq!(created["discountPercentage"], 12.5);
    assert_eq!(created["tips"], json!([]));
    let items = created["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{created}");
    assert_eq!(items[0]["itemId"], id_of(&item).as_str());
    assert_eq!(
        (
            &items[0]["quantity"],
            &items[0]["price"],
            &items[0]["taxAmount"]
        ),
        (&json!(2), &json!(10000), &json!(300))
    );
    assert_eq!(items[1]["name"], "Lab fee");
    assert!(items[1]["itemId"].is_null());

    let id = id_of(&created);
    let (status, detail) = get(app, &tenant, &format!("/billing/charge/get/{id}")).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(detail["total"], 17462);
    assert_eq!(detail["items"][0]["item"]["name"], "Botox");
    assert_eq!(detail["items"][0]["item"]["unit"], "UNITS");
    assert_eq!(detail["items"][0]["item"]["price"], 10000);
    assert!(detail["items"][1]["item"].is_null(), "{detail}");
    assert_eq!(
        detail["adjustments"][0]["adjustmentType"],
        "EXTERNAL_SETTLEMENT"
    );
    assert_eq!(detail["adjustments"][0]["amount"], -462);
    assert_eq!(detail["payments"], json!([]));

    // Pay 1000 of it from the patient's credit: the payment shows on the charge.
    post(
        app,
        &tenant,
        &format!("/user/patient/{ana}/credit"),
        json!({"amount": 1000}),
    )
    .await;
    post(
        app,
        &tenant,
        "/billing/payment-terminal/charge/create-patient-credit-settled?amount=1000",
        json!([{"id": id, "patientId": ana, "totalOutstanding": 0}]),
    )
    .await;
    let (_, detail) = get(app, &tenant, &format!("/billing/charge/get/{id}")).await;
    assert_eq!(detail["totalOutstanding"], 16000, "{detail}");
    let payment = &detail["payments"][0];
    assert_eq!(payment["amount"], 1000, "{detail}");
    assert_eq!(payment["chargeId"], id.as_str());
    assert_eq!(payment["payment"]["paymentMedium"], "PATIENT_CREDIT");
    assert_eq!(payment["payment"]["status"], "SUCCEEDED");
    assert_eq!(payment["payment"]["refunds"], json!([]));

    // The table row names the creator (a provider of the tenant).
    let (_, _, _, _, page) = table(app, &tenant, "").await;
    let row = &page["data"][0];
    assert_eq!(row["creator"]["id"], id_of(&provider).as_str(), "{page}");
    assert_eq!(row["creator"]["type"], "PROVIDER");
    assert_eq!(row["payments"][0]["amount"], 1000);
    assert_eq!(row["payments"][0]["paymentMedium"], "PATIENT_CREDIT");
    assert_eq!(row["totalOutstanding"], 16000);
    app.assert_ledger_ok().await;
}

async fn refused_creates_write_nothing(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(app, &tenant, json!({"firstName": "Ana"})).await;
    let kept = simple(app, &tenant, &ana, 1000, json!({"externalId": "ehr-1"})).await;
    let unknown = "0190d7a4-0000-7000-8000-000000000000";
    let line = |extra: Value| {
        let mut line = json!({"name": "Kit", "price": 1000, "quantity": 1});
        if let (Some(line), Some(extra)) = (line.as_object_mut(), extra.as_object()) {
            line.extend(extra.clone());
        }
        json!({"patientId": ana, "totalOutstanding": 0, "items": [line], "externalId": "new"})
    };
    let cases: Vec<(Value, u16, Value)> = vec![
        (
            line(json!({"quantity": -1})),
            422,
            json!(["body", "items", 0, "quantity"]),
        ),
        (
            line(json!({"quantity": 0})),
            422,
            json!(["body", "items", 0, "quantity"]),
        ),
        (
            line(json!({"price": -5})),
            422,
            json!(["body", "items", 0, "price"]),
        ),
        (
            line(json!({"discountPercentage": 100.5})),
            422,
            json!(["body", "items", 0, "discountPercentage"]),
        ),
        (
            line(json!({"discountAmount": -1})),
            422,
            json!(["body", "items", 0, "discountAmount"]),
        ),
        (
            json!({"patientId": ana, "total": 1000, "totalOutstanding": 0, "discountPercentage": 101}),
            422,
            json!(["body", "discountPercentage"]),
        ),
        (
            json!({"patientId": ana, "total": 1000, "totalOutstanding": 1001}),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            json!({"patientId": ana, "total": 1000, "totalOutstanding": -1}),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            json!({"patientId": ana, "total": 1000, "totalOutstanding": 500, "status": "PAID"}),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            json!({"patientId": ana, "total": 999, "totalOutstanding": 0,
                   "items": [{"name": "Kit", "price": 1000, "quantity": 1}]}),
            422,
            json!(["body", "total"]),
        ),
        (
            json!({"id": unknown, "patientId": ana, "total": 1000, "totalOutstanding": 0}),
            422,
            json!(["body", "id"]),
        ),
        (
            json!({"patientId": ana}),
            422,
            json!(["body", "totalOutstanding"]),
        ),
        (
            json!({"patientId": ana, "total": 10, "totalOutstanding": 0, "status": "OPEN"}),
            422,
            json!(["body", "status"]),
        ),
        (
            json!({"patientId": ana, "total": 10, "totalOutstanding": 0,
                   "payments": [{"paymentId": "x", "amount": 1, "chargeId": "y"}]}),
            422,
            json!(["body", "payments"]),
        ),
        (
            json!({"patientId": unknown, "total": 10, "totalOutstanding": 0}),
            404,
            Value::Null,
        ),
        (
            json!({"patientId": "not-a-patient", "total": 10, "totalOutstanding": 0}),
            404,
            Value::Null,
        ),
        (line(json!({"itemId": unknown})), 404, Value::Null),
        (
            json!({"patientId": ana, "total": 10, "totalOutstanding": 0, "externalId": "ehr-1"}),
            409,
            Value::Null,
        ),
    ];
    for (body, status, loc) in cases {
        let (got, error) = decoda(app, &tenant, Method::POST, CREATE, Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {error}");
        if status == 422 {
            assert_eq!(error["detail"][0]["loc"], loc, "{body}: {error}");
        } else {
            assert!(error["detail"].is_string(), "{body}: {error}");
        }
    }
    // Nothing but the first charge exists, and the catalogue is untouched.
    assert_eq!(found(app, &tenant, "").await, set(&[&kept]));
    let (_, items) = get(app, &tenant, "/v1/item/list").await;
    assert_eq!(items["total"], 0, "{items}");
    app.assert_ledger_ok().await;
}

async fn reads_stay_inside_the_tenant(app: &TestApp) {
    let a = app.tenant("clinic-a").await;
    let b = app.tenant("clinic-b").await;
    let ana = patient(app, &a, json!({"firstName": "Ana"})).await;
    let bo = patient(app, &a, json!({"firstName": "Bo"})).await;
    let first = simple(app, &a, &ana, 1000, json!({})).await;
    let paid = simple(app, &a, &ana, 0, json!({})).await;
    let other = simple(app, &a, &bo, 700, json!({})).await;

    let (status, _) = get(app, &b, &format!("/billing/charge/get/{first}")).await;
    assert_eq!(status, 404);
    let (status, body) = get(app, &b, "/billing/charge/get/not-a-uuid").await;
    assert_eq!(status, 404, "{body}");
    let (status, listed) = get(app, &b, "/billing/charge/list").await;
    assert_eq!((status, listed), (200, json!([])));
    let (status, listed) = get(app, &b, &format!("/billing/charge/list?patient_id={ana}")).await;
    assert_eq!((status, listed), (200, json!([])));
    assert!(found(app, &b, "").await.is_empty());
    assert!(found(app, &b, &format!("id={first}")).await.is_empty());

    // In its own tenant: newest first, filtered by patient and status.
    let (status, listed) = get(app, &a, "/billing/charge/list").await;
    assert_eq!(status, 200, "{listed}");
    let ids: Vec<String> = listed.as_array().into_iter().flatten().map(id_of).collect();
    assert_eq!(ids, vec![other.clone(), paid.clone(), first.clone()]);
    let (_, listed) = get(
        app,
        &a,
        &format!("/billing/charge/list?patient_id={ana}&status=OUTSTANDING"),
    )
    .await;
    let ids: Vec<String> = listed.as_array().into_iter().flatten().map(id_of).collect();
    assert_eq!(ids, vec![first.clone()]);
    let (_, listed) = get(app, &a, "/billing/charge/list?status=PAID").await;
    let ids: Vec<String> = listed.as_array().into_iter().flatten().map(id_of).collect();
    assert_eq!(ids, vec![paid]);
    let (status, error) = get(app, &a, "/billing/charge/list?status=OPEN").await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(error["detail"][0]["loc"], json!(["query", "status"]));
    let (status, detail) = get(
        app,
        &a,
        &format!("/billing/charge/get/{}", first.to_uppercase()),
    )
    .await;
    assert_eq!((status, id_of(&detail)), (200, first));
    app.assert_ledger_ok().await;
}

fn utc_date(at: OffsetDateTime, offset_hours: i8) -> String {
    let offset = UtcOffset::from_hms(offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset).date().to_string()
}

async fn every_table_filter_narrows_to_the_right_charges(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(
        app,
        &tenant,
        json!({"firstName": "Ana", "lastName": "Lopez", "externalId": "p-ana"}),
    )
    .await;
    let bo = patient(
        app,
        &tenant,
        json!({"firstName": "Bo", "lastName": "Chen", "externalId": "p-bo"}),
    )
    .await;
    let before = OffsetDateTime::now_utc();
    let c1 = simple(
        app,
        &tenant,
        &ana,
        1000,
        json!({"description": "BOTOX visit", "locationId": "loc-1", "externalId": "c-1"}),
    )
    .await;
    let c2 = simple(
        app,
        &tenant,
        &ana,
        5000,
        json!({"totalOutstanding": 0, "status": "PAID"}),
    )
    .await;
    let c3 = simple(
        app,
        &tenant,
        &bo,
        3000,
        json!({"totalOutstanding": 2000, "description": "Filler 50%", "locationId": "loc-2"}),
    )
    .await;
    let c4 = simple(app, &tenant, &bo, 8000, json!({"status": "WRITE_OFF"})).await;
    let c5 = simple(app, &tenant, &bo, 2500, json!({"locationId": "loc-3"})).await;
    // 500 of c3 paid now, from Bo's credit: c3 owes 1500.
    post(
        app,
        &tenant,
        &format!("/user/patient/{bo}/credit"),
        json!({"amount": 500}),
    )
    .await;
    post(
        app,
        &tenant,
        "/billing/payment-terminal/charge/create-patient-credit-settled?amount=500",
        json!([{"id": c3, "patientId": bo, "totalOutstanding": 0}]),
    )
    .await;
    let after = OffsetDateTime::now_utc();
    let all = set(&[&c1, &c2, &c3, &c4, &c5]);

    let cases: Vec<(String, HashSet<String>)> = vec![
        (String::new(), all.clone()),
        (format!("id={c3}"), set(&[&c3])),
        ("id=not-a-uuid".into(), HashSet::new()),
        (format!("patient_id={ana}"), set(&[&c1, &c2])),
        ("name=lop".into(), set(&[&c1, &c2])),
        ("name=ANA".into(), set(&[&c1, &c2])),
        ("name=bo%20chen".into(), set(&[&c3, &c4, &c5])),
        ("name=zed".into(), HashSet::new()),
        ("total=2500&total=5000".into(), set(&[&c2, &c3, &c5])),
        ("total=5000".into(), set(&[&c2, &c4])),
        (
            "total_outstanding=1&total_outstanding=1500".into(),
            set(&[&c1, &c3]),
        ),
        ("total_outstanding=2500".into(), set(&[&c5])),
        (
            "total_outstanding=0&total_outstanding=0".into(),
            set(&[&c2, &c4]),
        ),
        ("description=botox".into(), set(&[&c1])),
        ("description=50%25".into(), set(&[&c3])),
        (
            "status=OUTSTANDING&status=PAID".into(),
            set(&[&c1, &c2, &c3, &c5]),
        ),
        ("status=WRITE_OFF".into(), set(&[&c4])),
        ("status=CHARGEBACK".into(), HashSet::new()),
        ("charge_external_id=c-1".into(), set(&[&c1])),
        ("patient_external_id=p-bo".into(), set(&[&c3, &c4, &c5])),
        ("location_id=loc-1".into(), set(&[&c1])),
        (
            "location_ids=loc-1&location_ids=loc-2".into(),
            set(&[&c1, &c3]),
        ),
        (
            format!("patient_id={bo}&status=OUTSTANDING"),
            set(&[&c3, &c5]),
        ),
        (format!("created_date={}", utc_date(before, 0)), {
            // Unless the test straddled midnight UTC, every charge is from that day.
            if utc_date(before, 0) == utc_date(after, 0) {
                all.clone()
            } else {
                found(
                    app,
                    &tenant,
                    &format!("created_date={}", utc_date(before, 0)),
                )
                .await
            }
        }),
        ("created_date=2001-01-01".into(), HashSet::new()),
        (
            format!(
                "created_date={}&created_date={}",
                (before - Duration::seconds(1))
                    .format(&Rfc3339)
                    .unwrap_or_default(),
                (after + Duration::seconds(1))
                    .format(&Rfc3339)
                    .unwrap_or_default()
            )
            .replace('+', "%2B"),
            all.clone(),
        ),
        (
            format!(
                "created_date={}&created_date={}",
                (before - Duration::hours(2))
                    .format(&Rfc3339)
                    .unwrap_or_default(),
                (before - Duration::hours(1))
                    .format(&Rfc3339)
                    .unwrap_or_default()
            ),
            HashSet::new(),
        ),
        (format!("payment_date={}", utc_date(after, 0)), set(&[&c3])),
        ("payment_date=2001-01-01".into(), HashSet::new()),
        (
            format!("payment_date={}&status=PAID", utc_date(after, 0)),
            HashSet::new(),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(found(app, &tenant, &query).await, expected, "{query}");
    }

    // A day is read in `tz`: "today" at UTC+14 and at UTC−12 are different days, and a
    // charge made now falls in the day its local date names.
    if utc_date(before, 14) == utc_date(after, 14) && utc_date(before, -12) == utc_date(after, -12)
    {
        for (zone, hours) in [
            ("Pacific/Kiritimati", 14),
            ("Etc/GMT%2B12", -12),
            ("%2B14:00", 14),
        ] {
            let today = utc_date(after, hours);
            assert_eq!(
                found(app, &tenant, &format!("created_date={today}&tz={zone}")).await,
                all,
                "{zone}"
            );
            let other = utc_date(after, -hours);
            assert!(
                found(app, &tenant, &format!("created_date={other}&tz={zone}"))
                    .await
                    .is_empty(),
                "{zone} {other}"
            );
        }
    }
    // The creator: a string that names no provider renders as null.
    let (_, _, _, _, page) = table(app, &tenant, &format!("id={c1}")).await;
    assert!(page["data"][0]["creator"].is_null(), "{page}");
    assert_eq!(page["data"][0]["patient"]["externalId"], "p-ana");
    app.assert_ledger_ok().await;
}

/// The sort key of a row as a comparable JSON value (`null` sorts last either way).
fn key_of(row: &Value, sort: &str) -> Value {
    match sort {
        "created_date" => json!(id_of(row)),
        "total" => row["total"].clone(),
        "total_outstanding" => row["totalOutstanding"].clone(),
        "external_created_date" => row["externalCreatedDate"].clone(),
        "status" => row["status"].clone(),
        _ => row["description"].clone(),
    }
}

fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            a.as_i64().unwrap_or(0).cmp(&b.as_i64().unwrap_or(0))
        }
        (Value::String(a), Value::String(b)) => a.cmp(b),
        _ => std::cmp::Ordering::Equal,
    }
}

async fn table_sorts_order_by_their_key_then_id(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(app, &tenant, json!({"firstName": "Ana"})).await;
    // Repeated totals, outstanding amounts, statuses, dates and descriptions, and rows
    // without a date or a description, so ties and nulls are exercised.
    let specs = [
        (3000, 3000, Some("2024-03-01T00:00:00Z"), Some("b")),
        (1000, 0, None, Some("a")),
        (3000, 1000, Some("2024-01-01T00:00:00Z"), None),
        (2000, 2000, Some("2024-03-01T00:00:00Z"), Some("b")),
        (1000, 1000, None, None),
        (3000, 0, Some("2024-02-01T12:30:00.5Z"), Some("c")),
    ];
    for (total, outstanding, date, description) in specs {
        simple(
            app,
            &tenant,
            &ana,
            total,
            json!({"totalOutstanding": outstanding, "externalCreatedDate": date, "description": description}),
        )
        .await;
    }
    for sort in [
        "created_date",
        "total",
        "total_outstanding",
        "external_created_date",
        "status",
        "description",
    ] {
        for direction in ["asc", "desc"] {
            let query = format!("sort_by={sort}&sort_direction={direction}&per_page=100");
            let (status, ids, total, _, page) = table(app, &tenant, &query).await;
            assert_eq!((status, total, ids.len()), (200, 6, 6), "{query}: {page}");
            let rows = page["data"].as_array().cloned().unwrap_or_default();
            for pair in rows.windows(2) {
                let (a, b) = (key_of(&pair[0], sort), key_of(&pair[1], sort));
                let ordering = match (a.is_null(), b.is_null()) {
                    (true, false) => panic!("{query}: a row without {sort} before one with it"),
                    (false, true) | (true, true) => continue,
                    (false, false) => compare(&a, &b),
                };
                let ordering = if direction == "desc" {
                    ordering.reverse()
                } else {
                    ordering
                };
                let ids = id_of(&pair[0]).cmp(&id_of(&pair[1]));
                let ids = if direction == "desc" {
                    ids.reverse()
                } else {
                    ids
                };
                assert!(
                    ordering.is_lt() || (ordering.is_eq() && ids.is_lt()),
                    "{query}: {a} then {b}"
                );
            }
        }
    }
    // Default: newest first.
    let (_, default, _, _, _) = table(app, &tenant, "").await;
    let (_, newest, _, _, _) =
        table(app, &tenant, "sort_by=created_date&sort_direction=desc").await;
    assert_eq!(default, newest);
    app.assert_ledger_ok().await;
}

async fn table_pages_never_skip_or_repeat_while_charges_are_created(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(app, &tenant, json!({"firstName": "Ana"})).await;
    let mut original = HashSet::new();
    for index in 0..7 {
        // Two groups of equal totals: ties are broken by id on every page.
        original.insert(simple(app, &tenant, &ana, 1000 + (index % 2) * 500, json!({})).await);
    }
    for (sort, direction) in [
        ("created_date", "desc"),
        ("total", "asc"),
        ("total", "desc"),
        ("description", "asc"),
    ] {
        // Every charge that exists when the first page is read (earlier rounds added some).
        let existing = found(app, &tenant, "").await;
        let count = existing.len() as i64;
        let base = format!("sort_by={sort}&sort_direction={direction}&per_page=3");
        let (status, first, total, snapshot, _) =
            table(app, &tenant, &format!("{base}&page=1")).await;
        assert_eq!((status, total, first.len()), (200, count, 3), "{base}");
        let snapshot = snapshot.expect("a snapshot header");
        let mut seen: Vec<String> = first;
        for page in 2.. {
            // Someone creates charges between page fetches.
            simple(app, &tenant, &ana, 1000, json!({})).await;
            let (status, ids, total, echoed, body) = table(
                app,
                &tenant,
                &format!("{base}&page={page}&snapshot={snapshot}"),
            )
            .await;
            assert_eq!((status, total), (200, count), "{base} page {page}: {body}");
            assert_eq!(echoed.as_deref(), Some(snapshot.as_str()));
            if ids.is_empty() {
                break;
            }
            seen.extend(ids);
        }
        let unique: HashSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "{base}: a charge repeated");
        assert_eq!(unique, existing, "{base}: a charge skipped");
        assert!(original.is_subset(&unique));
    }
    // Oldest first without a snapshot, new charges land after the last page.
    let mut seen = Vec::new();
    for page in 1.. {
        let (_, ids, _, _, _) = table(
            app,
            &tenant,
            &format!("sort_by=created_date&sort_direction=asc&per_page=4&page={page}"),
        )
        .await;
        if ids.is_empty() {
            break;
        }
        seen.extend(ids);
        if page == 1 {
            simple(app, &tenant, &ana, 1000, json!({})).await;
        }
    }
    let unique: HashSet<String> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "a charge repeated");
    assert!(original.is_subset(&unique));
    app.assert_ledger_ok().await;
}

async fn bad_table_parameters_are_422s(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    for (query, key) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=two", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("sort_by=patient", "sort_by"),
        ("sort_direction=sideways", "sort_direction"),
        ("status=OPEN", "status"),
        ("total=1&total=2&total=3", "total"),
        ("total_outstanding=x", "total_outstanding"),
        ("created_date=last-week", "created_date"),
        (
            "payment_date=2024-01-03&payment_date=2024-01-01",
            "payment_date",
        ),
        ("tz=Mars/Olympus", "tz"),
        ("snapshot=yesterday", "snapshot"),
    ] {
        let (status, _, _, _, error) = table(app, &tenant, query).await;
        assert_eq!(status, 422, "{query}: {error}");
        assert_eq!(
            error["detail"][0]["loc"],
            json!(["query", key]),
            "{query}: {error}"
        );
    }
    let (status, _, total, _, page) = table(app, &tenant, "page=5&per_page=100").await;
    assert_eq!((status, total), (200, 0), "{page}");
    assert_eq!(page["data"], json!([]));
}

async fn tips_in_a_create_body_come_on_top_of_its_totals(app: &TestApp) {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(app, &tenant, json!({"firstName": "Ana"})).await;
    let nurse = post(
        app,
        &tenant,
        "/v1/provider/create",
        json!({"firstName": "Rosa", "roles": []}),
    )
    .await;
    let body = |tip: Value, external_id: &str| {
        json!({"patientId": ana, "totalOutstanding": 10000, "externalId": external_id,
               "items": [{"name": "Facial", "price": 10000, "quantity": 1}], "tips": [tip]})
    };
    // 10000 of items, 1500 of tip: the charge totals and owes 11500.
    let created = charge(
        app,
        &tenant,
        body(
            json!({"providerId": id_of(&nurse), "amount": 1500}),
            "tipped",
        ),
    )
    .await;
    assert_eq!(
        (&created["total"], &created["totalOutstanding"]),
        (&json!(11500), &json!(11500)),
        "{created}"
    );
    assert_eq!(created["tips"][0]["amount"], 1500);
    assert_eq!(created["tips"][0]["providerId"], id_of(&nurse).as_str());
    assert_eq!(created["tips"][0]["chargeId"], created["id"]);

    let (status, error) = decoda(
        app,
        &tenant,
        Method::POST,
        CREATE,
        Some(body(
            json!({"providerId": id_of(&nurse), "amount": 0}),
            "zero",
        )),
    )
    .await;
    assert_eq!(status, 422, "{error}");
    assert_eq!(
        error["detail"][0]["loc"],
        json!(["body", "tips", 0, "amount"])
    );
    let (status, _) = decoda(
        app,
        &tenant,
        Method::POST,
        CREATE,
        Some(body(
            json!({"providerId": "0190d7a4-0000-7000-8000-000000000000", "amount": 100}),
            "nobody",
        )),
    )
    .await;
    assert_eq!(status, 404);
    for refused in ["zero", "nobody"] {
        let (status, _) = get(
            app,
            &tenant,
            &format!("/v1/charge/get_by_external_id/{refused}"),
        )
        .await;
        assert_eq!(status, 404, "a refused create wrote its charge");
    }
    app.assert_ledger_ok().await;
}
