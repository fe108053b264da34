//! WeChat Pay's refunds: `POST /v3/refund/domestic/refunds` (the refund's number is
//! `out_refund_no`: sent again, it is made once; its result is posted to `notify_url`) and
//! `GET /v3/refund/domestic/refunds/{out_refund_no}`. A refund's `status` is `SUCCESS`,
//! `PROCESSING` (taken, its result to come), `ABNORMAL` (stuck: the payer's card or account
//! cannot take it, not final) or `CLOSED` (failed for good).

use super::gateway::{WechatPay, segment};
use super::notice::outcome;
use crate::domain::payments::calls::Operation;
use crate::domain::payments::gateway::{GatewayError, ProviderRefund, RefundOutcome};
use crate::providers::http::About;
use serde_json::{Value, json};

/// A refund as WeChat answers it, once it is the one asked about.
fn read(answer: &Value, refund: &ProviderRefund) -> RefundOutcome {
    if answer["out_refund_no"] != refund.refund_no.as_str() {
        return RefundOutcome::Later(GatewayError::BadAnswer("the answer is about another refund".into()));
    }
    outcome(answer["status"].as_str().unwrap_or_default())
}

impl WechatPay {
    /// Asks for a refund of part or all of a paid payment.
    pub async fn give_back(&self, refund: &ProviderRefund) -> RefundOutcome {
        let mut body = json!({
            "out_trade_no": refund.payment_no, "out_refund_no": refund.refund_no,
            "amount": {"refund": refund.amount_fen.get(), "total": refund.total_fen.get(), "currency": "CNY"},
        });
        if let Some(reason) = &refund.reason {
            body["reason"] = json!(reason);
        }
        if !refund.notify_url.is_empty() {
            body["notify_url"] = json!(refund.notify_url);
        }
        let about = About::refund(Operation::Refund, refund);
        match self.call(about, reqwest::Method::POST, "/v3/refund/domestic/refunds", Some(&body)).await {
            Ok(answer) => read(&answer, refund),
            Err(e) => RefundOutcome::of_sending(e),
        }
    }

    /// Asks after a refund sent before.
    pub async fn refund_now(&self, refund: &ProviderRefund) -> RefundOutcome {
        let path = format!("/v3/refund/domestic/refunds/{}", segment(&refund.refund_no));
        let about = About::refund(Operation::RefundQuery, refund);
        match self.call(about, reqwest::Method::GET, &path, None).await {
            Ok(answer) => read(&answer, refund),
            Err(e) => RefundOutcome::of_asking(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_is_done_under_way_stuck_or_failed_as_its_status_says() {
        assert_eq!(outcome("SUCCESS"), RefundOutcome::Succeeded);
        assert_eq!(outcome("PROCESSING"), RefundOutcome::Processing);
        assert_eq!(outcome("ABNORMAL"), RefundOutcome::Abnormal);
        assert!(matches!(outcome("CLOSED"), RefundOutcome::Failed(_)));
        assert!(matches!(outcome("REFUNDING?"), RefundOutcome::Later(GatewayError::BadAnswer(_))));
    }
}
