//! Encounters made by successful claim creations, read with their claims, service lines
//! and the lines' money. Everything for one page comes from a fixed number of queries
//! (lines' insurance balances, and one grouped query of the claims' money), whatever the
//! number of lines.

use std::collections::HashMap;

use copay_domain::ledger::AccountKind;
use copay_store::Store;
use copay_store::encounters::{ClaimRow, EncounterRow, ServiceLineRow};
use uuid::Uuid;

use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone)]
pub struct ServiceLine {
    pub row: ServiceLineRow,
    /// The line's insurance balance account: the charge (unless self-pay) less insurance
    /// payments and write-offs, plus insurance refunds.
    pub insurance_balance_cents: i64,
    /// DESIGN.md §5: the line's whole open balance, what the patient owes once the payer
    /// is done (`copay_domain::claim_balance`).
    pub patient_balance_cents: i64,
    /// Insurance payments net of insurance refunds allocated to the line.
    pub paid_amount_cents: i64,
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub row: ClaimRow,
    pub service_lines: Vec<ServiceLine>,
}

#[derive(Debug, Clone)]
pub struct Encounter {
    pub row: EncounterRow,
    pub claims: Vec<Claim>,
}

#[derive(Debug, Clone)]
pub struct EncounterPage {
    pub items: Vec<Encounter>,
    pub next_page_token: Option<String>,
}

async fn assemble(
    store: &Store,
    tenant_id: Uuid,
    rows: Vec<EncounterRow>,
) -> Result<Vec<Encounter>, ServiceError> {
    let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
    let claims = store.claims_of(tenant_id, &ids).await?;
    let lines = store.service_lines_of(tenant_id, &ids).await?;
    let line_ids: Vec<Uuid> = lines.iter().map(|line| line.id).collect();
    let insurance: HashMap<Uuid, i64> = store
        .owner_balances(
            tenant_id,
            AccountKind::ServiceLineInsuranceBalance.as_str(),
            &line_ids,
        )
        .await?
        .into_iter()
        .collect();
    let claim_ids: Vec<Uuid> = claims.iter().map(|claim| claim.id).collect();
    let money = crate::patient_ar::claim_money(store, tenant_id, &claim_ids).await?;
    let out_of_range =
        |_| ServiceError::Unprocessable("the amounts on the claim are out of range".into());
    let mut lines_by_claim: HashMap<Uuid, Vec<ServiceLine>> = HashMap::new();
    for line in lines {
        let sums = money
            .get(&line.claim_id)
            .map(|claim| claim.line(line.id))
            .unwrap_or_default();
        lines_by_claim
            .entry(line.claim_id)
            .or_default()
            .push(ServiceLine {
                insurance_balance_cents: insurance.get(&line.id).copied().unwrap_or(0),
                patient_balance_cents: sums.patient_balance().map_err(out_of_range)?,
                paid_amount_cents: sums.insurance_paid_net().map_err(out_of_range)?,
                row: line,
            });
    }
    let mut claims_by_encounter: HashMap<Uuid, Vec<Claim>> = HashMap::new();
    for claim in claims {
        claims_by_encounter
            .entry(claim.encounter_id)
            .or_default()
            .push(Claim {
                service_lines: lines_by_claim.remove(&claim.id).unwrap_or_default(),
                row: claim,
            });
    }
    Ok(rows
        .into_iter()
        .map(|row| Encounter {
            claims: claims_by_encounter.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Encounter, ServiceError> {
    let not_found = || ServiceError::NotFound {
        entity: "encounter",
        id: id.to_string(),
    };
    let row = store
        .encounter(tenant.tenant_id, id)
        .await?
        .ok_or_else(not_found)?;
    assemble(store, tenant.tenant_id, vec![row])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Encounters newest first, `limit` per page (1–1000).
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    limit: u32,
    page_token: Option<&str>,
) -> Result<EncounterPage, ServiceError> {
    crate::paging::check_limit(limit)?;
    let before = crate::paging::decode_id("enc1", page_token)?;
    let mut rows = store
        .encounters_page(tenant.tenant_id, before, i64::from(limit) + 1)
        .await?;
    let next_page_token = crate::paging::last_before_next_page(&mut rows, limit)
        .map(|row| crate::paging::encode("enc1", &row.id.to_string()));
    Ok(EncounterPage {
        items: assemble(store, tenant.tenant_id, rows).await?,
        next_page_token,
    })
}
