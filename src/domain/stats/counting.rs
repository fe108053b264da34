//! Counting after the change: an order's change the statistics count only marks the order due
//! (in the statement that makes it), and a refund is made due; the catch-up reads what is due
//! in batches, and `count` decides what the rollups gain — the difference between each order as
//! it is and as they last counted it (`Counted`: its figures and the zone it was counted in) —
//! which the store writes with the new `Counted` and the flags cleared, in one transaction. The
//! catch-up runs every second and before each read of the rollups, so a report always counts
//! every change made before it was asked.

use super::rollup::{Deltas, OrderFacts};
use crate::domain::ids::ChargerId;
use crate::domain::ids::OrderNo;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Orders and refunds counted in one transaction at most, each.
pub const BATCH: usize = 500;

/// An order as the rollups counted it last: its figures and the zone of its pile's station then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub facts: OrderFacts,
    pub zone: Tz,
}

/// An order whose counted figures changed since the rollups last counted it.
#[derive(Debug, Clone)]
pub struct DueOrder {
    pub order_no: OrderNo,
    /// As it is now.
    pub facts: OrderFacts,
    /// As counted last; none for an order never counted (made since, or its pile's rollups made
    /// anew).
    pub counted: Option<Counted>,
    /// The zone of its pile's station now; none for a pile in no station (it counts nowhere
    /// until it is put in one, when its orders are counted anew).
    pub zone: Option<Tz>,
    /// When its user signed up.
    pub signed_up: Option<DateTime<Utc>>,
}

/// A refund made since the rollups last counted.
#[derive(Debug, Clone)]
pub struct DueRefund {
    pub refund_no: String,
    /// The pile of its payment's order and its station's zone; none for a top-up's refund, or
    /// an order's on a pile in no station (counted nowhere).
    pub pile: Option<(ChargerId, Tz)>,
    pub at: DateTime<Utc>,
    pub amount_fen: i64,
    /// All but failed ones count: a refund its provider failed went to the balance instead.
    pub counts: bool,
}

/// What is due, read in one transaction.
#[derive(Debug, Clone, Default)]
pub struct DueBatch {
    pub orders: Vec<DueOrder>,
    pub refunds: Vec<DueRefund>,
}

impl DueBatch {
    /// How many orders and refunds it holds.
    pub fn len(&self) -> usize {
        self.orders.len() + self.refunds.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What counting a batch writes: the rollups' changes, and each order's new `Counted` (orders
/// of piles in no station keep theirs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counting {
    pub deltas: Deltas,
    pub counted: Vec<(OrderNo, Counted)>,
}

/// How a batch is counted (`count`), as the store is handed it.
pub type Count = fn(&DueBatch) -> Counting;

/// Decides what the rollups gain from `batch`: each order's figures as counted taken away (in
/// the zone they were counted in) and as they are now added (an order never counted brings its
/// user's sign-up for the users' day); each refund that counts added on its day.
pub fn count(batch: &DueBatch) -> Counting {
    let mut counting = Counting::default();
    for due in &batch.orders {
        let Some(zone) = due.zone else { continue };
        match &due.counted {
            Some(old) if old.zone == zone && old.facts.counted() == due.facts.counted() => {}
            Some(old) => {
                counting.deltas.order(&old.facts, old.zone, -1, None);
                counting.deltas.order(&due.facts, zone, 1, None);
            }
            None => counting.deltas.order(&due.facts, zone, 1, due.signed_up),
        }
        counting.counted.push((due.order_no.clone(), Counted { facts: due.facts.clone(), zone }));
    }
    for due in batch.refunds.iter().filter(|r| r.counts) {
        if let Some((pile, zone)) = &due.pile {
            counting.deltas.refund(pile, *zone, due.at, due.amount_fen);
        }
    }
    counting.deltas.prune();
    counting
}

#[cfg(test)]
#[path = "counting_tests.rs"]
mod tests;
