//! UnionPay online payments, version 5.1.0, as csms calls it: a QR code applied for (the driver
//! scans `qrCode` until its `payTimeout`), asked after, "closed" and refunded
//! (`refund`). Requests are form `POST`s signed with the
//! merchant's signing key (`certId` names its certificate). UnionPay answers `k=v&…` text, not
//! URL-encoded, whose `signature` is checked with the configured verification key before a word
//! of it is believed.

use super::UnionPayKeys;
use super::answer::{Fields, field, read_answer, read_state, refusal, resp_code, succeeded};
use crate::domain::ids::PaymentNo;
use crate::domain::payments::PaymentProvider;
use crate::domain::payments::calls::{CallLog, Operation};
use crate::domain::payments::gateway::{
    Ack, GatewayError, Notice, Opened, ProviderPayment, ProviderRefund, ProviderState, RefundOutcome, Refused,
};
use crate::domain::payments::records::Method;
use crate::providers::http::{About, keep_call, outcome};
use crate::providers::unionpay::signing as unionpay;
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::future::BoxFuture;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// UnionPay's gateway host. `base` is a host (and, for the sandbox, a path prefix) that the
/// API's paths follow: this one live, `<csms>/sandbox/unionpay` in the sandbox
/// (`payments.unionpay.base_url`).
pub const LIVE_BASE: &str = "https://gateway.95516.com";
/// Back transactions: the QR code applied for, refunds.
pub(super) const BACK_TRANS: &str = "/gateway/api/backTransReq.do";
/// Transaction state queries.
pub(super) const QUERY_TRANS: &str = "/gateway/api/queryTrans.do";
/// The longest answer read.
const MAX_ANSWER: usize = 64 * 1024;

/// The UnionPay gateway.
#[derive(Debug, Clone)]
pub struct UnionPay {
    pub(super) keys: UnionPayKeys,
    base: String,
    client: reqwest::Client,
    log: CallLog,
}

/// UnionPay's answer: the HTTP status and its text.
#[derive(Debug)]
struct Exchange {
    status: u16,
    answer: String,
}

impl UnionPay {
    /// Calls `base` (UnionPay's `LIVE_BASE`, or the sandbox's) with `keys`, each call within
    /// `timeout`.
    pub fn new(keys: UnionPayKeys, base: &str, timeout: Duration) -> Result<Self, GatewayError> {
        let client = crate::http_client::client(timeout).map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        let base = base.trim().trim_end_matches('/').to_owned();
        Ok(UnionPay { keys, base, client, log: CallLog::default() })
    }

    /// Keeps every call in `log`.
    pub fn with_log(mut self, log: CallLog) -> Self {
        self.log = log;
        self
    }

    /// What every request carries, for the transaction `order_id` sent at `txn_time`.
    pub(super) fn request(
        &self,
        txn_type: &str,
        txn_sub_type: &str,
        order_id: &str,
        txn_time: &str,
    ) -> BTreeMap<String, String> {
        [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("certId", self.keys.sign_cert_id.as_str()),
            ("merId", self.keys.mer_id.as_str()),
            ("accessType", "0"),
            ("bizType", "000000"),
            ("txnType", txn_type),
            ("txnSubType", txn_sub_type),
            ("orderId", order_id),
            ("txnTime", txn_time),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// `params` signed with the merchant's key (`signMethod`, `signature`), as a form.
    fn signed_form(&self, mut params: BTreeMap<String, String>) -> Result<String, GatewayError> {
        let key = self
            .keys
            .merchant
            .private
            .as_ref()
            .ok_or_else(|| GatewayError::Refused("no merchant signing key".into()))?;
        unionpay::sign(key, &mut params);
        Ok(form_urlencoded::Serializer::new(String::new()).extend_pairs(params.iter()).finish())
    }

    /// Posts a signed form to `path`: the status and the answer as text.
    async fn call(&self, path: &str, form: String) -> Result<Exchange, GatewayError> {
        let request = self.client.post(format!("{}{path}", self.base));
        let (status, answer) = crate::providers::http::post_form(request, "UnionPay", form, MAX_ANSWER).await?;
        Ok(Exchange { status, answer })
    }

    /// Calls `path` and gives the answer's fields once UnionPay's signature over them verifies,
    /// whatever its `respCode`; the call is kept in the call log.
    pub(super) async fn invoke(
        &self,
        about: About<'_>,
        path: &str,
        params: BTreeMap<String, String>,
    ) -> Result<Fields, GatewayError> {
        let started = Instant::now();
        let form = self.signed_form(params)?;
        let exchanged = self.call(path, form.clone()).await;
        let read = match &exchanged {
            Ok(exchange) => read_answer(&self.keys.unionpay.public, exchange.status, &exchange.answer),
            Err(e) => Err(e.clone()),
        };
        let failed = match &read {
            Err(e) => Some((outcome(e), e.to_string())),
            Ok(answer) => match resp_code(answer) {
                // 05: taken, its result to follow.
                "00" | "05" => None,
                "03" | "04" => Some(("temporary", refusal(answer))),
                "34" => Some(("no_such", refusal(answer))),
                _ => Some(("refused", refusal(answer))),
            },
        };
        let answered = exchanged.as_ref().ok().map(|e| (e.status, e.answer.as_str()));
        keep_call(&self.log, super::METHOD, about, started, &form, answered, failed).await;
        read
    }

    /// Applies for a QR code (txnType 01, txnSubType 07): where the payer pays is its `qrCode`.
    pub async fn open(&self, payment: &ProviderPayment) -> Result<Opened, GatewayError> {
        let mut params = self.request("01", "07", &payment.payment_no, &txn_time(&payment.payment_no)?);
        params.insert("channelType".into(), "08".into());
        params.insert("txnAmt".into(), payment.amount_fen.get().to_string());
        params.insert("currencyCode".into(), "156".into());
        params.insert("backUrl".into(), payment.notify_url.clone());
        params.insert("payTimeout".into(), pay_timeout(payment.expires_at));
        let about = About::payment(Operation::Create, &payment.payment_no);
        let answer = succeeded(self.invoke(about, BACK_TRANS, params).await?)?;
        if field(&answer, "orderId")? != payment.payment_no.as_str() {
            return Err(GatewayError::BadAnswer("the answer is about another order".into()));
        }
        Ok(Opened { pay_url: field(&answer, "qrCode")?.to_owned() })
    }

    /// The state of the payment `payment_no` at UnionPay.
    pub async fn state(&self, payment_no: &str) -> Result<ProviderState, GatewayError> {
        self.state_of(About::payment(Operation::Query, payment_no), payment_no).await
    }

    /// The state of the payment `order_id` at UnionPay.
    pub(super) async fn state_of(&self, about: About<'_>, order_id: &str) -> Result<ProviderState, GatewayError> {
        let params = self.request("00", "00", order_id, &txn_time(order_id)?);
        read_state(&self.invoke(about, QUERY_TRANS, params).await?, &self.keys.mer_id, order_id)
    }

    /// "Closes" an unpaid payment. UnionPay has no close for a QR code order that is not paid:
    /// the code stops working at its `payTimeout` (the window it was applied for with). So this
    /// asks after the payment and succeeds when it is not paid; a payment made
    /// on the code before its timeout still comes by notification, as any late payment does.
    pub async fn shut(&self, payment_no: &str) -> Result<(), GatewayError> {
        match self.state(payment_no).await? {
            ProviderState::Paid { .. } => Err(GatewayError::Refused("the payment is paid: it cannot be closed".into())),
            _ => Ok(()),
        }
    }
}

impl PaymentProvider for UnionPay {
    fn method(&self) -> Method {
        super::METHOD
    }
    fn create(&self, payment: ProviderPayment) -> BoxFuture<'_, Result<Opened, GatewayError>> {
        Box::pin(async move { self.open(&payment).await })
    }
    fn query(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<ProviderState, GatewayError>> {
        Box::pin(async move { self.state(&payment_no).await })
    }
    fn close(&self, payment_no: PaymentNo) -> BoxFuture<'_, Result<(), GatewayError>> {
        Box::pin(async move { self.shut(&payment_no).await })
    }
    fn refund(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome> {
        Box::pin(async move { self.give_back(&refund).await })
    }
    fn refund_state(&self, refund: ProviderRefund) -> BoxFuture<'_, RefundOutcome> {
        Box::pin(async move { self.refund_now(&refund).await })
    }
    fn verify_notification(&self, _headers: &[(String, String)], body: &[u8]) -> Result<Notice, GatewayError> {
        super::notice::read(&self.keys, body)
    }
    fn acknowledge(&self, refused: Option<&Refused>) -> Ack {
        super::notice::ack(refused)
    }
}

/// The `txnTime` of the transaction csms numbers `number`.
///
/// UnionPay names a transaction by `merId`, `orderId` and `txnTime` together: a query needs the
/// original `txnTime` (or the `queryId`, which exists only once paid), yet a payment is asked
/// after by its number alone and csms keeps no `txnTime`. So `txnTime` is not the clock at
/// sending but derived from the number, which carries the UTC day it was made on
/// (`P20261202…`): that day's start, 00:00 UTC, in Beijing time (`20261202080000`). It is never
/// later than the sending and at most a day earlier, the same on every node and after a
/// restart, and a payment or refund sent twice is the same transaction to UnionPay.
pub(crate) fn txn_time(number: &str) -> Result<String, GatewayError> {
    let day = number
        .get(1..9)
        .filter(|day| day.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|day| NaiveDate::parse_from_str(day, "%Y%m%d").ok())
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .ok_or_else(|| GatewayError::Refused(format!("{number} carries no day: UnionPay needs one for txnTime")))?;
    Ok(day.and_utc().with_timezone(&chrono_tz::Asia::Shanghai).format("%Y%m%d%H%M%S").to_string())
}

/// `payTimeout`: when the QR code stops working, Beijing time.
fn pay_timeout(until: DateTime<Utc>) -> String {
    crate::providers::http::beijing(until, "%Y%m%d%H%M%S")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::http::test_forms;

    #[test]
    fn txn_time_is_the_numbers_day_starting_at_midnight_utc_in_beijing_time() {
        assert_eq!(txn_time("P20261202A1B2C3D4E5F60718293A"), Ok("20261202080000".into()));
        assert_eq!(txn_time("R20261231FFFFFFFFFFFFFFFFFFFF"), Ok("20261231080000".into()));
        for bad in ["PW1", "P2026130100", "P2026-12-02", "", "P202612"] {
            assert!(matches!(txn_time(bad), Err(GatewayError::Refused(_))), "{bad}");
        }
    }

    #[test]
    fn a_qr_code_times_out_at_its_window_in_beijing_time() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T17:05:00Z").unwrap().to_utc();
        assert_eq!(pay_timeout(at), "20261203010500");
    }

    #[test]
    fn a_request_is_signed_with_the_merchants_key_and_names_its_certificate() {
        let keys = test_forms::sandbox().unionpay;
        let gateway = UnionPay::new(keys.clone(), "http://127.0.0.1:9/", Duration::from_secs(1)).unwrap();
        let form = gateway.signed_form(gateway.request("00", "00", "P20261202AB", "20261202080000")).unwrap();
        let sent: Fields = form_urlencoded::parse(form.as_bytes()).into_owned().collect();
        assert_eq!(
            (sent["certId"].as_str(), sent["merId"].as_str()),
            (keys.sign_cert_id.as_str(), keys.mer_id.as_str())
        );
        assert_eq!((sent["version"].as_str(), sent["signMethod"].as_str()), ("5.1.0", "01"));
        assert_eq!(unionpay::verify(&keys.merchant.public, &sent), Ok(()));
        assert!(unionpay::verify(&keys.unionpay.public, &sent).is_err());
    }
}
