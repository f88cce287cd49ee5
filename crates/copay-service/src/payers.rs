//! TEMPORARY interface stub; replaced by the payer directory branch.
use copay_store::Tx;
use uuid::Uuid;

use crate::ServiceError;

#[derive(Debug, Clone)]
pub enum PayerIdentifier {
    Info {
        payer_id: String,
        payer_name: String,
    },
    Uuid(Uuid),
}

pub struct PayerRow {
    pub payer_uuid: Uuid,
}

pub async fn resolve_in_tx(
    _tx: &mut Tx,
    identifier: &PayerIdentifier,
) -> Result<PayerRow, ServiceError> {
    Err(ServiceError::NotFound {
        entity: "payer",
        id: format!("{identifier:?}"),
    })
}
