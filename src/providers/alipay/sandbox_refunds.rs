//! Alipay's stand-in for refunds: `alipay.trade.refund` (made at once, once per
//! `out_request_no`, never beyond what is left, answered as its script says) and
//! `alipay.trade.fastpay.refund.query` (`refund_status` `REFUND_SUCCESS` for a refund made; no
//! refund fields for one Alipay never took). Alipay's refunds of this API are synchronous: a
//! script's `states` can only be `succeeded`.

use super::sandbox::{AlipaySandbox, Status, business, no_trade, text};
use crate::domain::ledger::{fen_string, parse_positive};
use crate::providers::sandbox::script::{Answer, State as Stage, Step};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::{Value, json};

/// `POST /sandbox/alipay/refund-script/{paymentNo}`: how the payment's refunds go.
pub(super) async fn script(State(s): State<AlipaySandbox>, Path(no): Path<String>, body: Bytes) -> Response {
    s.inner().scripts.post(no, &body, &[Stage::Succeeded])
}

impl AlipaySandbox {
    /// `alipay.trade.refund`.
    pub(super) fn refund(&self, biz: &Value) -> Value {
        let (no, request_no) = (text(biz, "out_trade_no").unwrap_or_default(), text(biz, "out_request_no"));
        let Some(Ok(amount)) =
            text(biz, "refund_amount").map(|a| parse_positive(a, "refund_amount").map(|fen| fen.get()))
        else {
            return business("ACQ.INVALID_PARAMETER", "refund_amount 无效");
        };
        let Some(mut held) = self.inner().payments.get_mut(no) else { return no_trade() };
        // The same refund asked again is answered, not made again.
        let request_no = request_no.unwrap_or(no).to_owned();
        let mut lost = false;
        let fund_change = if held.refunds.contains_key(&request_no) {
            "N"
        } else if held.status != Status::Paid {
            return business("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
        } else if held.refunded + amount > held.total {
            return business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
        } else {
            match self.inner().scripts.next(no) {
                Step::Take => {}
                Step::Answer(Answer::Lost) => lost = true,
                Step::Answer(Answer::Busy) => return business("ACQ.SYSTEM_ERROR", "系统错误"),
                Step::Answer(Answer::Throttled) => return unavailable(),
                Step::Answer(Answer::Refused) => return business("ACQ.TRADE_HAS_FINISHED", "交易已完结"),
            }
            held.refunds.insert(request_no, amount);
            held.refunded += amount;
            if held.refunded == held.total {
                held.status = Status::Closed;
            }
            "Y"
        };
        if lost {
            return business("ACQ.SYSTEM_ERROR", "系统错误");
        }
        json!({"code": "10000", "msg": "Success", "out_trade_no": no, "trade_no": held.trade_no,
            "fund_change": fund_change, "refund_fee": fen_string(held.refunded)})
    }

    /// `alipay.trade.fastpay.refund.query`: a refund made reads `REFUND_SUCCESS`; one never taken
    /// answers `10000` with no refund in it, as Alipay does.
    pub(super) fn refund_state(&self, biz: &Value) -> Value {
        let no = text(biz, "out_trade_no").unwrap_or_default();
        let request_no = text(biz, "out_request_no").unwrap_or(no);
        let Some(held) = self.inner().payments.get(no).map(|h| h.clone()) else { return no_trade() };
        let mut answer = json!({"code": "10000", "msg": "Success", "out_trade_no": no, "trade_no": held.trade_no});
        if let Some(amount) = held.refunds.get(request_no) {
            answer["out_request_no"] = json!(request_no);
            answer["total_amount"] = json!(fen_string(held.total));
            answer["refund_amount"] = json!(fen_string(*amount));
            answer["refund_status"] = json!("REFUND_SUCCESS");
        }
        answer
    }
}

/// Alipay's gateway busy (`20000`).
fn unavailable() -> Value {
    json!({"code": "20000", "msg": "Service Currently Unavailable", "sub_code": "isp.unknow-error", "sub_msg": "系统繁忙"})
}
