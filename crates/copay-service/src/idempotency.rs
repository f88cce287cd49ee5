//! Idempotency keys (Stripe semantics), per tenant, kept at least 24 hours.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

pub use copay_store::idempotency::{Claim, SavedResponse};
use copay_store::{Store, StoreError};

/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);

/// Keys are client-chosen strings; bound them so they stay cheap to index.
pub const MAX_KEY_LEN: usize = 255;

/// Fingerprint of what makes two requests "the same": method, path with query, body.
pub fn request_fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path_and_query.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}

pub async fn claim(
    store: &Store,
    tenant_id: Uuid,
    key: &str,
    fingerprint: &[u8],
) -> Result<Claim, StoreError> {
    store
        .claim_idempotency_key(tenant_id, key, fingerprint)
        .await
}

pub async fn complete(
    store: &Store,
    tenant_id: Uuid,
    key: &str,
    response: &SavedResponse,
) -> Result<(), StoreError> {
    store
        .complete_idempotency_key(tenant_id, key, response)
        .await
}

pub async fn release(store: &Store, tenant_id: Uuid, key: &str) -> Result<(), StoreError> {
    store.release_idempotency_key(tenant_id, key).await
}

/// Forgets keys older than [`RETENTION`].
pub async fn purge_expired(store: &Store) -> Result<u64, StoreError> {
    store
        .purge_idempotency_keys(OffsetDateTime::now_utc() - RETENTION)
        .await
}
