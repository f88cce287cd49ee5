//! Idempotency keys: a small state machine per (tenant, key).
//!
//! A request claims its key before it runs; the finished response is saved under the
//! key; a later request with the same key either replays that response (same body),
//! is refused (different body) or is told the first is still running.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, on_db};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: run the request, then save or release.
    Claimed,
    /// The key was used with this same request: replay its response.
    Completed(SavedResponse),
    /// The key was used with a different request.
    Mismatch,
    /// The first request with this key has not finished.
    InProgress,
}

type ClaimRow = (Vec<u8>, Option<i32>, Option<String>, Option<Vec<u8>>);

impl Store {
    pub async fn claim_idempotency_key(
        &self,
        tenant_id: Uuid,
        key: &str,
        request_hash: &[u8],
    ) -> StoreResult<Claim> {
        let inserted = on_db!(self, pool => sqlx::query(
            "INSERT INTO idempotency_keys (tenant_id, idempotency_key, request_hash, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, idempotency_key) DO NOTHING")
            .bind(tenant_id)
            .bind(key)
            .bind(request_hash)
            .bind(crate::now())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        if inserted == 1 {
            return Ok(Claim::Claimed);
        }
        let row: Option<ClaimRow> = on_db!(self, pool => sqlx::query_as(
            "SELECT request_hash, response_status, response_content_type, response_body \
             FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = $2")
            .bind(tenant_id)
            .bind(key)
            .fetch_optional(pool)
            .await)?;
        Ok(match row {
            // Released between our insert and our read: the caller may simply retry.
            None => Claim::InProgress,
            Some((hash, _, _, _)) if hash != request_hash => Claim::Mismatch,
            Some((_, Some(status), content_type, body)) => Claim::Completed(SavedResponse {
                status: u16::try_from(status).unwrap_or(500),
                content_type,
                body: body.unwrap_or_default(),
            }),
            Some((_, None, _, _)) => Claim::InProgress,
        })
    }

    pub async fn complete_idempotency_key(
        &self,
        tenant_id: Uuid,
        key: &str,
        response: &SavedResponse,
    ) -> StoreResult<()> {
        on_db!(self, pool => sqlx::query(
            "UPDATE idempotency_keys SET response_status = $1, response_content_type = $2, response_body = $3 \
             WHERE tenant_id = $4 AND idempotency_key = $5")
            .bind(i32::from(response.status))
            .bind(response.content_type.as_deref())
            .bind(&response.body)
            .bind(tenant_id)
            .bind(key)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Forgets a claimed key whose request failed without effect, so it can be retried.
    pub async fn release_idempotency_key(&self, tenant_id: Uuid, key: &str) -> StoreResult<()> {
        on_db!(self, pool => sqlx::query(
            "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND idempotency_key = $2 AND response_status IS NULL")
            .bind(tenant_id)
            .bind(key)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(())
    }

    /// Deletes keys created before `cutoff`; returns how many.
    pub async fn purge_idempotency_keys(&self, cutoff: OffsetDateTime) -> StoreResult<u64> {
        let done = on_db!(self, pool => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(cutoff)
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        Ok(done)
    }
}
