//! UnionPay's stand-in for refunds (txnType 04): a refund of the payment `origQryId` names,
//! never beyond what is left, taken as its script says — `00` (accepted: the result follows),
//! `05` while it is processing, `03` or HTTP 503 when busy, `01` refused — its state answered by
//! `queryTrans.do` (`origRespCode` `05`, `00` or `01`), and its success posted to the refund's
//! `backUrl` (UnionPay posts a refund's result when it succeeds; a failure is found by asking).

use super::sandbox::{DONE, Fields, Refund, UnionPaySandbox, fen};
use crate::providers::sandbox::payer::{beijing, deliver, digits};
use crate::providers::sandbox::script::{self, Answer, State as Stage, Step};
use crate::providers::unionpay::signing as unionpay;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::collections::BTreeMap;

/// `POST /sandbox/unionpay/refund-script/{paymentNo}`: how the payment's refunds go.
pub(super) async fn script(State(s): State<UnionPaySandbox>, Path(no): Path<String>, body: Bytes) -> Response {
    s.inner().scripts.post(no, &body, &[Stage::Processing, Stage::Succeeded, Stage::Failed])
}

impl UnionPaySandbox {
    /// A refund (txnType 04) asked for.
    pub(super) fn refund(&self, asked: &Fields) -> Response {
        let field = |name: &str| asked.get(name).map_or("", String::as_str);
        let (order_id, original) = (field("orderId"), field("origQryId"));
        let Some(amount) = fen(field("txnAmt")).filter(|_| !original.is_empty()) else {
            return self.refuse(asked, ("13", "报文交易要素缺失: txnAmt, origQryId"));
        };
        let inner = self.inner();
        if inner.refunds.contains_key(order_id) || inner.payments.contains_key(order_id) {
            return self.refuse(asked, ("12", "重复交易"));
        }
        let paid = inner.payments.iter().find(|p| p.query_id.as_deref() == Some(original)).map(|p| p.key().clone());
        let Some(payment_no) = paid else {
            return self.refuse(asked, ("35", "原交易不存在或状态不正确"));
        };
        let Some(mut held) = inner.payments.get_mut(&payment_no) else {
            return self.refuse(asked, ("35", "原交易不存在或状态不正确"));
        };
        if held.refunded + amount > held.total {
            return self.refuse(asked, ("36", "与原交易信息不符: 退货金额超过可退金额"));
        }
        let lost = match inner.scripts.next(&payment_no) {
            Step::Take => false,
            Step::Answer(Answer::Lost) => true,
            Step::Answer(Answer::Busy) => return self.refuse(asked, ("03", "交易通讯超时，请发起查询交易")),
            Step::Answer(Answer::Throttled) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "Service Temporarily Unavailable").into_response();
            }
            Step::Answer(Answer::Refused) => return self.refuse(asked, ("01", "交易失败")),
        };
        held.refunded += amount;
        drop(held);
        let query_id = format!("{}{}", beijing(Utc::now(), "%y%m%d%H%M%S"), digits(9));
        let course = inner.scripts.course(&payment_no);
        let code = if course.now() == Stage::Processing { ("05", "交易已受理") } else { ("00", DONE) };
        let refund = Refund {
            txn_time: field("txnTime").to_owned(),
            amount,
            query_id: query_id.clone(),
            original: original.to_owned(),
            back_url: field("backUrl").to_owned(),
            course,
        };
        inner.refunds.insert(order_id.to_owned(), refund);
        if !field("backUrl").is_empty() {
            tokio::spawn(self.clone().follow_refund(order_id.to_owned()));
        }
        if lost {
            return self.refuse(asked, ("04", "交易状态未明，请查询对账结果"));
        }
        self.answer(
            asked,
            code.0,
            code.1,
            [("queryId", query_id), ("origQryId", original.to_owned()), ("txnAmt", amount.to_string())],
        )
    }

    /// Posts the refund's back notification once its course reaches success.
    async fn follow_refund(self, order_id: String) {
        let Some(course) = self.inner().refunds.get(&order_id).map(|r| r.course.clone()) else { return };
        script::follow(course, |stage| {
            let (this, order_id) = (self.clone(), order_id.clone());
            async move {
                if stage == Stage::Succeeded {
                    this.notify_refund(&order_id).await;
                }
            }
        })
        .await;
    }

    /// Posts a refund's back notification (txnType 04, `respCode` 00) until csms answers 2xx.
    async fn notify_refund(&self, order_id: &str) {
        let Some(refund) = self.inner().refunds.get(order_id).map(|r| r.clone()) else { return };
        let Some(key) = &self.inner().keys.unionpay.private else { return };
        let now = Utc::now();
        let amount = refund.amount.to_string();
        let mut fields: BTreeMap<String, String> = [
            ("version", "5.1.0"),
            ("encoding", "UTF-8"),
            ("bizType", "000000"),
            ("txnType", "04"),
            ("txnSubType", "00"),
            ("accessType", "0"),
            ("merId", self.inner().keys.mer_id.as_str()),
            ("orderId", order_id),
            ("txnTime", refund.txn_time.as_str()),
            ("txnAmt", amount.as_str()),
            ("currencyCode", "156"),
            ("queryId", refund.query_id.as_str()),
            ("origQryId", refund.original.as_str()),
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
        let what = format!("UnionPay refund {order_id}");
        let url = refund.back_url.clone();
        deliver(&self.inner().client, &what, &url, body, |status, _| (200..300).contains(&status)).await;
    }
}
