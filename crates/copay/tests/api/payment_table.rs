//! The Gen-2 payment table (`GET /billing/payment/table`): cash, check, custom-medium and
//! credit payments across two patients and two locations, with refunds and a delete; every
//! filter, every sort in both directions, totals, paging that stays stable while payments
//! are added, rows rendered with refunds, creators and items, bad parameters, and another
//! tenant. The ledger check runs after each scenario.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::harness::{Tenant, TestApp, decoda};
use crate::payments::{cash, delete, id_of, refund};
use crate::settlement::{by_id, post, settle};

crate::both_backends!(
    every_filter_finds_the_right_payments,
    rows_show_patient_refunds_creator_and_items,
    sorts_order_by_their_key_then_id,
    pages_never_skip_or_repeat_while_payments_are_made,
    bad_parameters_are_422s_and_tenants_stay_apart,
);

const TABLE: &str = "/billing/payment/table";
const CREATE: &str = "/billing/payment-terminal/charge/create";

/// The table page for `query`: its status, the ids of its rows, its `total`, its snapshot
/// header and the body.
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
    let ids = body["items"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(id_of)
        .collect();
    let total = body["items"]["total"].as_i64().unwrap_or(-1);
    (status, ids, total, snapshot, body)
}

/// The ids a filter finds (all on one page), checking `total` counts them.
async fn found(app: &TestApp, tenant: &Tenant, query: &str) -> HashSet<String> {
    let (status, ids, total, _, body) = table(app, tenant, &format!("{query}&per_page=100")).await;
    assert_eq!(status, 200, "{query}: {body}");
    assert_eq!(total, ids.len() as i64, "{query}: total counts the matches");
    assert_eq!(body["hasInsurancePayments"], false, "{query}");
    ids.into_iter().collect()
}

fn set(ids: &[&String]) -> HashSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

async fn patient(app: &TestApp, tenant: &Tenant, body: Value) -> String {
    id_of(&post(app, tenant, "/user/patient/create", body).await)
}

async fn provider(app: &TestApp, tenant: &Tenant, first: &str, last: &str) -> String {
    let body = json!({"firstName": first, "lastName": last, "email": format!("{first}@example.invalid"),
                      "roles": ["PROVIDER"]});
    id_of(&post(app, tenant, "/v1/provider/create", body).await)
}

/// A Gen-2 charge of `total` (no lines unless `extra` has `items`).
async fn charge(app: &TestApp, tenant: &Tenant, patient: &str, total: i64, extra: Value) -> String {
    let mut body = json!({"patientId": patient, "total": total, "totalOutstanding": total});
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    id_of(&post(app, tenant, CREATE, body).await)
}

/// Pays all of `charge` (owing `amount`) in `medium`, outside copay.
async fn pay(app: &TestApp, tenant: &Tenant, charge: &str, medium: &str, amount: i64) -> String {
    let (status, payment) = cash(
        app,
        tenant,
        &format!("payment_medium={medium}&amount={amount}"),
        by_id(&[charge]),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    id_of(&payment)
}

/// The payments of one clinic, as the scenarios use them.
struct Scene {
    tenant: Tenant,
    ana: String,
    bo: String,
    rhea: String,
    milo: String,
    /// Cash 1000, Ana, loc-1, by Rhea, comment "Front desk", two lines.
    p1: String,
    /// Check 3000, Bo, loc-2, by Milo; refunded 1000 by Rhea and 500 by Milo.
    p2: String,
    /// Patient credit 500, Bo, loc-1, no creator.
    p3: String,
    /// VENMO 700, Ana, loc-2, deleted (CANCELED).
    p4: String,
    c1: String,
}

async fn scene(app: &TestApp) -> Scene {
    let tenant = app.tenant("clinic-a").await;
    let ana = patient(
        app,
        &tenant,
        json!({"firstName": "Ana", "lastName": "Lopez", "externalId": "p-ana",
               "email": "ana@example.invalid", "phoneNumber": "+15550100"}),
    )
    .await;
    let bo = patient(
        app,
        &tenant,
        json!({"firstName": "Bo", "lastName": "Chen", "externalId": "p-bo"}),
    )
    .await;
    let rhea = provider(app, &tenant, "Rhea", "Patel").await;
    let milo = provider(app, &tenant, "Milo", "Stone").await;
    let botox = id_of(
        &post(
            app,
            &tenant,
            "/v1/item/create",
            json!({"name": "Botox", "price": 400, "description": "per unit", "unit": "UNITS"}),
        )
        .await,
    );
    let c1 = charge(
        app,
        &tenant,
        &ana,
        1000,
        json!({"locationId": "loc-1", "creatorId": rhea, "comment": "Front desk",
               "items": [{"itemId": botox, "quantity": 2, "price": 400},
                         {"name": "Consult", "quantity": 1, "price": 200}]}),
    )
    .await;
    let p1 = pay(app, &tenant, &c1, "CASH", 1000).await;
    let c2 = charge(
        app,
        &tenant,
        &bo,
        3000,
        json!({"locationId": "loc-2", "creatorId": milo.to_uppercase()}),
    )
    .await;
    let p2 = pay(app, &tenant, &c2, "CHECK", 3000).await;
    let c3 = charge(app, &tenant, &bo, 500, json!({"locationId": "loc-1"})).await;
    post(
        app,
        &tenant,
        &format!("/user/patient/{bo}/credit"),
        json!({"amount": 500}),
    )
    .await;
    let (status, credit) = settle(app, &tenant, "amount=500", by_id(&[&c3])).await;
    assert_eq!(status, 200, "{credit}");
    let p3 = id_of(&credit);
    let c4 = charge(app, &tenant, &ana, 700, json!({"locationId": "loc-2"})).await;
    let p4 = pay(app, &tenant, &c4, "VENMO", 700).await;
    let (status, deleted) = delete(app, &tenant, &format!("/billing/payment/{p4}")).await;
    assert_eq!(status, 200, "{deleted}");
    for (provider, amount) in [(&rhea, 1000), (&milo, 500)] {
        let (status, refunded) = refund(app, &tenant, &p2, provider, amount).await;
        assert_eq!(status, 200, "{refunded}");
    }
    Scene {
        tenant,
        ana,
        bo,
        rhea,
        milo,
        p1,
        p2,
        p3,
        p4,
        c1,
    }
}

fn utc_date(at: OffsetDateTime, offset_hours: i8) -> String {
    let offset = UtcOffset::from_hms(offset_hours, 0, 0).unwrap_or(UtcOffset::UTC);
    at.to_offset(offset).date().to_string()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default().replace('+', "%2B")
}

async fn every_filter_finds_the_right_payments(app: &TestApp) {
    let before = OffsetDateTime::now_utc();
    let s = scene(app).await;
    let after = OffsetDateTime::now_utc();
    let tenant = &s.tenant;
    let (p1, p2, p3, p4) = (&s.p1, &s.p2, &s.p3, &s.p4);
    let all = set(&[p1, p2, p3, p4]);
    let none = HashSet::new();
    let cases: Vec<(String, HashSet<String>)> = vec![
        (String::new(), all.clone()),
        (format!("id={p2}"), set(&[p2])),
        ("id=not-a-uuid".into(), none.clone()),
        (format!("patient_id={}", s.ana), set(&[p1, p4])),
        ("patient_id=nope".into(), none.clone()),
        ("external_patient_id=p-bo".into(), set(&[p2, p3])),
        ("external_patient_id=p-zed".into(), none.clone()),
        ("payer=lop".into(), set(&[p1, p4])),
        ("payer=ANA".into(), set(&[p1, p4])),
        ("payer=bo%20chen".into(), set(&[p2, p3])),
        ("payer=zed".into(), none.clone()),
        ("payer_type=PATIENT".into(), all.clone()),
        ("payer_type=INSURANCE".into(), none.clone()),
        ("amount=700&amount=1000".into(), set(&[p1, p4])),
        ("amount=1000".into(), set(&[p1, p2])),
        ("amount=0&amount=500".into(), set(&[p3])),
        ("last4=4242".into(), none.clone()),
        ("tags=vip".into(), none.clone()),
        ("merchant_account_ids=m-1".into(), none.clone()),
        ("comment=FRONT".into(), set(&[p1])),
        ("comment=back".into(), none.clone()),
        (
            "payment_mediums=CASH&payment_mediums=CHECK".into(),
            set(&[p1, p2]),
        ),
        ("payment_mediums=VENMO".into(), set(&[p4])),
        ("payment_mediums=POS".into(), none.clone()),
        ("status=CANCELED".into(), set(&[p4])),
        ("status=SUCCEEDED".into(), set(&[p1, p2, p3])),
        ("status=SUCCEEDED&status=CANCELED".into(), all.clone()),
        ("status=FAILED".into(), none.clone()),
        ("type=CARD".into(), none.clone()),
        ("type=EXTERNAL_SETTLEMENT".into(), set(&[p1, p2, p4])),
        ("type=PATIENT_CREDIT".into(), set(&[p3])),
        ("location_id=loc-1".into(), set(&[p1, p3])),
        ("location_id=loc-9".into(), none.clone()),
        (
            "location_ids=loc-1&location_ids=loc-2".into(),
            set(&[p1, p2, p3, p4]),
        ),
        ("location_ids=loc-2".into(), set(&[p2, p4])),
        (format!("creator_id={}", s.rhea), set(&[p1])),
        // Ids are compared in canonical form, however they were written.
        (format!("creator_id={}", s.milo.to_uppercase()), set(&[p2])),
        ("creator_id=someone".into(), none.clone()),
        ("creator_name=stone".into(), set(&[p2])),
        ("creator_name=RHEA%20patel".into(), set(&[p1])),
        ("creator_name=zed".into(), none.clone()),
        // Rhea created p1 and refunded p2; Milo created and refunded p2.
        (format!("provider_id={}", s.rhea), set(&[p1, p2])),
        (format!("provider_id={}", s.milo), set(&[p2])),
        (
            format!("patient_id={}&type=PATIENT_CREDIT", s.bo),
            set(&[p3]),
        ),
        (
            format!("patient_id={}&status=SUCCEEDED&location_id=loc-2", s.ana),
            none.clone(),
        ),
        ("created_date=2001-01-01".into(), none.clone()),
        (
            format!(
                "created_date={}&created_date={}",
                rfc3339(before - Duration::seconds(1)),
                rfc3339(after + Duration::seconds(1))
            ),
            all.clone(),
        ),
        (
            format!(
                "created_date={}&created_date={}",
                rfc3339(before - Duration::hours(2)),
                rfc3339(before - Duration::hours(1))
            ),
            none.clone(),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(found(app, tenant, &query).await, expected, "{query}");
    }
    // A day is read in `tz`, unless the test straddled that zone's midnight.
    for (zone, hours) in [
        ("UTC", 0),
        ("Pacific/Kiritimati", 14),
        ("Etc/GMT%2B12", -12),
    ] {
        if utc_date(before, hours) != utc_date(after, hours) {
            continue;
        }
        let local_today = utc_date(after, hours);
        assert_eq!(
            found(
                app,
                tenant,
                &format!("created_date={local_today}&tz={zone}")
            )
            .await,
            all,
            "{zone}"
        );
        if hours != 0 {
            let other = utc_date(after, -hours);
            assert_eq!(
                found(app, tenant, &format!("created_date={other}&tz={zone}")).await,
                none,
                "{zone} {other}"
            );
        }
    }
    app.assert_ledger_ok().await;
}

async fn rows_show_patient_refunds_creator_and_items(app: &TestApp) {
    let s = scene(app).await;
    let row = |body: &Value| body["items"]["data"][0].clone();

    let (_, _, _, _, page) = table(app, &s.tenant, &format!("id={}", s.p1)).await;
    let p1 = row(&page);
    for (field, expected) in [
        ("firstName", json!("Ana")),
        ("lastName", json!("Lopez")),
        ("patientId", json!(s.ana)),
        ("externalPatientId", json!("p-ana")),
        ("email", json!("ana@example.invalid")),
        ("phoneNumber", json!("+15550100")),
        ("comment", json!("Front desk")),
        ("amount", json!(1000)),
        ("currency", json!("USD")),
        ("status", json!("SUCCEEDED")),
        ("paymentMedium", json!("CASH")),
        ("fee", json!(0)),
        ("feeToPatient", json!(0)),
        ("paymentMethod", Value::Null),
        ("refunds", json!([])),
        ("isPaymentPlan", json!(false)),
        ("isInsurancePayment", json!(false)),
        ("locationId", json!("loc-1")),
    ] {
        assert_eq!(p1[field], expected, "{field}: {p1}");
    }
    assert_eq!(p1["creator"]["id"], json!(s.rhea), "{p1}");
    assert_eq!(p1["creator"]["firstName"], "Rhea");
    assert_eq!(p1["creator"]["type"], "PROVIDER");
    // The lines of the charge it paid: the catalogue item by its name, then the line's own.
    assert_eq!(
        p1["items"],
        json!([
            {"itemName": "Botox", "description": "per unit", "chargeId": s.c1, "discountReason": null,
             "discountAmount": 0, "discountPercentage": 0.0, "quantity": 2, "unit": "UNITS",
             "pricePerItem": 400, "taxAmount": 0, "itemType": "PRODUCT"},
            {"itemName": "Consult", "description": null, "chargeId": s.c1, "discountReason": null,
             "discountAmount": 0, "discountPercentage": 0.0, "quantity": 1, "unit": null,
             "pricePerItem": 200, "taxAmount": 0, "itemType": null},
        ]),
        "{p1}"
    );

    // p2: two refunds, oldest first, each with its giver; the creator written in upper case
    // is still the provider.
    let (_, _, _, _, page) = table(app, &s.tenant, &format!("id={}", s.p2)).await;
    let p2 = row(&page);
    assert_eq!(p2["creator"]["id"], json!(s.milo), "{p2}");
    assert_eq!(p2["creator"]["lastName"], "Stone");
    assert_eq!(p2["items"], json!([]), "a charge without lines");
    let refunds = p2["refunds"].as_array().cloned().unwrap_or_default();
    assert_eq!(refunds.len(), 2, "{p2}");
    for (refund, (amount, giver)) in refunds.iter().zip([(1000, &s.rhea), (500, &s.milo)]) {
        assert_eq!(refund["amount"], amount, "{refund}");
        assert_eq!(refund["reason"], "OTHER");
        assert_eq!(refund["status"], "SUCCEEDED");
        assert_eq!(refund["description"], "returned");
        assert_eq!(refund["creator"]["id"], json!(giver), "{refund}");
        assert!(
            refund["createdDate"]
                .as_str()
                .is_some_and(|d| d.ends_with('Z'))
        );
    }
    // The payment keeps its amount; refunds do not change it.
    assert_eq!(p2["amount"], 3000);
    assert_eq!(p2["status"], "SUCCEEDED");

    // The credit payment: no creator, no location given by its charge beyond loc-1.
    let (_, _, _, _, page) = table(app, &s.tenant, &format!("id={}", s.p3)).await;
    let p3 = row(&page);
    assert_eq!(p3["paymentMedium"], "PATIENT_CREDIT", "{p3}");
    assert_eq!(p3["creator"], Value::Null);
    assert_eq!(p3["comment"], Value::Null);
    assert_eq!(p3["email"], Value::Null);

    // The deleted payment is shown, CANCELED.
    let (_, _, _, _, page) = table(app, &s.tenant, &format!("id={}", s.p4)).await;
    let p4 = row(&page);
    assert_eq!(p4["status"], "CANCELED", "{p4}");
    assert_eq!(p4["paymentMedium"], "VENMO");
    assert_eq!(p4["amount"], 700);
    app.assert_ledger_ok().await;
}

/// The sort key of a row as a comparable JSON value.
fn key_of(row: &Value, sort: &str) -> Value {
    match sort {
        "created_date" => json!(id_of(row)),
        "amount" => row["amount"].clone(),
        "status" => row["status"].clone(),
        "payment_medium" => row["paymentMedium"].clone(),
        _ => json!(
            format!(
                "{} {}",
                row["firstName"].as_str().unwrap_or(""),
                row["lastName"].as_str().unwrap_or("")
            )
            .to_lowercase()
        ),
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

async fn sorts_order_by_their_key_then_id(app: &TestApp) {
    let s = scene(app).await;
    // More payments with repeated amounts, mediums and payers, so ties are exercised.
    for (patient, medium, amount) in [
        (&s.ana, "CASH", 1000),
        (&s.bo, "CHECK", 700),
        (&s.ana, "CASH", 700),
    ] {
        let charge = charge(app, &s.tenant, patient, amount, json!({})).await;
        pay(app, &s.tenant, &charge, medium, amount).await;
    }
    for sort in [
        "created_date",
        "amount",
        "status",
        "payment_medium",
        "patient_name",
    ] {
        for direction in ["asc", "desc"] {
            let query = format!("sort_by={sort}&sort_direction={direction}&per_page=100");
            let (status, ids, total, _, page) = table(app, &s.tenant, &query).await;
            assert_eq!((status, total, ids.len()), (200, 7, 7), "{query}: {page}");
            let rows = page["items"]["data"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let distinct_keys: HashSet<String> = rows
                .iter()
                .map(|row| key_of(row, sort).to_string())
                .collect();
            for pair in rows.windows(2) {
                let (a, b) = (key_of(&pair[0], sort), key_of(&pair[1], sort));
                let ordering = compare(&a, &b);
                let ids = id_of(&pair[0]).cmp(&id_of(&pair[1]));
                let (ordering, ids) = if direction == "desc" {
                    (ordering.reverse(), ids.reverse())
                } else {
                    (ordering, ids)
                };
                assert!(
                    ordering.is_lt() || (ordering.is_eq() && ids.is_lt()),
                    "{query}: {a} then {b}"
                );
            }
            assert!(
                distinct_keys.len() > 1,
                "{query}: a sort that sorts nothing"
            );
        }
    }
    // Default: newest first.
    let (_, default, _, _, _) = table(app, &s.tenant, "").await;
    let (_, newest, _, _, _) =
        table(app, &s.tenant, "sort_by=created_date&sort_direction=desc").await;
    assert_eq!(default, newest);
    let mut sorted = default.clone();
    sorted.sort();
    sorted.reverse();
    assert_eq!(default, sorted);
    app.assert_ledger_ok().await;
}

async fn pages_never_skip_or_repeat_while_payments_are_made(app: &TestApp) {
    let s = scene(app).await;
    let mut original: HashSet<String> = found(app, &s.tenant, "").await;
    for index in 0..5 {
        let amount = 1000 + (index % 2) * 500;
        let charge = charge(app, &s.tenant, &s.ana, amount, json!({})).await;
        original.insert(pay(app, &s.tenant, &charge, "CASH", amount).await);
    }
    for (sort, direction) in [
        ("created_date", "desc"),
        ("amount", "asc"),
        ("amount", "desc"),
        ("patient_name", "asc"),
    ] {
        // Every payment that exists when the first page is read (earlier rounds added some).
        let existing = found(app, &s.tenant, "").await;
        let count = existing.len() as i64;
        let base = format!("sort_by={sort}&sort_direction={direction}&per_page=3");
        let (status, first, total, snapshot, _) =
            table(app, &s.tenant, &format!("{base}&page=1")).await;
        assert_eq!((status, total, first.len()), (200, count, 3), "{base}");
        let snapshot = snapshot.expect("a snapshot header");
        let mut seen: Vec<String> = first;
        for page in 2.. {
            // Someone takes a payment between page fetches.
            let charge = charge(app, &s.tenant, &s.bo, 1000, json!({})).await;
            pay(app, &s.tenant, &charge, "CASH", 1000).await;
            let (status, ids, total, echoed, body) = table(
                app,
                &s.tenant,
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
        assert_eq!(unique.len(), seen.len(), "{base}: a payment repeated");
        assert_eq!(unique, existing, "{base}: a payment skipped");
        assert!(original.is_subset(&unique));
    }
    // Without a snapshot, a page past the end is empty and the total counts everything.
    let (status, ids, total, _, _) = table(app, &s.tenant, "page=99&per_page=100").await;
    assert_eq!(status, 200);
    assert!(ids.is_empty());
    assert_eq!(total, found(app, &s.tenant, "").await.len() as i64);
    app.assert_ledger_ok().await;
}

async fn bad_parameters_are_422s_and_tenants_stay_apart(app: &TestApp) {
    let s = scene(app).await;
    for (query, key) in [
        ("page=0", "page"),
        ("page=two", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("sort_by=total", "sort_by"),
        ("sort_direction=sideways", "sort_direction"),
        ("status=PAID", "status"),
        ("status=SUCCEEDED&status=LOST", "status"),
        ("payer_type=EMPLOYER", "payer_type"),
        ("type=ACH", "type"),
        ("amount=5&amount=1", "amount"),
        ("amount=1&amount=2&amount=3", "amount"),
        ("amount=ten", "amount"),
        ("created_date=last-week", "created_date"),
        (
            "created_date=2024-01-03&created_date=2024-01-01",
            "created_date",
        ),
        ("tz=Mars/Olympus", "tz"),
        ("snapshot=yesterday", "snapshot"),
    ] {
        let (status, _, _, _, error) = table(app, &s.tenant, query).await;
        assert_eq!(status, 422, "{query}: {error}");
        assert_eq!(
            error["detail"][0]["loc"],
            json!(["query", key]),
            "{query}: {error}"
        );
    }

    // Another clinic sees only its own payment, and none of the first clinic's.
    let other = app.tenant("clinic-b").await;
    let (_, empty, total, _, _) = table(app, &other, "").await;
    assert_eq!((empty.len(), total), (0, 0));
    let zoe = patient(app, &other, json!({"firstName": "Zoe"})).await;
    let charge = charge(app, &other, &zoe, 900, json!({"locationId": "loc-1"})).await;
    let own = pay(app, &other, &charge, "CASH", 900).await;
    assert_eq!(found(app, &other, "").await, set(&[&own]));
    for query in [
        format!("id={}", s.p1),
        format!("patient_id={}", s.ana),
        "payer=ana".into(),
        format!("provider_id={}", s.rhea),
        "creator_name=rhea".into(),
    ] {
        assert!(found(app, &other, &query).await.is_empty(), "{query}");
    }
    assert_eq!(found(app, &s.tenant, "").await.len(), 4);
    assert!(!found(app, &s.tenant, "").await.contains(&own));
    // Clinic B's key naming clinic A reads nothing.
    let (status, _) = decoda(
        app,
        &Tenant {
            api_key: other.api_key.clone(),
            ..s.tenant.clone()
        },
        Method::GET,
        TABLE,
        None,
    )
    .await;
    assert_eq!(status, 403);
    app.assert_ledger_ok().await;
}
