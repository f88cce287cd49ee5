//! The `copay` binary's library half: configuration and server start-up, shared by the
//! CLI and by the integration tests (which start the real server on a random port).

pub mod cli;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use copay_api::{ApiConfig, AppState};
use copay_service::Authenticator;
use copay_store::{ConnectOptions, Store};

/// Everything `copay serve` needs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub database_url: String,
    pub token_ttl: Duration,
    pub api: ApiConfig,
    pub max_connections: u32,
    /// How long a claim creation must go unchanged before the worker processes it.
    pub claim_creation_quiet_period: Duration,
    /// How often the claim-creation worker looks for due creations.
    pub claim_creation_tick: Duration,
}

impl ServerConfig {
    pub fn new(listen: SocketAddr, database_url: impl Into<String>) -> Self {
        ServerConfig {
            listen,
            database_url: database_url.into(),
            token_ttl: Duration::from_secs(5 * 60 * 60),
            api: ApiConfig::default(),
            max_connections: 16,
            claim_creation_quiet_period: Duration::from_secs(60),
            claim_creation_tick: Duration::from_secs(1),
        }
    }
}

/// Opens the database and applies the migrations.
pub async fn open_store(database_url: &str, max_connections: u32) -> anyhow::Result<Store> {
    let options = ConnectOptions {
        max_connections,
        ..ConnectOptions::default()
    };
    // Webhook bodies are rendered in Decoda's shapes by whichever process delivers them.
    copay_api::decoda::webhook_payloads::install();
    let store = Store::connect(database_url, &options)
        .await
        .with_context(|| format!("cannot open database {}", redact(database_url)))?;
    store.migrate().await.context("cannot apply migrations")?;
    copay_service::charge_captures::refresh_stale_facets(&store)
        .await
        .context("cannot index charge captures")?;
    Ok(store)
}

/// The URL without its password, fit for a log line or an error message.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// A server running in the background.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub store: Store,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<std::io::Result<()>>,
    /// Workers that finish their work in hand before a shutdown completes.
    workers: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, drains in-flight requests and waits for the server to finish.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("server task panicked")??;
        for worker in self.workers {
            worker.await.context("worker task panicked")?;
        }
        self.store.close().await;
        Ok(())
    }

    /// Stops everything at once, mid-request and mid-delivery, as if the process were
    /// killed: nothing in hand is finished, open transactions roll back. For tests of
    /// what survives a crash.
    pub async fn kill(&mut self) {
        self.task.abort();
        for worker in &self.workers {
            worker.abort();
        }
        let _ = (&mut self.task).await;
        for worker in std::mem::take(&mut self.workers) {
            let _ = worker.await;
        }
        self.store.close().await;
    }
}

/// Binds, migrates and starts serving; returns once the socket is listening.
pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
    let store = open_store(&config.database_url, config.max_connections).await?;
    let auth = Authenticator::new(store.clone(), config.token_ttl)
        .await
        .context("cannot load the token signing key")?;
    let state = AppState {
        store: store.clone(),
        auth: Arc::new(auth),
        config: Arc::new(config.api.clone()),
    };
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    let (shutdown, mut stop) = watch::channel(false);
    let app = copay_api::router(state);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|stop| *stop).await;
            })
            .await
    });
    spawn_housekeeping(store.clone(), shutdown.subscribe());
    spawn_claim_creation_worker(
        store.clone(),
        config.claim_creation_quiet_period,
        config.claim_creation_tick,
        shutdown.subscribe(),
    );
    let webhooks = spawn_webhook_worker(
        store.clone(),
        config.api.webhooks.clone(),
        shutdown.subscribe(),
    )?;
    Ok(RunningServer {
        addr,
        store,
        shutdown,
        task,
        workers: vec![webhooks],
    })
}

/// Periodic clean-up: forget idempotency keys past their retention.
fn spawn_housekeeping(store: Store, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(15 * 60));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match copay_service::idempotency::purge_expired(&store).await {
                        Ok(0) => {}
                        Ok(purged) => tracing::info!(purged, "expired idempotency keys removed"),
                        Err(error) => tracing::warn!(%error, "idempotency purge failed"),
                    }
                }
                _ = stop.changed() => break,
            }
        }
    });
}

/// Processes claim creations once they have been quiet for `quiet_period`. Several
/// replicas may run it: each creation is processed in a transaction that locks it and
/// re-checks its status, so one attempt wins and the others skip.
fn spawn_claim_creation_worker(
    store: Store,
    quiet_period: Duration,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let quiet_ms = i64::try_from(quiet_period.as_millis()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    match copay_service::claim_creations::process_due(&store, quiet_ms, 100).await {
                        Ok(report) if report.succeeded + report.failed > 0 => tracing::info!(
                            succeeded = report.succeeded,
                            failed = report.failed,
                            "claim creations processed"
                        ),
                        Ok(_) => {}
                        Err(error) => tracing::warn!(%error, "claim-creation processing failed"),
                    }
                }
                _ = stop.changed() => break,
            }
        }
    });
}

/// Delivers webhook events. Several replicas may run it: deliveries are claimed with a
/// lease (and `SKIP LOCKED` on PostgreSQL), so each is in flight at one replica at a time.
/// On shutdown it finishes the attempts in hand (each bounded by the timeout).
fn spawn_webhook_worker(
    store: Store,
    settings: copay_service::webhooks::WebhookSettings,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<JoinHandle<()>> {
    let client = copay_service::webhook_delivery::http_client(&settings)
        .context("cannot build the webhook HTTP client")?;
    Ok(tokio::spawn(async move {
        let mut tick = tokio::time::interval(settings.tick);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Some rounds start the next at once (see `TickReport::wants_another`).
        let mut busy = false;
        loop {
            if !busy {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
            }
            let due = copay_service::webhook_delivery::deliver_due(&store, &client, &settings, 32);
            busy = match due.await {
                Ok(report) => {
                    if report.delivered + report.failed > 0 {
                        tracing::debug!(
                            delivered = report.delivered,
                            failed = report.failed,
                            "webhook deliveries attempted"
                        );
                    }
                    report.wants_another()
                }
                Err(error) => {
                    tracing::warn!(%error, "webhook delivery failed");
                    false
                }
            };
            if *stop.borrow() {
                break;
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords_from_database_urls() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/copay"),
            "postgres://app:***@db:5432/copay"
        );
        assert_eq!(redact("sqlite://copay.db"), "sqlite://copay.db");
    }
}
