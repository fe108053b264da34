//! The alarm webhook: each alarm change POSTed as JSON `{"event", "alarm"}` to
//! `monitoring.webhook_url`, signed (`X-Csms-Signature: sha256=<hex HMAC-SHA256 of the body>`
//! with `monitoring.webhook_secret`), retried with a doubling wait while the receiver fails.
//! A queue in between: an alarm never waits for the receiver.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;
use tokio::sync::mpsc;

/// Changes waiting to be sent before new ones are dropped (and said so).
const QUEUE: usize = 1024;
/// Attempts per change, and the first wait between them.
const ATTEMPTS: u32 = 6;
const FIRST_WAIT: Duration = Duration::from_millis(500);

/// The webhook's handle: a queue to its sender, or nothing when no URL is set.
#[derive(Debug, Clone, Default)]
pub struct Webhook {
    queue: Option<mpsc::Sender<String>>,
}

impl Webhook {
    /// Starts the sender for `url` (none when empty).
    pub fn start(url: &str, secret: &str, client: reqwest::Client) -> Self {
        if url.trim().is_empty() {
            return Webhook::default();
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        tokio::spawn(send_all(rx, url.trim().to_owned(), secret.as_bytes().to_vec(), client));
        Webhook { queue: Some(queue) }
    }

    /// Queues `event` about `alarm`.
    pub fn send(&self, event: &str, alarm: &serde_json::Value) {
        let Some(queue) = &self.queue else { return };
        let body = serde_json::json!({"event": event, "alarm": alarm}).to_string();
        if queue.try_send(body).is_err() {
            tracing::warn!(event, "the alarm webhook's queue is full: a change is not sent");
        }
    }
}

/// The signature header's value for `body`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else { return String::new() };
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

async fn send_all(mut rx: mpsc::Receiver<String>, url: String, secret: Vec<u8>, client: reqwest::Client) {
    while let Some(body) = rx.recv().await {
        let signed = signature(&secret, body.as_bytes());
        let mut wait = FIRST_WAIT;
        for attempt in 1..=ATTEMPTS {
            let sent = client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-csms-signature", &signed)
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => break,
                Ok(answer) => tracing::warn!(attempt, status = %answer.status(), "the alarm webhook refused a change"),
                Err(e) => tracing::warn!(attempt, error = %e, "the alarm webhook could not be reached"),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
