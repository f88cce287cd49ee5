//! Editing what a charge says about itself — its comment, description and external
//! date. No money moves: amounts change only through adjustments, tips and payments.

use serde_json::{Map, Value};
use time::OffsetDateTime;
use uuid::Uuid;

use copay_store::charges as rows;
use copay_store::{Json, Store};

use crate::{ServiceError, TenantCtx};

/// The charge attribute a comment is kept under (where Gen-2 charge input puts it).
pub const COMMENT: &str = "comment";

/// Changes to a charge's details: `None` keeps a field, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct ChargeDetailChanges {
    pub description: Option<Option<String>>,
    pub external_created_date: Option<Option<OffsetDateTime>>,
    pub comment: Option<Option<String>>,
}

/// Replaces the charge's comment.
pub async fn update_comment(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    comment: String,
) -> Result<(), ServiceError> {
    let changes = ChargeDetailChanges {
        comment: Some(Some(comment)),
        ..ChargeDetailChanges::default()
    };
    update_details(store, tenant, id, changes).await
}

/// Applies the changes to the tenant's charge, holding its row.
pub async fn update_details(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    changes: ChargeDetailChanges,
) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let mut charge = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "charge",
            id: id.to_string(),
        })?;
    if let Some(description) = changes.description {
        charge.description = description;
    }
    if let Some(date) = changes.external_created_date {
        charge.external_created_date = date;
    }
    if let Some(comment) = changes.comment {
        let mut attributes = match std::mem::take(&mut charge.attributes.0) {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        match comment {
            Some(comment) => attributes.insert(COMMENT.to_string(), Value::String(comment)),
            None => attributes.remove(COMMENT),
        };
        charge.attributes = Json(Value::Object(attributes));
    }
    charge.updated_at = copay_store::now();
    rows::set_details(&mut tx, &charge).await?;
    tx.commit().await?;
    Ok(())
}
