//! Transactions: authorise, start, meter values, stop — stored exactly, repeat-safe, and
//! forgiving of what chargers really send (repeats, stale sessions, unknown stops).

use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use csms::domain::units::Wh;
use protocol::{OcppVersion, v16};
use rust_decimal::Decimal;
use simulators::{Connect, SimCharger};

async fn accepted_charger(app: &TestApp, id: &str) -> SimCharger {
    app.register(id, None).await;
    SimCharger::connect(Connect::new(&app.ws_url, id, OcppVersion::V16)).await.unwrap()
}

fn start(connector_id: i32, id_tag: &str, meter_start: i64, at: chrono::DateTime<Utc>) -> v16::StartTransactionRequest {
    v16::StartTransactionRequest {
        connector_id,
        id_tag: id_tag.into(),
        meter_start,
        reservation_id: None,
        timestamp: at,
    }
}

fn stop(transaction_id: i32, meter_stop: i64) -> v16::StopTransactionRequest {
    v16::StopTransactionRequest {
        id_tag: None,
        meter_stop,
        timestamp: Utc::now(),
        transaction_id,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    }
}

pub(crate) fn sampled(measurand: v16::Measurand, unit: v16::UnitOfMeasure, value: &str) -> v16::SampledValue {
    v16::SampledValue {
        value: value.into(),
        context: Some(v16::ReadingContext::SamplePeriodic),
        format: None,
        measurand: Some(measurand),
        phase: None,
        location: None,
        unit: Some(unit),
    }
}

#[tokio::test]
async fn a_full_16_session_is_stored_with_its_energy_and_normalised_samples() {
    let app = spawn_app().await;
    app.store.create_id_tag("04A1B2C3", "Accepted", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-TX").await;

    let auth = cp.call(v16::AuthorizeRequest { id_tag: "04A1B2C3".into() }).await.unwrap();
    assert_eq!(auth.id_tag_info.status, v16::AuthorizationStatus::Accepted);
    let started = cp.call(start(1, "04A1B2C3", 1000, Utc::now())).await.unwrap();
    assert_eq!(started.id_tag_info.status, v16::AuthorizationStatus::Accepted);
    let tx = started.transaction_id;

    cp.call(v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(tx),
        meter_value: vec![v16::MeterValue {
            timestamp: Utc::now(),
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::KWh, "6.2005"),
                sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::KW, "7.36"),
                sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, "231.2"),
            ],
        }],
    })
    .await
    .unwrap();
    cp.call(stop(tx, 12345)).await.unwrap();

    let (stored, samples) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    assert_eq!(stored.status, "Completed");
    assert_eq!(
        (stored.meter_start_wh.map(Wh::get), stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)),
        (Some(1000), Some(12345), Some(11345))
    );
    assert_eq!(stored.stop_reason.as_deref(), Some("Local"));
    assert_eq!(stored.id_tag.as_deref(), Some("04A1B2C3"));
    let values: Vec<(&str, &str, &str)> =
        samples.iter().map(|s| (s.measurand.as_str(), s.unit.as_str(), s.value.as_str())).collect();
    assert_eq!(
        values,
        [
            ("Energy.Active.Import.Register", "Wh", "6200.5"),
            ("Power.Active.Import", "W", "7360"),
            ("Voltage", "V", "231.2")
        ]
    );
    // Exact on every database: no REAL on the way.
    assert_eq!(samples[0].value.parse::<Decimal>().unwrap(), Decimal::new(62005, 1));
    app.stop().await;
}

#[tokio::test]
async fn the_charger_shows_its_connectors_live_readings_and_the_transaction_in_progress() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-LIVE", "Accepted", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-LIVE").await;
    let tx = cp.call(start(2, "TAG-LIVE", 1000, Utc::now())).await.unwrap().transaction_id;
    let meter_values = |at, energy: &str, power: &str| v16::MeterValuesRequest {
        connector_id: 2,
        transaction_id: Some(tx),
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::KWh, energy),
                sampled(v16::Measurand::PowerActiveImport, v16::UnitOfMeasure::KW, power),
            ],
        }],
    };
    let now = Utc::now();
    cp.call(meter_values(now, "3.5", "7.2")).await.unwrap();
    // A reading older than the one held (sent late) does not replace it.
    cp.call(meter_values(now - Duration::minutes(5), "2.9", "6.1")).await.unwrap();

    let live_of = |body: &serde_json::Value| {
        let live = &body["live"][0];
        let values: Vec<(String, String, String)> = live["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v["measurand"].to_string(), v["unit"].to_string(), v["value"].to_string()))
            .collect();
        (live["connectorId"].as_i64(), live["transactionId"].as_i64(), values)
    };
    let (status, body) = app.operator("GET", "/api/v1/chargers/CP-LIVE", None).await;
    assert_eq!(status, 200, "{body}");
    let expected = vec![
        (r#""Energy.Active.Import.Register""#.to_owned(), r#""Wh""#.to_owned(), r#""3500""#.to_owned()),
        (r#""Power.Active.Import""#.to_owned(), r#""W""#.to_owned(), r#""7200""#.to_owned()),
    ];
    assert_eq!(live_of(&body), (Some(2), Some(i64::from(tx)), expected.clone()), "{body}");

    cp.call(stop(tx, 4000)).await.unwrap();
    let (_, body) = app.operator("GET", "/api/v1/chargers/CP-LIVE", None).await;
    // The register keeps its reading; no power flows once the transaction has ended.
    let mut stopped = expected;
    stopped[1].2 = r#""0""#.to_owned();
    assert_eq!(live_of(&body), (Some(2), None, stopped), "stopped: nothing in progress; {body}");
    // The list stays light: no live state there.
    let (_, list) = app.operator("GET", "/api/v1/chargers", None).await;
    assert!(list["items"][0].get("live").is_none(), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn id_tags_are_answered_from_the_store_with_their_parents() {
    let app = spawn_app().await;
    let past = Utc::now() - Duration::days(1);
    app.store.create_id_tag("FLEET-BLOCKED", "Blocked", None, None).await.unwrap();
    app.store.create_id_tag("MEMBER", "Accepted", None, Some("FLEET-BLOCKED".into())).await.unwrap();
    app.store.create_id_tag("OLD", "Accepted", Some(past), None).await.unwrap();
    app.store.create_id_tag("BANNED", "Blocked", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-AUTH").await;
    for (tag, expected) in [
        ("NOBODY", v16::AuthorizationStatus::Invalid),
        ("BANNED", v16::AuthorizationStatus::Blocked),
        ("OLD", v16::AuthorizationStatus::Expired),
        ("MEMBER", v16::AuthorizationStatus::Blocked),
    ] {
        let answer = cp.call(v16::AuthorizeRequest { id_tag: tag.into() }).await.unwrap();
        assert_eq!(answer.id_tag_info.status, expected, "{tag}");
    }
    let member = cp.call(v16::AuthorizeRequest { id_tag: "MEMBER".into() }).await.unwrap();
    assert_eq!(member.id_tag_info.parent_id_tag.as_deref(), Some("FLEET-BLOCKED"));
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_start_returns_the_same_transaction_id() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-R", "Accepted", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-REPEAT").await;
    let at = Utc::now();
    let first = cp.call(start(1, "TAG-R", 500, at)).await.unwrap();
    let again = cp.call(start(1, "TAG-R", 500, at)).await.unwrap();
    assert_eq!(first.transaction_id, again.transaction_id);
    assert_eq!(app.store.transactions(Some("CP-REPEAT"), None, None).await.unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn an_id_tag_already_charging_elsewhere_is_concurrent_tx() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-C", "Accepted", None, None).await.unwrap();
    let mut one = accepted_charger(&app, "CP-ONE").await;
    let mut two = accepted_charger(&app, "CP-TWO").await;
    assert_eq!(
        one.call(start(1, "TAG-C", 0, Utc::now())).await.unwrap().id_tag_info.status,
        v16::AuthorizationStatus::Accepted
    );
    let second = two.call(start(1, "TAG-C", 0, Utc::now())).await.unwrap();
    assert_eq!(second.id_tag_info.status, v16::AuthorizationStatus::ConcurrentTx);
    // The charger started anyway: the transaction is recorded.
    assert_eq!(app.store.transactions(Some("CP-TWO"), None, None).await.unwrap().len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn a_start_on_a_busy_connector_closes_the_stale_transaction_at_its_last_reading() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-S", "Accepted", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-STALE").await;
    let old = cp.call(start(1, "TAG-S", 1000, Utc::now() - Duration::hours(2))).await.unwrap().transaction_id;
    let reading_at = Utc::now() - Duration::hours(1);
    cp.call(v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(old),
        meter_value: vec![v16::MeterValue {
            timestamp: reading_at,
            sampled_value: vec![sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, "4200")],
        }],
    })
    .await
    .unwrap();
    let new = cp.call(start(1, "TAG-S", 4300, Utc::now())).await.unwrap();
    assert_eq!(
        new.id_tag_info.status,
        v16::AuthorizationStatus::Accepted,
        "the stale session must not make it concurrent"
    );

    let (stale, _) = app.store.transaction(i64::from(old)).await.unwrap().unwrap();
    assert_eq!(stale.status, "Stale");
    assert_eq!((stale.meter_stop_wh.map(Wh::get), stale.energy_wh.map(Wh::get)), (Some(4200), Some(3200)));
    assert_eq!(stale.stopped_at.map(|t| t.timestamp()), Some(reading_at.timestamp()));
    let (fresh, _) = app.store.transaction(i64::from(new.transaction_id)).await.unwrap().unwrap();
    assert_eq!(fresh.status, "Active");

    // The charger's own stop of the old transaction, arriving late, replaces the guess.
    cp.call(stop(old, 4290)).await.unwrap();
    let (closed, _) = app.store.transaction(i64::from(old)).await.unwrap().unwrap();
    assert_eq!(closed.status, "Completed");
    assert_eq!(
        (closed.meter_stop_wh.map(Wh::get), closed.energy_wh.map(Wh::get), closed.stop_reason.as_deref()),
        (Some(4290), Some(3290), Some("Local"))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_repeated_stop_changes_nothing_and_a_stop_of_an_unknown_transaction_is_accepted_and_recorded() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-T", "Accepted", None, None).await.unwrap();
    let mut cp = accepted_charger(&app, "CP-STOPS").await;
    let tx = cp.call(start(2, "TAG-T", 100, Utc::now())).await.unwrap().transaction_id;
    cp.call(stop(tx, 900)).await.unwrap();
    cp.call(stop(tx, 99999)).await.unwrap();
    let (stored, _) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    assert_eq!((stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)), (Some(900), Some(800)));

    cp.call(stop(777_777, 5)).await.unwrap();
    let events = app.store.events("CP-STOPS").await.unwrap();
    let unknown = events.iter().find(|e| e.kind == "StopOfUnknownTransaction").expect("the unknown stop is recorded");
    assert_eq!(
        (unknown.payload["transactionId"].as_i64(), unknown.payload["meterStop"].as_i64()),
        (Some(777_777), Some(5))
    );
    assert_eq!(unknown.payload["reason"], "Local");
    app.stop().await;
}
