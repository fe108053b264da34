//! Credit per driver, not per order: the running costs of all of a driver's postpaid and card
//! sessions together are held against their balance plus `orders.postpaid_credit`; once they
//! reach it every one of them is stopped and the driver's tags are refused (1.6 Blocked, 2.0.1
//! NoCredit) — as they are while the balance leaves nothing, or an order of theirs is unpaid.

use super::{OrderStatus, Orders};
use crate::domain::charging::CreditGate;
use crate::domain::charging::records::CreditStanding;
use crate::domain::ids::IdTag;
use crate::domain::ledger::money::Fen;
use crate::domain::orders::order::Order;
use futures_util::future::BoxFuture;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// How long a driver found over their credit stays refused after the sweep last found them so.
const OUT_OF_CREDIT_FOR: Duration = Duration::from_secs(60);

/// The shared key marking a driver over their credit (in Redis when several nodes share it).
fn out_of_credit_key(user_id: i64) -> String {
    format!("credit:out:{user_id}")
}

/// Whether sessions costing `running_fen` in all exceed what a driver may spend: `balance_fen`
/// plus `credit_fen`.
fn used_up(running_fen: Fen, balance_fen: Fen, credit_fen: Fen) -> bool {
    running_fen >= balance_fen.saturating_add(credit_fen)
}

impl Orders {
    /// Holds each driver's postpaid and card sessions, `running` with their costs so far,
    /// against the driver's balance (`balances`): over it, all of them are stopped and the
    /// driver is marked out of credit for the tags' verdicts.
    pub(super) async fn hold_credit(&self, running: &[(&Order, Fen)], balances: &HashMap<i64, Fen>) {
        let mut by_driver: BTreeMap<i64, (Fen, Vec<&Order>)> = BTreeMap::new();
        for (found, cost_fen) in running {
            let entry = by_driver.entry(found.user_id).or_default();
            entry.0 = entry.0.saturating_add(*cost_fen);
            entry.1.push(found);
        }
        let credit_fen = Fen(self.inner.settings.postpaid_credit);
        for (user_id, (spent_fen, orders)) in by_driver {
            let balance_fen = balances.get(&user_id).copied().unwrap_or(Fen::ZERO);
            if !used_up(spent_fen, balance_fen, credit_fen) {
                continue;
            }
            tracing::info!(
                user_id,
                spent_fen = spent_fen.get(),
                balance_fen = balance_fen.get(),
                sessions = orders.len(),
                "a driver's credit is used up"
            );
            if let Err(e) = self.inner.kv.set(&out_of_credit_key(user_id), "1", OUT_OF_CREDIT_FOR).await {
                tracing::warn!(user_id, error = %e, "marking a driver out of credit failed");
            }
            for found in orders {
                self.stop_for(found, "the driver's credit is used up", false);
            }
        }
    }

    /// Whether a driver, standing as read with their tag, may start charging on credit (see the
    /// module's note); a tag of no driver always may. Whatever cannot be read is allowed, said in
    /// the log: the sweep still stops sessions that run over.
    async fn credit_of(&self, standing: &CreditStanding) -> Result<bool, super::OrderError> {
        // An app order ready to start brings its own money (paid ahead, or a postpaid bill the
        // sweep holds against the balance); one not paid yet brings nothing.
        if matches!(standing.live_status, Some(OrderStatus::Ready | OrderStatus::Starting)) {
            return Ok(true);
        }
        if self.inner.kv.get(&out_of_credit_key(standing.user_id)).await?.is_some() {
            return Ok(false);
        }
        if used_up(Fen::ZERO, standing.balance_fen, Fen(self.inner.settings.postpaid_credit)) {
            return Ok(false);
        }
        Ok(!standing.unpaid)
    }
}

impl CreditGate for Orders {
    fn has_credit<'a>(&'a self, tag: &'a IdTag, driver: &'a CreditStanding) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            self.credit_of(driver).await.unwrap_or_else(|e| {
                tracing::warn!(%tag, error = %e, "a driver's credit could not be read: the tag is not refused for it");
                true
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_held_together_against_the_balance_and_the_credit() {
        // Two sessions of 30.00 each against 50.00: used up; with 20.00 of credit, just so.
        assert!(used_up(Fen(6_000), Fen(5_000), Fen(0)));
        assert!(used_up(Fen(6_000), Fen(4_000), Fen(2_000)));
        assert!(!used_up(Fen(5_999), Fen(4_000), Fen(2_000)));
        // Nothing left to spend at all: used up before anything runs.
        assert!(used_up(Fen(0), Fen(0), Fen(0)));
        assert!(!used_up(Fen(0), Fen(0), Fen(100)));
    }
}
