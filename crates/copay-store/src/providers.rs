//! The clinic's providers.

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ProviderRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub external_id: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub address_line_one: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub address_valid: Option<bool>,
    pub firebase_uid: Option<String>,
    pub meta: Option<Json<Value>>,
    /// Role names, in catalogue order.
    pub roles: Json<Vec<String>>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_provider {
    ($($tail:expr),*) => {
        concat!(
            "SELECT id, tenant_id, external_id, first_name, last_name, email, phone_number, address_line_one, \
             address_line_two, city, state, zip_code, country, address_valid, firebase_uid, meta, roles, \
             created_at, updated_at FROM providers ",
            $($tail),*
        )
    };
}

pub async fn insert(tx: &mut Tx, row: &ProviderRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO providers (id, tenant_id, external_id, first_name, last_name, email, phone_number, \
         address_line_one, address_line_two, city, state, zip_code, country, address_valid, firebase_uid, meta, \
         roles, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.external_id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.email)
        .bind(&row.phone_number)
        .bind(&row.address_line_one)
        .bind(&row.address_line_two)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.zip_code)
        .bind(&row.country)
        .bind(row.address_valid)
        .bind(&row.firebase_uid)
        .bind(&row.meta)
        .bind(&row.roles)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes every mutable column of `row` (matched by tenant and id).
pub async fn update(tx: &mut Tx, row: &ProviderRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE providers SET external_id = $1, first_name = $2, last_name = $3, email = $4, phone_number = $5, \
         address_line_one = $6, address_line_two = $7, city = $8, state = $9, zip_code = $10, country = $11, \
         address_valid = $12, firebase_uid = $13, meta = $14, roles = $15, updated_at = $16 \
         WHERE tenant_id = $17 AND id = $18")
        .bind(&row.external_id)
        .bind(&row.first_name)
        .bind(&row.last_name)
        .bind(&row.email)
        .bind(&row.phone_number)
        .bind(&row.address_line_one)
        .bind(&row.address_line_two)
        .bind(&row.city)
        .bind(&row.state)
        .bind(&row.zip_code)
        .bind(&row.country)
        .bind(row.address_valid)
        .bind(&row.firebase_uid)
        .bind(&row.meta)
        .bind(&row.roles)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// The provider by id, locked for update on PostgreSQL (SQLite's write transaction is).
pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ProviderRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ProviderRow,
        select_provider,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// The provider with this external id, locked for update on PostgreSQL.
pub async fn by_external_id_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    external_id: &str,
) -> StoreResult<Option<ProviderRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ProviderRow,
        select_provider,
        "WHERE tenant_id = $1 AND external_id = $2",
        |q| q.bind(tenant_id).bind(external_id)
    ))
}

impl Store {
    pub async fn provider(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<ProviderRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ProviderRow>(
            select_provider!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    pub async fn provider_by_external_id(
        &self,
        tenant_id: Uuid,
        external_id: &str,
    ) -> StoreResult<Option<ProviderRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ProviderRow>(
            select_provider!("WHERE tenant_id = $1 AND external_id = $2"))
            .bind(tenant_id)
            .bind(external_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// At most `limit` providers, newest first by creation time.
    pub async fn list_providers(
        &self,
        tenant_id: Uuid,
        limit: u32,
    ) -> StoreResult<Vec<ProviderRow>> {
        let rows = on_db!(self, pool => sqlx::query_as::<_, ProviderRow>(
            select_provider!("WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"))
            .bind(tenant_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }
}

impl Store {
    /// These providers of the tenant, in no particular order (unknown ids are left out).
    pub async fn providers_by_ids(
        &self,
        tenant_id: Uuid,
        ids: &[Uuid],
    ) -> StoreResult<Vec<ProviderRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_provider!(""));
            qb.push(" WHERE tenant_id = ").push_bind(tenant_id);
            push_in!(qb, "id", ids);
            qb.build_query_as::<ProviderRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
