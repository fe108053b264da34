//! A UnionPay back notification (a form `POST` to csms's `backUrl`), read only once it proves to
//! be UnionPay's: `signature` (5.1.0, `signMethod=01`) checked with the configured verification
//! key; then the transaction it names checked to be this merchant's, in yuan (`currencyCode`
//! 156). `txnAmt` is in fen; `queryId` is UnionPay's transaction; `respCode` `00` is a success.
//! A consumption's (txnType 01) is a payment's; a refund's (04, its `orderId` the refund
//! number, posted to the refund's `backUrl`) is the refund's result.

use super::UnionPayKeys;
use crate::domain::ledger::money::Fen;
use crate::domain::payments::gateway::{Ack, Refused};
use crate::domain::payments::gateway::{GatewayError, Notice, Notification, RefundNotice, RefundOutcome};
use crate::providers::http::Form;
use crate::providers::unionpay::signing::{self as unionpay, UnionPayError};

impl From<UnionPayError> for GatewayError {
    fn from(e: UnionPayError) -> Self {
        tracing::warn!(error = %e, "a UnionPay signature was refused");
        GatewayError::BadSignature
    }
}

/// Reads a notification's form `body`. `BadSignature` for anything not proven UnionPay's.
pub fn read(keys: &UnionPayKeys, body: &[u8]) -> Result<Notice, GatewayError> {
    let form = Form::parse(body);
    unionpay::verify(&keys.unionpay.public, form.params())?;
    let field = |name: &str| form.field(name);
    if field("merId")? != keys.mer_id {
        return Err(GatewayError::Refused(format!("for merchant {}, not this one", field("merId")?)));
    }
    let currency = form.params().get("currencyCode").cloned();
    let amount = field("txnAmt")?;
    let amount_fen = amount
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| amount.parse::<i64>().ok())
        .flatten()
        .map(Fen)
        .ok_or_else(|| GatewayError::BadAnswer("txnAmt is not a whole number of fen".into()))?;
    let succeeded = field("respCode")? == "00";
    if field("txnType")? == "04" {
        // A refund's result: a success is final; anything else is asked after.
        let outcome = if succeeded { RefundOutcome::Succeeded } else { RefundOutcome::Processing };
        let refund_no = field("orderId")?.to_owned();
        return Ok(Notice::Refund(RefundNotice { refund_no, amount_fen, outcome, currency }));
    }
    Ok(Notice::Payment(Notification {
        payment_no: field("orderId")?.to_owned(),
        provider_txn_id: field("queryId")?.to_owned(),
        amount_fen,
        // Only a consumption (txnType 01) pays.
        paid: succeeded && field("txnType")? == "01",
        currency,
    }))
}

/// How UnionPay is answered: `ok` when taken (any 2xx will do), `fail` with the status when
/// refused.
pub(crate) fn ack(refused: Option<&Refused>) -> Ack {
    match refused {
        None => Ack::text(200, "ok"),
        Some(refused) => Ack::text(refused.status, "fail"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::http::test_forms;
    use std::collections::BTreeMap;

    fn keys() -> UnionPayKeys {
        test_forms::sandbox().unionpay
    }

    /// A back notification as UnionPay posts one, after `change`.
    fn form(keys: &UnionPayKeys, change: impl FnOnce(&mut BTreeMap<String, String>)) -> String {
        let pairs = [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("txnType", "01"),
            ("txnSubType", "01"),
            ("bizType", "000201"),
            ("accessType", "0"),
            ("merId", keys.mer_id.as_str()),
            ("orderId", "P20261202100000001"),
            ("txnTime", "20261202100000"),
            ("txnAmt", "1230"),
            ("currencyCode", "156"),
            ("queryId", "782612021000001234567"),
            ("respCode", "00"),
            ("respMsg", "成功[0000000]"),
        ];
        let key = keys.unionpay.private.as_ref().expect("the sandbox's UnionPay key");
        test_forms::form(&pairs, change, |p| unionpay::sign(key, p))
    }

    #[test]
    fn a_genuine_notification_reads_as_the_payment_it_names() {
        let keys = keys();
        let read = read(&keys, form(&keys, |_| {}).as_bytes()).unwrap();
        assert_eq!(
            read,
            Notice::Payment(Notification {
                payment_no: "P20261202100000001".into(),
                provider_txn_id: "782612021000001234567".into(),
                amount_fen: Fen(1230),
                paid: true,
                currency: Some("156".into()),
            })
        );
    }

    #[test]
    fn a_changed_amount_a_missing_signature_or_another_merchant_is_refused() {
        let keys = keys();
        let genuine = form(&keys, |_| {});
        let raised = genuine.replace("txnAmt=1230", "txnAmt=123000");
        assert_eq!(read(&keys, raised.as_bytes()), Err(GatewayError::BadSignature));
        let unsigned: String =
            genuine.split('&').filter(|p| !p.starts_with("signature=")).collect::<Vec<_>>().join("&");
        assert_eq!(read(&keys, unsigned.as_bytes()), Err(GatewayError::BadSignature));
        let other = form(&keys, |p| {
            p.insert("merId".into(), "898000000000000".into());
        });
        assert!(matches!(read(&keys, other.as_bytes()), Err(GatewayError::Refused(_))));
        let failed = form(&keys, |p| {
            p.insert("respCode".into(), "03".into());
        });
        assert!(matches!(read(&keys, failed.as_bytes()), Ok(Notice::Payment(Notification { paid: false, .. }))));
        let refund_result = form(&keys, |p| {
            p.insert("txnType".into(), "04".into());
            p.insert("orderId".into(), "R20261202100000001".into());
        });
        let refunded = RefundNotice {
            refund_no: "R20261202100000001".into(),
            amount_fen: Fen(1230),
            outcome: RefundOutcome::Succeeded,
            currency: Some("156".into()),
        };
        assert_eq!(read(&keys, refund_result.as_bytes()), Ok(Notice::Refund(refunded)), "a refund's result");
    }
}
