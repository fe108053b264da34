//! How long a payment can be paid at its provider: the window csms sends when it opens one
//! (WeChat `time_expire`, Alipay `timeout_express`, UnionPay `payTimeout`) follows
//! `payments.close_after_minutes`; and a payment csms closed is still asked after until that
//! window has passed, so that money paid into it after all is found — taken, or given back
//! through the provider when its order no longer owes it.

use crate::business::{adjust, balance, driver, ledger_and_balance, open_pile, order_when, tariff};
use crate::helpers::{TestApp, spawn_app_with};
use crate::payments_flow::{no_of, pay_at, payment, until};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The `create` call csms made to open payment `no`, as kept: what it sent.
async fn opening(app: &TestApp, no: &str) -> String {
    let (status, calls) = app.operator("GET", &format!("/api/v1/payments/{no}/calls"), None).await;
    assert_eq!(status, 200, "{calls}");
    let create = calls.as_array().unwrap().iter().find(|c| c["operation"] == "create").cloned();
    create.unwrap()["request"].as_str().unwrap().to_owned()
}

fn form(sent: &str) -> HashMap<String, String> {
    form_urlencoded::parse(sent.as_bytes()).into_owned().collect()
}

/// `at` is `minutes` after `from`, give or take 10 s.
fn minutes_after(at: DateTime<Utc>, from: DateTime<Utc>, minutes: i64) -> bool {
    ((at - from).num_seconds() - minutes * 60).abs() <= 10
}

#[tokio::test]
async fn the_window_each_provider_is_sent_follows_close_after_minutes() {
    let app = spawn_app_with(|s| s.payments.close_after_minutes = 7).await;
    let (token, _, _) = driver(&app, "13955580101").await;
    let mut opened = Vec::new();
    for provider in ["wechat", "alipay", "unionpay"] {
        let ask = json!({"amount": "5.00", "method": provider});
        let (status, body) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
        assert_eq!(status, 201, "{body}");
        opened.push(no_of(&body));
    }
    let now = Utc::now();

    let wechat = opening(&app, &opened[0]).await;
    let body: Value = serde_json::from_str(wechat.split_once('\n').unwrap().1).unwrap();
    let expire = body["time_expire"].as_str().unwrap_or_default();
    assert!(expire.ends_with("+08:00"), "RFC 3339 in Beijing time: {body}");
    assert!(minutes_after(DateTime::parse_from_rfc3339(expire).unwrap().to_utc(), now, 7), "{expire}");

    let alipay = form(&opening(&app, &opened[1]).await);
    let biz: Value = serde_json::from_str(&alipay["biz_content"]).unwrap();
    assert_eq!(biz["timeout_express"], "7m", "{biz}");

    let unionpay = form(&opening(&app, &opened[2]).await);
    let local = NaiveDateTime::parse_from_str(&unionpay["payTimeout"], "%Y%m%d%H%M%S").unwrap();
    let until = chrono_tz::Asia::Shanghai.from_local_datetime(&local).unwrap().to_utc();
    assert!(minutes_after(until, now, 7), "{until}");
    app.stop().await;
}

/// A server closing unpaid payments at once, asking after payments every second, whose
/// providers' notifications are lost (they go where nobody listens).
async fn closing_at_once_and_deaf() -> TestApp {
    spawn_app_with(|s| {
        s.payments.close_after_minutes = 0;
        s.payments.reconcile_interval_s = 1;
        s.payments.notify_base_url = "http://127.0.0.1:9".to_owned();
        s.payments.refund_retry_s = 1;
    })
    .await
}

#[tokio::test]
async fn a_top_up_csms_closed_but_paid_within_its_window_is_found_by_asking_and_credited() {
    let app = closing_at_once_and_deaf().await;
    let (token, user_id, _) = driver(&app, "13955580102").await;
    let ask = json!({"amount": "5.00", "method": "unionpay"});
    let (_, opened) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
    let no = no_of(&opened);
    let closed = until(|| payment(&app, &no), |p| p["status"] == "CLOSED").await;
    assert_eq!(closed["status"], "CLOSED", "{closed}");
    // UnionPay's code still pays within its window; the notification of it is lost.
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    let found = until(|| payment(&app, &no), |p| p["status"] == "SUCCEEDED").await;
    assert_eq!(found["status"], "SUCCEEDED", "{found}");
    assert_eq!(balance(&app, &token).await, "5.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (500, 500));
    app.stop().await;
}

#[tokio::test]
async fn money_for_an_order_paid_meanwhile_into_a_payment_csms_closed_is_found_and_given_back_through_the_provider() {
    let app = closing_at_once_and_deaf().await;
    let _cp = open_pile(&app, "ST-WIN", "PILE-WIN", tariff()).await;
    let (token, user_id, _) = driver(&app, "13955580103").await;
    adjust(&app, user_id, "50.00").await;
    let ask = json!({"pileCode": "PILE-WIN", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let order_no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = |method: &str| json!({"orderNo": order_no, "method": method});
    let (status, opened) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay("unionpay"))).await;
    assert_eq!(status, 201, "{opened}");
    let no = no_of(&opened);
    until(|| payment(&app, &no), |p| p["status"] == "CLOSED").await;
    // The driver pays from the balance instead, then scans the old code and pays it as well.
    let (status, body) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay("balance"))).await;
    assert_eq!(status, 201, "{body}");
    order_when(&app, &token, &order_no, |o| o["status"] == "READY").await;
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    // Found by asking; the order owes it no more: all of it goes back through UnionPay.
    let back = until(|| payment(&app, &no), |p| p["refunds"][0]["status"] == "SUCCEEDED").await;
    assert_eq!(
        (&back["status"], &back["refundedAmount"], &back["refunds"][0]["destination"]),
        (&json!("SUCCEEDED"), &json!("50.00"), &json!("original")),
        "{back}"
    );
    let order = order_when(&app, &token, &order_no, |_| true).await;
    assert_eq!((&order["paidAmount"], &order["paymentStatus"]), (&json!("50.00"), &json!("PAID")), "{order}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (0, 0));
    app.stop().await;
}
