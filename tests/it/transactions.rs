//! Transactions: authorise, start, meter values, stop — stored exactly, repeat-safe, and
//! forgiving of what chargers really send (repeats, stale sessions, unknown stops).

use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
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

fn sampled(measurand: v16::Measurand, unit: v16::UnitOfMeasure, value: &str) -> v16::SampledValue {
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
    assert_eq!((stored.meter_start_wh, stored.meter_stop_wh, stored.energy_wh), (Some(1000), Some(12345), Some(11345)));
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
    assert_eq!(live_of(&body), (Some(2), None, expected), "stopped: nothing in progress; {body}");
    // The list stays light: no live state there.
    let (_, list) = app.operator("GET", "/api/v1/chargers", None).await;
    assert!(list[0].get("live").is_none(), "{list}");
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
    assert_eq!((stale.meter_stop_wh, stale.energy_wh), (Some(4200), Some(3200)));
    assert_eq!(stale.stopped_at.map(|t| t.timestamp()), Some(reading_at.timestamp()));
    let (fresh, _) = app.store.transaction(i64::from(new.transaction_id)).await.unwrap().unwrap();
    assert_eq!(fresh.status, "Active");

    // The charger's own stop of the old transaction, arriving late, replaces the guess.
    cp.call(stop(old, 4290)).await.unwrap();
    let (closed, _) = app.store.transaction(i64::from(old)).await.unwrap().unwrap();
    assert_eq!(closed.status, "Completed");
    assert_eq!(
        (closed.meter_stop_wh, closed.energy_wh, closed.stop_reason.as_deref()),
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
    assert_eq!((stored.meter_stop_wh, stored.energy_wh), (Some(900), Some(800)));

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

pub(crate) mod ocpp201 {
    use super::*;
    use protocol::v201;

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
            (stored.meter_start_wh, stored.meter_stop_wh, stored.energy_wh),
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
            (stored.meter_start_wh, stored.meter_stop_wh, stored.energy_wh),
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
            (stored.meter_start_wh, stored.meter_stop_wh, stored.energy_wh),
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
        assert_eq!((stored.meter_start_wh, stored.meter_stop_wh, stored.energy_wh), (Some(100), Some(300), Some(200)));
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
}
