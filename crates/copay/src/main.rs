use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use copay::cli::{self, Cli, Command, LogFormat};

// glibc's allocator spent about a tenth of the server's CPU under load (merging freed
// blocks whenever a request allocated a kilobyte or more); mimalloc keeps per-thread
// free lists and does not.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("COPAY_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => {
            init_logging(args.log_format);
            let config = args.server_config();
            let server = copay::start(config).await?;
            tracing::info!(
                addr = %server.addr,
                database = %copay::redact(&args.database.database_url),
                "copay is serving"
            );
            shutdown_signal().await;
            tracing::info!("shutting down: draining in-flight requests");
            server.shutdown().await?;
            tracing::info!("stopped");
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate(args) => cli::migrate(&args).await.map(|()| ExitCode::SUCCESS),
        Command::Tenant { command } => cli::tenant(&command).await.map(|()| ExitCode::SUCCESS),
        Command::Claims { command } => cli::claims(&command).await.map(|()| ExitCode::SUCCESS),
        Command::Payers { command } => cli::payers(&command).await.map(|()| ExitCode::SUCCESS),
        Command::Verify(args) => Ok(if cli::verify(&args).await? {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("copay: {error:#}");
            ExitCode::from(2)
        }
    }
}
