//! Reservations over the real wire: a driver holds a free connector for a fee from the balance
//! (an OCPP pile is sent ReserveNow, 1.6 and 2.0.1; an MQTT pile is held in csms); it shows
//! Reserved in nearby and on the pile, another driver's order and reservation are refused 409
//! `reserved`, the reserver's order takes it and the fee goes back toward the charge once the
//! session starts; a reservation nobody comes for runs out and keeps its fee; the driver's own
//! cancellation keeps it, an operator's or the pile's refunds it; drivers racing for one
//! connector get it once, and the ledger always equals the balance.

use crate::business::{
    CENTRE, adjust, balance, driver, ledger_and_balance, open_pile, open_pile_as, order_when, tariff,
};
use crate::helpers::{TestApp, spawn_app_with};
use chrono::Utc;
use protocol::{OcppVersion, v16};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use simulators::SimCharger;

async fn app() -> TestApp {
    spawn_app_with(|s| {
        s.reservations.fee = 500;
        s.orders.sweep_interval_ms = 100;
    })
    .await
}

/// A driver with `money` on their balance: (token, user id, id tag).
async fn driver_with(app: &TestApp, phone: &str, money: &str) -> (String, i64, String) {
    let (token, user_id, tag) = driver(app, phone).await;
    assert_eq!(adjust(app, user_id, money).await.0, 201);
    (token, user_id, tag)
}

/// Reserves connector 1 of `pile` for 15 minutes while the pile answers what csms asks: the
/// API's answer and what the pile was asked.
async fn reserve_on(
    app: &TestApp,
    cp: &mut SimCharger,
    token: &str,
    pile: &str,
) -> ((u16, Value), Vec<(String, Value)>) {
    let ask = json!({"pileCode": pile, "connectorId": 1, "minutes": 15});
    let (answer, seen) =
        tokio::join!(app.request("POST", "/api/v1/reservations", Some(token), Some(&ask)), cp.serve_calls_seen(1));
    (answer, seen.unwrap())
}

/// Reservation `id` once `ready` says so (or after 5 s, as it is then).
async fn reservation_when(app: &TestApp, token: &str, id: &Value, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, found) = app.request("GET", &format!("/api/v1/reservations/{id}"), Some(token), None).await;
        assert_eq!(status, 200, "{found}");
        if ready(&found) || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn nearby(app: &TestApp) -> Value {
    let path = format!("/api/v1/stations/nearby?lng={}&lat={}&radius_km=5", CENTRE.0, CENTRE.1);
    app.get(&path).await.1["items"][0].clone()
}

#[tokio::test]
async fn a_reserved_connector_is_sent_reserve_now_shows_reserved_refuses_others_and_takes_the_reservers_order() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-RES", "PILE-RES", tariff()).await;
    let (token, user_id, tag) = driver_with(&app, "13912380001", "100.00").await;
    let ((status, held), seen) = reserve_on(&app, &mut cp, &token, "PILE-RES").await;
    assert_eq!(status, 201, "{held}");
    assert_eq!((&held["status"], &held["fee"], &held["feeStatus"]), (&json!("ACTIVE"), &json!("5.00"), &json!("HELD")));
    let (action, asked) = &seen[0];
    assert_eq!(action, "ReserveNow");
    assert_eq!(
        (&asked["connectorId"], &asked["reservationId"], &asked["idTag"]),
        (&json!(1), &held["id"], &json!(tag))
    );
    assert_eq!(asked["expiryDate"], held["expiresAt"], "{asked}");
    assert_eq!(balance(&app, &token).await, "95.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (9_500, 9_500));

    let near = nearby(&app).await;
    assert_eq!((&near["freeConnectors"], &near["reservedConnectors"]), (&json!(0), &json!(1)), "{near}");
    let (_, pile) = app.get("/api/v1/piles/PILE-RES").await;
    assert_eq!(pile["connectors"][0]["status"], "Reserved", "{pile}");

    // Another driver may neither order nor reserve it.
    let (other, _, _) = driver_with(&app, "13912380002", "100.00").await;
    let ask = json!({"pileCode": "PILE-RES", "connectorId": 1, "payMode": "postpaid"});
    let (status, refused) = app.request("POST", "/api/v1/orders", Some(&other), Some(&ask)).await;
    assert_eq!((status, &refused["error"]), (409, &json!("reserved")), "{refused}");
    let again = json!({"pileCode": "PILE-RES", "connectorId": 1});
    let (status, refused) = app.request("POST", "/api/v1/reservations", Some(&other), Some(&again)).await;
    assert_eq!((status, &refused["error"]), (409, &json!("reserved")), "{refused}");
    // The reserver holds one at a time.
    let (status, refused) = app.request("POST", "/api/v1/reservations", Some(&token), Some(&again)).await;
    assert_eq!(status, 409, "{refused}");

    // The reserver's order takes it; once charging, the fee goes back toward the charge.
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let used = reservation_when(&app, &token, &held["id"], |r| r["status"] == "USED").await;
    assert_eq!((&used["status"], &used["orderNo"]), (&json!("USED"), &json!(no)), "{used}");
    let (_, served) = crate::orders::act(&app, &mut cp, &token, &no, "start").await;
    assert_eq!(served, "RemoteStartTransaction");
    let begin = v16::StartTransactionRequest {
        connector_id: 1,
        id_tag: tag,
        meter_start: 0,
        reservation_id: held["id"].as_i64().map(|id| id as i32),
        timestamp: Utc::now(),
    };
    cp.call(begin).await.unwrap();
    order_when(&app, &token, &no, |o| o["status"] == "CHARGING").await;
    let credited = reservation_when(&app, &token, &held["id"], |r| r["feeStatus"] == "CREDITED").await;
    assert_eq!(credited["feeStatus"], "CREDITED", "{credited}");
    assert_eq!(balance(&app, &token).await, "100.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (10_000, 10_000));
    app.stop().await;
}

#[tokio::test]
async fn a_reservation_nobody_comes_for_runs_out_keeps_its_fee_and_frees_the_connector() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-EXP", "PILE-EXP", tariff()).await;
    let (token, user_id, _) = driver_with(&app, "13912380003", "10.00").await;
    let ((status, held), _) = reserve_on(&app, &mut cp, &token, "PILE-EXP").await;
    assert_eq!(status, 201, "{held}");
    // Its fifteen minutes pass.
    let db = app.store.db();
    let past = Utc::now() - chrono::Duration::seconds(1);
    let sql = "UPDATE reservations SET expires_at = $1 WHERE id = $2";
    let sql =
        if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite { sql.replace('$', "?") } else { sql.into() };
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [past.into(), held["id"].as_i64().unwrap().into()],
    ))
    .await
    .unwrap();
    let expired = reservation_when(&app, &token, &held["id"], |r| r["status"] == "EXPIRED").await;
    assert_eq!((&expired["status"], &expired["feeStatus"]), (&json!("EXPIRED"), &json!("KEPT")), "{expired}");
    assert_eq!(balance(&app, &token).await, "5.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (500, 500));
    let near = nearby(&app).await;
    assert_eq!((&near["freeConnectors"], &near["reservedConnectors"]), (&json!(1), &json!(0)), "{near}");
    let (other, _, _) = driver_with(&app, "13912380004", "10.00").await;
    let ask = json!({"pileCode": "PILE-EXP", "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&other), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    app.stop().await;
}

#[tokio::test]
async fn a_drivers_own_cancellation_keeps_the_fee_and_an_operators_or_the_piles_refunds_it() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-CAN", "PILE-CAN", tariff()).await;
    let (token, user_id, _) = driver_with(&app, "13912380005", "20.00").await;

    let ((_, first), _) = reserve_on(&app, &mut cp, &token, "PILE-CAN").await;
    let path = format!("/api/v1/reservations/{}", first["id"]);
    let ((status, given_up), seen) =
        tokio::join!(app.request("DELETE", &path, Some(&token), None), cp.serve_calls_seen(1));
    assert_eq!((status, &given_up["status"], &given_up["feeStatus"]), (200, &json!("CANCELLED"), &json!("KEPT")));
    assert_eq!(seen.unwrap()[0].0, "CancelReservation");
    assert_eq!(balance(&app, &token).await, "15.00");
    let (status, _) = app.request("DELETE", &path, Some(&token), None).await;
    assert_eq!(status, 409, "an ended reservation is not cancelled again");

    let ((_, second), _) = reserve_on(&app, &mut cp, &token, "PILE-CAN").await;
    let path = format!("/api/v1/reservations/{}", second["id"]);
    let ((status, revoked), seen) = tokio::join!(app.operator("DELETE", &path, None), cp.serve_calls_seen(1));
    assert_eq!((status, &revoked["status"], &revoked["feeStatus"]), (200, &json!("REVOKED"), &json!("REFUNDED")));
    assert_eq!(seen.unwrap()[0].0, "CancelReservation");
    assert_eq!(balance(&app, &token).await, "15.00");

    // The pile faults: it cannot serve the reservation, which is revoked and refunded.
    let ((_, third), _) = reserve_on(&app, &mut cp, &token, "PILE-CAN").await;
    assert_eq!(balance(&app, &token).await, "10.00");
    crate::business::status_at(&mut cp, 1, v16::ChargePointStatus::Faulted, Utc::now()).await;
    let pile_ended = reservation_when(&app, &token, &third["id"], |r| r["status"] == "REVOKED").await;
    assert_eq!(
        (&pile_ended["endedBy"], &pile_ended["feeStatus"]),
        (&json!("pile"), &json!("REFUNDED")),
        "{pile_ended}"
    );
    assert_eq!(balance(&app, &token).await, "15.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (1_500, 1_500));
    // A driver sees only their own.
    let (stranger, _, _) = driver_with(&app, "13912380006", "1.00").await;
    let (status, _) = app.request("GET", &path, Some(&stranger), None).await;
    assert_eq!(status, 404);
    let (_, mine) = app.request("GET", "/api/v1/reservations", Some(&token), None).await;
    assert_eq!(mine["total"], 3, "{mine}");
    app.stop().await;
}

#[tokio::test]
async fn a_201_pile_is_sent_reserve_now_for_its_evse_with_the_drivers_token() {
    let app = app().await;
    let mut cp = open_pile_as(&app, "ST-R201", "PILE-R201", tariff(), OcppVersion::V201).await;
    let (token, _, _) = driver_with(&app, "13912380007", "10.00").await;
    let ((status, held), seen) = reserve_on(&app, &mut cp, &token, "PILE-R201").await;
    assert_eq!(status, 201, "{held}");
    let (action, asked) = &seen[0];
    assert_eq!(action, "ReserveNow");
    assert_eq!(
        (&asked["id"], &asked["evseId"], &asked["idToken"]["type"]),
        (&held["id"], &json!(1), &json!("Central"))
    );
    app.stop().await;
}

#[tokio::test]
async fn drivers_racing_for_one_connector_get_it_once_and_a_balance_short_of_the_fee_gets_nothing() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-RACE", "PILE-RACE", tariff()).await;
    let mut drivers = Vec::new();
    for n in 0..6 {
        drivers.push(driver_with(&app, &format!("1391238010{n}"), "10.00").await);
    }
    let ask = json!({"pileCode": "PILE-RACE", "connectorId": 1});
    let asks = drivers.iter().map(|(token, _, _)| app.request("POST", "/api/v1/reservations", Some(token), Some(&ask)));
    let (answers, served) = tokio::join!(futures_util::future::join_all(asks), cp.serve_calls(1, None));
    served.unwrap();
    let made = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(made, 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 201 || *status == 409), "{answers:?}");
    let mut paid = 0;
    for (_, user_id, _) in &drivers {
        let (sum, fen) = ledger_and_balance(&app, *user_id).await;
        assert_eq!(sum, fen);
        paid += 1_000 - fen;
    }
    // One fee taken, from the one who got it.
    assert_eq!(paid, 500);

    let _other = open_pile(&app, "ST-POOR", "PILE-POOR", tariff()).await;
    let (poor, poor_id, _) = driver_with(&app, "13912380200", "4.99").await;
    let ask = json!({"pileCode": "PILE-POOR", "connectorId": 1});
    let (status, refused) = app.request("POST", "/api/v1/reservations", Some(&poor), Some(&ask)).await;
    assert_eq!((status, &refused["error"]), (409, &json!("insufficient_balance")), "{refused}");
    assert_eq!(ledger_and_balance(&app, poor_id).await, (499, 499));
    let (_, pile) = app.get("/api/v1/piles/PILE-POOR").await;
    assert_eq!(pile["connectors"][0]["status"], "Available", "{pile}");
    app.stop().await;
}

#[tokio::test]
async fn an_mqtt_pile_is_held_in_csms_nothing_is_published_and_only_the_reservers_order_takes_it() {
    use crate::mqtt_helpers::{broker_up, open_mqtt_pile, spawn_mqtt_app, unique};
    if !broker_up().await {
        return;
    }
    let app = spawn_mqtt_app(|s| s.reservations.fee = 300).await;
    let code = unique("MQR-");
    let mut pile = open_mqtt_pile(&app, &unique("SR"), &code, tariff(), 60).await;
    let (token, user_id, _) = driver_with(&app, "13912380301", "10.00").await;
    let ask = json!({"pileCode": code, "connectorId": 1});
    let (status, held) = app.request("POST", "/api/v1/reservations", Some(&token), Some(&ask)).await;
    assert_eq!((status, &held["fee"]), (201, &json!("3.00")), "{held}");
    assert!(pile.command_within(std::time::Duration::from_millis(500)).await.is_none(), "the pile was told");
    let (_, shown) = app.get(&format!("/api/v1/piles/{code}")).await;
    assert_eq!(shown["connectors"][0]["status"], "Reserved", "{shown}");
    // A heartbeat saying it is idle does not free it.
    pile.heartbeat(1, 30.0).await;
    let (other, _, _) = driver_with(&app, "13912380302", "10.00").await;
    let order = json!({"pileCode": code, "connectorId": 1, "payMode": "postpaid"});
    let (status, refused) = app.request("POST", "/api/v1/orders", Some(&other), Some(&order)).await;
    assert_eq!((status, &refused["error"]), (409, &json!("reserved")), "{refused}");
    let (status, mine) = app.request("POST", "/api/v1/orders", Some(&token), Some(&order)).await;
    assert_eq!(status, 201, "{mine}");
    let used = reservation_when(&app, &token, &held["id"], |r| r["status"] == "USED").await;
    assert_eq!(used["orderNo"], mine["orderNo"], "{used}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (700, 700));
    app.stop().await;
}

#[tokio::test]
async fn a_reservers_order_given_up_keeps_the_fee_and_the_pile_is_told_to_let_the_connector_go() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-GUP", "PILE-GUP", tariff()).await;
    let (token, user_id, _) = driver_with(&app, "13912380401", "10.00").await;
    let ((status, held), _) = reserve_on(&app, &mut cp, &token, "PILE-GUP").await;
    assert_eq!(status, 201, "{held}");
    let ask = json!({"pileCode": "PILE-GUP", "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let path = format!("/api/v1/orders/{}/cancel", order["orderNo"].as_str().unwrap());
    let ((status, _), seen) = tokio::join!(app.request("POST", &path, Some(&token), None), cp.serve_calls_seen(1));
    assert_eq!(status, 200);
    let seen = seen.unwrap();
    assert_eq!((seen[0].0.as_str(), &seen[0].1["reservationId"]), ("CancelReservation", &held["id"]), "{seen:?}");
    let kept = reservation_when(&app, &token, &held["id"], |r| r["feeStatus"] == "KEPT").await;
    assert_eq!((&kept["status"], &kept["feeStatus"]), (&json!("USED"), &json!("KEPT")), "{kept}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (500, 500));
    app.stop().await;
}

#[tokio::test]
async fn a_reservation_sent_twice_at_once_by_one_driver_is_made_once_and_its_fee_taken_once() {
    let app = app().await;
    let mut cp = open_pile(&app, "ST-TWICE", "PILE-TWICE", tariff()).await;
    let mut second = open_pile(&app, "ST-TWICE2", "PILE-TWICE2", tariff()).await;
    let (token, user_id, _) = driver_with(&app, "13912380501", "10.00").await;
    // The app resends (a lost answer, a double tap): the same connector, and another one.
    let first = json!({"pileCode": "PILE-TWICE", "connectorId": 1});
    let other = json!({"pileCode": "PILE-TWICE2", "connectorId": 1});
    let asks = [&first, &first, &other].map(|ask| app.request("POST", "/api/v1/reservations", Some(&token), Some(ask)));
    let served = async {
        // Whichever pile csms asks (at most one of them holds the reservation made).
        tokio::select! {
            seen = cp.serve_calls_seen(1) => seen.map(|s| s.len()),
            seen = second.serve_calls_seen(1) => seen.map(|s| s.len()),
        }
    };
    let (answers, served) = tokio::join!(futures_util::future::join_all(asks), served);
    assert_eq!(served.unwrap(), 1);
    let made: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 201).map(|(_, body)| body).collect();
    assert_eq!(made.len(), 1, "{answers:?}");
    assert!(answers.iter().all(|(status, _)| *status == 201 || *status == 409), "{answers:?}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (500, 500));
    let (_, mine) = app.request("GET", "/api/v1/reservations", Some(&token), None).await;
    assert_eq!(mine["total"], 1, "{mine}");
    app.stop().await;
}

#[tokio::test]
async fn a_fee_decided_twice_at_once_by_two_nodes_or_a_replay_moves_the_money_once() {
    use csms::domain::reservations::records::Ending;
    use csms::domain::reservations::{FeeStatus, ReservationStatus, ReservationStore};
    let app = app().await;
    let mut cp = open_pile(&app, "ST-ONCE", "PILE-ONCE", tariff()).await;
    let (token, user_id, _) = driver_with(&app, "13912380601", "10.00").await;
    let ((_, held), _) = reserve_on(&app, &mut cp, &token, "PILE-ONCE").await;
    let ask = json!({"pileCode": "PILE-ONCE", "connectorId": 1, "payMode": "postpaid"});
    let (status, _) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201);
    let id = held["id"].as_i64().unwrap();
    reservation_when(&app, &token, &held["id"], |r| r["status"] == "USED").await;
    // Two sweeps (two nodes, or one replaying after a crash) give the fee back at once.
    let now = Utc::now();
    let (a, b) = tokio::join!(
        app.store.settle_reservation_fee(id, FeeStatus::Credited, now),
        app.store.settle_reservation_fee(id, FeeStatus::Credited, now),
    );
    assert_eq!([a.unwrap().is_some(), b.unwrap().is_some()].iter().filter(|done| **done).count(), 1);
    // A used reservation is not ended again (an expiry racing the order), nor its fee decided anew.
    let late = Ending { id, to: ReservationStatus::Expired, fee: FeeStatus::Kept, by: None, at: now };
    assert!(app.store.end_reservation(late).await.unwrap().is_none());
    assert!(app.store.settle_reservation_fee(id, FeeStatus::Refunded, now).await.unwrap().is_none());
    assert_eq!(ledger_and_balance(&app, user_id).await, (1_000, 1_000));
    app.stop().await;
}
