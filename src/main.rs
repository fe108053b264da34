//! The `csms` binary: `csms serve` runs the server, `csms migrate` only migrates the database,
//! `csms admin create --phone …` makes the first admin, `csms demo` runs a live demo (feature `demo`), `csms audit` checks the money,
//! `csms health` asks a running server's `/health` (the container's health check).

use anyhow::Context;
use clap::{Parser, Subcommand};
use csms::config::Settings;
use csms::startup::Application;
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "OCPP 1.6J / 2.0.1 central system")]
struct Cli {
    /// Folder of extra settings files (*.toml, read after the built-in defaults).
    #[arg(long, default_value = "config")]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: the charger listener and the HTTP API.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Run the server with a live demo: a station, piles, drivers charging on simulated chargers
    /// and a pile that overheats, on a fresh csms-demo.db; prints the dashboard and a login.
    /// (Only in a build with the `demo` feature.)
    #[cfg(feature = "demo")]
    Demo,
    /// Run the money audit once on the database and print it: exit 0 when every balance, order
    /// and payment adds up, 1 on any mismatch (unpaid bills are listed as owed, not mismatches).
    Audit {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// GET a running server's /health: exit 0 on a 2xx answer, 1 otherwise (reads no settings).
    Health {
        /// The URL to GET (a node's /health, or /ready to ask whether it reaches its database).
        #[arg(long, default_value = csms::probe::DEFAULT_URL)]
        url: String,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Make the user with this phone an admin (registering them if needed): the first admin.
    Create {
        #[arg(long)]
        phone: String,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Command::Health { url } = &cli.command {
        std::process::exit(csms::probe::run(url).await);
    }
    let settings = Settings::load(&cli.config).context("reading settings")?;
    match cli.command {
        Command::Migrate => {
            let store = csms::store::Store::connect(&settings.database).await.context("connecting to the database")?;
            store.migrate().await.context("migrating")?;
            tracing::info!("migrations applied");
        }
        Command::Admin { command: AdminCommand::Create { phone } } => {
            let store = csms::store::Store::connect(&settings.database).await.context("connecting to the database")?;
            store.migrate().await.context("migrating")?;
            let (admin, created) =
                csms::domain::users::accounts::make_admin(&store, &phone).await.context("making the admin")?;
            let done = if created { "created" } else { "made admin" };
            println!("{} {done}: user {} (sign in with an SMS code)", admin.phone, admin.id);
        }
        // Answered above, before the settings are read.
        Command::Health { .. } => {}
        Command::Audit { json } => {
            let store = csms::store::Store::connect(&settings.database).await.context("connecting to the database")?;
            let kv = csms::kv::Kv::memory();
            let report = csms::domain::audit::Audit::new(store.clone(), kv, None).run().await.context("auditing")?;
            store.close().await.context("closing the database")?;
            print_audit(&report, json)?;
            if !report.mismatches.is_empty() {
                std::process::exit(1);
            }
        }
        #[cfg(feature = "demo")]
        Command::Demo => {
            let stop = tokio_util::sync::CancellationToken::new();
            let stopping = stop.clone();
            tokio::spawn(async move {
                wait_for_signal().await;
                stopping.cancel();
            });
            csms::demo::run(settings, stop).await.context("the demo")?;
        }
        Command::Serve => {
            if settings.api.operator_token.is_empty() {
                println!(
                    "No operator token is set: to sign in to the dashboard, make an admin (csms admin create --phone <phone>, then an SMS code) or set api.operator_token (CSMS__API__OPERATOR_TOKEN)."
                );
            }
            let app = Application::build(settings).await.context("starting")?;
            let (drain, stop) = (app.drain_token(), app.shutdown_token());
            tokio::spawn(async move {
                wait_for_signal().await;
                tracing::info!("draining: no new chargers, the connected ones sent away a few at a time");
                drain.cancel();
                // A second signal does not wait for the drain.
                wait_for_signal().await;
                tracing::info!("stopping now: closing charger sessions");
                stop.cancel();
            });
            app.run_until_stopped().await.context("serving")?;
        }
    }
    Ok(())
}

/// The audit's report: JSON, or a line per mismatch and per unpaid bill.
fn print_audit(report: &csms::domain::audit::AuditReport, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(report)?);
        return Ok(());
    }
    let checked = report.checked;
    println!(
        "audited {} users, {} completed orders, {} payments in {} ms: {} mismatches, {} unpaid bills",
        checked.users,
        checked.orders,
        checked.payments,
        report.duration_ms,
        report.mismatches.len(),
        report.owed.len()
    );
    for m in &report.mismatches {
        println!("MISMATCH {} {}: expected {}, found {}", m.kind.as_str(), m.id, m.expected, m.found);
    }
    for owed in &report.owed {
        println!("owed     order {} (user {}): {}", owed.order_no, owed.user_id, owed.amount);
    }
    Ok(())
}

/// SIGTERM or ctrl-c.
async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
