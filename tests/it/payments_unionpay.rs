//! UnionPay through the stand-in csms serves (`/sandbox/unionpay`), over real HTTP: the
//! gateway's requests are signed here and checked there, the sandbox's answers and its back
//! notification signed there and checked here — the code a live UnionPay merchant runs.

use crate::helpers::spawn_app;
use crate::notify_listener::{listen, payment_notice};
use chrono::Utc;
use csms::config::Settings;
use csms::domain::ids::PaymentNo;
use csms::domain::ledger::money::Fen;
use csms::domain::orders::number::{new_number, new_payment_no};
use csms::domain::payments::PaymentProvider;
use csms::domain::payments::gateway::{
    GatewayError, Notice, ProviderPayment, ProviderRefund, ProviderState, RefundNotice, RefundOutcome,
};
use csms::providers::signing::PrivateKey;
use csms::providers::unionpay::{UnionPay, UnionPayKeys, UnionPaySettings};
use std::net::SocketAddr;
use std::time::Duration;

/// The keys the server under test made for its sandbox (made once per process: the same).
fn sandbox_keys() -> UnionPayKeys {
    UnionPayKeys::load(
        Settings::defaults().expect("defaults").payments.section::<UnionPaySettings>().expect("unionpay"),
    )
    .expect("sandbox keys")
}

fn gateway(keys: UnionPayKeys, addr: SocketAddr) -> UnionPay {
    UnionPay::new(keys, &format!("http://{addr}/sandbox/unionpay"), Duration::from_secs(5)).unwrap()
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

/// The payer pays at the pay URL.
async fn pay(addr: SocketAddr, pay_url: &str) -> u16 {
    let path = pay_url.trim_start_matches(&format!("http://{addr}")).to_owned();
    simulators::http::request(addr, "POST", &path, None, None).await.unwrap().0
}

#[tokio::test]
async fn a_unionpay_payment_is_opened_paid_notified_queried_refunded_and_closed_through_the_sandbox() {
    let app = spawn_app().await;
    let (notify_url, mut heard) = listen(&["ok"]).await;
    let gateway = gateway(sandbox_keys(), app.http_addr);

    let no = new_payment_no(Utc::now());
    let opened = gateway.create(payment(&no, 1230, &notify_url)).await.unwrap();
    assert_eq!(opened.pay_url, format!("http://{}/sandbox/unionpay/pay/{no}", app.http_addr));
    // Nothing is paid on the code yet: UnionPay knows no such transaction.
    assert_eq!(gateway.query(no.clone()).await.unwrap(), ProviderState::Pending);

    // The payer pays; UnionPay's back notification follows.
    assert_eq!(pay(app.http_addr, &opened.pay_url).await, 200);
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
    let notice = payment_notice(gateway.verify_notification(&headers, &body).unwrap());
    assert_eq!((notice.payment_no.as_str(), notice.amount_fen.get(), notice.paid), (no.as_str(), 1230, true));
    match gateway.query(no.clone()).await.unwrap() {
        ProviderState::Paid { provider_txn_id, amount_fen } => {
            assert_eq!((provider_txn_id, amount_fen.get()), (notice.provider_txn_id.clone(), 1230));
        }
        other => panic!("a paid payment: {other:?}"),
    }

    // Refunds: part of it, once however often sent, never more than is left. A refund taken
    // (00) is under way: its result is posted to its backUrl, and a query finds it.
    let refund = |refund_no: &str, amount_fen: i64| ProviderRefund {
        payment_no: no.clone(),
        refund_no: refund_no.into(),
        amount_fen: Fen(amount_fen),
        total_fen: Fen(1230),
        reason: None,
        notify_url: notify_url.clone(),
    };
    let first = new_number('R', Utc::now());
    assert_eq!(gateway.refund(refund(&first, 230)).await, RefundOutcome::Processing);
    let (headers, body) = tokio::time::timeout(Duration::from_secs(5), heard.recv()).await.unwrap().unwrap();
    let result = RefundNotice {
        refund_no: first.clone(),
        amount_fen: Fen(230),
        outcome: RefundOutcome::Succeeded,
        currency: Some("156".into()),
    };
    assert_eq!(gateway.verify_notification(&headers, &body), Ok(Notice::Refund(result)));
    assert_eq!(gateway.refund(refund(&first, 230)).await, RefundOutcome::Succeeded, "sent again: the one made");
    assert_eq!(gateway.refund_state(refund(&first, 230)).await, RefundOutcome::Succeeded);
    let never = new_number('R', Utc::now());
    assert_eq!(gateway.refund_state(refund(&never, 230)).await, RefundOutcome::Unknown, "never asked for");
    match gateway.refund(refund(&new_number('R', Utc::now()), 1001)).await {
        RefundOutcome::Failed(why) => assert!(why.starts_with("36:"), "{why}"),
        other => panic!("a refund beyond what is left: {other:?}"),
    }
    assert_eq!(gateway.refund(refund(&new_number('R', Utc::now()), 1000)).await, RefundOutcome::Processing);
    // A paid payment does not close.
    assert!(matches!(gateway.close(no.clone()).await, Err(GatewayError::Refused(_))));

    // An unpaid one "closes" (its code runs out by itself) and stays unpaid.
    let unpaid = new_payment_no(Utc::now());
    gateway.create(payment(&unpaid, 500, &notify_url)).await.unwrap();
    gateway.close(unpaid.clone()).await.unwrap();
    assert_eq!(gateway.query(unpaid.clone()).await.unwrap(), ProviderState::Pending);
    match gateway.refund(ProviderRefund { payment_no: unpaid, ..refund(&new_number('R', Utc::now()), 100) }).await {
        RefundOutcome::Failed(why) => assert!(why.contains("not paid"), "{why}"),
        other => panic!("a refund of an unpaid payment: {other:?}"),
    }

    // A number without the day txnTime is made from is refused before anything is sent.
    assert!(matches!(gateway.create(payment("PW1", 100, &notify_url)).await, Err(GatewayError::Refused(_))));
    app.stop().await;
}

#[tokio::test]
async fn the_sandbox_refuses_a_request_not_signed_by_the_merchant_and_the_gateway_an_answer_not_signed_by_unionpay() {
    let app = spawn_app().await;
    let no = new_payment_no(Utc::now());

    // Another key under the merchant's certificate: UnionPay answers 11, the signature failed.
    let mut forger = sandbox_keys();
    let stranger = PrivateKey::generate().unwrap();
    forger.merchant.public = stranger.public();
    forger.merchant.private = Some(stranger);
    match gateway(forger, app.http_addr).create(payment(&no, 100, "http://127.0.0.1:9/n")).await {
        Err(GatewayError::Refused(why)) => assert!(why.starts_with("11:"), "{why}"),
        other => panic!("a forged request: {other:?}"),
    }

    // A gateway that trusts another UnionPay key does not believe the sandbox's answers.
    let mut doubting = sandbox_keys();
    doubting.unionpay.public = PrivateKey::generate().unwrap().public();
    assert_eq!(
        gateway(doubting, app.http_addr).create(payment(&no, 100, "http://127.0.0.1:9/n")).await,
        Err(GatewayError::BadSignature)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_unionpay_qr_code_cannot_be_paid_past_the_pay_timeout_it_was_applied_for_with() {
    let app = spawn_app().await;
    let gateway = gateway(sandbox_keys(), app.http_addr);
    let no = new_payment_no(Utc::now());
    let short = ProviderPayment {
        expires_at: Utc::now() + chrono::Duration::seconds(2),
        ..payment(&no, 100, "http://127.0.0.1:9/n")
    };
    let opened = gateway.create(short).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(pay(app.http_addr, &opened.pay_url).await, 400, "too late to pay");
    assert_eq!(gateway.query(no).await.unwrap(), ProviderState::Pending, "never paid: no transaction");
    app.stop().await;
}
