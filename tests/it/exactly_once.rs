//! Every sample stored exactly once, and one tag in one transaction at a time: a MeterValues a
//! charger resends because it lost the answer changes nothing, and two chargers starting with
//! one tag at the same instant are not both accepted (the check and the insert are one step).

use crate::helpers::{TestApp, spawn_app};
use crate::transactions_201 as ocpp201;
use chrono::Utc;
use protocol::{OcppVersion, v16, v201};
use simulators::{Connect, SimCharger};
use std::sync::Arc;

async fn charger(app: &TestApp, id: &str, version: OcppVersion) -> SimCharger {
    app.register(id, None).await;
    SimCharger::connect(Connect::new(&app.ws_url, id, version)).await.unwrap()
}

async fn stored_samples(app: &TestApp, charger_id: &str) -> u64 {
    app.store.stored_samples(charger_id).await.unwrap()
}

fn v16_values(transaction_id: Option<i32>, at: chrono::DateTime<Utc>) -> v16::MeterValuesRequest {
    let sampled = |measurand, unit, value: &str, phase| v16::SampledValue {
        value: value.into(),
        context: Some(v16::ReadingContext::SamplePeriodic),
        format: None,
        measurand: Some(measurand),
        phase,
        location: None,
        unit: Some(unit),
    };
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id,
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![
                sampled(v16::Measurand::EnergyActiveImportRegister, v16::UnitOfMeasure::Wh, "1520", None),
                sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, "231.2", Some(v16::Phase::L1)),
                sampled(v16::Measurand::Voltage, v16::UnitOfMeasure::V, "229.8", Some(v16::Phase::L2)),
                sampled(v16::Measurand::CurrentImport, v16::UnitOfMeasure::A, "16", None),
            ],
        }],
    }
}

#[tokio::test]
async fn a_16_meter_values_resent_after_a_lost_answer_is_stored_once() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-ONCE", "Accepted", None, None).await.unwrap();
    let mut cp = charger(&app, "CP-ONCE", OcppVersion::V16).await;
    let at = Utc::now();
    // Outside a transaction, then inside one: each sent twice, as a charger does when the
    // CALLRESULT never reached it.
    cp.call(v16_values(None, at)).await.unwrap();
    cp.call(v16_values(None, at)).await.unwrap();
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-ONCE".into(),
        meter_start: 1000,
        reservation_id: None,
        timestamp: at,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    cp.call(v16_values(Some(tx), at)).await.unwrap();
    cp.call(v16_values(Some(tx), at)).await.unwrap();

    assert_eq!(stored_samples(&app, "CP-ONCE").await, 8, "four samples outside and four inside the transaction");
    let (_, samples) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    assert_eq!(samples.len(), 4);
    // A new reading (a later time) is stored, of course.
    cp.call(v16_values(Some(tx), at + chrono::Duration::seconds(60))).await.unwrap();
    assert_eq!(stored_samples(&app, "CP-ONCE").await, 12);
    app.stop().await;
}

#[tokio::test]
async fn a_201_meter_values_and_a_transaction_event_resent_are_stored_once() {
    let app = spawn_app().await;
    app.store.create_id_tag("TOKEN-201", "Accepted", None, None).await.unwrap();
    let mut cp = charger(&app, "CS-ONCE", OcppVersion::V201).await;
    let at = Utc::now();
    let started = ocpp201::event(v201::TransactionEventEnumType::Started, 0, at, Some(("1000", "Wh")));
    cp.call(started.clone()).await.unwrap();
    cp.call(started).await.unwrap();
    let values = v201::MeterValuesRequest {
        custom_data: None,
        evse_id: 1,
        meter_value: vec![v201::MeterValueType {
            custom_data: None,
            sampled_value: vec![v201::SampledValueType {
                custom_data: None,
                value: "231.5".parse().unwrap(),
                context: None,
                measurand: Some(v201::MeasurandEnumType::Voltage),
                phase: None,
                location: None,
                signed_meter_value: None,
                unit_of_measure: None,
            }],
            timestamp: at,
        }],
    };
    cp.call(values.clone()).await.unwrap();
    cp.call(values).await.unwrap();
    assert_eq!(stored_samples(&app, "CS-ONCE").await, 2);
    app.stop().await;
}

/// Pairs of chargers, each pair starting with one tag of its own, all at the same instant.
const PAIRS: usize = 12;

/// Connects `PAIRS` pairs of chargers of `version`, each pair with a tag `RACE-{pair}`, lets
/// every charger `start` at once (after a barrier), and checks that one of each pair was
/// accepted; `start` answers whether it was.
async fn race<F, Fut>(app: &TestApp, version: OcppVersion, start: F)
where
    F: Fn(SimCharger, String) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let mut chargers = Vec::new();
    for pair in 0..PAIRS {
        app.store.create_id_tag(&format!("RACE-{pair}"), "Accepted", None, None).await.unwrap();
        for side in ["A", "B"] {
            chargers.push((pair, charger(app, &format!("CP-RACE-{pair}-{side}"), version).await));
        }
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(chargers.len()));
    let racing = chargers.into_iter().map(|(pair, cp)| {
        let (barrier, start) = (barrier.clone(), start.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            (pair, start(cp, format!("RACE-{pair}")).await)
        })
    });
    let outcomes: Vec<(usize, bool)> =
        futures_util::future::join_all(racing).await.into_iter().map(Result::unwrap).collect();
    for pair in 0..PAIRS {
        let accepted = outcomes.iter().filter(|(p, accepted)| *p == pair && *accepted).count();
        assert_eq!(accepted, 1, "tag RACE-{pair}: {outcomes:?}");
    }
}

#[tokio::test]
async fn two_16_chargers_starting_with_one_tag_at_the_same_instant_are_not_both_accepted() {
    let app = spawn_app().await;
    race(&app, OcppVersion::V16, |mut cp: SimCharger, tag: String| async move {
        let start = v16::StartTransactionRequest {
            connector_id: 1,
            id_tag: tag,
            meter_start: 0,
            reservation_id: None,
            timestamp: Utc::now(),
        };
        cp.call(start).await.unwrap().id_tag_info.status == v16::AuthorizationStatus::Accepted
    })
    .await;
    // Both chargers started anyway: both transactions are recorded.
    assert_eq!(app.store.transactions(None, None, None).await.unwrap().len(), PAIRS * 2);
    app.stop().await;
}

#[tokio::test]
async fn two_201_chargers_starting_with_one_token_at_the_same_instant_are_not_both_accepted() {
    let app = spawn_app().await;
    race(&app, OcppVersion::V201, |mut cp: SimCharger, tag: String| async move {
        let mut started = ocpp201::event(v201::TransactionEventEnumType::Started, 0, Utc::now(), None);
        started.id_token.as_mut().unwrap().id_token = tag;
        let answer = cp.call(started).await.unwrap();
        answer.id_token_info.unwrap().status == v201::AuthorizationStatusEnumType::Accepted
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn a_reading_sent_in_two_frames_keeps_both_parts_and_a_resent_part_changes_nothing() {
    let app = spawn_app().await;
    app.store.create_id_tag("TAG-PARTS", "Accepted", None, None).await.unwrap();
    let mut cp = charger(&app, "CP-PARTS", OcppVersion::V16).await;
    let at = Utc::now();
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: "TAG-PARTS".into(),
        meter_start: 1000,
        reservation_id: None,
        timestamp: at,
    };
    let tx = cp.call(start).await.unwrap().transaction_id;
    let whole = v16_values(Some(tx), at);
    let part = |range: std::ops::Range<usize>| {
        let mut part = whole.clone();
        part.meter_value[0].sampled_value = whole.meter_value[0].sampled_value[range].to_vec();
        part
    };
    cp.call(part(0..2)).await.unwrap();
    cp.call(part(2..4)).await.unwrap();
    // The first part again, with another value for the register: the stored one stays.
    let mut changed = part(0..2);
    changed.meter_value[0].sampled_value[0].value = "9999".into();
    cp.call(changed).await.unwrap();
    cp.call(part(1..3)).await.unwrap();
    let (_, samples) = app.store.transaction(i64::from(tx)).await.unwrap().unwrap();
    let mut got: Vec<(String, Option<String>, String)> =
        samples.into_iter().map(|s| (s.measurand, s.phase, s.value)).collect();
    got.sort();
    let expected = [
        ("Current.Import", None, "16"),
        ("Energy.Active.Import.Register", None, "1520"),
        ("Voltage", Some("L1"), "231.2"),
        ("Voltage", Some("L2"), "229.8"),
    ]
    .map(|(m, p, v)| (m.to_owned(), p.map(str::to_owned), v.to_owned()));
    assert_eq!(got, expected);
    assert_eq!(stored_samples(&app, "CP-PARTS").await, 4);
    app.stop().await;
}
