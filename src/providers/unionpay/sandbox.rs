//! UnionPay's stand-in (`/sandbox/unionpay/…`): the 5.1.0 back-transaction and query URLs csms
//! calls — a QR code applied for (txnType 01/07), a refund (04), a state query (00) — each
//! request's `signature` checked with the merchant's public key and each answer signed with the
//! sandbox's UnionPay key and written `k=v&…` unencoded, as UnionPay does; and the payer: a
//! `POST` to a payment's pay URL pays it and posts the signed back notification to its
//! `backUrl`, retried until csms answers 2xx. A QR code pays until its `payTimeout`. Refunds
//! (`sandbox_refunds`) are taken (`00`, or `05` while their script has them processing) and
//! their result posted to the refund's `backUrl` once it succeeds, or found by a query.

use super::UnionPayKeys;
use crate::providers::http::Form;
use crate::providers::sandbox::payer::{beijing, deliver, digits};
use crate::providers::sandbox::script::{Course, Scripts, State as Stage};
use crate::providers::unionpay::signing as unionpay;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use dashmap::DashMap;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

/// UnionPay's answer to a success.
pub(super) const DONE: &str = "成功[0000000]";

/// A QR code order the sandbox holds.
#[derive(Debug, Clone)]
pub(super) struct Held {
    txn_time: String,
    pub(super) total: i64,
    back_url: String,
    /// When the code stops paying (`payTimeout`), when given.
    pay_until: Option<DateTime<Utc>>,
    /// UnionPay's transaction, once paid.
    pub(super) query_id: Option<String>,
    pub(super) refunded: i64,
}

/// A refund the sandbox made.
#[derive(Debug, Clone)]
pub(super) struct Refund {
    pub(super) txn_time: String,
    pub(super) amount: i64,
    pub(super) query_id: String,
    pub(super) original: String,
    pub(super) back_url: String,
    pub(super) course: Course,
}

impl Refund {
    /// What a query finds: UnionPay's transaction, the amount and the original answer now.
    pub(super) fn found(&self) -> (String, i64, (&'static str, &'static str)) {
        let state = match self.course.now() {
            Stage::Processing | Stage::Abnormal => ("05", "交易已受理"),
            Stage::Succeeded => ("00", DONE),
            Stage::Failed => ("01", "交易失败"),
        };
        (self.query_id.clone(), self.amount, state)
    }
}

/// The sandbox's UnionPay.
#[derive(Debug, Clone)]
pub struct UnionPaySandbox {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub(super) keys: UnionPayKeys,
    /// Where payers reach the sandbox (`<this>/sandbox/unionpay/pay/{no}`).
    public_base: String,
    /// QR code orders and refunds by `orderId`.
    pub(super) payments: DashMap<String, Held>,
    pub(super) refunds: DashMap<String, Refund>,
    pub(super) scripts: Scripts,
    pub(super) client: reqwest::Client,
}

/// A request's fields by name.
pub(super) type Fields = HashMap<String, String>;

impl UnionPaySandbox {
    pub fn new(keys: UnionPayKeys, public_base: &str) -> Result<Self, reqwest::Error> {
        let client = crate::http_client::client(Duration::from_secs(10))?;
        let inner = Inner {
            keys,
            public_base: public_base.trim_end_matches('/').to_owned(),
            payments: DashMap::new(),
            refunds: DashMap::new(),
            scripts: Scripts::default(),
            client,
        };
        Ok(UnionPaySandbox { inner: Arc::new(inner) })
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }

    /// Checks a request as UnionPay does: 5.1.0, this merchant and certificate, a `signature`
    /// that verifies with the merchant's key, an `orderId` and a `txnTime`.
    fn check(&self, asked: &Fields) -> Result<(), (&'static str, &'static str)> {
        let keys = &self.inner.keys;
        let field = |name: &str| asked.get(name).map_or("", String::as_str);
        if field("version") != "5.1.0" || !field("encoding").eq_ignore_ascii_case("UTF-8") {
            return Err(("10", "报文格式错误: version 5.1.0, encoding UTF-8"));
        }
        if field("merId") != keys.mer_id || field("certId") != keys.sign_cert_id {
            return Err(("11", "验证签名失败: 商户或证书ID不符"));
        }
        if unionpay::verify(&keys.merchant.public, asked).is_err() {
            return Err(("11", "验证签名失败"));
        }
        let order_id = field("orderId");
        let order_ok = (8..=40).contains(&order_id.len()) && order_id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !order_ok || beijing_time(field("txnTime")).is_none() {
            return Err(("13", "报文交易要素缺失: orderId, txnTime"));
        }
        Ok(())
    }

    /// An answer to `asked`, its transaction's fields echoed, signed with the UnionPay key.
    pub(super) fn answer<'a>(
        &self,
        asked: &Fields,
        code: &str,
        msg: &str,
        more: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Response {
        let echoed =
            ["version", "encoding", "bizType", "txnType", "txnSubType", "accessType", "merId", "orderId", "txnTime"];
        let mut fields: BTreeMap<String, String> =
            echoed.iter().filter_map(|name| asked.get(*name).map(|v| ((*name).to_owned(), v.clone()))).collect();
        fields.insert("respCode".into(), code.to_owned());
        fields.insert("respMsg".into(), msg.to_owned());
        fields.extend(more.into_iter().map(|(k, v)| (k.to_owned(), v)));
        if let Some(key) = &self.inner.keys.unionpay.private {
            unionpay::sign(key, &mut fields);
        }
        // Written as UnionPay writes it: `k=v&…`, nothing URL-encoded.
        let text = fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
        (StatusCode::OK, [("content-type", "text/plain;charset=UTF-8")], text).into_response()
    }

    pub(super) fn refuse(&self, asked: &Fields, (code, msg): (&str, &str)) -> Response {
        self.answer(asked, code, msg, [])
    }

    /// A QR code applied for (txnType 01, txnSubType 07).
    fn apply(&self, asked: &Fields) -> Response {
        let field = |name: &str| asked.get(name).map_or("", String::as_str);
        let (order_id, txn_time, back_url) = (field("orderId"), field("txnTime"), field("backUrl"));
        let (Some(total), true) = (fen(field("txnAmt")), field("currencyCode") == "156" && !back_url.is_empty()) else {
            return self.refuse(asked, ("13", "报文交易要素缺失: txnAmt, currencyCode 156, backUrl"));
        };
        let pay_until = match field("payTimeout") {
            "" => None,
            timeout => match beijing_time(timeout) {
                Some(until) => Some(until),
                None => return self.refuse(asked, ("10", "报文格式错误: payTimeout")),
            },
        };
        if let Some(before) = self.inner.payments.get(order_id)
            && (before.txn_time != txn_time || before.total != total || before.query_id.is_some())
        {
            return self.refuse(asked, ("12", "重复交易"));
        }
        let held = Held {
            txn_time: txn_time.to_owned(),
            total,
            back_url: back_url.to_owned(),
            pay_until,
            query_id: None,
            refunded: 0,
        };
        self.inner.payments.insert(order_id.to_owned(), held);
        let qr_code = format!("{}/sandbox/unionpay/pay/{order_id}", self.inner.public_base);
        self.answer(asked, "00", DONE, [("qrCode", qr_code)])
    }

    /// Posts the payment's back notification until csms answers 2xx.
    async fn notify(self, order_id: String) {
        let Some(held) = self.inner.payments.get(&order_id).map(|h| h.clone()) else { return };
        let (Some(query_id), Some(key)) = (&held.query_id, &self.inner.keys.unionpay.private) else { return };
        let now = Utc::now();
        let amount = held.total.to_string();
        let mut fields: BTreeMap<String, String> = [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("bizType", "000000"),
            ("txnType", "01"),
            ("txnSubType", "07"),
            ("accessType", "0"),
            ("merId", self.inner.keys.mer_id.as_str()),
            ("orderId", order_id.as_str()),
            ("txnTime", held.txn_time.as_str()),
            ("txnAmt", amount.as_str()),
            ("currencyCode", "156"),
            ("settleAmt", amount.as_str()),
            ("settleCurrencyCode", "156"),
            ("queryId", query_id.as_str()),
            ("respCode", "00"),
            ("respMsg", DONE),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        fields.insert("settleDate".into(), beijing(now, "%m%d"));
        fields.insert("traceNo".into(), digits(6));
        fields.insert("traceTime".into(), beijing(now, "%m%d%H%M%S"));
        unionpay::sign(key, &mut fields);
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(fields.iter()).finish();
        let what = format!("UnionPay {order_id}");
        deliver(&self.inner.client, &what, &held.back_url, body, |status, _| (200..300).contains(&status)).await;
    }
}

/// Back transactions: the QR code applied for, or a refund.
pub(super) async fn back_trans(State(s): State<UnionPaySandbox>, body: Bytes) -> Response {
    let asked = Form::parse(&body).params().clone();
    if let Err(refused) = s.check(&asked) {
        return s.refuse(&asked, refused);
    }
    let field = |name: &str| asked.get(name).map_or("", String::as_str);
    match (field("txnType"), field("txnSubType"), field("bizType")) {
        ("01", "07", "000000") => s.apply(&asked),
        ("04", "00", "000000") => s.refund(&asked),
        _ => s.refuse(&asked, ("10", "报文格式错误: 不支持的交易")),
    }
}

/// A transaction's state, named by `orderId` and the `txnTime` it was sent with.
pub(super) async fn query_trans(State(s): State<UnionPaySandbox>, body: Bytes) -> Response {
    let asked = Form::parse(&body).params().clone();
    if let Err(refused) = s.check(&asked) {
        return s.refuse(&asked, refused);
    }
    let field = |name: &str| asked.get(name).map_or("", String::as_str);
    if field("txnType") != "00" {
        return s.refuse(&asked, ("10", "报文格式错误: txnType 00"));
    }
    let (order_id, txn_time) = (field("orderId"), field("txnTime"));
    let found = match s.inner.payments.get(order_id) {
        Some(held) if held.txn_time == txn_time => held.query_id.clone().map(|id| (id, held.total, ("00", DONE))),
        Some(_) => None,
        None => s.inner.refunds.get(order_id).filter(|r| r.txn_time == txn_time).map(|r| r.found()),
    };
    // Nothing paid on a code yet is no transaction yet.
    let Some((query_id, amount, (code, msg))) = found else { return s.refuse(&asked, ("34", "查无此交易")) };
    let more = [
        ("origRespCode", code.to_owned()),
        ("origRespMsg", msg.to_owned()),
        ("queryId", query_id),
        ("txnAmt", amount.to_string()),
        ("currencyCode", "156".to_owned()),
        ("settleAmt", amount.to_string()),
        ("settleCurrencyCode", "156".to_owned()),
    ];
    s.answer(&asked, "00", DONE, more)
}

/// The payer pays: the order is paid and its back notification goes out.
pub(super) async fn pay(State(s): State<UnionPaySandbox>, Path(no): Path<String>) -> Response {
    let Some(mut held) = s.inner.payments.get_mut(&no) else { return refused("34", "查无此交易") };
    if held.query_id.is_none() {
        if held.pay_until.is_some_and(|until| Utc::now() > until) {
            return refused("39", "二维码已过期");
        }
        held.query_id = Some(format!("{}{}", beijing(Utc::now(), "%y%m%d%H%M%S"), digits(9)));
    }
    let total = held.total;
    drop(held);
    tokio::spawn(s.clone().notify(no.clone()));
    (StatusCode::OK, axum::Json(json!({"paid": true, "orderId": no, "txnAmt": total}))).into_response()
}

/// `YYYYMMDDhhmmss` in Beijing time.
pub(super) fn beijing_time(text: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text, "%Y%m%d%H%M%S").ok().filter(|_| text.len() == 14)?;
    chrono_tz::Asia::Shanghai.from_local_datetime(&local).single().map(|t| t.to_utc())
}

/// A positive whole number of fen.
pub(super) fn fen(text: &str) -> Option<i64> {
    let plain = !text.is_empty() && text.len() <= 12 && text.bytes().all(|b| b.is_ascii_digit());
    text.parse::<i64>().ok().filter(|f| plain && *f > 0)
}

/// The payer's page refusing.
fn refused(code: &str, msg: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"respCode": code, "respMsg": msg}))).into_response()
}
