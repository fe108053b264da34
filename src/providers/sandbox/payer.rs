//! What the Alipay and UnionPay sandboxes share as the provider's side of a payment: numbers
//! shaped like the provider's, times in Beijing, and a notification sent until csms takes it,
//! with a doubling wait between attempts.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Notification attempts, and the first wait between them (doubling).
const ATTEMPTS: u32 = 5;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// `count` random decimal digits (providers' transaction numbers are digits).
pub(crate) fn digits(count: usize) -> String {
    let mut random = vec![0u8; count];
    OsRng.fill_bytes(&mut random);
    random.iter().map(|b| char::from(b'0' + b % 10)).collect()
}

/// `at` in Beijing time, as `format` writes it.
pub(crate) fn beijing(at: DateTime<Utc>, format: &str) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai).format(format).to_string()
}

/// Posts the form `body` to `url` until csms `takes` the answer (its status and text) or the
/// attempts run out; `what` names the provider and payment in the log.
pub(crate) async fn deliver(
    client: &reqwest::Client,
    what: &str,
    url: &str,
    body: String,
    takes: impl Fn(u16, &str) -> bool,
) {
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        let post = client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded; charset=utf-8")
            .body(body.clone())
            .send()
            .await;
        match post {
            Ok(answer) => {
                let status = answer.status().as_u16();
                let text = answer.text().await.unwrap_or_default();
                if takes(status, &text) {
                    return;
                }
                tracing::info!(what, attempt, status, "sandbox: notification refused");
            }
            Err(e) => tracing::info!(what, attempt, error = %e, "sandbox: notification not delivered"),
        }
        tokio::time::sleep(wait).await;
        wait *= 2;
    }
}
