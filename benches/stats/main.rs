//! `cargo bench --bench stats`: `GET /api/v1/stats` on a million orders. A year of a charging
//! business is seeded (see `seed`) into SQLite (`target/bench/stats.db`) and into PostgreSQL
//! (a database `csms_bench_stats` made afresh beside `BENCH_POSTGRES_URL`, by default
//! postgres://postgres@127.0.0.1:5432/postgres; left out when it does not answer), and each
//! query the dashboard and operators ask is answered by the statistics service `BENCH_RUNS`
//! times (3): the median and the fastest are reported, and written to `target/bench/stats.json`.
//! The statistics come from the daily rollups, made from the seeded orders as the migration
//! makes them (the time this takes is reported), and each query is also counted from the orders
//! as before the rollups, alternating run by run (`BENCH_FROM_ORDERS=0` leaves that out).
//!
//! Settings: `BENCH_ORDERS` (1,000,000), `BENCH_STATIONS` (200, of 5 piles each), `BENCH_USERS`
//! (50,000), `BENCH_BACKENDS` (`sqlite,postgres`); `BENCH_WITHOUT_INDEXES=1` measures again
//! without the statistics' indexes (migration 000013), to show what they are for.

mod seed;

use anyhow::Context as _;
use chrono::{Days, Utc};
use csms::config::DatabaseSettings;
use csms::domain::stats::{Stats, StatsQuery};
use csms::store::Store;
use sea_orm::ConnectionTrait;
use std::time::{Duration, Instant};

fn setting(name: &str, default: i64) -> anyhow::Result<i64> {
    match std::env::var(name) {
        Ok(text) => text.replace('_', "").parse().with_context(|| format!("{name}={text}: a number")),
        Err(_) => Ok(default),
    }
}

/// The queries measured: a name and the request's `from`, `to`, `groupBy`, `station`.
fn queries() -> Vec<(&'static str, String, String, &'static str, Option<&'static str>)> {
    let tomorrow = Utc::now().date_naive() + Days::new(1);
    let back = |days: u64| (tomorrow - Days::new(days)).to_string();
    vec![
        ("today, by station", back(1), tomorrow.to_string(), "station", None),
        ("30 days, by day", back(30), tomorrow.to_string(), "day", None),
        ("30 days, by station", back(30), tomorrow.to_string(), "station", None),
        ("30 days, by pile", back(30), tomorrow.to_string(), "pile", None),
        ("30 days, one station by day", back(30), tomorrow.to_string(), "day", Some("BS1")),
        ("a year, by day", back(366), tomorrow.to_string(), "day", None),
        ("a year, by station", back(366), tomorrow.to_string(), "station", None),
    ]
}

/// Median and fastest of `times`.
fn summary(times: &mut [Duration]) -> (f64, f64) {
    times.sort();
    (secs(times[times.len() / 2]), secs(times[0]))
}

/// Each query's median and fastest time from the rollups and — alternating with it, run by run,
/// unless `BENCH_FROM_ORDERS=0` — counted from the orders as before them, the ratio of the
/// medians, and how many orders it counted (created). Both must give the same figures.
async fn measure(store: &Store, runs: usize) -> anyhow::Result<Vec<serde_json::Value>> {
    let stats = Stats::new(store.clone());
    let compare = setting("BENCH_FROM_ORDERS", 1)? == 1;
    let mut results = Vec::new();
    for (name, from, to, group_by, station) in queries() {
        let query = StatsQuery::parse(Some(&from), Some(&to), Some(group_by), station)?;
        let (mut rolled, mut counted) = (Vec::new(), Vec::new());
        let mut created = serde_json::Value::Null;
        for _ in 0..runs {
            let begun = Instant::now();
            let report = stats.report(&query).await?;
            rolled.push(begun.elapsed());
            created = serde_json::to_value(&report.total)?["orders"]["created"].clone();
            if compare {
                let begun = Instant::now();
                let reference = stats.report_from_orders(&query).await?;
                counted.push(begun.elapsed());
                anyhow::ensure!(
                    reference.total.orders == report.total.orders && reference.total.revenue == report.total.revenue,
                    "{name}: the rollups and the orders disagree"
                );
            }
        }
        let (median, fastest) = summary(&mut rolled);
        let mut line = format!("  {name:<30} rollups median {median:>7.3} s  fastest {fastest:>7.3} s");
        let mut result = serde_json::json!({
            "query": name, "from": from, "to": to, "groupBy": group_by, "station": station,
            "medianSeconds": median, "fastestSeconds": fastest, "ordersCreated": created,
        });
        if compare {
            let (old, old_fastest) = summary(&mut counted);
            line.push_str(&format!("   from orders median {old:>7.3} s   ×{:.1}", old / median));
            result["fromOrdersMedianSeconds"] = old.into();
            result["fromOrdersFastestSeconds"] = old_fastest.into();
        }
        println!("{line}   ({created} orders made)");
        results.push(result);
    }
    Ok(results)
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// The statistics' indexes, to measure without them.
const INDEXES: [&str; 4] =
    ["ix_orders_pile_created", "ix_orders_pile_completed", "ix_orders_pile_started", "ix_orders_pile_charging_ended"];

async fn bench(backend: &str, url: &str, plan: seed::Plan, runs: usize) -> anyhow::Result<serde_json::Value> {
    let store = Store::connect(&DatabaseSettings { url: url.to_owned(), max_connections: 4 }).await?;
    store.migrate().await?;
    let begun = Instant::now();
    seed::seed(store.db(), plan).await.context("seeding")?;
    println!("{backend}: {} orders seeded in {:.1} s", plan.orders, begun.elapsed().as_secs_f64());
    // Seeded around the store: the rollups are made from the orders, as the migration does.
    let begun = Instant::now();
    store.rebuild_stats().await.context("rolling up")?;
    csms::domain::stats::Stats::new(store.clone()).catch_up().await.context("rolling up")?;
    if store.db().get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // What autovacuum does after such a load (see `seed::seed`).
        store.db().execute_unprepared("VACUUM ANALYZE stats_days, stats_users").await?;
    }
    println!("{backend}: rolled up in {:.1} s", begun.elapsed().as_secs_f64());
    let with = measure(&store, runs).await?;
    let mut report = serde_json::json!({"backend": backend, "orders": plan.orders, "queries": with});
    if setting("BENCH_WITHOUT_INDEXES", 0)? == 1 {
        for index in INDEXES {
            store.db().execute_unprepared(&format!("DROP INDEX {index}")).await?;
        }
        println!("{backend}, without the statistics' indexes:");
        report["withoutIndexes"] = measure(&store, runs).await?.into();
    }
    Ok(report)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let plan = seed::Plan {
        stations: setting("BENCH_STATIONS", 200)?,
        users: setting("BENCH_USERS", 50_000)?,
        orders: setting("BENCH_ORDERS", 1_000_000)?,
        // A few hours back, so that every order has ended by now.
        end: Utc::now().timestamp() - 3 * 3600,
    };
    let runs = usize::try_from(setting("BENCH_RUNS", 3)?.max(1))?;
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    std::fs::create_dir_all(&out)?;
    let mut reports = Vec::new();
    for backend in backends.split(',').map(str::trim) {
        match backend {
            "sqlite" => {
                let file = out.join("stats.db");
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                let url = format!("sqlite://{}?mode=rwc", file.display());
                reports.push(bench(backend, &url, plan, runs).await?);
            }
            "postgres" => match fresh_postgres().await {
                Ok(url) => reports.push(bench(backend, &url, plan, runs).await?),
                Err(e) => println!("postgres: left out ({e:#})"),
            },
            other => anyhow::bail!("BENCH_BACKENDS: {other:?} is neither sqlite nor postgres"),
        }
    }
    std::fs::write(out.join("stats.json"), serde_json::to_string_pretty(&reports)?)?;
    println!("written to {}", out.join("stats.json").display());
    Ok(())
}

/// A database `csms_bench_stats` made afresh on the server of `BENCH_POSTGRES_URL`; its URL.
async fn fresh_postgres() -> anyhow::Result<String> {
    let admin =
        std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = sea_orm::Database::connect(&admin).await.context("connecting")?;
    db.execute_unprepared("DROP DATABASE IF EXISTS csms_bench_stats WITH (FORCE)").await?;
    db.execute_unprepared("CREATE DATABASE csms_bench_stats").await?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
    // Loopback: no TLS (see scripts/bench).
    Ok(format!("{base}/csms_bench_stats?sslmode=disable"))
}
