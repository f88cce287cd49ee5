//! Server-wide secrets kept in the database, so every replica on one database signs and
//! verifies tokens with the same key and tokens survive a restart.

use crate::{Store, StoreResult, on_db};

impl Store {
    /// Returns the secret named `name`, storing `candidate` first if none exists yet.
    /// Two replicas racing here both end up with the one that won the insert.
    pub async fn server_secret_or_insert(
        &self,
        name: &str,
        candidate: &[u8],
    ) -> StoreResult<Vec<u8>> {
        on_db!(self, pool => sqlx::query(
            "INSERT INTO server_keys (name, secret, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING")
            .bind(name)
            .bind(candidate)
            .bind(crate::now())
            .execute(pool)
            .await.map(|done| done.rows_affected()))?;
        let secret: Vec<u8> = on_db!(self, pool => sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await)?;
        Ok(secret)
    }
}
