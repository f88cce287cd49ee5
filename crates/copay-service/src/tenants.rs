//! Creating and listing tenants (organisations) and their credentials.

use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use copay_store::Store;
use copay_store::tenants::{self, NewCredential, TenantRow};

use crate::{ServiceError, secrets};

/// What `copay tenant create` prints once: the secrets are not recoverable afterwards.
pub struct NewTenant {
    pub tenant_id: Uuid,
    pub slug: String,
    pub name: String,
    pub api_key: SecretString,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// A slug is the `TENANT` header value: lowercase letters, digits and inner hyphens,
/// 1–63 characters, like a DNS label (Decoda calls it "usually your subdomain").
pub fn validate_slug(slug: &str) -> Result<(), ServiceError> {
    let well_formed = (1..=63).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if well_formed {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "slug",
            "must be 1-63 lowercase letters, digits or inner hyphens",
        ))
    }
}

pub async fn create_tenant(
    store: &Store,
    slug: &str,
    name: Option<&str>,
) -> Result<NewTenant, ServiceError> {
    validate_slug(slug)?;
    let name = name.unwrap_or(slug).trim();
    if name.is_empty() || name.len() > 200 {
        return Err(ServiceError::invalid("name", "must be 1-200 characters"));
    }
    let tenant = TenantRow {
        id: Uuid::now_v7(),
        slug: slug.to_string(),
        name: name.to_string(),
        created_at: copay_store::now(),
    };
    let api_key = secrets::generate("cpk_");
    let client_secret = secrets::generate("cps_");
    let credential = NewCredential {
        id: Uuid::now_v7(),
        api_key_hash: secrets::hash(api_key.expose_secret()),
        client_id: secrets::generate_identifier("cpc_"),
        client_secret_hash: secrets::hash(client_secret.expose_secret()),
    };
    let mut tx = store.begin().await?;
    if let Err(error) = tenants::insert_tenant(&mut tx, &tenant).await {
        return Err(if error.is_unique_violation() {
            ServiceError::Conflict(format!("a tenant with slug {slug:?} already exists"))
        } else {
            error.into()
        });
    }
    tenants::insert_credential(&mut tx, tenant.id, &credential).await?;
    tx.commit().await?;
    Ok(NewTenant {
        tenant_id: tenant.id,
        slug: tenant.slug,
        name: tenant.name,
        api_key,
        client_id: credential.client_id,
        client_secret,
    })
}

pub async fn get_tenant(store: &Store, tenant_id: Uuid) -> Result<TenantRow, ServiceError> {
    store
        .tenant_by_id(tenant_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            entity: "tenant",
            id: tenant_id.to_string(),
        })
}

pub async fn list_tenants(store: &Store) -> Result<Vec<TenantRow>, ServiceError> {
    Ok(store.list_tenants().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_look_like_subdomains() {
        for good in ["a", "clinic-1", "x9", &"a".repeat(63)] {
            assert!(validate_slug(good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "Clinic", "a_b", "a b", &"a".repeat(64), "ü"] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
    }
}
