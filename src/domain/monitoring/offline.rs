//! When chargers that went quiet become offline: one deadline per charger that disconnected (its
//! last frame plus `offline_after`), kept in time order, so a check costs the chargers that went
//! silent — never a scan of every pile.

use crate::domain::ids::ChargerId;
use std::collections::{BTreeSet, HashMap};
use tokio::time::Instant;

/// Deadlines of chargers gone quiet.
#[derive(Debug, Default)]
pub(super) struct Deadlines {
    by_time: BTreeSet<(Instant, ChargerId)>,
    by_charger: HashMap<ChargerId, Instant>,
}

impl Deadlines {
    /// `charger` is offline at `at` unless heard from before.
    pub(super) fn set(&mut self, charger: &ChargerId, at: Instant) {
        self.cancel(charger);
        self.by_time.insert((at, charger.clone()));
        self.by_charger.insert(charger.clone(), at);
    }

    /// `charger` was heard from: no deadline.
    pub(super) fn cancel(&mut self, charger: &ChargerId) {
        if let Some(at) = self.by_charger.remove(charger) {
            self.by_time.remove(&(at, charger.clone()));
        }
    }

    /// The next deadline.
    pub(super) fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|(at, _)| *at)
    }

    /// The chargers whose deadline has passed at `now`, taken out.
    pub(super) fn due(&mut self, now: Instant) -> Vec<ChargerId> {
        let mut due = Vec::new();
        while let Some((at, _)) = self.by_time.first()
            && *at <= now
        {
            if let Some((_, charger)) = self.by_time.pop_first() {
                self.by_charger.remove(&charger);
                due.push(charger);
            }
        }
        due
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_charger.len()
    }

    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.by_charger.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn id(text: &str) -> ChargerId {
        ChargerId::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_charger_silent_past_its_deadline_is_due_once_and_one_heard_again_never() {
        let mut deadlines = Deadlines::default();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        deadlines.set(&id("A"), at(300));
        deadlines.set(&id("B"), at(200));
        deadlines.set(&id("C"), at(250));
        deadlines.cancel(&id("C"));
        assert_eq!(deadlines.next(), Some(at(200)));
        assert!(deadlines.due(at(199)).is_empty());
        assert_eq!(deadlines.due(at(299)), ["B"]);
        assert_eq!(deadlines.due(at(300)), ["A"]);
        assert!(deadlines.due(at(10_000)).is_empty() && deadlines.is_empty());
    }

    #[test]
    fn a_new_deadline_replaces_the_old_one() {
        let mut deadlines = Deadlines::default();
        let start = Instant::now();
        deadlines.set(&id("A"), start + Duration::from_secs(10));
        deadlines.set(&id("A"), start + Duration::from_secs(100));
        assert_eq!(deadlines.len(), 1);
        assert!(deadlines.due(start + Duration::from_secs(50)).is_empty());
        assert_eq!(deadlines.due(start + Duration::from_secs(100)), ["A"]);
    }
}
