//! Providers and roles on Decoda's Gen-1 API: `/v1/provider/...` and `/v1/role/list`.

use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp, call, decoda};

crate::both_backends!(
    create_get_update_and_find_by_external_id,
    a_client_chosen_id_is_kept_and_taken_only_once,
    list_is_newest_first_and_per_tenant,
    role_list_is_the_catalogue_create_accepts,
    bad_provider_input_is_refused_and_writes_nothing,
    duplicate_external_ids_are_conflicts,
    another_tenants_providers_are_not_found,
    provider_routes_need_credentials,
);

const ROLES: [&str; 6] = [
    "ADMIN",
    "PROVIDER",
    "NURSE",
    "MEDICAL_ASSISTANT",
    "FRONT_DESK",
    "BILLING",
];

async fn create(app: &TestApp, tenant: &Tenant, body: Value) -> Value {
    let (status, created) =
        decoda(app, tenant, Method::POST, "/v1/provider/create", Some(body)).await;
    assert_eq!(status, 200, "{created}");
    created
}

async fn get(app: &TestApp, tenant: &Tenant, id: &str) -> (u16, Value) {
    decoda(
        app,
        tenant,
        Method::GET,
        &format!("/v1/provider/get/{id}"),
        None,
    )
    .await
}

async fn list(app: &TestApp, tenant: &Tenant) -> Vec<Value> {
    let (status, listed) = decoda(app, tenant, Method::GET, "/v1/provider/list", None).await;
    assert_eq!(status, 200, "{listed}");
    listed.as_array().cloned().unwrap_or_default()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_string()
}

fn role_names(provider: &Value) -> Vec<String> {
    provider["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|role| role["name"].as_str().unwrap_or("?").to_string())
        .collect()
}

async fn create_get_update_and_find_by_external_id(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let created = create(
        app,
        &tenant,
        json!({"firstName": "Meredith", "lastName": "Grey", "externalUserId": "npi-1234567893",
               "email": "grey@example.test", "phoneNumber": "555-0100", "address": "1 Main St",
               "addressLineTwo": "Suite 2", "city": "Seattle", "state": "WA", "zipCode": "98101",
               "country": "US", "addressValid": true, "meta": {"npi": "1234567893"},
               "firebaseUid": "fb-1", "type": "provider", "updatedDate": "2024-05-01T00:00:00Z",
               "roles": ["billing", "PROVIDER", "BILLING"]}),
    )
    .await;
    assert_eq!(created["type"], "provider");
    assert_eq!(created["firstName"], "Meredith");
    assert_eq!(created["lastName"], "Grey");
    assert_eq!(created["externalUserId"], "npi-1234567893");
    assert_eq!(created["address"], "1 Main St");
    assert_eq!(created["addressLineTwo"], "Suite 2");
    assert_eq!(created["zipCode"], "98101");
    assert_eq!(created["addressValid"], true);
    assert_eq!(created["meta"], json!({"npi": "1234567893"}));
    // Each role once, in catalogue order, spelled as the catalogue spells it.
    assert_eq!(
        created["roles"],
        json!([{"name": "PROVIDER"}, {"name": "BILLING"}])
    );
    assert!(created.get("firebaseUid").is_none(), "{created}");
    assert!(
        created["createdDate"]
            .as_str()
            .is_some_and(|d| d.contains('T'))
    );
    assert!(uuid::Uuid::parse_str(&id(&created)).is_ok(), "{created}");

    let (status, fetched) = get(app, &tenant, &id(&created)).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched, created);
    let (status, by_external) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/provider/get_by_external_id/npi-1234567893",
        None,
    )
    .await;
    assert_eq!(status, 200, "{by_external}");
    assert_eq!(by_external, created);

    // Absent keys stay; null clears; snake_case is accepted; roles are replaced.
    let update = format!("/v1/provider/update/{}", id(&created));
    let (status, updated) = decoda(
        app,
        &tenant,
        Method::PUT,
        &update,
        Some(
            json!({"last_name": "Grey-Shepherd", "email": null, "address_valid": null,
                    "meta": null, "roles": ["admin", "nurse"]}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["lastName"], "Grey-Shepherd");
    assert_eq!(updated["firstName"], "Meredith");
    assert_eq!(updated["email"], Value::Null);
    assert_eq!(updated["addressValid"], Value::Null);
    assert_eq!(updated["meta"], Value::Null);
    assert_eq!(updated["city"], "Seattle");
    assert_eq!(updated["externalUserId"], "npi-1234567893");
    assert_eq!(role_names(&updated), ["ADMIN", "NURSE"]);
    assert_eq!(updated["createdDate"], created["createdDate"]);
    let (_, fetched) = get(app, &tenant, &id(&created)).await;
    assert_eq!(fetched, updated);

    // A body without roles keeps them; `roles: null` removes them all.
    let (status, renamed) = decoda(
        app,
        &tenant,
        Method::PUT,
        &update,
        Some(json!({"firstName": "Mer", "externalUserId": "npi-2"})),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["firstName"], "Mer");
    assert_eq!(role_names(&renamed), ["ADMIN", "NURSE"]);
    let (status, _) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/provider/get_by_external_id/npi-1234567893",
        None,
    )
    .await;
    assert_eq!(status, 404, "the old external id no longer finds it");
    let (status, by_new) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/provider/get_by_external_id/npi-2",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(by_new["id"], created["id"]);
    let (status, no_roles) = decoda(
        app,
        &tenant,
        Method::PUT,
        &update,
        Some(json!({"roles": null})),
    )
    .await;
    assert_eq!(status, 200, "{no_roles}");
    assert_eq!(no_roles["roles"], json!([]));
    assert_eq!(get(app, &tenant, &id(&created)).await.1["roles"], json!([]));

    // The minimal create: a first name and a (possibly empty) list of roles.
    let minimal = create(app, &tenant, json!({"first_name": "Cristina", "roles": []})).await;
    assert_eq!(minimal["firstName"], "Cristina");
    assert_eq!(minimal["roles"], json!([]));
    assert_eq!(minimal["lastName"], Value::Null);
    assert_eq!(minimal["externalUserId"], Value::Null);
    assert_eq!(minimal["type"], "provider");
}

async fn a_client_chosen_id_is_kept_and_taken_only_once(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let chosen = "0190D7A4-0000-7000-8000-00000000BEEF";
    let created = create(
        app,
        &tenant,
        json!({"id": chosen, "firstName": "Miranda", "roles": ["PROVIDER"]}),
    )
    .await;
    assert_eq!(created["id"], chosen.to_lowercase());
    let (status, fetched) = get(app, &tenant, chosen).await;
    assert_eq!(status, 200, "path ids match without case: {fetched}");
    assert_eq!(fetched["firstName"], "Miranda");

    let (status, body) = decoda(
        app,
        &tenant,
        Method::POST,
        "/v1/provider/create",
        Some(json!({"id": chosen, "firstName": "Impostor", "roles": []})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(list(app, &tenant).await.len(), 1);
    assert_eq!(get(app, &tenant, chosen).await.1["firstName"], "Miranda");
}

async fn list_is_newest_first_and_per_tenant(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    assert!(list(app, &tenant).await.is_empty());
    create(app, &tenant, json!({"firstName": "First", "roles": []})).await;
    create(app, &tenant, json!({"firstName": "Second", "roles": []})).await;
    // A chosen id that sorts before every generated one is still the newest.
    create(
        app,
        &tenant,
        json!({"id": "00000000-0000-4000-8000-000000000001", "firstName": "Third", "roles": ["NURSE"]}),
    )
    .await;
    let names: Vec<Value> = list(app, &tenant)
        .await
        .iter()
        .map(|p| p["firstName"].clone())
        .collect();
    assert_eq!(names, [json!("Third"), json!("Second"), json!("First")]);
    let listed = list(app, &tenant).await;
    assert!(listed.iter().all(|p| p["type"] == "provider"), "{listed:?}");
    assert_eq!(role_names(&listed[0]), ["NURSE"]);
    // The published operation has no parameters; unknown ones change nothing.
    let (status, with_query) =
        decoda(app, &tenant, Method::GET, "/v1/provider/list?n=1", None).await;
    assert_eq!(status, 200);
    assert_eq!(with_query.as_array().map(Vec::len), Some(3));

    // Patients are not providers.
    let (status, _) = decoda(
        app,
        &tenant,
        Method::POST,
        "/v1/patient/create",
        Some(json!({"firstName": "Patient"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list(app, &tenant).await.len(), 3);
}

async fn role_list_is_the_catalogue_create_accepts(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let (status, roles) = decoda(app, &tenant, Method::GET, "/v1/role/list", None).await;
    assert_eq!(status, 200, "{roles}");
    let expected: Vec<Value> = ROLES.iter().map(|name| json!({"name": name})).collect();
    assert_eq!(roles, Value::Array(expected));
    let everything = create(
        app,
        &tenant,
        json!({"firstName": "Richard", "roles": ROLES.iter().rev().collect::<Vec<_>>()}),
    )
    .await;
    assert_eq!(role_names(&everything), ROLES);
}

async fn bad_provider_input_is_refused_and_writes_nothing(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let existing = create(
        app,
        &tenant,
        json!({"firstName": "Jane", "externalUserId": "emr-1", "roles": ["PROVIDER"]}),
    )
    .await;
    let create_cases: Vec<(Value, Value)> = vec![
        (json!({"roles": []}), json!(["body", "firstName"])),
        (
            json!({"firstName": null, "roles": []}),
            json!(["body", "firstName"]),
        ),
        (
            json!({"firstName": 7, "roles": []}),
            json!(["body", "firstName"]),
        ),
        (json!({"firstName": "A"}), json!(["body", "roles"])),
        (
            json!({"firstName": "A", "roles": null}),
            json!(["body", "roles"]),
        ),
        (
            json!({"firstName": "A", "roles": "ADMIN"}),
            json!(["body", "roles"]),
        ),
        (
            json!({"firstName": "A", "roles": [1]}),
            json!(["body", "roles", 0]),
        ),
        (
            json!({"firstName": "A", "roles": ["ADMIN", "SURGEON"]}),
            json!(["body", "roles", 1]),
        ),
        (
            json!({"firstName": "A", "roles": [""]}),
            json!(["body", "roles", 0]),
        ),
        (
            json!({"firstName": "A", "roles": [], "id": "prov_123"}),
            json!(["body", "id"]),
        ),
        (
            json!({"firstName": "A", "roles": [], "externalUserId": " "}),
            json!(["body", "externalUserId"]),
        ),
        (
            json!({"firstName": "A", "roles": [], "type": "PATIENT"}),
            json!(["body", "type"]),
        ),
        (
            json!({"firstName": "A", "roles": [], "meta": [1]}),
            json!(["body", "meta"]),
        ),
        (
            json!({"firstName": "A", "roles": [], "addressValid": "yes"}),
            json!(["body", "addressValid"]),
        ),
        (
            json!({"firstName": "A", "roles": [], "email": 5}),
            json!(["body", "email"]),
        ),
    ];
    for (body, loc) in create_cases {
        let (status, error) = decoda(
            app,
            &tenant,
            Method::POST,
            "/v1/provider/create",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["detail"][0]["loc"], loc, "{body}: {error}");
        assert!(error["detail"][0]["msg"].is_string(), "{error}");
    }
    let (status, error) = decoda(app, &tenant, Method::POST, "/v1/provider/create", None).await;
    assert_eq!(status, 422, "{error}");
    let (status, error) = call(
        app.decoda(Method::POST, "/v1/provider/create", &tenant)
            .header("content-type", "application/json")
            .body("{\"firstName\": "),
    )
    .await;
    assert_eq!(status, 422, "{error}");

    let update = format!("/v1/provider/update/{}", id(&existing));
    let update_cases: Vec<(Value, Value)> = vec![
        (json!({"firstName": null}), json!(["body", "firstName"])),
        (json!({"roles": ["Janitor"]}), json!(["body", "roles", 0])),
        (json!({"roles": "ADMIN"}), json!(["body", "roles"])),
        (
            json!({"externalUserId": ""}),
            json!(["body", "externalUserId"]),
        ),
        (json!({"type": "PATIENT"}), json!(["body", "type"])),
        (json!({"lastName": ["x"]}), json!(["body", "lastName"])),
    ];
    for (body, loc) in update_cases {
        let (status, error) = decoda(app, &tenant, Method::PUT, &update, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert_eq!(error["detail"][0]["loc"], loc, "{body}: {error}");
    }
    let listed = list(app, &tenant).await;
    assert_eq!(
        listed,
        std::slice::from_ref(&existing),
        "nothing was written"
    );
    assert_eq!(get(app, &tenant, &id(&existing)).await.1, existing);
}

async fn duplicate_external_ids_are_conflicts(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    let original = create(
        app,
        &tenant,
        json!({"firstName": "Ivy", "externalUserId": "emr-1", "roles": ["NURSE"]}),
    )
    .await;
    let (status, body) = decoda(
        app,
        &tenant,
        Method::POST,
        "/v1/provider/create",
        Some(json!({"firstName": "Twin", "externalUserId": "emr-1", "roles": []})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| d.contains("emr-1")),
        "{body}"
    );

    let other = create(
        app,
        &tenant,
        json!({"firstName": "Jon", "externalUserId": "emr-2", "roles": []}),
    )
    .await;
    let (status, body) = decoda(
        app,
        &tenant,
        Method::PUT,
        &format!("/v1/provider/update/{}", id(&other)),
        Some(json!({"externalUserId": "emr-1", "lastName": "Changed"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["detail"].is_string(), "{body}");
    assert_eq!(get(app, &tenant, &id(&other)).await.1, other);
    let (_, found) = decoda(
        app,
        &tenant,
        Method::GET,
        "/v1/provider/get_by_external_id/emr-1",
        None,
    )
    .await;
    assert_eq!(found, original);
    assert_eq!(list(app, &tenant).await.len(), 2);

    // Keeping one's own external id is no conflict, and a patient's external id is no
    // provider's.
    let (status, body) = decoda(
        app,
        &tenant,
        Method::PUT,
        &format!("/v1/provider/update/{}", id(&original)),
        Some(json!({"externalUserId": "emr-1"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = decoda(
        app,
        &tenant,
        Method::POST,
        "/v1/patient/create",
        Some(json!({"firstName": "Pat", "externalUserId": "emr-1"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

async fn another_tenants_providers_are_not_found(app: &TestApp) {
    let acme = app.tenant("acme").await;
    let other = app.tenant("other").await;
    let provider = create(
        app,
        &acme,
        json!({"firstName": "Jane", "externalUserId": "emr-1", "roles": ["ADMIN"]}),
    )
    .await;
    let provider_id = id(&provider);
    for (method, path, body) in [
        (Method::GET, format!("/v1/provider/get/{provider_id}"), None),
        (
            Method::GET,
            "/v1/provider/get_by_external_id/emr-1".to_string(),
            None,
        ),
        (
            Method::PUT,
            format!("/v1/provider/update/{provider_id}"),
            Some(json!({"firstName": "X"})),
        ),
        (Method::GET, "/v1/provider/get/not-a-uuid".to_string(), None),
        (
            Method::PUT,
            "/v1/provider/update/not-a-uuid".to_string(),
            Some(json!({"firstName": "X"})),
        ),
        (
            Method::GET,
            "/v1/provider/get/0190d7a4-0000-7000-8000-000000000000".to_string(),
            None,
        ),
    ] {
        let (status, body) = decoda(app, &other, method, &path, body).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    assert!(list(app, &other).await.is_empty());
    // The other tenant may use the same external id for its own provider.
    let theirs = create(
        app,
        &other,
        json!({"firstName": "Other", "externalUserId": "emr-1", "roles": []}),
    )
    .await;
    assert_ne!(theirs["id"], provider["id"]);
    assert_eq!(get(app, &acme, &provider_id).await.1, provider);
    assert_eq!(list(app, &acme).await, [provider]);
}

async fn provider_routes_need_credentials(app: &TestApp) {
    let tenant = app.tenant("acme").await;
    for path in ["/v1/provider/list", "/v1/role/list"] {
        let (status, body) = call(app.http.get(app.url(path))).await;
        assert_eq!(status, 401, "{path}: {body}");
        assert!(body["detail"].is_string(), "{body}");
    }
    let (status, body) = call(
        app.http
            .post(app.url("/v1/provider/create"))
            .json(&json!({"firstName": "A", "roles": []})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert!(list(app, &tenant).await.is_empty());
}
