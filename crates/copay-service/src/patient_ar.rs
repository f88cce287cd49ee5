//! Patient AR (Candid's patient AR v1) and the money on claims as encounters show it: per
//! service line and per claim, the sums of live payments, refunds and write-offs, and the
//! patient balance they leave (`copay_domain::claim_balance`).

use std::collections::HashMap;

use copay_domain::MoneyError;
use copay_domain::allocation::EntryKind;
use copay_domain::claim_balance::{Bucket, ClaimMoney, TargetMoney};
use copay_store::Store;
use copay_store::claim_ar::ArClaim;
use copay_store::encounters::ServiceLineRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{ServiceError, TenantCtx};

fn out_of_range(_: MoneyError) -> ServiceError {
    ServiceError::Unprocessable("the amounts on the claim are out of range".into())
}

/// The money on each of these claims, from one grouped query.
pub async fn claim_money(
    store: &Store,
    tenant_id: Uuid,
    claim_ids: &[Uuid],
) -> Result<HashMap<Uuid, ClaimMoney>, ServiceError> {
    let mut claims: HashMap<Uuid, ClaimMoney> = HashMap::new();
    for sum in store.claim_money_sums(tenant_id, claim_ids).await? {
        let bucket = Bucket::parse(&sum.bucket).ok_or_else(|| {
            copay_store::StoreError::Corrupt(format!(
                "claim {} has money of unknown kind {:?}",
                sum.claim_id, sum.bucket
            ))
        })?;
        claims
            .entry(sum.claim_id)
            .or_default()
            .add(sum.service_line_id, bucket, sum.cents)
            .map_err(out_of_range)?;
    }
    Ok(claims)
}

/// One claim of the inventory.
#[derive(Debug, Clone)]
pub struct InventoryRecord {
    pub claim: ArClaim,
    /// When money on the claim last changed (its creation if never).
    pub timestamp: OffsetDateTime,
    /// The patient owes something on the claim.
    pub invoiceable: bool,
}

#[derive(Debug, Clone)]
pub struct InventoryPage {
    pub records: Vec<InventoryRecord>,
    pub next_page_token: Option<String>,
}

const INVENTORY_TAG: &str = "ar1";

fn from_micros(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// Claims whose money changed at or after `since`, oldest change first, each with its
/// current invoiceable state.
pub async fn inventory(
    store: &Store,
    tenant: &TenantCtx,
    since: Option<OffsetDateTime>,
    limit: u32,
    page_token: Option<&str>,
) -> Result<InventoryPage, ServiceError> {
    crate::paging::check_limit(limit)?;
    let after = page_token
        .map(|token| {
            let bad =
                || ServiceError::invalid("page_token", "is not a page token of this inventory");
            let payload = crate::paging::decode(INVENTORY_TAG, token).ok_or_else(bad)?;
            let (at, id) = payload.split_once('|').ok_or_else(bad)?;
            Ok::<_, ServiceError>((
                at.parse::<i64>().map_err(|_| bad())?,
                Uuid::parse_str(id).map_err(|_| bad())?,
            ))
        })
        .transpose()?;
    let since_us = since.map(copay_store::claim_ar::unix_micros);
    let mut claims = store
        .ar_inventory(tenant.tenant_id, since_us, after, i64::from(limit) + 1)
        .await?;
    let next_page_token = crate::paging::last_before_next_page(&mut claims, limit).map(|claim| {
        crate::paging::encode(
            INVENTORY_TAG,
            &format!("{}|{}", claim.ar_changed_us, claim.claim_id),
        )
    });
    let ids: Vec<Uuid> = claims.iter().map(|claim| claim.claim_id).collect();
    let money = claim_money(store, tenant.tenant_id, &ids).await?;
    let mut records = Vec::with_capacity(claims.len());
    for claim in claims {
        let balance = money
            .get(&claim.claim_id)
            .map(ClaimMoney::patient_balance)
            .transpose()
            .map_err(out_of_range)?
            .unwrap_or(0);
        records.push(InventoryRecord {
            timestamp: from_micros(claim.ar_changed_us),
            invoiceable: balance > 0,
            claim,
        });
    }
    Ok(InventoryPage {
        records,
        next_page_token,
    })
}

/// What one patient payment (positive) or refund (negative) put on a line or the claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientItem {
    pub source_id: Uuid,
    pub amount_cents: i64,
}

#[derive(Debug, Clone)]
pub struct LineItemization {
    pub row: ServiceLineRow,
    pub money: TargetMoney,
    pub patient_items: Vec<PatientItem>,
}

#[derive(Debug, Clone)]
pub struct Itemization {
    pub claim: ArClaim,
    pub lines: Vec<LineItemization>,
    pub claim_level: TargetMoney,
    pub claim_level_items: Vec<PatientItem>,
    pub patient_balance_cents: i64,
}

/// The patient-side itemization of one claim.
pub async fn itemize(
    store: &Store,
    tenant: &TenantCtx,
    claim_id: Uuid,
) -> Result<Itemization, ServiceError> {
    let tenant_id = tenant.tenant_id;
    let claim =
        store
            .ar_claim(tenant_id, claim_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound {
                entity: "claim",
                id: claim_id.to_string(),
            })?;
    let money = claim_money(store, tenant_id, &[claim_id])
        .await?
        .remove(&claim_id)
        .unwrap_or_default();
    let mut items: HashMap<Option<Uuid>, Vec<PatientItem>> = HashMap::new();
    for item in store.claim_patient_items(tenant_id, claim_id).await? {
        let amount_cents = if item.entry_kind == EntryKind::PatientRefund.as_str() {
            item.cents.checked_neg().ok_or(MoneyError::Overflow)
        } else {
            Ok(item.cents)
        }
        .map_err(out_of_range)?;
        items
            .entry(item.service_line_id)
            .or_default()
            .push(PatientItem {
                source_id: item.entry_id,
                amount_cents,
            });
    }
    let lines = store
        .service_lines_of(tenant_id, &[claim.encounter_id])
        .await?
        .into_iter()
        .filter(|row| row.claim_id == claim_id)
        .map(|row| LineItemization {
            money: money.line(row.id),
            patient_items: items.remove(&Some(row.id)).unwrap_or_default(),
            row,
        })
        .collect();
    Ok(Itemization {
        patient_balance_cents: money.patient_balance().map_err(out_of_range)?,
        claim_level: money.claim_level,
        claim_level_items: items.remove(&None).unwrap_or_default(),
        lines,
        claim,
    })
}
