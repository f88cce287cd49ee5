//! The payer directory: payers v3 get and list, resolving payer identifiers, and
//! `copay payers import`.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use copay_service::ServiceError;
use copay_service::payers::{PayerIdentifier, resolve_in_tx};

use crate::harness::{TestApp, call};

crate::both_backends!(
    a_built_in_payer_reads_back_by_uuid,
    an_unknown_payer_is_a_404_and_the_directory_needs_a_token,
    the_directory_lists_in_name_order_in_pages_without_skips_or_repeats,
    search_matches_names_and_payer_ids_ignoring_case,
    bad_list_parameters_are_422,
    payer_info_adds_unknown_payer_ids_and_reuses_known_ones,
    payer_uuid_must_name_a_directory_entry,
    concurrent_payer_info_for_one_new_payer_id_makes_one_entry,
    import_adds_and_updates_payers_and_a_bad_row_writes_nothing,
);

/// Aetna's fixed uuid in the built-in list.
const AETNA: &str = "59983d00-77d5-57e7-acb9-a9b924344c74";
const BUILT_IN_COUNT: usize = 25;

async fn token(app: &TestApp) -> String {
    let tenant = app.tenant("acme").await;
    app.token(&tenant).await
}

async fn list(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, page) =
        call(app.candid(Method::GET, &format!("/api/payers/v3?{query}"), token)).await;
    assert_eq!(status, 200, "{page}");
    page
}

/// Every payer the list returns for `query`, walking `next_page_token` to the end.
async fn walk(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut page_token: Option<String> = None;
    loop {
        let page_query = match &page_token {
            Some(page_token) => format!("{query}&page_token={page_token}"),
            None => query.to_string(),
        };
        let page = list(app, token, &page_query).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_page_token"].as_str() {
            Some(next) => page_token = Some(next.to_string()),
            None => return items,
        }
    }
}

fn names(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|item| item["payer_name"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn a_built_in_payer_reads_back_by_uuid(app: &TestApp) {
    let token = token(app).await;
    let (status, payer) =
        call(app.candid(Method::GET, &format!("/api/payers/v3/{AETNA}"), &token)).await;
    assert_eq!(status, 200, "{payer}");
    assert_eq!(
        payer,
        json!({"payer_uuid": AETNA, "payer_id": "60054", "payer_name": "Aetna"})
    );
    // Any spelling of the uuid the SDK may send names the same payer.
    let upper = AETNA.to_uppercase();
    let (status, same) =
        call(app.candid(Method::GET, &format!("/api/payers/v3/{upper}"), &token)).await;
    assert_eq!(status, 200);
    assert_eq!(same, payer);
}

async fn an_unknown_payer_is_a_404_and_the_directory_needs_a_token(app: &TestApp) {
    let token = token(app).await;
    let unknown = Uuid::now_v7().to_string();
    let (status, body) =
        call(app.candid(Method::GET, &format!("/api/payers/v3/{unknown}"), &token)).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"errorName": "EntityNotFoundError", "content": {"id": unknown}})
    );
    let (status, body) = call(app.candid(Method::GET, "/api/payers/v3/not-a-uuid", &token)).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"errorName": "EntityNotFoundError", "content": {"id": "not-a-uuid"}})
    );

    for path in [
        "/api/payers/v3".to_string(),
        format!("/api/payers/v3/{AETNA}"),
    ] {
        let (status, body) = call(app.http.get(app.url(&path))).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["errorName"], "UnauthorizedError");
        let (status, _) = call(app.candid(Method::GET, &path, "not-a-token")).await;
        assert_eq!(status, 401, "{path}");
    }
}

async fn the_directory_lists_in_name_order_in_pages_without_skips_or_repeats(app: &TestApp) {
    let token = token(app).await;
    let everything = list(app, &token, "").await;
    let all = everything["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(all.len(), BUILT_IN_COUNT, "{everything}");
    assert!(everything["next_page_token"].is_null());
    assert!(everything["prev_page_token"].is_null());
    let mut sorted = names(&all);
    sorted.sort();
    assert_eq!(names(&all), sorted, "name order");

    // Pages of 7 walk the same list, each payer once.
    let first = list(app, &token, "limit=7").await;
    assert_eq!(first["items"].as_array().map(Vec::len), Some(7));
    let walked = walk(app, &token, "limit=7").await;
    assert_eq!(names(&walked), names(&all));

    // A payer added between page fetches, sorting before the cursor, does not make the
    // next page repeat or skip a row.
    let next = first["next_page_token"].as_str().unwrap_or_default();
    let mut tx = app.store().begin().await.expect("begin");
    let added = resolve_in_tx(
        &mut tx,
        &PayerIdentifier::Info {
            payer_id: "00001".into(),
            payer_name: "AAA First Payer".into(),
        },
    )
    .await
    .expect("resolve");
    tx.commit().await.expect("commit");
    let second = list(app, &token, &format!("limit=7&page_token={next}")).await;
    assert_eq!(
        names(
            second["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        ),
        names(&all[7..14])
    );
    let after = walk(app, &token, "limit=10").await;
    assert_eq!(after.len(), BUILT_IN_COUNT + 1);
    assert_eq!(after[0]["payer_uuid"], added.payer_uuid.to_string());
    let unique: HashSet<&str> = after
        .iter()
        .filter_map(|item| item["payer_uuid"].as_str())
        .collect();
    assert_eq!(unique.len(), after.len());
}

async fn search_matches_names_and_payer_ids_ignoring_case(app: &TestApp) {
    let token = token(app).await;
    let found = walk(app, &token, "search_term=BLUE%20cross&limit=2").await;
    assert_eq!(
        names(&found),
        [
            "Blue Cross Blue Shield of Illinois",
            "Blue Cross Blue Shield of Texas",
            "Highmark Blue Cross Blue Shield",
            "Horizon Blue Cross Blue Shield of New Jersey",
            "Independence Blue Cross",
        ]
    );
    let by_id = list(app, &token, "search_term=87726").await;
    assert_eq!(
        names(
            by_id["items"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
        ),
        ["UnitedHealthcare"]
    );
    assert_eq!(by_id["items"][0]["payer_id"], "87726");
    // Non-ASCII letters match themselves; ASCII letters around them ignore case.
    let mut tx = app.store().begin().await.expect("begin");
    resolve_in_tx(
        &mut tx,
        &PayerIdentifier::Info {
            payer_id: "MX001".into(),
            payer_name: "Caja Médica ÉLITE".into(),
        },
    )
    .await
    .expect("resolve");
    tx.commit().await.expect("commit");
    for term in ["m%C3%A9dica", "%C3%89lite", "CAJA%20M%C3%A9"] {
        let page = list(app, &token, &format!("search_term={term}")).await;
        assert_eq!(
            names(
                page["items"]
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
            ),
            ["Caja Médica ÉLITE"],
            "{term}"
        );
    }
    // Wildcards are plain characters.
    let none = list(app, &token, "search_term=%25").await;
    assert_eq!(none["items"], json!([]));
    assert!(none["next_page_token"].is_null());
}

async fn bad_list_parameters_are_422(app: &TestApp) {
    let token = token(app).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("page_token=bm90LWEtdG9rZW4", "page_token"),
    ] {
        let (status, body) =
            call(app.candid(Method::GET, &format!("/api/payers/v3?{query}"), &token)).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["errorName"], "HttpRequestValidationsError");
        assert_eq!(body["content"][0]["fieldName"], field, "{query}");
    }
}

async fn payer_info_adds_unknown_payer_ids_and_reuses_known_ones(app: &TestApp) {
    let token = token(app).await;
    let info = |payer_id: &str, payer_name: &str| PayerIdentifier::Info {
        payer_id: payer_id.into(),
        payer_name: payer_name.into(),
    };

    // A known payer id resolves to the built-in entry; the given name does not rename it.
    let mut tx = app.store().begin().await.expect("begin");
    let aetna = resolve_in_tx(&mut tx, &info("60054", "Aetna Something"))
        .await
        .expect("resolve");
    tx.commit().await.expect("commit");
    assert_eq!(aetna.payer_uuid.to_string(), AETNA);
    assert_eq!(aetna.payer_name, "Aetna");

    // An unknown one is added, and is the same entry the next time.
    let mut tx = app.store().begin().await.expect("begin");
    let added = resolve_in_tx(&mut tx, &info(" ZZ123 ", "Regional Health Plan"))
        .await
        .expect("resolve");
    tx.commit().await.expect("commit");
    assert_eq!(added.payer_id, "ZZ123");
    let mut tx = app.store().begin().await.expect("begin");
    let again = resolve_in_tx(&mut tx, &info("ZZ123", "Other Name"))
        .await
        .expect("resolve");
    tx.commit().await.expect("commit");
    assert_eq!(again.payer_uuid, added.payer_uuid);
    assert_eq!(again.payer_name, "Regional Health Plan");
    let (status, payer) = call(app.candid(
        Method::GET,
        &format!("/api/payers/v3/{}", added.payer_uuid),
        &token,
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        payer,
        json!({"payer_uuid": added.payer_uuid, "payer_id": "ZZ123", "payer_name": "Regional Health Plan"})
    );

    // An entry added in a transaction that rolls back is not kept.
    let mut tx = app.store().begin().await.expect("begin");
    resolve_in_tx(&mut tx, &info("ROLLED", "Never Kept"))
        .await
        .expect("resolve");
    drop(tx);
    let page = list(app, &token, "search_term=never%20kept").await;
    assert_eq!(page["items"], json!([]));

    // Blank ids or names are refused before anything is written.
    for (payer_id, payer_name, field) in [
        ("", "Name", "payer_identifier.payer_id"),
        ("  ", "Name", "payer_identifier.payer_id"),
        ("NEW1", " ", "payer_identifier.payer_name"),
    ] {
        let mut tx = app.store().begin().await.expect("begin");
        match resolve_in_tx(&mut tx, &info(payer_id, payer_name)).await {
            Err(ServiceError::Invalid { field: got, .. }) => assert_eq!(got, field),
            other => panic!("expected Invalid for {payer_id:?}/{payer_name:?}, got {other:?}"),
        }
    }
    let page = list(app, &token, "search_term=NEW1").await;
    assert_eq!(page["items"], json!([]));
}

async fn payer_uuid_must_name_a_directory_entry(app: &TestApp) {
    let known = Uuid::parse_str(AETNA).expect("uuid");
    let mut tx = app.store().begin().await.expect("begin");
    let aetna = resolve_in_tx(&mut tx, &PayerIdentifier::Uuid(known))
        .await
        .expect("resolve");
    assert_eq!(aetna.payer_id, "60054");
    let unknown = Uuid::now_v7();
    match resolve_in_tx(&mut tx, &PayerIdentifier::Uuid(unknown)).await {
        Err(ServiceError::NotFound { entity, id }) => {
            assert_eq!(entity, "payer");
            assert_eq!(id, unknown.to_string());
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn concurrent_payer_info_for_one_new_payer_id_makes_one_entry(app: &TestApp) {
    let info = |payer_name: &str| PayerIdentifier::Info {
        payer_id: "RACE1".into(),
        payer_name: payer_name.into(),
    };
    let mut first_tx = app.store().begin().await.expect("begin");
    let first = resolve_in_tx(&mut first_tx, &info("First"))
        .await
        .expect("resolve");
    // The second transaction adds the same payer id while the first is uncommitted: on
    // PostgreSQL its insert waits for the first, on SQLite its BEGIN does.
    let store = app.store().clone();
    let second = tokio::spawn(async move {
        let mut tx = store.begin().await.expect("begin");
        let row = resolve_in_tx(&mut tx, &info("Second"))
            .await
            .expect("resolve");
        tx.commit().await.expect("commit");
        row
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(!second.is_finished(), "the second waits for the first");
    first_tx.commit().await.expect("commit");
    let second = second.await.expect("task");
    assert_eq!(second.payer_uuid, first.payer_uuid);
    assert_eq!(second.payer_name, "First");
}

fn copay(args: &[&str], database_url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_copay"))
        .args(args)
        .env("COPAY_DATABASE_URL", database_url)
        .output()
        .expect("run copay")
}

async fn import_adds_and_updates_payers_and_a_bad_row_writes_nothing(app: &TestApp) {
    let token = token(app).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("payers.csv");
    let path = file.to_str().expect("utf-8 path");

    // A bad row late in the file rejects the whole file: the good rows before it are
    // not written either.
    std::fs::write(
        &file,
        "payer_id,payer_name\nIMP01,Import Plan One\nIMP02,\n",
    )
    .expect("write csv");
    let out = copay(&["payers", "import", path], &app.database_url);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 3: payer_name is empty"), "{stderr}");
    assert!(out.stdout.is_empty());
    let page = list(app, &token, "search_term=import%20plan").await;
    assert_eq!(page["items"], json!([]));

    std::fs::write(
        &file,
        "payer_id,payer_name,availity_claims_payer_id,address1,address2,city,state,zip_code,zip_plus_four_code\n\
         IMP01,Import Plan One,AV01,1 Main St,Suite 2,Springfield,IL,62701,1234\n\
         IMP02,\"Import Plan Two, Inc.\",,,,,,,\n\
         60054,Aetna Health,,,,,,,\n",
    )
    .expect("write csv");
    let out = copay(&["payers", "import", path], &app.database_url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    assert_eq!(
        summary,
        json!({"imported": 3, "created": 2, "updated": 1, "unchanged": 0})
    );

    let page = list(app, &token, "search_term=import%20plan").await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(names(&items), ["Import Plan One", "Import Plan Two, Inc."]);
    let one = items[0].clone();
    assert_eq!(one["availity_claims_payer_id"], "AV01");
    assert_eq!(
        one["street_address"],
        json!({"address1": "1 Main St", "address2": "Suite 2", "city": "Springfield", "state": "IL", "zip_code": "62701", "zip_plus_four_code": "1234"})
    );
    assert!(items[1].get("street_address").is_none());
    // An existing payer id keeps its uuid and takes the file's details.
    let (_, aetna) =
        call(app.candid(Method::GET, &format!("/api/payers/v3/{AETNA}"), &token)).await;
    assert_eq!(aetna["payer_name"], "Aetna Health");

    // Importing again changes nothing; a changed row is an update of the same entry.
    let out = copay(&["payers", "import", path], &app.database_url);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    assert_eq!(
        summary,
        json!({"imported": 3, "created": 0, "updated": 0, "unchanged": 3})
    );
    std::fs::write(
        &file,
        "payer_id,payer_name\nIMP02,Import Plan Two Renamed\n",
    )
    .expect("write csv");
    let out = copay(&["payers", "import", path], &app.database_url);
    let summary: Value = serde_json::from_slice(&out.stdout).expect("one JSON summary");
    assert_eq!(
        summary,
        json!({"imported": 1, "created": 0, "updated": 1, "unchanged": 0})
    );
    let page = list(app, &token, "search_term=IMP02").await;
    assert_eq!(page["items"][0]["payer_name"], "Import Plan Two Renamed");
    assert_eq!(page["items"][0]["payer_uuid"], items[1]["payer_uuid"]);
}
