//! The Decoda Health dialect: camelCase JSON, `API-KEY` + `TENANT` headers, FastAPI
//! error bodies (`{"detail": [...]}` for validation, `{"detail": "..."}` otherwise).

pub mod auth;
pub mod error;
pub mod extract;
pub mod tenant;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;

/// Every Decoda route needs `API-KEY` and `TENANT`; the caller adds the auth layer.
pub fn protected_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(tenant::public_detail))
}
