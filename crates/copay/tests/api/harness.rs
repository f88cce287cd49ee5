//! Test harness: start copay per test, create tenants, talk HTTP, check the ledger.

use std::net::SocketAddr;
use std::sync::Once;

use copay::{RunningServer, ServerConfig};
use copay_service::verify::VerifyReport;
use copay_store::Store;
use serde_json::Value;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each listed `async fn(TestApp)` once on SQLite (`sqlite::name`) and once on
/// PostgreSQL (`postgres::name`).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::harness::TestApp::start($crate::harness::Backend::Sqlite).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::harness::TestApp::start($crate::harness::Backend::Postgres).await;
                    super::$name(&app).await;
                    app.stop().await;
                }
            )+
        }
    };
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("debug,sqlx=warn,hyper=info")
                .with_test_writer()
                .try_init();
        }
    });
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("COPAY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database(backend: Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("copay.db").display()),
        Backend::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("copay_test_{}", uuid::Uuid::now_v7().simple());
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for this test: {e}"));
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let _ = conn.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(base, _)| base)
                .unwrap_or(&admin);
            format!("{base}/{name}")
        }
    }
}

/// Credentials as `copay tenant create --json` prints them.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub slug: String,
    pub tenant_id: String,
    pub api_key: String,
    pub client_id: String,
    pub client_secret: String,
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub backend: Backend,
    pub database_url: String,
    pub http: reqwest::Client,
    server: RunningServer,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(
        backend: Backend,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> TestApp {
        init_logs();
        let dir = tempfile::tempdir().expect("tempdir");
        let database_url = fresh_database(backend, &dir).await;
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().expect("addr"), database_url.clone());
        config.max_connections = 8;
        configure(&mut config);
        let server = copay::start(config).await.expect("server starts");
        TestApp {
            addr: server.addr,
            backend,
            database_url,
            http: reqwest::Client::new(),
            server,
            _dir: dir,
        }
    }

    pub async fn stop(self) {
        let database_url = self.database_url.clone();
        self.server.shutdown().await.expect("clean shutdown");
        if self.backend == Backend::Postgres {
            drop_database(&database_url).await;
        }
    }

    /// Kills the server as a crash would (nothing in hand finishes) and starts a new one
    /// on the same database.
    pub async fn kill_and_restart(&mut self, configure: impl FnOnce(&mut ServerConfig)) {
        self.server.kill().await;
        let mut config = ServerConfig::new(
            "127.0.0.1:0".parse().expect("addr"),
            self.database_url.clone(),
        );
        config.max_connections = 8;
        configure(&mut config);
        self.server = copay::start(config).await.expect("server restarts");
        self.addr = self.server.addr;
    }

    pub fn store(&self) -> &Store {
        &self.server.store
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn tenant(&self, slug: &str) -> Tenant {
        let created = copay_service::tenants::create_tenant(self.store(), slug, None)
            .await
            .expect("create tenant");
        Tenant {
            slug: created.slug,
            tenant_id: created.tenant_id.to_string(),
            api_key: copay_service::secrets::expose(&created.api_key).to_string(),
            client_id: created.client_id,
            client_secret: copay_service::secrets::expose(&created.client_secret).to_string(),
        }
    }

    /// A Candid bearer token for the tenant.
    pub async fn token(&self, tenant: &Tenant) -> String {
        let response = self
            .http
            .post(self.url("/api/auth/v2/token"))
            .json(&serde_json::json!({"client_id": tenant.client_id, "client_secret": tenant.client_secret}))
            .send()
            .await
            .expect("token request");
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.expect("token json");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A request with Decoda's `API-KEY` and `TENANT` headers.
    pub fn decoda(
        &self,
        method: reqwest::Method,
        path: &str,
        tenant: &Tenant,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("API-KEY", &tenant.api_key)
            .header("TENANT", &tenant.slug)
    }

    /// A request with a Candid bearer token.
    pub fn candid(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.http.request(method, self.url(path)).bearer_auth(token)
    }

    pub async fn verify(&self) -> VerifyReport {
        copay_service::verify::verify(self.store())
            .await
            .expect("verify runs")
    }

    /// Runs one SQL statement on the server's database behind copay's back: what a
    /// test uses to make the state a check must catch.
    pub async fn execute_sql(&self, statement: &'static str) {
        match self.store().db() {
            copay_store::Db::Sqlite(pool) => {
                sqlx::query(statement).execute(pool).await.expect(statement);
            }
            copay_store::Db::Postgres(pool) => {
                sqlx::query(statement).execute(pool).await.expect(statement);
            }
        }
    }

    /// The ledger check every scenario ends with.
    pub async fn assert_ledger_ok(&self) {
        let report = self.verify().await;
        assert!(
            report.is_ok(),
            "ledger invariants broken: {:#?}",
            report.violations
        );
    }
}

/// Drops a PostgreSQL database [`fresh_database`] made.
pub async fn drop_database(database_url: &str) {
    let Some((_, name)) = database_url.rsplit_once('/') else {
        return;
    };
    if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
        let _ = conn.close().await;
    }
}

/// Status and JSON body of a response.
pub async fn json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// Sends the request and returns its status and JSON body.
pub async fn call(request: reqwest::RequestBuilder) -> (u16, Value) {
    json(request.send().await.expect("request sent")).await
}

/// Sends a Decoda-dialect request for `tenant`, with a JSON body when given, and returns
/// its status and JSON body.
pub async fn decoda(
    app: &TestApp,
    tenant: &Tenant,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = app.decoda(method, path, tenant);
    call(match body {
        Some(body) => request.json(&body),
        None => request,
    })
    .await
}
