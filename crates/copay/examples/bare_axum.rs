//! The baseline for the foundation benchmark: a bare axum "hello world" with nothing
//! else, on the same runtime settings as copay. See BENCHMARKS.md.

use axum::Router;
use axum::routing::get;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_string());
    let app = Router::new().route("/", get(|| async { "hello, world" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
