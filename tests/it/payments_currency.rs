//! Every notification's currency is checked: money in anything but yuan is not applied, the
//! provider is answered as its protocol says a notification was refused, and the refusal is
//! counted (`csms_payments_total{outcome="wrong_currency"}`).

use crate::business::{balance, driver, ledger_and_balance};
use crate::helpers::spawn_app;
use crate::payments_flow::{no_of, payment, post_notice};
use crate::payments_notices::{Twist, notice};
use serde_json::json;

async fn a_notification_in_dollars_is_refused_applied_never_and_counted(provider: &str, phone: &str) {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, phone).await;
    let ask = json!({"amount": "20.00", "method": provider});
    let (status, opened) = app.request("POST", "/api/v1/me/balance/top-up", Some(&token), Some(&ask)).await;
    assert_eq!(status, 201, "{opened}");
    let no = no_of(&opened);
    let (status, answer) = post_notice(&app, provider, notice(provider, &no, "T-USD", 2000, Twist::Dollars)).await;
    assert_eq!(status, 400, "{answer}");
    match provider {
        "wechat" => {
            let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
            assert_eq!(answer["code"], "FAIL", "{answer}");
        }
        _ => assert_eq!(answer, "fail"),
    }
    assert_eq!(payment(&app, &no).await["status"], "PENDING");
    assert_eq!(balance(&app, &token).await, "0.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (0, 0));
    let (_, calls) = app.operator("GET", &format!("/api/v1/payments/{no}/calls"), None).await;
    assert!(
        calls.as_array().unwrap().iter().any(|c| c["operation"] == "notification" && c["outcome"] == "wrong_currency"),
        "{calls}"
    );
    let scraped = reqwest::get(format!("http://{}/metrics", app.http_addr)).await.unwrap().text().await.unwrap();
    let series = format!(r#"csms_payments_total{{method="{provider}",outcome="wrong_currency"}} "#);
    let counted = scraped.lines().find_map(|l| l.strip_prefix(&series)).and_then(|n| n.trim().parse::<f64>().ok());
    assert!(counted.is_some_and(|n| n >= 1.0), "{series}: {counted:?}");

    // The same notification in yuan is taken.
    let (status, _) = post_notice(&app, provider, notice(provider, &no, "T-CNY", 2000, Twist::Genuine)).await;
    assert!((200..300).contains(&status));
    assert_eq!(balance(&app, &token).await, "20.00");
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_notification_in_dollars_is_refused_applied_never_and_counted() {
    a_notification_in_dollars_is_refused_applied_never_and_counted("wechat", "13955570101").await;
}

#[tokio::test]
async fn an_alipay_notification_in_dollars_is_refused_applied_never_and_counted() {
    a_notification_in_dollars_is_refused_applied_never_and_counted("alipay", "13955570102").await;
}

#[tokio::test]
async fn a_unionpay_notification_in_dollars_is_refused_applied_never_and_counted() {
    a_notification_in_dollars_is_refused_applied_never_and_counted("unionpay", "13955570103").await;
}
