//! Patient credit: grant, correct, withdraw, list and the available balance. Each credit
//! is a ledger account of its own (what is left on it is that account's balance, which
//! can never go below zero); credit granted directly comes from the tenant's
//! credit-grants clearing account. Every use case locks the patient first, so a
//! patient's credit operations take turns.

use std::collections::HashMap;

use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::credit::{self, Credit as CreditState};
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_store::credits::{self as rows, CreditRow, CreditWithRemaining};
use copay_store::ledger::{ensure_account, post_operation};
use copay_store::{Store, Tx};

use crate::patients;
use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone, PartialEq)]
pub struct Credit {
    pub id: Uuid,
    pub patient_id: Uuid,
    /// What it was granted with.
    pub amount: i64,
    pub remaining: i64,
    pub comment: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub member_id: Option<String>,
    pub creator_id: Option<String>,
    pub external_id: Option<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Credit {
    fn state(&self) -> CreditState {
        CreditState {
            id: self.id,
            remaining: Cents::new(self.remaining),
            expires_at: self.expires_at,
            created_at: self.created_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCredit {
    pub amount: i64,
    /// Defaults to `amount`.
    pub amount_remaining: Option<i64>,
    pub comment: Option<String>,
    pub expires_at: Option<OffsetDateTime>,
    pub member_id: Option<String>,
    pub creator_id: Option<String>,
    pub external_id: Option<String>,
}

/// Changes to a credit: `None` leaves a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct CreditChanges {
    pub comment: Option<Option<String>>,
    pub expires_at: Option<Option<OffsetDateTime>>,
    pub amount: Option<i64>,
    pub amount_remaining: Option<i64>,
}

const ENTITY: &str = "patient credit";
/// The clearing account credit granted directly is drawn from.
const GRANTS: &str = "credit_grants";

fn from_row(row: CreditWithRemaining) -> Credit {
    let credit = row.credit;
    Credit {
        id: credit.id,
        patient_id: credit.patient_id,
        amount: credit.amount,
        // Credit-normal: the stored (debit-positive) balance is the negative of what is left.
        remaining: row.debit_balance.saturating_neg(),
        comment: credit.comment,
        expires_at: credit.expires_at,
        member_id: credit.member_id,
        creator_id: credit.creator_id,
        external_id: credit.external_id,
        created_at: credit.created_at,
        updated_at: credit.updated_at,
    }
}

fn check_amounts(amount: i64, remaining: i64) -> Result<(), ServiceError> {
    if amount <= 0 {
        return Err(ServiceError::invalid("amount", "must be greater than zero"));
    }
    if remaining < 0 {
        return Err(ServiceError::invalid(
            "amountRemaining",
            "must not be negative",
        ));
    }
    if remaining > amount {
        return Err(ServiceError::invalid(
            "amountRemaining",
            format!("must not exceed the amount ({amount})"),
        ));
    }
    Ok(())
}

/// Moves `delta` onto (positive) or off (negative) a credit, against the grants account.
async fn move_credit(
    tx: &mut Tx,
    tenant_id: Uuid,
    credit_id: Uuid,
    delta: i64,
    operation: &str,
) -> Result<(), ServiceError> {
    if delta == 0 {
        return Ok(());
    }
    let account = ensure_account(tx, tenant_id, AccountKind::PatientCredit, credit_id, "").await?;
    let grants = ensure_account(tx, tenant_id, AccountKind::Clearing, tenant_id, GRANTS).await?;
    let magnitude = Cents::new(delta.saturating_abs());
    let transfer = if delta > 0 {
        Transfer::new(TransferKind::CreditIssued, account, grants, magnitude)?
    } else {
        Transfer::new(TransferKind::CreditDrawn, grants, account, magnitude)?
    };
    post_operation(tx, tenant_id, operation, &[transfer]).await?;
    Ok(())
}

async fn credits_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
) -> Result<Vec<Credit>, ServiceError> {
    Ok(rows::of_patient_in_tx(tx, tenant_id, patient_id)
        .await?
        .into_iter()
        .map(from_row)
        .collect())
}

fn find(credits: Vec<Credit>, id: Uuid) -> Result<Credit, ServiceError> {
    credits
        .into_iter()
        .find(|credit| credit.id == id)
        .ok_or_else(|| ServiceError::NotFound {
            entity: ENTITY,
            id: id.to_string(),
        })
}

pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    patient_id: Uuid,
    new: NewCredit,
) -> Result<Credit, ServiceError> {
    let remaining = new.amount_remaining.unwrap_or(new.amount);
    check_amounts(new.amount, remaining)?;
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let now = copay_store::now();
    let row = CreditRow {
        id: Uuid::now_v7(),
        tenant_id,
        patient_id,
        amount: new.amount,
        comment: new.comment,
        expires_at: new.expires_at,
        member_id: new.member_id,
        creator_id: new.creator_id,
        external_id: new.external_id,
        created_at: now,
        updated_at: now,
    };
    rows::insert(&mut tx, &row).await?;
    move_credit(&mut tx, tenant_id, row.id, remaining, "credit_granted").await?;
    let credit = find(credits_in_tx(&mut tx, tenant_id, patient_id).await?, row.id)?;
    tx.commit().await?;
    Ok(credit)
}

/// Corrects a credit. A new `amountRemaining` moves the difference on or off it; the
/// amount may not fall below what remains.
pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    patient_id: Uuid,
    credit_id: Uuid,
    changes: CreditChanges,
) -> Result<Credit, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let credit = find(
        credits_in_tx(&mut tx, tenant_id, patient_id).await?,
        credit_id,
    )?;
    let amount = changes.amount.unwrap_or(credit.amount);
    let remaining = changes.amount_remaining.unwrap_or(credit.remaining);
    check_amounts(amount, remaining)?;
    let row = CreditRow {
        id: credit.id,
        tenant_id,
        patient_id,
        amount,
        comment: changes.comment.unwrap_or(credit.comment),
        expires_at: changes.expires_at.unwrap_or(credit.expires_at),
        member_id: credit.member_id,
        creator_id: credit.creator_id,
        external_id: credit.external_id,
        created_at: credit.created_at,
        updated_at: copay_store::now(),
    };
    rows::update(&mut tx, &row).await?;
    move_credit(
        &mut tx,
        tenant_id,
        credit_id,
        remaining - credit.remaining,
        "credit_corrected",
    )
    .await?;
    let updated = find(
        credits_in_tx(&mut tx, tenant_id, patient_id).await?,
        credit_id,
    )?;
    tx.commit().await?;
    Ok(updated)
}

/// Withdraws a credit none of which has been used; a used one is refused (400).
pub async fn delete(
    store: &Store,
    tenant: &TenantCtx,
    patient_id: Uuid,
    credit_id: Uuid,
) -> Result<(), ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let credit = find(
        credits_in_tx(&mut tx, tenant_id, patient_id).await?,
        credit_id,
    )?;
    if credit.remaining != credit.amount {
        return Err(ServiceError::Unprocessable(format!(
            "credit {credit_id} has been used ({} of {} left) and cannot be deleted",
            credit.remaining, credit.amount
        )));
    }
    move_credit(
        &mut tx,
        tenant_id,
        credit_id,
        -credit.remaining,
        "credit_withdrawn",
    )
    .await?;
    rows::delete(&mut tx, tenant_id, credit_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The largest page of credits.
pub const MAX_CREDIT_PAGE: u32 = 100;

/// Page `page` (from 1) of a patient's credits, oldest first, and how many match.
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    patient_id: Uuid,
    include_expired: bool,
    include_used: bool,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Credit>, usize), ServiceError> {
    if page == 0 {
        return Err(ServiceError::invalid("page", "must be at least 1"));
    }
    if per_page == 0 || per_page > MAX_CREDIT_PAGE {
        return Err(ServiceError::invalid(
            "per_page",
            format!("must be between 1 and {MAX_CREDIT_PAGE}"),
        ));
    }
    patients::get(store, tenant, patient_id).await?;
    let now = copay_store::now();
    let matching: Vec<Credit> = store
        .patient_credits(tenant.tenant_id, patient_id)
        .await?
        .into_iter()
        .map(from_row)
        .filter(|credit| include_expired || !credit.state().is_expired(now))
        .filter(|credit| include_used || credit.remaining > 0)
        .collect();
    let total = matching.len();
    let start = (page as usize - 1).saturating_mul(per_page as usize);
    let page = matching
        .into_iter()
        .skip(start)
        .take(per_page as usize)
        .collect();
    Ok((page, total))
}

/// The credits that can be spent now (not expired, something left), oldest first.
pub async fn available(
    store: &Store,
    tenant: &TenantCtx,
    patient_id: Uuid,
) -> Result<Vec<Credit>, ServiceError> {
    patients::get(store, tenant, patient_id).await?;
    let now = copay_store::now();
    let credits: Vec<Credit> = store
        .patient_credits(tenant.tenant_id, patient_id)
        .await?
        .into_iter()
        .map(from_row)
        .collect();
    let order: Vec<Uuid> =
        credit::available(&credits.iter().map(Credit::state).collect::<Vec<_>>(), now)
            .iter()
            .map(|state| state.id)
            .collect();
    Ok(order
        .into_iter()
        .filter_map(|id| credits.iter().find(|credit| credit.id == id).cloned())
        .collect())
}

/// A patient's `creditBalance`: Σ left on the credits that are not expired.
pub async fn balance(
    store: &Store,
    tenant_id: Uuid,
    patient_id: Uuid,
) -> Result<i64, ServiceError> {
    let now = copay_store::now();
    let states: Vec<CreditState> = store
        .patient_credits(tenant_id, patient_id)
        .await?
        .into_iter()
        .map(|row| from_row(row).state())
        .collect();
    credit::balance(&states, now)
        .map(|cents| cents.get())
        .map_err(|_| ServiceError::Unprocessable("credit balance is out of range".into()))
}

/// The available credit of each of these patients (a patient without credit is absent),
/// from one read of their credits.
pub async fn balances(
    store: &Store,
    tenant_id: Uuid,
    patient_ids: &[Uuid],
) -> Result<HashMap<Uuid, i64>, ServiceError> {
    let now = copay_store::now();
    let mut states: HashMap<Uuid, Vec<CreditState>> = HashMap::new();
    for row in store.credits_of_patients(tenant_id, patient_ids).await? {
        let credit = from_row(row);
        states
            .entry(credit.patient_id)
            .or_default()
            .push(credit.state());
    }
    states
        .into_iter()
        .map(|(patient_id, credits)| {
            credit::balance(&credits, now)
                .map(|cents| (patient_id, cents.get()))
                .map_err(|_| ServiceError::Unprocessable("credit balance is out of range".into()))
        })
        .collect()
}

/// Records a new credit of `amount` for the patient, without moving money onto it yet;
/// returns its id. The caller posts the transfer that funds it.
pub(crate) async fn insert_record_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
    amount: i64,
    comment: String,
) -> Result<Uuid, ServiceError> {
    let now = copay_store::now();
    let row = CreditRow {
        id: Uuid::now_v7(),
        tenant_id,
        patient_id,
        amount,
        comment: Some(comment),
        expires_at: None,
        member_id: None,
        creator_id: None,
        external_id: None,
        created_at: now,
        updated_at: now,
    };
    rows::insert(tx, &row).await?;
    Ok(row.id)
}

/// Grants the patient a new credit of `amount` (from the grants account); returns its id.
pub(crate) async fn grant_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
    amount: i64,
    comment: String,
) -> Result<Uuid, ServiceError> {
    let id = insert_record_in_tx(tx, tenant_id, patient_id, amount, comment).await?;
    move_credit(tx, tenant_id, id, amount, "credit_granted").await?;
    Ok(id)
}

/// Makes the patient's available credit `target` inside the caller's transaction (which
/// holds the patient): a raise grants a credit for the difference, a cut draws the
/// difference from the available credits, oldest first. Each carries a note, so the
/// history explains the number.
pub(crate) async fn set_balance_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    patient_id: Uuid,
    target: i64,
) -> Result<(), ServiceError> {
    if target < 0 {
        return Err(ServiceError::invalid(
            "creditBalance",
            "must not be negative",
        ));
    }
    let now = copay_store::now();
    let credits = credits_in_tx(tx, tenant_id, patient_id).await?;
    let states: Vec<CreditState> = credits.iter().map(Credit::state).collect();
    let current = credit::balance(&states, now)
        .map_err(|_| ServiceError::Unprocessable("credit balance is out of range".into()))?
        .get();
    let delta = target - current;
    if delta > 0 {
        grant_in_tx(
            tx,
            tenant_id,
            patient_id,
            delta,
            format!("creditBalance set from {current} to {target} on the patient"),
        )
        .await?;
    } else if delta < 0 {
        let plan = credit::draw(&states, Cents::new(-delta), None, now)
            .map_err(|error| ServiceError::invalid("creditBalance", error.to_string()))?;
        for (credit_id, amount) in plan {
            move_credit(
                tx,
                tenant_id,
                credit_id,
                -amount.get(),
                "credit_balance_set",
            )
            .await?;
        }
    }
    Ok(())
}
