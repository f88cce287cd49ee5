//! Providers and roles in Decoda's Gen-1 API: `/v1/provider/...` and `/v1/role/list`.
//! A provider is shown as Decoda's `TypedUserSummary` (`type` is always `provider`), its
//! roles as `RoleSummary` objects naming one role of copay's fixed catalogue.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

use copay_service::providers::{self as service, NewProvider, Provider, ProviderChanges, Role};

use super::error::{DecodaError, Location};
use super::extract::{DecodaJson, DecodaTenant};
use crate::AppState;
use crate::wire::{FieldError, PathSegment, format_timestamp, present};

/// A provider body, create (`ProviderCreate`: `firstName` and `roles` required) or update
/// (`ProviderUpdate`: all optional), camelCase with snake_case aliases. Absent leaves a
/// field alone; `null` clears it.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProviderBody {
    /// Create only: a UUID of the caller's choosing.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub id: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "first_name")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "last_name")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "phone_number")]
    #[schema(value_type = Option<String>)]
    pub phone_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "address_line_two")]
    #[schema(value_type = Option<String>)]
    pub address_line_two: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub state: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "zip_code")]
    #[schema(value_type = Option<String>)]
    pub zip_code: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", alias = "address_valid")]
    #[schema(value_type = Option<bool>)]
    pub address_valid: Option<Option<bool>>,
    #[serde(default, deserialize_with = "present", alias = "external_user_id")]
    #[schema(value_type = Option<String>)]
    pub external_user_id: Option<Option<String>>,
    /// Create only; kept, never shown (Decoda's summary has no such field).
    #[serde(default, deserialize_with = "present", alias = "firebase_uid")]
    #[schema(value_type = Option<String>)]
    pub firebase_uid: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Option<Map<String, Value>>>,
    /// Role names from `GET /v1/role/list` (compared without case). On update `null`
    /// removes every role.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Vec<String>>)]
    pub roles: Option<Option<Vec<String>>>,
    /// `provider` if given: a provider is always one.
    #[serde(
        default,
        rename = "type",
        alias = "user_type",
        deserialize_with = "present"
    )]
    #[schema(value_type = Option<String>)]
    pub user_type: Option<Option<String>>,
    /// Accepted and not stored: copay keeps its own timestamps.
    #[serde(default, alias = "updated_date")]
    #[schema(value_type = Option<String>)]
    pub updated_date: Option<Value>,
}

/// Decoda's `TypedUserSummary` for a provider.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypedUserSummary {
    pub id: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone_number: Option<String>,
    pub external_user_id: Option<String>,
    pub address: Option<String>,
    pub address_line_two: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip_code: Option<String>,
    pub country: Option<String>,
    pub address_valid: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub meta: Option<Value>,
    pub created_date: String,
    /// Always `provider`.
    #[serde(rename = "type")]
    pub user_type: String,
    pub roles: Vec<RoleSummaryV1>,
}

/// Gen-1 `RoleSummary`: a role's name.
#[derive(Serialize, ToSchema)]
pub struct RoleSummaryV1 {
    pub name: String,
}

const PROVIDER_TYPE: &str = "provider";

impl From<Role> for RoleSummaryV1 {
    fn from(role: Role) -> Self {
        RoleSummaryV1 {
            name: role.name().to_string(),
        }
    }
}

impl From<Provider> for TypedUserSummary {
    fn from(provider: Provider) -> Self {
        TypedUserSummary {
            id: provider.id.to_string(),
            first_name: provider.first_name,
            last_name: provider.last_name,
            email: provider.email,
            phone_number: provider.phone_number,
            external_user_id: provider.external_id,
            address: provider.address_line_one,
            address_line_two: provider.address_line_two,
            city: provider.city,
            state: provider.state,
            zip_code: provider.zip_code,
            country: provider.country,
            address_valid: provider.address_valid,
            meta: provider.meta,
            created_date: format_timestamp(provider.created_at),
            user_type: PROVIDER_TYPE.to_string(),
            roles: provider.roles.into_iter().map(Into::into).collect(),
        }
    }
}

/// Role names as roles; an unknown name is a 422 at its index in `roles`.
fn parse_roles(names: &[String]) -> Result<Vec<Role>, DecodaError> {
    names
        .iter()
        .enumerate()
        .map(|(index, name)| {
            Role::from_name(name).ok_or_else(|| {
                let known: Vec<&str> = service::roles().iter().map(|role| role.name()).collect();
                DecodaError::Validation(
                    Location::Body,
                    vec![FieldError {
                        path: vec![PathSegment::Key("roles".into()), PathSegment::Index(index)],
                        message: format!(
                            "{name:?} is not a role; roles are {} (GET /v1/role/list)",
                            known.join(", ")
                        ),
                        kind: "enum",
                    }],
                )
            })
        })
        .collect()
}

/// The body as provider changes. `firstName` and `roles` are left to the caller, which
/// knows whether it creates or updates.
fn details(body: &ProviderBody) -> Result<ProviderChanges, DecodaError> {
    if let Some(Some(user_type)) = &body.user_type
        && !user_type.eq_ignore_ascii_case(PROVIDER_TYPE)
    {
        return Err(DecodaError::body(
            "type",
            "a provider's type is always provider",
            "value_error",
        ));
    }
    if let Some(Some(external_id)) = &body.external_user_id
        && external_id.trim().is_empty()
    {
        return Err(DecodaError::body(
            "externalUserId",
            "must not be empty",
            "value_error",
        ));
    }
    Ok(ProviderChanges {
        external_id: body.external_user_id.clone(),
        first_name: None,
        last_name: body.last_name.clone(),
        email: body.email.clone(),
        phone_number: body.phone_number.clone(),
        address_line_one: body.address.clone(),
        address_line_two: body.address_line_two.clone(),
        city: body.city.clone(),
        state: body.state.clone(),
        zip_code: body.zip_code.clone(),
        country: body.country.clone(),
        address_valid: body.address_valid,
        firebase_uid: None,
        meta: body.meta.clone().map(|meta| meta.map(Value::Object)),
        roles: None,
    })
}

/// A required create field: absent is `missing`, `null` is not a value of its type.
fn required<T: Clone>(
    value: &Option<Option<T>>,
    field: &str,
    expected: &str,
) -> Result<T, DecodaError> {
    match value {
        None => Err(DecodaError::body(field, "Field required", "missing")),
        Some(None) => Err(DecodaError::body(
            field,
            format!("Input should be {expected}"),
            "type_error",
        )),
        Some(Some(value)) => Ok(value.clone()),
    }
}

/// A path id: not a UUID means no such provider.
fn path_id(id: &str) -> Result<Uuid, DecodaError> {
    Uuid::parse_str(id).map_err(|_| DecodaError::not_found("provider"))
}

/// Creates a provider. `firstName` and `roles` (names from `GET /v1/role/list`) are
/// required.
#[utoipa::path(
    post, path = "/v1/provider/create", tag = "decoda: providers (v1)",
    request_body = ProviderBody,
    responses((status = 200, body = TypedUserSummary), (status = 409, description = "`externalUserId` or `id` taken"),
              (status = 422, description = "Invalid body"))
)]
pub async fn create(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    DecodaJson(body): DecodaJson<ProviderBody>,
) -> Result<Json<TypedUserSummary>, DecodaError> {
    let first_name = required(&body.first_name, "firstName", "a valid string")?;
    let roles = parse_roles(&required(&body.roles, "roles", "a valid list")?)?;
    let id = DecodaError::chosen_id("provider", &body.id)?;
    let details = ProviderChanges {
        firebase_uid: body.firebase_uid.clone(),
        ..details(&body)?
    };
    let new = NewProvider {
        id,
        first_name,
        roles,
        details,
    };
    let provider = service::create(&state.store, &tenant, new).await?;
    Ok(Json(provider.into()))
}

#[utoipa::path(
    get, path = "/v1/provider/get/{provider_id}", tag = "decoda: providers (v1)",
    params(("provider_id" = String, Path)),
    responses((status = 200, body = TypedUserSummary), (status = 404, description = "Not in this tenant"))
)]
pub async fn get(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
) -> Result<Json<TypedUserSummary>, DecodaError> {
    let provider = service::get(&state.store, &tenant, path_id(&id)?).await?;
    Ok(Json(provider.into()))
}

#[utoipa::path(
    get, path = "/v1/provider/get_by_external_id/{external_id}", tag = "decoda: providers (v1)",
    params(("external_id" = String, Path)),
    responses((status = 200, body = TypedUserSummary), (status = 404, description = "Not in this tenant"))
)]
pub async fn get_by_external_id(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(external_id): Path<String>,
) -> Result<Json<TypedUserSummary>, DecodaError> {
    let provider = service::get_by_external_id(&state.store, &tenant, &external_id).await?;
    Ok(Json(provider.into()))
}

/// Updates a provider: absent keys stay, `null` clears (`firstName` cannot be cleared;
/// `roles: null` removes every role). `id` and `firebaseUid`, which `ProviderUpdate`
/// does not have, are ignored.
#[utoipa::path(
    put, path = "/v1/provider/update/{provider_id}", tag = "decoda: providers (v1)",
    params(("provider_id" = String, Path)),
    request_body = ProviderBody,
    responses((status = 200, body = TypedUserSummary), (status = 404, description = "Not in this tenant"),
              (status = 409, description = "`externalUserId` taken"), (status = 422, description = "Invalid body"))
)]
pub async fn update(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
    Path(id): Path<String>,
    DecodaJson(body): DecodaJson<ProviderBody>,
) -> Result<Json<TypedUserSummary>, DecodaError> {
    let first_name = match &body.first_name {
        Some(None) => {
            return Err(DecodaError::body(
                "firstName",
                "may not be null",
                "value_error",
            ));
        }
        Some(Some(name)) => Some(name.clone()),
        None => None,
    };
    let roles = match &body.roles {
        Some(names) => Some(parse_roles(names.as_deref().unwrap_or_default())?),
        None => None,
    };
    let changes = ProviderChanges {
        first_name,
        roles,
        ..details(&body)?
    };
    let id = path_id(&id)?;
    let provider = service::update(&state.store, &tenant, id, changes).await?;
    Ok(Json(provider.into()))
}

/// The tenant's providers, newest first (at most 1000; the published operation takes no
/// parameters).
#[utoipa::path(
    get, path = "/v1/provider/list", tag = "decoda: providers (v1)",
    responses((status = 200, body = Vec<TypedUserSummary>))
)]
pub async fn list(
    State(state): State<AppState>,
    DecodaTenant(tenant): DecodaTenant,
) -> Result<Json<Vec<TypedUserSummary>>, DecodaError> {
    let providers = service::list(&state.store, &tenant).await?;
    Ok(Json(providers.into_iter().map(Into::into).collect()))
}

/// The roles a provider may hold: copay's fixed catalogue.
#[utoipa::path(
    get, path = "/v1/role/list", tag = "decoda: roles (v1)",
    responses((status = 200, body = Vec<RoleSummaryV1>))
)]
pub async fn list_roles(DecodaTenant(_tenant): DecodaTenant) -> Json<Vec<RoleSummaryV1>> {
    Json(service::roles().iter().copied().map(Into::into).collect())
}
