//! copay's HTTP surface.
//!
//! Two vendor dialects share one server: Candid (`/api/...`, snake_case, bearer tokens)
//! and Decoda (`/v1/...`, `/billing/...`, `/user/...`, camelCase, `API-KEY` + `TENANT`).
//! Vendor wire shapes live only in [`candid`] and [`decoda`]; [`ops`] serves copay's own
//! health, metrics and documentation.

pub mod candid;
pub mod copay_ns;
pub mod credentials;
pub mod decoda;
pub mod dialect;
pub mod middleware;
pub mod ops;
pub mod query;
mod router;
pub mod wire;

use std::sync::Arc;
use std::time::Duration;

use copay_service::Authenticator;
use copay_store::Store;

pub use router::{openapi, router};

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
    /// Webhook target checks and delivery (shared with the delivery worker).
    pub webhooks: copay_service::webhooks::WebhookSettings,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            webhooks: copay_service::webhooks::WebhookSettings::default(),
        }
    }
}

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub auth: Arc<Authenticator>,
    pub config: Arc<ApiConfig>,
}
