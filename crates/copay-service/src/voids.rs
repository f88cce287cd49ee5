//! Deleting payments and charges (Decoda's archive endpoints). Nothing is erased: a
//! deleted payment is voided (`CANCELED`) and every charge it paid owes that share again;
//! a deleted charge voids its cash and credit payments the same way, then closes what it
//! still owes to the tenant's voids account and reads `VOID`. Credit a voided payment drew
//! goes back onto the credits it came from. A card payment is never voided here: money a
//! processor moved can only come back as a refund.

use uuid::Uuid;

use copay_domain::Cents;
use copay_domain::ledger::{AccountKind, Transfer, TransferKind};
use copay_domain::payment_medium::{MediumKind, classify};
use copay_domain::pricing::{self, ChargeStatus, Closing};
use copay_store::charges::{self as charge_rows, ChargeRow};
use copay_store::ledger::{ensure_account, post_operation};
use copay_store::payments::{self as rows, PaymentRow};
use copay_store::{Store, Tx};

use crate::settlement::{CANCELED, lock_charges, outstanding};
use crate::{ServiceError, TenantCtx, patients};

fn refused(message: String) -> ServiceError {
    ServiceError::Unprocessable(message)
}

fn not_found(entity: &'static str, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

/// Why this payment may not be voided, if it may not.
async fn check_voidable(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment: &PaymentRow,
) -> Result<(), ServiceError> {
    if classify(&payment.medium) == MediumKind::Processor {
        return Err(refused(format!(
            "payment {} is a {} card payment; card payments cannot be deleted, refund them instead",
            payment.id, payment.medium
        )));
    }
    if rows::has_refunds(tx, tenant_id, payment.id).await? {
        return Err(refused(format!(
            "payment {} has refunds and cannot be deleted",
            payment.id
        )));
    }
    Ok(())
}

/// Voids a payment whose charges the caller holds locked: each charge it paid owes its
/// share again, and credit it drew returns to the credits it came from.
async fn void_payment_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    payment: &PaymentRow,
    charges: &[ChargeRow],
) -> Result<(), ServiceError> {
    let clearing = ensure_account(
        tx,
        tenant_id,
        AccountKind::Clearing,
        tenant_id,
        &payment.medium,
    )
    .await?;
    let mut transfers = Vec::new();
    let shares = rows::shares_of_payment(tx, tenant_id, payment.id).await?;
    for share in &shares {
        let (receivable, _) = outstanding(tx, tenant_id, share.charge_id).await?;
        transfers.push(Transfer::new(
            TransferKind::Reversal,
            clearing,
            receivable,
            Cents::new(share.amount),
        )?);
    }
    for draw in rows::credit_draws(tx, tenant_id, payment.id).await? {
        let account = ensure_account(
            tx,
            tenant_id,
            AccountKind::PatientCredit,
            draw.credit_id,
            "",
        )
        .await?;
        transfers.push(Transfer::new(
            TransferKind::Reversal,
            account,
            clearing,
            Cents::new(draw.amount),
        )?);
    }
    if !transfers.is_empty() {
        post_operation(tx, tenant_id, "payment_voided", &transfers).await?;
    }
    let now = copay_store::now();
    let mut voided = payment.clone();
    voided.status = CANCELED.to_string();
    voided.voided_at = Some(now);
    voided.updated_at = now;
    rows::set_voided(tx, &voided).await?;
    // Each charge it paid owes again (a void charge stays void).
    for share in &shares {
        let Some(charge) = charges.iter().find(|charge| charge.id == share.charge_id) else {
            continue;
        };
        if charge.status == ChargeStatus::Void.as_str() {
            continue;
        }
        let (_, owes) = outstanding(tx, tenant_id, charge.id).await?;
        let mut charge = charge.clone();
        charge.status = pricing::derive_status(owes, Closing::Payment)
            .as_str()
            .to_string();
        charge.updated_at = now;
        charge_rows::set_status(tx, &charge).await?;
    }
    Ok(())
}

/// `DELETE /billing/payment/{id}`: voids a cash, check or credit payment that has no
/// refunds.
pub async fn delete_payment(
    store: &Store,
    tenant: &TenantCtx,
    payment_id: Uuid,
) -> Result<(), ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let patient_id = rows::patient_of(&mut tx, tenant_id, payment_id)
        .await?
        .ok_or_else(|| not_found("payment", payment_id))?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    let shares = rows::shares_of_payment(&mut tx, tenant_id, payment_id).await?;
    let charge_ids: Vec<Uuid> = shares.iter().map(|share| share.charge_id).collect();
    let charges = lock_charges(&mut tx, tenant_id, &charge_ids).await?;
    let payment = rows::get_for_update(&mut tx, tenant_id, payment_id)
        .await?
        .ok_or_else(|| not_found("payment", payment_id))?;
    if payment.voided_at.is_some() {
        return Err(not_found("payment", payment_id));
    }
    check_voidable(&mut tx, tenant_id, &payment).await?;
    void_payment_in_tx(&mut tx, tenant_id, &payment, &charges).await?;
    tx.commit().await?;
    Ok(())
}

/// `DELETE /billing/charge/{id}`: voids the charge and its payments (refused when one
/// of them is a card payment or has refunds, or the charge is already void).
pub async fn void_charge(
    store: &Store,
    tenant: &TenantCtx,
    charge_id: Uuid,
) -> Result<(), ServiceError> {
    let tenant_id = tenant.tenant_id;
    let mut tx = store.begin().await?;
    let patient_id = charge_rows::patient_of(&mut tx, tenant_id, charge_id)
        .await?
        .ok_or_else(|| not_found("charge", charge_id))?;
    patients::get_in_tx(&mut tx, tenant_id, patient_id).await?;
    // Every charge the charge's payments touch is locked (in id order): voiding a payment
    // reopens its other charges too.
    let payments = rows::live_payments_of_charge(&mut tx, tenant_id, charge_id).await?;
    let mut charge_ids = vec![charge_id];
    for payment in &payments {
        for share in rows::shares_of_payment(&mut tx, tenant_id, payment.id).await? {
            charge_ids.push(share.charge_id);
        }
    }
    let charges = lock_charges(&mut tx, tenant_id, &charge_ids).await?;
    let charge = charges
        .iter()
        .find(|charge| charge.id == charge_id)
        .cloned()
        .ok_or_else(|| not_found("charge", charge_id))?;
    if charge.status == ChargeStatus::Void.as_str() {
        return Err(refused(format!("charge {charge_id} is already void")));
    }
    for payment in &payments {
        let payment = rows::get_for_update(&mut tx, tenant_id, payment.id)
            .await?
            .ok_or_else(|| not_found("payment", payment.id))?;
        check_voidable(&mut tx, tenant_id, &payment).await?;
        void_payment_in_tx(&mut tx, tenant_id, &payment, &charges).await?;
    }
    // What the charge still owes is closed, not collected.
    let (receivable, owes) = outstanding(&mut tx, tenant_id, charge_id).await?;
    if owes.is_positive() {
        let voids = ensure_account(&mut tx, tenant_id, AccountKind::Voids, tenant_id, "").await?;
        let transfer = Transfer::new(TransferKind::Void, receivable, voids, owes)?;
        post_operation(&mut tx, tenant_id, "charge_voided", &[transfer]).await?;
    }
    let mut charge = charge;
    charge.status = ChargeStatus::Void.as_str().to_string();
    charge_rows::set_voided(&mut tx, &charge, copay_store::now()).await?;
    tx.commit().await?;
    Ok(())
}
