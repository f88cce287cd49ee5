//! Assembles the dialect routers, their auth layers and the shared HTTP layers.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::middleware::{envelope, idempotency, metrics, trace};
use crate::{AppState, candid, copay_ns, decoda, ops};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "copay",
        description = "An open-source healthcare billing engine. It serves Candid Health's API \
            (under /api, bearer tokens from POST /api/auth/v2/token) and Decoda Health's API \
            (API-KEY and TENANT headers) over one ledger, plus its own operations endpoints."
    ),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "candid_bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "decoda_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("API-KEY"))),
        );
        components.add_security_scheme(
            "decoda_tenant",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("TENANT"))),
        );
    }
}

fn documented_routes(state: &AppState) -> OpenApiRouter<AppState> {
    // Auth (outer) puts the tenant on the request; idempotency (inner) keys on it.
    let candid_protected = candid::protected_routes()
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(from_fn_with_state(
            state.clone(),
            candid::auth::require_bearer,
        ));
    let decoda_protected = decoda::protected_routes()
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(from_fn_with_state(
            state.clone(),
            decoda::auth::require_api_key,
        ));
    let copay_protected = copay_ns::routes()
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(from_fn_with_state(
            state.clone(),
            copay_ns::require_any_credential,
        ));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes())
        .merge(candid::public_routes())
        .merge(candid_protected)
        .merge(decoda_protected)
        .merge(copay_protected)
}

/// copay's OpenAPI document (served at `/openapi.json`).
pub fn openapi(state: &AppState) -> utoipa::openapi::OpenApi {
    documented_routes(state).split_for_parts().1
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    // Install the metrics recorder before the first request is recorded.
    let _ = metrics::handle();
    let (routes, api) = documented_routes(&state).split_for_parts();
    let timeout = state.config.request_timeout;
    let max_body = state.config.max_body_bytes;
    routes
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(trace::make_span))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(from_fn(envelope::dialect_errors))
                .layer(CatchPanicLayer::new())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    timeout,
                ))
                .layer(CompressionLayer::new())
                .layer(from_fn(metrics::record))
                .layer(DefaultBodyLimit::max(max_body)),
        )
}
