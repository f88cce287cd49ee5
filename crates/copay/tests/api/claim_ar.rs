//! Money on claims read back: service-line money on encounters, patient AR's inventory
//! and itemization, computed by hand after each step of a scenario; and `copay verify`
//! naming broken claim money.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::claim_money::claim_for;
use crate::claim_write_offs::{create as create_write_offs, patient_write_off, revert};
use crate::harness::{TestApp, call};

crate::both_backends!(
    line_balances_and_itemization_follow_each_step_by_hand,
    inventory_pages_by_last_change_and_flags_invoiceable_claims,
    itemization_counts_claim_level_money_and_stays_in_its_tenant,
    insurance_money_shows_as_paid_and_comes_off_both_balances,
    verify_names_broken_claim_money,
);

/// One line as the encounter shows it, and as itemization shows it.
#[derive(Debug, PartialEq, Eq)]
struct Line {
    charge: i64,
    insurance_balance: i64,
    patient_balance: i64,
    paid: i64,
    patient_paid: i64,
    patient_adjustments: i64,
    insurance_payments: i64,
    insurance_adjustments: i64,
}

fn line(charge: i64, patient_balance: i64, patient_paid: i64, patient_adjustments: i64) -> Line {
    Line {
        charge,
        insurance_balance: charge,
        patient_balance,
        paid: 0,
        patient_paid,
        patient_adjustments,
        insurance_payments: 0,
        insurance_adjustments: 0,
    }
}

async fn encounter(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, encounter) =
        call(app.candid(Method::GET, &format!("/api/encounters/v4/{id}"), token)).await;
    assert_eq!(status, 200, "{encounter}");
    encounter
}

async fn itemize(app: &TestApp, token: &str, claim_id: &str) -> (u16, Value) {
    call(app.candid(
        Method::GET,
        &format!("/api/patient-ar/v1/invoice-itemization/{claim_id}"),
        token,
    ))
    .await
}

async fn inventory(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    call(app.candid(
        Method::GET,
        &format!("/api/patient-ar/v1/inventory{query}"),
        token,
    ))
    .await
}

/// The lines of the encounter and of the itemization, checked to agree with each other
/// and with the ledger (patient balance = the line's insurance + patient accounts).
async fn lines_now(
    app: &TestApp,
    tenant_id: &str,
    token: &str,
    encounter_id: &str,
    claim_id: &str,
) -> (Vec<Line>, Value) {
    let encounter = encounter(app, token, encounter_id).await;
    let (status, itemized) = itemize(app, token, claim_id).await;
    assert_eq!(status, 200, "{itemized}");
    let shown = encounter["claims"][0]["service_lines"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let items = itemized["service_line_itemization"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(shown.len(), items.len());
    let tenant = Uuid::parse_str(tenant_id).expect("tenant id");
    let mut lines = Vec::new();
    for (shown, item) in shown.iter().zip(&items) {
        let cents = |value: &Value| value.as_i64().unwrap_or(i64::MIN);
        assert_eq!(shown["service_line_id"], item["service_line_id"]);
        assert_eq!(shown["procedure_code"], item["procedure_code"]);
        assert_eq!(shown["date_of_service"], item["date_of_service"]);
        assert_eq!(shown["charge_amount_cents"], item["charge_amount_cents"]);
        assert_eq!(
            shown["patient_balance_cents"],
            item["patient_balance_cents"]
        );
        assert_eq!(
            shown["paid_amount_cents"],
            shown["primary_paid_amount_cents"]
        );
        assert_eq!(
            shown["paid_amount_cents"],
            item["insurance_payments"]["total_payment_cents"]
        );
        for zero in ["copay_cents", "coinsurance_cents", "deductible_cents"] {
            assert_eq!(item[zero], 0);
        }
        assert_eq!(
            item["non_insurance_payments"],
            json!({"total_payment_cents": 0})
        );
        assert_eq!(
            item["non_insurance_adjustments"],
            json!({"total_adjustment_cents": 0})
        );
        // The patient payments' items add up to their total.
        let total = cents(&item["patient_payments"]["total_payment_cents"]);
        let items_sum: i64 = item["patient_payments"]["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|i| cents(&i["amount_cents"]))
            .sum();
        assert_eq!(total, items_sum, "{item}");
        // The ledger agrees: insurance + patient balance accounts of the line.
        let line_id = Uuid::parse_str(shown["service_line_id"].as_str().unwrap_or_default())
            .expect("line id");
        let patient_account: i64 = app
            .store()
            .owner_balances(tenant, "service_line_patient_balance", &[line_id])
            .await
            .expect("balances")
            .iter()
            .map(|(_, balance)| *balance)
            .sum();
        assert_eq!(
            cents(&shown["insurance_balance_cents"]) + patient_account,
            cents(&shown["patient_balance_cents"]),
            "the formula and the ledger agree"
        );
        lines.push(Line {
            charge: cents(&shown["charge_amount_cents"]),
            insurance_balance: cents(&shown["insurance_balance_cents"]),
            patient_balance: cents(&shown["patient_balance_cents"]),
            paid: cents(&shown["paid_amount_cents"]),
            patient_paid: total,
            patient_adjustments: cents(&item["patient_adjustments"]["total_adjustment_cents"]),
            insurance_payments: cents(&item["insurance_payments"]["total_payment_cents"]),
            insurance_adjustments: cents(&item["insurance_adjustments"]["total_adjustment_cents"]),
        });
    }
    (lines, itemized)
}

fn record_of(page: &Value, claim_id: &str) -> Value {
    page["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .find(|record| record["claim_id"] == claim_id)
        .unwrap_or(Value::Null)
}

async fn line_balances_and_itemization_follow_each_step_by_hand(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, ids) =
        claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let lines = async || lines_now(app, &tenant.tenant_id, &token, &encounter_id, &claim_id).await;
    let stamp = async || {
        let (status, page) = inventory(app, &token, "").await;
        assert_eq!(status, 200, "{page}");
        let record = record_of(&page, &claim_id);
        assert_eq!(record["patient_external_id"], "pat-1");
        assert_eq!(record["encounter_id"], json!(encounter_id));
        let at = time::OffsetDateTime::parse(
            record["timestamp"].as_str().unwrap_or_default(),
            &time::format_description::well_known::Rfc3339,
        )
        .expect("an RFC 3339 timestamp");
        (at, record["patient_ar_status"].clone())
    };

    // 0. The claim: nothing paid; the patient balance is the whole charge.
    let (now, itemized) = lines().await;
    assert_eq!(now, vec![line(10000, 10000, 0, 0), line(5000, 5000, 0, 0)]);
    assert_eq!(itemized["claim_id"], json!(claim_id));
    assert_eq!(itemized["patient_balance_cents"], 15000);
    assert_eq!(
        itemized["claim_level_patient_payments"],
        json!({"total_payment_cents": 0, "items": []})
    );
    let (mut last_change, status) = stamp().await;
    assert_eq!(status, "invoiceable");
    app.assert_ledger_ok().await;

    // 1. The patient pays 2000 on line 1.
    let (status, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&json!({"amount_cents": 2000, "patient_external_id": "pat-1",
                "allocations": [{"amount_cents": 2000, "target": {"type": "service_line_by_id", "value": ids[0]}}]})),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    let (now, itemized) = lines().await;
    assert_eq!(
        now,
        vec![line(10000, 8000, 2000, 0), line(5000, 5000, 0, 0)]
    );
    assert_eq!(
        itemized["service_line_itemization"][0]["patient_payments"]["items"],
        json!([{"source_id": payment["patient_payment_id"], "amount_cents": 2000}])
    );
    assert_eq!(itemized["patient_balance_cents"], 13000);
    let (changed, status) = stamp().await;
    assert!(changed > last_change, "{changed} after {last_change}");
    assert_eq!(status, "invoiceable");
    last_change = changed;
    app.assert_ledger_ok().await;

    // 2. 500 of it goes back to the patient.
    let (status, refund) = call(
        app.candid(Method::POST, "/api/patient-refunds/v1", &token)
            .json(&json!({"amount_cents": 500, "patient_external_id": "pat-1",
                "allocations": [{"amount_cents": 500, "target": {"type": "service_line_by_id", "value": ids[0]}}]})),
    )
    .await;
    assert_eq!(status, 200, "{refund}");
    let (now, itemized) = lines().await;
    assert_eq!(
        now,
        vec![line(10000, 8500, 1500, 0), line(5000, 5000, 0, 0)]
    );
    assert_eq!(
        itemized["service_line_itemization"][0]["patient_payments"],
        json!({"total_payment_cents": 1500, "items": [
            {"source_id": payment["patient_payment_id"], "amount_cents": 2000},
            {"source_id": refund["patient_refund_id"], "amount_cents": -500},
        ]})
    );
    assert_eq!(itemized["patient_balance_cents"], 13500);
    let (changed, _) = stamp().await;
    assert!(changed > last_change);
    last_change = changed;
    app.assert_ledger_ok().await;

    // 3. 1000 of line 1 is written off the patient's balance.
    let (status, created) = create_write_offs(
        app,
        &token,
        json!([patient_write_off(
            &ids[0],
            1000,
            None,
            "2024-06-01T00:00:00Z"
        )]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (now, itemized) = lines().await;
    assert_eq!(
        now,
        vec![line(10000, 7500, 1500, 1000), line(5000, 5000, 0, 0)]
    );
    assert_eq!(itemized["patient_balance_cents"], 12500);
    let (changed, _) = stamp().await;
    assert!(changed > last_change);
    last_change = changed;
    app.assert_ledger_ok().await;

    // 4. The write-off is reverted.
    let write_off = created["write_offs"][0]["write_off_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, reverting) = revert(app, &token, &write_off).await;
    assert_eq!(status, 200, "{reverting}");
    let (now, itemized) = lines().await;
    assert_eq!(
        now,
        vec![line(10000, 8500, 1500, 0), line(5000, 5000, 0, 0)]
    );
    assert_eq!(itemized["patient_balance_cents"], 13500);
    let (changed, status) = stamp().await;
    assert!(changed > last_change);
    assert_eq!(status, "invoiceable");
    app.assert_ledger_ok().await;
}

async fn inventory_pages_by_last_change_and_flags_invoiceable_claims(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, claim_a, lines_a) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let (_, claim_b, _) = claim_for(app, &token, "pat-2", "c-2", &[3000]).await;
    let (_, claim_c, lines_c) = claim_for(app, &token, "pat-3", "c-3", &[700]).await;
    // Claim A is then paid in full by the patient, and claim C written off: both change
    // after B, and neither is invoiceable any more.
    let (status, _) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&json!({"amount_cents": 10000, "patient_external_id": "pat-1",
                "allocations": [{"amount_cents": 10000, "target": {"type": "service_line_by_id", "value": lines_a[0]}}]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = create_write_offs(
        app,
        &token,
        json!([patient_write_off(
            &lines_c[0],
            700,
            None,
            "2024-06-01T00:00:00Z"
        )]),
    )
    .await;
    assert_eq!(status, 200);

    let (status, all) = inventory(app, &token, "").await;
    assert_eq!(status, 200, "{all}");
    let order: Vec<Value> = all["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|record| record["claim_id"].clone())
        .collect();
    assert_eq!(order, vec![json!(claim_b), json!(claim_a), json!(claim_c)]);
    assert_eq!(
        record_of(&all, &claim_b)["patient_ar_status"],
        "invoiceable"
    );
    assert_eq!(
        record_of(&all, &claim_a)["patient_ar_status"],
        "non_invoiceable"
    );
    assert_eq!(
        record_of(&all, &claim_c)["patient_ar_status"],
        "non_invoiceable"
    );
    assert_eq!(all["next_page_token"], Value::Null);

    // Pages of one, in the same order.
    let mut paged = Vec::new();
    let mut query = "?limit=1".to_string();
    loop {
        let (status, page) = inventory(app, &token, &query).await;
        assert_eq!(status, 200, "{page}");
        assert!(page["records"].as_array().map(Vec::len).unwrap_or(0) <= 1);
        paged.extend(page["records"].as_array().cloned().unwrap_or_default());
        match page["next_page_token"].as_str() {
            Some(next) => query = format!("?limit=1&page_token={next}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        all["records"].as_array().cloned().unwrap_or_default()
    );

    // `since` is inclusive: A's last change and after.
    let since = record_of(&all, &claim_a)["timestamp"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let encoded: String = form_encode(&since);
    let (status, later) = inventory(app, &token, &format!("?since={encoded}")).await;
    assert_eq!(status, 200, "{later}");
    let order: Vec<Value> = later["records"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|record| record["claim_id"].clone())
        .collect();
    assert_eq!(order, vec![json!(claim_a), json!(claim_c)]);
    let (_, none) = inventory(app, &token, "?since=2999-01-01T00:00:00Z").await;
    assert_eq!(none["records"], json!([]));

    // Bad filters are `InvalidFiltersError`.
    for query in [
        "?since=yesterday",
        "?since=2024-13-01T00:00:00Z",
        "?limit=0",
        "?limit=ten",
        "?page_token=garbage",
    ] {
        let (status, error) = inventory(app, &token, query).await;
        assert_eq!(status, 422, "{query}: {error}");
        assert_eq!(error["errorName"], "InvalidFiltersError", "{query}");
        assert!(error["content"]["message"].is_string(), "{error}");
    }

    // Another tenant's inventory holds none of these claims.
    let beta = app.tenant("beta").await;
    let beta_token = app.token(&beta).await;
    let (status, theirs) = inventory(app, &beta_token, "").await;
    assert_eq!((status, theirs["records"].clone()), (200, json!([])));
    app.assert_ledger_ok().await;
}

fn form_encode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

async fn itemization_counts_claim_level_money_and_stays_in_its_tenant(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, claim_id, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    // 600 on the claim itself and 400 on line 2, in one payment; then 100 of the claim's
    // share refunded.
    let (status, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&json!({"amount_cents": 1000, "patient_external_id": "pat-1", "allocations": [
                {"amount_cents": 600, "target": {"type": "claim_by_id", "value": claim_id}},
                {"amount_cents": 400, "target": {"type": "service_line_by_id", "value": lines[1]}},
            ]})),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    let (status, refund) = call(
        app.candid(Method::POST, "/api/patient-refunds/v1", &token)
            .json(
                &json!({"amount_cents": 100, "patient_external_id": "pat-1", "allocations": [
                    {"amount_cents": 100, "target": {"type": "claim_by_id", "value": claim_id}},
                ]}),
            ),
    )
    .await;
    assert_eq!(status, 200, "{refund}");
    let (status, itemized) = itemize(app, &token, &claim_id).await;
    assert_eq!(status, 200, "{itemized}");
    assert_eq!(
        itemized["claim_level_patient_payments"],
        json!({"total_payment_cents": 500, "items": [
            {"source_id": payment["patient_payment_id"], "amount_cents": 600},
            {"source_id": refund["patient_refund_id"], "amount_cents": -100},
        ]})
    );
    let line_two = &itemized["service_line_itemization"][1];
    assert_eq!(line_two["service_line_id"], json!(lines[1]));
    assert_eq!(line_two["patient_balance_cents"], 4600);
    assert_eq!(line_two["procedure_code"], "99213");
    assert_eq!(line_two["date_of_service"], "2024-05-01");
    assert_eq!(
        line_two["patient_payments"],
        json!({"total_payment_cents": 400, "items": [{"source_id": payment["patient_payment_id"], "amount_cents": 400}]})
    );
    // Lines 10000 + 4600, less the claim-level 500.
    assert_eq!(itemized["patient_balance_cents"], 14100);

    // Unknown, malformed and foreign claims are `EntityNotFoundError`.
    let missing = "00000000-0000-0000-0000-000000000009";
    let (status, error) = itemize(app, &token, missing).await;
    assert_eq!(
        (status, error),
        (
            404,
            json!({"errorName": "EntityNotFoundError", "content": {"id": missing}})
        )
    );
    let (status, _) = itemize(app, &token, "claim-1").await;
    assert_eq!(status, 404);
    let beta = app.tenant("beta").await;
    let beta_token = app.token(&beta).await;
    let (status, error) = itemize(app, &beta_token, &claim_id).await;
    assert_eq!(
        (status, error["errorName"].as_str()),
        (404, Some("EntityNotFoundError"))
    );
    app.assert_ledger_ok().await;
}

async fn insurance_money_shows_as_paid_and_comes_off_both_balances(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (encounter_id, claim_id, ids) =
        claim_for(app, &token, "pat-1", "c-1", &[10000, 5000]).await;
    let aetna = json!({"type": "payer_info", "payer_id": "60054", "payer_name": "Aetna"});
    // The payer pays 6000 on line 1 and 300 on the claim, then takes 1000 back from line
    // 1, and 700 of line 2 is written off as contractual.
    let (status, payment) = call(
        app.candid(Method::POST, "/api/insurance-payments/v1", &token)
            .json(&json!({"payer_identifier": aetna, "amount_cents": 6300, "allocations": [
                {"amount_cents": 6000, "target": {"type": "service_line_by_id", "value": ids[0]}},
                {"amount_cents": 300, "target": {"type": "claim_by_id", "value": claim_id}},
            ]})),
    )
    .await;
    assert_eq!(status, 200, "{payment}");
    let (status, refund) = call(
        app.candid(Method::POST, "/api/insurance-refunds/v1", &token)
            .json(&json!({"payer_identifier": aetna, "amount_cents": 1000, "allocations": [
                {"amount_cents": 1000, "target": {"type": "service_line_by_id", "value": ids[0]}},
            ]})),
    )
    .await;
    assert_eq!(status, 200, "{refund}");
    let (status, created) = create_write_offs(
        app,
        &token,
        json!([{
            "type": "insurance", "payer_identifier": aetna,
            "write_off_target": {"type": "service_line_id", "value": ids[1]},
            "amount_cents": 700, "write_off_timestamp": "2024-06-01T00:00:00Z",
            "write_off_reason": "CONTRACTUAL_ADJUSTMENT",
        }]),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (now, itemized) = lines_now(app, &tenant.tenant_id, &token, &encounter_id, &claim_id).await;
    assert_eq!(
        now,
        vec![
            Line {
                charge: 10000,
                insurance_balance: 5000,
                patient_balance: 5000,
                paid: 5000,
                patient_paid: 0,
                patient_adjustments: 0,
                insurance_payments: 5000,
                insurance_adjustments: 0,
            },
            Line {
                charge: 5000,
                insurance_balance: 4300,
                patient_balance: 4300,
                paid: 0,
                patient_paid: 0,
                patient_adjustments: 0,
                insurance_payments: 0,
                insurance_adjustments: 700,
            },
        ]
    );
    // The payer's claim-level 300 comes off the claim's balance; it is no patient payment.
    assert_eq!(itemized["patient_balance_cents"], 5000 + 4300 - 300);
    assert_eq!(
        itemized["claim_level_patient_payments"],
        json!({"total_payment_cents": 0, "items": []})
    );
    app.assert_ledger_ok().await;
}

async fn execute(app: &TestApp, sql: &str, id: &str) {
    let id = Uuid::parse_str(id).expect("id");
    copay_store::on_db!(app.store(), pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .expect("corrupting statement runs");
}

async fn verify_names_broken_claim_money(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let token = app.token(&tenant).await;
    let (_, _, lines) = claim_for(app, &token, "pat-1", "c-1", &[10000]).await;
    let to_line = |cents: i64| json!([{"amount_cents": cents, "target": {"type": "service_line_by_id", "value": lines[0]}}]);
    let (_, payment) = call(
        app.candid(Method::POST, "/api/patient-payments/v4", &token)
            .json(&json!({"amount_cents": 1000, "patient_external_id": "pat-1", "allocations": to_line(1000)})),
    )
    .await;
    let (_, refund) = call(
        app.candid(Method::POST, "/api/patient-refunds/v1", &token)
            .json(&json!({"amount_cents": 300, "patient_external_id": "pat-1", "allocations": to_line(300)})),
    )
    .await;
    let (_, created) = create_write_offs(
        app,
        &token,
        json!([patient_write_off(
            &lines[0],
            50,
            None,
            "2024-06-01T00:00:00Z"
        )]),
    )
    .await;
    let write_off = created["write_offs"][0]["write_off_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (status, _) = revert(app, &token, &write_off).await;
    assert_eq!(status, 200);
    app.assert_ledger_ok().await;

    let broken = async |expected: &str| {
        let report = app.verify().await;
        assert!(
            report
                .violations
                .iter()
                .any(|violation| violation.contains(expected)),
            "{expected}: {:#?}",
            report.violations
        );
    };
    // An allocation no longer adding up to its payment.
    let payment_id = payment["patient_payment_id"].as_str().unwrap_or_default();
    execute(
        app,
        "UPDATE claim_money_allocations SET amount_cents = amount_cents - 1 WHERE entry_id = $1",
        payment_id,
    )
    .await;
    broken("live allocations sum to 999").await;
    // A refund taking back more than was paid on the line (allocations still add up).
    let refund_id = refund["patient_refund_id"].as_str().unwrap_or_default();
    execute(
        app,
        "UPDATE claim_money_allocations SET amount_cents = 5000 WHERE entry_id = $1",
        refund_id,
    )
    .await;
    execute(
        app,
        "UPDATE claim_money_entries SET amount_cents = 5000 WHERE id = $1",
        refund_id,
    )
    .await;
    broken("but refunds took back 5000").await;
    // A write-off that forgot its revert.
    execute(
        app,
        "UPDATE claim_write_offs SET reverted_by_id = NULL WHERE id = $1",
        &write_off,
    )
    .await;
    broken("reverts a write-off that does not name it").await;
}
