//! Refunds through WeChat Pay's sandbox, one test per way a refund goes there: at once,
//! `PROCESSING` then `SUCCESS` (notified, or found by asking when the notification is lost),
//! `PROCESSING` then `CLOSED` or `ABNORMAL`, a temporary failure (500, 429) then success, and a
//! definite refusal.

use crate::payments_flow::payment;
use crate::refunds_flow::{
    app_retrying_after, paid_top_up, refund_calls, refund_ten, script, stays_pending, went_back, went_to_the_balance,
};
use serde_json::json;

#[tokio::test]
async fn a_wechat_refund_that_succeeds_at_once_is_done_and_its_refund_success_notification_is_taken() {
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560101").await;
    let refund = refund_ten(&app, &paid).await;
    assert_eq!(refund["status"], "SUCCEEDED", "{refund}");
    went_back(&app, &mut paid).await;
    // WeChat notifies REFUND.SUCCESS all the same: read (decrypted) and answered 204, changing nothing.
    let notified = crate::payments_flow::until(
        || async { json!(refund_calls(&app, &paid).await.iter().any(|(op, _)| op == "notification")) },
        |seen| seen == &json!(true),
    )
    .await;
    assert_eq!(notified, json!(true));
    // Read and applied once: by the answer or by the notification, whichever came first.
    let calls = refund_calls(&app, &paid).await;
    let notified = calls.iter().find(|(op, _)| op == "notification").map(|(_, outcome)| outcome.as_str());
    assert!(matches!(notified, Some("repeated" | "ok")), "{calls:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_refund_processing_stays_pending_until_its_refund_success_notification() {
    // The job would ask after it only in 30 s: the notification is what finishes it.
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560102").await;
    script(&app, "wechat", &paid.payment_no, json!({"states": ["processing", "succeeded"]})).await;
    let refund = refund_ten(&app, &paid).await;
    assert_eq!(refund["status"], "PENDING", "PROCESSING is not done yet: {refund}");
    went_back(&app, &mut paid).await;
    let calls = refund_calls(&app, &paid).await;
    assert_eq!(
        calls,
        [("refund".into(), "ok".into()), ("notification".into(), "ok".into())],
        "taken once, finished by its notification"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_refund_processing_whose_notification_is_lost_is_found_succeeded_by_asking() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560103").await;
    script(&app, "wechat", &paid.payment_no, json!({"states": ["processing", "succeeded"], "notify": false})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING");
    went_back(&app, &mut paid).await;
    let calls = refund_calls(&app, &paid).await;
    assert_eq!(calls.first(), Some(&("refund".into(), "ok".into())), "{calls:?}");
    assert_eq!(calls.last(), Some(&("refund_query".into(), "ok".into())), "{calls:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_refund_closed_after_processing_goes_to_the_balance() {
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560104").await;
    script(&app, "wechat", &paid.payment_no, json!({"states": ["processing", "failed"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING");
    went_to_the_balance(&app, &mut paid).await;
    app.stop().await;
}

#[tokio::test]
async fn an_abnormal_wechat_refund_raises_an_alarm_for_the_operator_and_stays_pending() {
    let app = app_retrying_after(1).await;
    let paid = paid_top_up(&app, "wechat", "13955560105").await;
    script(&app, "wechat", &paid.payment_no, json!({"states": ["processing", "abnormal"]})).await;
    let refund_no = refund_ten(&app, &paid).await["refundNo"].as_str().unwrap().to_owned();
    let alarms = crate::payments_flow::until(
        || async { app.operator("GET", "/api/v1/alarms?active=true&type=refund_abnormal", None).await.1 },
        |page| page["total"] == 1,
    )
    .await;
    let alarm = &alarms["items"][0];
    assert_eq!((&alarm["level"], &alarm["value"]), (&json!("medium"), &json!(refund_no)), "{alarms}");
    assert!(alarm["message"].as_str().unwrap().contains(&refund_no), "{alarm}");
    // Asked after (ABNORMAL again): still pending, one alarm, nothing moved.
    let asked = crate::payments_flow::until(
        || async { json!(refund_calls(&app, &paid).await.iter().any(|(op, _)| op == "refund_query")) },
        |seen| seen == &json!(true),
    )
    .await;
    assert_eq!(asked, json!(true), "asked after");
    stays_pending(&app, &paid, 200).await;
    let (_, alarms) = app.operator("GET", "/api/v1/alarms?type=refund_abnormal", None).await;
    assert_eq!(alarms["total"], 1, "{alarms}");
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_refund_that_fails_for_now_is_sent_again_and_succeeds() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560106").await;
    script(&app, "wechat", &paid.payment_no, json!({"answers": ["busy", "throttled"]})).await;
    let refund = refund_ten(&app, &paid).await;
    assert_eq!(refund["status"], "PENDING", "a 500 is no refusal: {refund}");
    went_back(&app, &mut paid).await;
    let sent: Vec<String> = refund_calls(&app, &paid)
        .await
        .into_iter()
        .filter(|(op, _)| op == "refund")
        .map(|(_, outcome)| outcome)
        .collect();
    assert_eq!(sent, ["temporary", "temporary", "ok"]);
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_refund_refused_for_good_goes_to_the_balance() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "wechat", "13955560107").await;
    script(&app, "wechat", &paid.payment_no, json!({"answers": ["refused"]})).await;
    let refund = refund_ten(&app, &paid).await;
    assert_eq!(refund["status"], "FAILED", "{refund}");
    went_to_the_balance(&app, &mut paid).await;
    let kept = payment(&app, &paid.payment_no).await;
    assert_eq!(kept["refundedAmount"], "10.00", "given back, to the balance: {kept}");
    app.stop().await;
}
