//! Membership and price groups over the real wire: a fleet's driver pays the group's tariff at a
//! station that has one, another driver the station's; the ladder's levels are recomputed from
//! the last 12 months of completed orders, a driver sees their level and what the next asks, and
//! their next order is billed less their level's discount — each line showing it; the order
//! keeps the price it was made with; a night's recompute is claimed once.

use crate::business::{adjust, charge, driver, open_pile, tariff, yesterday_at};
use crate::helpers::{TestApp, spawn_app};
use serde_json::{Value, json};
use simulators::SimCharger;

/// A postpaid order of the driver `(token, tag)` on `pile`, charged `wh` from `hour` to the next
/// yesterday (the flat period until 11:00): the completed order.
async fn charged(app: &TestApp, cp: &mut SimCharger, (token, tag): (&str, &str), hour: u32, wh: i64) -> Value {
    let pile = "PILE-MEM";
    let ask = json!({"pileCode": pile, "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let no = order["orderNo"].as_str().unwrap().to_owned();
    charge(app, cp, (token, &no, tag), (yesterday_at(hour, 0), 0), (yesterday_at(hour + 1, 0), wh)).await
}

#[tokio::test]
async fn a_fleet_pays_its_groups_tariff_and_a_member_their_levels_discount_shown_on_each_line() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-MEM", "PILE-MEM", tariff()).await;
    let fleet = json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "0.40", "serviceFee": "0.20"}]});
    let (status, put) = app.operator("PUT", "/api/v1/stations/ST-MEM/tariff?group=fleet-a", Some(&fleet)).await;
    assert_eq!(status, 200, "{put}");
    let (_, shown) = app.get("/api/v1/stations/ST-MEM/tariff?group=fleet-a").await;
    assert_eq!(shown["periods"][0]["energyPrice"], "0.40", "{shown}");
    let (_, own) = app.get("/api/v1/stations/ST-MEM/tariff").await;
    assert_eq!(own["periods"][0]["energyPrice"], "0.50", "the station's own is untouched: {own}");
    let ladder = json!({"levels": [
        {"name": "silver", "basis": "energy", "threshold": 10, "serviceDiscountPct": 10},
        {"name": "gold", "basis": "spend", "threshold": "1000.00", "energyDiscountPct": 5, "serviceDiscountPct": 20},
    ]});
    let (status, stored) = app.operator("PUT", "/api/v1/membership/levels", Some(&ladder)).await;
    assert_eq!((status, &stored["levels"][1]["threshold"]), (200, &json!("1000.00")), "{stored}");

    // A fleet's driver pays the group's tariff: 10 kWh × (0.40 + 0.20).
    let (fleet_token, fleet_id, fleet_tag) = driver(&app, "13912390001").await;
    assert_eq!(adjust(&app, fleet_id, "100.00").await.0, 201);
    let (status, _) =
        app.operator("PUT", &format!("/api/v1/users/{fleet_id}/group"), Some(&json!({"group": "fleet-a"}))).await;
    assert_eq!(status, 204);
    let done = charged(&app, &mut cp, (&fleet_token, &fleet_tag), 7, 10_000).await;
    assert_eq!((&done["priceGroup"], &done["totalAmount"]), (&json!("fleet-a"), &json!("6.00")), "{done}");

    // Another driver pays the station's: 12 kWh × (0.50 + 0.30) = 9.60, and is no member yet.
    let (token, user_id, tag) = driver(&app, "13912390002").await;
    assert_eq!(adjust(&app, user_id, "100.00").await.0, 201);
    let done = charged(&app, &mut cp, (&token, &tag), 8, 12_000).await;
    assert_eq!((&done["priceGroup"], &done["totalAmount"]), (&json!(null), &json!("9.60")), "{done}");
    let (_, mine) = app.request("GET", "/api/v1/me/membership", Some(&token), None).await;
    assert_eq!((&mine["level"], &mine["energyKwh"]), (&json!(null), &json!("12")), "{mine}");
    assert_eq!((&mine["next"]["level"]["name"], &mine["next"]["remaining"]), (&json!("silver"), &json!("0")), "{mine}");

    // The night's recompute makes them silver (and the fleet's driver, with their 10 kWh); gold
    // still asks 990.40 of spend.
    let (status, recomputed) = app.operator("POST", "/api/v1/membership/recompute", None).await;
    assert_eq!((status, &recomputed["leveled"]), (200, &json!(2)), "{recomputed}");
    let (_, mine) = app.request("GET", "/api/v1/me/membership", Some(&token), None).await;
    assert_eq!((&mine["level"]["name"], &mine["spend"]), (&json!("silver"), &json!("9.60")), "{mine}");
    assert_eq!((&mine["next"]["level"]["name"], &mine["next"]["remaining"]), (&json!("gold"), &json!("990.40")));
    assert!(mine["computedAt"].is_string(), "{mine}");

    // Their next order is 10 % off the service fee: 10 kWh × 0.30 = 3.00 less 0.30.
    let done = charged(&app, &mut cp, (&token, &tag), 9, 10_000).await;
    assert_eq!(done["discount"], json!({"level": "silver", "energyPct": 0, "servicePct": 10}), "{done}");
    assert_eq!(
        (&done["lines"][0]["discount"], &done["lines"][0]["amount"]),
        (&json!("0.30"), &json!("7.70")),
        "{done}"
    );
    assert_eq!((&done["serviceFee"], &done["totalAmount"]), (&json!("3.00"), &json!("7.70")), "{done}");
    let (sum, fen) = crate::business::ledger_and_balance(&app, user_id).await;
    assert_eq!((sum, fen), (10_000 - 960 - 770, 10_000 - 960 - 770));
    app.stop().await;
}

#[tokio::test]
async fn a_ladder_group_or_user_that_is_not_one_is_refused_and_a_nights_recompute_is_claimed_once() {
    use csms::domain::membership::MembershipStore;
    let app = spawn_app().await;
    for ladder in [
        json!({"levels": [{"name": "a", "basis": "weight", "threshold": 1}]}),
        json!({"levels": [{"name": "a", "basis": "energy", "threshold": 1, "serviceDiscountPct": 101}]}),
        json!({"levels": [{"name": "a", "basis": "energy", "threshold": 1}, {"name": "a", "basis": "spend", "threshold": 2}]}),
    ] {
        let (status, body) = app.operator("PUT", "/api/v1/membership/levels", Some(&ladder)).await;
        assert_eq!((status, &body["error"]), (400, &json!("bad_request")), "{ladder}: {body}");
    }
    let (_, levels) = app.operator("GET", "/api/v1/membership/levels", None).await;
    assert_eq!(levels["levels"], json!([]), "nothing stored: {levels}");
    let (_, user_id, _) = driver(&app, "13912390003").await;
    let (status, _) =
        app.operator("PUT", &format!("/api/v1/users/{user_id}/group"), Some(&json!({"group": "no spaces"}))).await;
    assert_eq!(status, 400);
    let (status, _) = app.operator("PUT", "/api/v1/users/999999/group", Some(&json!({"group": "fleet-a"}))).await;
    assert_eq!(status, 404);
    let (status, _) = app.operator("PUT", "/api/v1/stations/NOPE/tariff?group=bad%20group", Some(&tariff())).await;
    assert_eq!(status, 400);
    let now = chrono::Utc::now();
    assert!(app.store.claim_membership_run("2026-12-07", "node-a", now).await.unwrap());
    assert!(!app.store.claim_membership_run("2026-12-07", "node-b", now).await.unwrap());
    app.stop().await;
}
