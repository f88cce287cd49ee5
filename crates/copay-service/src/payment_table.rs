//! The Gen-2 payment table: filtered, sorted, numbered pages of payments with their
//! patient, refunds and the lines of the charges they paid, the count of all matches, and
//! the providers named as creators (of payments and of refunds).
//!
//! Everything a page shows beyond the payment rows is loaded in one batch per kind (shares,
//! lines, catalogue items, refunds, providers), never per row.

use std::collections::HashMap;

use uuid::Uuid;

use copay_store::Store;
use copay_store::payment_table::PaymentTableRow;

use crate::charges::{self, ChargeLine};
use crate::items::{self, Item};
use crate::providers::{self, Provider};
use crate::settlement::{self, Payment};
use crate::{ServiceError, TenantCtx};

pub use crate::charge_table::MAX_PER_PAGE;
pub use copay_store::payment_table::{PaymentTableQuery, PaymentTableSort};

/// One line of a charge the payment paid.
#[derive(Debug, Clone, PartialEq)]
pub struct PaidLine {
    pub charge_id: Uuid,
    pub line: ChargeLine,
}

/// One row of the payment table.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentTableEntry {
    /// With its refunds, oldest first.
    pub payment: Payment,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub patient_external_id: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    /// The lines of the charges it paid, in the order it paid them.
    pub items: Vec<PaidLine>,
}

#[derive(Debug, Clone)]
pub struct PaymentTablePage {
    pub entries: Vec<PaymentTableEntry>,
    /// Payments matching the filters over all pages.
    pub total: i64,
    /// The providers named by the payments' creators and the refunds' givers, by id.
    pub providers: HashMap<Uuid, Provider>,
    /// The newest payment id the page could include: passed back, it keeps payments
    /// created meanwhile out of later pages.
    pub snapshot: Uuid,
}

/// The provider a payment or refund names, when it is an id copay could hold.
pub fn provider_id(text: Option<&str>) -> Option<Uuid> {
    text.and_then(|id| Uuid::parse_str(id).ok())
}

pub async fn table(
    store: &Store,
    tenant: &TenantCtx,
    mut query: PaymentTableQuery,
) -> Result<PaymentTablePage, ServiceError> {
    if !(1..=MAX_PER_PAGE).contains(&query.limit) {
        return Err(ServiceError::invalid(
            "per_page",
            format!("must be between 1 and {MAX_PER_PAGE}"),
        ));
    }
    if query.offset < 0 {
        return Err(ServiceError::invalid("page", "must be at least 1"));
    }
    // Creators are kept in canonical form when they are UUIDs (see settlement).
    query.creator_id = query.creator_id.map(|id| settlement::canonical_id(&id));
    query.provider_id = query.provider_id.map(|id| settlement::canonical_id(&id));
    // A fresh UUIDv7 sorts after every id created before it (monotonic in this process).
    let snapshot = *query.snapshot.get_or_insert_with(Uuid::now_v7);
    let (rows, total) = store.payment_table(tenant.tenant_id, &query).await?;
    let entries = assemble(store, tenant, rows).await?;
    let mut provider_ids: Vec<Uuid> = entries
        .iter()
        .flat_map(|entry| {
            let refunds = entry
                .payment
                .refunds
                .iter()
                .map(|refund| provider_id(Some(&refund.provider_id)));
            std::iter::once(provider_id(entry.payment.creator_id.as_deref())).chain(refunds)
        })
        .flatten()
        .collect();
    provider_ids.sort();
    provider_ids.dedup();
    let providers = providers::by_ids(store, tenant, &provider_ids)
        .await?
        .into_iter()
        .map(|provider| (provider.id, provider))
        .collect();
    Ok(PaymentTablePage {
        entries,
        total,
        providers,
        snapshot,
    })
}

/// The page's payments with their refunds and the lines of the charges they paid.
async fn assemble(
    store: &Store,
    tenant: &TenantCtx,
    rows: Vec<PaymentTableRow>,
) -> Result<Vec<PaymentTableEntry>, ServiceError> {
    let payment_ids: Vec<Uuid> = rows.iter().map(|row| row.payment.id).collect();
    let refunds = store
        .refunds_of_payments(tenant.tenant_id, &payment_ids)
        .await?;
    let shares = store.payment_shares(tenant.tenant_id, &payment_ids).await?;
    let mut charge_ids: Vec<Uuid> = shares.iter().map(|(_, share)| share.charge_id).collect();
    charge_ids.sort();
    charge_ids.dedup();
    let lines = store.charge_items(tenant.tenant_id, &charge_ids).await?;
    let mut item_ids: Vec<Uuid> = lines.iter().filter_map(|line| line.item_id).collect();
    item_ids.sort();
    item_ids.dedup();
    let catalogue: HashMap<Uuid, Item> = store
        .items_by_ids(tenant.tenant_id, &item_ids)
        .await?
        .into_iter()
        .map(|row| (row.id, items::from_row(row)))
        .collect();
    let mut lines_by_charge: HashMap<Uuid, Vec<ChargeLine>> = HashMap::new();
    for line in &lines {
        lines_by_charge
            .entry(line.charge_id)
            .or_default()
            .push(charges::line_from_row(line, &catalogue)?);
    }
    let mut charges_by_payment: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (payment_id, share) in &shares {
        let paid = charges_by_payment.entry(*payment_id).or_default();
        if !paid.contains(&share.charge_id) {
            paid.push(share.charge_id);
        }
    }
    let mut refunds_by_payment: HashMap<Uuid, Vec<crate::refunds::Refund>> = HashMap::new();
    for refund in refunds {
        refunds_by_payment
            .entry(refund.payment_id)
            .or_default()
            .push(refund.into());
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut payment: Payment = row.payment.into();
            payment.refunds = refunds_by_payment.remove(&payment.id).unwrap_or_default();
            let items = charges_by_payment
                .get(&payment.id)
                .into_iter()
                .flatten()
                .flat_map(|charge_id| {
                    lines_by_charge
                        .get(charge_id)
                        .into_iter()
                        .flatten()
                        .map(|line| PaidLine {
                            charge_id: *charge_id,
                            line: line.clone(),
                        })
                })
                .collect();
            PaymentTableEntry {
                payment,
                first_name: row.first_name,
                last_name: row.last_name,
                patient_external_id: row.patient_external_id,
                email: row.email,
                phone_number: row.phone_number,
                items,
            }
        })
        .collect())
}
