//! Tips on patient charges: create, read, change, delete.
//!
//! A tip raises what its charge owes: it moves from the tenant's Tips account to the
//! charge's receivable, and the charge's stored total grows by it (so "owes no more than
//! its total plus its raises" keeps holding). Lowering or deleting a tip moves the
//! difference back, but only while the charge still owes at least that much: a tip
//! already paid is not taken back here (that is a refund). Each change runs in one
//! transaction holding the charge's row.

use time::OffsetDateTime;
use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::pricing::{self, ChargeStatus, Closing};
use copay_store::charges::{self as charge_rows, ChargeRow};
use copay_store::ledger::{account_balance, ensure_account, post_operation};
use copay_store::tips::{self as rows, TipRow, TipWithProvider};
use copay_store::{Store, Tx};

use crate::{ServiceError, TenantCtx};

/// The provider a tip is for, as a tip shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipProvider {
    pub id: Uuid,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub id: Uuid,
    pub charge_id: Uuid,
    /// Cents, > 0.
    pub amount: i64,
    pub provider: TipProvider,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<TipWithProvider> for Tip {
    fn from(row: TipWithProvider) -> Self {
        Tip {
            id: row.tip.id,
            charge_id: row.tip.charge_id,
            amount: row.tip.amount,
            provider: TipProvider {
                id: row.tip.provider_id,
                first_name: row.provider_first_name,
                last_name: row.provider_last_name,
                email: row.provider_email,
                created_at: row.provider_created_at,
            },
            created_at: row.tip.created_at,
            updated_at: row.tip.updated_at,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewTip {
    pub charge_id: Uuid,
    pub provider_id: Uuid,
    pub amount: i64,
}

/// A tip's new provider and, when given, its new amount.
#[derive(Debug, Clone)]
pub struct TipChanges {
    pub provider_id: Uuid,
    pub amount: Option<i64>,
}

const ENTITY: &str = "tip";

fn not_found(entity: &'static str, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

fn positive(amount: i64) -> Result<Cents, ServiceError> {
    Cents::positive(amount)
        .map_err(|_| ServiceError::invalid("amount", "must be greater than zero"))
}

/// The charge, locked; a voided one takes no tip.
async fn lock_charge(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<ChargeRow, ServiceError> {
    let charge = charge_rows::get_for_update(tx, tenant_id, id)
        .await?
        .ok_or_else(|| not_found("charge", id))?;
    if charge.status == ChargeStatus::Void.as_str() {
        return Err(ServiceError::Unprocessable(format!(
            "charge {id} is void: its tips cannot change"
        )));
    }
    Ok(charge)
}

async fn require_provider(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<(), ServiceError> {
    if rows::provider_exists(tx, tenant_id, id).await? {
        Ok(())
    } else {
        Err(not_found("provider", id))
    }
}

/// What closed the charge before a tip reopened it, from its receivable's history: the
/// status a charge returns to when a tip is taken back and nothing is owed.
async fn closing_before_tips(
    tx: &mut Tx,
    tenant_id: Uuid,
    receivable: Uuid,
) -> Result<Closing, ServiceError> {
    let kind = rows::last_closing_kind(tx, tenant_id, receivable).await?;
    let kind = kind.as_deref().and_then(TransferKind::parse);
    Ok(match kind {
        Some(TransferKind::WriteOff) => Closing::WriteOff,
        Some(TransferKind::ExternalSettlement) => Closing::ExternalSettlement,
        Some(TransferKind::Adjustment | TransferKind::Discount) => Closing::Adjustment,
        // Paid (or refunded after paying); a zero charge nothing was taken off was paid.
        _ => Closing::Payment,
    })
}

/// Changes what the locked charge owes by `delta` cents of tip (positive raises), with
/// its total, and posts the move between the tenant's Tips account and the charge's
/// receivable. A decrease larger than what is still owed is refused: that part of the
/// tip was paid.
async fn post_tip_change(
    tx: &mut Tx,
    tenant_id: Uuid,
    charge: &mut ChargeRow,
    delta: i64,
    operation_kind: &str,
) -> Result<(), ServiceError> {
    if delta == 0 {
        return Ok(());
    }
    let out_of_range = || ServiceError::invalid("amount", "is out of range");
    let receivable =
        ensure_account(tx, tenant_id, AccountKind::ChargeReceivable, charge.id, "").await?;
    let tips = ensure_account(tx, tenant_id, AccountKind::Tips, tenant_id, "").await?;
    let outstanding = account_balance(tx, tenant_id, receivable)
        .await?
        .map(|account| account.balance)
        .unwrap_or(Cents::ZERO);
    let magnitude = Cents::positive(delta.checked_abs().ok_or_else(out_of_range)?)
        .map_err(|_| out_of_range())?;
    let (transfer, after) = if delta > 0 {
        (
            Transfer::new(TransferKind::Tip, tips, receivable, magnitude)?,
            outstanding
                .checked_add(magnitude)
                .map_err(|_| out_of_range())?,
        )
    } else {
        if outstanding < magnitude {
            return Err(ServiceError::Unprocessable(format!(
                "charge {} has {} outstanding, less than the {} of tip this would take off: \
                 that part of the tip was already paid",
                charge.id,
                outstanding.get(),
                magnitude.get()
            )));
        }
        (
            Transfer::new(TransferKind::Tip, receivable, tips, magnitude)?,
            Cents::new(outstanding.get() - magnitude.get()),
        )
    };
    charge.total = charge.total.checked_add(delta).ok_or_else(out_of_range)?;
    post_operation(tx, tenant_id, operation_kind, &[transfer]).await?;
    // The status changes only when the charge opens or closes: a charge still owing keeps
    // its status (a payment plan stays one).
    if !outstanding.is_positive() && after.is_positive() {
        charge.status = pricing::derive_status(after, Closing::Payment)
            .as_str()
            .to_string();
    } else if outstanding.is_positive() && !after.is_positive() {
        let closing = closing_before_tips(tx, tenant_id, receivable).await?;
        charge.status = pricing::derive_status(after, closing).as_str().to_string();
    }
    charge.updated_at = copay_store::now();
    charge_rows::set_total_and_status(tx, charge).await?;
    Ok(())
}

async fn read_in_tx(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> Result<Tip, ServiceError> {
    rows::get_in_tx(tx, tenant_id, id)
        .await?
        .map(Tip::from)
        .ok_or_else(|| not_found(ENTITY, id))
}

/// Tips a provider of the tenant on a charge that is not void.
pub async fn create(store: &Store, tenant: &TenantCtx, new: NewTip) -> Result<Tip, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let id = create_in_tx(&mut tx, tenant_id, new).await?;
    let tip = read_in_tx(&mut tx, tenant_id, id).await?;
    tx.commit().await?;
    Ok(tip)
}

/// Creates a tip inside the caller's transaction; returns its id.
pub(crate) async fn create_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    new: NewTip,
) -> Result<Uuid, ServiceError> {
    let amount = positive(new.amount)?;
    let mut charge = lock_charge(tx, tenant_id, new.charge_id).await?;
    require_provider(tx, tenant_id, new.provider_id).await?;
    post_tip_change(tx, tenant_id, &mut charge, amount.get(), "tip_created").await?;
    let now = copay_store::now();
    let row = TipRow {
        id: Uuid::now_v7(),
        tenant_id,
        charge_id: charge.id,
        provider_id: new.provider_id,
        amount: amount.get(),
        created_at: now,
        updated_at: now,
    };
    rows::insert(tx, &row).await?;
    Ok(row.id)
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Tip, ServiceError> {
    store
        .tip(tenant.tenant_id, id)
        .await?
        .map(Tip::from)
        .ok_or_else(|| not_found(ENTITY, id))
}

/// The tip read first to learn its charge, then the charge locked, then the tip read
/// again: every tip write holds the charge, so the second read is current.
async fn lock_tip(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<(TipRow, ChargeRow), ServiceError> {
    let first = rows::get_in_tx(tx, tenant_id, id)
        .await?
        .ok_or_else(|| not_found(ENTITY, id))?;
    let charge = lock_charge(tx, tenant_id, first.tip.charge_id).await?;
    let tip = rows::get_in_tx(tx, tenant_id, id)
        .await?
        .ok_or_else(|| not_found(ENTITY, id))?;
    Ok((tip.tip, charge))
}

/// Gives the tip to another provider and, with an amount, changes it; the difference
/// moves like a new tip (up) or back (down, refused if already paid).
pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    changes: TipChanges,
) -> Result<Tip, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let amount = changes.amount.map(positive).transpose()?;
    let mut tx = store.begin().await?;
    let (mut tip, mut charge) = lock_tip(&mut tx, tenant_id, id).await?;
    require_provider(&mut tx, tenant_id, changes.provider_id).await?;
    if let Some(amount) = amount {
        let delta = amount
            .get()
            .checked_sub(tip.amount)
            .ok_or_else(|| ServiceError::invalid("amount", "is out of range"))?;
        post_tip_change(&mut tx, tenant_id, &mut charge, delta, "tip_changed").await?;
        tip.amount = amount.get();
    }
    tip.provider_id = changes.provider_id;
    tip.updated_at = copay_store::now();
    rows::update(&mut tx, &tip).await?;
    let tip = read_in_tx(&mut tx, tenant_id, id).await?;
    tx.commit().await?;
    Ok(tip)
}

/// Takes the whole tip back (refused, writing nothing, if part of it was paid).
pub async fn delete(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<(), ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let (tip, mut charge) = lock_tip(&mut tx, tenant_id, id).await?;
    let delta = tip
        .amount
        .checked_neg()
        .ok_or_else(|| ServiceError::invalid("amount", "is out of range"))?;
    post_tip_change(&mut tx, tenant_id, &mut charge, delta, "tip_deleted").await?;
    rows::mark_deleted(&mut tx, tenant_id, id, copay_store::now()).await?;
    tx.commit().await?;
    Ok(())
}
