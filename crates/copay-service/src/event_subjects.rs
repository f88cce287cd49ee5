//! Reads of the objects events are about, by id, for rendering webhook payloads.

use uuid::Uuid;

use copay_store::Store;

use crate::ServiceError;
use crate::charges::Adjustment;
use crate::refunds::Refund;
use crate::settlement::Payment;

fn gone(entity: &'static str, id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity,
        id: id.to_string(),
    }
}

pub async fn payment(store: &Store, tenant_id: Uuid, id: Uuid) -> Result<Payment, ServiceError> {
    let row = store
        .payment(tenant_id, id)
        .await?
        .ok_or_else(|| gone("payment", id))?;
    Ok(row.into())
}

pub async fn refund(store: &Store, tenant_id: Uuid, id: Uuid) -> Result<Refund, ServiceError> {
    let row = store
        .refund_by_id(tenant_id, id)
        .await?
        .ok_or_else(|| gone("refund", id))?;
    Ok(row.into())
}

pub async fn adjustment(
    store: &Store,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<Adjustment, ServiceError> {
    let row = store
        .adjustment_by_id(tenant_id, id)
        .await?
        .ok_or_else(|| gone("adjustment", id))?;
    crate::charges::adjustment_from_row(row)
}

/// One charge's share of a payment, with the payment it belongs to.
#[derive(Debug, Clone)]
pub struct ChargePaymentShare {
    pub charge_id: Uuid,
    pub amount: i64,
    pub created_at: time::OffsetDateTime,
    pub payment: Payment,
}

pub async fn charge_payment(
    store: &Store,
    tenant_id: Uuid,
    id: Uuid,
) -> Result<ChargePaymentShare, ServiceError> {
    let share = store
        .charge_payment_share(tenant_id, id)
        .await?
        .ok_or_else(|| gone("charge payment", id))?;
    Ok(ChargePaymentShare {
        charge_id: share.charge_id,
        amount: share.amount,
        created_at: share.created_at,
        payment: payment(store, tenant_id, share.payment_id).await?,
    })
}
