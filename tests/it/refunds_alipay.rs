//! Refunds through Alipay's sandbox, one test per way a refund goes there: at once (Alipay's
//! refund answers its result), made but its answer lost (found made by
//! `alipay.trade.fastpay.refund.query`, not made twice), a temporary failure
//! (`ACQ.SYSTEM_ERROR`, 20000) then success, and a definite refusal.

use crate::refunds_flow::{
    app_retrying_after, paid_top_up, refund_calls, refund_ten, script, went_back, went_to_the_balance,
};
use serde_json::json;

#[tokio::test]
async fn an_alipay_refund_that_succeeds_at_once_is_done_and_told_once() {
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "alipay", "13955560201").await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "SUCCEEDED");
    went_back(&app, &mut paid).await;
    assert_eq!(refund_calls(&app, &paid).await, [("refund".to_owned(), "ok".to_owned())]);
    app.stop().await;
}

#[tokio::test]
async fn an_alipay_refund_whose_answer_was_lost_is_found_made_by_asking_and_not_made_twice() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "alipay", "13955560202").await;
    script(&app, "alipay", &paid.payment_no, json!({"answers": ["lost"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING", "ACQ.SYSTEM_ERROR is no refusal");
    went_back(&app, &mut paid).await;
    assert_eq!(
        refund_calls(&app, &paid).await,
        [("refund".to_owned(), "temporary".to_owned()), ("refund_query".to_owned(), "ok".to_owned())],
        "asked after, never sent again"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_alipay_refund_that_fails_for_now_is_sent_again_and_succeeds() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "alipay", "13955560203").await;
    script(&app, "alipay", &paid.payment_no, json!({"answers": ["busy", "throttled"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING");
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
async fn an_alipay_refund_refused_for_good_goes_to_the_balance() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "alipay", "13955560204").await;
    script(&app, "alipay", &paid.payment_no, json!({"answers": ["refused"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "FAILED");
    went_to_the_balance(&app, &mut paid).await;
    app.stop().await;
}
