//! Writing off what a charge still owes: the whole outstanding amount moves from the
//! charge's receivable to the tenant's write-offs, recorded as a `WRITE_OFF` adjustment
//! of minus that amount, and the charge reads `WRITE_OFF`.

use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::pricing::{self, ChargeStatus, Closing};
use copay_store::Store;
use copay_store::charges::{self as rows, AdjustmentRow};
use copay_store::ledger::{account_balance, ensure_account, post_operation};

use crate::charges::{Adjustment, AdjustmentKind, adjustment_from_row};
use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone)]
pub struct NewWriteOff {
    pub charge_id: Uuid,
    pub reason: String,
    pub provider_id: Option<String>,
    pub location_id: Option<String>,
}

/// Writes off the charge's whole outstanding amount. A charge that owes nothing, or is
/// void, is refused (and nothing is written).
pub async fn write_off(
    store: &Store,
    tenant: &TenantCtx,
    new: NewWriteOff,
) -> Result<Adjustment, ServiceError> {
    let tenant_id = tenant.tenant_id;
    if new.reason.trim().is_empty() {
        return Err(ServiceError::invalid("reason", "must not be empty"));
    }
    let mut tx = store.begin().await?;
    let mut charge = rows::get_for_update(&mut tx, tenant_id, new.charge_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "charge",
            id: new.charge_id.to_string(),
        })?;
    if charge.status == ChargeStatus::Void.as_str() {
        return Err(ServiceError::Unprocessable(format!(
            "charge {} is void and cannot be written off",
            charge.id
        )));
    }
    let receivable = ensure_account(
        &mut tx,
        tenant_id,
        AccountKind::ChargeReceivable,
        charge.id,
        "",
    )
    .await?;
    let outstanding = account_balance(&mut tx, tenant_id, receivable)
        .await?
        .map(|account| account.balance)
        .unwrap_or(Cents::ZERO);
    if !outstanding.is_positive() {
        return Err(ServiceError::Unprocessable(format!(
            "charge {} has nothing outstanding to write off",
            charge.id
        )));
    }
    let write_offs =
        ensure_account(&mut tx, tenant_id, AccountKind::WriteOffs, tenant_id, "").await?;
    let transfer = Transfer::new(TransferKind::WriteOff, receivable, write_offs, outstanding)?;
    let operation_id =
        post_operation(&mut tx, tenant_id, "charge_written_off", &[transfer]).await?;
    let now = copay_store::now();
    let row = AdjustmentRow {
        id: Uuid::now_v7(),
        tenant_id,
        charge_id: charge.id,
        amount: -outstanding.get(),
        adjustment_type: AdjustmentKind::WriteOff.as_str().to_string(),
        reason: Some(new.reason),
        provider_id: new.provider_id,
        location_id: new.location_id,
        operation_id: Some(operation_id),
        created_at: now,
    };
    rows::insert_adjustment(&mut tx, &row).await?;
    charge.status = pricing::derive_status(Cents::ZERO, Closing::WriteOff)
        .as_str()
        .to_string();
    charge.updated_at = now;
    rows::set_status(&mut tx, &charge).await?;
    // copay's adjustments take effect at once: created, then succeeded.
    crate::events::record_many_in_tx(
        &mut tx,
        tenant_id,
        &[
            crate::events::EventType::AdjustmentCreated,
            crate::events::EventType::AdjustmentSucceeded,
        ],
        crate::events::Subject::Adjustment(row.id),
    )
    .await?;
    tx.commit().await?;
    adjustment_from_row(row)
}
