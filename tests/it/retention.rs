//! Samples past their retention are rolled up per hour and deleted; the trend over those hours
//! stays what it was, a second round changes nothing, and samples of a transaction in progress
//! are kept. What stored samples cost: `sample_storage`.

use crate::business::{open_pile, tariff};
use crate::helpers::spawn_app;
use chrono::{DateTime, Duration, TimeZone, Utc};
use protocol::v16;
use serde_json::Value;

fn reading(
    at: DateTime<Utc>,
    measurand: v16::Measurand,
    unit: v16::UnitOfMeasure,
    value: &str,
) -> v16::MeterValuesRequest {
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: None,
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![crate::transactions::sampled(measurand, unit, value)],
        }],
    }
}

#[tokio::test]
async fn old_samples_are_rolled_up_per_hour_and_the_trend_over_them_does_not_change() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-RET", "PILE-RET", tariff()).await;
    let old = Utc.with_ymd_and_hms(2026, 6, 1, 10, 0, 0).unwrap();
    let mut volts = Vec::new();
    for minute in 0..90 {
        let v = 220 + (minute % 7);
        volts.push(v);
        let at = old + Duration::minutes(minute);
        cp.call(reading(at, v16::Measurand::Voltage, v16::UnitOfMeasure::V, &v.to_string())).await.unwrap();
    }
    let recent = Utc::now() - Duration::minutes(5);
    cp.call(reading(recent, v16::Measurand::Voltage, v16::UnitOfMeasure::V, "231")).await.unwrap();
    let path = "/api/v1/chargers/PILE-RET/trend?from=2026-06-01T10:00:00Z&to=2026-06-01T12:00:00Z&bucket=1h";
    let (status, before) = app.operator("GET", path, None).await;
    assert_eq!(status, 200, "{before}");
    let mean = |vs: &[i64]| vs.iter().sum::<i64>() as f64 / vs.len() as f64;
    let hourly: Vec<Value> = before["points"].as_array().unwrap().iter().map(|p| p["voltage"].clone()).collect();
    assert_eq!(hourly, [serde_json::json!(mean(&volts[..60])), serde_json::json!(mean(&volts[60..]))]);

    let cutoff = csms::domain::monitoring::retention_cutoff(Utc::now(), 90);
    let done = app.store.roll_up_samples(cutoff, cutoff).await.unwrap();
    assert_eq!((done.rolled_up, done.deleted), (2, 90), "two hours rolled up, the old samples gone");
    let (_, after) = app.operator("GET", path, None).await;
    assert_eq!(after["points"], before["points"], "the trend over rolled-up hours is the same");
    let again = app.store.roll_up_samples(cutoff, cutoff).await.unwrap();
    assert_eq!((again.rolled_up, again.deleted), (0, 0));
    let (_, after) = app.operator("GET", path, None).await;
    assert_eq!(after["points"], before["points"]);
    let (_, live) = app
        .operator(
            "GET",
            &format!(
                "/api/v1/chargers/PILE-RET/trend?from={}&to={}&bucket=1h",
                (recent - Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                (recent + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None,
        )
        .await;
    assert_eq!(live["points"].as_array().map(Vec::len), Some(1), "recent samples are kept: {live}");
    app.stop().await;
}

#[tokio::test]
async fn samples_of_a_transaction_in_progress_are_kept_until_it_ends() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-RET-TX", "PILE-RET-TX", tariff()).await;
    app.store.create_id_tag("TAG-RET-TX", "Accepted", None, None).await.unwrap();
    let cutoff = csms::domain::monitoring::retention_cutoff(Utc::now(), 90);
    // A session begun three hours before the cutoff, still in progress (its charger was offline).
    let began = cutoff - Duration::hours(3);
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-RET-TX".into(),
        meter_start: 10_000,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    for minute in 1..=30 {
        let mut reading = crate::business::energy_at(tx, 10_000 + 120 * minute, began + Duration::minutes(minute));
        let power = crate::transactions::sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::W, "7200");
        reading.meter_value[0].sampled_value.push(power);
        cp.call(reading).await.unwrap();
    }
    let stored = |app: &crate::helpers::TestApp| {
        let store = app.store.clone();
        async move { store.transaction(i64::from(tx)).await.unwrap().unwrap().1.len() }
    };
    let held = stored(&app).await;
    assert!(held >= 60, "the session's samples are stored: {held}");
    let from = began.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let to = (began + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let path = format!("/api/v1/chargers/PILE-RET-TX/trend?from={from}&to={to}&bucket=1h");
    let (status, before) = app.operator("GET", &path, None).await;
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["points"][0]["power"], serde_json::json!(7200.0), "{before}");

    let done = app.store.roll_up_samples(cutoff, cutoff).await.unwrap();
    assert_eq!((done.rolled_up, done.deleted), (0, 0), "a session in progress keeps its samples");
    assert_eq!(stored(&app).await, held);
    let (_, kept) = app.operator("GET", &path, None).await;
    assert_eq!(kept["points"], before["points"]);

    let stop = v16::StopTransactionRequest {
        id_tag: None,
        meter_stop: 10_000 + 120 * 40,
        timestamp: began + Duration::minutes(40),
        transaction_id: tx,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    };
    cp.call(stop).await.unwrap();
    let done = app.store.roll_up_samples(cutoff, cutoff).await.unwrap();
    assert!(done.deleted >= 60, "once it ended, its old samples are rolled up: {done:?}");
    let (_, after) = app.operator("GET", &path, None).await;
    assert_eq!(after["points"], before["points"], "the trend over them is the same");
    app.stop().await;
}

#[tokio::test]
async fn the_samples_a_bill_was_computed_from_are_kept_while_it_can_be_disputed() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-EVI", "PILE-EVI", tariff()).await;
    let (token, user_id, tag) = crate::business::driver(&app, "13912349001").await;
    crate::business::adjust(&app, user_id, "100.00").await;
    let ask = serde_json::json!({"pileCode": "PILE-EVI", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    // A session stamped before monitoring's retention (a charger that kept it offline).
    let cutoff = csms::domain::monitoring::retention_cutoff(Utc::now(), 90);
    let began = cutoff - Duration::hours(3);
    crate::orders::act(&app, &mut cp, &token, &no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: None,
        timestamp: began,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    cp.call(crate::business::energy_at(tx, 2_000, began + Duration::minutes(30))).await.unwrap();
    crate::business::stop_at(&mut cp, tx, 4_000, began + Duration::hours(1)).await;
    crate::business::order_when(&app, &token, &no, |o| o["status"] == "COMPLETED").await;
    let samples = || async { app.store.transaction(i64::from(tx)).await.unwrap().unwrap().1.len() };
    assert_eq!(samples().await, 1);

    // Within orders.evidence_days of the order the samples stay; past it they are rolled up.
    let evidence_since = Utc::now() - Duration::days(730);
    let done = app.store.roll_up_samples(cutoff, evidence_since).await.unwrap();
    assert_eq!((done.deleted, samples().await), (0, 1), "{done:?}");
    let done = app.store.roll_up_samples(cutoff, Utc::now() + Duration::days(1)).await.unwrap();
    assert_eq!((done.deleted, samples().await), (1, 0), "{done:?}");
    app.stop().await;
}
