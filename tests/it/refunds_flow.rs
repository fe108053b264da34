//! Refunds back through a provider, end to end over its sandbox: a driver's top-up of 30.00 is
//! paid, then an operator refunds 10.00 of it (taken off the balance at once), the sandbox told
//! beforehand how that refund goes (`/sandbox/{provider}/refund-script/{paymentNo}`). What
//! `refunds_wechat`, `refunds_alipay` and `refunds_unionpay` share.

use crate::business::{balance, driver, ledger_and_balance};
use crate::helpers::{TestApp, spawn_app_with};
use crate::payments_flow::{no_of, pay_at, payment, until};
use crate::staff_and_events::{events, next_event};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::BufReader;

type Events = tokio::io::Lines<BufReader<tokio::net::TcpStream>>;

/// A driver's paid top-up, and the driver's events from then on.
pub(crate) struct Paid {
    pub(crate) token: String,
    pub(crate) user_id: i64,
    pub(crate) payment_no: String,
    pub(crate) events: Events,
}

/// A server whose refund job sends again, or asks again, `retry_s` after a first try (doubling).
pub(crate) async fn app_retrying_after(retry_s: u64) -> TestApp {
    spawn_app_with(|s| s.payments.refund_retry_s = retry_s).await
}

/// A driver's top-up of 30.00 through `provider`, paid.
pub(crate) async fn paid_top_up(app: &TestApp, provider: &str, phone: &str) -> Paid {
    let (token, user_id, _) = driver(app, phone).await;
    let ask = json!({"amount": "30.00", "method": provider});
    let (status, opened) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{opened}");
    let payment_no = no_of(&opened);
    assert_eq!(pay_at(app, opened["payUrl"].as_str().unwrap()).await, 200);
    let paid = until(|| payment(app, &payment_no), |p| p["status"] == "SUCCEEDED").await;
    assert_eq!(paid["status"], "SUCCEEDED", "{paid}");
    let events = events(app, &token).await;
    Paid { token, user_id, payment_no, events }
}

/// Tells `provider`'s sandbox how the refunds of `payment_no` go.
pub(crate) async fn script(app: &TestApp, provider: &str, payment_no: &str, script: Value) {
    let path = format!("/sandbox/{provider}/refund-script/{payment_no}");
    let (status, body) = app.request("POST", &path, None, Some(&script)).await;
    assert_eq!(status, 204, "{body}");
}

/// An operator's refund of 10.00 of the payment: the refund as answered.
pub(crate) async fn refund_ten(app: &TestApp, paid: &Paid) -> Value {
    let path = format!("/api/v1/payments/{}/refund", paid.payment_no);
    let (status, refund) = app.operator("POST", &path, Some(&json!({"amount": "10.00"}))).await;
    assert_eq!((status, &refund["amount"]), (201, &json!("10.00")), "{refund}");
    refund
}

/// The payment's refund once `done` says so (at most 10 s), as then.
pub(crate) async fn refund_when(app: &TestApp, paid: &Paid, done: impl Fn(&Value) -> bool) -> Value {
    let seen = until(|| payment(app, &paid.payment_no), |p| done(&p["refunds"][0])).await;
    seen["refunds"][0].clone()
}

/// The payment's exchanges with its provider about its refund, oldest first: (operation,
/// outcome).
pub(crate) async fn refund_calls(app: &TestApp, paid: &Paid) -> Vec<(String, String)> {
    let (status, calls) = app.operator("GET", &format!("/api/v1/payments/{}/calls", paid.payment_no), None).await;
    assert_eq!(status, 200, "{calls}");
    calls
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["refundNo"].is_string())
        .map(|c| (c["operation"].as_str().unwrap().to_owned(), c["outcome"].as_str().unwrap().to_owned()))
        .collect()
}

/// The next event named `name` the driver hears (others before it are passed over).
pub(crate) async fn heard(paid: &mut Paid, name: &str) -> Value {
    loop {
        let (event, data) = next_event(&mut paid.events).await;
        if event == name {
            return data;
        }
    }
}

/// Whether the driver hears `name` again within a second.
pub(crate) async fn heard_again(paid: &mut Paid, name: &str) -> bool {
    let again = async {
        loop {
            if next_event(&mut paid.events).await.0 == name {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(1), again).await.is_ok()
}

/// The refund went back through the provider: `SUCCEEDED` to the `original` method, the balance
/// 20.00 (the refunded top-up off it), and the driver told `refund.made` once.
pub(crate) async fn went_back(app: &TestApp, paid: &mut Paid) {
    let refund = refund_when(app, paid, |r| r["status"] != "PENDING").await;
    assert_eq!((&refund["status"], &refund["destination"]), (&json!("SUCCEEDED"), &json!("original")), "{refund}");
    assert_eq!(balance(app, &paid.token).await, "20.00");
    assert_eq!(ledger_and_balance(app, paid.user_id).await, (2000, 2000));
    let made = heard(paid, "refund.made").await;
    assert_eq!((&made["refundNo"], &made["status"]), (&refund["refundNo"], &json!("SUCCEEDED")), "{made}");
    assert!(!heard_again(paid, "refund.made").await, "the driver is told once");
}

/// The provider did not refund it: the refund is `FAILED`, its money on the balance instead
/// (30.00 again, with its ledger row), and the driver told `refund.failed`.
pub(crate) async fn went_to_the_balance(app: &TestApp, paid: &mut Paid) {
    let refund = refund_when(app, paid, |r| r["status"] != "PENDING").await;
    assert_eq!((&refund["status"], &refund["destination"]), (&json!("FAILED"), &json!("balance")), "{refund}");
    assert_eq!(balance(app, &paid.token).await, "30.00");
    assert_eq!(ledger_and_balance(app, paid.user_id).await, (3000, 3000));
    let (status, ledger) = app.request("GET", "/api/v1/me/ledger", Some(&paid.token), None).await;
    assert_eq!(status, 200, "{ledger}");
    let rows = ledger["items"].as_array().unwrap();
    let back = rows.iter().filter(|r| r["reference"] == refund["refundNo"] && r["amount"] == "10.00").count();
    assert_eq!(back, 1, "one ledger row gives it back: {ledger}");
    let failed = heard(paid, "refund.failed").await;
    assert_eq!((&failed["refundNo"], &failed["destination"]), (&refund["refundNo"], &json!("balance")), "{failed}");
}

/// The refund stays `PENDING` for a while (`for_ms`): nothing decided yet.
pub(crate) async fn stays_pending(app: &TestApp, paid: &Paid, for_ms: u64) {
    tokio::time::sleep(Duration::from_millis(for_ms)).await;
    let refund = &payment(app, &paid.payment_no).await["refunds"][0];
    assert_eq!(refund["status"], "PENDING", "{refund}");
    assert_eq!(balance(app, &paid.token).await, "20.00");
}
