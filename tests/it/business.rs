//! What the business tests share: a station with a time-of-use tariff and a pile whose
//! simulated charger is online and free, drivers signed up by SMS code with money on their
//! balance, and waiting for an order to reach a state.

use crate::helpers::TestApp;
use crate::transactions::sampled;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use protocol::{OcppVersion, v16, v201};
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};

pub(crate) const PASSWORD: &str = "pile-password-0001";
/// People's Square, Shanghai.
pub(crate) const CENTRE: (f64, f64) = (121.4737, 31.2304);

/// Flat until 11:00 (0.50 + 0.30 per kWh), peak from 11:00 (1.00 + 0.50).
pub(crate) fn tariff() -> Value {
    json!({"periods": [
        {"start": "00:00", "end": "11:00", "energyPrice": "0.50", "serviceFee": "0.30", "name": "flat"},
        {"start": "11:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50", "name": "peak"},
    ]})
}

/// Yesterday at `hh:mm` in Shanghai, as UTC: sessions are metered at times the test chooses.
pub(crate) fn yesterday_at(hh: u32, mm: u32) -> DateTime<Utc> {
    let day = Utc::now().with_timezone(&Shanghai).date_naive() - Duration::days(1);
    let local = day.and_time(NaiveTime::from_hms_opt(hh, mm, 0).unwrap());
    Shanghai.from_local_datetime(&local).unwrap().with_timezone(&Utc)
}

/// Makes station `station` with `tariff` and pile `pile` in it, connects the pile's charger
/// (1.6), boots it and reports connector 1 Available; answers once the pile is online and free.
pub(crate) async fn open_pile(app: &TestApp, station: &str, pile: &str, tariff: Value) -> SimCharger {
    open_pile_as(app, station, pile, tariff, OcppVersion::V16).await
}

/// The same in `version` (2.0.1: EVSE 1, connector 1).
pub(crate) async fn open_pile_as(
    app: &TestApp,
    station: &str,
    pile: &str,
    tariff: Value,
    version: OcppVersion,
) -> SimCharger {
    // A 60 kW DC pile: the sessions the tests meter are ones it can deliver.
    open_rated_pile(app, (station, pile), tariff, version, ("DC", 60)).await
}

/// The same with the pile's type and rated power: ("AC" or "DC", kW).
pub(crate) async fn open_rated_pile(
    app: &TestApp,
    (station, pile): (&str, &str),
    tariff: Value,
    version: OcppVersion,
    (kind, kw): (&str, u32),
) -> SimCharger {
    let body = json!({
        "code": station, "name": format!("Station {station}"), "province": "Shanghai", "city": "Shanghai",
        "district": "Huangpu", "address": "Renmin Avenue", "lng": CENTRE.0, "lat": CENTRE.1,
    });
    let (status, answer) = app.operator("POST", "/api/v1/stations", Some(&body)).await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = app.operator("PUT", &format!("/api/v1/stations/{station}/tariff"), Some(&tariff)).await;
    assert_eq!(status, 200, "{answer}");
    let body = json!({"code": pile, "name": "Pile", "stationCode": station, "type": kind, "maxPowerKw": kw, "password": PASSWORD});
    let (status, answer) = app.operator("POST", "/api/v1/piles", Some(&body)).await;
    assert_eq!(status, 201, "{answer}");
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, pile, version).password(PASSWORD)).await.unwrap();
    cp.boot().await.unwrap();
    match version {
        OcppVersion::V16 => status_at(&mut cp, 1, v16::ChargePointStatus::Available, Utc::now()).await,
        OcppVersion::V201 => {
            cp.call(v201::StatusNotificationRequest {
                custom_data: None,
                timestamp: Utc::now(),
                connector_status: v201::ConnectorStatusEnumType::Available,
                evse_id: 1,
                connector_id: 1,
            })
            .await
            .unwrap();
        }
    }
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, found) = app.get(&format!("/api/v1/piles/{pile}")).await;
        if found["connectors"].as_array().is_some_and(|c| c.iter().any(|c| c["status"] == "Available")) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the pile never showed free: {found}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    cp
}

/// Reports connector `connector_id`'s status as of `at`.
pub(crate) async fn status_at(
    cp: &mut SimCharger,
    connector_id: i32,
    status: v16::ChargePointStatus,
    at: DateTime<Utc>,
) {
    cp.call(simulators::messages::status_notification(connector_id, status, Some(at))).await.unwrap();
}

/// A driver signed up with `phone`: (token, user id, id tag).
pub(crate) async fn driver(app: &TestApp, phone: &str) -> (String, i64, String) {
    let ask = json!({"phone": phone, "purpose": "register"});
    let (status, body) = app.request("POST", "/api/v1/auth/sms-code", None, Some(&ask)).await;
    assert_eq!(status, 204, "{body}");
    let code = app.outbox.last_to(phone).expect("a text to the phone");
    let (status, signed) =
        app.request("POST", "/api/v1/auth/register", None, Some(&json!({"phone": phone, "code": code}))).await;
    assert_eq!(status, 201, "{signed}");
    let user = &signed["user"];
    (
        signed["token"].as_str().unwrap().to_owned(),
        user["id"].as_i64().unwrap(),
        user["idTag"].as_str().unwrap().to_owned(),
    )
}

/// Credits (or debits) a balance as an operator: (status, body).
pub(crate) async fn adjust(app: &TestApp, user_id: i64, amount: &str) -> (u16, Value) {
    let body = json!({"amount": amount, "reason": "test credit"});
    app.operator("POST", &format!("/api/v1/users/{user_id}/balance-adjustments"), Some(&body)).await
}

/// The driver's balance, as the API says.
pub(crate) async fn balance(app: &TestApp, token: &str) -> String {
    let (status, body) = app.request("GET", "/api/v1/me/balance", Some(token), None).await;
    assert_eq!(status, 200, "{body}");
    body["balance"].as_str().unwrap().to_owned()
}

/// The order once `ready` says so (or after 5 s, as it is then).
pub(crate) async fn order_when(app: &TestApp, token: &str, no: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, order) = app.request("GET", &format!("/api/v1/orders/{no}"), Some(token), None).await;
        assert_eq!(status, 200, "{order}");
        if ready(&order) || tokio::time::Instant::now() > deadline {
            return order;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A MeterValues of the energy register (Wh) at `at`.
pub(crate) fn energy_at(transaction_id: i32, wh: i64, at: DateTime<Utc>) -> v16::MeterValuesRequest {
    v16::MeterValuesRequest {
        connector_id: 1,
        transaction_id: Some(transaction_id),
        meter_value: vec![v16::MeterValue {
            timestamp: at,
            sampled_value: vec![sampled(
                v16::Measurand::EnergyActiveImportRegister,
                v16::UnitOfMeasure::Wh,
                &wh.to_string(),
            )],
        }],
    }
}

/// The sum of the user's ledger rows and their balance, in fen, from the database.
pub(crate) async fn ledger_and_balance(app: &TestApp, user_id: i64) -> (i64, i64) {
    let sum = app.store.ledger_sum(user_id).await.unwrap();
    let user = app.store.user(user_id).await.unwrap().unwrap();
    (sum.get(), user.balance_fen.get())
}

/// A whole 1.6 session of a started order's driver on connector 1: started remotely (the
/// charger answers), begun at `from` with `meter_start` Wh, stopped locally at `to` with
/// `meter_stop` Wh; answers the order once completed.
pub(crate) async fn charge(
    app: &TestApp,
    cp: &mut SimCharger,
    (token, no, tag): (&str, &str, &str),
    (from, meter_start): (DateTime<Utc>, i64),
    (to, meter_stop): (DateTime<Utc>, i64),
) -> Value {
    crate::orders::act(app, cp, token, no, "start").await;
    let start = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag.to_owned(),
        meter_start,
        reservation_id: None,
        timestamp: from,
    };
    let started = cp.call(start).await.unwrap();
    order_when(app, token, no, |o| o["status"] == "CHARGING").await;
    cp.call(v16::StopTransactionRequest {
        id_tag: None,
        meter_stop,
        timestamp: to,
        transaction_id: started.transaction_id,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    })
    .await
    .unwrap();
    order_when(app, token, no, |o| o["status"] == "COMPLETED").await
}

/// The charger's StopTransaction of `transaction_id` at `at` with `meter_stop` Wh (stopped locally).
pub(crate) async fn stop_at(cp: &mut SimCharger, transaction_id: i32, meter_stop: i64, at: DateTime<Utc>) {
    let stop = v16::StopTransactionRequest {
        id_tag: None,
        meter_stop,
        timestamp: at,
        transaction_id,
        reason: Some(v16::Reason::Local),
        transaction_data: None,
    };
    cp.call(stop).await.unwrap();
}
