//! `GET /api/v1/stats` with `Accept: text/csv`: the same figures as the JSON answer, one row per
//! group and the total, as a file to download.

use crate::helpers::{OPERATOR_TOKEN, spawn_app};
use crate::stats_seed::seed;
use serde_json::Value;

/// A group's figures in the CSV's column order, from the JSON answer.
fn columns(key: &str, f: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut row = vec![key.to_owned()];
    for path in [
        "/orders/created",
        "/orders/completed",
        "/orders/cancelled",
        "/energyKwh",
        "/revenue/energyFee",
        "/revenue/serviceFee",
        "/revenue/total",
        "/revenue/refunds",
        "/utilisation",
        "/users/new",
        "/users/active",
    ] {
        row.push(text(f.pointer(path).unwrap_or_else(|| panic!("{path} in {f}"))));
    }
    row
}

#[tokio::test]
async fn stats_asked_for_as_csv_are_the_json_figures_one_row_per_group_and_the_total() {
    let app = spawn_app().await;
    seed(&app).await;
    let query = "from=2025-06-01&to=2025-06-03&groupBy=station";
    let (status, json) = app.operator("GET", &format!("/api/v1/stats?{query}"), None).await;
    assert_eq!(status, 200, "{json}");

    let answer = reqwest::Client::new()
        .get(format!("http://{}/api/v1/stats?{query}", app.http_addr))
        .bearer_auth(OPERATOR_TOKEN)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        answer.headers()["content-disposition"],
        "attachment; filename=\"stats-2025-06-01-2025-06-03-station.csv\""
    );
    let csv = answer.text().await.unwrap();
    let rows: Vec<Vec<String>> =
        csv.split_terminator("\r\n").map(|line| line.split(',').map(str::to_owned).collect()).collect();
    assert_eq!(rows[0][..3], ["key", "orders_created", "orders_completed"]);
    let mut expected: Vec<Vec<String>> =
        json["groups"].as_array().unwrap().iter().map(|g| columns(g["key"].as_str().unwrap(), g)).collect();
    expected.push(columns("total", &json["total"]));
    assert!(expected.len() >= 3, "two stations and the total: {json}");
    assert_eq!(rows[1..], expected[..], "{csv}");
    app.stop().await;
}
