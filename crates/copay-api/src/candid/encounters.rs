//! Encounters v4, read-only: `GET /api/encounters/v4/{encounter_id}` and the list.
//!
//! An `Encounter` has many required parts copay may not have been told (addresses,
//! individual ids, consents). They are filled with empty values that the SDK parses;
//! ids copay does not store (patient, providers, facility, insurance card, diagnoses) are
//! UUIDv5 names derived from the encounter id, so they are the same on every read.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::encounters::{self as service, Claim, Encounter, ServiceLine};

use super::error::CandidError;
use super::extract::CandidTenant;
use super::types::format_date;
use crate::AppState;
use crate::query::QueryParams;

fn derived_id(encounter_id: Uuid, name: &str) -> Value {
    Value::String(Uuid::new_v5(&encounter_id, name.as_bytes()).to_string())
}

fn timestamp(at: time::OffsetDateTime) -> Value {
    at.format(&Rfc3339)
        .map(Value::String)
        .unwrap_or(Value::Null)
}

fn object(value: Option<&Value>) -> Map<String, Value> {
    value
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn text(map: &Map<String, Value>, key: &str) -> Value {
    map.get(key)
        .filter(|value| value.is_string())
        .cloned()
        .unwrap_or_else(|| Value::String(String::new()))
}

/// A street address with every required key, taking what the charge data gave.
fn address(given: Option<&Value>, long_zip: bool) -> Value {
    let mut address = object(given);
    for key in ["address1", "city", "state", "zip_code"] {
        let value = text(&address, key);
        address.insert(key.into(), value);
    }
    if long_zip {
        let value = text(&address, "zip_plus_four_code");
        address.insert("zip_plus_four_code".into(), value);
    }
    Value::Object(address)
}

fn provider(encounter_id: Uuid, name: &str, given: &Map<String, Value>) -> Value {
    let mut provider = given.clone();
    provider.insert("provider_id".into(), derived_id(encounter_id, name));
    provider.insert("npi".into(), text(given, "npi"));
    provider.insert("address".into(), address(given.get("address"), true));
    Value::Object(provider)
}

/// The billing provider, with the id money can be allocated to (stable per tenant and
/// NPI) when the encounter named an NPI.
fn billing_provider(encounter: &Encounter, given: &Map<String, Value>) -> Value {
    let mut provider = provider(encounter.row.id, "billing_provider", given);
    if let (Some(id), Value::Object(fields)) = (encounter.row.billing_provider_id, &mut provider) {
        fields.insert("provider_id".into(), json!(id));
    }
    provider
}

fn patient(encounter: &Encounter, data: &Map<String, Value>) -> Value {
    let given = object(data.get("patient"));
    let mut patient = Map::new();
    for key in ["first_name", "last_name", "date_of_birth"] {
        patient.insert(key.into(), text(&given, key));
    }
    patient.insert(
        "gender".into(),
        given
            .get("gender")
            .cloned()
            .unwrap_or_else(|| json!("unknown")),
    );
    patient.insert(
        "external_id".into(),
        json!(encounter.row.patient_external_id),
    );
    patient.insert("address".into(), address(given.get("address"), false));
    patient.insert(
        "individual_id".into(),
        derived_id(encounter.row.id, "patient"),
    );
    for key in [
        "phone_numbers",
        "non_insurance_payers",
        "non_insurance_payers_info",
    ] {
        patient.insert(key.into(), json!([]));
    }
    for key in ["phone_consent", "email_consent", "auto_charge_consent"] {
        patient.insert(key.into(), json!(false));
    }
    Value::Object(patient)
}

fn subscriber(encounter: &Encounter, data: &Map<String, Value>, which: &str) -> Option<Value> {
    let given = object(data.get(which).filter(|value| value.is_object()));
    if given.is_empty() {
        return None;
    }
    let patient = object(data.get("patient"));
    let card = object(given.get("insurance_card"));
    let payer_id = text(&card, "payer_id");
    let payer_name = match text(&card, "payer_name") {
        Value::String(name) if !name.is_empty() => Value::String(name),
        _ => payer_id.clone(),
    };
    Some(json!({
        "first_name": given.get("first_name").cloned().unwrap_or_else(|| text(&patient, "first_name")),
        "last_name": given.get("last_name").cloned().unwrap_or_else(|| text(&patient, "last_name")),
        "gender": given.get("gender").cloned().unwrap_or_else(|| json!("unknown")),
        "date_of_birth": given.get("date_of_birth").cloned(),
        // "18" is "self" in X12.
        "patient_relationship_to_subscriber_code": given.get("patient_relationship_to_subscriber_code").cloned().unwrap_or_else(|| json!("18")),
        "individual_id": derived_id(encounter.row.id, which),
        "insurance_card": {
            "insurance_card_id": derived_id(encounter.row.id, &format!("{which}.insurance_card")),
            "member_id": text(&card, "member_id"),
            "payer_name": payer_name,
            "payer_id": payer_id,
            "group_number": card.get("group_number").cloned(),
            "plan_name": card.get("plan_name").cloned(),
        },
    }))
}

fn diagnoses(encounter: &Encounter, data: &Map<String, Value>) -> Vec<Value> {
    let created = timestamp(encounter.row.created_at);
    data.get("diagnoses")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(index, given)| {
            let given = object(Some(given));
            json!({
                "diagnosis_id": derived_id(encounter.row.id, &format!("diagnosis.{index}")),
                "encounter_id": encounter.row.id,
                "name": given.get("name").cloned(),
                "code_type": given.get("code_type").cloned().unwrap_or_else(|| json!("ABK")),
                "code": text(&given, "code"),
                "created_at": created,
                "updated_at": created,
            })
        })
        .collect()
}

fn service_line(encounter: &Encounter, line: &ServiceLine) -> Value {
    let row = &line.row;
    let given = object(Some(&row.data.0));
    let start = format_date(row.date_of_service);
    let end = row.end_date_of_service.map(format_date);
    let mut out = json!({
        "service_line_id": row.id,
        "claim_id": row.claim_id,
        "created_at": timestamp(row.created_at),
        "procedure_code": row.procedure_code,
        "quantity": row.quantity,
        "units": row.units,
        "date_of_service": start,
        "end_date_of_service": end,
        "date_of_service_range": {"start_date": start, "end_date": end},
        "charge_amount_cents": row.charge_amount_cents,
        "insurance_balance_cents": line.insurance_balance_cents,
        "patient_balance_cents": line.patient_balance_cents,
        // copay records one payer per claim (the primary): everything it paid is primary.
        // Allowed amount, patient responsibility, copay, coinsurance and deductible come
        // from adjudications, which copay does not ingest: they are left out.
        "paid_amount_cents": line.paid_amount_cents,
        "primary_paid_amount_cents": line.paid_amount_cents,
        "modifiers": given.get("modifiers").cloned(),
        "description": given.get("description").cloned(),
        "place_of_service_code": given.get("place_of_service_code").cloned(),
    });
    let pointers = given
        .get("diagnosis_pointers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (slot, pointer) in [
        "diagnosis_id_zero",
        "diagnosis_id_one",
        "diagnosis_id_two",
        "diagnosis_id_three",
    ]
    .into_iter()
    .zip(pointers)
    {
        if let Some(index) = pointer.as_u64() {
            out[slot] = derived_id(encounter.row.id, &format!("diagnosis.{index}"));
        }
    }
    out
}

fn claim(encounter: &Encounter, claim: &Claim) -> Value {
    json!({
        "claim_id": claim.row.id,
        "status": claim.row.status,
        "eras": [],
        "service_lines": claim.service_lines.iter().map(|line| service_line(encounter, line)).collect::<Vec<_>>(),
    })
}

/// The `Encounter` document the SDK parses.
fn encounter_json(encounter: &Encounter) -> Value {
    let data = object(Some(&encounter.row.data.0));
    let flag = |key: &str| {
        data.get(key)
            .filter(|v| v.is_boolean())
            .cloned()
            .unwrap_or(json!(true))
    };
    let billing = object(data.get("billing_provider"));
    let rendering = data
        .get("rendering_provider")
        .filter(|value| value.is_object())
        .map(|value| object(Some(value)))
        .unwrap_or_else(|| billing.clone());
    let mut facility = object(data.get("service_facility"));
    facility.insert(
        "service_facility_id".into(),
        derived_id(encounter.row.id, "service_facility"),
    );
    facility.insert(
        "organization_name".into(),
        text(&facility, "organization_name"),
    );
    facility.insert(
        "address".into(),
        address(
            data.get("service_facility").and_then(|f| f.get("address")),
            true,
        ),
    );
    let mut out = json!({
        "encounter_id": encounter.row.id,
        "external_id": encounter.row.external_id,
        "claim_creation_id": encounter.row.claim_creation_id,
        "date_of_service": encounter.row.date_of_service.map(format_date),
        "end_date_of_service": data.get("end_date_of_service").cloned(),
        "patient_authorized_release": flag("patient_authorized_release"),
        "benefits_assigned_to_provider": flag("benefits_assigned_to_provider"),
        "provider_accepts_assignment": flag("provider_accepts_assignment"),
        "billable_status": data.get("billable_status").cloned().unwrap_or(json!("BILLABLE")),
        "responsible_party": data.get("responsible_party").cloned().unwrap_or(json!("INSURANCE_PAY")),
        "prior_authorization_number": data.get("prior_authorization_number").cloned(),
        "place_of_service_code": data.get("place_of_service_code").cloned(),
        "url": format!("/api/encounters/v4/{}", encounter.row.id),
        "patient": patient(encounter, &data),
        "billing_provider": billing_provider(encounter, &billing),
        "rendering_provider": provider(encounter.row.id, "rendering_provider", &rendering),
        "service_facility": Value::Object(facility),
        "diagnoses": diagnoses(encounter, &data),
        "claims": encounter.claims.iter().map(|c| claim(encounter, c)).collect::<Vec<_>>(),
        "clinical_notes": [],
        "patient_histories": [],
        "patient_payments": [],
        "tags": [],
        "schema_instances": [],
        "owner_of_next_action": "CUSTOMER",
        "submission_origin": "CANDID",
        "created_at": timestamp(encounter.row.created_at),
    });
    for which in [
        "subscriber_primary",
        "subscriber_secondary",
        "subscriber_tertiary",
    ] {
        if let Some(subscriber) = subscriber(encounter, &data, which) {
            out[which] = subscriber;
        }
    }
    out
}

/// `Encounter` (v4): the encounter a successful claim creation made, with its claim,
/// service lines and their balances.
#[derive(Serialize, ToSchema)]
#[schema(value_type = Object)]
pub struct EncounterResponse(Value);

/// `EncounterPage`.
#[derive(Serialize, ToSchema)]
pub struct EncounterPageResponse {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub next_page_token: Option<String>,
    /// Always null: walk forward with `next_page_token`.
    pub prev_page_token: Option<String>,
}

/// Returns one encounter of the caller's tenant.
#[utoipa::path(
    get,
    path = "/api/encounters/v4/{encounter_id}",
    tag = "candid: encounters",
    params(("encounter_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = EncounterResponse), (status = 404, description = "`EntityNotFoundError`"))
)]
pub async fn get(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<EncounterResponse>, CandidError> {
    let id = Uuid::parse_str(&id).map_err(|_| CandidError::EntityNotFound(id.clone()))?;
    let encounter = service::get(&state.store, &tenant, id).await?;
    Ok(Json(EncounterResponse(encounter_json(&encounter))))
}

const UNSUPPORTED_FILTERS: &[&str] = &[
    "claim_status",
    "sort",
    "date_of_service_min",
    "date_of_service_max",
    "primary_payer_names",
    "search_term",
    "external_id",
    "diagnoses_updated_since",
    "tag_ids",
    "work_queue_id",
    "billable_status",
    "responsible_party",
    "owner_of_next_action",
    "patient_external_id",
    "billing_provider_npis",
];

/// Lists encounters, newest first (`limit` 1–1000, default 100, `page_token`).
#[utoipa::path(
    get,
    path = "/api/encounters/v4",
    tag = "candid: encounters",
    params(("limit" = Option<u32>, Query), ("page_token" = Option<String>, Query)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = EncounterPageResponse), (status = 422, description = "A parameter is invalid"))
)]
pub async fn get_all(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<EncounterPageResponse>, CandidError> {
    let query = QueryParams::parse(raw.as_deref());
    // Refuse the SDK's filters rather than silently return unfiltered encounters.
    if let Some(name) = UNSUPPORTED_FILTERS
        .iter()
        .find(|name| query.string(name).is_some())
    {
        return Err(CandidError::validation(crate::wire::FieldError::at(
            &[name],
            "copay does not filter encounters by this parameter yet; filter claim creations or charge captures instead",
            "value_error",
        )));
    }
    let limit = query
        .parsed::<u32>("limit", "a whole number")
        .map_err(CandidError::validation)?
        .unwrap_or(100);
    let page = service::list(
        &state.store,
        &tenant,
        limit,
        query.string("page_token").as_deref(),
    )
    .await?;
    Ok(Json(EncounterPageResponse {
        items: page.items.iter().map(encounter_json).collect(),
        next_page_token: page.next_page_token,
        prev_page_token: None,
    }))
}
