//! Reading the money on claims back: the sums per service line and per claim that
//! encounters and patient AR show, the patient-side entries itemization lists, and the
//! claims patient AR's inventory pages through.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, on_db};

/// `at` in Unix microseconds: what timestamp columns named `*_us` hold.
pub fn unix_micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// One sum of money on a claim: on one of its lines, or on the claim itself (no line).
/// `bucket` is `charge`, an entry kind (`insurance_payment`, …) or `write_off:<SIDE>`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MoneySum {
    pub claim_id: Uuid,
    pub service_line_id: Option<Uuid>,
    pub bucket: String,
    pub cents: i64,
}

/// What one patient payment or refund put on a line or a claim.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PatientItem {
    pub service_line_id: Option<Uuid>,
    pub entry_id: Uuid,
    pub entry_kind: String,
    pub cents: i64,
}

/// A claim as patient AR's inventory lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ArClaim {
    pub claim_id: Uuid,
    pub encounter_id: Uuid,
    pub patient_external_id: String,
    pub ar_changed_us: i64,
}

const SELECT_AR_CLAIM: &str = "SELECT c.id AS claim_id, c.encounter_id, e.patient_external_id, \
     COALESCE(c.ar_changed_us, 0) AS ar_changed_us \
     FROM claims c JOIN encounters e ON e.id = c.encounter_id AND e.tenant_id = c.tenant_id \
     WHERE c.tenant_id = ";

impl Store {
    /// Every sum of money on these claims, in one statement: the lines' charges, live
    /// allocations to lines and to the claims by entry kind, and write-offs (net of
    /// reverts) on lines and claims by account type.
    pub async fn claim_money_sums(
        &self,
        tenant_id: Uuid,
        claim_ids: &[Uuid],
    ) -> StoreResult<Vec<MoneySum>> {
        if claim_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(
                "SELECT claim_id, id AS service_line_id, 'charge' AS bucket, \
                 CAST(charge_amount_cents AS BIGINT) AS cents FROM service_lines WHERE tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "claim_id", claim_ids);
            query.push(
                " UNION ALL SELECT claim_id, service_line_id, entry_kind AS bucket, \
                 CAST(SUM(amount_cents) AS BIGINT) AS cents FROM claim_money_allocations \
                 WHERE deleted_at IS NULL AND target_kind IN ('service_line', 'claim') AND tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "claim_id", claim_ids);
            query.push(" GROUP BY claim_id, service_line_id, entry_kind");
            query.push(
                " UNION ALL SELECT claim_id, service_line_id, 'write_off:' || account_type AS bucket, \
                 CAST(SUM(amount_cents) AS BIGINT) AS cents FROM claim_write_offs \
                 WHERE target_kind IN ('service_line', 'claim') AND tenant_id = ",
            );
            query.push_bind(tenant_id);
            push_in!(query, "claim_id", claim_ids);
            query.push(" GROUP BY claim_id, service_line_id, account_type");
            query.build_query_as::<MoneySum>().fetch_all(pool).await
        })?;
        Ok(rows)
    }

    /// Per patient payment or refund, what it put on this claim's lines and on the claim
    /// itself (live allocations), oldest entry first.
    pub async fn claim_patient_items(
        &self,
        tenant_id: Uuid,
        claim_id: Uuid,
    ) -> StoreResult<Vec<PatientItem>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, PatientItem>(
            "SELECT service_line_id, entry_id, entry_kind, CAST(SUM(amount_cents) AS BIGINT) AS cents \
             FROM claim_money_allocations WHERE tenant_id = $1 AND claim_id = $2 AND deleted_at IS NULL \
             AND target_kind IN ('service_line', 'claim') AND entry_kind IN ('patient_payment', 'patient_refund') \
             GROUP BY service_line_id, entry_id, entry_kind ORDER BY entry_id")
            .bind(tenant_id)
            .bind(claim_id)
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    pub async fn ar_claim(&self, tenant_id: Uuid, claim_id: Uuid) -> StoreResult<Option<ArClaim>> {
        let row = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SELECT_AR_CLAIM);
            query.push_bind(tenant_id).push(" AND c.id = ").push_bind(claim_id);
            query.build_query_as::<ArClaim>().fetch_optional(pool).await
        })?;
        Ok(row)
    }

    /// Claims whose money last changed at or after `since_us`, in order of that change
    /// (then id), after the keyset `after`. At most `limit` rows.
    pub async fn ar_inventory(
        &self,
        tenant_id: Uuid,
        since_us: Option<i64>,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> StoreResult<Vec<ArClaim>> {
        let rows = on_db!(self, pool => {
            let mut query = sqlx::QueryBuilder::new(SELECT_AR_CLAIM);
            query.push_bind(tenant_id);
            if let Some(since) = since_us {
                query.push(" AND c.ar_changed_us >= ").push_bind(since);
            }
            if let Some((at, id)) = after {
                query.push(" AND (c.ar_changed_us > ").push_bind(at);
                query.push(" OR (c.ar_changed_us = ").push_bind(at);
                query.push(" AND c.id > ").push_bind(id).push("))");
            }
            query.push(" ORDER BY c.ar_changed_us, c.id LIMIT ").push_bind(limit);
            query.build_query_as::<ArClaim>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
