//! Refunds through UnionPay's sandbox, one test per way a refund goes there: accepted (`00`)
//! and its success posted to the refund's `backUrl` at once, `05` then success, `05` then
//! failure (found by asking), a temporary failure (`03`, HTTP 503) then success, and a definite
//! refusal.

use crate::refunds_flow::{
    app_retrying_after, paid_top_up, refund_calls, refund_ten, script, stays_pending, went_back, went_to_the_balance,
};
use serde_json::json;

#[tokio::test]
async fn a_unionpay_refund_accepted_is_done_when_its_result_is_posted_to_its_back_url() {
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "unionpay", "13955560301").await;
    refund_ten(&app, &paid).await;
    went_back(&app, &mut paid).await;
    let calls = refund_calls(&app, &paid).await;
    assert!(calls.contains(&("notification".to_owned(), "ok".to_owned())), "its result applied it: {calls:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_unionpay_refund_taken_with_05_stays_pending_until_its_result_comes() {
    let app = app_retrying_after(30).await;
    let mut paid = paid_top_up(&app, "unionpay", "13955560302").await;
    script(&app, "unionpay", &paid.payment_no, json!({"states": ["processing", "processing", "succeeded"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING", "05 is not done yet");
    stays_pending(&app, &paid, 200).await;
    went_back(&app, &mut paid).await;
    app.stop().await;
}

#[tokio::test]
async fn a_unionpay_refund_that_fails_after_05_is_found_failed_by_asking_and_goes_to_the_balance() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "unionpay", "13955560303").await;
    script(&app, "unionpay", &paid.payment_no, json!({"states": ["processing", "failed"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING");
    went_to_the_balance(&app, &mut paid).await;
    let calls = refund_calls(&app, &paid).await;
    assert_eq!(calls.last(), Some(&("refund_query".to_owned(), "ok".to_owned())), "{calls:?}");
    app.stop().await;
}

#[tokio::test]
async fn a_unionpay_refund_that_fails_for_now_is_sent_again_and_succeeds() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "unionpay", "13955560304").await;
    script(&app, "unionpay", &paid.payment_no, json!({"answers": ["busy", "throttled"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "PENDING", "03 is no refusal");
    went_back(&app, &mut paid).await;
    app.stop().await;
}

#[tokio::test]
async fn a_unionpay_refund_refused_for_good_goes_to_the_balance() {
    let app = app_retrying_after(1).await;
    let mut paid = paid_top_up(&app, "unionpay", "13955560305").await;
    script(&app, "unionpay", &paid.payment_no, json!({"answers": ["refused"]})).await;
    assert_eq!(refund_ten(&app, &paid).await["status"], "FAILED");
    went_to_the_balance(&app, &mut paid).await;
    app.stop().await;
}
