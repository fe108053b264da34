//! Retention on a past month: on PostgreSQL the month's partition of `meter_readings` is rolled
//! up and dropped whole (not deleted row by row), the samples a bill was computed from are kept
//! (moved out first) and the trend over the month is the same before and after; on SQLite the
//! same outcome row by row.

use crate::business::{open_pile, tariff};
use crate::helpers::spawn_app;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use protocol::v16;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

async fn partitions(app: &crate::helpers::TestApp) -> Vec<String> {
    let sql = "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
               WHERE i.inhparent = 'meter_readings'::regclass ORDER BY 1";
    let rows = app.store.db().query_all_raw(Statement::from_string(DatabaseBackend::Postgres, sql)).await.unwrap();
    rows.iter().map(|r| r.try_get("", "name").unwrap()).collect()
}

#[tokio::test]
async fn retention_drops_a_past_month_whole_and_keeps_a_bills_evidence_and_the_trend() {
    let app = spawn_app().await;
    let postgres = app.store.db().get_database_backend() == DatabaseBackend::Postgres;
    let mut cp = open_pile(&app, "ST-PART", "PILE-PART", tariff()).await;
    let (token, user_id, tag) = crate::business::driver(&app, "13912349002").await;
    crate::business::adjust(&app, user_id, "100.00").await;
    // Five months ago: a month past `monitoring.retention_days` (90).
    let ago = Utc::now() - Duration::days(150);
    let month: DateTime<Utc> = Utc.with_ymd_and_hms(ago.year(), ago.month(), 1, 0, 0, 0).unwrap();
    let began = month + Duration::days(10);
    for minute in 0..120 {
        let volts = (220 + minute % 9).to_string();
        let sampled = crate::transactions::sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, &volts);
        let at = began + Duration::minutes(minute);
        let reading = v16::MeterValuesRequest {
            connector_id: 1,
            transaction_id: None,
            meter_value: vec![v16::MeterValue { timestamp: at, sampled_value: vec![sampled] }],
        };
        cp.call(reading).await.unwrap();
    }
    // A billed session in that month: its order is recent, its samples a bill's evidence.
    let ask = serde_json::json!({"pileCode": "PILE-PART", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    crate::orders::act(&app, &mut cp, &token, &no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: began + Duration::hours(3),
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    cp.call(crate::business::energy_at(tx, 2_000, began + Duration::hours(3) + Duration::minutes(30))).await.unwrap();
    crate::business::stop_at(&mut cp, tx, 4_000, began + Duration::hours(4)).await;
    crate::business::order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;

    let name = format!("meter_readings_{}", month.format("%Y%m"));
    if postgres {
        assert!(!partitions(&app).await.contains(&name), "no partition of a past month yet");
        // The month's partition made as it would have been ahead: its rows move in from the
        // default partition.
        assert_eq!(app.store.make_partitions(began).await.unwrap(), 3);
        let count = format!("SELECT COUNT(*) AS n FROM {name}");
        let row = app.store.db().query_one_raw(Statement::from_string(DatabaseBackend::Postgres, count)).await;
        assert_eq!(row.unwrap().unwrap().try_get::<i64>("", "n").unwrap(), 121, "120 readings and the session's one");
    }
    let from = began.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (began + Duration::hours(2)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = format!("/api/v1/chargers/PILE-PART/trend?from={from}&to={to}&bucket=1h");
    let (status, before) = app.operator("GET", &path, None).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["points"].as_array().map(Vec::len), Some(2), "{before}");

    let cutoff = csms::domain::monitoring::retention_cutoff(Utc::now(), 90);
    let done = app.store.roll_up_samples(cutoff, Utc::now() - Duration::days(730)).await.unwrap();
    assert_eq!(done.deleted, 120, "the month's samples but the bill's evidence: {done:?}");
    if postgres {
        assert!(done.partitions >= 1, "{done:?}");
        assert!(!partitions(&app).await.contains(&name), "the month's partition is dropped");
    }
    let (_, after) = app.operator("GET", &path, None).await;
    assert_eq!(after["points"], before["points"], "the trend over the month is the same, from its rollups");
    let (_, samples) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    assert_eq!(samples.len(), 1, "the bill's evidence is kept");
    assert_eq!(app.store.stored_samples("PILE-PART").await.unwrap(), 1);
    app.stop().await;
}
