//! A listener standing for csms's notify route in the payment provider tests: every `POST` is
//! handed over with its headers and body, and answered with the next of the texts it was
//! given (the last one repeated) — Alipay wants `success`, UnionPay any 2xx.

use axum::body::Bytes;
use axum::http::HeaderMap;
use csms::domain::payments::gateway::{Notice, Notification};
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// A notification as heard: its headers and its body.
pub(crate) type Heard = (Vec<(String, String)>, Bytes);

/// Listens on a port of its own; answers the URL notifications go to.
pub(crate) async fn listen(answers: &[&'static str]) -> (String, mpsc::UnboundedReceiver<Heard>) {
    let (tx, rx) = mpsc::unbounded_channel::<Heard>();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let answers = Arc::new(Mutex::new(answers.to_vec()));
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (tx, answers) = (tx.clone(), answers.clone());
            async move {
                let headers = headers
                    .iter()
                    .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
                    .collect();
                let _ = tx.send((headers, body));
                let mut answers = answers.lock().unwrap();
                if answers.len() > 1 { answers.remove(0) } else { answers[0] }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

/// The payment a notification is about (it must be a payment's).
pub(crate) fn payment_notice(notice: Notice) -> Notification {
    match notice {
        Notice::Payment(paid) => paid,
        other => panic!("a payment's notification: {other:?}"),
    }
}
