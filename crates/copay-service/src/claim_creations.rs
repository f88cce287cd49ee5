//! Claim creations: bundling billable charges, processing a creation into an encounter
//! with one claim, resolving errors, and reading them back.

use std::collections::{BTreeSet, HashMap};

use copay_store::Json;
use copay_store::charge_captures::{ChargeCaptureRow, date_key};
use copay_store::claim_creations::{
    self as rows, ChangeRow, ClaimCreationCounts, ClaimCreationErrorRow, ClaimCreationFilter,
    ClaimCreationRow,
};
use copay_store::encounters::{self as encounter_rows, ClaimRow, EncounterRow, ServiceLineRow};
use copay_store::ledger::{PostError, ensure_account, post_operation};
use copay_store::{Store, Tx};
use serde_json::{Map, Value};
use time::Date;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::charge_capture::ChargeCaptureStatus;
use copay_domain::claim_creation::{self as domain, Characteristics, ClaimCreationStatus, Member};
use copay_domain::encounter_patient::{facts_of, fill_from_registry};
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};

use crate::patients::{self, PatientChanges};
use crate::{ServiceError, TenantCtx};

const ENTITY: &str = "claim creation";

/// The status a new claim starts in.
pub const NEW_CLAIM_STATUS: &str = "biller_received";

#[derive(Debug, Clone)]
pub struct ClaimCreation {
    pub id: Uuid,
    pub status: ClaimCreationStatus,
    pub characteristics: Map<String, Value>,
    pub errors: Vec<ClaimCreationError>,
    pub encounter_creation_input: Option<Value>,
    pub created_encounter_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
}

#[derive(Debug, Clone)]
pub struct ClaimCreationError {
    pub id: Uuid,
    pub claim_creation_id: Uuid,
    pub charge_capture_id: Option<Uuid>,
    pub field_in_error: Option<String>,
    pub message: String,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolution_reason: Option<String>,
}

impl From<ClaimCreationErrorRow> for ClaimCreationError {
    fn from(row: ClaimCreationErrorRow) -> Self {
        ClaimCreationError {
            id: row.id,
            claim_creation_id: row.claim_creation_id,
            charge_capture_id: row.charge_capture_id,
            field_in_error: row.field_in_error,
            message: row.message,
            resolved: row.resolved,
            resolved_by: row.resolved_by,
            resolution_reason: row.resolution_reason,
        }
    }
}

/// A post-billed change of a charge capture.
#[derive(Debug, Clone)]
pub struct PostBilledChange {
    pub id: Uuid,
    pub charge_capture_id: Uuid,
    pub message: String,
    pub resolved: bool,
}

impl From<ChangeRow> for PostBilledChange {
    fn from(row: ChangeRow) -> Self {
        PostBilledChange {
            id: row.id,
            charge_capture_id: row.charge_capture_id,
            message: row.message,
            resolved: row.resolved,
        }
    }
}

impl From<PostError> for ServiceError {
    fn from(error: PostError) -> Self {
        match error {
            PostError::Store(error) => ServiceError::Store(error),
            PostError::Ledger(error) => ServiceError::Unprocessable(error.to_string()),
        }
    }
}

fn corrupt(message: String) -> ServiceError {
    ServiceError::Store(copay_store::StoreError::Corrupt(message))
}

fn status_of(row: &ClaimCreationRow) -> Result<ClaimCreationStatus, ServiceError> {
    ClaimCreationStatus::parse(&row.status).ok_or_else(|| {
        corrupt(format!(
            "claim creation {} has status {:?}",
            row.id, row.status
        ))
    })
}

fn now_ms() -> i64 {
    let nanos = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
}

/// Marks a creation changed now; a changed creation that was in error is tried again.
fn touch(row: &mut ClaimCreationRow) {
    row.last_change_ms = now_ms();
    row.updated_at = copay_store::now();
    if row.status == ClaimCreationStatus::InError.as_str() {
        row.status = ClaimCreationStatus::NotStarted.as_str().to_string();
    }
}

fn characteristics_of(capture: &ChargeCaptureRow) -> Characteristics {
    Characteristics::of(
        &capture.patient_external_id,
        capture.date_of_service,
        capture.claim_creation_category.as_deref(),
        &capture.data.0,
    )
}

/// Puts a just-written capture where it belongs: a `billable` capture joins the open
/// creation with its characteristics (opening one if none), any other capture belongs to
/// none. A creation left empty is aborted. Runs in the caller's transaction; returns the
/// creation the capture is now in.
pub(crate) async fn place(
    tx: &mut Tx,
    capture: &ChargeCaptureRow,
) -> Result<Option<Uuid>, ServiceError> {
    let tenant_id = capture.tenant_id;
    let target = (capture.status == ChargeCaptureStatus::Billable.as_str())
        .then(|| characteristics_of(capture));
    let current = match capture.claim_creation_id {
        Some(id) => rows::get_for_update(tx, tenant_id, id).await?,
        None => None,
    };
    if let Some(mut current) = current {
        if target.as_ref().map(Characteristics::key).as_ref() == Some(&current.bundle_key) {
            touch(&mut current);
            rows::update(tx, &current).await?;
            return Ok(Some(current.id));
        }
        rows::set_capture_claim_creation(tx, tenant_id, capture.id, None).await?;
        if rows::member_count(tx, tenant_id, current.id).await? == 0 {
            current.status = ClaimCreationStatus::Aborted.as_str().to_string();
            current.updated_at = copay_store::now();
        } else {
            touch(&mut current);
        }
        rows::update(tx, &current).await?;
    }
    let Some(target) = target else {
        return Ok(None);
    };
    let key = target.key();
    let mut creation = loop {
        if let Some(open) = rows::open_for_key(tx, tenant_id, &key).await? {
            break open;
        }
        let now = copay_store::now();
        let row = ClaimCreationRow {
            id: Uuid::now_v7(),
            tenant_id,
            status: ClaimCreationStatus::NotStarted.as_str().to_string(),
            bundle_key: key.clone(),
            characteristics: Json(Value::Object(target.present())),
            patient_external_id: capture.patient_external_id.clone(),
            date_of_service_key: date_key(capture.date_of_service),
            claim_creation_category: capture.claim_creation_category.clone(),
            encounter_creation_input: None,
            created_encounter_id: None,
            claim_id: None,
            last_change_ms: now_ms(),
            created_at: now,
            updated_at: now,
        };
        // Another transaction may open the same key first; then join that one.
        if rows::insert_open(tx, &row).await? {
            break row;
        }
    };
    rows::set_capture_claim_creation(tx, tenant_id, capture.id, Some(creation.id)).await?;
    touch(&mut creation);
    rows::update(tx, &creation).await?;
    Ok(Some(creation.id))
}

/// Whether the creation a capture belongs to has already produced a claim.
pub(crate) async fn is_billed(
    tx: &mut Tx,
    capture: &ChargeCaptureRow,
) -> Result<bool, ServiceError> {
    let Some(id) = capture.claim_creation_id else {
        return Ok(false);
    };
    let creation = rows::get_for_update(tx, capture.tenant_id, id).await?;
    Ok(creation.is_some_and(|row| {
        matches!(
            ClaimCreationStatus::parse(&row.status),
            Some(ClaimCreationStatus::Successful | ClaimCreationStatus::SuccessfulDryRun)
        )
    }))
}

/// What one processing attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An encounter with one claim now exists.
    Succeeded,
    /// Validation failed; the creation is `in-error`.
    Failed,
    /// Nothing to do (not due, already processed, or aborted for having no charges).
    Skipped,
}

/// Totals of a processing run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProcessReport {
    pub succeeded: u32,
    pub failed: u32,
    pub skipped: u32,
}

impl ProcessReport {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Succeeded => self.succeeded += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

/// Processes the creations whose quiet period has passed (the worker's tick).
pub async fn process_due(
    store: &Store,
    quiet_period_ms: i64,
    batch: i64,
) -> Result<ProcessReport, ServiceError> {
    let due = store
        .due_claim_creations(now_ms().saturating_sub(quiet_period_ms), batch)
        .await?;
    let mut report = ProcessReport::default();
    for (tenant_id, id) in due {
        report.add(process_one(store, tenant_id, id, false).await?);
    }
    Ok(report)
}

/// On demand: every not-started creation (of one tenant, or all), ignoring the quiet period.
pub async fn process_pending(
    store: &Store,
    tenant_id: Option<Uuid>,
) -> Result<ProcessReport, ServiceError> {
    let mut report = ProcessReport::default();
    for (tenant_id, id) in store.pending_claim_creations(tenant_id).await? {
        report.add(process_one(store, tenant_id, id, false).await?);
    }
    Ok(report)
}

/// On demand, one creation: a not-started one is processed now and an `in-error` one is
/// tried again. Another tenant's creation is not found.
pub async fn process_by_id(
    store: &Store,
    tenant_id: Option<Uuid>,
    id: Uuid,
) -> Result<Outcome, ServiceError> {
    let owner = match tenant_id {
        Some(tenant_id) => store
            .claim_creation(tenant_id, id)
            .await?
            .map(|_| tenant_id),
        None => store.claim_creation_owner(id).await?,
    };
    let Some(owner) = owner else {
        return Err(ServiceError::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        });
    };
    process_one(store, owner, id, true).await
}

async fn process_one(
    store: &Store,
    tenant_id: Uuid,
    id: Uuid,
    retry_errors: bool,
) -> Result<Outcome, ServiceError> {
    let mut tx = store.begin().await?;
    let Some(mut creation) = rows::get_for_update(&mut tx, tenant_id, id).await? else {
        return Ok(Outcome::Skipped);
    };
    let status = status_of(&creation)?;
    let eligible = status == ClaimCreationStatus::NotStarted
        || (retry_errors && status == ClaimCreationStatus::InError);
    if !eligible {
        return Ok(Outcome::Skipped);
    }
    let members: Vec<ChargeCaptureRow> = rows::members(&mut tx, tenant_id, id)
        .await?
        .into_iter()
        .filter(|capture| capture.status == ChargeCaptureStatus::Billable.as_str())
        .collect();
    creation.updated_at = copay_store::now();
    if members.is_empty() {
        creation.status = ClaimCreationStatus::Aborted.as_str().to_string();
        rows::update(&mut tx, &creation).await?;
        tx.commit().await?;
        return Ok(Outcome::Skipped);
    }
    let date_of_service = members.iter().filter_map(|m| m.date_of_service).min();
    let mut merged = domain::merge(
        &members
            .iter()
            .map(|capture| Member {
                charge_capture_id: capture.id,
                data: &capture.data.0,
            })
            .collect::<Vec<_>>(),
        date_of_service,
    );
    // A charge made for a registry patient takes the patient from the registry as it is
    // now, so edits made there before processing reach the claim.
    let registry_patient = members.iter().find_map(|m| m.pre_encounter_patient_id);
    if let Some(patient_id) = registry_patient {
        let patient = patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
        fill_from_registry(&mut merged.input, &patient.facts());
    }
    let waived: BTreeSet<(String, Option<Uuid>)> = rows::errors_in_tx(&mut tx, tenant_id, id)
        .await?
        .into_iter()
        .filter(|error| error.resolved)
        .filter_map(|error| Some((error.field_in_error?, error.charge_capture_id)))
        .collect();
    let problems = domain::validate(&merged, &waived);
    rows::delete_unresolved_errors(&mut tx, tenant_id, id).await?;
    creation.encounter_creation_input = Some(Json(merged.input.clone()));
    let outcome = if problems.is_empty() {
        let patient_external_id = members[0].patient_external_id.clone();
        // The patient first: charge use cases lock the patient before ledger accounts, so
        // taking them in the same order here cannot deadlock with them.
        if registry_patient.is_none() {
            // The EHR's patient joins the registry (or updates it) by external id.
            patients::upsert_by_external_id(
                &mut tx,
                tenant_id,
                &patient_external_id,
                PatientChanges::from_facts(facts_of(&merged.input)),
            )
            .await?;
        }
        let (encounter_id, claim_id) = create_encounter(
            &mut tx,
            tenant_id,
            &creation,
            &patient_external_id,
            date_of_service,
            &merged,
        )
        .await?;
        creation.status = ClaimCreationStatus::Successful.as_str().to_string();
        creation.created_encounter_id = Some(encounter_id);
        creation.claim_id = Some(claim_id);
        Outcome::Succeeded
    } else {
        let now = copay_store::now();
        for problem in problems {
            rows::insert_error(
                &mut tx,
                &ClaimCreationErrorRow {
                    id: Uuid::now_v7(),
                    tenant_id,
                    claim_creation_id: id,
                    charge_capture_id: problem.charge_capture_id,
                    field_in_error: Some(problem.field),
                    message: problem.message,
                    resolved: false,
                    resolved_by: None,
                    resolution_reason: None,
                    created_at: now,
                },
            )
            .await?;
        }
        creation.status = ClaimCreationStatus::InError.as_str().to_string();
        Outcome::Failed
    };
    rows::update(&mut tx, &creation).await?;
    crate::events::record_in_tx(
        &mut tx,
        tenant_id,
        crate::events::EventType::ClaimCreationProcessed,
        crate::events::Subject::ClaimCreation(id),
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.trim().is_empty())
        .map(str::to_string)
}

fn date(value: &Value, key: &str) -> Option<Date> {
    let text = value.get(key)?.as_str()?;
    Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// Writes the encounter, its claim and service lines, and posts each line's charge to the
/// ledger: to the line's insurance balance, or its patient balance when self-pay.
async fn create_encounter(
    tx: &mut Tx,
    tenant_id: Uuid,
    creation: &ClaimCreationRow,
    patient_external_id: &str,
    date_of_service: Option<Date>,
    merged: &domain::MergedEncounter,
) -> Result<(Uuid, Uuid), ServiceError> {
    let now = copay_store::now();
    let encounter_id = Uuid::now_v7();
    let claim_id = Uuid::now_v7();
    let input = &merged.input;
    encounter_rows::insert_encounter(
        tx,
        &EncounterRow {
            id: encounter_id,
            tenant_id,
            claim_creation_id: Some(creation.id),
            external_id: text(input, "external_id").unwrap_or_else(|| creation.id.to_string()),
            patient_external_id: patient_external_id.to_string(),
            date_of_service,
            data: Json(input.clone()),
            billing_provider_id: input
                .get("billing_provider")
                .and_then(|provider| text(provider, "npi"))
                .map(|npi| crate::claim_money::billing_provider_id(tenant_id, &npi)),
            created_at: now,
        },
    )
    .await?;
    encounter_rows::insert_claim(
        tx,
        &ClaimRow {
            id: claim_id,
            tenant_id,
            encounter_id,
            status: NEW_CLAIM_STATUS.to_string(),
            created_at: now,
        },
    )
    .await?;
    let self_pay = text(input, "responsible_party").as_deref() == Some("SELF_PAY");
    let balance_kind = if self_pay {
        AccountKind::ServiceLinePatientBalance
    } else {
        AccountKind::ServiceLineInsuranceBalance
    };
    let revenue = ensure_account(tx, tenant_id, AccountKind::Revenue, tenant_id, "").await?;
    let mut transfers = Vec::new();
    let lines = input
        .get("service_lines")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    for (position, line) in lines.iter().enumerate() {
        let line_id = Uuid::now_v7();
        // Validation guaranteed these; a missing one here is a bug, not bad input.
        let (Some(procedure_code), Some(cents), Some(line_date)) = (
            text(line, "procedure_code"),
            line.get("charge_amount_cents").and_then(Value::as_i64),
            date(line, "date_of_service"),
        ) else {
            return Err(corrupt(format!(
                "claim creation {} passed validation with an incomplete service line {position}",
                creation.id
            )));
        };
        encounter_rows::insert_service_line(
            tx,
            &ServiceLineRow {
                id: line_id,
                tenant_id,
                encounter_id,
                claim_id,
                charge_capture_id: merged.line_origins.get(position).copied(),
                position: i64::try_from(position).unwrap_or(i64::MAX),
                procedure_code,
                quantity: text(line, "quantity").unwrap_or_else(|| "1".to_string()),
                units: text(line, "units").unwrap_or_else(|| "UN".to_string()),
                charge_amount_cents: cents,
                date_of_service: line_date,
                end_date_of_service: date(line, "end_date_of_service"),
                data: Json(line.clone()),
                created_at: now,
            },
        )
        .await?;
        if cents > 0 {
            let balance = ensure_account(tx, tenant_id, balance_kind, line_id, "").await?;
            transfers.push(Transfer::new(
                TransferKind::ChargeCreated,
                revenue,
                balance,
                Cents::new(cents),
            )?);
        }
    }
    if !transfers.is_empty() {
        post_operation(tx, tenant_id, "claim_created", &transfers).await?;
    }
    Ok((encounter_id, claim_id))
}

impl From<copay_domain::ledger::LedgerError> for ServiceError {
    fn from(error: copay_domain::ledger::LedgerError) -> Self {
        ServiceError::Unprocessable(error.to_string())
    }
}

/// Resolves one error. When it was the creation's last unresolved error, the creation is
/// tried again (after the quiet period), and the resolved check is not applied again.
pub async fn resolve_error(
    store: &Store,
    tenant: &TenantCtx,
    error_id: Uuid,
    resolved_by: Option<String>,
    resolution_reason: Option<String>,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let Some(error) = rows::resolve_error(
        &mut tx,
        tenant.tenant_id,
        error_id,
        resolved_by.as_deref(),
        resolution_reason.as_deref(),
    )
    .await?
    else {
        return Err(ServiceError::NotFound {
            entity: "charge capture error",
            id: error_id.to_string(),
        });
    };
    if let Some(mut creation) =
        rows::get_for_update(&mut tx, tenant.tenant_id, error.claim_creation_id).await?
    {
        let remaining = rows::errors_in_tx(&mut tx, tenant.tenant_id, creation.id)
            .await?
            .iter()
            .filter(|error| !error.resolved)
            .count();
        if remaining == 0 && status_of(&creation)? == ClaimCreationStatus::InError {
            touch(&mut creation);
            rows::update(&mut tx, &creation).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

async fn assemble(
    store: &Store,
    tenant_id: Uuid,
    rows: Vec<ClaimCreationRow>,
) -> Result<Vec<ClaimCreation>, ServiceError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let mut errors: HashMap<Uuid, Vec<ClaimCreationError>> = HashMap::new();
    for error in store.claim_creation_errors(tenant_id, &ids).await? {
        errors
            .entry(error.claim_creation_id)
            .or_default()
            .push(error.into());
    }
    rows.into_iter()
        .map(|row| {
            let status = status_of(&row)?;
            let characteristics = match row.characteristics.0 {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            Ok(ClaimCreation {
                id: row.id,
                status,
                characteristics,
                errors: errors.remove(&row.id).unwrap_or_default(),
                encounter_creation_input: row.encounter_creation_input.map(|json| json.0),
                created_encounter_id: row.created_encounter_id,
                claim_id: row.claim_id,
            })
        })
        .collect()
}

pub async fn get(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<ClaimCreation, ServiceError> {
    let row = store
        .claim_creation(tenant.tenant_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        })?;
    let mut assembled = assemble(store, tenant.tenant_id, vec![row]).await?;
    assembled
        .pop()
        .ok_or_else(|| corrupt(format!("claim creation {id} vanished")))
}

pub async fn summary(
    store: &Store,
    tenant: &TenantCtx,
) -> Result<ClaimCreationCounts, ServiceError> {
    Ok(store.claim_creation_counts(tenant.tenant_id).await?)
}

#[derive(Debug, Clone)]
pub struct ClaimCreationPage {
    pub items: Vec<ClaimCreation>,
    pub next_page_token: Option<String>,
}

pub use copay_store::claim_creations::ClaimCreationFilter as Filter;

fn page_tag(descending: bool) -> &'static str {
    if descending { "cc1|desc" } else { "cc1|asc" }
}

pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    filter: &ClaimCreationFilter,
    descending: bool,
    limit: u32,
    page_token: Option<&str>,
) -> Result<ClaimCreationPage, ServiceError> {
    crate::paging::check_limit(limit)?;
    let after = crate::paging::decode_id(page_tag(descending), page_token)?;
    let mut rows = store
        .list_claim_creations(tenant.tenant_id, filter, descending, after, limit)
        .await?;
    let next_page_token = crate::paging::last_before_next_page(&mut rows, limit)
        .map(|last| crate::paging::encode(page_tag(descending), &last.id.to_string()));
    Ok(ClaimCreationPage {
        items: assemble(store, tenant.tenant_id, rows).await?,
        next_page_token,
    })
}

/// Sets `resolved` on post-billed changes; any id the tenant does not have is a 404 and
/// nothing changes.
pub async fn set_changes_resolved(
    store: &Store,
    tenant: &TenantCtx,
    ids: &[Uuid],
    resolved: bool,
) -> Result<Vec<PostBilledChange>, ServiceError> {
    let mut tx = store.begin().await?;
    let changed = rows::set_changes_resolved(&mut tx, tenant.tenant_id, ids, resolved).await?;
    if let Some(missing) = ids
        .iter()
        .find(|id| !changed.iter().any(|row| row.id == **id))
    {
        return Err(ServiceError::NotFound {
            entity: "charge capture change",
            id: missing.to_string(),
        });
    }
    tx.commit().await?;
    Ok(changed.into_iter().map(Into::into).collect())
}
