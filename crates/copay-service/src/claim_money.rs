//! Money on claims (Candid side): insurance payments and refunds, patient payments and
//! refunds. Each create allocates its amount to targets (service lines, claims, billing
//! providers, appointments, or nothing), moves it on the targets' ledger accounts, and
//! records the entry, all in one transaction.
//!
//! Accounts per target (see docs/decisions.md, "Money on claims"):
//! - service line: insurance-side money on the line's insurance balance, patient-side money
//!   on its patient balance (the charge sits on the insurance balance, or on the patient
//!   balance for self-pay claims);
//! - claim: one claim-level balance (money not broken down to lines);
//! - billing provider, appointment, unattributed: an unapplied-money account of the
//!   provider, of the patient, or of the payer.
//!
//! A payment moves its allocations off those accounts into the side's receipts account; a
//! refund moves them back. A refund may take back from a target at most what payments of
//! its side put there, net of earlier refunds; the target accounts are locked before that
//! check, so concurrent refunds of one target serialize. Deleting an entry reverses its
//! ledger operation.

use std::collections::HashMap;

use copay_domain::Cents;
use copay_domain::allocation::{self, AllocationError, RestrictionType, Restrictions};
use copay_domain::ledger::{AccountId, AccountKind, Transfer, TransferKind};
use copay_store::claim_money::{
    self as rows, AllocationRow, ClaimTarget, EntryQuery, EntryRow, EntrySort, SortKey,
};
use copay_store::ledger::{
    PostError, ensure_and_lock_accounts, lock_accounts, plan_posting, post_operation,
};
use copay_store::payers::PayerRow;
use copay_store::{Json, Store, StoreError, Tx};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

pub use copay_domain::allocation::{EntryKind, Side};

use crate::payers::{self, PayerIdentifier};
use crate::{ServiceError, TenantCtx};

/// The id copay gives a tenant's billing provider with this NPI: the same on every
/// encounter, so money can be allocated to the provider (`billing_provider_by_id`).
pub fn billing_provider_id(tenant_id: Uuid, npi: &str) -> Uuid {
    Uuid::new_v5(&tenant_id, format!("billing_provider:{npi}").as_bytes())
}

/// The id copay shows for an encounter's service facility (restrictions name it).
pub fn service_facility_id(encounter_id: Uuid) -> Uuid {
    Uuid::new_v5(&encounter_id, b"service_facility")
}

/// Where an allocation puts its money, as the caller names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    ServiceLine(Uuid),
    Claim(Uuid),
    ClaimByEncounterExternalId(String),
    BillingProvider(Uuid),
    Appointment {
        appointment_id: String,
        patient_external_id: String,
    },
    Unattributed,
}

#[derive(Debug, Clone)]
pub struct AllocationInput {
    pub amount_cents: i64,
    pub target: Target,
    /// `AllocationEarmarkType`, kept and returned as given.
    pub earmark: Option<Value>,
}

/// Who the money moves with.
#[derive(Debug, Clone)]
pub enum Party {
    Payer(PayerIdentifier),
    /// A patient of the registry, by external id.
    Patient(String),
}

#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub party: Party,
    pub amount_cents: i64,
    pub occurred_at: Option<OffsetDateTime>,
    pub note: Option<String>,
    pub reason: Option<String>,
    pub source: Option<String>,
    pub source_internal_id: Option<String>,
    pub invoice_id: Option<Uuid>,
    /// Accepted fields copay only keeps and returns (payment method detail, restrictions).
    pub extra: Value,
    pub allocations: Vec<AllocationInput>,
    pub restrictions: Vec<(RestrictionType, String)>,
}

/// One entry as the API shows it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub row: EntryRow,
    pub allocations: Vec<AllocationRow>,
}

/// A target a refund would overdraw: what was paid there and what the refund asked.
#[derive(Debug, Clone)]
pub struct OverdraftDetail {
    pub target: AllocationRow,
    pub paid_cents: i64,
    pub requested_cents: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// A refund would take back more than was paid on these targets. Nothing was written.
    #[error("the refund would take back more than was paid on {} target(s)", .0.len())]
    Overdraft(Vec<OverdraftDetail>),
}

impl From<StoreError> for EntryError {
    fn from(error: StoreError) -> Self {
        EntryError::Service(error.into())
    }
}

impl From<PostError> for EntryError {
    fn from(error: PostError) -> Self {
        EntryError::Service(error.into())
    }
}

impl From<copay_domain::ledger::LedgerError> for EntryError {
    fn from(error: copay_domain::ledger::LedgerError) -> Self {
        EntryError::Service(error.into())
    }
}

fn allocation_error(error: AllocationError) -> ServiceError {
    let field = match error {
        AllocationError::AmountNotPositive => "amount_cents",
        AllocationError::DuplicateRestriction(_) => "allocation_restrictions",
        AllocationError::NegativeAllocation(_)
        | AllocationError::SumMismatch { .. }
        | AllocationError::Overflow => "allocations",
    };
    ServiceError::invalid(field, error.to_string())
}

fn not_found(entity: &'static str, id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// A target checked against the tenant's claims: what the allocation row records, and the
/// ledger account the money moves on.
struct Resolved {
    row: AllocationRow,
    account: (AccountKind, Uuid, String),
}

fn blank_allocation(tenant_id: Uuid, kind: EntryKind, target_kind: &str) -> AllocationRow {
    AllocationRow {
        id: Uuid::now_v7(),
        tenant_id,
        entry_id: Uuid::nil(),
        entry_kind: kind.as_str().to_string(),
        position: 0,
        amount_cents: 0,
        target_kind: target_kind.to_string(),
        service_line_id: None,
        claim_id: None,
        encounter_id: None,
        billing_provider_id: None,
        appointment_id: None,
        appointment_patient_external_id: None,
        earmark: None,
        account_id: Uuid::nil(),
        deleted_at: None,
        created_at: copay_store::now(),
    }
}

/// The party's own id: the payer's uuid, or the registry id of the patient.
struct PartyIds {
    payer_uuid: Option<Uuid>,
    /// The payer's directory entry as this transaction read (or inserted) it.
    payer: Option<PayerRow>,
    patient: Option<(Uuid, String)>,
}

impl PartyIds {
    fn owner(&self) -> Uuid {
        self.payer_uuid
            .or(self.patient.as_ref().map(|(id, _)| *id))
            .unwrap_or_else(Uuid::nil)
    }
}

fn side_qualifier(side: Side) -> &'static str {
    match side {
        Side::Insurance => "insurance",
        Side::Patient => "patient",
    }
}

fn line_account_kind(side: Side) -> AccountKind {
    match side {
        Side::Insurance => AccountKind::ServiceLineInsuranceBalance,
        Side::Patient => AccountKind::ServiceLinePatientBalance,
    }
}

fn text_at<'a>(data: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(data, |value, key| value.get(key))
        .and_then(Value::as_str)
}

fn permitted(restrictions: &Restrictions, target: &ClaimTarget) -> bool {
    let npi = text_at(&target.data, &["billing_provider", "npi"]);
    let facility = service_facility_id(target.encounter_id).to_string();
    restrictions.permit(npi, Some(facility.as_str()))
}

/// The tenant's service lines and claims with these ids, each keyed by its id (absent when
/// unknown): what money on claims checks its targets against.
pub(crate) async fn claim_targets(
    tx: &mut Tx,
    tenant_id: Uuid,
    line_ids: &[Uuid],
    claim_ids: &[Uuid],
) -> Result<(HashMap<Uuid, ClaimTarget>, HashMap<Uuid, ClaimTarget>), ServiceError> {
    let lines = rows::line_targets(tx, tenant_id, line_ids)
        .await?
        .into_iter()
        .filter_map(|line| line.service_line_id.map(|id| (id, line)))
        .collect();
    let claims = rows::claim_targets(tx, tenant_id, claim_ids)
        .await?
        .into_iter()
        .map(|claim| (claim.claim_id, claim))
        .collect();
    Ok((lines, claims))
}

/// Checks every allocation's target in the tenant and names the account it moves.
async fn resolve_targets(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: EntryKind,
    party: &PartyIds,
    allocations: &[AllocationInput],
    restrictions: &Restrictions,
) -> Result<Vec<Resolved>, ServiceError> {
    let side = kind.side();
    let line_ids: Vec<Uuid> = allocations
        .iter()
        .filter_map(|a| match a.target {
            Target::ServiceLine(id) => Some(id),
            _ => None,
        })
        .collect();
    let claim_ids: Vec<Uuid> = allocations
        .iter()
        .filter_map(|a| match a.target {
            Target::Claim(id) => Some(id),
            _ => None,
        })
        .collect();
    let (lines, claims) = claim_targets(tx, tenant_id, &line_ids, &claim_ids).await?;
    let mut resolved = Vec::with_capacity(allocations.len());
    for (position, allocation) in allocations.iter().enumerate() {
        let field = || format!("allocations[{position}].target");
        let claim_bound = |target: &ClaimTarget| -> Result<(), ServiceError> {
            if let Some((_, external_id)) = &party.patient
                && &target.patient_external_id != external_id
            {
                return Err(ServiceError::Unprocessable(format!(
                    "{}: claim {} belongs to another patient",
                    field(),
                    target.claim_id
                )));
            }
            if !permitted(restrictions, target) {
                return Err(ServiceError::Unprocessable(format!(
                    "{}: claim {} is outside the allocation_restrictions",
                    field(),
                    target.claim_id
                )));
            }
            Ok(())
        };
        let on_claim = |target: &ClaimTarget, target_kind: &str| {
            let mut row = blank_allocation(tenant_id, kind, target_kind);
            row.service_line_id = target.service_line_id;
            row.claim_id = Some(target.claim_id);
            row.encounter_id = Some(target.encounter_id);
            row
        };
        let item = match &allocation.target {
            Target::ServiceLine(id) => {
                let line = lines.get(id).ok_or_else(|| not_found("service line", id))?;
                claim_bound(line)?;
                Resolved {
                    row: on_claim(line, "service_line"),
                    account: (line_account_kind(side), *id, String::new()),
                }
            }
            Target::Claim(id) => {
                let claim = claims.get(id).ok_or_else(|| not_found("claim", id))?;
                claim_bound(claim)?;
                Resolved {
                    row: on_claim(claim, "claim"),
                    account: (AccountKind::ClaimBalance, *id, String::new()),
                }
            }
            Target::ClaimByEncounterExternalId(external_id) => {
                let claim = rows::claim_by_encounter_external_id(tx, tenant_id, external_id)
                    .await?
                    .ok_or_else(|| not_found("encounter", external_id))?;
                claim_bound(&claim)?;
                Resolved {
                    row: on_claim(&claim, "claim"),
                    account: (AccountKind::ClaimBalance, claim.claim_id, String::new()),
                }
            }
            Target::BillingProvider(id) => {
                let data = rows::billing_provider_encounter(tx, tenant_id, *id)
                    .await?
                    .ok_or_else(|| not_found("billing provider", id))?;
                let npi = text_at(&data, &["billing_provider", "npi"]);
                if !restrictions.permit(npi, None) {
                    return Err(ServiceError::Unprocessable(format!(
                        "{}: billing provider {id} is outside the allocation_restrictions",
                        field()
                    )));
                }
                let mut row = blank_allocation(tenant_id, kind, "billing_provider");
                row.billing_provider_id = Some(*id);
                Resolved {
                    row,
                    account: (
                        AccountKind::Unapplied,
                        *id,
                        format!("billing_provider:{}", side_qualifier(side)),
                    ),
                }
            }
            Target::Appointment {
                appointment_id,
                patient_external_id,
            } => {
                let patient_id = match &party.patient {
                    Some((id, external_id)) if external_id == patient_external_id => *id,
                    Some(_) => {
                        return Err(ServiceError::Unprocessable(format!(
                            "{}: the appointment is of another patient",
                            field()
                        )));
                    }
                    None => {
                        copay_store::patients::by_external_id_for_update(
                            tx,
                            tenant_id,
                            patient_external_id,
                        )
                        .await?
                        .ok_or_else(|| not_found("patient", patient_external_id))?
                        .id
                    }
                };
                let mut row = blank_allocation(tenant_id, kind, "appointment");
                row.appointment_id = Some(appointment_id.clone());
                row.appointment_patient_external_id = Some(patient_external_id.clone());
                Resolved {
                    row,
                    account: (
                        AccountKind::Unapplied,
                        patient_id,
                        format!("appointment:{}:{appointment_id}", side_qualifier(side)),
                    ),
                }
            }
            Target::Unattributed => Resolved {
                row: blank_allocation(tenant_id, kind, "unattributed"),
                account: (
                    AccountKind::Unapplied,
                    party.owner(),
                    side_qualifier(side).to_string(),
                ),
            },
        };
        resolved.push(item);
    }
    Ok(resolved)
}

fn receipts_kind(side: Side) -> AccountKind {
    match side {
        Side::Insurance => AccountKind::InsuranceReceipts,
        Side::Patient => AccountKind::PatientReceipts,
    }
}

/// A caller's timestamp in UTC at the microsecond precision both databases keep.
pub(crate) fn utc_micros(at: OffsetDateTime) -> OffsetDateTime {
    copay_store::to_micros(at.to_offset(time::UtcOffset::UTC))
}

async fn resolve_party(
    tx: &mut Tx,
    tenant_id: Uuid,
    kind: EntryKind,
    party: &Party,
) -> Result<PartyIds, ServiceError> {
    match (kind.side(), party) {
        (Side::Insurance, Party::Payer(identifier)) => {
            let payer = payers::resolve_in_tx(tx, identifier).await?;
            Ok(PartyIds {
                payer_uuid: Some(payer.payer_uuid),
                payer: Some(payer),
                patient: None,
            })
        }
        (Side::Patient, Party::Patient(external_id)) => {
            let patient =
                copay_store::patients::by_external_id_for_update(tx, tenant_id, external_id)
                    .await?
                    .ok_or_else(|| not_found("patient", external_id))?;
            Ok(PartyIds {
                payer_uuid: None,
                payer: None,
                patient: Some((patient.id, external_id.clone())),
            })
        }
        _ => Err(ServiceError::invalid(
            "body",
            "the party does not match the ledger",
        )),
    }
}

/// Creates an entry: checks its allocations and targets, refuses a refund that would take
/// back more than was paid on a target, moves the money, and records the entry.
pub async fn create(store: &Store, tenant: &TenantCtx, new: NewEntry) -> Result<Entry, EntryError> {
    create_with_payer(store, tenant, new)
        .await
        .map(|(entry, _)| entry)
}

/// [`create`], also returning the payer's directory entry of an insurance entry as the
/// transaction read it, so the response needs no second read of the directory.
pub async fn create_with_payer(
    store: &Store,
    tenant: &TenantCtx,
    new: NewEntry,
) -> Result<(Entry, Option<PayerRow>), EntryError> {
    let tenant_id = tenant.tenant_id;
    let kind = new.kind;
    let side = kind.side();
    let amounts: Vec<i64> = new.allocations.iter().map(|a| a.amount_cents).collect();
    let all_unattributed =
        allocation::check_amounts(new.amount_cents, &amounts).map_err(allocation_error)?;
    let restrictions = Restrictions::new(&new.restrictions).map_err(allocation_error)?;
    let allocations = if all_unattributed {
        vec![AllocationInput {
            amount_cents: new.amount_cents,
            target: Target::Unattributed,
            earmark: None,
        }]
    } else {
        new.allocations
    };
    let now = copay_store::now();
    let occurred_at = new.occurred_at.map(utc_micros).unwrap_or(now);

    let mut tx = store.begin().await?;
    let party = resolve_party(&mut tx, tenant_id, kind, &new.party).await?;
    let mut resolved = resolve_targets(
        &mut tx,
        tenant_id,
        kind,
        &party,
        &allocations,
        &restrictions,
    )
    .await?;
    let mut wanted: Vec<(AccountKind, Uuid, &str)> = resolved
        .iter()
        .map(|item| (item.account.0, item.account.1, item.account.2.as_str()))
        .collect();
    wanted.push((receipts_kind(side), tenant_id, ""));
    // Every account is found and, where it keeps a balance, locked in id order, once: a
    // concurrent refund of the same target waits here and then sees this one's
    // allocations in its own check, and the posting below reuses these locks.
    let (accounts, locked) = ensure_and_lock_accounts(&mut tx, tenant_id, &wanted).await?;
    let (receipts, target_accounts) = accounts
        .split_last()
        .ok_or_else(|| ServiceError::Unprocessable("no accounts to post to".into()))?;
    let entry_id = Uuid::now_v7();
    for (position, (item, account)) in resolved.iter_mut().zip(target_accounts).enumerate() {
        item.row.entry_id = entry_id;
        item.row.position = i64::try_from(position).unwrap_or(i64::MAX);
        item.row.amount_cents = allocations[position].amount_cents;
        item.row.earmark = allocations[position].earmark.clone().map(Json);
        item.row.account_id = *account;
        item.row.created_at = now;
    }

    if kind.is_refund() {
        // A new statement after the locks: it sees every refund committed before them.
        let paid = rows::paid_net(
            &mut tx,
            EntryKind::payment_of(side).as_str(),
            kind.as_str(),
            target_accounts,
        )
        .await?;
        let requests: Vec<(AccountId, i64)> = resolved
            .iter()
            .map(|item| (item.row.account_id, item.row.amount_cents))
            .collect();
        let over = allocation::overdrafts(&requests, &paid).map_err(allocation_error)?;
        if !over.is_empty() {
            let details = over
                .into_iter()
                .filter_map(|overdraft| {
                    resolved
                        .iter()
                        .find(|item| item.row.account_id == overdraft.target)
                        .map(|item| OverdraftDetail {
                            target: item.row.clone(),
                            paid_cents: overdraft.paid,
                            requested_cents: overdraft.requested,
                        })
                })
                .collect();
            return Err(EntryError::Overdraft(details));
        }
    }

    let mut transfers = Vec::new();
    for item in &resolved {
        let Ok(amount) = Cents::positive(item.row.amount_cents) else {
            continue;
        };
        transfers.push(if kind.is_refund() {
            Transfer::new(TransferKind::Refund, *receipts, item.row.account_id, amount)?
        } else {
            Transfer::new(
                TransferKind::Payment,
                item.row.account_id,
                *receipts,
                amount,
            )?
        });
    }
    let posting = plan_posting(&locked, kind.as_str(), &transfers)?;
    let row = EntryRow {
        id: entry_id,
        tenant_id,
        kind: kind.as_str().to_string(),
        payer_uuid: party.payer_uuid,
        patient_external_id: party.patient.map(|(_, external_id)| external_id),
        amount_cents: new.amount_cents,
        occurred_at,
        occurred_us: copay_store::claim_ar::unix_micros(occurred_at),
        note: new.note,
        reason: new.reason,
        source: new.source,
        source_internal_id: new.source_internal_id,
        invoice_id: new.invoice_id,
        extra: Json(new.extra),
        operation_id: posting.operation_id,
        reversal_operation_id: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
    };
    let allocation_rows: Vec<AllocationRow> = resolved.into_iter().map(|item| item.row).collect();
    let webhooks = rows::record_entry(
        &mut tx,
        &posting,
        &row,
        &allocation_rows,
        &touched_claims(&allocation_rows),
        now,
        crate::events::claim_money_has_event(kind),
    )
    .await?;
    crate::events::record_claim_money_in_tx(&mut tx, tenant_id, kind, entry_id, webhooks).await?;
    tx.commit().await?;
    Ok((
        Entry {
            row,
            allocations: allocation_rows,
        },
        party.payer,
    ))
}

/// The claims money on these allocations changed, each once.
fn touched_claims(allocations: &[AllocationRow]) -> Vec<Uuid> {
    let mut claims: Vec<Uuid> = allocations.iter().filter_map(|a| a.claim_id).collect();
    claims.sort();
    claims.dedup();
    claims
}

async fn touch_claims(
    tx: &mut Tx,
    tenant_id: Uuid,
    allocations: &[AllocationRow],
    at: OffsetDateTime,
) -> Result<(), ServiceError> {
    rows::touch_claims(tx, tenant_id, &touched_claims(allocations), at).await?;
    Ok(())
}

fn entity(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::InsurancePayment => "insurance payment",
        EntryKind::InsuranceRefund => "insurance refund",
        EntryKind::PatientPayment => "patient payment",
        EntryKind::PatientRefund => "patient refund",
    }
}

pub async fn get(
    store: &Store,
    tenant: &TenantCtx,
    kind: EntryKind,
    id: Uuid,
) -> Result<Entry, ServiceError> {
    let row = store
        .claim_money_entry(tenant.tenant_id, kind.as_str(), id)
        .await?
        .ok_or_else(|| not_found(entity(kind), id))?;
    let allocations = store
        .claim_money_allocations(tenant.tenant_id, &[row.id])
        .await?;
    Ok(Entry { row, allocations })
}

/// What PATCH may change. `None` leaves a field as it is; `Some(None)` removes it.
#[derive(Debug, Clone, Default)]
pub struct EntryUpdate {
    pub occurred_at: Option<OffsetDateTime>,
    pub note: Option<Option<String>>,
    pub reason: Option<Option<String>>,
    pub invoice_id: Option<Option<Uuid>>,
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    kind: EntryKind,
    id: Uuid,
    change: EntryUpdate,
) -> Result<Entry, ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::entry_for_update(&mut tx, tenant.tenant_id, kind.as_str(), id)
        .await?
        .ok_or_else(|| not_found(entity(kind), id))?;
    if let Some(at) = change.occurred_at {
        row.occurred_at = utc_micros(at);
        row.occurred_us = copay_store::claim_ar::unix_micros(row.occurred_at);
    }
    if let Some(note) = change.note {
        row.note = note;
    }
    if let Some(reason) = change.reason {
        row.reason = reason;
    }
    if let Some(invoice) = change.invoice_id {
        row.invoice_id = invoice;
    }
    row.updated_at = copay_store::now();
    rows::update_entry(&mut tx, &row).await?;
    let allocations = rows::allocations_in_tx(&mut tx, tenant.tenant_id, id).await?;
    tx.commit().await?;
    Ok(Entry { row, allocations })
}

/// Deletes an entry: reverses its ledger operation; the entry is gone from the API. A
/// payment that later refunds took money back from cannot go while they stand: the
/// refunds would then exceed what was paid.
pub async fn delete(
    store: &Store,
    tenant: &TenantCtx,
    kind: EntryKind,
    id: Uuid,
) -> Result<(), ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let row = rows::entry_for_update(&mut tx, tenant_id, kind.as_str(), id)
        .await?
        .ok_or_else(|| not_found(entity(kind), id))?;
    let allocations = rows::allocations_in_tx(&mut tx, tenant_id, id).await?;
    let mut accounts: Vec<AccountId> = allocations.iter().map(|a| a.account_id).collect();
    accounts.sort();
    accounts.dedup();
    if !kind.is_refund() {
        lock_accounts(&mut tx, tenant_id, &accounts).await?;
        let side = kind.side();
        let paid = rows::paid_net(
            &mut tx,
            kind.as_str(),
            EntryKind::refund_of(side).as_str(),
            &accounts,
        )
        .await?;
        for account in &accounts {
            let this: i64 = allocations
                .iter()
                .filter(|a| a.account_id == *account)
                .map(|a| a.amount_cents)
                .sum();
            if paid.get(account).copied().unwrap_or(0) < this {
                return Err(ServiceError::Unprocessable(format!(
                    "refunds took back money this {} paid; delete those refunds first",
                    entity(kind)
                )));
            }
        }
    }
    let reversal: Vec<Transfer> = rows::operation_transfers(&mut tx, tenant_id, row.operation_id)
        .await?
        .into_iter()
        .map(|transfer| Transfer {
            debit: transfer.credit,
            credit: transfer.debit,
            amount: transfer.amount,
            kind: TransferKind::Reversal,
        })
        .collect();
    let operation = format!("{}_deleted", kind.as_str());
    let reversal_id = post_operation(&mut tx, tenant_id, &operation, &reversal).await?;
    let now = copay_store::now();
    rows::mark_deleted(&mut tx, tenant_id, id, reversal_id, now).await?;
    touch_claims(&mut tx, tenant_id, &allocations, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A list request for one ledger.
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub kind: EntryKind,
    pub patient_external_id: Option<String>,
    pub payer_uuid: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub service_line_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    pub unattributed: Option<bool>,
    pub invoice_id: Option<Uuid>,
    pub sources: Vec<String>,
    pub source_internal_id: Option<String>,
    pub sort: EntrySort,
    pub descending: bool,
    pub limit: u32,
    pub page_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct EntryPage {
    pub items: Vec<Entry>,
    pub next_page_token: Option<String>,
}

/// The largest page of the money ledgers ("must be > 0 and < 1000").
pub const MAX_LIMIT: u32 = 999;

fn token_tag(request: &ListRequest) -> String {
    format!(
        "cm1|{}|{:?}|{}",
        request.kind.as_str(),
        request.sort,
        if request.descending { "desc" } else { "asc" }
    )
}

fn decode_after(request: &ListRequest) -> Result<Option<(SortKey, Uuid)>, ServiceError> {
    let Some(token) = &request.page_token else {
        return Ok(None);
    };
    let bad = || ServiceError::invalid("page_token", "is not a page token of this list and order");
    let payload = crate::paging::decode(&token_tag(request), token).ok_or_else(bad)?;
    let (id, key) = payload.split_once('|').ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    let key = match request.sort {
        EntrySort::Time => SortKey::Time(key.parse().map_err(|_| bad())?),
        EntrySort::Amount => SortKey::Amount(key.parse().map_err(|_| bad())?),
        EntrySort::Note | EntrySort::Reason | EntrySort::Source => SortKey::Text(key.to_string()),
    };
    Ok(Some((key, id)))
}

fn encode_after(request: &ListRequest, row: &EntryRow) -> String {
    let key = match SortKey::of(request.sort, row) {
        SortKey::Time(micros) => micros.to_string(),
        SortKey::Amount(cents) => cents.to_string(),
        SortKey::Text(text) => text,
    };
    crate::paging::encode(&token_tag(request), &format!("{}|{key}", row.id))
}

pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    request: ListRequest,
) -> Result<EntryPage, ServiceError> {
    if request.limit == 0 || request.limit > MAX_LIMIT {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = decode_after(&request)?;
    let query = EntryQuery {
        kind: request.kind.as_str().to_string(),
        patient_external_id: request.patient_external_id.clone(),
        payer_uuid: request.payer_uuid,
        claim_id: request.claim_id,
        service_line_id: request.service_line_id,
        billing_provider_id: request.billing_provider_id,
        unattributed: request.unattributed,
        invoice_id: request.invoice_id,
        sources: request.sources.clone(),
        source_internal_id: request.source_internal_id.clone(),
        sort: request.sort,
        descending: request.descending,
        after,
        limit: request.limit + 1,
    };
    let mut found = store.claim_money_entries(tenant.tenant_id, &query).await?;
    let next_page_token = crate::paging::last_before_next_page(&mut found, request.limit)
        .map(|row| encode_after(&request, row));
    let ids: Vec<Uuid> = found.iter().map(|row| row.id).collect();
    let mut by_entry: HashMap<Uuid, Vec<AllocationRow>> = HashMap::new();
    for allocation in store
        .claim_money_allocations(tenant.tenant_id, &ids)
        .await?
    {
        by_entry
            .entry(allocation.entry_id)
            .or_default()
            .push(allocation);
    }
    Ok(EntryPage {
        items: found
            .into_iter()
            .map(|row| Entry {
                allocations: by_entry.remove(&row.id).unwrap_or_default(),
                row,
            })
            .collect(),
        next_page_token,
    })
}
