//! Stations, piles and tariffs over the real HTTP API, with simulated chargers connecting as the
//! piles: registration by pile, online and offline, stations near a point, paging.

use crate::helpers::{TestApp, spawn_app};
use chrono::{Duration, Utc};
use protocol::{OcppVersion, v16};
use serde_json::{Value, json};
use simulators::{Connect, SimCharger};

/// People's Square, Shanghai.
const CENTRE: (f64, f64) = (121.4737, 31.2304);
/// Degrees of latitude in a kilometre.
const KM: f64 = 1.0 / 111.195;
const PASSWORD: &str = "pile-password-0001";

fn station(code: &str, lat_km: f64) -> Value {
    json!({
        "code": code, "name": format!("Station {code}"), "province": "Shanghai", "city": "Shanghai",
        "district": "Huangpu", "address": "Renmin Avenue", "lng": CENTRE.0, "lat": CENTRE.1 + lat_km * KM,
    })
}

fn pile(code: &str, station: &str, password: Option<&str>) -> Value {
    let mut pile = json!({
        "code": code, "name": format!("Pile {code}"), "stationCode": station, "type": "DC",
        "connectorType": "GB/T", "maxPowerKw": 120, "ratedVoltage": 750, "ratedCurrent": 250,
    });
    if let Some(password) = password {
        pile["password"] = json!(password);
    }
    pile
}

async fn created(app: &TestApp, path: &str, body: Value) -> Value {
    let (status, answer) = app.operator("POST", path, Some(&body)).await;
    assert_eq!(status, 201, "{path}: {answer}");
    answer
}

async fn report(cp: &mut SimCharger, connector_id: i32, status: v16::ChargePointStatus) {
    cp.call(v16::StatusNotificationRequest {
        connector_id,
        error_code: v16::ChargePointErrorCode::NoError,
        info: None,
        status,
        timestamp: Some(Utc::now()),
        vendor_id: None,
        vendor_error_code: None,
    })
    .await
    .unwrap();
}

/// The pile, once `ready` says it is what the test waits for (a session ends a moment after
/// its socket closes).
async fn pile_when(app: &TestApp, code: &str, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, pile) = app.get(&format!("/api/v1/piles/{code}")).await;
        assert_eq!(status, 200, "{pile}");
        if ready(&pile) || tokio::time::Instant::now() > deadline {
            return pile;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn connect(app: &TestApp, code: &str, password: &str) -> SimCharger {
    let options = Connect::new(&app.ws_url, code, OcppVersion::V16).password(password);
    SimCharger::connect(options).await.unwrap()
}

#[tokio::test]
async fn a_pile_created_over_the_api_is_a_charger_that_boots_with_its_password_and_shows_offline_once_gone() {
    let app = spawn_app().await;
    created(&app, "/api/v1/stations", station("SH-001", 0.0)).await;
    let made = created(&app, "/api/v1/piles", pile("PILE-1", "SH-001", Some(PASSWORD))).await;
    assert_eq!(
        (&made["type"], &made["maxPowerKw"], &made["registration"], &made["online"], &made["status"]),
        (&json!("DC"), &json!(120.0), &json!("Registered"), &json!(false), &json!("Offline"))
    );
    let (status, body) = app.operator("POST", "/api/v1/piles", Some(&pile("PILE-1", "SH-001", None))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("pile_exists")), "{body}");
    let (status, body) = app.operator("POST", "/api/v1/piles", Some(&pile("PILE-2", "NOWHERE", None))).await;
    assert_eq!(status, 404, "{body}");
    let mut bad = pile("PILE-3", "SH-001", None);
    bad["type"] = json!("ACDC");
    let (status, body) = app.operator("POST", "/api/v1/piles", Some(&bad)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("type:"), "{body}");

    // The charger of the pile: its password is the pile's, it boots accepted.
    let mut cp = connect(&app, "PILE-1", PASSWORD).await;
    let boot = cp
        .call(v16::BootNotificationRequest {
            charge_point_vendor: "ACME".into(),
            charge_point_model: "DC-120".into(),
            charge_point_serial_number: None,
            charge_box_serial_number: None,
            firmware_version: None,
            iccid: None,
            imsi: None,
            meter_type: None,
            meter_serial_number: None,
        })
        .await
        .unwrap();
    assert_eq!(boot.status, v16::RegistrationStatus::Accepted);
    assert!(
        SimCharger::connect(Connect::new(&app.ws_url, "PILE-1", OcppVersion::V16).password("wrong-password-00"))
            .await
            .is_err()
    );
    report(&mut cp, 1, v16::ChargePointStatus::Available).await;
    let online = pile_when(&app, "PILE-1", |p| p["online"] == true).await;
    assert_eq!(
        (&online["status"], &online["connectors"][0]["status"]),
        (&json!("Available"), &json!("Available")),
        "{online}"
    );

    cp.close().await.unwrap();
    let gone = pile_when(&app, "PILE-1", |p| p["online"] == false).await;
    assert_eq!((&gone["online"], &gone["status"]), (&json!(false), &json!("Offline")), "{gone}");
    let connector = &gone["connectors"][0];
    assert_eq!((&connector["status"], &connector["reportedStatus"]), (&json!("Offline"), &json!("Available")));
    app.stop().await;
}

#[tokio::test]
async fn a_replaced_connection_ending_leaves_its_pile_online() {
    let app = spawn_app().await;
    created(&app, "/api/v1/stations", station("SH-002", 0.0)).await;
    created(&app, "/api/v1/piles", pile("PILE-R", "SH-002", Some(PASSWORD))).await;
    let mut first = connect(&app, "PILE-R", PASSWORD).await;
    let mut second = connect(&app, "PILE-R", PASSWORD).await;
    first.closed().await.unwrap();
    report(&mut second, 1, v16::ChargePointStatus::Available).await;
    // The first session ends a moment after closing its socket, and then marks its own
    // connection's end, which is not the charger's.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (_, pile) = app.get("/api/v1/piles/PILE-R").await;
    assert_eq!((&pile["online"], &pile["status"]), (&json!(true), &json!("Available")), "{pile}");
    app.stop().await;
}

#[tokio::test]
async fn an_existing_charger_is_attached_to_a_station_as_a_pile() {
    let app = spawn_app().await;
    created(&app, "/api/v1/stations", station("SH-003", 0.0)).await;
    app.register("CP-OLD", None).await;
    let attach = json!({"stationCode": "SH-003", "name": "Old", "type": "AC", "maxPowerKw": 7});
    let (status, pile) = app.operator("PUT", "/api/v1/piles/CP-OLD/station", Some(&attach)).await;
    assert_eq!(status, 200, "{pile}");
    assert_eq!(
        (&pile["stationCode"], &pile["type"], &pile["maxPowerKw"]),
        (&json!("SH-003"), &json!("AC"), &json!(7.0))
    );
    let (status, _) = app.operator("PUT", "/api/v1/piles/CP-NONE/station", Some(&attach)).await;
    assert_eq!(status, 404);
    let (status, _) = app.operator("PUT", "/api/v1/piles/CP-OLD/station", Some(&json!({"stationCode": "NO"}))).await;
    assert_eq!(status, 404);
    // Attaching needs an operator; a station with piles cannot be removed.
    let (status, _) = app.request("PUT", "/api/v1/piles/CP-OLD/station", None, Some(&attach)).await;
    assert_eq!(status, 401);
    let (status, body) = app.operator("DELETE", "/api/v1/stations/SH-003", None).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("station_has_piles")));
    let (_, listed) = app.get("/api/v1/piles?station=SH-003").await;
    assert_eq!((listed["total"].as_u64(), listed["items"][0]["code"].as_str()), (Some(1), Some("CP-OLD")));
    app.stop().await;
}

#[tokio::test]
async fn a_duplicate_station_is_refused_and_each_bad_field_is_named() {
    let app = spawn_app().await;
    let made = created(&app, "/api/v1/stations", station("SH-010", 0.0)).await;
    assert_eq!((&made["timezone"], &made["status"]), (&json!("Asia/Shanghai"), &json!("open")));
    let (status, body) = app.operator("POST", "/api/v1/stations", Some(&station("SH-010", 1.0))).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("station_exists")), "{body}");
    for (field, value) in
        [("timezone", json!("Asia/Atlantis")), ("lng", json!(181.0)), ("lat", json!(-90.5)), ("code", json!("SH 010"))]
    {
        let mut bad = station("SH-011", 0.0);
        bad[field] = value;
        let (status, body) = app.operator("POST", "/api/v1/stations", Some(&bad)).await;
        assert_eq!(status, 400, "{body}");
        assert!(body["message"].as_str().unwrap().starts_with(&format!("{field}:")), "{field}: {body}");
    }
    let (status, _) = app.request("POST", "/api/v1/stations", None, Some(&station("SH-012", 0.0))).await;
    assert_eq!(status, 401);

    let change = json!({"timezone": "Asia/Urumqi", "operator": "Volt Co"});
    let (status, changed) = app.operator("PATCH", "/api/v1/stations/SH-010", Some(&change)).await;
    assert_eq!((status, &changed["timezone"], &changed["operator"]), (200, &json!("Asia/Urumqi"), &json!("Volt Co")));
    let (status, read) = app.get("/api/v1/stations/SH-010").await;
    assert_eq!((status, &read["name"]), (200, &json!("Station SH-010")));
    assert_eq!(app.operator("DELETE", "/api/v1/stations/SH-010", None).await.0, 204);
    assert_eq!(app.get("/api/v1/stations/SH-010").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn nearby_stations_come_by_distance_within_the_radius_with_their_free_online_connectors() {
    let app = spawn_app().await;
    for (code, km) in [("NEAR", 1.0), ("MID", -3.0), ("OUT", 8.0)] {
        created(&app, "/api/v1/stations", station(code, km)).await;
    }
    for (code, at) in [("P-ON", "NEAR"), ("P-GONE", "NEAR"), ("P-NEVER", "MID"), ("P-OUT", "OUT")] {
        created(&app, "/api/v1/piles", pile(code, at, Some(PASSWORD))).await;
    }
    let mut on = connect(&app, "P-ON", PASSWORD).await;
    report(&mut on, 1, v16::ChargePointStatus::Available).await;
    report(&mut on, 2, v16::ChargePointStatus::Charging).await;
    // Reported available, then went away: not free.
    let mut gone = connect(&app, "P-GONE", PASSWORD).await;
    report(&mut gone, 1, v16::ChargePointStatus::Available).await;
    gone.close().await.unwrap();
    pile_when(&app, "P-GONE", |p| p["online"] == false).await;
    let mut out = connect(&app, "P-OUT", PASSWORD).await;
    report(&mut out, 1, v16::ChargePointStatus::Available).await;

    let (status, found) =
        app.get(&format!("/api/v1/stations/nearby?lng={}&lat={}&radius_km=5", CENTRE.0, CENTRE.1)).await;
    assert_eq!(status, 200, "{found}");
    let items = found["items"].as_array().unwrap();
    let codes: Vec<&str> = items.iter().filter_map(|s| s["code"].as_str()).collect();
    assert_eq!(codes, ["NEAR", "MID"], "{found}");
    let near = &items[0];
    assert!((near["distanceKm"].as_f64().unwrap() - 1.0).abs() < 0.01, "{near}");
    assert_eq!((&near["freeConnectors"], &near["totalConnectors"]), (&json!(1), &json!(3)), "{near}");
    assert_eq!(
        near["connectors"],
        json!([{"pileCode": "P-ON", "evseId": 0, "connectorId": 1, "status": "Available", "type": "DC", "maxPowerKw": 120.0}])
    );
    assert_eq!((&items[1]["freeConnectors"], &items[1]["totalConnectors"]), (&json!(0), &json!(0)));

    // The default radius is 5 km; the largest 50, which reaches OUT.
    let (_, wide) = app.get(&format!("/api/v1/stations/nearby?lng={}&lat={}&radius_km=50", CENTRE.0, CENTRE.1)).await;
    assert_eq!(wide["items"].as_array().map(Vec::len), Some(3));
    for (query, field) in [
        ("lng=121&lat=31&radius_km=51", "radius_km:"),
        ("lng=121", "lat:"),
        ("lng=200&lat=31", "lng:"),
        ("lng=x&lat=31", "lng:"),
    ] {
        let (status, body) = app.get(&format!("/api/v1/stations/nearby?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["message"].as_str().unwrap().starts_with(field), "{query}: {body}");
    }
    drop((on, out));
    app.stop().await;
}

fn tariff(price: &str) -> Value {
    json!({"periods": [
        {"start": "00:00", "end": "08:00", "energyPrice": "0.30", "serviceFee": "0.40", "name": "valley"},
        {"start": "08:00", "end": "00:00", "energyPrice": price, "serviceFee": "0.60", "name": "peak"},
    ]})
}

#[tokio::test]
async fn a_tariff_is_in_force_from_its_date_in_the_stations_zone_and_a_later_one_waits_for_its_own() {
    let app = spawn_app().await;
    created(&app, "/api/v1/stations", station("SH-T", 0.0)).await;
    let (status, body) = app.get("/api/v1/stations/SH-T/tariff").await;
    assert_eq!((status, body["error"].as_str()), (404, Some("no_tariff")), "{body}");

    let shanghai = |at: chrono::DateTime<Utc>| at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive().to_string();
    let today = shanghai(Utc::now());
    let (status, stored) = app.operator("PUT", "/api/v1/stations/SH-T/tariff", Some(&tariff("1.00"))).await;
    assert_eq!((status, &stored["validFrom"]), (200, &json!(today)), "{stored}");
    let (_, replaced) = app.operator("PUT", "/api/v1/stations/SH-T/tariff", Some(&tariff("1.10"))).await;
    assert_eq!(replaced["periods"][1]["energyPrice"], "1.10");

    let mut later = tariff("2.00");
    let tomorrow = shanghai(Utc::now() + Duration::days(1));
    later["validFrom"] = json!(tomorrow);
    assert_eq!(app.operator("PUT", "/api/v1/stations/SH-T/tariff", Some(&later)).await.0, 200);
    let (status, now) = app.get("/api/v1/stations/SH-T/tariff").await;
    assert_eq!((status, &now["validFrom"], &now["periods"][1]["energyPrice"]), (200, &json!(today), &json!("1.10")));
    let at = (Utc::now() + Duration::days(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, then) = app.get(&format!("/api/v1/stations/SH-T/tariff?at={at}")).await;
    assert_eq!((&then["validFrom"], &then["periods"][1]["energyPrice"]), (&json!(tomorrow), &json!("2.00")));

    let mut bad = tariff("abc");
    let (status, body) = app.operator("PUT", "/api/v1/stations/SH-T/tariff", Some(&bad)).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().starts_with("periods[1].energyPrice"), "{body}");
    bad = tariff("1.00");
    bad["validFrom"] = json!(shanghai(Utc::now() - Duration::days(2)));
    let (status, body) = app.operator("PUT", "/api/v1/stations/SH-T/tariff", Some(&bad)).await;
    assert!(status == 400 && body["message"].as_str().unwrap().starts_with("validFrom:"), "{body}");
    let (status, _) = app.request("PUT", "/api/v1/stations/SH-T/tariff", None, Some(&tariff("1.00"))).await;
    assert_eq!(status, 401);
    assert_eq!(app.get("/api/v1/stations/NOPE/tariff").await.0, 404);
    app.stop().await;
}

#[tokio::test]
async fn the_chargers_stations_and_piles_lists_are_paged() {
    let app = spawn_app().await;
    for id in ["CP-A", "CP-B", "CP-C"] {
        app.register(id, None).await;
    }
    let (status, first) = app.operator("GET", "/api/v1/chargers?pageSize=2", None).await;
    assert_eq!((status, &first["total"], &first["page"], &first["pageSize"]), (200, &json!(3), &json!(1), &json!(2)));
    let ids: Vec<&str> = first["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert_eq!(ids, ["CP-A", "CP-B"]);
    let (_, second) = app.operator("GET", "/api/v1/chargers?page=2&pageSize=2", None).await;
    assert_eq!(second["items"][0]["id"], "CP-C");
    let (_, beyond) = app.operator("GET", "/api/v1/chargers?page=9", None).await;
    assert_eq!((&beyond["items"], &beyond["total"]), (&json!([]), &json!(3)));
    for query in ["page=0", "pageSize=101", "pageSize=ten"] {
        let (status, body) = app.operator("GET", &format!("/api/v1/chargers?{query}"), None).await;
        let name = query.split('=').next().unwrap_or_default();
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body["message"].as_str().unwrap().starts_with(&format!("{name}:")), "{query}: {body}");
    }

    for code in ["S-1", "S-2", "S-3"] {
        created(&app, "/api/v1/stations", station(code, 0.0)).await;
    }
    let (status, stations) = app.get("/api/v1/stations?page=2&pageSize=2").await;
    assert_eq!((status, &stations["total"], &stations["items"][0]["code"]), (200, &json!(3), &json!("S-3")));
    let (_, piles) = app.get("/api/v1/piles?pageSize=1").await;
    assert_eq!((&piles["total"], &piles["items"][0]["code"]), (&json!(3), &json!("CP-A")));
    app.stop().await;
}

#[tokio::test]
async fn nearby_answers_only_the_nearest_stations_asked_for_and_refuses_a_bad_limit() {
    let app = spawn_app().await;
    for (code, km) in [("FAR", 3.0), ("NEAR", 1.0), ("MID", 2.0)] {
        created(&app, "/api/v1/stations", station(code, km)).await;
    }
    let path = |limit: &str| format!("/api/v1/stations/nearby?lng={}&lat={}&radius_km=5{limit}", CENTRE.0, CENTRE.1);
    let (status, all) = app.get(&path("")).await;
    let codes = |body: &Value| body["items"].as_array().unwrap().iter().map(|s| s["code"].clone()).collect::<Vec<_>>();
    assert_eq!((status, codes(&all)), (200, vec![json!("NEAR"), json!("MID"), json!("FAR")]));
    let (status, two) = app.get(&path("&limit=2")).await;
    assert_eq!((status, codes(&two)), (200, vec![json!("NEAR"), json!("MID")]));
    for bad in ["&limit=0", "&limit=101", "&limit=1.5", "&limit=x"] {
        let (status, body) = app.get(&path(bad)).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")), "{bad}: {body}");
    }
    app.stop().await;
}
