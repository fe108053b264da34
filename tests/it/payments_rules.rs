//! Rules around provider payments of orders: the change of a settlement goes to the balance when
//! the driver chose so, and money that comes for an order that owes it no more goes back.

use crate::business::{balance, charge, driver, ledger_and_balance, open_pile, order_when, tariff, yesterday_at};
use crate::helpers::{TestApp, spawn_app};
use crate::payments_flow::{no_of, pay_at, payment, until};
use serde_json::{Value, json};

/// A prepaid order of 50.00 through WeChat Pay, with `extra` fields: (order number, its pile's
/// simulator).
async fn wechat_order(app: &TestApp, token: &str, pile: &str, extra: Value) -> (String, simulators::SimCharger) {
    let cp = open_pile(app, &format!("ST-{pile}"), pile, tariff()).await;
    let mut ask =
        json!({"pileCode": pile, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "50.00", "method": "wechat"});
    if let (Some(ask), Some(extra)) = (ask.as_object_mut(), extra.as_object()) {
        ask.extend(extra.clone());
    }
    let (status, order) = app.request("POST", "/api/v1/orders", Some(token), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    (order["orderNo"].as_str().unwrap().to_owned(), cp)
}

async fn open_payment(app: &TestApp, token: &str, order_no: &str) -> Value {
    let pay = json!({"orderNo": order_no, "method": "wechat"});
    let (status, opened) = app.request("POST", "/api/v1/payments", Some(token), Some(&pay)).await;
    assert_eq!(status, 201, "{opened}");
    opened
}

#[tokio::test]
async fn the_change_of_a_wechat_paid_order_goes_to_the_balance_when_the_driver_chose_so() {
    let app = spawn_app().await;
    let (token, user_id, tag) = driver(&app, "13955501101").await;
    let (order_no, mut cp) = wechat_order(&app, &token, "PILE-B", json!({"refundTo": "balance"})).await;
    let opened = open_payment(&app, &token, &order_no).await;
    assert_eq!(pay_at(&app, opened["payUrl"].as_str().unwrap()).await, 200);
    order_when(&app, &token, &order_no, |o| o["status"] == "READY").await;
    let done =
        charge(&app, &mut cp, (&token, &order_no, &tag), (yesterday_at(10, 0), 0), (yesterday_at(10, 30), 15_000))
            .await;
    assert_eq!((&done["totalAmount"], &done["refundTo"]), (&json!("12.00"), &json!("balance")), "{done}");
    let settled = payment(&app, &no_of(&opened)).await;
    let refund = &settled["refunds"][0];
    assert_eq!(
        (&refund["amount"], &refund["destination"], &refund["status"]),
        (&json!("38.00"), &json!("balance"), &json!("SUCCEEDED"))
    );
    assert_eq!(balance(&app, &token).await, "38.00");
    assert_eq!(ledger_and_balance(&app, user_id).await, (3800, 3800));
    // Anything but original or balance is refused.
    let ask =
        json!({"pileCode": "PILE-B", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "5", "refundTo": "card"});
    let (status, body) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    assert_eq!((status, &body["error"]), (400, &json!("bad_request")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_second_payment_of_an_order_already_paid_is_given_back_through_the_provider() {
    let app = spawn_app().await;
    let (token, user_id, _) = driver(&app, "13955501102").await;
    let (order_no, _cp) = wechat_order(&app, &token, "PILE-D", json!({})).await;
    // The driver opens two payments (two phones, a retry) and pays both.
    let first = open_payment(&app, &token, &order_no).await;
    let second = open_payment(&app, &token, &order_no).await;
    assert_eq!(pay_at(&app, first["payUrl"].as_str().unwrap()).await, 200);
    order_when(&app, &token, &order_no, |o| o["status"] == "READY").await;
    assert_eq!(pay_at(&app, second["payUrl"].as_str().unwrap()).await, 200);
    let no = no_of(&second);
    let back = until(|| payment(&app, &no), |p| p["refunds"][0]["status"] == "SUCCEEDED").await;
    assert_eq!(
        (&back["status"], &back["refundedAmount"], &back["refunds"][0]["destination"]),
        (&json!("SUCCEEDED"), &json!("50.00"), &json!("original")),
        "{back}"
    );
    let order = order_when(&app, &token, &order_no, |_| true).await;
    assert_eq!((&order["paidAmount"], &order["refundedAmount"]), (&json!("50.00"), &json!("0.00")), "{order}");
    assert_eq!(ledger_and_balance(&app, user_id).await, (0, 0));
    app.stop().await;
}
