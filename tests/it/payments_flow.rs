//! Money through each provider's sandbox, end to end over real HTTP: top-ups and orders paid by
//! a payer posting to the pay URL, the provider's signed notification applied once, spoiled
//! notifications refused with nothing changed, refunds sent back through the provider, a lost
//! notification recovered by asking the provider, an unpaid payment closed.

use crate::business::{balance, charge, driver, ledger_and_balance, open_pile, order_when, tariff, yesterday_at};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::payments_notices::{Twist, notice};
use futures_util::future::join_all;
use serde_json::{Value, json};
use std::time::Duration;

/// Posts a notification to csms as `provider` would: (status, body).
pub(crate) async fn post_notice(
    app: &TestApp,
    provider: &str,
    (headers, body): (Vec<(String, String)>, String),
) -> (u16, String) {
    let mut post = reqwest::Client::new().post(format!("http://{}/api/v1/payments/notify/{provider}", app.http_addr));
    for (name, value) in headers {
        post = post.header(name, value);
    }
    let answer = post.body(body).send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The payer pays at `pay_url` (on csms's own listener, whatever host the URL names).
pub(crate) async fn pay_at(app: &TestApp, pay_url: &str) -> u16 {
    let path = &pay_url[pay_url.find("/sandbox/").expect("a sandbox pay URL")..];
    simulators::http::request(app.http_addr, "POST", path, None, None).await.unwrap().0
}

/// Waits (at most 10 s) until `done` says so of what `look` answers; answers the last look.
pub(crate) async fn until<F, Fut>(look: F, done: impl Fn(&Value) -> bool) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = look().await;
        if done(&seen) || tokio::time::Instant::now() > deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn payment(app: &TestApp, no: &str) -> Value {
    let (status, body) = app.operator("GET", &format!("/api/v1/payments/{no}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Opens a top-up of `amount` through `provider`: the pending payment.
async fn top_up(app: &TestApp, token: &str, provider: &str, amount: &str) -> Value {
    let ask = json!({"amount": amount, "method": provider});
    let (status, opened) = app.request("POST", "/api/v1/me/balance/top-up", Some(token), Some(&ask)).await;
    assert_eq!((status, &opened["status"]), (201, &json!("PENDING")), "{opened}");
    opened
}

pub(crate) fn no_of(payment: &Value) -> String {
    payment["paymentNo"].as_str().unwrap().to_owned()
}

async fn a_top_up_is_paid_at_the_sandbox_credited_once_and_kept_in_the_call_log(provider: &str, phone: &str) {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, phone).await;
    let opened = top_up(&app, &token, provider, "100.00").await;
    let pay_url = opened["payUrl"].as_str().unwrap();
    assert!(pay_url.starts_with(&format!("http://{}/sandbox/{provider}/pay/", app.http_addr)), "{pay_url}");
    let no = no_of(&opened);
    assert_eq!(balance(&app, &token).await, "0.00");

    assert_eq!(pay_at(&app, pay_url).await, 200);
    let paid = until(|| payment(&app, &no), |p| p["status"] == "SUCCEEDED").await;
    assert_eq!(
        (&paid["status"], &paid["purpose"], &paid["method"]),
        (&json!("SUCCEEDED"), &json!("top_up"), &json!(provider))
    );
    assert_eq!(balance(&app, &token).await, "100.00");

    // A replayed notification (genuine, signed by the provider) changes nothing.
    let (status, _) = post_notice(&app, provider, notice(provider, &no, "T-REPLAY", 10_000, Twist::Genuine)).await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(balance(&app, &token).await, "100.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (10_000, 10_000));

    let (status, calls) = app.operator("GET", &format!("/api/v1/payments/{no}/calls"), None).await;
    assert_eq!(status, 200, "{calls}");
    let seen: Vec<(&str, &str)> = calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["operation"].as_str().unwrap(), c["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [("create", "ok"), ("notification", "ok"), ("notification", "repeated")], "{calls}");
    let kept = calls.to_string();
    assert!(!kept.contains("signature=\\\"") && kept.contains(&no), "{kept}");
    app.stop().await;
}

async fn spoiled_notifications_change_nothing_and_copies_at_once_credit_once(provider: &str, phone: &str) {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, phone).await;
    let no = no_of(&top_up(&app, &token, provider, "20.00").await);
    let mut twists = vec![Twist::Forged, Twist::Tampered];
    if provider == "wechat" {
        twists.push(Twist::Stale);
    }
    for twist in twists {
        let (status, body) = post_notice(&app, provider, notice(provider, &no, "T-1", 2000, twist)).await;
        assert_eq!(status, 401, "{twist:?}: {body}");
    }
    let (status, _) = post_notice(&app, provider, notice(provider, &no, "T-1", 1999, Twist::Genuine)).await;
    assert_eq!(status, 400, "an amount that differs");
    let (status, _) = post_notice(&app, provider, notice(provider, "P-NOBODY", "T-2", 2000, Twist::Genuine)).await;
    assert_eq!(status, 404, "an unknown payment");
    assert_eq!(payment(&app, &no).await["status"], "PENDING");
    assert_eq!(balance(&app, &token).await, "0.00");

    // Ten copies at once (a provider sending again while the first is applied): credited once.
    let copies =
        join_all((0..10).map(|_| post_notice(&app, provider, notice(provider, &no, "T-1", 2000, Twist::Genuine))));
    for (status, body) in copies.await {
        assert!((200..300).contains(&status), "{status} {body}");
    }
    assert_eq!(payment(&app, &no).await["status"], "SUCCEEDED");
    assert_eq!(balance(&app, &token).await, "20.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (2000, 2000));
    app.stop().await;
}

async fn an_order_paid_through_the_provider_is_settled_and_its_change_goes_back_through_it(
    provider: &str,
    phone: &str,
) {
    let app = spawn_app().await;
    let pile = format!("PILE-{provider}");
    let mut cp = open_pile(&app, &format!("ST-{provider}"), &pile, tariff()).await;
    let (token, user_id, tag) = driver(&app, phone).await;
    let ask =
        json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00", "method": provider});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    let order_no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": order_no, "method": provider});
    let (status, opened) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!((status, &opened["status"], &opened["amount"]), (201, &json!("PENDING"), &json!("50.00")), "{opened}");
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    let ready = order_when(&app, &token, &order_no, |o| o["status"] == "READY").await;
    assert_eq!((&ready["paymentStatus"], &ready["paidAmount"]), (&json!("PAID"), &json!("50.00")), "{ready}");

    let done =
        charge(&app, &mut cp, (&token, &order_no, &tag), (yesterday_at(10, 0), 10_000), (yesterday_at(10, 30), 25_000))
            .await;
    assert_eq!((&done["status"], &done["totalAmount"]), (&json!("COMPLETED"), &json!("12.00")), "{done}");
    // 15 kWh before 11:00 (7.50 + 4.50): 38.00 of the 50.00 goes back through the provider, not to
    // the balance.
    let no = no_of(&opened);
    let settled = until(|| payment(&app, &no), |p| p["refunds"][0]["status"] == "SUCCEEDED").await;
    let refund = &settled["refunds"][0];
    assert_eq!(
        (&refund["amount"], &refund["destination"], &refund["status"], &settled["refundedAmount"]),
        (&json!("38.00"), &json!("original"), &json!("SUCCEEDED"), &json!("38.00")),
        "{settled}"
    );
    assert_eq!(balance(&app, &token).await, "0.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (0, 0));
    // The refund's call is kept once its answer is read, which may come after the provider's
    // notification of it.
    let refunded = |calls: &Value| {
        calls.as_array().is_some_and(|all| all.iter().any(|c| c["operation"] == "refund" && c["outcome"] == "ok"))
    };
    let calls =
        until(|| async { app.operator("GET", &format!("/api/v1/payments/{no}/calls"), None).await.1 }, refunded).await;
    assert!(calls.as_array().unwrap().iter().any(|c| c["operation"] == "refund" && c["outcome"] == "ok"), "{calls}");
    app.stop().await;
}

async fn an_operator_refund_of_a_top_up_goes_back_through_the_provider_and_off_the_balance(
    provider: &str,
    phone: &str,
) {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, phone).await;
    let opened = top_up(&app, &token, provider, "30.00").await;
    let no = no_of(&opened);
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    until(|| payment(&app, &no), |p| p["status"] == "SUCCEEDED").await;
    let (status, refund) =
        app.operator("POST", &format!("/api/v1/payments/{no}/refund"), Some(&json!({"amount": "10.00"}))).await;
    assert_eq!((status, &refund["destination"]), (201, &json!("original")), "{refund}");
    // WeChat and Alipay answer it refunded; UnionPay takes it (00) and posts its result.
    let done = until(|| payment(&app, &no), |p| p["refunds"][0]["status"] == "SUCCEEDED").await;
    assert_eq!(done["refunds"][0]["status"], "SUCCEEDED", "{done}");
    assert_eq!(balance(&app, &token).await, "20.00");
    // More than is left is refused, and nothing moves.
    let (status, body) =
        app.operator("POST", &format!("/api/v1/payments/{no}/refund"), Some(&json!({"amount": "20.01"}))).await;
    assert_eq!((status, &body["error"]), (409, &json!("refund_exceeds_paid")), "{body}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (2000, 2000));
    app.stop().await;
}

async fn a_lost_notification_is_recovered_by_asking_the_provider(provider: &str, phone: &str) {
    // The provider's notifications go where nobody listens; the query job finds the payment paid.
    let app = spawn_app_with(|s| {
        s.payments.notify_base_url = "http://127.0.0.1:9".to_owned();
        s.payments.reconcile_interval_s = 1;
    })
    .await;
    let (token, user_id, _) = driver(&app, phone).await;
    let opened = top_up(&app, &token, provider, "12.34").await;
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    let no = no_of(&opened);
    let paid = until(|| payment(&app, &no), |p| p["status"] == "SUCCEEDED").await;
    assert_eq!(paid["status"], "SUCCEEDED", "{paid}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (1234, 1234));
    app.stop().await;
}

async fn an_unpaid_payment_is_closed_at_the_provider_and_a_late_payment_is_still_taken(provider: &str, phone: &str) {
    let app = spawn_app_with(|s| {
        s.payments.close_after_minutes = 0;
        s.payments.reconcile_interval_s = 1;
    })
    .await;
    let (token, user_id, _) = driver(&app, phone).await;
    let opened = top_up(&app, &token, provider, "5.00").await;
    let no = no_of(&opened);
    let closed = until(|| payment(&app, &no), |p| p["status"] == "CLOSED").await;
    assert_eq!(closed["status"], "CLOSED", "{closed}");
    if provider == "unionpay" {
        // UnionPay has no close: its code works until its payTimeout. A payment made on it in
        // that window comes by notification, and the money is taken.
        assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
        let late = until(|| payment(&app, &no), |p| p["status"] == "SUCCEEDED").await;
        assert_eq!(late["status"], "SUCCEEDED", "{late}");
        assert_eq!(ledger_and_balance(&app, user_id).await, (500, 500));
    } else {
        assert!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await >= 400, "a closed payment is not paid");
        assert_eq!(ledger_and_balance(&app, user_id).await, (0, 0));
    }
    app.stop().await;
}

macro_rules! through {
    ($provider:literal, $module:ident, $n:literal) => {
        mod $module {
            #[tokio::test]
            async fn a_top_up_is_paid_at_the_sandbox_credited_once_and_kept_in_the_call_log() {
                super::a_top_up_is_paid_at_the_sandbox_credited_once_and_kept_in_the_call_log(
                    $provider,
                    concat!("1395550", $n, "01"),
                )
                .await;
            }
            #[tokio::test]
            async fn spoiled_notifications_change_nothing_and_copies_at_once_credit_once() {
                super::spoiled_notifications_change_nothing_and_copies_at_once_credit_once(
                    $provider,
                    concat!("1395550", $n, "02"),
                )
                .await;
            }
            #[tokio::test]
            async fn an_order_paid_through_the_provider_is_settled_and_its_change_goes_back_through_it() {
                super::an_order_paid_through_the_provider_is_settled_and_its_change_goes_back_through_it(
                    $provider,
                    concat!("1395550", $n, "03"),
                )
                .await;
            }
            #[tokio::test]
            async fn an_operator_refund_of_a_top_up_goes_back_through_the_provider_and_off_the_balance() {
                super::an_operator_refund_of_a_top_up_goes_back_through_the_provider_and_off_the_balance(
                    $provider,
                    concat!("1395550", $n, "04"),
                )
                .await;
            }
            #[tokio::test]
            async fn a_lost_notification_is_recovered_by_asking_the_provider() {
                super::a_lost_notification_is_recovered_by_asking_the_provider($provider, concat!("1395550", $n, "05"))
                    .await;
            }
            #[tokio::test]
            async fn an_unpaid_payment_is_closed_at_the_provider_and_a_late_payment_is_still_taken() {
                super::an_unpaid_payment_is_closed_at_the_provider_and_a_late_payment_is_still_taken(
                    $provider,
                    concat!("1395550", $n, "06"),
                )
                .await;
            }
        }
    };
}

through!("wechat", wechat, "10");
through!("alipay", alipay, "20");
through!("unionpay", unionpay, "30");

#[tokio::test]
async fn a_top_up_through_the_balance_or_beyond_the_limit_is_refused() {
    let app = spawn_app().await;
    let (token, _, _) = driver(&app, "13955599901").await;
    for (amount, method) in [("10.00", "balance"), ("10000.01", "wechat"), ("0", "wechat"), ("5.00", "paypal")] {
        let ask = json!({"amount": amount, "method": method});
        let (status, body) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
        assert_eq!((status, &body["error"]), (400, &json!("bad_request")), "{amount} {method}: {body}");
    }
    app.stop().await;
}
