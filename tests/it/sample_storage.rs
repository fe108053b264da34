//! What a stored sample costs, indexes included, on the engine the suite runs on (SQLite, or
//! PostgreSQL when DATABASE_URL says so): at most 50 bytes with a usual reading of 5 measurands
//! from a fleet of chargers charging at once; and the trend reads a charger's readings through
//! the (charger, time) index. Prints its figures (`--nocapture`).

use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Duration, DurationRound, Utc};
use csms::domain::chargers::records::Registration;
use csms::domain::ids::ChargerId;
use csms::store::{NewCharger, Store};
use protocol::{OcppVersion, v16};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use simulators::{Connect, SimCharger};

/// Bytes of the tables and indexes that hold raw samples (rollups apart).
async fn sample_bytes(app: &TestApp) -> i64 {
    let db = app.store.db();
    let backend = db.get_database_backend();
    let sql = match backend {
        // The pages of each partition, its TOAST table and their indexes; not their free-space
        // and visibility maps, a fixed few pages per relation that appear when autovacuum first
        // visits it (which it may, or may not yet, in the middle of the test): not per sample.
        DatabaseBackend::Postgres => {
            "WITH r AS (SELECT relid FROM pg_partition_tree('meter_readings') WHERE isleaf \
               UNION ALL SELECT c.reltoastrelid FROM pg_class c \
               JOIN pg_partition_tree('meter_readings') t ON c.oid = t.relid \
               WHERE t.isleaf AND c.reltoastrelid <> 0) \
             SELECT CAST(COALESCE(SUM(pg_relation_size(r.relid) + \
               (SELECT COALESCE(SUM(pg_relation_size(i.indexrelid)), 0) FROM pg_index i \
                WHERE i.indrelid = r.relid)), 0) AS BIGINT) AS bytes FROM r"
        }
        // Pages as allocated (not vacuumed): what a database that only grows holds.
        _ => {
            "SELECT CAST(COALESCE(SUM(pgsize), 0) AS BIGINT) AS bytes FROM dbstat \
             WHERE name IN ('meter_readings', 'ux_meter_readings', 'ix_meter_readings_transaction')"
        }
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
    row.try_get("", "bytes").unwrap()
}

async fn rollup_bytes(app: &TestApp) -> i64 {
    let db = app.store.db();
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT pg_total_relation_size('sample_rollups') AS bytes",
        _ => {
            "SELECT CAST(SUM(pgsize) AS BIGINT) AS bytes FROM dbstat \
             WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'sample_rollups')"
        }
    };
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
    row.try_get("", "bytes").unwrap()
}

/// A usual reading: voltage, current, power, temperature and the energy register.
fn reading(transaction_id: i32, at: DateTime<Utc>, energy_wh: i64) -> v16::MeterValuesRequest {
    let energy = energy_wh.to_string();
    let sampled = [
        (v16::Measurand::Voltage, v16::UnitOfMeasure::V, "229.7"),
        (v16::Measurand::CurrentImport, v16::UnitOfMeasure::A, "31.84"),
        (v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, "7313.2"),
        (v16::Measurand::Temperature, v16::UnitOfMeasure::Celsius, "41.5"),
        (v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, energy.as_str()),
    ]
    .map(|(m, u, v)| crate::transactions::sampled(m, u, v));
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        meter_value: vec![v16::MeterValue { timestamp: at, sampled_value: sampled.to_vec() }],
    }
}

/// One charger's session: a reading a minute for `minutes` from `start`, then the stop.
async fn session(store: Store, ws_url: String, id: String, start: DateTime<Utc>, minutes: i64) {
    let charger = NewCharger {
        id: ChargerId::parse(id.as_str()).unwrap(),
        registration: Registration::Registered,
        password_hash: None,
    };
    store.create_charger(charger).await.unwrap();
    let tag = format!("TAG-{id}");
    store.create_id_tag(&tag, "Accepted", None, None).await.unwrap();
    let mut cp = SimCharger::connect(Connect::new(&ws_url, &id, OcppVersion::V16)).await.unwrap();
    let begin = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 1_000_000,
        reservation_id: None,
        timestamp: start,
    };
    let tx = cp.call(begin).await.unwrap().transaction_id;
    for minute in 1..=minutes {
        cp.call(reading(tx, start + Duration::minutes(minute), 1_000_000 + 120 * minute)).await.unwrap();
    }
    crate::business::stop_at(&mut cp, tx, 1_000_000 + 120 * (minutes + 1), start + Duration::minutes(minutes + 1))
        .await;
}

#[tokio::test]
async fn a_sample_takes_at_most_50_bytes_with_its_indexes_and_the_trend_reads_by_charger_and_time() {
    let app = spawn_app().await;
    let (chargers, minutes) = (12, 480);
    // Within this month's partition on PostgreSQL (made ahead), as a fleet's samples are.
    let start = (Utc::now() - Duration::minutes(minutes + 5)).duration_trunc(Duration::minutes(1)).unwrap();
    let empty = sample_bytes(&app).await;
    let sessions: Vec<_> = (0..chargers)
        .map(|n| {
            let id = format!("CP-COST-{n:05}");
            tokio::spawn(session(app.store.clone(), app.ws_url.clone(), id, start, minutes))
        })
        .collect();
    for s in sessions {
        s.await.unwrap();
    }
    let samples = chargers * minutes * 5;
    assert_eq!(app.store.stored_samples("CP-COST-00003").await.unwrap(), (minutes * 5) as u64);
    let bytes = sample_bytes(&app).await - empty;
    let per_sample = bytes as f64 / samples as f64;
    println!(
        "{samples} samples of {chargers} chargers: {bytes} bytes, {per_sample:.1} bytes per sample (indexes included)"
    );
    assert!(per_sample <= 50.0, "{per_sample:.1} bytes per sample");

    let backend = app.store.db().get_database_backend();
    app.store.db().execute_unprepared("ANALYZE").await.unwrap();
    let (from, to) = (start + Duration::hours(1), start + Duration::hours(2));
    let plan =
        app.store.sample_means_plan("CP-COST-00003", from, to, 300, &["Voltage", "Power.Active.Import"]).await.unwrap();
    println!("the trend's plan:\n{}", plan.join("\n"));
    let by_charger_and_time = match backend {
        DatabaseBackend::Postgres => "_charger_id_sampled_at_",
        _ => "USING INDEX ux_meter_readings (charger_id=? AND sampled_at>? AND sampled_at<?)",
    };
    assert!(plan.iter().any(|line| line.contains(by_charger_and_time)), "{plan:#?}");
    // PostgreSQL may scan `meter_samples` while it is empty (as here); SQLite's plan shows it.
    let whole = ["Seq Scan on meter_readings", "SCAN r", "SCAN meter_samples"];
    assert!(
        !plan.iter().any(|line| whole
            .iter()
            .any(|scan| line.trim_start().starts_with(scan) || line.contains(&format!("->  {scan}")))),
        "no table is read whole: {plan:#?}"
    );

    let before = rollup_bytes(&app).await;
    let cutoff = Utc::now().duration_trunc(Duration::hours(1)).unwrap();
    let done = app.store.roll_up_samples(cutoff, Utc::now() + Duration::days(1)).await.unwrap();
    assert!(done.deleted > 0, "{done:?}");
    let per_rollup = (rollup_bytes(&app).await - before) as f64 / done.rolled_up as f64;
    let tib = |bytes: f64| bytes / 2f64.powi(40);
    // 100,000 chargers sending 4 samples a minute, 90 days (the issue's yardstick).
    let fleet = per_sample * 4.0 * 60.0 * 24.0 * 90.0 * 100_000.0;
    println!("{} hourly rollup rows: {per_rollup:.0} bytes per row", done.rolled_up);
    println!("100,000 chargers, 4 samples a minute, 90 days raw: {:.2} TiB", tib(fleet));
    app.stop().await;
}
