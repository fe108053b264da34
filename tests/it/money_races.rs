//! Money under concurrency: a balance is never overdrawn, refunds never exceed what was paid and
//! an order is paid once, however many requests race; the ledger always sums to the balance.

use crate::business::{adjust, balance, driver, ledger_and_balance, open_pile, tariff};
use crate::helpers::spawn_app;
#[cfg(feature = "sandbox")]
use crate::{
    business::order_when,
    payments_flow::{no_of, pay_at, payment, until},
};
use futures_util::future::join_all;
use serde_json::json;

#[tokio::test]
async fn a_hundred_concurrent_balance_debits_never_overdraw_and_the_ledger_still_sums() {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, "13912340021").await;
    assert_eq!(adjust(&app, user_id, "10.00").await.0, 201);
    // 100 debits of 0.30 against 10.00: exactly 33 fit.
    let answers = join_all((0..100).map(|_| adjust(&app, user_id, "-0.30"))).await;
    let ok = answers.iter().filter(|(status, _)| *status == 201).count();
    let refused =
        answers.iter().filter(|(status, body)| *status == 409 && body["error"] == "insufficient_balance").count();
    assert_eq!((ok, refused), (33, 67), "{answers:?}");
    assert_eq!(balance(&app, &token).await, "0.10");
    assert_eq!(ledger_and_balance(&app, user_id).await, (10, 10));
    app.stop().await;
}

#[tokio::test]
async fn concurrent_payments_of_one_order_take_the_money_once_and_concurrent_refunds_never_exceed_it() {
    let app = spawn_app().await;
    let _cp = open_pile(&app, "ST-R", "PILE-R", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340022").await;
    adjust(&app, user_id, "100.00").await;
    let ask = json!({"pileCode": "PILE-R", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": no, "method": "balance"});
    let payments = join_all((0..100).map(|_| app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)))).await;
    let paid: Vec<_> = payments.iter().filter(|(status, _)| *status == 201).collect();
    assert_eq!(paid.len(), 1, "{payments:?}");
    assert!(payments.iter().all(|(status, body)| *status == 201 || body["error"] == "nothing_owed"));
    assert_eq!(balance(&app, &token).await, "50.00");

    // 20 refunds of 5.00 race over a 50.00 payment: exactly 10 are made.
    let payment_no = paid[0].1["paymentNo"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/payments/{payment_no}/refund");
    let refund = json!({"amount": "5.00", "reason": "goodwill"});
    let refunds = join_all((0..20).map(|_| app.operator("POST", &path, Some(&refund)))).await;
    let made = refunds.iter().filter(|(status, _)| *status == 201).count();
    let refused =
        refunds.iter().filter(|(status, body)| *status == 409 && body["error"] == "refund_exceeds_paid").count();
    assert_eq!((made, refused), (10, 10), "{refunds:?}");
    let (status, payment) = app.request("GET", &format!("/api/v1/payments/{payment_no}"), Some(&token), None).await;
    assert_eq!((status, &payment["refundedAmount"]), (200, &json!("50.00")));
    assert_eq!(payment["refunds"].as_array().map(Vec::len), Some(10));
    assert_eq!(balance(&app, &token).await, "100.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (10_000, 10_000));
    // A driver may not refund.
    let (status, _) = app.request("POST", &path, Some(&token), Some(&refund)).await;
    assert_eq!(status, 403);
    app.stop().await;
}

/// The provider's money and a balance payment race for one prepaid order, each deciding from the
/// order as it read it: the order is paid once, and the money of whichever lost is not kept —
/// the balance is not debited, or the provider's payment goes back whole.
#[cfg(feature = "sandbox")]
#[tokio::test]
async fn a_provider_payment_and_a_balance_payment_racing_for_one_order_pay_it_once() {
    let app = spawn_app().await;
    let _cp = open_pile(&app, "ST-RP", "PILE-RP", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340023").await;
    adjust(&app, user_id, "100.00").await;
    let ask = json!({"pileCode": "PILE-RP", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let at_provider = json!({"orderNo": no, "method": "wechat"});
    let (status, opened) = app.request("POST", "/api/v1/payments", Some(&token), Some(&at_provider)).await;
    assert_eq!((status, &opened["status"]), (201, &json!("PENDING")), "{opened}");
    let from_balance = json!({"orderNo": no, "method": "balance"});
    let (paid_there, (status, body)) = tokio::join!(
        pay_at(&app, opened["payUrl"].as_str().unwrap()),
        app.request("POST", "/api/v1/payments", Some(&token), Some(&from_balance))
    );
    assert_eq!(paid_there, 200);
    let provider_payment = no_of(&opened);
    let taken = until(|| payment(&app, &provider_payment), |p| p["status"] == "SUCCEEDED").await;
    assert_eq!(taken["status"], "SUCCEEDED", "{taken}");
    let ready = order_when(&app, &token, &no, |o| o["status"] == "READY").await;
    assert_eq!((&ready["paymentStatus"], &ready["paidAmount"]), (&json!("PAID"), &json!("50.00")), "{ready}");
    if status == 201 {
        // The balance paid first: the provider's money goes back to where it came from, whole.
        let back = until(|| payment(&app, &provider_payment), |p| p["refunds"][0]["status"] == "SUCCEEDED").await;
        let refund = &back["refunds"][0];
        assert_eq!((&refund["amount"], &refund["destination"]), (&json!("50.00"), &json!("original")), "{back}");
        assert_eq!(balance(&app, &token).await, "50.00");
        assert_eq!(ledger_and_balance(&app, user_id).await, (5_000, 5_000));
    } else {
        // The provider's money paid first: the balance pays nothing.
        assert_eq!((status, &body["error"]), (409, &json!("nothing_owed")), "{body}");
        assert_eq!(taken["refundedAmount"], "0.00", "{taken}");
        assert_eq!(balance(&app, &token).await, "100.00");
        assert_eq!(ledger_and_balance(&app, user_id).await, (10_000, 10_000));
    }
    app.stop().await;
}

/// A refund updates its order before its payment, and a refund the payment cannot take is rolled
/// back whole: after refunds racing past what was paid, and one refused outright, the order says
/// refunded exactly what its payment does.
#[tokio::test]
async fn refunds_refused_for_exceeding_the_payment_leave_the_order_refunded_as_much_as_its_payment() {
    let app = spawn_app().await;
    let _cp = open_pile(&app, "ST-Q", "PILE-Q", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340024").await;
    adjust(&app, user_id, "30.00").await;
    let ask = json!({"pileCode": "PILE-Q", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "20.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    let pay = json!({"orderNo": no, "method": "balance"});
    let (status, paid) = app.request("POST", "/api/v1/payments", Some(&token), Some(&pay)).await;
    assert_eq!(status, 201, "{paid}");
    let path = format!("/api/v1/payments/{}/refund", paid["paymentNo"].as_str().unwrap());
    // 8 refunds of 3.00 race over 20.00: 6 are made (18.00), 2 refused; then 3.00 more is refused.
    let refund = json!({"amount": "3.00", "reason": "goodwill"});
    let refunds = join_all((0..8).map(|_| app.operator("POST", &path, Some(&refund)))).await;
    assert_eq!(refunds.iter().filter(|(status, _)| *status == 201).count(), 6, "{refunds:?}");
    let (status, body) = app.operator("POST", &path, Some(&refund)).await;
    assert_eq!((status, &body["error"]), (409, &json!("refund_exceeds_paid")));
    let (status, order) = app.request("GET", &format!("/api/v1/orders/{no}"), Some(&token), None).await;
    assert_eq!((status, &order["paidAmount"], &order["refundedAmount"]), (200, &json!("20.00"), &json!("18.00")));
    assert_eq!(balance(&app, &token).await, "28.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (2_800, 2_800));
    app.stop().await;
}
