//! A WeChat Pay notification (`POST` to csms's notify URL), read only once it proves to be
//! WeChat's: the `Wechatpay-*` signature over the body with the platform key of the configured
//! serial, within 5 minutes; then its `resource` opened with the APIv3 key; then the payment it
//! names checked to be this merchant's and this app's, in yuan — or, for `REFUND.SUCCESS`,
//! `REFUND.ABNORMAL` and `REFUND.CLOSED`, the refund it names this merchant's. What comes out is
//! the verified `Notice`; the caller checks it against the payment or refund (number, amount).

use super::WechatKeys;
use crate::domain::ledger::money::Fen;
use crate::domain::payments::gateway::{Ack, Refused};
use crate::domain::payments::gateway::{GatewayError, Notice, Notification, RefundNotice, RefundOutcome};
use crate::providers::wechat::signing::{self as wechat, Signed, WechatError};
use serde::Deserialize;

/// The envelope WeChat posts.
#[derive(Debug, Deserialize)]
struct Envelope {
    event_type: String,
    resource: Resource,
}

#[derive(Debug, Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    nonce: String,
}

/// The transaction inside (the fields csms uses).
#[derive(Debug, Deserialize)]
struct Transaction {
    mchid: String,
    appid: String,
    out_trade_no: String,
    #[serde(default)]
    transaction_id: String,
    trade_state: String,
    amount: Amount,
}

#[derive(Debug, Deserialize)]
struct Amount {
    total: i64,
    #[serde(default)]
    currency: Option<String>,
}

/// The refund inside a `REFUND.*` notification (the fields csms uses; it carries no appid).
#[derive(Debug, Deserialize)]
struct Refund {
    mchid: String,
    out_refund_no: String,
    refund_status: String,
    amount: RefundAmount,
}

#[derive(Debug, Deserialize)]
struct RefundAmount {
    refund: i64,
    #[serde(default)]
    currency: Option<String>,
}

impl From<WechatError> for GatewayError {
    fn from(e: WechatError) -> Self {
        match e {
            WechatError::Sealed(why) => GatewayError::BadAnswer(format!("the resource: {why}")),
            other => {
                tracing::warn!(error = %other, "a WeChat Pay signature was refused");
                GatewayError::BadSignature
            }
        }
    }
}

/// Reads a notification: `header` looks a header up by name (case-insensitively), `body` is the
/// raw body, `now` the time in seconds. `BadSignature` for anything not proven WeChat's.
pub fn read<'a>(
    keys: &WechatKeys,
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    now: i64,
) -> Result<Notice, GatewayError> {
    let text = std::str::from_utf8(body).map_err(|_| GatewayError::BadSignature)?;
    let signed = Signed::from_headers(header)?;
    signed.verify(&keys.platform.public, &keys.platform_serial, text, now)?;
    let envelope: Envelope =
        serde_json::from_str(text).map_err(|e| GatewayError::BadAnswer(format!("the notification: {e}")))?;
    if envelope.resource.algorithm != "AEAD_AES_256_GCM" {
        return Err(GatewayError::BadAnswer(format!("the resource's algorithm {:?}", envelope.resource.algorithm)));
    }
    let r = &envelope.resource;
    let plain = wechat::open(&keys.api_v3_key, &r.nonce, &r.associated_data, &r.ciphertext)?;
    if envelope.event_type.starts_with("REFUND.") {
        return refund(keys, &plain);
    }
    let paid: Transaction =
        serde_json::from_slice(&plain).map_err(|e| GatewayError::BadAnswer(format!("the transaction: {e}")))?;
    if paid.mchid != keys.mchid || paid.appid != keys.appid {
        return Err(GatewayError::Refused(format!("for merchant {} / app {}, not this one", paid.mchid, paid.appid)));
    }
    Ok(Notice::Payment(Notification {
        payment_no: paid.out_trade_no,
        provider_txn_id: paid.transaction_id,
        amount_fen: Fen(paid.amount.total),
        paid: envelope.event_type == "TRANSACTION.SUCCESS" && paid.trade_state == "SUCCESS",
        currency: paid.amount.currency,
    }))
}

/// A refund's result, from the opened resource `plain`.
fn refund(keys: &WechatKeys, plain: &[u8]) -> Result<Notice, GatewayError> {
    let refund: Refund =
        serde_json::from_slice(plain).map_err(|e| GatewayError::BadAnswer(format!("the refund: {e}")))?;
    if refund.mchid != keys.mchid {
        return Err(GatewayError::Refused(format!("for merchant {}, not this one", refund.mchid)));
    }
    Ok(Notice::Refund(RefundNotice {
        refund_no: refund.out_refund_no,
        amount_fen: Fen(refund.amount.refund),
        outcome: outcome(&refund.refund_status),
        currency: refund.amount.currency,
    }))
}

/// How WeChat is answered: 204 when taken; refused, the status and
/// `{"code":"FAIL","message":…}` — without the detail of a failure of csms's own.
pub(crate) fn ack(refused: Option<&Refused>) -> Ack {
    match refused {
        None => Ack { status: 204, content_type: None, body: String::new() },
        Some(refused) => {
            let message = if refused.status >= 500 { "internal error".to_owned() } else { refused.message.clone() };
            let body = serde_json::json!({"code": "FAIL", "message": message}).to_string();
            Ack { status: refused.status, content_type: Some("application/json"), body }
        }
    }
}

/// What a refund's `status` means.
pub(super) fn outcome(status: &str) -> RefundOutcome {
    match status {
        "SUCCESS" => RefundOutcome::Succeeded,
        "PROCESSING" => RefundOutcome::Processing,
        "ABNORMAL" => RefundOutcome::Abnormal,
        "CLOSED" => RefundOutcome::Failed("WeChat closed the refund".into()),
        other => RefundOutcome::Later(GatewayError::BadAnswer(format!("a refund {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use crate::domain::payments::gateway::RefundOutcome;
    use crate::providers::wechat::signing::seal;
    use serde_json::json;

    const NOW: i64 = 1_764_633_600;

    fn keys() -> WechatKeys {
        WechatKeys::load(
            Settings::defaults()
                .expect("defaults")
                .payments
                .section::<crate::providers::wechat::WechatSettings>()
                .expect("wechat"),
        )
        .expect("sandbox keys")
    }

    /// A notification as WeChat sends one: its body and headers.
    fn notification(
        keys: &WechatKeys,
        transaction: serde_json::Value,
        at: i64,
    ) -> (String, Vec<(&'static str, String)>) {
        sent(keys, "TRANSACTION.SUCCESS", transaction, at)
    }

    /// A notification of `event_type` with `resource`: its body and headers.
    fn sent(
        keys: &WechatKeys,
        event_type: &str,
        resource: serde_json::Value,
        at: i64,
    ) -> (String, Vec<(&'static str, String)>) {
        let sealed = seal(&keys.api_v3_key, "fdasflkja484", "transaction", resource.to_string().as_bytes()).unwrap();
        let body = json!({
            "id": "EV-2018022511223320873", "create_time": "2026-12-02T10:00:05+08:00",
            "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
            "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": sealed,
                "associated_data": "transaction", "nonce": "fdasflkja484"}
        })
        .to_string();
        let platform = keys.platform.private.as_ref().unwrap();
        let signed = Signed::sign(platform, &keys.platform_serial, &body, at, "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
        (body, signed.headers().into_iter().map(|(n, v)| (n, v.to_owned())).collect())
    }

    fn paid(keys: &WechatKeys, total: i64) -> serde_json::Value {
        json!({"mchid": keys.mchid, "appid": keys.appid, "out_trade_no": "P20261202100000001",
            "transaction_id": "4200000000202612020000000001", "trade_state": "SUCCESS", "amount": {"total": total, "currency": "CNY"}})
    }

    fn look_up<'a>(headers: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment_it_names() {
        let keys = keys();
        let (body, headers) = notification(&keys, paid(&keys, 1230), NOW);
        let read = read(&keys, look_up(&headers), body.as_bytes(), NOW + 3).unwrap();
        assert_eq!(
            read,
            Notice::Payment(Notification {
                payment_no: "P20261202100000001".into(),
                provider_txn_id: "4200000000202612020000000001".into(),
                amount_fen: Fen(1230),
                paid: true,
                currency: Some("CNY".into()),
            })
        );
    }

    #[test]
    fn a_refund_result_reads_as_the_refund_it_names() {
        let keys = keys();
        let refund = |status: &str| {
            json!({"mchid": keys.mchid, "out_trade_no": "P20261202100000001", "transaction_id": "4200000000",
                "out_refund_no": "R20261202100000001", "refund_id": "50000000", "refund_status": status,
                "user_received_account": "支付用户零钱",
                "amount": {"total": 1230, "refund": 230, "payer_total": 1230, "payer_refund": 230}})
        };
        for (event, status, outcome) in [
            ("REFUND.SUCCESS", "SUCCESS", RefundOutcome::Succeeded),
            ("REFUND.ABNORMAL", "ABNORMAL", RefundOutcome::Abnormal),
        ] {
            let (body, headers) = sent(&keys, event, refund(status), NOW);
            let expected =
                RefundNotice { refund_no: "R20261202100000001".into(), amount_fen: Fen(230), outcome, currency: None };
            assert_eq!(read(&keys, look_up(&headers), body.as_bytes(), NOW), Ok(Notice::Refund(expected)));
        }
        let (body, headers) = sent(&keys, "REFUND.CLOSED", refund("CLOSED"), NOW);
        let closed = read(&keys, look_up(&headers), body.as_bytes(), NOW);
        assert!(matches!(closed, Ok(Notice::Refund(RefundNotice { outcome: RefundOutcome::Failed(_), .. }))));
        let mut other = refund("SUCCESS");
        other["mchid"] = json!("1999999999");
        let (body, headers) = sent(&keys, "REFUND.SUCCESS", other, NOW);
        assert!(matches!(read(&keys, look_up(&headers), body.as_bytes(), NOW), Err(GatewayError::Refused(_))));
    }

    #[test]
    fn forged_tampered_stale_or_unsigned_notifications_are_refused() {
        let keys = keys();
        let (body, headers) = notification(&keys, paid(&keys, 1230), NOW);
        let tampered = body.replace("支付成功", "支付成功!");
        assert_eq!(read(&keys, look_up(&headers), tampered.as_bytes(), NOW), Err(GatewayError::BadSignature));
        assert_eq!(read(&keys, look_up(&headers), body.as_bytes(), NOW + 301), Err(GatewayError::BadSignature));
        assert_eq!(read(&keys, |_| None, body.as_bytes(), NOW), Err(GatewayError::BadSignature));
        // Signed by someone else's key under the right serial.
        let forger = crate::providers::signing::PrivateKey::generate().unwrap();
        let forged = Signed::sign(&forger, &keys.platform_serial, &body, NOW, "n");
        let forged: Vec<_> = forged.headers().into_iter().map(|(n, v)| (n, v.to_owned())).collect();
        assert_eq!(read(&keys, look_up(&forged), body.as_bytes(), NOW), Err(GatewayError::BadSignature));
    }

    #[test]
    fn a_notification_for_another_merchant_is_refused() {
        let keys = keys();
        let mut other = paid(&keys, 1230);
        other["mchid"] = json!("1999999999");
        let (body, headers) = notification(&keys, other, NOW);
        assert!(matches!(read(&keys, look_up(&headers), body.as_bytes(), NOW), Err(GatewayError::Refused(_))));
    }
}
