//! Charge captures v1: create and list on `/api/charge_captures/v1`, get and update on `/{id}`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use copay_domain::facets::{Facet, metadata_entry, search_words};
use copay_service::charge_captures::{
    self as service, ChargeCapture, ChargeCaptureFilter, ChargeCapturePage, ChargeCapturePatch,
    ChargeCaptureSort, ChargePatient, EncounterData, EncounterDates, ListOrder, MetadataMatch,
    NewChargeCapture,
};
use copay_service::claim_creations::PostBilledChange;

use super::claim_creations::{CLAIM_STATUSES, ChargeCaptureErrorResponse};
use super::error::CandidError;
use super::extract::{CandidJson, CandidTenant};
use super::types::{
    BillableStatusType, ChargeCaptureStatusWire, DiagnosisTypeCode, Gender, Hl7MessageType,
    ResponsiblePartyType, SchemaInstance, ServiceLineUnits, WireDate, format_date,
};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, check_value, present};

/// Request body A: a new charge capture.
#[derive(Deserialize, ToSchema)]
pub struct ChargeCaptureCreate {
    /// `ChargeCaptureData`: an encounter-shaped object, every field optional; stored as given.
    #[schema(value_type = Object)]
    pub data: Value,
    pub charge_external_id: String,
    pub patient_external_id: String,
    pub status: ChargeCaptureStatusWire,
    #[serde(default)]
    pub originating_system: Option<String>,
    #[serde(default)]
    pub claim_creation_category: Option<String>,
    #[serde(default)]
    pub ehr_source_url: Option<String>,
    #[serde(default)]
    pub attachment_external_document_ids: Option<Vec<String>>,
    #[serde(default)]
    pub metadata: Option<Vec<SchemaInstance>>,
    #[serde(default)]
    pub hl7_message_type: Option<Hl7MessageType>,
}

/// Request body D: every key optional; `null` clears an optional field.
#[derive(Deserialize, ToSchema, Default)]
pub struct ChargeCaptureUpdate {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<Option<Value>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub charge_external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub patient_external_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ChargeCaptureStatusWire>)]
    pub status: Option<Option<ChargeCaptureStatusWire>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub originating_system: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub claim_creation_category: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub ehr_source_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub attachment_external_document_ids: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<SchemaInstance>>)]
    pub metadata: Option<Option<Vec<SchemaInstance>>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Hl7MessageType>)]
    pub hl7_message_type: Option<Option<Hl7MessageType>>,
}

/// `ChargeCapture` as the SDK parses it.
#[derive(Serialize, ToSchema)]
pub struct ChargeCaptureResponse {
    pub id: Uuid,
    pub status: String,
    #[schema(value_type = Object)]
    pub charge_capture_data: Box<serde_json::value::RawValue>,
    /// Derived: the earliest service-line date, else the encounter's `date_of_service`.
    pub date_of_service: Option<String>,
    pub patient_external_id: String,
    pub charge_external_id: String,
    pub ehr_source_url: Option<String>,
    pub originating_system: Option<String>,
    pub claim_creation_category: Option<String>,
    #[schema(value_type = Option<Vec<SchemaInstance>>)]
    pub metadata: Option<Value>,
    pub error: Option<ChargeCaptureErrorResponse>,
    pub updates: Vec<PostBilledChangeResponse>,
    pub claim_creation_id: Option<Uuid>,
}

impl From<ChargeCapture> for ChargeCaptureResponse {
    fn from(capture: ChargeCapture) -> Self {
        ChargeCaptureResponse {
            id: capture.id,
            status: capture.status.as_str().to_string(),
            charge_capture_data: capture.data,
            date_of_service: capture.date_of_service.map(format_date),
            patient_external_id: capture.patient_external_id,
            charge_external_id: capture.charge_external_id,
            ehr_source_url: capture.ehr_source_url,
            originating_system: capture.originating_system,
            claim_creation_category: capture.claim_creation_category,
            metadata: capture.metadata,
            error: capture.error.map(Into::into),
            updates: capture.updates.into_iter().map(Into::into).collect(),
            claim_creation_id: capture.claim_creation_id,
        }
    }
}

/// `ChargeCapturePostBilledChange`: a change to a charge after its claim was created.
#[derive(Serialize, ToSchema)]
pub struct PostBilledChangeResponse {
    pub id: Uuid,
    pub message: String,
    pub resolved: bool,
}

impl From<PostBilledChange> for PostBilledChangeResponse {
    fn from(change: PostBilledChange) -> Self {
        PostBilledChangeResponse {
            id: change.id,
            message: change.message,
            resolved: change.resolved,
        }
    }
}

/// Request body C: which post-billed changes to mark, and how.
#[derive(Deserialize, ToSchema)]
pub struct PostBilledChangesUpdate {
    pub charge_capture_change_ids: Vec<Uuid>,
    pub resolved: bool,
}

/// Marks post-billed changes resolved (or unresolved again). An id the tenant does not
/// have is a 404 and nothing changes.
#[utoipa::path(
    patch,
    path = "/api/charge_captures/v1/changes",
    tag = "candid: charge captures",
    request_body = PostBilledChangesUpdate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = Vec<PostBilledChangeResponse>),
        (status = 404, description = "`EntityNotFoundError`"),
        (status = 422, description = "`HttpRequestValidationsError`"),
    )
)]
pub async fn update_post_billed_changes(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    CandidJson(body): CandidJson<PostBilledChangesUpdate>,
) -> Result<Json<Vec<PostBilledChangeResponse>>, ChargeCaptureError> {
    let changes = copay_service::claim_creations::set_changes_resolved(
        &state.store,
        &tenant,
        &body.charge_capture_change_ids,
        body.resolved,
    )
    .await?;
    Ok(Json(changes.into_iter().map(Into::into).collect()))
}

/// The typed parts of `ChargeCaptureData` copay checks and reads; every other key is kept
/// as given. Strings must be strings, dates `YYYY-MM-DD`, enums one of their values.
#[derive(Deserialize)]
#[allow(dead_code)] // Fields exist to be type-checked; only the dates are read.
struct DataCheck {
    #[serde(default)]
    date_of_service: Option<WireDate>,
    #[serde(default)]
    end_date_of_service: Option<WireDate>,
    #[serde(default)]
    admission_date: Option<WireDate>,
    #[serde(default)]
    discharge_date: Option<WireDate>,
    #[serde(default)]
    onset_of_current_illness_or_symptom_date: Option<WireDate>,
    #[serde(default)]
    last_menstrual_period_date: Option<WireDate>,
    #[serde(default)]
    accident_date: Option<WireDate>,
    #[serde(default)]
    initial_treatment_date: Option<WireDate>,
    #[serde(default)]
    billable_status: Option<BillableStatusType>,
    #[serde(default)]
    responsible_party: Option<ResponsiblePartyType>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    outside_lab_charges_amount_cents: Option<i64>,
    #[serde(default)]
    service_lines: Option<Vec<ServiceLineCheck>>,
    #[serde(default)]
    diagnoses: Option<Vec<DiagnosisCheck>>,
    #[serde(default)]
    patient: Option<PersonCheck>,
    #[serde(default)]
    guarantor: Option<PersonCheck>,
    #[serde(default)]
    billing_provider: Option<ProviderCheck>,
    #[serde(default)]
    rendering_provider: Option<ProviderCheck>,
    #[serde(default)]
    supervising_provider: Option<ProviderCheck>,
    #[serde(default)]
    service_facility: Option<FacilityCheck>,
    #[serde(default)]
    subscriber_primary: Option<SubscriberCheck>,
    #[serde(default)]
    subscriber_secondary: Option<SubscriberCheck>,
    #[serde(default)]
    subscriber_tertiary: Option<SubscriberCheck>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ServiceLineCheck {
    #[serde(default)]
    date_of_service: Option<WireDate>,
    #[serde(default)]
    end_date_of_service: Option<WireDate>,
    #[serde(default)]
    procedure_code: Option<String>,
    #[serde(default)]
    quantity: Option<String>,
    #[serde(default)]
    units: Option<ServiceLineUnits>,
    #[serde(default)]
    charge_amount_cents: Option<i64>,
    #[serde(default)]
    diagnosis_pointers: Option<Vec<u32>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct DiagnosisCheck {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    code_type: Option<DiagnosisTypeCode>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct PersonCheck {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    gender: Option<Gender>,
    #[serde(default)]
    date_of_birth: Option<WireDate>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ProviderCheck {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    organization_name: Option<String>,
    #[serde(default)]
    npi: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FacilityCheck {
    #[serde(default)]
    organization_name: Option<String>,
    #[serde(default)]
    npi: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SubscriberCheck {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    gender: Option<Gender>,
    #[serde(default)]
    date_of_birth: Option<WireDate>,
    #[serde(default)]
    insurance_card: Option<InsuranceCardCheck>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct InsuranceCardCheck {
    #[serde(default)]
    member_id: Option<String>,
    #[serde(default)]
    payer_name: Option<String>,
    #[serde(default)]
    payer_id: Option<String>,
}

/// Validates `data` and reads the dates that decide the date of service.
fn encounter_data(document: Value) -> Result<EncounterData, CandidError> {
    let check: DataCheck = check_value(&document, "data").map_err(CandidError::validation)?;
    let lines = check.service_lines.unwrap_or_default();
    for (index, line) in lines.iter().enumerate() {
        if let Some(quantity) = &line.quantity
            && !copay_domain::charge_capture::is_decimal_quantity(quantity, 3)
        {
            return Err(CandidError::validation(FieldError {
                path: vec![
                    crate::wire::PathSegment::Key("data".into()),
                    crate::wire::PathSegment::Key("service_lines".into()),
                    crate::wire::PathSegment::Index(index),
                    crate::wire::PathSegment::Key("quantity".into()),
                ],
                message: format!("{quantity:?} is not a decimal quantity (up to 3 decimal places)"),
                kind: "value_error",
            }));
        }
    }
    Ok(EncounterData {
        dates: EncounterDates {
            encounter: check.date_of_service.map(|date| date.0),
            lines: lines
                .iter()
                .map(|line| line.date_of_service.map(|date| date.0))
                .collect(),
        },
        document,
    })
}

fn non_empty(field: &str, value: String) -> Result<String, CandidError> {
    if value.trim().is_empty() {
        Err(CandidError::validation(FieldError::at(
            &[field],
            "must not be empty",
            "value_error",
        )))
    } else {
        Ok(value)
    }
}

fn required<T>(field: &str, value: Option<Option<T>>) -> Result<Option<T>, CandidError> {
    match value {
        None => Ok(None),
        Some(Some(value)) => Ok(Some(value)),
        Some(None) => Err(CandidError::validation(FieldError::at(
            &[field],
            "may not be null",
            "value_error",
        ))),
    }
}

fn to_json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn parse_id(id: &str) -> Result<Uuid, CandidError> {
    Uuid::parse_str(id).map_err(|_| CandidError::EntityNotFound(id.to_string()))
}

impl From<copay_service::ServiceError> for ChargeCaptureError {
    fn from(error: copay_service::ServiceError) -> Self {
        ChargeCaptureError(match error {
            copay_service::ServiceError::DuplicateExternalId { external_id, .. } => {
                CandidError::ChargeExternalIdConflict(format!(
                    "a charge capture with charge_external_id {external_id:?} already exists"
                ))
            }
            other => other.into(),
        })
    }
}

/// Charge-capture errors: a duplicate external id is `ChargeExternalIdConflictError`.
pub struct ChargeCaptureError(CandidError);

impl From<CandidError> for ChargeCaptureError {
    fn from(error: CandidError) -> Self {
        ChargeCaptureError(error)
    }
}

impl axum::response::IntoResponse for ChargeCaptureError {
    fn into_response(self) -> axum::response::Response {
        self.0.into_response()
    }
}

/// Creates a charge capture.
#[utoipa::path(
    post,
    path = "/api/charge_captures/v1",
    tag = "candid: charge captures",
    request_body = ChargeCaptureCreate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = ChargeCaptureResponse),
        (status = 401, description = "`UnauthorizedError`"),
        (status = 409, description = "`ChargeExternalIdConflictError`"),
        (status = 422, description = "`HttpRequestValidationsError` naming the field"),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    CandidJson(body): CandidJson<ChargeCaptureCreate>,
) -> Result<Json<ChargeCaptureResponse>, ChargeCaptureError> {
    let new = NewChargeCapture {
        data: encounter_data(body.data)?,
        charge_external_id: non_empty("charge_external_id", body.charge_external_id)?,
        patient: ChargePatient::External(non_empty(
            "patient_external_id",
            body.patient_external_id,
        )?),
        status: body.status.into(),
        originating_system: body.originating_system,
        claim_creation_category: body.claim_creation_category,
        ehr_source_url: body.ehr_source_url,
        attachment_external_document_ids: body.attachment_external_document_ids.map(to_json),
        metadata: body.metadata.map(to_json),
        hl7_message_type: body.hl7_message_type.map(|t| t.as_str().to_string()),
    };
    let created = service::create(&state.store, &tenant, new).await?;
    Ok(Json(created.into()))
}

/// Request body B: a charge for a patient of copay's registry.
#[derive(Deserialize, ToSchema)]
pub struct ChargeCaptureCreateFromPreEncounter {
    /// `ChargeCaptureData`; its `patient` is filled from the registry when processed.
    #[schema(value_type = Object)]
    pub data: Value,
    pub charge_external_id: String,
    /// The copay patient (as created on the Decoda side or registered by processing).
    pub pre_encounter_patient_id: Uuid,
    pub pre_encounter_appointment_ids: Vec<Uuid>,
    pub status: ChargeCaptureStatusWire,
    #[serde(default)]
    pub originating_system: Option<String>,
    #[serde(default)]
    pub claim_creation_category: Option<String>,
    #[serde(default)]
    pub ehr_source_url: Option<String>,
    #[serde(default)]
    pub attachment_external_document_ids: Option<Vec<String>>,
    #[serde(default)]
    pub hl7_message_type: Option<Hl7MessageType>,
}

/// Creates a charge capture for a registry patient. Its `patient_external_id` is the
/// patient's external id (the copay id when it has none); when the claim creation is
/// processed, the patient's current name, birth date, gender, address, email and phone
/// fill the encounter's `patient`.
#[utoipa::path(
    post,
    path = "/api/charge_captures/v1/create-from-pre-encounter",
    tag = "candid: charge captures",
    request_body = ChargeCaptureCreateFromPreEncounter,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = ChargeCaptureResponse),
        (status = 404, description = "`EntityNotFoundError`: no such patient in this tenant"),
        (status = 409, description = "`ChargeExternalIdConflictError`"),
        (status = 422, description = "`HttpRequestValidationsError` naming the field"),
    )
)]
pub async fn create_from_pre_encounter(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    CandidJson(body): CandidJson<ChargeCaptureCreateFromPreEncounter>,
) -> Result<Json<ChargeCaptureResponse>, ChargeCaptureError> {
    let new = NewChargeCapture {
        data: encounter_data(body.data)?,
        charge_external_id: non_empty("charge_external_id", body.charge_external_id)?,
        patient: ChargePatient::PreEncounter {
            patient_id: body.pre_encounter_patient_id,
            appointment_ids: body.pre_encounter_appointment_ids,
        },
        status: body.status.into(),
        originating_system: body.originating_system,
        claim_creation_category: body.claim_creation_category,
        ehr_source_url: body.ehr_source_url,
        attachment_external_document_ids: body.attachment_external_document_ids.map(to_json),
        metadata: None,
        hl7_message_type: body.hl7_message_type.map(|t| t.as_str().to_string()),
    };
    let created = service::create(&state.store, &tenant, new).await?;
    Ok(Json(created.into()))
}

/// Returns one charge capture of the caller's tenant.
#[utoipa::path(
    get,
    path = "/api/charge_captures/v1/{charge_capture_id}",
    tag = "candid: charge captures",
    params(("charge_capture_id" = String, Path)),
    security(("candid_bearer" = [])),
    responses((status = 200, body = ChargeCaptureResponse), (status = 404, description = "Not in this tenant"))
)]
pub async fn get(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
) -> Result<Json<ChargeCaptureResponse>, ChargeCaptureError> {
    let capture = service::get(&state.store, &tenant, parse_id(&id)?).await?;
    Ok(Json(capture.into()))
}

/// Updates a charge capture. `data`, when given, replaces the stored data as a whole.
#[utoipa::path(
    patch,
    path = "/api/charge_captures/v1/{charge_capture_id}",
    tag = "candid: charge captures",
    params(("charge_capture_id" = String, Path)),
    request_body = ChargeCaptureUpdate,
    security(("candid_bearer" = [])),
    responses(
        (status = 200, body = ChargeCaptureResponse),
        (status = 404, description = "`EntityNotFoundError`"),
        (status = 409, description = "`ChargeExternalIdConflictError`"),
        (status = 422, description = "`HttpRequestValidationsError`"),
    )
)]
pub async fn update(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    Path(id): Path<String>,
    CandidJson(body): CandidJson<ChargeCaptureUpdate>,
) -> Result<Json<ChargeCaptureResponse>, ChargeCaptureError> {
    let id = parse_id(&id)?;
    let patch = ChargeCapturePatch {
        data: required("data", body.data)?
            .map(encounter_data)
            .transpose()?,
        charge_external_id: required("charge_external_id", body.charge_external_id)?
            .map(|value| non_empty("charge_external_id", value))
            .transpose()?,
        patient_external_id: required("patient_external_id", body.patient_external_id)?
            .map(|value| non_empty("patient_external_id", value))
            .transpose()?,
        status: required("status", body.status)?.map(Into::into),
        originating_system: body.originating_system,
        claim_creation_category: body.claim_creation_category,
        ehr_source_url: body.ehr_source_url,
        attachment_external_document_ids: body
            .attachment_external_document_ids
            .map(|ids| ids.map(to_json)),
        metadata: body.metadata.map(|metadata| metadata.map(to_json)),
        hl7_message_type: body
            .hl7_message_type
            .map(|t| t.map(|t| t.as_str().to_string())),
    };
    let updated = service::update(&state.store, &tenant, id, patch).await?;
    Ok(Json(updated.into()))
}

/// `ChargeCapturePage`.
#[derive(Serialize, ToSchema)]
pub struct ChargeCapturePageResponse {
    pub items: Vec<ChargeCaptureResponse>,
    /// How many charge captures match the filters, over all pages.
    pub item_count: i64,
    pub next_page_token: Option<String>,
    /// Always null: walk forward with `next_page_token`.
    pub prev_page_token: Option<String>,
}

const STATUSES: &[&str] = &[
    "planned",
    "not-billable",
    "billable",
    "aborted",
    "entered-in-error",
];

/// List filters read from the charge data, by query parameter (each takes repeated
/// values; `service_facility_name` takes one).
const FACET_PARAMETERS: &[(&str, Facet)] = &[
    ("billing_provider_npis", Facet::BillingProviderNpi),
    ("service_facility_name", Facet::ServiceFacilityName),
    ("primary_payer_ids", Facet::PrimaryPayerId),
    ("primary_payer_names", Facet::PrimaryPayerName),
    ("rendering_provider_npis", Facet::RenderingProviderNpi),
    ("rendering_provider_names", Facet::RenderingProviderName),
    ("supervising_provider_npis", Facet::SupervisingProviderNpi),
    ("supervising_provider_names", Facet::SupervisingProviderName),
    ("claim_creation_category", Facet::ClaimCreationCategory),
    ("tags", Facet::Tag),
    ("patient_names", Facet::PatientName),
];

/// The conditions named `<parameter><suffix>`: the filters with no suffix, the ranking
/// hints with `_ranked_sort`. Both read the same parameters the same way.
/// The most values one list parameter, metadata instance list or search may carry, so a
/// request stays a bounded query.
const MAX_LIST_VALUES: usize = 100;
const MAX_SEARCH_WORDS: usize = 20;

fn too_many(parameter: &str, limit: usize) -> FieldError {
    FieldError::at(&[parameter], format!("at most {limit} values"), "too_long")
}

fn conditions(query: &QueryParams, suffix: &str) -> Result<ChargeCaptureFilter, FieldError> {
    let name = |base: &str| format!("{base}{suffix}");
    for (parameter, _) in FACET_PARAMETERS.iter().chain(
        [
            ("claim_ids", Facet::Tag),
            ("claim_creation_ids", Facet::Tag),
        ]
        .iter(),
    ) {
        if query.strings(&name(parameter)).len() > MAX_LIST_VALUES {
            return Err(too_many(&name(parameter), MAX_LIST_VALUES));
        }
    }
    let mut facets = Vec::new();
    for (parameter, facet) in FACET_PARAMETERS {
        let values: Vec<String> = query
            .strings(&name(parameter))
            .iter()
            .filter_map(|value| facet.normalize(value))
            .collect();
        if !values.is_empty() {
            facets.push((*facet, values));
        }
    }
    Ok(ChargeCaptureFilter {
        status: query.one_of(&name("status"), STATUSES)?,
        patient_external_id: query.string(&name("patient_external_id")),
        charge_external_id: query.string(&name("charge_external_id")),
        date_of_service_min: query.date(&name("date_of_service_min"))?,
        date_of_service_max: query.date(&name("date_of_service_max"))?,
        claim_ids: query.parsed_list(&name("claim_ids"), "a UUID")?,
        claim_creation_ids: query.parsed_list(&name("claim_creation_ids"), "a UUID")?,
        facets,
        ..ChargeCaptureFilter::default()
    })
}

/// The filters that have no ranking form.
fn filter(query: &QueryParams) -> Result<ChargeCaptureFilter, FieldError> {
    let mut filter = conditions(query, "")?;
    for (parameter, facet, allowed) in [
        (
            "billable_status",
            Facet::BillableStatus,
            &["BILLABLE", "NOT_BILLABLE"][..],
        ),
        (
            "responsible_party",
            Facet::ResponsibleParty,
            &["INSURANCE_PAY", "SELF_PAY", "UNKNOWN"][..],
        ),
    ] {
        if let Some(value) = query.one_of(parameter, allowed)? {
            filter.facets.push((facet, vec![value]));
        }
    }
    filter.claim_status = query.one_of("claim_status", CLAIM_STATUSES)?;
    filter.exclude_linked_to_claim_creations = query
        .bool("exclude_charges_linked_to_claims")?
        .unwrap_or(false);
    filter.search_words = query
        .string("search_term")
        .map(|term| search_words(&term))
        .unwrap_or_default();
    if filter.search_words.len() > MAX_SEARCH_WORDS {
        return Err(too_many("search_term", MAX_SEARCH_WORDS));
    }
    Ok(filter)
}

type ListRequest = (
    ChargeCaptureFilter,
    ChargeCaptureFilter,
    ListOrder,
    Option<String>,
);

fn list_request(query: &QueryParams) -> Result<ListRequest, FieldError> {
    let sort = match query
        .one_of("sort", &["created_at", "date_of_service"])?
        .as_deref()
    {
        Some("date_of_service") => ChargeCaptureSort::DateOfService,
        _ => ChargeCaptureSort::CreatedAt,
    };
    let descending = query.one_of("sort_direction", &["asc", "desc"])?.as_deref() != Some("asc");
    let limit = query
        .parsed::<u32>("limit", "a whole number")?
        .unwrap_or(100);
    Ok((
        filter(query)?,
        conditions(query, "_ranked_sort")?,
        ListOrder {
            sort,
            descending,
            limit,
        },
        query.string("page_token"),
    ))
}

/// Lists the tenant's charge captures, newest first by default (`limit` 1–1000, default
/// 100). Every given filter must match; list filters take repeated values and match any.
/// Names compare without case or extra spaces. Each filter except `billable_status`,
/// `responsible_party`, `claim_status`, `search_term` and `exclude_charges_linked_to_claims`
/// also has a `<name>_ranked_sort` form: an ordering hint, not a filter — captures matching
/// more hints are listed first. Pages are keyset-based: rows inserted while paging never
/// make a later page skip or repeat a row.
#[utoipa::path(
    get,
    path = "/api/charge_captures/v1",
    tag = "candid: charge captures",
    params(
        ("limit" = Option<u32>, Query), ("page_token" = Option<String>, Query),
        ("sort" = Option<String>, Query, description = "created_at | date_of_service"),
        ("sort_direction" = Option<String>, Query, description = "asc | desc"),
        ("status" = Option<ChargeCaptureStatusWire>, Query), ("patient_external_id" = Option<String>, Query),
        ("charge_external_id" = Option<String>, Query), ("date_of_service_min" = Option<String>, Query),
        ("date_of_service_max" = Option<String>, Query), ("claim_creation_ids" = Option<Vec<String>>, Query),
        ("exclude_charges_linked_to_claims" = Option<bool>, Query),
        ("claim_ids" = Option<Vec<String>>, Query), ("claim_status" = Option<String>, Query),
        ("billing_provider_npis" = Option<Vec<String>>, Query), ("service_facility_name" = Option<String>, Query),
        ("primary_payer_ids" = Option<Vec<String>>, Query), ("primary_payer_names" = Option<Vec<String>>, Query),
        ("rendering_provider_npis" = Option<Vec<String>>, Query), ("rendering_provider_names" = Option<Vec<String>>, Query),
        ("supervising_provider_npis" = Option<Vec<String>>, Query), ("supervising_provider_names" = Option<Vec<String>>, Query),
        ("claim_creation_category" = Option<Vec<String>>, Query), ("tags" = Option<Vec<String>>, Query),
        ("patient_names" = Option<Vec<String>>, Query),
        ("billable_status" = Option<BillableStatusType>, Query), ("responsible_party" = Option<ResponsiblePartyType>, Query),
        ("search_term" = Option<String>, Query, description = "Every word is a prefix of the charge id, patient or charge external id, patient first or last name or date of birth, or is the id of the charge's claim"),
    ),
    security(("candid_bearer" = [])),
    responses((status = 200, body = ChargeCapturePageResponse), (status = 422, description = "A parameter is invalid"))
)]
pub async fn get_all(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<ChargeCapturePageResponse>, ChargeCaptureError> {
    let query = QueryParams::parse(raw.as_deref());
    let (filter, rank_by, order, page_token) =
        list_request(&query).map_err(CandidError::validation)?;
    let page = service::list(
        &state.store,
        &tenant,
        &filter,
        &rank_by,
        order,
        page_token.as_deref(),
    )
    .await?;
    Ok(Json(page.into()))
}

impl From<ChargeCapturePage> for ChargeCapturePageResponse {
    fn from(page: ChargeCapturePage) -> Self {
        ChargeCapturePageResponse {
            items: page.items.into_iter().map(Into::into).collect(),
            item_count: page.item_count,
            next_page_token: page.next_page_token,
            prev_page_token: None,
        }
    }
}

/// Request body E: find charge captures by their `metadata`.
#[derive(Deserialize, ToSchema)]
pub struct FindByMetadata {
    /// A charge matches when it matches any instance: it has an instance of the same
    /// schema holding every key of `content` with an equal value.
    pub metadata: Vec<SchemaInstance>,
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub page_token: Option<String>,
}

/// Finds charge captures by metadata, newest first (`limit` 1–1000, default 100).
#[utoipa::path(
    post,
    path = "/api/charge_captures/v1/find-by-metadata",
    tag = "candid: charge captures",
    request_body = FindByMetadata,
    security(("candid_bearer" = [])),
    responses((status = 200, body = ChargeCapturePageResponse), (status = 422, description = "A field is invalid"))
)]
pub async fn find_by_metadata(
    State(state): State<AppState>,
    CandidTenant(tenant): CandidTenant,
    CandidJson(body): CandidJson<FindByMetadata>,
) -> Result<Json<ChargeCapturePageResponse>, ChargeCaptureError> {
    if body.metadata.len() > MAX_LIST_VALUES {
        return Err(CandidError::validation(FieldError::at(
            &["metadata"],
            format!("at most {MAX_LIST_VALUES} instances"),
            "too_long",
        ))
        .into());
    }
    if let Some(index) = body
        .metadata
        .iter()
        .position(|instance| instance.content.len() > MAX_LIST_VALUES)
    {
        return Err(CandidError::validation(FieldError::at_dotted(
            &format!("metadata[{index}].content"),
            format!("at most {MAX_LIST_VALUES} keys"),
            "too_long",
        ))
        .into());
    }
    let instances = body
        .metadata
        .iter()
        .map(|instance| {
            let schema_id = instance.schema_id.to_string();
            MetadataMatch {
                entries: instance
                    .content
                    .iter()
                    .map(|(key, value)| metadata_entry(&schema_id, key, value))
                    .collect(),
                schema_id,
            }
        })
        .collect();
    let filter = ChargeCaptureFilter {
        metadata_any: Some(instances),
        ..ChargeCaptureFilter::default()
    };
    let order = ListOrder {
        sort: ChargeCaptureSort::CreatedAt,
        descending: true,
        limit: body.limit.unwrap_or(100),
    };
    let page = service::list(
        &state.store,
        &tenant,
        &filter,
        &ChargeCaptureFilter::default(),
        order,
        body.page_token.as_deref(),
    )
    .await?;
    Ok(Json(page.into()))
}
