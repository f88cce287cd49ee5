//! Authentication for both dialects.
//!
//! Candid: client credentials are exchanged for a signed JWT (HS256) that names the
//! tenant; verifying it needs no database round trip. The signing key lives in the
//! database so every replica shares it. Decoda: the `API-KEY` is looked up by its hash
//! and must belong to the tenant named by the `TENANT` header.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use copay_store::{Store, StoreError};

use crate::secrets;

const SIGNING_KEY_NAME: &str = "jwt-hs256";
const ISSUER: &str = "copay";
const AUDIENCE: &str = "copay-candid";

/// The tenant an authenticated request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantCtx {
    pub tenant_id: Uuid,
    pub slug: String,
    pub credential_id: Uuid,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("credentials are missing")]
    Missing,
    #[error("credentials are invalid")]
    Invalid,
    #[error("the token has expired")]
    Expired,
    #[error("the API key does not belong to this tenant")]
    WrongTenant,
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct IssuedToken {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    /// The credential that asked for the token.
    sub: String,
    tid: Uuid,
    ten: String,
    iss: String,
    aud: String,
    iat: u64,
    exp: u64,
}

#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    token_ttl: Duration,
    /// Tokens already verified, with their expiry: decoding and HMAC-checking the same
    /// token on every request is most of the cost of an authenticated no-op.
    verified: Arc<Mutex<HashMap<String, (TenantCtx, u64)>>>,
}

/// Verified tokens remembered at most; the map is emptied when it fills up.
const VERIFIED_CACHE_CAPACITY: usize = 10_000;

impl Authenticator {
    pub async fn new(store: Store, token_ttl: Duration) -> Result<Self, StoreError> {
        let key = store
            .server_secret_or_insert(SIGNING_KEY_NAME, &secrets::random_key())
            .await?;
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Ok(Authenticator {
            store,
            encoding: EncodingKey::from_secret(&key),
            decoding: DecodingKey::from_secret(&key),
            validation,
            token_ttl,
            verified: Arc::new(Mutex::new(HashMap::new())),
        })
    }

    /// OAuth client-credentials: a signed token for the credential's tenant.
    pub async fn issue_token(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<IssuedToken, AuthError> {
        if client_id.is_empty() || client_secret.is_empty() {
            return Err(AuthError::Missing);
        }
        let credential = self
            .store
            .credential_by_client_id(client_id)
            .await?
            .ok_or(AuthError::Invalid)?;
        let presented = secrets::hash(client_secret);
        if !bool::from(presented.ct_eq(&credential.client_secret_hash)) {
            return Err(AuthError::Invalid);
        }
        let now = unix_now();
        let ttl = self.token_ttl.as_secs();
        let claims = Claims {
            sub: credential.credential_id.to_string(),
            tid: credential.tenant_id,
            ten: credential.tenant_slug,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + ttl,
        };
        let access_token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
                .map_err(|_| AuthError::Invalid)?;
        Ok(IssuedToken {
            access_token,
            expires_in: ttl,
        })
    }

    pub fn verify_bearer(&self, token: &str) -> Result<TenantCtx, AuthError> {
        let now = unix_now();
        if let Ok(cache) = self.verified.lock()
            && let Some((tenant, expires)) = cache.get(token)
        {
            if *expires > now {
                return Ok(tenant.clone());
            }
            return Err(AuthError::Expired);
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => AuthError::Expired,
                _ => AuthError::Invalid,
            })?;
        let credential_id = data.claims.sub.parse().map_err(|_| AuthError::Invalid)?;
        let tenant = TenantCtx {
            tenant_id: data.claims.tid,
            slug: data.claims.ten,
            credential_id,
        };
        if let Ok(mut cache) = self.verified.lock() {
            if cache.len() >= VERIFIED_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(token.to_owned(), (tenant.clone(), data.claims.exp));
        }
        Ok(tenant)
    }

    /// Decoda headers: `API-KEY` must be a live key and `TENANT` its tenant's slug.
    pub async fn verify_api_key(
        &self,
        api_key: Option<&str>,
        tenant: Option<&str>,
    ) -> Result<TenantCtx, AuthError> {
        let api_key = api_key
            .filter(|key| !key.is_empty())
            .ok_or(AuthError::Missing)?;
        let credential = self
            .store
            .credential_by_api_key_hash(&secrets::hash(api_key))
            .await?
            .ok_or(AuthError::Invalid)?;
        let tenant = tenant.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        if !tenant.eq_ignore_ascii_case(&credential.tenant_slug) {
            return Err(AuthError::WrongTenant);
        }
        Ok(TenantCtx {
            tenant_id: credential.tenant_id,
            slug: credential.tenant_slug,
            credential_id: credential.credential_id,
        })
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
