//! Patients in both Decoda generations: Gen-1 `/v1/patient/...` and Gen-2
//! `/user/patient/...`. One registry stands behind both (and behind the Candid side's
//! `patient_external_id`); each generation has its own body and summary shapes.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::patients::{self as service, Patient, PatientChanges};

use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, WireDate, format_date, format_timestamp, present};

/// Declares `PatientBody`: the identity and contact fields copay keeps as columns, then
/// the attributes it stores as given and returns, each `field: type = "wireName" /
/// "snake_alias" => "stored name"`.
macro_rules! patient_body {
    ($($field:ident: $type:ty = $wire:literal / $alias:literal => $stored:literal),+ $(,)?) => {
        /// A patient body of either generation (create or update), camelCase with
        /// snake_case aliases. Absent leaves a field alone; `null` clears it.
        #[derive(Deserialize, ToSchema, Default)]
        #[serde(rename_all = "camelCase")]
        pub struct PatientBody {
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub id: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "first_name")]
            #[schema(value_type = Option<String>)]
            pub first_name: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "last_name")]
            #[schema(value_type = Option<String>)]
            pub last_name: Option<Option<String>>,
            /// Gen-1's external id.
            #[serde(default, deserialize_with = "present", alias = "external_user_id")]
            #[schema(value_type = Option<String>)]
            pub external_user_id: Option<Option<String>>,
            /// Gen-2's external id.
            #[serde(default, deserialize_with = "present", alias = "external_id")]
            #[schema(value_type = Option<String>)]
            pub external_id: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub email: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "phone_number")]
            #[schema(value_type = Option<String>)]
            pub phone_number: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "date_of_birth")]
            #[schema(value_type = Option<String>, format = Date)]
            pub date_of_birth: Option<Option<WireDate>>,
            /// Gen-1: `MALE`, `FEMALE`, `OTHER` or `PREFER_NOT_TO_SAY`; Gen-2: free text.
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub gender: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub address: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "address_line_two")]
            #[schema(value_type = Option<String>)]
            pub address_line_two: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub city: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub state: Option<Option<String>>,
            #[serde(default, deserialize_with = "present", alias = "zip_code")]
            #[schema(value_type = Option<String>)]
            pub zip_code: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<String>)]
            pub country: Option<Option<String>>,
            #[serde(default, deserialize_with = "present")]
            #[schema(value_type = Option<Object>)]
            pub meta: Option<Option<Map<String, Value>>>,
            #[serde(default, deserialize_with = "present", alias = "credit_balance")]
            #[schema(value_type = Option<i64>)]
            pub credit_balance: Option<Option<i64>>,
            /// Accepted and not stored: copay keeps its own timestamps.
            #[serde(default, alias = "updated_date")]
            #[schema(value_type = Option<String>)]
            pub updated_date: Option<Value>,
            $(
                #[serde(default, rename = $wire, alias = $alias, deserialize_with = "present")]
                #[schema(value_type = Option<$type>)]
                pub $field: Option<Option<$type>>,
            )+
        }

        impl PatientBody {
            /// The attributes given, by stored name (`null` where the body cleared one).
            fn attributes(&self) -> Map<String, Value> {
                let mut map = Map::new();
                $(
                    if let Some(value) = &self.$field {
                        map.insert(
                            $stored.to_string(),
                            value
                                .as_ref()
                                .and_then(|value| serde_json::to_value(value).ok())
                                .unwrap_or(Value::Null),
                        );
                    }
                )+
                map
            }
        }
    };
}

patient_body! {
    address_valid: bool = "addressValid" / "address_valid" => "address_valid",
    allergies: Vec<String> = "allergies" / "allergies" => "allergies",
    family_history: Vec<String> = "familyHistory" / "family_history" => "family_history",
    medical_history: Vec<String> = "medicalHistory" / "medical_history" => "medical_history",
    medications: Vec<String> = "medications" / "patient_medications" => "medications",
    prescriptions: Vec<String> = "prescriptions" / "prescriptions" => "prescriptions",
    opted_out_of_sms: bool = "optedOutOfSms" / "opted_out_of_sms" => "opted_out_of_sms",
    firebase_uid: String = "firebaseUid" / "firebase_uid" => "firebase_uid",
    primary_location_id: String = "primaryLocationId" / "primary_location_id" => "primary_location_id",
    pronouns: String = "pronouns" / "pronouns" => "pronouns",
    preferred_name: String = "preferredName" / "preferred_name" => "preferred_name",
    patient_source: PatientSource = "patientSource" / "patient_source" => "patient_source",
    lead_source: String = "leadSource" / "lead_source" => "lead_source",
    on_scheduling_blacklist: bool = "onSchedulingBlacklist" / "on_scheduling_blacklist" => "on_scheduling_blacklist",
    surcharge_disabled: bool = "surchargeDisabled" / "surcharge_disabled" => "surcharge_disabled",
    preferred_provider_id: String = "preferredProviderId" / "preferred_provider_id" => "preferred_provider_id",
    goal_weight: f64 = "goalWeight" / "goal_weight" => "goal_weight",
    user_type: String = "type" / "user_type" => "type",
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatientSource {
    SelfScheduling,
    Call,
    Text,
    ManuallyCreated,
    UploadedFromFile,
    Form,
    SeedData,
    Demo,
    ExternalIntegration,
    Other,
}

/// Which published generation a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    One,
    Two,
}

const GEN1_GENDERS: [&str; 4] = ["MALE", "FEMALE", "OTHER", "PREFER_NOT_TO_SAY"];
const MAX_PREFERRED_NAME: usize = 255;

/// The body as registry changes, after the checks a generation adds to the shape.
fn changes(body: PatientBody, generation: Generation) -> Result<PatientChanges, DecodaError> {
    if let Some(Some(gender)) = &body.gender
        && generation == Generation::One
        && !GEN1_GENDERS.contains(&gender.as_str())
    {
        return Err(DecodaError::body(
            "gender",
            format!("Input should be {}", GEN1_GENDERS.join(", ")),
            "enum",
        ));
    }
    if let Some(Some(name)) = &body.preferred_name
        && name.chars().count() > MAX_PREFERRED_NAME
    {
        return Err(DecodaError::body(
            "preferredName",
            format!("String should have at most {MAX_PREFERRED_NAME} characters"),
            "string_too_long",
        ));
    }
    let attributes = body.attributes();
    let external_id = match generation {
        Generation::One => body.external_user_id.or(body.external_id),
        Generation::Two => body.external_id.or(body.external_user_id),
    };
    if let Some(Some(external_id)) = &external_id
        && external_id.trim().is_empty()
    {
        let field = match generation {
            Generation::One => "externalUserId",
            Generation::Two => "externalId",
        };
        return Err(DecodaError::body(field, "must not be empty", "value_error"));
    }
    Ok(PatientChanges {
        external_id,
        first_name: body.first_name,
        last_name: body.last_name,
        email: body.email,
        phone_number: body.phone_number,
        date_of_birth: body.date_of_birth.map(|date| date.map(|date| date.0)),
        gender: body.gender,
        address_line_one: body.address,
        address_line_two: body.address_line_two,
        city: body.city,
        state: body.state,
        zip_code: body.zip_code,
        country: body.country,
        meta: body.meta.map(|meta| meta.map(Value::Object)),
        attributes,
        credit_balance: body.credit_balance.flatten(),
    })
}

fn attribute<T: serde::de::DeserializeOwned>(patient: &Patient, name: &str) -> Option<T> {
    patient
        .attributes
        .get(name)
        .and_then(|value| serde_json::from_value(value.clone()).ok())
}

/// Gen-1 `PatientSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientSummaryV1 {
    pub id: String,
    #[serde(rename = "type")]
    pub user_type: String,
    pub created_date: String,
    /// Required by Gen-1; `""` for a patient registered without one (by Gen-2 or Candid).
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub external_user_id: Option<String>,
    pub address: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub address_valid: Option<bool>,
    pub date_of_birth: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    pub opted_out_of_sms: bool,
    pub allergies: Option<Vec<String>>,
    pub family_history: Option<Vec<String>>,
    pub medical_history: Option<Vec<String>>,
    pub medications: Option<Vec<String>>,
    pub prescriptions: Option<Vec<String>>,
}

impl From<Patient> for PatientSummaryV1 {
    fn from(patient: Patient) -> Self {
        PatientSummaryV1 {
            id: patient.id.to_string(),
            user_type: attribute(&patient, "type").unwrap_or_else(|| "PATIENT".to_string()),
            created_date: format_timestamp(patient.created_at),
            address_valid: attribute(&patient, "address_valid"),
            opted_out_of_sms: attribute(&patient, "opted_out_of_sms").unwrap_or(false),
            allergies: attribute(&patient, "allergies"),
            family_history: attribute(&patient, "family_history"),
            medical_history: attribute(&patient, "medical_history"),
            medications: attribute(&patient, "medications"),
            prescriptions: attribute(&patient, "prescriptions"),
            first_name: patient.first_name.unwrap_or_default(),
            last_name: patient.last_name,
            email: patient.email,
            phone_number: patient.phone_number,
            external_user_id: patient.external_id,
            address: patient.address_line_one,
            address_line_two: patient.address_line_two,
            city: patient.city,
            state: patient.state,
            zip_code: patient.zip_code,
            country: patient.country,
            date_of_birth: patient.date_of_birth.map(format_date),
            meta: patient.meta,
        }
    }
}

/// Gen-2 `PatientSummary`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientSummaryV2 {
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub email: Option<String>,
    /// Always `PATIENT`.
    #[serde(rename = "type")]
    pub user_type: String,
    pub location_id: Option<String>,
    pub external_id: Option<String>,
    pub address: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub created_date: String,
    pub address_valid: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    pub is_archived: Option<bool>,
    pub primary_location_id: Option<String>,
    pub gender: Option<String>,
    pub pronouns: Option<String>,
    pub preferred_name: Option<String>,
    pub date_of_birth: Option<String>,
    pub patient_medications: Option<Vec<String>>,
    pub patient_source: Option<PatientSource>,
    pub lead_source: Option<String>,
    pub on_scheduling_blacklist: Option<bool>,
    pub surcharge_disabled: Option<bool>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub tags: Option<Vec<Value>>,
    pub credit_balance: Option<i64>,
    pub preferred_provider_id: Option<String>,
    pub dosespot_patient_id: Option<String>,
}

impl From<Patient> for PatientSummaryV2 {
    fn from(patient: Patient) -> Self {
        PatientSummaryV2 {
            id: patient.id.to_string(),
            user_type: "PATIENT".to_string(),
            location_id: attribute(&patient, "primary_location_id"),
            created_date: format_timestamp(patient.created_at),
            address_valid: attribute(&patient, "address_valid"),
            is_archived: Some(false),
            primary_location_id: attribute(&patient, "primary_location_id"),
            pronouns: attribute(&patient, "pronouns"),
            preferred_name: attribute(&patient, "preferred_name"),
            patient_medications: attribute(&patient, "medications"),
            patient_source: attribute(&patient, "patient_source"),
            lead_source: attribute(&patient, "lead_source"),
            on_scheduling_blacklist: Some(
                attribute(&patient, "on_scheduling_blacklist").unwrap_or(false),
            ),
            surcharge_disabled: Some(attribute(&patient, "surcharge_disabled").unwrap_or(false)),
            tags: Some(Vec::new()),
            credit_balance: Some(patient.credit_balance),
            preferred_provider_id: attribute(&patient, "preferred_provider_id"),
            dosespot_patient_id: None,
            first_name: patient.first_name,
            last_name: patient.last_name,
            phone_number: patient.phone_number,
            email: patient.email,
            external_id: patient.external_id,
            address: patient.address_line_one,
            address_line_two: patient.address_line_two,
            city: patient.city,
            state: patient.state,
            zip_code: patient.zip_code,
            country: patient.country,
            meta: patient.meta,
            gender: patient.gender,
            date_of_birth: patient.date_of_birth.map(format_date),
        }
    }
}

/// Gen-2 `PatientChart`: the summary and the chart parts copay keeps (none of the
/// clinical chart: memberships, measurements and health data are empty).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PatientChart {
    #[serde(flatten)]
    pub summary: PatientSummaryV2,
    #[schema(value_type = Option<Vec<Object>>)]
    pub memberships: Option<Vec<Value>>,
    pub goal_weight: Option<f64>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub measurements: Option<Vec<Value>>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub medications: Option<Vec<Value>>,
    pub opted_out_of_sms: Option<bool>,
    pub appointment_count: Option<i64>,
    pub total_spent: Option<i64>,
    #[schema(value_type = Option<Object>)]
    pub health_data: Option<Value>,
    pub profile_picture_url: Option<String>,
}

impl From<Patient> for PatientChart {
    fn from(patient: Patient) -> Self {
        PatientChart {
            memberships: Some(Vec::new()),
            goal_weight: attribute(&patient, "goal_weight"),
            measurements: Some(Vec::new()),
            medications: Some(Vec::new()),
            opted_out_of_sms: Some(attribute(&patient, "opted_out_of_sms").unwrap_or(false)),
            appointment_count: Some(0),
            total_spent: Some(0),
            health_data: None,
            profile_picture_url: None,
            summary: patient.into(),
        }
    }
}

/// A path id: not a UUID means no such patient.
fn path_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found("patient"))
}

/// Creates a patient (Gen-1). `firstName` is required.
#[utoipa::path(
    post, path = "/v1/patient/create", tag = "decoda: patients (v1)",
    request_body = PatientBody,
    responses((status = 200, body = PatientSummaryV1), (status = 409, description = "`externalUserId` taken"),
              (status = 422, description = "Invalid body"))
)]
pub async fn create_v1(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<PatientBody>,
) -> Result<Json<PatientSummaryV1>, DecodaError> {
    if !matches!(&body.first_name, Some(Some(_))) {
        return Err(DecodaError::body("firstName", "Field required", "missing"));
    }
    let id = DecodaError::chosen_id("patient", &body.id)?;
    let patient =
        service::create(&state.store, &tenant, id, changes(body, Generation::One)?).await?;
    Ok(Json(patient.into()))
}

#[utoipa::path(
    get, path = "/v1/patient/{patient_id}", tag = "decoda: patients (v1)",
    params(("patient_id" = String, Path)),
    responses((status = 200, body = PatientSummaryV1), (status = 404, description = "Not in this tenant"))
)]
pub async fn get_v1(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<PatientSummaryV1>, DecodaError> {
    let patient = service::get(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(patient.into()))
}

#[utoipa::path(
    get, path = "/v1/patient/get_by_external_id/{external_id}", tag = "decoda: patients (v1)",
    params(("external_id" = String, Path)),
    responses((status = 200, body = PatientSummaryV1), (status = 404, description = "Not in this tenant"))
)]
pub async fn get_by_external_id_v1(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(external_id): Path<String>,
) -> Result<Json<PatientSummaryV1>, DecodaError> {
    let patient = service::get_by_external_id(&state.store, &tenant, &external_id).await?;
    Ok(Json(patient.into()))
}

#[utoipa::path(
    put, path = "/v1/patient/update/{patient_id}", tag = "decoda: patients (v1)",
    params(("patient_id" = String, Path)),
    request_body = PatientBody,
    responses((status = 200, body = PatientSummaryV1), (status = 404, description = "Not in this tenant"),
              (status = 409, description = "`externalUserId` taken"), (status = 422, description = "Invalid body"))
)]
pub async fn update_v1(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<PatientBody>,
) -> Result<Json<PatientSummaryV1>, DecodaError> {
    if matches!(body.first_name, Some(None)) {
        return Err(DecodaError::body(
            "firstName",
            "may not be null",
            "value_error",
        ));
    }
    let id = path_id(&id)?;
    let patient =
        service::update(&state.store, &tenant, id, changes(body, Generation::One)?).await?;
    Ok(Json(patient.into()))
}

/// `search_term` matches names, phone, email and ids (case-insensitive, anywhere in the
/// text); `external_user_id` matches exactly; `n` (default 10, at most 1000) newest first.
#[utoipa::path(
    get, path = "/v1/patient/list", tag = "decoda: patients (v1)",
    params(("search_term" = Option<String>, Query), ("external_user_id" = Option<String>, Query),
           ("n" = Option<u32>, Query)),
    responses((status = 200, body = Vec<PatientSummaryV1>), (status = 422, description = "Invalid parameter"))
)]
pub async fn list_v1(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<PatientSummaryV1>>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let bad_query = |error| DecodaError::Validation(Location::Query, vec![error]);
    let n = query
        .parsed::<u32>("n", "a whole number")
        .map_err(bad_query)?
        .unwrap_or(10);
    let patients = service::list(
        &state.store,
        &tenant,
        query.string("search_term").as_deref(),
        query.string("external_user_id").as_deref(),
        &[],
        n,
    )
    .await
    .map_err(DecodaError::from_query)?;
    Ok(Json(patients.into_iter().map(Into::into).collect()))
}

/// Creates a patient (Gen-2): every field optional.
#[utoipa::path(
    post, path = "/user/patient/create", tag = "decoda: patients",
    request_body = PatientBody,
    responses((status = 200, body = PatientSummaryV2), (status = 409, description = "`externalId` taken"),
              (status = 422, description = "Invalid body"))
)]
pub async fn create_v2(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<PatientBody>,
) -> Result<Json<PatientSummaryV2>, DecodaError> {
    let id = DecodaError::chosen_id("patient", &body.id)?;
    let patient =
        service::create(&state.store, &tenant, id, changes(body, Generation::Two)?).await?;
    Ok(Json(patient.into()))
}

#[utoipa::path(
    get, path = "/user/patient/{patient_id}", tag = "decoda: patients",
    params(("patient_id" = String, Path)),
    responses((status = 200, body = PatientChart), (status = 404, description = "Not in this tenant"))
)]
pub async fn get_v2(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<PatientChart>, DecodaError> {
    let patient = service::get(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(patient.into()))
}

/// Decoda names this path's parameter `{id}`; copay's router needs one name per position,
/// so it is documented as `{patient_id}` like the GET beside it. The URL is the same.
#[utoipa::path(
    put, path = "/user/patient/{patient_id}", tag = "decoda: patients",
    params(("patient_id" = String, Path)),
    request_body = PatientBody,
    responses((status = 200, body = PatientSummaryV2), (status = 404, description = "Not in this tenant"),
              (status = 409, description = "`externalId` taken"), (status = 422, description = "Invalid body"))
)]
pub async fn update_v2(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<PatientBody>,
) -> Result<Json<PatientSummaryV2>, DecodaError> {
    let id = path_id(&id)?;
    let patient =
        service::update(&state.store, &tenant, id, changes(body, Generation::Two)?).await?;
    Ok(Json(patient.into()))
}

/// The patients with these ids (repeat `patient_ids`), newest first; unknown ids are left
/// out. At most 1000 ids.
#[utoipa::path(
    get, path = "/user/patient/list", tag = "decoda: patients",
    params(("patient_ids" = Vec<String>, Query)),
    responses((status = 200, body = Vec<PatientSummaryV2>), (status = 422, description = "Invalid parameter"))
)]
pub async fn list_v2(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<Vec<PatientSummaryV2>>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let requested = query.strings("patient_ids");
    if requested.is_empty() {
        return Err(DecodaError::Validation(
            Location::Query,
            vec![FieldError::at(
                &["patient_ids"],
                "Field required",
                "missing",
            )],
        ));
    }
    if requested.len() > service::MAX_PATIENT_LIST as usize {
        return Err(DecodaError::Validation(
            Location::Query,
            vec![FieldError::at(
                &["patient_ids"],
                format!("at most {} ids", service::MAX_PATIENT_LIST),
                "too_long",
            )],
        ));
    }
    // An id that is not a UUID names no patient of copay's.
    let ids: Vec<Uuid> = requested
        .iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect();
    if ids.is_empty() {
        return Ok(Json(Vec::new()));
    }
    let patients = service::list(
        &state.store,
        &tenant,
        None,
        None,
        &ids,
        service::MAX_PATIENT_LIST,
    )
    .await?;
    Ok(Json(patients.into_iter().map(Into::into).collect()))
}
