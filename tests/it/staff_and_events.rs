//! Operators manage users (a disabled driver can neither sign in nor charge; only admins change
//! roles), and a driver's own events stream to them as server-sent events.

use crate::business::{adjust, driver, open_pile, tariff};
use crate::helpers::{TestApp, spawn_app};
use protocol::v16;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

#[tokio::test]
async fn operators_list_and_disable_users_whose_tag_then_charges_no_more_and_only_admins_change_roles() {
    let app = spawn_app().await;
    let mut cp = open_pile(&app, "ST-U", "PILE-U", tariff()).await;
    let (token, user_id, tag) = driver(&app, "13912340041").await;
    adjust(&app, user_id, "12.30").await;
    let (status, page) = app.operator("GET", "/api/v1/users?phone=13912340041", None).await;
    assert_eq!((status, &page["total"], &page["items"][0]["balance"]), (200, &json!(1), &json!("12.30")), "{page}");
    let (status, _) = app.request("GET", "/api/v1/users", Some(&token), None).await;
    assert_eq!(status, 403, "a driver lists no users");

    let path = format!("/api/v1/users/{user_id}");
    let (status, body) = app.operator("PATCH", &path, Some(&json!({"role": "operator"}))).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("admins_only")), "the operator token changes no roles");
    let (status, body) = app.operator("PATCH", &path, Some(&json!({"status": "gone"}))).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.operator("PATCH", &path, Some(&json!({"status": "disabled"}))).await;
    assert_eq!((status, &body["status"]), (200, &json!("disabled")), "{body}");

    let (status, body) = app.request("GET", "/api/v1/me", Some(&token), None).await;
    assert_eq!((status, body["error"].as_str()), (403, Some("user_disabled")));
    let answer = cp.call(v16::AuthorizeRequest { id_tag: tag.clone() }).await.unwrap();
    assert_eq!(answer.id_tag_info.status, v16::AuthorizationStatus::Blocked);

    let (status, body) = app.operator("PATCH", &path, Some(&json!({"status": "active"}))).await;
    assert_eq!((status, &body["status"]), (200, &json!("active")));
    let answer = cp.call(v16::AuthorizeRequest { id_tag: tag }).await.unwrap();
    assert_eq!(answer.id_tag_info.status, v16::AuthorizationStatus::Accepted);
    let (status, _) = app.operator("GET", "/api/v1/users/999999", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

/// Opens `GET /api/v1/me/events` as `token` and answers the reader of its lines.
pub(crate) async fn events(app: &TestApp, token: &str) -> tokio::io::Lines<BufReader<tokio::net::TcpStream>> {
    let mut socket = tokio::net::TcpStream::connect(app.http_addr).await.unwrap();
    let request = format!(
        "GET /api/v1/me/events HTTP/1.1\r\nHost: csms\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut lines = BufReader::new(socket).lines();
    let status = lines.next_line().await.unwrap().unwrap();
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
    lines
}

/// The next event's name and data.
pub(crate) async fn next_event(
    lines: &mut tokio::io::Lines<BufReader<tokio::net::TcpStream>>,
) -> (String, serde_json::Value) {
    let read = async {
        let mut name = String::new();
        loop {
            let line = lines.next_line().await.unwrap().unwrap();
            if let Some(event) = line.strip_prefix("event: ") {
                name = event.to_owned();
            } else if let Some(data) = line.strip_prefix("data: ")
                && !name.is_empty()
            {
                return (name, serde_json::from_str(data).unwrap());
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), read).await.expect("an event within 5 s")
}

#[tokio::test]
async fn a_driver_hears_their_own_payment_and_cancellation_as_server_sent_events_and_nobody_elses() {
    let app = spawn_app().await;
    let _cp = open_pile(&app, "ST-E", "PILE-E", tariff()).await;
    let (token, user_id, _) = driver(&app, "13912340042").await;
    let (other, other_id, _) = driver(&app, "13912340043").await;
    adjust(&app, user_id, "30.00").await;
    adjust(&app, other_id, "30.00").await;
    let mut mine = events(&app, &token).await;
    let mut theirs = events(&app, &other).await;

    let ask = json!({"pileCode": "PILE-E", "connectorId": 1, "payMode": "prepaid", "prepayAmount": "10.00"});
    let (_, order) = app.request("POST", "/api/v1/orders", Some(&token), Some(&ask)).await;
    let no = order["orderNo"].as_str().unwrap().to_owned();
    app.request("POST", "/api/v1/payments", Some(&token), Some(&json!({"orderNo": no, "method": "balance"}))).await;
    let (name, data) = next_event(&mut mine).await;
    assert_eq!((name.as_str(), &data["amount"], &data["orderNo"]), ("payment.succeeded", &json!("10.00"), &json!(no)));
    app.request("POST", &format!("/api/v1/orders/{no}/cancel"), Some(&token), None).await;
    let (name, data) = next_event(&mut mine).await;
    assert_eq!(
        (name.as_str(), &data["status"], &data["refundedAmount"]),
        ("order.cancelled", &json!("CANCELLED"), &json!("10.00"))
    );

    // The other driver heard nothing of it: their first event is their own.
    let ask = json!({"pileCode": "PILE-E", "connectorId": 1, "payMode": "postpaid"});
    let (status, order) = app.request("POST", "/api/v1/orders", Some(&other), Some(&ask)).await;
    assert_eq!(status, 201, "{order}");
    app.request("POST", &format!("/api/v1/orders/{}/cancel", order["orderNo"].as_str().unwrap()), Some(&other), None)
        .await;
    let (name, data) = next_event(&mut theirs).await;
    assert_eq!((name.as_str(), &data["userId"]), ("order.cancelled", &json!(other_id)));
    app.stop().await;
}
