//! `POST /api/v1/tariffs/preview`: an operator prices a sample session with a tariff before
//! storing it; the preview is the bill a driver then gets for that session under that tariff.

use crate::business::{charge, open_pile, yesterday_at};
use crate::helpers::spawn_app;
use crate::mqtt_piles::paid_order;
use serde_json::{Value, json};

fn tariff() -> Value {
    json!({"periods": [
        {"start": "00:00", "end": "11:00", "energyPrice": "0.50", "serviceFee": "0.30", "name": "flat"},
        {"start": "11:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50", "name": "peak"},
    ], "occupancy": {"graceMinutes": 15, "feePerMinute": "0.50", "cap": "30.00"}})
}

#[tokio::test]
async fn a_tariffs_preview_is_the_bill_a_driver_then_gets_for_that_session() {
    let app = spawn_app().await;
    // 10:00–12:00 Shanghai, 15 kWh: half before 11:00, half after; unplugged 45 minutes later.
    let (from, to) = (yesterday_at(10, 0), yesterday_at(12, 0));
    let ask = json!({"tariff": tariff(), "timezone": "Asia/Shanghai", "start": from, "end": to,
        "energyKwh": "15.000", "unpluggedAt": to + chrono::Duration::minutes(45)});
    let (status, preview) = app.operator("POST", "/api/v1/tariffs/preview", Some(&ask)).await;
    assert_eq!(status, 200, "{preview}");
    insta::assert_json_snapshot!("tariff_preview", preview);

    let mut cp = open_pile(&app, "ST-PREVIEW", "PILE-PREVIEW", tariff()).await;
    let (token, no, tag) = paid_order(&app, "13900000501", "PILE-PREVIEW").await;
    let order = charge(&app, &mut cp, (&token, &no, &tag), (from, 0), (to, 15_000)).await;
    assert_eq!(
        (&order["lines"], &order["energyFee"], &order["serviceFee"]),
        (&preview["lines"], &preview["energyFee"], &preview["serviceFee"]),
        "{order}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_preview_of_a_tariff_that_could_not_be_stored_or_of_an_impossible_session_is_a_400_and_drivers_get_403() {
    let app = spawn_app().await;
    let (from, to) = (yesterday_at(10, 0), yesterday_at(12, 0));
    let mut gap = tariff();
    gap["periods"].as_array_mut().unwrap().pop();
    let cases = [
        (json!({"tariff": gap, "start": from, "end": to, "energyKwh": "1"}), "periods"),
        (json!({"tariff": tariff(), "start": to, "end": from, "energyKwh": "1"}), "end"),
        (json!({"tariff": tariff(), "start": from, "end": to, "energyKwh": "1.0005"}), "energyKwh"),
        (json!({"tariff": tariff(), "start": from, "end": to, "energyKwh": "-1"}), "energyKwh"),
        (
            json!({"tariff": tariff(), "start": from, "end": to, "energyKwh": "1", "timezone": "Mars/Olympus"}),
            "timezone",
        ),
        (json!({"tariff": tariff(), "start": from, "end": to, "energyKwh": "1", "unpluggedAt": from}), "unpluggedAt"),
        (json!({"tariff": tariff(), "start": from, "end": to}), "energyKwh"),
    ];
    for (ask, field) in cases {
        let (status, body) = app.operator("POST", "/api/v1/tariffs/preview", Some(&ask)).await;
        assert_eq!((status, &body["error"]), (400, &json!("bad_request")), "{ask}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| m.contains(field)), "{field}: {body}");
    }
    let (token, _, _) = crate::business::driver(&app, "13900000502").await;
    let ask = json!({"tariff": tariff(), "start": from, "end": to, "energyKwh": "1"});
    let (status, _) = app.request("POST", "/api/v1/tariffs/preview", Some(&token), Some(&ask)).await;
    assert_eq!(status, 403);
    app.stop().await;
}
