//! Tenants and their credentials. Secrets are never stored, only their hashes.

use sqlx::FromRow;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow)]
pub struct TenantRow {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub created_at: OffsetDateTime,
}

pub struct NewCredential {
    pub id: Uuid,
    pub api_key_hash: Vec<u8>,
    pub client_id: String,
    pub client_secret_hash: Vec<u8>,
}

/// A live credential and the tenant it belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct CredentialRow {
    pub credential_id: Uuid,
    pub tenant_id: Uuid,
    pub tenant_slug: String,
    pub client_secret_hash: Vec<u8>,
}

macro_rules! credential_query {
    ($condition:literal) => {
        concat!(
            "SELECT c.id AS credential_id, t.id AS tenant_id, t.slug AS tenant_slug, c.client_secret_hash \
             FROM credentials c JOIN tenants t ON t.id = c.tenant_id WHERE c.revoked_at IS NULL AND ",
            $condition
        )
    };
}

pub async fn insert_tenant(tx: &mut Tx, tenant: &TenantRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query("INSERT INTO tenants (id, slug, name, created_at) VALUES ($1, $2, $3, $4)")
        .bind(tenant.id)
        .bind(&tenant.slug)
        .bind(&tenant.name)
        .bind(tenant.created_at)
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn insert_credential(
    tx: &mut Tx,
    tenant_id: Uuid,
    credential: &NewCredential,
) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO credentials (id, tenant_id, api_key_hash, client_id, client_secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(credential.id)
        .bind(tenant_id)
        .bind(&credential.api_key_hash)
        .bind(&credential.client_id)
        .bind(&credential.client_secret_hash)
        .bind(crate::now())
        .execute(conn)
        .await.map(|done| done.rows_affected()))?;
    Ok(())
}

impl Store {
    pub async fn list_tenants(&self) -> StoreResult<Vec<TenantRow>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, TenantRow>(
            "SELECT id, slug, name, created_at FROM tenants ORDER BY slug")
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    pub async fn tenant_by_id(&self, id: Uuid) -> StoreResult<Option<TenantRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, TenantRow>(
            "SELECT id, slug, name, created_at FROM tenants WHERE id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn credential_by_api_key_hash(
        &self,
        hash: &[u8],
    ) -> StoreResult<Option<CredentialRow>> {
        let sql = credential_query!("c.api_key_hash = $1");
        let row = on_db!(self, pool => sqlx::query_as::<_, CredentialRow>(sql)
            .bind(hash)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn credential_by_client_id(
        &self,
        client_id: &str,
    ) -> StoreResult<Option<CredentialRow>> {
        let sql = credential_query!("c.client_id = $1");
        let row = on_db!(self, pool => sqlx::query_as::<_, CredentialRow>(sql)
            .bind(client_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }
}
