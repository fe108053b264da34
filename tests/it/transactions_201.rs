//! OCPP 2.0.1 transactions: TransactionEvents started, updated and ended, replayed out of order,
//! carrying the whole session's readings, and the token's verdict (ConcurrentTx elsewhere).

use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use csms::domain::units::Wh;
use protocol::{OcppVersion, v201};
use simulators::{Connect, SimCharger};

pub(crate) fn event(
    kind: v201::TransactionEventEnumType,
    seq_no: i32,
    at: chrono::DateTime<Utc>,
    energy: Option<(&str, &str)>,
) -> v201::TransactionEventRequest {
    v201::TransactionEventRequest {
        custom_data: None,
        event_type: kind,
        meter_value: energy.map(|(value, unit)| {
            vec![v201::MeterValueType {
                custom_data: None,
                sampled_value: vec![v201::SampledValueType {
                    custom_data: None,
                    value: value.parse().unwrap(),
                    context: None,
                    measurand: Some(v201::MeasurandEnumType::EnergyActiveImportRegister),
                    phase: None,
                    location: None,
                    signed_meter_value: None,
                    unit_of_measure: Some(v201::UnitOfMeasureType {
                        custom_data: None,
                        unit: Some(unit.into()),
                        multiplier: None,
                    }),
                }],
                timestamp: at,
            }]
        }),
        timestamp: at,
        trigger_reason: v201::TriggerReasonEnumType::MeterValuePeriodic,
        seq_no,
        offline: None,
        number_of_phases_used: None,
        cable_max_current: None,
        reservation_id: None,
        transaction_info: v201::TransactionType {
            custom_data: None,
            transaction_id: "TX-201-0001".into(),
            charging_state: None,
            time_spent_charging: None,
            stopped_reason: (kind == v201::TransactionEventEnumType::Ended)
                .then_some(v201::ReasonEnumType::EVDisconnected),
            remote_start_id: None,
        },
        evse: Some(v201::EVSEType { custom_data: None, id: 1, connector_id: Some(1) }),
        id_token: Some(v201::IdTokenType {
            custom_data: None,
            additional_info: None,
            id_token: "TOKEN-201".into(),
            r#type: v201::IdTokenEnumType::ISO14443,
        }),
    }
}

async fn charger(app: &TestApp, id: &str) -> SimCharger {
    app.register(id, None).await;
    app.store.create_id_tag("TOKEN-201", "Accepted", None, None).await.unwrap();
    SimCharger::connect(Connect::new(&app.ws_url, id, OcppVersion::V201)).await.unwrap()
}

#[tokio::test]
async fn a_201_session_started_updated_and_ended_is_stored_with_its_energy() {
    use v201::TransactionEventEnumType::{Ended, Started, Updated};
    let app = spawn_app().await;
    let mut cs = charger(&app, "CS-TX").await;
    let t0 = Utc::now() - Duration::minutes(30);
    let answer = cs.call(event(Started, 0, t0, Some(("1000", "Wh")))).await.unwrap();
    assert_eq!(answer.id_token_info.unwrap().status, v201::AuthorizationStatusEnumType::Accepted);
    cs.call(event(Updated, 1, t0 + Duration::minutes(10), Some(("5.5", "kWh")))).await.unwrap();
    let ended = event(Ended, 2, t0 + Duration::minutes(20), Some(("12000", "Wh")));
    cs.call(ended.clone()).await.unwrap();
    // The same Ended resent (its answer lost) is applied once: no second copy of its samples.
    cs.call(ended).await.unwrap();
    // Another Ended changes nothing of the closed transaction (its readings are kept).
    cs.call(event(Ended, 3, t0 + Duration::minutes(25), Some(("99999", "Wh")))).await.unwrap();

    let stored = &app.store.transactions(Some("CS-TX"), None, None).await.unwrap()[0];
    assert_eq!(stored.charger_transaction_id.as_deref(), Some("TX-201-0001"));
    assert_eq!((stored.status.as_str(), stored.evse_id, stored.connector_id), ("Completed", 1, 1));
    assert_eq!(
        (stored.meter_start_wh.map(Wh::get), stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)),
        (Some(1000), Some(12000), Some(11000))
    );
    assert_eq!(stored.stop_reason.as_deref(), Some("EVDisconnected"));
    assert_eq!(stored.last_seq_no, Some(3));
    assert!(!stored.offline);
    let (_, samples) = app.store.transaction(stored.id).await.unwrap().unwrap();
    let values: Vec<&str> = samples.iter().map(|s| s.value.as_str()).collect();
    assert_eq!(values, ["1000", "5500", "12000", "99999"]);
    app.stop().await;
}

#[tokio::test]
async fn events_replayed_out_of_order_by_an_offline_charger_are_applied_correctly() {
    use v201::TransactionEventEnumType::{Ended, Started, Updated};
    let app = spawn_app().await;
    let mut cs = charger(&app, "CS-OFFLINE").await;
    let t0 = Utc::now() - Duration::hours(3);
    let offline = |mut e: v201::TransactionEventRequest| {
        e.offline = Some(true);
        e
    };
    cs.call(event(Ended, 2, t0 + Duration::hours(2), Some(("9000", "Wh")))).await.unwrap();
    cs.call(offline(event(Updated, 1, t0 + Duration::hours(1), Some(("5000", "Wh"))))).await.unwrap();
    cs.call(offline(event(Started, 0, t0, Some(("2000", "Wh"))))).await.unwrap();

    let stored = &app.store.transactions(Some("CS-OFFLINE"), None, None).await.unwrap()[0];
    assert_eq!(stored.status, "Completed", "a late Updated or Started does not reopen it");
    assert_eq!(stored.started_at.timestamp(), t0.timestamp());
    assert_eq!(stored.stopped_at.map(|t| t.timestamp()), Some((t0 + Duration::hours(2)).timestamp()));
    assert_eq!(
        (stored.meter_start_wh.map(Wh::get), stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)),
        (Some(2000), Some(9000), Some(7000))
    );
    assert_eq!(stored.last_seq_no, Some(2));
    assert!(stored.offline, "events sent offline mark the transaction");
    // The live state keeps the newest reading, not the last to arrive, and nothing in progress.
    let (_, body) = app.operator("GET", "/api/v1/chargers/CS-OFFLINE", None).await;
    let live = &body["live"][0];
    assert_eq!((live["evseId"].as_i64(), live["connectorId"].as_i64()), (Some(1), Some(1)), "{body}");
    assert!(live["transactionId"].is_null(), "{body}");
    assert_eq!(live["values"][0]["value"], "9000", "{body}");
    app.stop().await;
}

fn reading(value: &str, at: chrono::DateTime<Utc>, context: v201::ReadingContextEnumType) -> v201::MeterValueType {
    let mut sampled =
        event(v201::TransactionEventEnumType::Updated, 0, at, Some((value, "Wh"))).meter_value.unwrap().remove(0);
    sampled.sampled_value[0].context = Some(context);
    sampled
}

#[tokio::test]
async fn an_ended_event_carrying_the_whole_sessions_readings_stops_at_the_end_reading() {
    use v201::ReadingContextEnumType::{SamplePeriodic, TransactionBegin, TransactionEnd};
    use v201::TransactionEventEnumType::{Ended, Started};
    let app = spawn_app().await;
    let mut cs = charger(&app, "CS-WHOLE").await;
    let t0 = Utc::now() - Duration::hours(1);
    cs.call(event(Started, 0, t0, Some(("1000", "Wh")))).await.unwrap();
    let mut ended = event(Ended, 1, t0 + Duration::minutes(50), None);
    let mut per_phase = reading("3000", t0 + Duration::minutes(50), SamplePeriodic);
    per_phase.sampled_value[0].phase = Some(v201::PhaseEnumType::L1);
    let mut vehicle = reading("70000", t0 + Duration::minutes(50), SamplePeriodic);
    vehicle.sampled_value[0].location = Some(v201::LocationEnumType::EV);
    // Oldest first, the end reading in the middle: chosen by its context, not its place.
    ended.meter_value = Some(vec![
        reading("1000", t0, TransactionBegin),
        reading("9000", t0 + Duration::minutes(50), TransactionEnd),
        reading("5000", t0 + Duration::minutes(25), SamplePeriodic),
        per_phase,
        vehicle,
    ]);
    ended.evse = None;
    cs.call(ended).await.unwrap();

    let stored = &app.store.transactions(Some("CS-WHOLE"), None, None).await.unwrap()[0];
    assert_eq!(
        (stored.meter_start_wh.map(Wh::get), stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)),
        (Some(1000), Some(9000), Some(8000))
    );
    let (_, samples) = app.store.transaction(stored.id).await.unwrap().unwrap();
    assert_eq!(samples.len(), 6);
    // An event without `evse` keeps its samples on the transaction's connector.
    assert!(samples.iter().all(|s| (s.evse_id, s.connector_id) == (1, 1)), "{samples:?}");
    app.stop().await;
}

#[tokio::test]
async fn an_ended_event_of_a_start_without_reading_measures_from_the_earliest_stored_one() {
    use v201::ReadingContextEnumType::TransactionEnd;
    use v201::TransactionEventEnumType::{Ended, Started, Updated};
    let app = spawn_app().await;
    let mut cs = charger(&app, "CS-NOSTART").await;
    let t0 = Utc::now() - Duration::hours(1);
    cs.call(event(Started, 0, t0, None)).await.unwrap();
    cs.call(event(Updated, 1, t0 + Duration::minutes(10), Some(("100", "Wh")))).await.unwrap();
    cs.call(event(Updated, 2, t0 + Duration::minutes(20), Some(("200", "Wh")))).await.unwrap();
    let mut ended = event(Ended, 3, t0 + Duration::minutes(30), None);
    ended.meter_value = Some(vec![reading("300", t0 + Duration::minutes(30), TransactionEnd)]);
    cs.call(ended).await.unwrap();
    let stored = &app.store.transactions(Some("CS-NOSTART"), None, None).await.unwrap()[0];
    assert_eq!(
        (stored.meter_start_wh.map(Wh::get), stored.meter_stop_wh.map(Wh::get), stored.energy_wh.map(Wh::get)),
        (Some(100), Some(300), Some(200))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_201_start_with_a_token_charging_elsewhere_is_concurrent_tx() {
    use v201::TransactionEventEnumType::Started;
    let app = spawn_app().await;
    let mut one = charger(&app, "CS-ONE").await;
    app.register("CS-TWO", None).await;
    let mut two = SimCharger::connect(Connect::new(&app.ws_url, "CS-TWO", OcppVersion::V201)).await.unwrap();
    let first = one.call(event(Started, 0, Utc::now(), None)).await.unwrap();
    assert_eq!(first.id_token_info.unwrap().status, v201::AuthorizationStatusEnumType::Accepted);
    // The same start again (a resend) is not concurrent with itself, even when it named no
    // connector and a later event filled it in.
    let mut vague = event(Started, 0, Utc::now(), None);
    vague.transaction_info.transaction_id = "TX-VAGUE".into();
    vague.id_token.as_mut().unwrap().id_token = "TOKEN-VAGUE".into();
    vague.evse = Some(v201::EVSEType { custom_data: None, id: 2, connector_id: None });
    app.store.create_id_tag("TOKEN-VAGUE", "Accepted", None, None).await.unwrap();
    one.call(vague.clone()).await.unwrap();
    let mut placed = event(v201::TransactionEventEnumType::Updated, 1, Utc::now(), None);
    placed.transaction_info.transaction_id = "TX-VAGUE".into();
    placed.id_token = None;
    placed.evse = Some(v201::EVSEType { custom_data: None, id: 2, connector_id: Some(1) });
    one.call(placed).await.unwrap();
    let repeated = one.call(vague).await.unwrap();
    assert_eq!(repeated.id_token_info.unwrap().status, v201::AuthorizationStatusEnumType::Accepted);
    let mut elsewhere = event(Started, 0, Utc::now(), None);
    elsewhere.transaction_info.transaction_id = "TX-OTHER".into();
    let second = two.call(elsewhere).await.unwrap();
    assert_eq!(second.id_token_info.unwrap().status, v201::AuthorizationStatusEnumType::ConcurrentTx);
    app.stop().await;
}

#[tokio::test]
async fn a_201_authorize_answers_the_tokens_status() {
    let app = spawn_app().await;
    let mut cs = charger(&app, "CS-AUTH").await;
    for (token, expected) in [
        ("TOKEN-201", v201::AuthorizationStatusEnumType::Accepted),
        ("NOT-A-TOKEN", v201::AuthorizationStatusEnumType::Invalid),
    ] {
        let answer = cs
            .call(v201::AuthorizeRequest {
                custom_data: None,
                id_token: v201::IdTokenType {
                    custom_data: None,
                    additional_info: None,
                    id_token: token.into(),
                    r#type: v201::IdTokenEnumType::ISO14443,
                },
                certificate: None,
                iso15118_certificate_hash_data: None,
            })
            .await
            .unwrap();
        assert_eq!(answer.id_token_info.status, expected, "{token}");
    }
    app.stop().await;
}
