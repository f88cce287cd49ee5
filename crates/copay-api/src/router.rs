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
use crate::{AppState, candid, decoda, ops};

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
    let candid_protected = protect(
        candid::protected_routes(),
        state,
        candid::auth::require_bearer,
    );
    let decoda_protected = protect(
        decoda::protected_routes(),
        state,
        decoda::auth::require_api_key,
    );
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(ops::routes())
        .merge(candid::public_routes())
        .merge(candid_protected)
        .merge(decoda_protected)
}

/// Puts a dialect's auth layer (outer) and the idempotency layer (inner, it needs the
/// tenant) on every route of `routes`.
fn protect<F, T>(routes: OpenApiRouter<AppState>, state: &AppState, auth: F) -> OpenApiRouter<AppState>
where
    F: Clone + Send + Sync + 'static,
    axum::middleware::FromFnLayer<F, AppState, T>: tower::Layer<axum::routing::Route> + Clone + Send + Sync + 'static,
    <axum::middleware::FromFnLayer<F, AppState, T> as tower::Layer<axum::routing::Route>>::Service:
        tower::Service<axum::extract::Request, Error = std::convert::Infallible> + Clone + Send + Sync + 'static,
    <<axum::middleware::FromFnLayer<F, AppState, T> as tower::Layer<axum::routing::Route>>::Service as tower::Service<axum::extract::Request>>::Response:
        axum::response::IntoResponse + 'static,
    <<axum::middleware::FromFnLayer<F, AppState, T> as tower::Layer<axum::routing::Route>>::Service as tower::Service<axum::extract::Request>>::Future:
        Send + 'static,
{
    // axum refuses a route layer on a router without routes.
    if routes.clone().split_for_parts().1.paths.paths.is_empty() {
        return routes;
    }
    routes
        .route_layer(from_fn_with_state(state.clone(), idempotency::idempotency))
        .route_layer(from_fn_with_state(state.clone(), auth))
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
