//! Bounds and isolation: idle connections are closed, a handshake without a common
//! subprotocol is closed at once, and a slow database never holds up other chargers.

use crate::helpers::{spawn_app, spawn_app_with};
use protocol::{OcppVersion, v16};
use sea_orm::TransactionTrait;
use simulators::{Connect, SimCharger};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn an_idle_connection_is_closed() {
    let app = spawn_app_with(|s| {
        s.ocpp.idle_timeout_s = 1;
        s.ocpp.ping_interval_s = 60;
    })
    .await;
    app.register("CP-IDLE", None).await;
    let mut cp = SimCharger::connect(Connect::new(&app.ws_url, "CP-IDLE", OcppVersion::V16)).await.unwrap();
    let close = cp.closed().await.unwrap();
    assert_eq!(close.map(|f| (u16::from(f.code), f.reason.to_string())), Some((1001, "idle".to_owned())));
    app.stop().await;
}

#[tokio::test]
async fn the_server_pings_and_a_charger_that_answers_stays_while_a_silent_one_is_closed() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest};
    let app = spawn_app_with(|s| {
        s.ocpp.ping_interval_s = 1;
        s.ocpp.idle_timeout_s = 2;
    })
    .await;
    app.register("CP-PONG", None).await;
    app.register("CP-SILENT", None).await;
    let mut request = format!("{}/ocpp/CP-PONG", app.ws_url).into_client_request().unwrap();
    request.headers_mut().insert("Sec-WebSocket-Protocol", "ocpp1.6".parse().unwrap());
    let (mut answering, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    // Connected and never read: it answers no ping.
    let _silent = SimCharger::connect(Connect::new(&app.ws_url, "CP-SILENT", OcppVersion::V16)).await.unwrap();

    // Reading answers each ping with a pong (tungstenite does), for longer than the idle time.
    let (mut pings, until) = (0, tokio::time::Instant::now() + Duration::from_millis(3500));
    while let Ok(Some(message)) = tokio::time::timeout_at(until, answering.next()).await {
        match message.unwrap() {
            Message::Ping(_) => pings += 1,
            other => panic!("only pings were expected, got {other:?}"),
        }
    }
    assert!(pings >= 2, "{pings} pings in 3.5 s at one a second");
    assert!(app.app_hub.registry().is_connected("CP-PONG"), "the charger answering pings was closed");
    assert!(!app.app_hub.registry().is_connected("CP-SILENT"), "the silent charger was kept past the idle time");
    app.stop().await;
}

#[tokio::test]
async fn without_a_common_subprotocol_the_handshake_completes_and_the_server_closes_at_once() {
    let app = spawn_app().await;
    app.register("CP-OCPP15", None).await;
    let addr = app.ws_url.trim_start_matches("ws://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let handshake = format!(
        "GET /ocpp/CP-OCPP15 HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ocpp1.5\r\n\r\n"
    );
    stream.write_all(handshake.as_bytes()).await.unwrap();
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received)).await;
    let text = String::from_utf8_lossy(&received);
    let (head, _) = text.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("sec-websocket-protocol"), "{head}");
    // After the headers: a Close frame (opcode 8) with code 1002.
    let frame = &received[head.len() + 4..];
    assert_eq!(frame[0] & 0x0f, 8, "{frame:?}");
    assert_eq!(u16::from_be_bytes([frame[2], frame[3]]), 1002);
    app.stop().await;
}

#[tokio::test]
async fn a_slow_database_does_not_hold_up_other_chargers_heartbeats() {
    let app = spawn_app().await;
    app.register("CP-WRITES", None).await;
    app.register("CP-BEATS", None).await;
    let mut writer = SimCharger::connect(Connect::new(&app.ws_url, "CP-WRITES", OcppVersion::V16)).await.unwrap();
    let mut beater = SimCharger::connect(Connect::new(&app.ws_url, "CP-BEATS", OcppVersion::V16)).await.unwrap();

    // Another connection locks what a status write needs, and keeps the lock: SQLite's one
    // write lock, PostgreSQL's lock on the connectors table.
    let lock = app.store.db().begin().await.unwrap();
    let sql = match app.store.db().get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "LOCK TABLE connectors IN ACCESS EXCLUSIVE MODE",
        _ => "UPDATE chargers SET updated_at = updated_at",
    };
    sea_orm::ConnectionTrait::execute_unprepared(&lock, sql).await.unwrap();

    let status = tokio::spawn(async move {
        writer
            .call(v16::StatusNotificationRequest {
                connector_id: 1,
                error_code: v16::ChargePointErrorCode::NoError,
                info: None,
                status: v16::ChargePointStatus::Available,
                timestamp: None,
                vendor_id: None,
                vendor_error_code: None,
            })
            .await
    });
    // While that write waits, the other charger's heartbeats are answered.
    for _ in 0..5 {
        tokio::time::timeout(Duration::from_secs(2), beater.call(v16::HeartbeatRequest {})).await.unwrap().unwrap();
    }
    assert!(!status.is_finished(), "the status was stored although the database was locked");
    lock.rollback().await.unwrap();
    status.await.unwrap().unwrap();
    assert_eq!(app.store.connectors("CP-WRITES").await.unwrap().len(), 1);
    app.stop().await;
}
