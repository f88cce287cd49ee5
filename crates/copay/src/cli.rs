//! The command line: `copay serve | migrate | tenant | verify | claims | payers`. Every flag can also be
//! set with a `COPAY_*` environment variable.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use secrecy_free::expose;

use crate::{ServerConfig, open_store, redact};

#[derive(Parser, Debug)]
#[command(
    name = "copay",
    version,
    about = "An open-source healthcare billing engine (Candid- and Decoda-compatible)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// sqlite://PATH (created if missing) or postgres://USER@HOST/DB
    #[arg(long, env = "COPAY_DATABASE_URL", default_value = "sqlite://copay.db")]
    pub database_url: String,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the HTTP API (creates and migrates the database first).
    Serve(ServeArgs),
    /// Apply the database migrations and exit.
    Migrate(DatabaseArgs),
    /// Manage tenants and their credentials.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Recompute every ledger balance from its transfers and check the invariants.
    Verify(DatabaseArgs),
    /// Claim creations: process them now instead of waiting for the worker.
    Claims {
        #[command(subcommand)]
        command: ClaimsCommand,
    },
    /// The installation-wide payer directory (Candid payers v3).
    Payers {
        #[command(subcommand)]
        command: PayersCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum PayersCommand {
    /// Add or update payers from a CSV file with a header row: `payer_id`, `payer_name`
    /// and optionally `availity_payer_name`, `availity_claims_payer_id`,
    /// `availity_eligibility_id`, `availity_remittance_payer_id`, `address1`, `address2`,
    /// `city`, `state`, `zip_code`, `zip_plus_four_code`. A bad row rejects the whole
    /// file before anything is written. Prints one JSON summary.
    Import {
        /// The CSV file.
        file: std::path::PathBuf,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ClaimsCommand {
    /// Process every not-started claim creation now, ignoring the quiet period; with
    /// `--id`, process that one (an `in-error` one is tried again). Prints one JSON object.
    Process {
        /// One claim creation to process.
        #[arg(long)]
        id: Option<uuid::Uuid>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COPAY_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Log line format on stderr.
    #[arg(long, env = "COPAY_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Lifetime of Candid bearer tokens, in seconds.
    #[arg(long, env = "COPAY_TOKEN_TTL_SECS", default_value_t = 5 * 60 * 60)]
    pub token_ttl_secs: u64,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "COPAY_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Requests running longer than this are answered with 503.
    #[arg(long, env = "COPAY_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub request_timeout_secs: u64,
    /// Database connections in the pool.
    #[arg(long, env = "COPAY_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Seconds a claim creation must go unchanged before the worker turns it into a claim
    /// (0: on the worker's next tick, about a second).
    #[arg(
        long,
        env = "COPAY_CLAIM_CREATION_QUIET_PERIOD_SECS",
        default_value_t = 60
    )]
    pub claim_creation_quiet_period_secs: u64,
    /// Allow webhook targets on loopback, link-local, private and unspecified addresses
    /// (local development and tests; refused by default).
    #[arg(long, env = "COPAY_WEBHOOK_ALLOW_PRIVATE_TARGETS")]
    pub webhook_allow_private_targets: bool,
    /// Delay before the first webhook retry, in seconds (fractions allowed); each next
    /// retry waits three times longer, ±25% jitter. 15 s spreads 6 attempts over ~30 min.
    #[arg(long, env = "COPAY_WEBHOOK_RETRY_BASE_SECS", default_value_t = 15.0)]
    pub webhook_retry_base_secs: f64,
    /// Automatic delivery attempts per event before it is given up.
    #[arg(long, env = "COPAY_WEBHOOK_MAX_ATTEMPTS", default_value_t = 6)]
    pub webhook_max_attempts: u32,
    /// How long one webhook delivery attempt may take, in seconds.
    #[arg(long, env = "COPAY_WEBHOOK_TIMEOUT_SECS", default_value_t = 5.0)]
    pub webhook_timeout_secs: f64,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant and one credential; the secrets are printed once.
    Create {
        /// The tenant's slug: the value of Decoda's TENANT header.
        slug: String,
        /// Display name (defaults to the slug).
        #[arg(long)]
        name: Option<String>,
        /// Print exactly one JSON object.
        #[arg(long, env = "COPAY_JSON")]
        json: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List tenants.
    List {
        /// Print a JSON array.
        #[arg(long, env = "COPAY_JSON")]
        json: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

impl ServeArgs {
    pub fn server_config(&self) -> ServerConfig {
        let mut config = ServerConfig::new(self.listen, self.database.database_url.clone());
        config.token_ttl = Duration::from_secs(self.token_ttl_secs);
        config.api.max_body_bytes = self.max_body_bytes;
        config.api.request_timeout = Duration::from_secs(self.request_timeout_secs);
        config.max_connections = self.db_max_connections;
        config.claim_creation_quiet_period =
            Duration::from_secs(self.claim_creation_quiet_period_secs);
        let webhooks = &mut config.api.webhooks;
        webhooks.allow_private_targets = self.webhook_allow_private_targets;
        webhooks.retry_base = seconds(self.webhook_retry_base_secs, webhooks.retry_base);
        webhooks.timeout = seconds(self.webhook_timeout_secs, webhooks.timeout);
        webhooks.max_attempts = self.webhook_max_attempts.max(1);
        config
    }
}

/// A non-negative, finite number of seconds, or `fallback`.
fn seconds(value: f64, fallback: Duration) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(fallback)
}

pub async fn migrate(args: &DatabaseArgs) -> anyhow::Result<()> {
    let store = open_store(&args.database_url, 2).await?;
    store.close().await;
    println!("migrations applied to {}", redact(&args.database_url));
    Ok(())
}

pub async fn tenant(command: &TenantCommand) -> anyhow::Result<()> {
    match command {
        TenantCommand::Create {
            slug,
            name,
            json,
            database,
        } => {
            let store = open_store(&database.database_url, 2).await?;
            let created = copay_service::tenants::create_tenant(&store, slug, name.as_deref())
                .await
                .context("cannot create the tenant")?;
            store.close().await;
            let api_key = expose(&created.api_key);
            let client_secret = expose(&created.client_secret);
            if *json {
                let out = serde_json::json!({
                    "tenant": created.slug,
                    "tenant_id": created.tenant_id,
                    "api_key": api_key,
                    "client_id": created.client_id,
                    "client_secret": client_secret,
                });
                println!("{out}");
            } else {
                println!("tenant        {} ({})", created.slug, created.name);
                println!("tenant_id     {}", created.tenant_id);
                println!("api_key       {api_key}");
                println!("client_id     {}", created.client_id);
                println!("client_secret {client_secret}");
                println!();
                println!("The secrets are shown only now; copay keeps only their hashes.");
            }
            Ok(())
        }
        TenantCommand::List { json, database } => {
            let store = open_store(&database.database_url, 2).await?;
            let tenants = copay_service::tenants::list_tenants(&store).await?;
            store.close().await;
            if *json {
                let out: Vec<_> = tenants
                    .iter()
                    .map(|t| serde_json::json!({"tenant": t.slug, "tenant_id": t.id, "name": t.name}))
                    .collect();
                println!("{}", serde_json::Value::Array(out));
            } else {
                for t in tenants {
                    println!("{}\t{}\t{}", t.slug, t.id, t.name);
                }
            }
            Ok(())
        }
    }
}

pub async fn claims(command: &ClaimsCommand) -> anyhow::Result<()> {
    match command {
        ClaimsCommand::Process { id, database } => {
            let store = open_store(&database.database_url, 2).await?;
            let out = match id {
                Some(id) => {
                    let outcome = copay_service::claim_creations::process_by_id(&store, None, *id)
                        .await
                        .with_context(|| format!("cannot process claim creation {id}"))?;
                    serde_json::json!({"claim_creation_id": id, "outcome": format!("{outcome:?}").to_lowercase()})
                }
                None => {
                    let report =
                        copay_service::claim_creations::process_pending(&store, None).await?;
                    serde_json::to_value(report)?
                }
            };
            store.close().await;
            println!("{out}");
            Ok(())
        }
    }
}

pub async fn payers(command: &PayersCommand) -> anyhow::Result<()> {
    match command {
        PayersCommand::Import { file, database } => {
            let reader = std::fs::File::open(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let store = open_store(&database.database_url, 2).await?;
            // A progress line per written batch, for files longer than one batch.
            let progress = |done: usize, total: usize| {
                if total > copay_service::payers::IMPORT_BATCH_ROWS {
                    eprintln!("payers: {done}/{total} rows written");
                }
            };
            let imported = copay_service::payers::import_csv(&store, reader, progress).await;
            store.close().await;
            let report = imported.with_context(|| format!("cannot import {}", file.display()))?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
    }
}

/// Returns whether every invariant held.
pub async fn verify(args: &DatabaseArgs) -> anyhow::Result<bool> {
    let store = open_store(&args.database_url, 2).await?;
    let report = copay_service::verify::verify(&store).await?;
    store.close().await;
    if report.is_ok() {
        println!(
            "ok: {} accounts and {} transfers checked, every invariant holds",
            report.accounts, report.transfers
        );
        Ok(true)
    } else {
        println!(
            "FAILED: {} violations in {} accounts and {} transfers",
            report.violations.len(),
            report.accounts,
            report.transfers
        );
        for violation in &report.violations {
            println!("  {violation}");
        }
        Ok(false)
    }
}

/// Reading a secret out once, for printing to the operator who created it.
mod secrecy_free {
    pub fn expose(secret: &copay_service::secrets::Secret) -> &str {
        copay_service::secrets::expose(secret)
    }
}
