//! Alipay through the stand-in csms serves (`/sandbox/alipay/gateway.do`), over real HTTP: the
//! gateway's requests are signed here and checked there, the sandbox's answers and its
//! notification signed there and checked here — the code a live Alipay app runs.

use crate::helpers::spawn_app;
use crate::notify_listener::{listen, payment_notice};
use chrono::Utc;
use csms::config::Settings;
use csms::domain::ids::PaymentNo;
use csms::domain::ledger::money::Fen;
use csms::domain::orders::number::{new_number, new_payment_no};
use csms::domain::payments::PaymentProvider;
use csms::domain::payments::gateway::{GatewayError, ProviderPayment, ProviderRefund, ProviderState, RefundOutcome};
use csms::providers::alipay::{AlipayKeys, AlipayPay, AlipaySettings};
use csms::providers::signing::PrivateKey;
use std::net::SocketAddr;
use std::time::Duration;

/// The keys the server under test made for its sandbox (made once per process: the same).
fn sandbox_keys() -> AlipayKeys {
    AlipayKeys::load(Settings::defaults().expect("defaults").payments.section::<AlipaySettings>().expect("alipay"))
        .expect("sandbox keys")
}

fn gateway(keys: AlipayKeys, addr: SocketAddr) -> AlipayPay {
    AlipayPay::new(keys, &format!("http://{addr}/sandbox/alipay/gateway.do"), Duration::from_secs(5)).unwrap()
}

fn payment(no: &str, amount_fen: i64, notify_url: &str) -> ProviderPayment {
    ProviderPayment {
        payment_no: PaymentNo::parse(no).expect("a payment number"),
        amount_fen: Fen(amount_fen),
        description: "csms 充电".to_owned(),
        notify_url: notify_url.to_owned(),
        expires_at: Utc::now() + chrono::Duration::minutes(15),
    }
}

/// The payer at the pay URL: `GET` scans the code, `POST` pays.
async fn payer(addr: SocketAddr, method: &str, pay_url: &str) -> u16 {
    let path = pay_url.trim_start_matches(&format!("http://{addr}")).to_owned();
    simulators::http::request(addr, method, &path, None, None).await.unwrap().0
}

#[tokio::test]
async fn an_alipay_payment_is_opened_paid_notified_queried_refunded_and_closed_through_the_sandbox() {
    let app = spawn_app().await;
    let gateway = gateway(sandbox_keys(), app.http_addr);
    let (notify_url, mut heard) = listen(&["success"]).await;

    let no = new_payment_no(Utc::now());
    let opened = gateway.create(payment(&no, 1230, &notify_url)).await.unwrap();
    assert_eq!(opened.pay_url, format!("http://{}/sandbox/alipay/pay/{no}", app.http_addr));
    // Before the payer scans, Alipay holds no trade; after, one waiting: both pending.
    assert_eq!(gateway.query(no.clone()).await.unwrap(), ProviderState::Pending);
    assert_eq!(payer(app.http_addr, "GET", &opened.pay_url).await, 200);
    assert_eq!(gateway.query(no.clone()).await.unwrap(), ProviderState::Pending);

    // The payer pays; Alipay's notification follows.
    assert_eq!(payer(app.http_addr, "POST", &opened.pay_url).await, 200);
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
    let notice = payment_notice(gateway.verify_notification(&headers, &body).unwrap());
    assert_eq!((notice.payment_no.as_str(), notice.amount_fen.get(), notice.paid), (no.as_str(), 1230, true));
    match gateway.query(no.clone()).await.unwrap() {
        ProviderState::Paid { provider_txn_id, amount_fen } => {
            assert_eq!((provider_txn_id, amount_fen.get()), (notice.provider_txn_id.clone(), 1230));
        }
        other => panic!("a paid payment: {other:?}"),
    }

    // Refunds: part of it, once however often asked, never more than is left.
    let refund = |refund_no: &str, amount_fen: i64| ProviderRefund {
        payment_no: no.clone(),
        refund_no: refund_no.into(),
        amount_fen: Fen(amount_fen),
        total_fen: Fen(1230),
        reason: Some("settlement".into()),
        notify_url: String::new(),
    };
    let first = new_number('R', Utc::now());
    assert_eq!(gateway.refund(refund(&first, 230)).await, RefundOutcome::Succeeded);
    assert_eq!(gateway.refund(refund(&first, 230)).await, RefundOutcome::Succeeded);
    assert_eq!(gateway.refund_state(refund(&first, 230)).await, RefundOutcome::Succeeded);
    let never = new_number('R', Utc::now());
    assert_eq!(gateway.refund_state(refund(&never, 230)).await, RefundOutcome::Unknown, "never asked for");
    match gateway.refund(refund(&new_number('R', Utc::now()), 1001)).await {
        RefundOutcome::Failed(why) => assert!(why.contains("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"), "{why}"),
        other => panic!("a refund beyond what is left: {other:?}"),
    }
    // A paid payment does not close; refunded in full, Alipay calls it closed.
    assert!(matches!(gateway.close(no.clone()).await, Err(GatewayError::Refused(_))));
    assert_eq!(gateway.refund(refund(&new_number('R', Utc::now()), 1000)).await, RefundOutcome::Succeeded);
    assert_eq!(gateway.query(no.clone()).await.unwrap(), ProviderState::Closed);

    // A scanned, unpaid one closes, stays closed and can no longer be paid.
    let scanned = new_payment_no(Utc::now());
    let opened = gateway.create(payment(&scanned, 500, &notify_url)).await.unwrap();
    assert_eq!(payer(app.http_addr, "GET", &opened.pay_url).await, 200);
    gateway.close(scanned.clone()).await.unwrap();
    assert_eq!(gateway.query(scanned).await.unwrap(), ProviderState::Closed);
    assert_eq!(payer(app.http_addr, "POST", &opened.pay_url).await, 400);

    // One never scanned has no trade to close: closing it succeeds, and its code pays no more.
    let unscanned = new_payment_no(Utc::now());
    let opened = gateway.create(payment(&unscanned, 500, &notify_url)).await.unwrap();
    gateway.close(unscanned.clone()).await.unwrap();
    assert_eq!(payer(app.http_addr, "POST", &opened.pay_url).await, 400);
    app.stop().await;
}

#[tokio::test]
async fn the_sandbox_refuses_a_request_not_signed_by_the_app_and_the_gateway_an_answer_not_signed_by_alipay() {
    let app = spawn_app().await;

    // Another key in the app's name: Alipay answers 40002 isv.invalid-signature, unsigned.
    let mut forger = sandbox_keys();
    let stranger = PrivateKey::generate().unwrap();
    forger.app.public = stranger.public();
    forger.app.private = Some(stranger);
    match gateway(forger, app.http_addr).create(payment("P20261202FORGED", 100, "http://127.0.0.1:9/n")).await {
        Err(GatewayError::Refused(why)) => assert!(why.contains("40002 isv.invalid-signature"), "{why}"),
        other => panic!("a forged request: {other:?}"),
    }

    // A gateway that trusts another Alipay key does not believe the sandbox's answers.
    let mut doubting = sandbox_keys();
    doubting.alipay.public = PrivateKey::generate().unwrap().public();
    assert_eq!(
        gateway(doubting, app.http_addr).create(payment("P20261202DOUBT", 100, "http://127.0.0.1:9/n")).await,
        Err(GatewayError::BadSignature)
    );
    app.stop().await;
}

#[tokio::test]
async fn alipay_notifies_again_until_csms_answers_success() {
    let app = spawn_app().await;
    let gateway = gateway(sandbox_keys(), app.http_addr);
    let (notify_url, mut heard) = listen(&["fail", "success"]).await;
    let no = new_number('P', Utc::now());
    let opened = gateway.create(payment(&no, 1, &notify_url)).await.unwrap();
    assert_eq!(payer(app.http_addr, "POST", &opened.pay_url).await, 200);
    for _ in 0..2 {
        let (headers, body) = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
        assert_eq!(payment_notice(gateway.verify_notification(&headers, &body).unwrap()).payment_no, no);
    }
    app.stop().await;
}
