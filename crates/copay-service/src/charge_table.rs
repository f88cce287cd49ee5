//! The Gen-2 charge table: filtered, sorted, numbered pages of charges with their lines,
//! adjustments and payments, the count of all matches, and the providers the charges name
//! as their creators.

use std::collections::HashMap;

use serde_json::Value;
use uuid::Uuid;

use copay_store::Store;

use crate::charges::{self, Charge};
use crate::providers::{self, Provider};
use crate::{ServiceError, TenantCtx};

pub use copay_store::charge_table::{AmountRange, ChargeTableQuery, ChargeTableSort, TimeRange};

/// The largest page of the charge table.
pub const MAX_PER_PAGE: i64 = 100;

#[derive(Debug, Clone)]
pub struct ChargeTablePage {
    pub charges: Vec<Charge>,
    /// Charges matching the filters over all pages.
    pub total: i64,
    /// The providers named by the charges' `creator_id`, by id.
    pub creators: HashMap<Uuid, Provider>,
    /// The newest charge id the page could include: passed back, it keeps charges created
    /// meanwhile out of later pages.
    pub snapshot: Uuid,
}

/// The provider id a charge names as its creator, when it is one copay could hold.
pub fn creator_id(charge: &Charge) -> Option<Uuid> {
    charge
        .attributes
        .get("creator_id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
}

pub async fn table(
    store: &Store,
    tenant: &TenantCtx,
    mut query: ChargeTableQuery,
) -> Result<ChargeTablePage, ServiceError> {
    if !(1..=MAX_PER_PAGE).contains(&query.limit) {
        return Err(ServiceError::invalid(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    if query.offset < 0 {
        return Err(ServiceError::invalid("page", "must be at least 1"));
    }
    // A fresh UUIDv7 sorts after every id created before it (monotonic in this process).
    let snapshot = *query.snapshot.get_or_insert_with(Uuid::now_v7);
    let (rows, total) = store.charge_table(tenant.tenant_id, &query).await?;
    let charges = charges::assemble(store, tenant, rows, true).await?;
    let mut creator_ids: Vec<Uuid> = charges.iter().filter_map(creator_id).collect();
    creator_ids.sort();
    creator_ids.dedup();
    let creators = providers::by_ids(store, tenant, &creator_ids)
        .await?
        .into_iter()
        .map(|provider| (provider.id, provider))
        .collect();
    Ok(ChargeTablePage {
        charges,
        total,
        creators,
        snapshot,
    })
}
