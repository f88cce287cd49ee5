//! The item catalogue (what a clinic sells; charge lines name items).

use serde_json::Value;
use sqlx::FromRow;
use sqlx::types::Json;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Store, StoreResult, Tx, on_db, on_tx};

#[derive(Debug, Clone, FromRow, PartialEq)]
pub struct ItemRow {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub price: i64,
    pub description: Option<String>,
    pub image: Option<String>,
    pub unit: Option<String>,
    pub meta: Option<Json<Value>>,
    pub archived: bool,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

macro_rules! select_item {
    ($($tail:expr),*) => {
        concat!(
            "SELECT id, tenant_id, name, price, description, image, unit, meta, archived, created_at, updated_at \
             FROM items ",
            $($tail),*
        )
    };
}

pub async fn insert(tx: &mut Tx, row: &ItemRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "INSERT INTO items (id, tenant_id, name, price, description, image, unit, meta, archived, created_at, \
         updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(row.id)
        .bind(row.tenant_id)
        .bind(&row.name)
        .bind(row.price)
        .bind(&row.description)
        .bind(&row.image)
        .bind(&row.unit)
        .bind(&row.meta)
        .bind(row.archived)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

/// Writes every mutable column of `row` (matched by tenant and id).
pub async fn update(tx: &mut Tx, row: &ItemRow) -> StoreResult<()> {
    on_tx!(tx, conn => sqlx::query(
        "UPDATE items SET name = $1, price = $2, description = $3, image = $4, unit = $5, meta = $6, \
         archived = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10")
        .bind(&row.name)
        .bind(row.price)
        .bind(&row.description)
        .bind(&row.image)
        .bind(&row.unit)
        .bind(&row.meta)
        .bind(row.archived)
        .bind(row.updated_at)
        .bind(row.tenant_id)
        .bind(row.id)
        .execute(conn)
        .await
        .map(|done| done.rows_affected()))?;
    Ok(())
}

pub async fn get_for_update(
    tx: &mut Tx,
    tenant_id: Uuid,
    id: Uuid,
) -> StoreResult<Option<ItemRow>> {
    Ok(fetch_optional_locked!(
        tx,
        ItemRow,
        select_item,
        "WHERE tenant_id = $1 AND id = $2",
        |q| q.bind(tenant_id).bind(id)
    ))
}

/// The item, read (not locked) in the caller's transaction: a charge only reads its
/// price, and locking items in request order could deadlock concurrent charges.
pub async fn get_in_tx(tx: &mut Tx, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<ItemRow>> {
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ItemRow>(
        select_item!("WHERE tenant_id = $1 AND id = $2"))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(conn)
        .await)?;
    Ok(row)
}

/// The tenant's items among `ids`, in one statement (those it lacks are left out).
pub async fn get_many_in_tx(
    tx: &mut Tx,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> StoreResult<Vec<ItemRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = on_tx!(tx, conn => {
        let mut qb = sqlx::QueryBuilder::new(select_item!("WHERE tenant_id = "));
        qb.push_bind(tenant_id);
        push_in!(qb, "id", ids);
        qb.build_query_as::<ItemRow>().fetch_all(conn).await
    })?;
    Ok(rows)
}

/// The tenant's items among `ids`, read beside the writer (those it lacks are left out).
pub async fn get_many(store: &Store, tenant_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<ItemRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = on_db!(store, pool => {
        let mut qb = sqlx::QueryBuilder::new(select_item!("WHERE tenant_id = "));
        qb.push_bind(tenant_id);
        push_in!(qb, "id", ids);
        qb.build_query_as::<ItemRow>().fetch_all(pool).await
    })?;
    Ok(rows)
}

/// Narrowing for the catalogue list. Text filters match anywhere, without case.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub name: Option<String>,
    pub description: Option<String>,
    pub min_price: Option<i64>,
    pub archived: bool,
    pub offset: i64,
    pub limit: i64,
}

fn contains(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

macro_rules! push_item_filter {
    ($qb:expr, $tenant:expr, $query:expr) => {{
        let qb = &mut $qb;
        qb.push(" WHERE tenant_id = ")
            .push_bind($tenant)
            .push(" AND archived = ")
            .push_bind($query.archived);
        if let Some(name) = &$query.name {
            qb.push(" AND LOWER(name) LIKE ")
                .push_bind(contains(name))
                .push(" ESCAPE '\\'");
        }
        if let Some(description) = &$query.description {
            qb.push(" AND LOWER(description) LIKE ")
                .push_bind(contains(description))
                .push(" ESCAPE '\\'");
        }
        if let Some(price) = $query.min_price {
            qb.push(" AND price >= ").push_bind(price);
        }
    }};
}

impl Store {
    pub async fn item(&self, tenant_id: Uuid, id: Uuid) -> StoreResult<Option<ItemRow>> {
        let row = on_db!(self, pool => sqlx::query_as::<_, ItemRow>(
            select_item!("WHERE tenant_id = $1 AND id = $2"))
            .bind(tenant_id)
            .bind(id)
            .fetch_optional(pool)
            .await)?;
        Ok(row)
    }

    /// One page of the catalogue, newest first, and how many items match in all.
    pub async fn list_items(
        &self,
        tenant_id: Uuid,
        query: &ItemQuery,
    ) -> StoreResult<(Vec<ItemRow>, i64)> {
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_item!(""));
            push_item_filter!(qb, tenant_id, query);
            qb.push(" ORDER BY id DESC LIMIT ")
                .push_bind(query.limit)
                .push(" OFFSET ")
                .push_bind(query.offset);
            qb.build_query_as::<ItemRow>().fetch_all(pool).await
        })?;
        let total: i64 = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM items");
            push_item_filter!(qb, tenant_id, query);
            qb.build_query_scalar::<i64>().fetch_one(pool).await
        })?;
        Ok((rows, total))
    }
}

impl Store {
    /// These items of the tenant (archived ones too), in no particular order.
    pub async fn items_by_ids(&self, tenant_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<ItemRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = on_db!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(select_item!(""));
            qb.push(" WHERE tenant_id = ").push_bind(tenant_id);
            push_in!(qb, "id", ids);
            qb.build_query_as::<ItemRow>().fetch_all(pool).await
        })?;
        Ok(rows)
    }
}
