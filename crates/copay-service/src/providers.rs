//! The clinic's providers and the fixed catalogue of roles they hold: create, read,
//! update, list.

use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

use copay_store::providers::{self as rows, ProviderRow};
use copay_store::{Json, Store, StoreError};

use crate::{ServiceError, TenantCtx};

/// What a provider does at the clinic. The catalogue is fixed: copay grants no
/// permissions by role, so a role is a label the clinic's own systems act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Runs the practice: settings, staff, reports.
    Admin,
    /// Sees patients and bills for the care (physician, nurse practitioner, PA).
    Provider,
    Nurse,
    MedicalAssistant,
    /// Check-in, scheduling, taking payment at the desk.
    FrontDesk,
    /// Charges, claims, payments and patient balances.
    Billing,
}

impl Role {
    /// Every role, in the order lists show them.
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Provider,
        Role::Nurse,
        Role::MedicalAssistant,
        Role::FrontDesk,
        Role::Billing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Provider => "PROVIDER",
            Role::Nurse => "NURSE",
            Role::MedicalAssistant => "MEDICAL_ASSISTANT",
            Role::FrontDesk => "FRONT_DESK",
            Role::Billing => "BILLING",
        }
    }

    /// The role with this name, compared without case (`provider` is `PROVIDER`).
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|role| role.name().eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: Uuid,
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
    pub meta: Option<Value>,
    /// Each role once, in catalogue order.
    pub roles: Vec<Role>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Changes to a provider: `None` leaves a field alone, `Some(None)` clears it. A provider
/// always has a first name and a (possibly empty) set of roles, so those two cannot be
/// cleared.
#[derive(Debug, Clone, Default)]
pub struct ProviderChanges {
    pub external_id: Option<Option<String>>,
    pub first_name: Option<String>,
    pub last_name: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub phone_number: Option<Option<String>>,
    pub address_line_one: Option<Option<String>>,
    pub address_line_two: Option<Option<String>>,
    pub city: Option<Option<String>>,
    pub state: Option<Option<String>>,
    pub zip_code: Option<Option<String>>,
    pub country: Option<Option<String>>,
    pub address_valid: Option<Option<bool>>,
    pub firebase_uid: Option<Option<String>>,
    pub meta: Option<Option<Value>>,
    pub roles: Option<Vec<Role>>,
}

/// What a new provider needs besides the optional details.
#[derive(Debug, Clone)]
pub struct NewProvider {
    /// The caller's choice of id, else a new one.
    pub id: Option<Uuid>,
    pub first_name: String,
    pub roles: Vec<Role>,
    pub details: ProviderChanges,
}

const ENTITY: &str = "provider";

/// The largest list a provider list returns.
pub const MAX_PROVIDER_LIST: u32 = 1000;

fn set<T>(target: &mut Option<T>, change: Option<Option<T>>) {
    if let Some(value) = change {
        *target = value;
    }
}

/// Each role once, in catalogue order: the order a list of roles is kept and shown in.
fn normalized(mut roles: Vec<Role>) -> Vec<Role> {
    roles.sort();
    roles.dedup();
    roles
}

impl ProviderChanges {
    fn apply(self, row: &mut ProviderRow) {
        set(&mut row.external_id, self.external_id);
        if let Some(first_name) = self.first_name {
            row.first_name = first_name;
        }
        set(&mut row.last_name, self.last_name);
        set(&mut row.email, self.email);
        set(&mut row.phone_number, self.phone_number);
        set(&mut row.address_line_one, self.address_line_one);
        set(&mut row.address_line_two, self.address_line_two);
        set(&mut row.city, self.city);
        set(&mut row.state, self.state);
        set(&mut row.zip_code, self.zip_code);
        set(&mut row.country, self.country);
        set(&mut row.address_valid, self.address_valid);
        set(&mut row.firebase_uid, self.firebase_uid);
        if let Some(meta) = self.meta {
            row.meta = meta.map(Json);
        }
        if let Some(roles) = self.roles {
            row.roles = Json(
                normalized(roles)
                    .into_iter()
                    .map(|role| role.name().to_string())
                    .collect(),
            );
        }
    }
}

fn from_row(row: ProviderRow) -> Result<Provider, ServiceError> {
    let roles = row
        .roles
        .0
        .iter()
        .map(|name| {
            Role::from_name(name).ok_or_else(|| {
                StoreError::Corrupt(format!("provider {} has an unknown role {name:?}", row.id))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Provider {
        id: row.id,
        external_id: row.external_id,
        first_name: row.first_name,
        last_name: row.last_name,
        email: row.email,
        phone_number: row.phone_number,
        address_line_one: row.address_line_one,
        address_line_two: row.address_line_two,
        city: row.city,
        state: row.state,
        zip_code: row.zip_code,
        country: row.country,
        address_valid: row.address_valid,
        firebase_uid: row.firebase_uid,
        meta: row.meta.map(|json| json.0),
        roles: normalized(roles),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn not_found(id: impl ToString) -> ServiceError {
    ServiceError::NotFound {
        entity: ENTITY,
        id: id.to_string(),
    }
}

fn duplicate(row: &ProviderRow) -> ServiceError {
    ServiceError::DuplicateExternalId {
        entity: ENTITY,
        external_id: row.external_id.clone().unwrap_or_default(),
    }
}

/// The roles a provider may hold, in the order lists show them.
pub fn roles() -> &'static [Role] {
    &Role::ALL
}

pub async fn create(
    store: &Store,
    tenant: &TenantCtx,
    new: NewProvider,
) -> Result<Provider, ServiceError> {
    let now = copay_store::now();
    let mut row = ProviderRow {
        id: new.id.unwrap_or_else(Uuid::now_v7),
        tenant_id: tenant.tenant_id,
        external_id: None,
        first_name: new.first_name,
        last_name: None,
        email: None,
        phone_number: None,
        address_line_one: None,
        address_line_two: None,
        city: None,
        state: None,
        zip_code: None,
        country: None,
        address_valid: None,
        firebase_uid: None,
        meta: None,
        roles: Json(Vec::new()),
        created_at: now,
        updated_at: now,
    };
    ProviderChanges {
        roles: Some(new.roles),
        ..new.details
    }
    .apply(&mut row);
    let mut tx = store.begin().await?;
    if let Some(external_id) = &row.external_id
        && rows::by_external_id_for_update(&mut tx, tenant.tenant_id, external_id)
            .await?
            .is_some()
    {
        return Err(duplicate(&row));
    }
    if let Err(error) = rows::insert(&mut tx, &row).await {
        // A concurrent create took the external id, or the caller's id is taken.
        return Err(if error.is_unique_violation() {
            ServiceError::Conflict(format!(
                "a provider with id {} or with this external id already exists",
                row.id
            ))
        } else {
            error.into()
        });
    }
    tx.commit().await?;
    from_row(row)
}

pub async fn get(store: &Store, tenant: &TenantCtx, id: Uuid) -> Result<Provider, ServiceError> {
    let row = store
        .provider(tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    from_row(row)
}

pub async fn get_by_external_id(
    store: &Store,
    tenant: &TenantCtx,
    external_id: &str,
) -> Result<Provider, ServiceError> {
    let row = store
        .provider_by_external_id(tenant.tenant_id, external_id)
        .await?
        .ok_or_else(|| not_found(external_id))?;
    from_row(row)
}

pub async fn update(
    store: &Store,
    tenant: &TenantCtx,
    id: Uuid,
    changes: ProviderChanges,
) -> Result<Provider, ServiceError> {
    let mut tx = store.begin().await?;
    let mut row = rows::get_for_update(&mut tx, tenant.tenant_id, id)
        .await?
        .ok_or_else(|| not_found(id))?;
    changes.apply(&mut row);
    row.updated_at = copay_store::now();
    if let Err(error) = rows::update(&mut tx, &row).await {
        return Err(if error.is_unique_violation() {
            duplicate(&row)
        } else {
            error.into()
        });
    }
    tx.commit().await?;
    from_row(row)
}

/// The tenant's providers, newest first, at most [`MAX_PROVIDER_LIST`].
pub async fn list(store: &Store, tenant: &TenantCtx) -> Result<Vec<Provider>, ServiceError> {
    store
        .list_providers(tenant.tenant_id, MAX_PROVIDER_LIST)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

/// These providers of the tenant (unknown ids are left out), in no particular order.
pub async fn by_ids(
    store: &Store,
    tenant: &TenantCtx,
    ids: &[Uuid],
) -> Result<Vec<Provider>, ServiceError> {
    store
        .providers_by_ids(tenant.tenant_id, ids)
        .await?
        .into_iter()
        .map(from_row)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip_without_case() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
            assert_eq!(Role::from_name(&role.name().to_lowercase()), Some(role));
        }
        assert_eq!(Role::from_name("SURGEON"), None);
        assert_eq!(Role::from_name(" PROVIDER"), None);
    }

    #[test]
    fn roles_are_kept_once_in_catalogue_order() {
        assert_eq!(
            normalized(vec![Role::Billing, Role::Admin, Role::Billing]),
            vec![Role::Admin, Role::Billing]
        );
    }
}
