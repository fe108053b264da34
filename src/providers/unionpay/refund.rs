//! UnionPay's refunds (txnType 04): a transaction of their own, the refund number its `orderId`,
//! naming the payment by the `queryId` a query of it gives. The answer only says whether the
//! refund was taken — `00` (accepted) or `05`: its result is posted to the refund's `backUrl`,
//! or found by a query; `03`/`04` leave it unknown (asked after, then sent again when UnionPay
//! never took it); `12` says it was sent before (the query answers); anything else refuses it.

use super::answer::{read_refund, refusal, resp_code};
use super::gateway::{BACK_TRANS, QUERY_TRANS, UnionPay, txn_time};
use crate::domain::payments::calls::Operation;
use crate::domain::payments::gateway::GatewayError;
use crate::domain::payments::gateway::{ProviderRefund, ProviderState, RefundOutcome};
use crate::providers::http::About;

impl UnionPay {
    /// Asks for a refund of part or all of a paid payment.
    pub async fn give_back(&self, refund: &ProviderRefund) -> RefundOutcome {
        let original = match self.state_of(About::refund(Operation::Query, refund), &refund.payment_no).await {
            Ok(ProviderState::Paid { provider_txn_id, .. }) => provider_txn_id,
            Ok(other) => return RefundOutcome::Failed(format!("the payment is not paid: {other:?}")),
            Err(e) => return RefundOutcome::Later(e),
        };
        let time = match txn_time(&refund.refund_no) {
            Ok(time) => time,
            Err(e) => return RefundOutcome::of_sending(e),
        };
        let mut params = self.request("04", "00", &refund.refund_no, &time);
        params.insert("channelType".into(), "08".into());
        params.insert("txnAmt".into(), refund.amount_fen.get().to_string());
        params.insert("origQryId".into(), original);
        if !refund.notify_url.is_empty() {
            params.insert("backUrl".into(), refund.notify_url.clone());
        }
        let answer = match self.invoke(About::refund(Operation::Refund, refund), BACK_TRANS, params).await {
            Ok(answer) => answer,
            Err(e) => return RefundOutcome::of_sending(e),
        };
        match resp_code(&answer) {
            // Taken: the result follows (UnionPay's back notification, or a query).
            "00" | "05" => RefundOutcome::Processing,
            // This refund number was sent before (its txnTime is the same every time): where
            // the refund made then stands is the answer.
            "12" => self.refund_now(refund).await,
            "03" | "04" => RefundOutcome::Later(GatewayError::Temporary(refusal(&answer))),
            _ => RefundOutcome::Failed(refusal(&answer)),
        }
    }

    /// Asks after a refund sent before (`queryTrans.do` with its `orderId` and `txnTime`).
    pub async fn refund_now(&self, refund: &ProviderRefund) -> RefundOutcome {
        let time = match txn_time(&refund.refund_no) {
            Ok(time) => time,
            Err(e) => return RefundOutcome::of_asking(e),
        };
        let params = self.request("00", "00", &refund.refund_no, &time);
        match self.invoke(About::refund(Operation::RefundQuery, refund), QUERY_TRANS, params).await {
            Ok(answer) => read_refund(&answer, &self.keys.mer_id, &refund.refund_no),
            Err(e) => RefundOutcome::of_asking(e),
        }
    }
}
