//! Write-offs on claims (Candid's write-offs v1): create in batch, read, list, revert.
//!
//! A write-off moves its amount off the target's ledger account into the tenant's
//! write-offs account, the way a payment moves money into receipts (see
//! `claim_money`'s module doc for the accounts): a patient write-off on a line's patient
//! balance; an insurance write-off on a line's insurance balance, a claim's claim-level
//! balance, or the money held for a billing provider (`billing_provider:insurance`).
//! Reverting posts the reverse transfer and records a write-off of the opposite amount
//! that names the original, which then names it back. Nothing is ever deleted.
//!
//! copay keeps no directory of non-insurance payers, so a `non_insurance_payer`
//! write-off always names an unknown payer (404).

use copay_domain::claim_write_off::{self as domain, WriteOffSide, WriteOffTargetKind};
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_store::claim_money::{self as money_rows, ClaimTarget};
use copay_store::claim_write_offs::{
    self as rows, WriteOffKey, WriteOffQuery, WriteOffRow, WriteOffSort,
};
use copay_store::ledger::{ensure_account, ensure_accounts, lock_accounts, post_operation};
use copay_store::{Store, Tx};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::payers::{self, PayerIdentifier};
use crate::{ServiceError, TenantCtx};

/// The most write-offs one create may carry.
pub const MAX_BATCH: usize = 500;

/// What a write-off reduces, as the caller names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOffTarget {
    ServiceLine(Uuid),
    Claim(Uuid),
    BillingProvider(Uuid),
}

/// Whose balance is written off.
#[derive(Debug, Clone)]
pub enum WriteOffParty {
    /// A service line's patient balance (the target must be a line).
    Patient,
    Insurance(PayerIdentifier),
    /// copay has no non-insurance payers: always unknown.
    NonInsurancePayer(Uuid),
}

#[derive(Debug, Clone)]
pub struct NewWriteOff {
    pub party: WriteOffParty,
    pub target: WriteOffTarget,
    pub occurred_at: OffsetDateTime,
    pub note: Option<String>,
    /// The contract's reason enum value, checked by the caller.
    pub reason: String,
    pub custom_reason: Option<String>,
    pub amount_cents: i64,
}

fn not_found(entity: &'static str, id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// A write-off checked against the tenant: its row, less ids and ledger references, and
/// the account it moves money off.
struct Resolved {
    row: WriteOffRow,
    account: (AccountKind, Uuid, String),
}

fn blank_row(tenant_id: Uuid, side: WriteOffSide, kind: WriteOffTargetKind) -> WriteOffRow {
    let now = copay_store::now();
    WriteOffRow {
        id: Uuid::now_v7(),
        tenant_id,
        account_type: side.as_str().to_string(),
        target_kind: kind.as_str().to_string(),
        service_line_id: None,
        claim_id: None,
        encounter_id: None,
        billing_provider_id: None,
        patient_external_id: None,
        payer_uuid: None,
        amount_cents: 0,
        occurred_at: now,
        occurred_us: 0,
        note: None,
        reason: String::new(),
        custom_reason: None,
        reverts_id: None,
        reverted_by_id: None,
        account_id: Uuid::nil(),
        operation_id: Uuid::nil(),
        created_at: now,
    }
}

fn on_claim(row: &mut WriteOffRow, target: &ClaimTarget) {
    row.service_line_id = target.service_line_id;
    row.claim_id = Some(target.claim_id);
    row.encounter_id = Some(target.encounter_id);
    row.patient_external_id = Some(target.patient_external_id.clone());
}

/// Checks what does not need the database: amounts, and that a patient write-off names a
/// line. Non-insurance payers are unknown to copay.
fn check(new: &[NewWriteOff]) -> Result<(), ServiceError> {
    if new.len() > MAX_BATCH {
        return Err(ServiceError::invalid(
            "write_offs",
            format!("at most {MAX_BATCH} write-offs per request"),
        ));
    }
    for (index, item) in new.iter().enumerate() {
        if domain::check_amount(item.amount_cents).is_err() {
            return Err(ServiceError::invalid(
                format!("write_offs[{index}].amount_cents"),
                "must be greater than zero",
            ));
        }
        match (&item.party, item.target) {
            (WriteOffParty::NonInsurancePayer(id), _) => {
                return Err(not_found("non-insurance payer", id));
            }
            (WriteOffParty::Patient, WriteOffTarget::ServiceLine(_))
            | (WriteOffParty::Insurance(_), _) => {}
            (WriteOffParty::Patient, _) => {
                return Err(ServiceError::invalid(
                    format!("write_offs[{index}]"),
                    "a patient write-off targets a service line",
                ));
            }
        }
    }
    Ok(())
}

async fn resolve(
    tx: &mut Tx,
    tenant_id: Uuid,
    new: &[NewWriteOff],
) -> Result<Vec<Resolved>, ServiceError> {
    let line_ids: Vec<Uuid> = new
        .iter()
        .filter_map(|item| match item.target {
            WriteOffTarget::ServiceLine(id) => Some(id),
            _ => None,
        })
        .collect();
    let claim_ids: Vec<Uuid> = new
        .iter()
        .filter_map(|item| match item.target {
            WriteOffTarget::Claim(id) => Some(id),
            _ => None,
        })
        .collect();
    let (lines, claims) =
        crate::claim_money::claim_targets(tx, tenant_id, &line_ids, &claim_ids).await?;
    let mut resolved = Vec::with_capacity(new.len());
    for item in new {
        let (side, payer_uuid) = match &item.party {
            WriteOffParty::Patient => (WriteOffSide::Patient, None),
            WriteOffParty::Insurance(identifier) => (
                WriteOffSide::Insurance,
                Some(payers::resolve_in_tx(tx, identifier).await?.payer_uuid),
            ),
            WriteOffParty::NonInsurancePayer(id) => {
                return Err(not_found("non-insurance payer", id));
            }
        };
        let mut entry = match item.target {
            WriteOffTarget::ServiceLine(id) => {
                let line = lines
                    .get(&id)
                    .ok_or_else(|| not_found("service line", id))?;
                let mut row = blank_row(tenant_id, side, WriteOffTargetKind::ServiceLine);
                on_claim(&mut row, line);
                let kind = match side {
                    WriteOffSide::Patient => AccountKind::ServiceLinePatientBalance,
                    WriteOffSide::Insurance => AccountKind::ServiceLineInsuranceBalance,
                };
                Resolved {
                    row,
                    account: (kind, id, String::new()),
                }
            }
            WriteOffTarget::Claim(id) => {
                let claim = claims.get(&id).ok_or_else(|| not_found("claim", id))?;
                let mut row = blank_row(tenant_id, side, WriteOffTargetKind::Claim);
                on_claim(&mut row, claim);
                Resolved {
                    row,
                    account: (AccountKind::ClaimBalance, id, String::new()),
                }
            }
            WriteOffTarget::BillingProvider(id) => {
                money_rows::billing_provider_encounter(tx, tenant_id, id)
                    .await?
                    .ok_or_else(|| not_found("billing provider", id))?;
                let mut row = blank_row(tenant_id, side, WriteOffTargetKind::BillingProvider);
                row.billing_provider_id = Some(id);
                Resolved {
                    row,
                    account: (
                        AccountKind::Unapplied,
                        id,
                        "billing_provider:insurance".to_string(),
                    ),
                }
            }
        };
        let occurred_at = crate::claim_money::utc_micros(item.occurred_at);
        entry.row.payer_uuid = payer_uuid;
        entry.row.amount_cents = item.amount_cents;
        entry.row.occurred_at = occurred_at;
        entry.row.occurred_us = copay_store::claim_ar::unix_micros(occurred_at);
        entry.row.note = item.note.clone();
        entry.row.reason = item.reason.clone();
        entry.row.custom_reason = item.custom_reason.clone();
        resolved.push(entry);
    }
    Ok(resolved)
}

async fn touch_claims(
    tx: &mut Tx,
    tenant_id: Uuid,
    rows: &[WriteOffRow],
    at: OffsetDateTime,
) -> Result<(), ServiceError> {
    let mut claims: Vec<Uuid> = rows.iter().filter_map(|row| row.claim_id).collect();
    claims.sort();
    claims.dedup();
    money_rows::touch_claims(tx, tenant_id, &claims, at).await?;
    Ok(())
}

/// Creates the write-offs, all or none, in one transaction.
pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    new: Vec<NewWriteOff>,
) -> Result<Vec<WriteOffRow>, ServiceError> {
    let tenant_id = tenant.tenant_id;
    check(&new)?;
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = store.begin().await?;
    let resolved = resolve(&mut tx, tenant_id, &new).await?;
    let mut wanted: Vec<(AccountKind, Uuid, &str)> = resolved
        .iter()
        .map(|item| (item.account.0, item.account.1, item.account.2.as_str()))
        .collect();
    wanted.push((AccountKind::WriteOffs, tenant_id, ""));
    let accounts = ensure_accounts(&mut tx, tenant_id, &wanted).await?;
    let (write_offs, targets) = accounts
        .split_last()
        .ok_or_else(|| ServiceError::Unprocessable("no accounts to post to".into()))?;
    // Lock every target at once, in id order, so two batches touching the same targets
    // in different orders cannot deadlock between their per-write-off operations.
    lock_accounts(&mut tx, tenant_id, targets).await?;
    let mut rows = Vec::with_capacity(resolved.len());
    for (item, account) in resolved.into_iter().zip(targets) {
        let mut row = item.row;
        let amount = domain::check_amount(row.amount_cents)
            .map_err(|error| ServiceError::Unprocessable(error.to_string()))?;
        let transfer = Transfer::new(TransferKind::WriteOff, *account, *write_offs, amount)?;
        row.account_id = *account;
        row.operation_id =
            post_operation(&mut tx, tenant_id, "claim_write_off", &[transfer]).await?;
        rows.push(row);
    }
    rows::insert(&mut tx, &rows).await?;
    touch_claims(&mut tx, tenant_id, &rows, copay_store::now()).await?;
    tx.commit().await?;
    Ok(rows)
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<WriteOffRow, ServiceError> {
    store
        .claim_write_off(tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found("write-off", id))
}

/// Reverts a write-off: puts its amount back on its target and records the reverting
/// write-off, which is returned. A write-off reverts once; a revert never does.
pub async fn revert(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
) -> Result<WriteOffRow, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let original = rows::get_for_update(&mut tx, tenant_id, id)
        .await?
        .ok_or_else(|| not_found("write-off", id))?;
    domain::check_revert(
        original.reverts_id.is_some(),
        original.reverted_by_id.is_some(),
    )
    .map_err(|error| ServiceError::Unprocessable(format!("write-off {id}: {error}")))?;
    let amount = domain::check_amount(original.amount_cents)
        .map_err(|error| ServiceError::Unprocessable(error.to_string()))?;
    let write_offs =
        ensure_account(&mut tx, tenant_id, AccountKind::WriteOffs, tenant_id, "").await?;
    let transfer = Transfer::new(
        TransferKind::Reversal,
        write_offs,
        original.account_id,
        amount,
    )?;
    let operation_id =
        post_operation(&mut tx, tenant_id, "claim_write_off_reverted", &[transfer]).await?;
    let now = copay_store::now();
    let revert = WriteOffRow {
        id: Uuid::now_v7(),
        amount_cents: domain::revert_amount(original.amount_cents)
            .map_err(|error| ServiceError::Unprocessable(error.to_string()))?,
        occurred_at: now,
        occurred_us: copay_store::claim_ar::unix_micros(now),
        note: None,
        reverts_id: Some(original.id),
        reverted_by_id: None,
        operation_id,
        created_at: now,
        ..original.clone()
    };
    rows::insert(&mut tx, std::slice::from_ref(&revert)).await?;
    rows::set_reverted_by(&mut tx, tenant_id, original.id, revert.id).await?;
    touch_claims(&mut tx, tenant_id, std::slice::from_ref(&revert), now).await?;
    tx.commit().await?;
    Ok(revert)
}

/// A list request. `account_types`: `None` for every type; `Some` with the types to keep
/// (an empty list keeps nothing: the caller asked only for types copay never has).
#[derive(Debug, Clone)]
pub struct ListRequest {
    pub patient_external_id: Option<String>,
    pub payer_uuid: Option<Uuid>,
    pub service_line_id: Option<Uuid>,
    pub claim_id: Option<Uuid>,
    pub billing_provider_id: Option<Uuid>,
    pub account_types: Option<Vec<WriteOffSide>>,
    pub sort: WriteOffSort,
    pub descending: bool,
    pub limit: u32,
    pub page_token: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WriteOffPage {
    pub items: Vec<WriteOffRow>,
    pub next_page_token: Option<String>,
}

/// The largest page ("must be > 0 and < 1000").
pub const MAX_LIMIT: u32 = 999;

fn token_tag(request: &ListRequest) -> String {
    format!(
        "wo1|{:?}|{}",
        request.sort,
        if request.descending { "desc" } else { "asc" }
    )
}

fn decode_after(request: &ListRequest) -> Result<Option<(WriteOffKey, Uuid)>, ServiceError> {
    let Some(token) = &request.page_token else {
        return Ok(None);
    };
    let bad = || ServiceError::invalid("page_token", "is not a page token of this list and order");
    let payload = crate::paging::decode(&token_tag(request), token).ok_or_else(bad)?;
    let (id, key) = payload.split_once('|').ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    let key = match request.sort {
        WriteOffSort::Time | WriteOffSort::Amount => {
            WriteOffKey::Number(key.parse().map_err(|_| bad())?)
        }
        WriteOffSort::Note => WriteOffKey::Text(key.to_string()),
    };
    Ok(Some((key, id)))
}

fn encode_after(request: &ListRequest, row: &WriteOffRow) -> String {
    let key = match WriteOffKey::of(request.sort, row) {
        WriteOffKey::Number(value) => value.to_string(),
        WriteOffKey::Text(text) => text,
    };
    crate::paging::encode(&token_tag(request), &format!("{}|{key}", row.id))
}

pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    request: ListRequest,
) -> Result<WriteOffPage, ServiceError> {
    if request.limit == 0 || request.limit > MAX_LIMIT {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        ));
    }
    let after = decode_after(&request)?;
    if request.account_types.as_ref().is_some_and(Vec::is_empty) {
        return Ok(WriteOffPage {
            items: Vec::new(),
            next_page_token: None,
        });
    }
    let query = WriteOffQuery {
        patient_external_id: request.patient_external_id.clone(),
        payer_uuid: request.payer_uuid,
        service_line_id: request.service_line_id,
        claim_id: request.claim_id,
        billing_provider_id: request.billing_provider_id,
        account_types: request
            .account_types
            .iter()
            .flatten()
            .map(|side| side.as_str().to_string())
            .collect(),
        sort: request.sort,
        descending: request.descending,
        after,
        limit: request.limit + 1,
    };
    let mut items = store.claim_write_offs(tenant.tenant_id, &query).await?;
    let next_page_token = crate::paging::last_before_next_page(&mut items, request.limit)
        .map(|row| encode_after(&request, row));
    Ok(WriteOffPage {
        items,
        next_page_token,
    })
}
