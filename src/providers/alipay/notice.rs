//! An Alipay notification (a form `POST` to csms's notify URL), read only once it proves to be
//! Alipay's: `sign` (RSA2) over its other parameters checked with Alipay's public key; then the
//! payment it names checked to be this app's, in yuan (a `trans_currency`, when Alipay sends
//! one, must be `CNY`). Alipay wants the text `success` in answer.

use super::AlipayKeys;
use crate::domain::ledger::to_fen;
use crate::domain::payments::gateway::{Ack, Refused};
use crate::domain::payments::gateway::{GatewayError, Notice, Notification};
use crate::providers::alipay::signing::{self as alipay, AlipayError};
use crate::providers::http::Form;
use rust_decimal::Decimal;
use std::str::FromStr;

impl From<AlipayError> for GatewayError {
    fn from(e: AlipayError) -> Self {
        tracing::warn!(error = %e, "an Alipay signature was refused");
        GatewayError::BadSignature
    }
}

/// Reads a notification's form `body`. `BadSignature` for anything not proven Alipay's.
pub fn read(keys: &AlipayKeys, body: &[u8]) -> Result<Notice, GatewayError> {
    let form = Form::parse(body);
    alipay::verify_notification(&keys.alipay.public, form.params())?;
    let field = |name: &str| form.field(name);
    if field("app_id")? != keys.app_id {
        return Err(GatewayError::Refused(format!("for app {}, not this one", field("app_id")?)));
    }
    let amount = Decimal::from_str(field("total_amount")?)
        .map_err(|_| GatewayError::BadAnswer("total_amount is not an amount".into()))?;
    let amount_fen = to_fen(amount, "total_amount").map_err(|e| GatewayError::BadAnswer(e.to_string()))?;
    let paid = matches!(field("trade_status")?, "TRADE_SUCCESS" | "TRADE_FINISHED");
    Ok(Notice::Payment(Notification {
        payment_no: field("out_trade_no")?.to_owned(),
        provider_txn_id: field("trade_no")?.to_owned(),
        amount_fen,
        paid,
        currency: form.params().get("trans_currency").cloned(),
    }))
}

/// How Alipay is answered: the text `success` when taken (it posts again until it reads it),
/// `fail` with the status when refused.
pub(crate) fn ack(refused: Option<&Refused>) -> Ack {
    match refused {
        None => Ack::text(200, "success"),
        Some(refused) => Ack::text(refused.status, "fail"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::money::Fen;
    use crate::providers::http::test_forms;
    use std::collections::BTreeMap;

    fn keys() -> AlipayKeys {
        test_forms::sandbox().alipay
    }

    /// A notification as Alipay posts one, after `change`.
    fn form(keys: &AlipayKeys, change: impl FnOnce(&mut BTreeMap<String, String>)) -> String {
        let pairs = [
            ("notify_time", "2026-12-02 10:00:05"),
            ("notify_type", "trade_status_sync"),
            ("notify_id", "ac05099524730693a8b330c5ecf72da9786"),
            ("charset", "utf-8"),
            ("version", "1.0"),
            ("app_id", keys.app_id.as_str()),
            ("out_trade_no", "P20261202100000001"),
            ("trade_no", "2026120222001400000000000001"),
            ("trade_status", "TRADE_SUCCESS"),
            ("total_amount", "12.30"),
            ("subject", "充电 csms"),
        ];
        let key = keys.alipay.private.as_ref().expect("the sandbox's Alipay key");
        test_forms::form(&pairs, change, |p| alipay::sign_notification(key, p))
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment_it_names() {
        let keys = keys();
        let genuine = read(&keys, form(&keys, |_| {}).as_bytes()).unwrap();
        assert_eq!(
            genuine,
            Notice::Payment(Notification {
                payment_no: "P20261202100000001".into(),
                provider_txn_id: "2026120222001400000000000001".into(),
                amount_fen: Fen(1230),
                paid: true,
                currency: None,
            })
        );
        let dollars = form(&keys, |p| {
            p.insert("trans_currency".into(), "USD".into());
        });
        let in_dollars = read(&keys, dollars.as_bytes());
        assert!(matches!(in_dollars, Ok(Notice::Payment(Notification { currency: Some(c), .. })) if c == "USD"));
    }

    #[test]
    fn a_changed_amount_or_a_missing_signature_is_refused() {
        let keys = keys();
        let genuine = form(&keys, |_| {});
        let raised = genuine.replace("total_amount=12.30", "total_amount=1230.00");
        assert_eq!(read(&keys, raised.as_bytes()), Err(GatewayError::BadSignature));
        let unsigned: String = genuine.split('&').filter(|p| !p.starts_with("sign=")).collect::<Vec<_>>().join("&");
        assert_eq!(read(&keys, unsigned.as_bytes()), Err(GatewayError::BadSignature));
    }

    #[test]
    fn another_apps_notification_or_an_unfinished_trade_is_not_a_payment_of_ours() {
        let keys = keys();
        let other = form(&keys, |p| {
            p.insert("app_id".into(), "2099999999999999".into());
        });
        assert!(matches!(read(&keys, other.as_bytes()), Err(GatewayError::Refused(_))));
        let waiting = form(&keys, |p| {
            p.insert("trade_status".into(), "WAIT_BUYER_PAY".into());
        });
        assert!(matches!(read(&keys, waiting.as_bytes()), Ok(Notice::Payment(Notification { paid: false, .. }))));
    }
}
