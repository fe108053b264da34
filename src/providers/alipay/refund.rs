//! Alipay's refunds: `alipay.trade.refund` answers its result (`10000`: refunded), the refund's
//! number being `out_request_no` (sent again, it is made once); when its answer is lost or says
//! Alipay failed for now (`ACQ.SYSTEM_ERROR`, `20000`), `alipay.trade.fastpay.refund.query`
//! tells whether it was made: `refund_status` `REFUND_SUCCESS` (or, as older answers do, the
//! refund's fields without a status) when it was; no refund in a `10000` answer when Alipay
//! never took it.

use super::gateway::{AlipayPay, succeeded};
use crate::domain::payments::calls::Operation;
use crate::domain::payments::gateway::{GatewayError, ProviderRefund, RefundOutcome};
use crate::providers::http::About;
use serde_json::{Value, json};

/// What a refund query's answer (`code` `10000`) says of `refund`.
fn read_state(answer: &Value, refund: &ProviderRefund) -> RefundOutcome {
    let request_no = answer["out_request_no"].as_str().unwrap_or_default();
    if !request_no.is_empty() && request_no != refund.refund_no {
        return RefundOutcome::Later(GatewayError::BadAnswer("the answer is about another refund".into()));
    }
    match answer["refund_status"].as_str() {
        Some("REFUND_SUCCESS") => RefundOutcome::Succeeded,
        None if answer["refund_amount"].as_str().is_some_and(|a| !a.is_empty()) => RefundOutcome::Succeeded,
        _ => RefundOutcome::Unknown,
    }
}

impl AlipayPay {
    /// Asks for a refund of part or all of a paid payment.
    pub async fn give_back(&self, refund: &ProviderRefund) -> RefundOutcome {
        let mut biz = json!({
            "out_trade_no": refund.payment_no, "out_request_no": refund.refund_no,
            "refund_amount": refund.amount_fen.to_string(),
        });
        if let Some(reason) = &refund.reason {
            biz["refund_reason"] = json!(reason);
        }
        let about = About::refund(Operation::Refund, refund);
        match self.invoke(about, "alipay.trade.refund", biz, None).await.and_then(succeeded) {
            Ok(_) => RefundOutcome::Succeeded,
            Err(e) => RefundOutcome::of_sending(e),
        }
    }

    /// Asks whether a refund sent before was made.
    pub async fn refund_now(&self, refund: &ProviderRefund) -> RefundOutcome {
        let biz = json!({"out_trade_no": refund.payment_no, "out_request_no": refund.refund_no});
        let about = About::refund(Operation::RefundQuery, refund);
        match self.invoke(about, "alipay.trade.fastpay.refund.query", biz, None).await.and_then(succeeded) {
            Ok(answer) => read_state(&answer, refund),
            Err(e) => RefundOutcome::of_asking(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::money::Fen;

    #[test]
    fn a_refund_is_made_when_alipay_shows_it_and_unknown_when_it_shows_none() {
        let refund = ProviderRefund {
            payment_no: crate::domain::ids::PaymentNo::parse("P1").unwrap_or_else(|e| panic!("{e}")),
            refund_no: "R1".into(),
            amount_fen: Fen(230),
            total_fen: Fen(1230),
            reason: None,
            notify_url: String::new(),
        };
        let made = json!({"code": "10000", "out_trade_no": "P1", "out_request_no": "R1", "refund_amount": "2.30",
            "refund_status": "REFUND_SUCCESS"});
        assert_eq!(read_state(&made, &refund), RefundOutcome::Succeeded);
        let older = json!({"code": "10000", "out_trade_no": "P1", "out_request_no": "R1", "refund_amount": "2.30"});
        assert_eq!(read_state(&older, &refund), RefundOutcome::Succeeded);
        assert_eq!(read_state(&json!({"code": "10000", "out_trade_no": "P1"}), &refund), RefundOutcome::Unknown);
        let other = json!({"code": "10000", "out_request_no": "R2", "refund_status": "REFUND_SUCCESS"});
        assert!(matches!(read_state(&other, &refund), RefundOutcome::Later(_)));
    }

    #[test]
    fn a_system_error_is_no_refusal_and_an_unknown_trade_no_refund() {
        let busy = json!({"code": "40004", "sub_code": "ACQ.SYSTEM_ERROR", "sub_msg": "系统错误"});
        assert!(matches!(succeeded(busy), Err(GatewayError::Temporary(_))));
        let unavailable = json!({"code": "20000", "sub_code": "isp.unknow-error"});
        assert!(matches!(succeeded(unavailable), Err(GatewayError::Temporary(_))));
        let finished = json!({"code": "40004", "sub_code": "ACQ.TRADE_HAS_FINISHED", "sub_msg": "交易已完结"});
        assert_eq!(
            RefundOutcome::of_sending(succeeded(finished).unwrap_err()),
            RefundOutcome::Failed("40004 ACQ.TRADE_HAS_FINISHED: 交易已完结".into())
        );
    }
}
