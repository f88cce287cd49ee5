//! The patient registry both dialects share: create, read, update, list, and the upsert
//! that processing a claim creation does for the patient it names.

use serde_json::{Map, Value};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use copay_domain::encounter_patient::PatientFacts;
use copay_store::patients::{self as rows, PatientQuery, PatientRow};
use copay_store::{Json, Store, Tx};

use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    pub id: Uuid,
    pub external_id: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub date_of_birth: Option<Date>,
    /// As the writer gave it (dialects differ in their gender vocabularies).
    pub gender: Option<String>,
    pub address_line_one: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub meta: Option<Value>,
    /// Every other attribute, by snake_case name, as given.
    pub attributes: Map<String, Value>,
    /// Σ of the remaining patient credit, in cents.
    pub credit_balance: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Changes to a patient: `None` leaves a field alone, `Some(None)` clears it. An
/// attribute set to `null` is removed.
#[derive(Debug, Clone, Default)]
pub struct PatientChanges {
    pub external_id: Option<Option<String>>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub date_of_birth: Option<Option<Date>>,
    pub gender: Option<Option<String>>,
    pub address_line_one: Option<Option<String>>,
    pub address_line_two: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub state: Option<Option<String>>,
    pub zip_code: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub meta: Option<Option<Value>>,
    pub attributes: Map<String, Value>,
    /// The available credit to end up with (cents): granted or drawn to reach it.
    pub credit_balance: Option<i64>,
}

const ENTITY: &str = "patient";

fn set<T>(target: &mut Option<T>, change: Option<Option<T>>) {
    if let Some(value) = change {
        *target = value;
    }
}

impl PatientChanges {
    fn apply(self, row: &mut PatientRow) {
        set(&mut row.external_id, self.external_id);
        set(&mut row.first_name, self.first_name);
        set(&mut row.last_name, self.last_name);
        set(&mut row.email, self.email);
        set(&mut row.phone_number, self.phone_number);
        set(&mut row.date_of_birth, self.date_of_birth);
        set(&mut row.gender, self.gender);
        set(&mut row.address_line_one, self.address_line_one);
        set(&mut row.address_line_two, self.address_line_two);
        set(&mut row.city, self.city);
        set(&mut row.state, self.state);
        set(&mut row.zip_code, self.zip_code);
        set(&mut row.country, self.country);
        if let Some(meta) = self.meta {
            row.meta = meta.map(Json);
        }
        if let Value::Object(attributes) = &mut row.attributes.0 {
            for (key, value) in self.attributes {
                if value.is_null() {
                    attributes.remove(&key);
                } else {
                    attributes.insert(key, value);
                }
            }
        }
    }
}

fn from_row(row: PatientRow) -> Patient {
    Patient {
        id: row.id,
        external_id: row.external_id,
        first_name: row.first_name,
        last_name: row.last_name,
        email: row.email,
        phone_number: row.phone_number,
        date_of_birth: row.date_of_birth,
        gender: row.gender,
        address_line_one: row.address_line_one,
        address_line_two: row.address_line_two,
        city: row.city,
        state: row.state,
        zip_code: row.zip_code,
        country: row.country,
        meta: row.meta.map(|json| json.0),
        attributes: match row.attributes.0 {
            Value::Object(map) => map,
            _ => Map::new(),
        },
        // Filled in by `with_balance` from the patient's credits.
        credit_balance: 0,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// The patient with its `credit_balance` read from its credits.
async fn with_balance(
    store: &Store,
    mut patient: Patient,
    tenant_id: Uuid,
) -> Result<Patient, ServiceError> {
    patient.credit_balance = crate::credits::balance(store, tenant_id, patient.id).await?;
    Ok(patient)
}

fn not_found(id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity: ENTITY,
        id: id.to_string(),
    }
}

fn duplicate(row: &PatientRow) -> ServiceError {
    ServiceError::DuplicateExternalId {
        entity: ENTITY,
        external_id: row.external_id.clone().unwrap_or_default(),
    }
}

fn empty_row(tenant_id: Uuid, id: Uuid) -> PatientRow {
    let now = copay_store::now();
    PatientRow {
        id,
        tenant_id,
        external_id: None,
        first_name: None,
        last_name: None,
        email: None,
        phone_number: None,
        date_of_birth: None,
        gender: None,
        address_line_one: None,
        address_line_two: None,
        city: None,
        state: None,
        zip_code: None,
        country: None,
        meta: None,
        attributes: Json(Value::Object(Map::new())),
        created_at: now,
        updated_at: now,
    }
}

/// Creates a patient; `id` is the caller's choice when given (a UUID), else a new one.
pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    id: Option<Uuid>,
    changes: PatientChanges,
) -> Result<Patient, ServiceError> {
    let mut row = empty_row(tenant.tenant_id, id.unwrap_or_else(Uuid::now_v7));
    let credit_balance = changes.credit_balance;
    changes.apply(&mut row);
    let mut tx = store.begin().await?;
    if let Some(external_id) = &row.external_id
        && rows::by_external_id_for_update(&mut tx, tenant.tenant_id, external_id)
            .await?
            .is_some()
    {
        return Err(duplicate(&row));
    }
    if let Err(error) = rows::insert(&mut tx, &row).await {
        // A concurrent create took the external id, or the caller's id is taken.
        return Err(if error.is_unique_violation() {
            ServiceError::Conflict(format!(
                "a patient with id {} or with this external id already exists",
                row.id
            ))
        } else {
            error.into()
        });
    }
    if let Some(target) = credit_balance {
        crate::credits::set_balance_in_tx(&mut tx, tenant.tenant_id, row.id, target).await?;
    }
    crate::events::record_in_tx(
        &mut tx,
        tenant.tenant_id,
        crate::events::EventType::PatientCreated,
        crate::events::Subject::Patient(row.id),
    )
    .await?;
    tx.commit().await?;
    with_balance(store, from_row(row), tenant.tenant_id).await
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Patient, ServiceError> {
    let patient = store
        .patient(tenant.tenant_id, id)
        .await?
        .map(from_row)
        .ok_or_else(|| not_found(id))?;
    with_balance(store, patient, tenant.tenant_id).await
}

/// The patient, read (and on PostgreSQL locked) inside the caller's transaction.
pub async fn get_in_tx(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Patient, ServiceError> {
    rows::get_for_update(tx, tenant_id, id)
        .await?
        .map(from_row)
        .ok_or_else(|| not_found(id))
}

pub async fn get_by_external_id(
    store: &Store,
    tenant: &TenantCtx,
    external_id: &str,
) -> Result<Patient, ServiceError> {
    let patient = store
        .patient_by_external_id(tenant.tenant_id, external_id)
        .await?
        .map(from_row)
        .ok_or_else(|| not_found(external_id))?;
    with_balance(store, patient, tenant.tenant_id).await
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    changes: PatientChanges,
) -> Result<Patient, ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    let credit_balance = changes.credit_balance;
    changes.apply(&mut row);
    row.updated_at = copay_store::now();
    if let Err(error) = rows::update(&mut tx, &row).await {
        return Err(if error.is_unique_violation() {
            duplicate(&row)
        } else {
            error.into()
        });
    }
    if let Some(target) = credit_balance {
        crate::credits::set_balance_in_tx(&mut tx, tenant.tenant_id, id, target).await?;
    }
    crate::events::record_in_tx(
        &mut tx,
        tenant.tenant_id,
        crate::events::EventType::PatientUpdated,
        crate::events::Subject::Patient(id),
    )
    .await?;
    tx.commit().await?;
    with_balance(store, from_row(row), tenant.tenant_id).await
}

/// The largest page a patient list returns.
pub const MAX_PATIENT_LIST: u32 = 1000;

/// Patients newest first: those matching `search` (case-insensitive, in names, phone,
/// email and ids), `external_id`, and `ids` when given.
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    search: Option<&str>,
    external_id: Option<&str>,
    ids: &[Uuid],
    limit: u32,
) -> Result<Vec<Patient>, ServiceError> {
    if limit > MAX_PATIENT_LIST {
        return Err(ServiceError::invalid(
            "n",
            format!("must be at most {MAX_PATIENT_LIST}"),
        ));
    }
    let query = PatientQuery {
        search: search
            .map(|term| term.trim().to_lowercase())
            .filter(|term| !term.is_empty()),
        external_id: external_id.map(str::to_string),
        ids: ids.to_vec(),
        limit,
    };
    let mut patients: Vec<Patient> = store
        .list_patients(tenant.tenant_id, &query)
        .await?
        .into_iter()
        .map(from_row)
        .collect();
    let ids: Vec<Uuid> = patients.iter().map(|patient| patient.id).collect();
    let balances = crate::credits::balances(store, tenant.tenant_id, &ids).await?;
    for patient in &mut patients {
        patient.credit_balance = balances.get(&patient.id).copied().unwrap_or(0);
    }
    Ok(patients)
}

/// Creates the patient with this external id, or updates it with `changes`, inside the
/// caller's transaction (claim-creation processing keeps the registry current this way).
pub async fn upsert_by_external_id(
    tx: &mut Tx,
    tenant_id: Uuid,
    external_id: &str,
    changes: PatientChanges,
) -> Result<Uuid, ServiceError> {
    match rows::by_external_id_for_update(tx, tenant_id, external_id).await? {
        Some(mut row) => {
            let before = row.clone();
            changes.apply(&mut row);
            if row != before {
                row.updated_at = copay_store::now();
                rows::update(tx, &row).await?;
            }
            Ok(row.id)
        }
        None => {
            let mut row = empty_row(tenant_id, Uuid::now_v7());
            changes.apply(&mut row);
            row.external_id = Some(external_id.to_string());
            rows::insert(tx, &row).await?;
            Ok(row.id)
        }
    }
}

impl Patient {
    /// What the registry knows, as an encounter's patient needs it.
    pub fn facts(&self) -> PatientFacts {
        PatientFacts {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            date_of_birth: self.date_of_birth,
            gender: self.gender.clone(),
            email: self.email.clone(),
            phone_number: self.phone_number.clone(),
            address_line_one: self.address_line_one.clone(),
            address_line_two: self.address_line_two.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            zip_code: self.zip_code.clone(),
        }
    }
}

impl PatientChanges {
    /// Sets what `facts` knows and leaves everything else alone.
    pub fn from_facts(facts: PatientFacts) -> PatientChanges {
        PatientChanges {
            first_name: facts.first_name.map(Some),
            last_name: facts.last_name.map(Some),
            date_of_birth: facts.date_of_birth.map(Some),
            gender: facts.gender.map(Some),
            email: facts.email.map(Some),
            phone_number: facts.phone_number.map(Some),
            address_line_one: facts.address_line_one.map(Some),
            address_line_two: facts.address_line_two.map(Some),
            city: facts.city.map(Some),
            state: facts.state.map(Some),
            zip_code: facts.zip_code.map(Some),
            ..PatientChanges::default()
        }
    }
}
