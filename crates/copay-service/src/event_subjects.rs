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
