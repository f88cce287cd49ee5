//! The item catalogue: create, read, update, archive, list.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use copay_store::items::{self as rows, ItemQuery, ItemRow};
use copay_store::{Json, Store};

use crate::{ServiceError, TenantCtx};

#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Uuid,
    pub name: String,
    /// Unit price in cents.
    pub price: i64,
    pub description: Option<String>,
    pub image: Option<String>,
    pub unit: Option<String>,
    pub meta: Option<Value>,
    pub archived: bool,
    pub created_at: OffsetDateTime,
}

/// A new item: a name and a non-negative price are required.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub name: String,
    pub price: i64,
    pub description: Option<String>,
    pub image: Option<String>,
    pub unit: Option<String>,
    pub meta: Option<Value>,
}

/// Changes to an item: `None` leaves a field, `Some(None)` clears an optional one.
#[derive(Debug, Clone, Default)]
pub struct ItemChanges {
    pub name: Option<String>,
    pub price: Option<i64>,
    pub description: Option<Option<String>>,
    pub image: Option<Option<String>>,
    pub unit: Option<Option<String>>,
    pub meta: Option<Option<Value>>,
}

const ENTITY: &str = "item";

pub(crate) fn from_row(row: ItemRow) -> Item {
    Item {
        id: row.id,
        name: row.name,
        price: row.price,
        description: row.description,
        image: row.image,
        unit: row.unit,
        meta: row.meta.map(|json| json.0),
        archived: row.archived,
        created_at: row.created_at,
    }
}

fn not_found(id: Uuid) -> ServiceError {
    ServiceError::NotFound {
        entity: ENTITY,
        id: id.to_string(),
    }
}

pub(crate) fn check_name(name: &str) -> Result<(), ServiceError> {
    if name.trim().is_empty() {
        return Err(ServiceError::invalid("name", "must not be empty"));
    }
    Ok(())
}

pub(crate) fn check_price(price: i64) -> Result<(), ServiceError> {
    if price < 0 {
        return Err(ServiceError::invalid("price", "must not be negative"));
    }
    Ok(())
}

/// The row for a new item, checked; written by the caller's transaction.
pub(crate) fn new_row(tenant_id: Uuid, new: NewItem) -> Result<ItemRow, ServiceError> {
    check_name(&new.name)?;
    check_price(new.price)?;
    let now = copay_store::now();
    Ok(ItemRow {
        id: Uuid::now_v7(),
        tenant_id,
        name: new.name,
        price: new.price,
        description: new.description,
        image: new.image,
        unit: new.unit,
        meta: new.meta.map(Json),
        archived: false,
        created_at: now,
        updated_at: now,
    })
}

pub async fn create(store: &Store, tenant: &TenantCtx, new: NewItem) -> Result<Item, ServiceError> {
    let row = new_row(tenant.tenant_id, new)?;
    let mut tx = store.begin().await?;
    rows::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(from_row(row))
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Item, ServiceError> {
    store
        .item(tenant.tenant_id, id)
        .await?
        .map(from_row)
        .ok_or_else(|| not_found(id))
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    changes: ItemChanges,
) -> Result<Item, ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if let Some(name) = changes.name {
        check_name(&name)?;
        row.name = name;
    }
    if let Some(price) = changes.price {
        check_price(price)?;
        row.price = price;
    }
    if let Some(description) = changes.description {
        row.description = description;
    }
    if let Some(image) = changes.image {
        row.image = image;
    }
    if let Some(unit) = changes.unit {
        row.unit = unit;
    }
    if let Some(meta) = changes.meta {
        row.meta = meta.map(Json);
    }
    row.updated_at = copay_store::now();
    rows::update(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(from_row(row))
}

/// Archives the item: it leaves the catalogue list (unless archived items are asked
/// for) and stays readable, since past charges name it. Archiving twice is harmless.
pub async fn archive(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<(), ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    if !row.archived {
        row.archived = true;
        row.updated_at = copay_store::now();
        rows::update(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The largest catalogue page.
pub const MAX_ITEM_PAGE: u32 = 100;

/// Page `page` (from 1) of `per_page` items, newest first, and the count of all matches.
pub async fn list(
    store: &Store,
    tenant: &TenantCtx,
    filter: ItemQuery,
    page: u32,
    per_page: u32,
) -> Result<(Vec<Item>, i64), ServiceError> {
    if page == 0 {
        return Err(ServiceError::invalid("page", "must be at least 1"));
    }
    if per_page == 0 || per_page > MAX_ITEM_PAGE {
        return Err(ServiceError::invalid(
            "per_page",
            format!("must be between 1 and {MAX_ITEM_PAGE}"),
        ));
    }
    let query = ItemQuery {
        offset: i64::from(page - 1) * i64::from(per_page),
        limit: i64::from(per_page),
        ..filter
    };
    let (rows, total) = store.list_items(tenant.tenant_id, &query).await?;
    Ok((rows.into_iter().map(from_row).collect(), total))
}
