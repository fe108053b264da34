//! WeChat Pay through the stand-in csms serves (`/sandbox/wechat`), over real HTTP: the
//! gateway's requests are signed here and checked there, the sandbox's answers and its
//! notification signed there and checked here — the code a live merchant account runs.

use crate::helpers::spawn_app;
use crate::notify_listener::payment_notice;
use axum::body::Bytes;
use axum::http::HeaderMap;
use csms::config::Settings;
use csms::domain::ids::PaymentNo;
use csms::domain::ledger::money::Fen;
use csms::domain::payments::PaymentProvider;
use csms::domain::payments::gateway::{GatewayError, ProviderPayment, ProviderRefund, ProviderState, RefundOutcome};
use csms::providers::signing::PrivateKey;
use csms::providers::wechat::{WechatKeys, WechatPay, WechatSettings};
use std::time::Duration;
use tokio::sync::mpsc;

type Heard = (Vec<(String, String)>, Bytes);

/// A listener standing for csms's notify route: every POST is handed over and answered 204.
async fn notify_listener() -> (String, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel::<Heard>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let headers = headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                    .collect();
                let _ = tx.send((headers, body));
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

/// The keys the server under test made for its sandbox (made once per process: the same).
fn sandbox_keys() -> WechatKeys {
    WechatKeys::load(Settings::defaults().expect("defaults").payments.section::<WechatSettings>().expect("wechat"))
        .expect("sandbox keys")
}

fn pno(no: &str) -> PaymentNo {
    PaymentNo::parse(no).expect("a payment number")
}

fn payment(no: &str, amount_fen: i64, notify_url: &str) -> ProviderPayment {
    ProviderPayment {
        payment_no: pno(no),
        amount_fen: Fen(amount_fen),
        description: "csms charging".to_owned(),
        notify_url: notify_url.to_owned(),
        expires_at: chrono::Utc::now() + chrono::Duration::minutes(15),
    }
}

#[tokio::test]
async fn a_wechat_payment_is_opened_paid_notified_queried_refunded_and_closed_through_the_sandbox() {
    let app = spawn_app().await;
    let base = format!("http://{}/sandbox/wechat", app.http_addr);
    let gateway = WechatPay::new(sandbox_keys(), &base, Duration::from_secs(5)).unwrap();
    let (notify_url, mut heard) = notify_listener().await;

    let opened = gateway.create(payment("PW1", 1230, &notify_url)).await.unwrap();
    assert_eq!(opened.pay_url, format!("http://{}/sandbox/wechat/pay/PW1", app.http_addr));
    assert_eq!(gateway.query(pno("PW1")).await.unwrap(), ProviderState::Pending);

    // The payer pays; WeChat's notification follows.
    let pay_path = opened.pay_url.trim_start_matches(&format!("http://{}", app.http_addr)).to_owned();
    let (status, _) = simulators::http::request(app.http_addr, "POST", &pay_path, None, None).await.unwrap();
    assert_eq!(status, 200);
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
    let notice = payment_notice(gateway.verify_notification(&headers, &body).unwrap());
    assert_eq!((notice.payment_no.as_str(), notice.amount_fen.get(), notice.paid), ("PW1", 1230, true));
    match gateway.query(pno("PW1")).await.unwrap() {
        ProviderState::Paid { provider_txn_id, amount_fen } => {
            assert_eq!((provider_txn_id, amount_fen.get()), (notice.provider_txn_id.clone(), 1230));
        }
        other => panic!("a paid payment: {other:?}"),
    }

    // Refunds: part of it, never more than is left; a paid payment does not close.
    let refund = |no: &str, amount_fen: i64| ProviderRefund {
        payment_no: pno("PW1"),
        refund_no: no.into(),
        amount_fen: Fen(amount_fen),
        total_fen: Fen(1230),
        reason: Some("settlement".into()),
        notify_url: String::new(),
    };
    assert_eq!(gateway.refund(refund("RW1", 230)).await, RefundOutcome::Succeeded);
    assert_eq!(gateway.refund_state(refund("RW1", 230)).await, RefundOutcome::Succeeded);
    assert_eq!(gateway.refund_state(refund("RW9", 230)).await, RefundOutcome::Unknown, "never asked for");
    match gateway.refund(refund("RW2", 1001)).await {
        RefundOutcome::Failed(why) => assert!(why.contains("NOT_ENOUGH"), "{why}"),
        other => panic!("a refund beyond what is left: {other:?}"),
    }
    assert!(matches!(gateway.close(pno("PW1")).await, Err(GatewayError::Refused(_))));

    // An unpaid one closes, and stays closed.
    gateway.create(payment("PW2", 500, &notify_url)).await.unwrap();
    gateway.close(pno("PW2")).await.unwrap();
    assert_eq!(gateway.query(pno("PW2")).await.unwrap(), ProviderState::Closed);
    app.stop().await;
}

#[tokio::test]
async fn the_sandbox_refuses_a_request_not_signed_by_the_merchant_and_the_gateway_an_answer_not_signed_by_wechat() {
    let app = spawn_app().await;
    let base = format!("http://{}/sandbox/wechat", app.http_addr);

    // Another key under the merchant's serial: the sandbox answers 401 SIGN_ERROR.
    let mut forger = sandbox_keys();
    let stranger = PrivateKey::generate().unwrap();
    forger.merchant.public = stranger.public();
    forger.merchant.private = Some(stranger);
    let forged = WechatPay::new(forger, &base, Duration::from_secs(5)).unwrap();
    match forged.create(payment("PW3", 100, "http://127.0.0.1:9/notify")).await {
        Err(GatewayError::Refused(why)) => assert!(why.contains("401 SIGN_ERROR"), "{why}"),
        other => panic!("a forged request: {other:?}"),
    }

    // A gateway that trusts another platform key does not believe the sandbox's answers.
    let mut doubting = sandbox_keys();
    doubting.platform.public = PrivateKey::generate().unwrap().public();
    let doubting = WechatPay::new(doubting, &base, Duration::from_secs(5)).unwrap();
    assert_eq!(
        doubting.create(payment("PW4", 100, "http://127.0.0.1:9/notify")).await,
        Err(GatewayError::BadSignature)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_wechat_payment_cannot_be_paid_past_the_time_expire_it_was_opened_with() {
    let app = spawn_app().await;
    let gateway =
        WechatPay::new(sandbox_keys(), &format!("http://{}/sandbox/wechat", app.http_addr), Duration::from_secs(5))
            .unwrap();
    let short = ProviderPayment {
        expires_at: chrono::Utc::now() + chrono::Duration::seconds(2),
        ..payment("PW5", 100, "http://127.0.0.1:9/n")
    };
    let opened = gateway.create(short).await.unwrap();
    assert_eq!(gateway.query(pno("PW5")).await.unwrap(), ProviderState::Pending);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(gateway.query(pno("PW5")).await.unwrap(), ProviderState::Closed, "WeChat closes it at time_expire");
    let path = opened.pay_url.trim_start_matches(&format!("http://{}", app.http_addr)).to_owned();
    let (status, _) = simulators::http::request(app.http_addr, "POST", &path, None, None).await.unwrap();
    assert_eq!(status, 400, "too late to pay");
    app.stop().await;
}
