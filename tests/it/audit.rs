//! The money audit: a healthy database passes (unpaid bills listed as owed); a balance that is
//! not its ledger's sum, a paid order keeping less than its bill and a payment refunded beyond
//! its amount are each caught, named by id, alarmed, and make `csms audit` exit 1.

use crate::business::{adjust, charge, driver, open_pile, yesterday_at};
use crate::helpers::{TestApp, spawn_app_with};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// 2.00 a kWh all day.
fn flat() -> Value {
    json!({"periods": [{"start": "00:00", "end": "00:00", "energyPrice": "1.50", "serviceFee": "0.50"}]})
}

/// The audit's report once `ready` says so (the server runs it every second here).
async fn audit_when(app: &TestApp, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (status, report) = app.operator("GET", "/api/v1/audit", None).await;
        if status == 200 && ready(&report) || tokio::time::Instant::now() > deadline {
            return report;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `csms audit` on the test's database: (exit code, what it printed).
fn audit_on_the_command_line(app: &TestApp) -> (Option<i32>, String) {
    let ran = std::process::Command::new(env!("CARGO_BIN_EXE_csms"))
        .args(["audit"])
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "off")
        .output()
        .expect("running csms audit");
    (ran.status.code(), String::from_utf8_lossy(&ran.stdout).into_owned())
}

#[tokio::test]
async fn a_healthy_database_passes_the_audit_and_each_sum_that_does_not_add_up_is_caught_by_its_id() {
    let app = spawn_app_with(|s| s.audit.interval_s = 1).await;
    let mut cp = open_pile(&app, "ST-AU", "PILE-AU", flat()).await;
    let (token, user_id, tag) = driver(&app, "13912349101").await;
    adjust(&app, user_id, "20.00").await;
    let ask = json!({"pileCode": "PILE-AU", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "15.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let paid_no = order["orderNo"].as_str().unwrap().to_owned();
    let (_, payment) = app
        .request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": paid_no, "method": "balance"})))
        .await;
    let payment_no = payment["paymentNo"].as_str().unwrap().to_owned();
    charge(&app, &mut cp, (&token, &paid_no, &tag), (yesterday_at(8, 0), 0), (yesterday_at(9, 0), 5_000)).await;
    // A postpaid bill the 10.00 left cannot cover: owed, not a mismatch.
    let ask = json!({"pileCode": "PILE-AU", "connectorId": 1, "payMode": "postpaid"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let owed_no = order["orderNo"].as_str().unwrap().to_owned();
    charge(&app, &mut cp, (&token, &owed_no, &tag), (yesterday_at(10, 0), 5_000), (yesterday_at(11, 0), 12_000)).await;

    let healthy = audit_when(&app, |r| r["owed"].as_array().is_some_and(|o| !o.is_empty())).await;
    assert_eq!(
        (&healthy["mismatches"], &healthy["owed"][0]["orderNo"], &healthy["owed"][0]["amount"]),
        (&json!([]), &json!(owed_no), &json!("14.00")),
        "{healthy}"
    );
    assert_eq!(audit_on_the_command_line(&app).0, Some(0));

    // Three sums broken behind csms's back (the order's twice: against its bill and its payments).
    let db = app.store.db();
    db.execute_unprepared(&format!("UPDATE users SET balance_fen = balance_fen + 7 WHERE id = {user_id}"))
        .await
        .unwrap();
    db.execute_unprepared(&format!("UPDATE orders SET refunded_fen = refunded_fen + 100 WHERE order_no = '{paid_no}'"))
        .await
        .unwrap();
    db.execute_unprepared(&format!(
        "UPDATE payments SET refunded_fen = amount_fen + 1 WHERE payment_no = '{payment_no}'"
    ))
    .await
    .unwrap();
    let broken = audit_when(&app, |r| r["mismatches"].as_array().is_some_and(|m| m.len() >= 4)).await;
    let found: Vec<(&str, &str)> = broken["mismatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["kind"].as_str().unwrap_or(""), m["id"].as_str().unwrap_or("")))
        .collect();
    let (user, order, payment) =
        (format!("user:{user_id}"), format!("order:{paid_no}"), format!("payment:{payment_no}"));
    assert_eq!(
        found,
        [
            ("balance_vs_ledger", user.as_str()),
            ("order_money", order.as_str()),
            ("order_money", order.as_str()),
            ("payment_refunds", payment.as_str())
        ],
        "{broken}"
    );
    let (_, alarms) = app.operator("GET", "/api/v1/alarms?active=true&type=ledger_mismatch", None).await;
    assert_eq!((alarms["total"].as_u64(), &alarms["items"][0]["chargerId"]), (Some(1), &Value::Null), "{alarms}");
    let (code, said) = audit_on_the_command_line(&app);
    assert_eq!(code, Some(1), "{said}");
    assert!(said.contains(&format!("MISMATCH balance_vs_ledger {user}")), "{said}");
    app.stop().await;
}

#[tokio::test]
async fn a_refund_an_operator_makes_after_settlement_is_no_mismatch() {
    let app = spawn_app_with(|s| s.audit.interval_s = 1).await;
    let mut cp = open_pile(&app, "ST-AG", "PILE-AG", flat()).await;
    let (token, user_id, tag) = driver(&app, "13912349102").await;
    adjust(&app, user_id, "20.00").await;
    let ask = json!({"pileCode": "PILE-AG", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "15.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let (_, payment) =
        app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    let payment_no = payment["paymentNo"].as_str().unwrap().to_owned();
    charge(&app, &mut cp, (&token, &no, &tag), (yesterday_at(8, 0), 0), (yesterday_at(9, 0), 5_000)).await;
    // Goodwill after the bill: the order keeps 8.00 of its 10.00, rightly.
    let (status, _) = app
        .operator(
            "POST",
            &format!("/api/v1/payments/{payment_no}/refund"),
            Some(&json!({"amount": "2.00", "reason": "goodwill"})),
        )
        .await;
    assert_eq!(status, 201);
    let later = chrono::Utc::now();
    let report = audit_when(&app, |r| {
        r["ranAt"].as_str().and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok()).is_some_and(|t| t > later)
    })
    .await;
    assert_eq!(report["mismatches"], json!([]), "{report}");
    let logged = app.store.operations("PILE-AG").await.unwrap();
    let refund = logged.iter().find(|o| o.action == "Refund").expect("the refund in the operation log");
    assert_eq!((refund.actor.as_str(), &refund.payload["amount"]), ("operator-token", &json!("2.00")));
    app.stop().await;
}
