//! Charge captures: create, read and update, each in one transaction.

use copay_store::Json;
use serde_json::Value;
use serde_json::value::RawValue;
use time::Date;
use uuid::Uuid;

use copay_domain::charge_capture::{self, ChargeCaptureStatus};
use copay_domain::facets::{FACETS_VERSION, FacetSource, facets_of};
use copay_store::charge_capture_list::RawJson;
use copay_store::charge_captures::{self as rows, ChargeCaptureRow};
use copay_store::{Store, Tx};

use crate::claim_creations::{self, ClaimCreationError, PostBilledChange};
use crate::patients;
use crate::{ServiceError, TenantCtx};

/// The dates inside an encounter payload that decide its date of service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EncounterDates {
    pub encounter: Option<Date>,
    pub lines: Vec<Option<Date>>,
}

/// The encounter payload as given, with the dates the dialect read out of it.
#[derive(Debug, Clone)]
pub struct EncounterData {
    pub document: Value,
    pub dates: EncounterDates,
}

#[derive(Debug, Clone)]
pub struct ChargeCapture {
    pub id: Uuid,
    pub status: ChargeCaptureStatus,
    /// The encounter data as stored: passed on, never looked into, after it was written.
    pub data: Box<RawValue>,
    pub date_of_service: Option<Date>,
    pub patient_external_id: String,
    pub charge_external_id: String,
    pub ehr_source_url: Option<String>,
    pub originating_system: Option<String>,
    pub claim_creation_category: Option<String>,
    pub attachment_external_document_ids: Option<Value>,
    pub metadata: Option<Value>,
    pub hl7_message_type: Option<String>,
    pub claim_creation_id: Option<Uuid>,
    /// Post-billed changes, oldest first.
    pub updates: Vec<PostBilledChange>,
    /// The newest unresolved error of its claim creation that names this capture.
    pub error: Option<ClaimCreationError>,
}

/// Whose charge a new capture is.
#[derive(Debug, Clone)]
pub enum ChargePatient {
    /// The EHR's patient id, which copay may not have seen yet.
    External(String),
    /// A patient of copay's registry, whose data fills the encounter when the claim
    /// creation is processed.
    PreEncounter {
        patient_id: Uuid,
        appointment_ids: Vec<Uuid>,
    },
}

#[derive(Debug, Clone)]
pub struct NewChargeCapture {
    pub data: EncounterData,
    pub charge_external_id: String,
    pub patient: ChargePatient,
    pub status: ChargeCaptureStatus,
    pub originating_system: Option<String>,
    pub claim_creation_category: Option<String>,
    pub ehr_source_url: Option<String>,
    pub attachment_external_document_ids: Option<Value>,
    pub metadata: Option<Value>,
    pub hl7_message_type: Option<String>,
}

/// A partial update: `None` leaves a field alone; `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ChargeCapturePatch {
    pub data: Option<EncounterData>,
    pub charge_external_id: Option<String>,
    pub patient_external_id: Option<String>,
    pub status: Option<ChargeCaptureStatus>,
    pub originating_system: Option<Option<String>>,
    pub claim_creation_category: Option<Option<String>>,
    pub ehr_source_url: Option<Option<String>>,
    pub attachment_external_document_ids: Option<Option<Value>>,
    pub metadata: Option<Option<Value>>,
    pub hl7_message_type: Option<Option<String>>,
}

const ENTITY: &str = "charge capture";

/// A row's `data` as raw JSON: written out again from a tree, or taken as read.
trait IntoRawData {
    fn into_raw(self) -> Result<Box<RawValue>, ServiceError>;
}

impl IntoRawData for Json<Value> {
    fn into_raw(self) -> Result<Box<RawValue>, ServiceError> {
        serde_json::value::to_raw_value(&self.0).map_err(|error| {
            copay_store::StoreError::Corrupt(format!("charge capture data: {error}")).into()
        })
    }
}

impl IntoRawData for RawJson {
    fn into_raw(self) -> Result<Box<RawValue>, ServiceError> {
        Ok(self.0)
    }
}

fn from_row<D: IntoRawData>(row: ChargeCaptureRow<D>) -> Result<ChargeCapture, ServiceError> {
    let status = ChargeCaptureStatus::parse(&row.status).ok_or_else(|| {
        copay_store::StoreError::Corrupt(format!(
            "charge capture {} has status {:?}",
            row.id, row.status
        ))
    })?;
    Ok(ChargeCapture {
        id: row.id,
        status,
        data: row.data.into_raw()?,
        date_of_service: row.date_of_service,
        patient_external_id: row.patient_external_id,
        charge_external_id: row.charge_external_id,
        ehr_source_url: row.ehr_source_url,
        originating_system: row.originating_system,
        claim_creation_category: row.claim_creation_category,
        attachment_external_document_ids: row.attachment_external_document_ids.map(|json| json.0),
        metadata: row.metadata.map(|json| json.0),
        hl7_message_type: row.hl7_message_type,
        claim_creation_id: row.claim_creation_id,
        updates: Vec::new(),
        error: None,
    })
}

/// Fills in each capture's post-billed changes and current claim-creation error.
async fn enrich(
    store: &Store,
    tenant_id: Uuid,
    mut captures: Vec<ChargeCapture>,
) -> Result<Vec<ChargeCapture>, ServiceError> {
    let capture_ids: Vec<Uuid> = captures.iter().map(|c| c.id).collect();
    let mut creation_ids: Vec<Uuid> = captures
        .iter()
        .filter_map(|c| c.claim_creation_id)
        .collect();
    creation_ids.sort();
    creation_ids.dedup();
    let changes = store
        .charge_capture_changes(tenant_id, &capture_ids)
        .await?;
    let errors = store
        .claim_creation_errors(tenant_id, &creation_ids)
        .await?;
    for capture in &mut captures {
        capture.updates = changes
            .iter()
            .filter(|change| change.charge_capture_id == capture.id)
            .cloned()
            .map(Into::into)
            .collect();
        capture.error = errors
            .iter()
            .rev()
            .find(|error| !error.resolved && error.charge_capture_id == Some(capture.id))
            .cloned()
            .map(Into::into);
    }
    Ok(captures)
}

async fn enrich_one(
    store: &Store,
    tenant_id: Uuid,
    capture: ChargeCapture,
) -> Result<ChargeCapture, ServiceError> {
    let id = capture.id;
    enrich(store, tenant_id, vec![capture])
        .await?
        .pop()
        .ok_or_else(|| {
            copay_store::StoreError::Corrupt(format!("charge capture {id} vanished")).into()
        })
}

/// "Changed after billing: …" naming what differs, or `None` when nothing does.
fn post_billed_message(before: &ChargeCaptureRow, after: &ChargeCaptureRow) -> Option<String> {
    let mut fields: Vec<String> = Vec::new();
    let mut compare = |name: &str, changed: bool| {
        if changed {
            fields.push(name.to_string());
        }
    };
    compare(
        "charge_external_id",
        before.charge_external_id != after.charge_external_id,
    );
    compare(
        "patient_external_id",
        before.patient_external_id != after.patient_external_id,
    );
    compare("status", before.status != after.status);
    compare(
        "originating_system",
        before.originating_system != after.originating_system,
    );
    compare(
        "claim_creation_category",
        before.claim_creation_category != after.claim_creation_category,
    );
    compare(
        "ehr_source_url",
        before.ehr_source_url != after.ehr_source_url,
    );
    compare(
        "attachment_external_document_ids",
        before
            .attachment_external_document_ids
            .as_ref()
            .map(|j| &j.0)
            != after
                .attachment_external_document_ids
                .as_ref()
                .map(|j| &j.0),
    );
    compare(
        "metadata",
        before.metadata.as_ref().map(|j| &j.0) != after.metadata.as_ref().map(|j| &j.0),
    );
    compare(
        "hl7_message_type",
        before.hl7_message_type != after.hl7_message_type,
    );
    fields.extend(
        copay_domain::claim_creation::changed_data_keys(&before.data.0, &after.data.0)
            .into_iter()
            .map(|key| format!("data.{key}")),
    );
    (!fields.is_empty())
        .then(|| format!("Changed after the claim was created: {}", fields.join(", ")))
}

fn duplicate(external_id: &str) -> ServiceError {
    ServiceError::DuplicateExternalId {
        entity: ENTITY,
        external_id: external_id.to_string(),
    }
}

/// Writes the values the capture is found by (list filters, search, metadata).
async fn index(tx: &mut Tx, row: &ChargeCaptureRow) -> Result<(), ServiceError> {
    let facets: Vec<_> = facets_of(&FacetSource {
        id: row.id,
        charge_external_id: &row.charge_external_id,
        patient_external_id: &row.patient_external_id,
        claim_creation_category: row.claim_creation_category.as_deref(),
        data: &row.data.0,
        metadata: row.metadata.as_ref().map(|json| &json.0),
    })
    .into_iter()
    .collect();
    rows::write_facets(tx, row.tenant_id, row.id, &facets, FACETS_VERSION).await?;
    Ok(())
}

/// Re-indexes the captures whose facets older rules wrote (after an upgrade changed
/// them), in batches of one transaction each. Returns how many were re-indexed.
pub async fn refresh_stale_facets(store: &Store) -> Result<u64, ServiceError> {
    let mut refreshed = 0;
    loop {
        let mut tx = store.begin().await?;
        let stale = rows::with_stale_facets(&mut tx, FACETS_VERSION, 500).await?;
        if stale.is_empty() {
            return Ok(refreshed);
        }
        for row in &stale {
            index(&mut tx, row).await?;
        }
        tx.commit().await?;
        refreshed += stale.len() as u64;
    }
}

fn derive_date(data: &EncounterData) -> Option<Date> {
    charge_capture::date_of_service(data.dates.encounter, &data.dates.lines)
}

pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    new: NewChargeCapture,
) -> Result<ChargeCapture, ServiceError> {
    let now = copay_store::now();
    let mut tx = store.begin().await?;
    let (patient_external_id, pre_encounter_patient_id, appointment_ids) = match new.patient {
        ChargePatient::External(external_id) => (external_id, None, None),
        ChargePatient::PreEncounter {
            patient_id,
            appointment_ids,
        } => {
            let patient = patients::get_in_tx(&mut tx, tenant.tenant_id, patient_id).await?;
            // The registry's external id joins this charge with the patient's other
            // charges; a patient without one is known by its copay id.
            let key = patient
                .external_id
                .unwrap_or_else(|| patient.id.to_string());
            (
                key,
                Some(patient.id),
                Some(Json(Value::from(
                    appointment_ids
                        .iter()
                        .map(|id| Value::from(id.to_string()))
                        .collect::<Vec<_>>(),
                ))),
            )
        }
    };
    let mut row = ChargeCaptureRow {
        id: Uuid::now_v7(),
        tenant_id: tenant.tenant_id,
        date_of_service: derive_date(&new.data),
        data: Json(new.data.document),
        charge_external_id: new.charge_external_id,
        patient_external_id,
        status: new.status.as_str().to_string(),
        originating_system: new.originating_system,
        claim_creation_category: new.claim_creation_category,
        ehr_source_url: new.ehr_source_url,
        attachment_external_document_ids: new.attachment_external_document_ids.map(Json),
        metadata: new.metadata.map(Json),
        hl7_message_type: new.hl7_message_type,
        claim_creation_id: None,
        pre_encounter_patient_id,
        pre_encounter_appointment_ids: appointment_ids,
        created_at: now,
        updated_at: now,
    };
    if let Err(error) = rows::insert(&mut tx, &row).await {
        return Err(if error.is_unique_violation() {
            duplicate(&row.charge_external_id)
        } else {
            error.into()
        });
    }
    index(&mut tx, &row).await?;
    row.claim_creation_id = claim_creations::place(&mut tx, &row).await?;
    let key = rows::date_key(row.date_of_service);
    rows::move_counts(
        &mut tx,
        tenant.tenant_id,
        row.id,
        None,
        rows::CountKey::of(&row, &key),
    )
    .await?;
    crate::events::record_in_tx(
        &mut tx,
        tenant.tenant_id,
        crate::events::EventType::ChargeCaptureCreated,
        crate::events::Subject::ChargeCapture(row.id),
    )
    .await?;
    tx.commit().await?;
    enrich_one(store, tenant.tenant_id, from_row(row)?).await
}

pub async fn get(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<ChargeCapture, ServiceError> {
    let row = store
        .charge_capture(tenant.tenant_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        })?;
    enrich_one(store, tenant.tenant_id, from_row(row)?).await
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    patch: ChargeCapturePatch,
) -> Result<ChargeCapture, ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        })?;
    let before = row.clone();
    if let Some(data) = patch.data {
        row.date_of_service = derive_date(&data);
        row.data = Json(data.document);
    }
    if let Some(external_id) = patch.charge_external_id {
        row.charge_external_id = external_id;
    }
    if let Some(patient) = patch.patient_external_id {
        row.patient_external_id = patient;
    }
    if let Some(status) = patch.status {
        row.status = status.as_str().to_string();
    }
    if let Some(value) = patch.originating_system {
        row.originating_system = value;
    }
    if let Some(value) = patch.claim_creation_category {
        row.claim_creation_category = value;
    }
    if let Some(value) = patch.ehr_source_url {
        row.ehr_source_url = value;
    }
    if let Some(value) = patch.attachment_external_document_ids {
        row.attachment_external_document_ids = value.map(Json);
    }
    if let Some(value) = patch.metadata {
        row.metadata = value.map(Json);
    }
    if let Some(value) = patch.hl7_message_type {
        row.hl7_message_type = value;
    }
    row.updated_at = copay_store::now();
    if let Err(error) = rows::update(&mut tx, &row).await {
        return Err(if error.is_unique_violation() {
            duplicate(&row.charge_external_id)
        } else {
            error.into()
        });
    }
    // A billed charge is not rebundled: the change is recorded for someone to act on.
    // An update that changes nothing (the SDK's bodiless PATCH) moves nothing either.
    if let Some(message) = post_billed_message(&before, &row) {
        index(&mut tx, &row).await?;
        if claim_creations::is_billed(&mut tx, &before).await? {
            copay_store::claim_creations::replace_unresolved_change(
                &mut tx,
                tenant.tenant_id,
                id,
                &message,
            )
            .await?;
        } else {
            row.claim_creation_id = claim_creations::place(&mut tx, &row).await?;
        }
    }
    let (key_before, key_after) = (
        rows::date_key(before.date_of_service),
        rows::date_key(row.date_of_service),
    );
    rows::move_counts(
        &mut tx,
        tenant.tenant_id,
        row.id,
        Some(rows::CountKey::of(&before, &key_before)),
        rows::CountKey::of(&row, &key_after),
    )
    .await?;
    crate::events::record_in_tx(
        &mut tx,
        tenant.tenant_id,
        crate::events::EventType::ChargeCaptureUpdated,
        crate::events::Subject::ChargeCapture(row.id),
    )
    .await?;
    tx.commit().await?;
    enrich_one(store, tenant.tenant_id, from_row(row)?).await
}

pub use copay_store::charge_capture_list::{ChargeCaptureFilter, ChargeCaptureSort, MetadataMatch};

/// A page of charge captures, with the total matching the filter.
#[derive(Debug, Clone)]
pub struct ChargeCapturePage {
    pub items: Vec<ChargeCapture>,
    pub item_count: i64,
    pub next_page_token: Option<String>,
}

/// How a list is ordered and cut.
#[derive(Debug, Clone, Copy)]
pub struct ListOrder {
    pub sort: ChargeCaptureSort,
    pub descending: bool,
    pub limit: u32,
}

pub use crate::paging::MAX_PAGE_SIZE;

mod page_token {
    //! Charge-capture list tokens: the tag names the sort, the direction and whether
    //! ranking hints were given; the payload is `<rank>|<key>|<id>` of the last row.

    use copay_store::charge_capture_list::PagePosition;
    use uuid::Uuid;

    use super::{ChargeCaptureSort, ListOrder};

    fn order_tag(order: &ListOrder, ranked: bool) -> String {
        let sort = match order.sort {
            ChargeCaptureSort::CreatedAt => "created_at",
            ChargeCaptureSort::DateOfService => "date_of_service",
        };
        let direction = if order.descending { "desc" } else { "asc" };
        let ranking = if ranked { "|ranked" } else { "" };
        format!("v2|{sort}|{direction}{ranking}")
    }

    pub fn encode(order: &ListOrder, ranked: bool, position: &PagePosition) -> String {
        crate::paging::encode(
            &order_tag(order, ranked),
            &format!("{}|{}|{}", position.rank, position.key, position.id),
        )
    }

    pub fn decode(order: &ListOrder, ranked: bool, token: &str) -> Option<PagePosition> {
        let payload = crate::paging::decode(&order_tag(order, ranked), token)?;
        let (rank, rest) = payload.split_once('|')?;
        let (key, id) = rest.rsplit_once('|')?;
        Some(PagePosition {
            rank: rank.parse().ok()?,
            key: key.to_string(),
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

/// One page of the tenant's charge captures matching `filter`; captures matching more of
/// the `rank_by` hints come first.
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    filter: &ChargeCaptureFilter,
    rank_by: &ChargeCaptureFilter,
    order: ListOrder,
    page_token: Option<&str>,
) -> Result<ChargeCapturePage, ServiceError> {
    crate::paging::check_limit(order.limit)?;
    let ranked = rank_by.has_conditions();
    let after = match page_token {
        None => None,
        Some(token) => Some(page_token::decode(&order, ranked, token).ok_or_else(|| {
            ServiceError::invalid(
                "page_token",
                "is not a page token of this list's sort, direction and ranking",
            )
        })?),
    };
    let request = copay_store::charge_capture_list::PageRequest {
        sort: order.sort,
        descending: order.descending,
        limit: order.limit,
        rank_by: rank_by.clone(),
        after,
    };
    let (mut rows, item_count) = store
        .list_charge_captures(tenant.tenant_id, filter, &request)
        .await?;
    let next_page_token = crate::paging::last_before_next_page(&mut rows, order.limit)
        .map(|last| page_token::encode(&order, ranked, &last.position()));
    Ok(ChargeCapturePage {
        items: enrich(
            store,
            tenant.tenant_id,
            rows.into_iter()
                .map(|ranked| from_row(ranked.row))
                .collect::<Result<_, _>>()?,
        )
        .await?,
        item_count,
        next_page_token,
    })
}

#[cfg(test)]
mod tests {
    use copay_store::charge_capture_list::PagePosition;

    use super::*;

    #[test]
    fn page_tokens_round_trip_and_are_bound_to_their_order_and_ranking() {
        let by_date = ListOrder {
            sort: ChargeCaptureSort::DateOfService,
            descending: false,
            limit: 10,
        };
        let by_created = ListOrder {
            sort: ChargeCaptureSort::CreatedAt,
            descending: true,
            limit: 10,
        };
        let position = PagePosition {
            rank: 2,
            key: "2024-05-01".to_string(),
            id: Uuid::now_v7(),
        };
        let token = page_token::encode(&by_date, true, &position);
        assert_eq!(
            page_token::decode(&by_date, true, &token),
            Some(position.clone())
        );
        assert_eq!(page_token::decode(&by_date, false, &token), None);
        assert_eq!(page_token::decode(&by_created, true, &token), None);
        assert_eq!(page_token::decode(&by_date, true, "garbage!"), None);
        let empty_key = PagePosition {
            rank: 0,
            key: String::new(),
            ..position
        };
        let token = page_token::encode(&by_date, false, &empty_key);
        assert_eq!(page_token::decode(&by_date, false, &token), Some(empty_key));
    }
}
