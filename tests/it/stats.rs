//! `GET /api/v1/stats` over real HTTP against a seeded history whose figures are worked out by
//! hand: a Shanghai station (UTC+8) and a London one (UTC+1 in June), orders on both sides of
//! local midnights, refunds, charging across a local midnight and one still charging, and users
//! signed up inside and outside each station's range. Days run 2025-06-01 to 2025-06-03:
//! in Shanghai from 2025-05-31T16:00Z, 2025-06-01T16:00Z, to 2025-06-02T16:00Z; in London from
//! 2025-05-31T23:00Z, 2025-06-01T23:00Z, to 2025-06-02T23:00Z.

use crate::helpers::{TestApp, spawn_app};
use crate::stats_seed::seed;
use serde_json::{Value, json};

async fn stats(app: &TestApp, query: &str) -> Value {
    let (status, answer) = app.operator("GET", &format!("/api/v1/stats?{query}"), None).await;
    assert_eq!(status, 200, "{query}: {answer}");
    answer
}

/// A group's or the total's figures, in the order of the answer.
fn figures(
    orders: [i64; 3],
    kwh: &str,
    [energy_fee, service_fee, total, refunds]: [&str; 4],
    utilisation: f64,
    [new, active]: [i64; 2],
) -> Value {
    json!({
        "orders": {"created": orders[0], "completed": orders[1], "cancelled": orders[2]},
        "energyKwh": kwh,
        "revenue": {"energyFee": energy_fee, "serviceFee": service_fee, "total": total, "refunds": refunds},
        "utilisation": utilisation,
        "users": {"new": new, "active": active},
    })
}

fn keyed(key: &str, mut figures: Value) -> Value {
    let mut group = json!({"key": key});
    group.as_object_mut().unwrap().append(figures.as_object_mut().unwrap());
    group
}

/// Everything, every way: 6 orders made (O4 before the range, O6 after it), 4 completed and 1
/// cancelled, 36,300 s charging of 4 connectors × 48 h; users U2 and U3 new, U1 too active.
fn total() -> Value {
    figures([6, 4, 1], "39.345", ["30.50", "15.00", "46.00", "73.50"], 0.0525, [2, 3])
}

#[tokio::test]
async fn days_are_counted_in_each_stations_time_zone() {
    let app = spawn_app().await;
    seed(&app).await;
    let answer = stats(&app, "from=2025-06-01&to=2025-06-03&groupBy=day").await;
    // 06-01: O1 (Shanghai) and O8 (London) made; O4 completed; 6,000 s charging of 345,600.
    // 06-02: O2, O3, O5 (Shanghai) and O7 (London) made; O1, O2, O7 completed, O3 cancelled;
    // 26,700 s (Shanghai) + 3,600 s (London) charging.
    let expected = json!({
        "from": "2025-06-01", "to": "2025-06-03", "groupBy": "day", "station": null,
        "groups": [
            keyed("2025-06-01", figures([2, 1, 0], "20.000", ["16.00", "8.00", "24.00", "36.00"], 0.0174, [1, 2])),
            keyed("2025-06-02", figures([4, 3, 1], "19.345", ["14.50", "7.00", "22.00", "37.50"], 0.0877, [2, 2])),
        ],
        "total": total(),
    });
    assert_eq!(answer, expected, "{answer:#}");
    app.stop().await;
}

#[tokio::test]
async fn stations_and_piles_each_get_their_figures_and_the_same_total() {
    let app = spawn_app().await;
    seed(&app).await;
    let answer = stats(&app, "from=2025-06-01&to=2025-06-03&groupBy=station").await;
    let london = figures([2, 1, 0], "7.000", ["5.00", "2.00", "7.00", "10.00"], 0.0208, [2, 2]);
    assert_eq!(
        answer["groups"],
        json!([
            keyed("ST-LD", london.clone()),
            // U3 signed up after Shanghai's range ended: active here, not new.
            keyed("ST-SH", figures([4, 3, 1], "32.345", ["25.50", "13.00", "39.00", "63.50"], 0.0631, [1, 3])),
        ]),
        "{answer:#}"
    );
    assert_eq!(answer["total"], total());

    let answer = stats(&app, "from=2025-06-01&to=2025-06-03&groupBy=pile").await;
    assert_eq!(
        answer["groups"],
        json!([
            keyed("LD-1", london),
            // 28,500 s of 2 connectors × 48 h.
            keyed("SH-1", figures([3, 2, 0], "12.345", ["9.50", "5.00", "15.00", "7.50"], 0.0825, [1, 3])),
            keyed("SH-2", figures([1, 1, 1], "20.000", ["16.00", "8.00", "24.00", "56.00"], 0.0243, [1, 1])),
        ]),
        "{answer:#}"
    );
    assert_eq!(answer["total"], total());
    app.stop().await;
}

#[tokio::test]
async fn one_stations_days_leave_the_others_out() {
    let app = spawn_app().await;
    seed(&app).await;
    let answer = stats(&app, "from=2025-06-01&to=2025-06-03&station=ST-SH").await;
    assert_eq!(answer["station"], "ST-SH");
    assert_eq!(
        answer["groups"],
        json!([
            keyed("2025-06-01", figures([1, 1, 0], "20.000", ["16.00", "8.00", "24.00", "26.00"], 0.0231, [0, 1])),
            keyed("2025-06-02", figures([3, 2, 1], "12.345", ["9.50", "5.00", "15.00", "37.50"], 0.1030, [1, 2])),
        ]),
        "{answer:#}"
    );
    let total = figures([4, 3, 1], "32.345", ["25.50", "13.00", "39.00", "63.50"], 0.0631, [1, 3]);
    assert_eq!(answer["total"], total);

    // A range with nothing in it still has its days.
    let answer = stats(&app, "from=2024-01-01&to=2024-01-03&station=ST-LD").await;
    let nothing = figures([0, 0, 0], "0.000", ["0.00", "0.00", "0.00", "0.00"], 0.0, [0, 0]);
    assert_eq!(answer["groups"], json!([keyed("2024-01-01", nothing.clone()), keyed("2024-01-02", nothing.clone())]));
    assert_eq!(answer["total"], nothing);
    app.stop().await;
}

#[tokio::test]
async fn wrong_parameters_are_refused_and_only_operators_may_ask() {
    let app = spawn_app().await;
    let cases = [
        ("to=2025-06-03", 400, "from: required (YYYY-MM-DD)"),
        ("from=2025-06-03&to=2025-06-03", 400, "to: must be after from (to is the first day not counted)"),
        ("from=2025-06-01&to=2025-06-03&groupBy=week", 400, "groupBy: one of day, station or pile"),
        ("from=2025-01-01&to=2026-01-03", 400, "to: at most 366 days after from when grouped by day"),
        ("from=2025-06-01&to=2025-06-03&station=NOPE", 404, "station NOPE not found"),
    ];
    for (query, status, message) in cases {
        let (got, answer) = app.operator("GET", &format!("/api/v1/stats?{query}"), None).await;
        assert_eq!((got, answer["message"].as_str()), (status, Some(message)), "{query}: {answer}");
    }
    let (status, answer) = app.get("/api/v1/stats?from=2025-06-01&to=2025-06-03").await;
    assert_eq!((status, answer["error"].as_str()), (401, Some("unauthorized")));
    app.stop().await;
}
