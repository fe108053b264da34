//! WeChat Pay's stand-in for refunds: `POST /v3/refund/domestic/refunds` (a refund made once per
//! `out_refund_no`, answered as its script says), `GET /v3/refund/domestic/refunds/{no}` (where
//! it stands), and the refund notifications (`REFUND.SUCCESS`, `REFUND.CLOSED`,
//! `REFUND.ABNORMAL`) sent to the `notify_url` the refund was asked with, as its course reaches
//! each of them.

use super::sandbox::{Made, WechatSandbox, fail};
use crate::providers::sandbox::script::{self, Answer, State as Stage, Step};
use crate::providers::wechat::signing::nonce;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

/// What WeChat calls a refund's state.
fn status(stage: Stage) -> &'static str {
    match stage {
        Stage::Processing => "PROCESSING",
        Stage::Succeeded => "SUCCESS",
        Stage::Failed => "CLOSED",
        Stage::Abnormal => "ABNORMAL",
    }
}

/// `POST /sandbox/wechat/refund-script/{paymentNo}`: how the payment's refunds go.
pub(super) async fn script(State(s): State<WechatSandbox>, Path(no): Path<String>, body: Bytes) -> Response {
    let all = [Stage::Processing, Stage::Succeeded, Stage::Failed, Stage::Abnormal];
    s.inner().scripts.post(no, &body, &all)
}

impl WechatSandbox {
    /// The refund as WeChat shows it, where its course stands now.
    fn refund_view(&self, refund_no: &str, made: &Made) -> Value {
        let stage = made.course.now();
        let transaction_id = self.inner().payments.get(&made.payment_no).and_then(|h| h.transaction_id.clone());
        let mut view = json!({"refund_id": made.refund_id, "out_refund_no": refund_no,
            "transaction_id": transaction_id, "out_trade_no": made.payment_no, "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱", "create_time": made.created.to_rfc3339(), "status": status(stage),
            "amount": {"total": made.total, "refund": made.amount, "payer_total": made.total,
                "payer_refund": made.amount, "currency": "CNY"}});
        if stage == Stage::Succeeded {
            view["success_time"] = json!(Utc::now().to_rfc3339());
        }
        view
    }

    /// Sends the refund's notifications as its course reaches a state WeChat notifies.
    async fn follow_refund(self, refund_no: String, url: String) {
        let Some(course) = self.inner().refunds.get(&refund_no).map(|m| m.course.clone()) else { return };
        script::follow(course, |stage| {
            let (this, refund_no, url) = (self.clone(), refund_no.clone(), url.clone());
            async move {
                let event = match stage {
                    Stage::Processing => return,
                    Stage::Succeeded => ("REFUND.SUCCESS", "退款成功", "refund"),
                    Stage::Failed => ("REFUND.CLOSED", "退款关闭", "refund"),
                    Stage::Abnormal => ("REFUND.ABNORMAL", "退款异常", "refund"),
                };
                let Some(made) = this.inner().refunds.get(&refund_no).map(|m| m.clone()) else { return };
                let keys = &this.inner().keys;
                // A notification's resource: what the refund is at this state (no appid in it).
                let mut resource = this.refund_view(&refund_no, &made);
                resource["refund_status"] = json!(status(stage));
                resource["mchid"] = json!(keys.mchid);
                if let Some(fields) = resource.as_object_mut() {
                    fields.remove("status");
                    fields.remove("channel");
                    fields.remove("create_time");
                }
                if let Some(amount) = resource["amount"].as_object_mut() {
                    amount.remove("currency");
                }
                this.send_notice(&format!("refund {refund_no}"), &url, event, &resource).await;
            }
        })
        .await;
    }
}

/// A refund asked for: made once per `out_refund_no`, never beyond what is left.
pub(super) async fn refund(
    State(s): State<WechatSandbox>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = s.check(&method, &uri, &headers, &body) {
        return refused.into_response();
    }
    let Ok(ask) = serde_json::from_slice::<Value>(&body) else {
        return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "the body is not JSON");
    };
    let (Some(no), Some(refund_no), Some(amount), Some(total)) = (
        ask["out_trade_no"].as_str(),
        ask["out_refund_no"].as_str(),
        ask["amount"]["refund"].as_i64(),
        ask["amount"]["total"].as_i64(),
    ) else {
        return fail(StatusCode::BAD_REQUEST, "PARAM_ERROR", "out_trade_no, out_refund_no and amount are required");
    };
    if let Some(made) = s.inner().refunds.get(refund_no).map(|m| m.clone()) {
        // Asked again: answered again, not made twice.
        return s.answer(StatusCode::OK, &s.refund_view(refund_no, &made));
    }
    let Some(mut held) = s.inner().payments.get_mut(no) else {
        return fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "no such order");
    };
    if held.transaction_id.is_none() {
        return fail(StatusCode::BAD_REQUEST, "INVALID_REQUEST", "the order is not paid");
    }
    if total != held.total || amount <= 0 || held.refunded + amount > held.total {
        return fail(StatusCode::BAD_REQUEST, "NOT_ENOUGH", "more than is left to refund");
    }
    let lost = match s.inner().scripts.next(no) {
        Step::Take => false,
        Step::Answer(Answer::Lost) => true,
        Step::Answer(Answer::Busy) => return fail(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "系统超时"),
        Step::Answer(Answer::Throttled) => return fail(StatusCode::TOO_MANY_REQUESTS, "FREQUENCY_LIMITED", "频率限制"),
        Step::Answer(Answer::Refused) => {
            return fail(StatusCode::FORBIDDEN, "USER_ACCOUNT_ABNORMAL", "退款请求失败: 用户账户异常");
        }
    };
    held.refunded += amount;
    held.state = "REFUND";
    drop(held);
    let made = Made {
        payment_no: no.to_owned(),
        refund_id: format!("5030{}", &nonce()[..24]),
        amount,
        total,
        course: s.inner().scripts.course(no),
        created: Utc::now(),
    };
    s.inner().refunds.insert(refund_no.to_owned(), made.clone());
    if let Some(url) = ask["notify_url"].as_str().filter(|u| !u.is_empty()) {
        tokio::spawn(s.clone().follow_refund(refund_no.to_owned(), url.to_owned()));
    }
    if lost {
        return fail(StatusCode::INTERNAL_SERVER_ERROR, "SYSTEM_ERROR", "系统超时");
    }
    s.answer(StatusCode::OK, &s.refund_view(refund_no, &made))
}

/// A refund asked after by its `out_refund_no`.
pub(super) async fn query(
    State(s): State<WechatSandbox>,
    Path(refund_no): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = s.check(&method, &uri, &headers, b"") {
        return refused.into_response();
    }
    match s.inner().refunds.get(&refund_no).map(|m| m.clone()) {
        Some(made) => s.answer(StatusCode::OK, &s.refund_view(&refund_no, &made)),
        None => fail(StatusCode::NOT_FOUND, "RESOURCE_NOT_EXISTS", "退款单不存在"),
    }
}
