//! The item catalogue, Gen-1 `/v1/item/...`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::items::{self as service, Item, ItemChanges, NewItem};
use copay_store::items::ItemQuery;

use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::query::QueryParams;
use crate::wire::{FieldError, present};

/// `ItemCreateWithoutId`.
#[derive(Deserialize, ToSchema)]
pub struct ItemCreate {
    pub name: String,
    /// Unit price in cents.
    pub price: i64,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Map<String, Value>>,
}

impl From<ItemCreate> for NewItem {
    fn from(body: ItemCreate) -> Self {
        NewItem {
            name: body.name,
            price: body.price,
            description: body.description,
            image: body.image,
            unit: body.unit,
            meta: body.meta.map(Value::Object),
        }
    }
}

/// `ItemUpdate`: every field optional; `null` clears an optional one.
#[derive(Deserialize, ToSchema, Default)]
pub struct ItemUpdate {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub price: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub unit: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Option<Map<String, Value>>>,
}

/// `ItemSummary`.
#[derive(Serialize, ToSchema)]
pub struct ItemSummary {
    pub id: String,
    pub name: String,
    pub price: i64,
    pub description: Option<String>,
    pub image: Option<String>,
    pub unit: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
}

impl From<Item> for ItemSummary {
    fn from(item: Item) -> Self {
        ItemSummary {
            id: item.id.to_string(),
            name: item.name,
            price: item.price,
            description: item.description,
            image: item.image,
            unit: item.unit,
            meta: item.meta,
        }
    }
}

/// `Page_ItemSummary_`.
#[derive(Serialize, ToSchema)]
pub struct ItemPage {
    pub data: Vec<ItemSummary>,
    /// Items matching the filters over all pages.
    pub total: i64,
}

fn not_null<T>(field: &str, value: Option<Option<T>>) -> Result<Option<T>, DecodaError> {
    match value {
        Some(None) => Err(DecodaError::Validation(
            Location::Body,
            vec![FieldError::at(&[field], "may not be null", "value_error")],
        )),
        Some(Some(value)) => Ok(Some(value)),
        None => Ok(None),
    }
}

fn path_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found("item"))
}

#[utoipa::path(
    post, path = "/v1/item/create", tag = "decoda: items (v1)",
    request_body = ItemCreate,
    responses((status = 200, body = ItemSummary), (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<ItemCreate>,
) -> Result<Json<ItemSummary>, DecodaError> {
    let item = service::create(&state.store, &tenant, body.into()).await?;
    Ok(Json(item.into()))
}

#[utoipa::path(
    get, path = "/v1/item/get/{id}", tag = "decoda: items (v1)",
    params(("id" = String, Path)),
    responses((status = 200, body = ItemSummary), (status = 404, description = "Not in this tenant"))
)]
pub async fn get(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<ItemSummary>, DecodaError> {
    let item = service::get(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(item.into()))
}

#[utoipa::path(
    put, path = "/v1/item/update/{id}", tag = "decoda: items (v1)",
    params(("id" = String, Path)),
    request_body = ItemUpdate,
    responses((status = 200, body = ItemSummary), (status = 404, description = "Not in this tenant"),
              (status = 422, description = "Invalid body"))
)]
pub async fn update(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<ItemUpdate>,
) -> Result<Json<ItemSummary>, DecodaError> {
    let id = path_id(&id)?;
    let changes = ItemChanges {
        name: not_null("name", body.name)?,
        price: not_null("price", body.price)?,
        description: body.description,
        image: body.image,
        unit: body.unit,
        meta: body.meta.map(|meta| meta.map(Value::Object)),
    };
    let item = service::update(&state.store, &tenant, id, changes).await?;
    Ok(Json(item.into()))
}

/// Archives the item (charges that name it keep it); `true` when done.
#[utoipa::path(
    delete, path = "/v1/item/delete/{id}", tag = "decoda: items (v1)",
    params(("id" = String, Path)),
    responses((status = 200, body = bool), (status = 404, description = "Not in this tenant"))
)]
pub async fn delete(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<bool>, DecodaError> {
    service::archive(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(true))
}

/// Newest first, `page` from 1, `per_page` 1–100 (default 10). `name` and `description`
/// match anywhere without case; `price` is a minimum; `archived` (default false) lists the
/// archived items instead. Gen-1 items have no category, so `category` matches none.
#[utoipa::path(
    get, path = "/v1/item/list", tag = "decoda: items (v1)",
    params(("name" = Option<String>, Query), ("category" = Option<String>, Query), ("price" = Option<i64>, Query),
           ("description" = Option<String>, Query), ("archived" = Option<bool>, Query),
           ("page" = Option<u32>, Query), ("per_page" = Option<u32>, Query)),
    responses((status = 200, body = ItemPage), (status = 422, description = "Invalid parameter"))
)]
pub async fn list(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    RawQuery(raw): RawQuery,
) -> Result<Json<ItemPage>, DecodaError> {
    let query = QueryParams::parse(raw.as_deref());
    let bad = |error| DecodaError::Validation(Location::Query, vec![error]);
    let page = query
        .parsed::<u32>("page", "a whole number")
        .map_err(bad)?
        .unwrap_or(1);
    let per_page = query
        .parsed::<u32>("per_page", "a whole number")
        .map_err(bad)?
        .unwrap_or(10);
    let filter = ItemQuery {
        name: query.string("name"),
        description: query.string("description"),
        min_price: query
            .parsed::<i64>("price", "a whole number of cents")
            .map_err(bad)?,
        archived: query.bool("archived").map_err(bad)?.unwrap_or(false),
        ..ItemQuery::default()
    };
    if query.string("category").is_some() {
        return Ok(Json(ItemPage {
            data: Vec::new(),
            total: 0,
        }));
    }
    let (items, total) = service::list(&state.store, &tenant, filter, page, per_page)
        .await
        .map_err(DecodaError::from_query)?;
    Ok(Json(ItemPage {
        data: items.into_iter().map(Into::into).collect(),
        total,
    }))
}
