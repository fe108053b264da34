//! Charging, version-neutral: who may charge (id tags), transactions, and sampled values with
//! their units normalised; what is stored moves the connectors' live state.

use crate::live::LiveState;
use crate::store::{
    Applied, EventRecord, Sample, StartRecord, Started, StopRecord, Stopped, Store, StoreError, Write, Writes,
};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;

/// The verdict on an id tag (the `AuthorizationStatus` of both versions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStatus {
    Accepted,
    Blocked,
    Expired,
    Invalid,
    /// Accepted, but already charging elsewhere.
    ConcurrentTx,
}

/// An id tag's verdict with what the charger may cache of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub status: AuthStatus,
    pub expiry_date: Option<DateTime<Utc>>,
    pub parent_id_tag: Option<String>,
}

impl Authorization {
    fn invalid() -> Self {
        Authorization { status: AuthStatus::Invalid, expiry_date: None, parent_id_tag: None }
    }
}

/// The charging service.
#[derive(Debug, Clone)]
pub struct Charging {
    store: Store,
    writes: Writes,
    live: LiveState,
}

impl Charging {
    pub fn new(store: Store, writes: Writes) -> Self {
        Charging { store, writes, live: LiveState::default() }
    }

    /// The connectors' live state (newest readings, transaction in progress).
    pub fn live(&self) -> &LiveState {
        &self.live
    }

    /// The verdict on `tag`: unknown → Invalid; its own status; Expired past its expiry; a
    /// blocked or expired parent (group) tag makes it so too.
    pub async fn authorize(&self, tag: &str) -> Result<Authorization, StoreError> {
        let Some(found) = self.store.id_tag(tag).await? else {
            return Ok(Authorization::invalid());
        };
        let now = Utc::now();
        let mut status = verdict(&found.status, found.expiry_date, now);
        if status == AuthStatus::Accepted
            && let Some(parent) = &found.parent_id_tag
            && let Some(parent) = self.store.id_tag(parent).await?
        {
            status = verdict(&parent.status, parent.expiry_date, now);
        }
        Ok(Authorization { status, expiry_date: found.expiry_date, parent_id_tag: found.parent_id_tag })
    }

    /// Authorises a start on a connector (`place`: EVSE, connector): an accepted tag already in an
    /// open transaction elsewhere is ConcurrentTx. `itself` is a 2.0.1 start's own transaction id.
    pub async fn authorize_start(
        &self,
        tag: &str,
        charger_id: &str,
        place: (i32, i32),
        itself: Option<&str>,
    ) -> Result<Authorization, StoreError> {
        let mut auth = self.authorize(tag).await?;
        if auth.status == AuthStatus::Accepted
            && self.store.open_transaction_elsewhere(tag, charger_id, place, itself).await?.is_some()
        {
            auth.status = AuthStatus::ConcurrentTx;
        }
        Ok(auth)
    }

    /// Records a 1.6 start (whatever the verdict: the charger has started, and decides itself
    /// whether to stop on a refused tag).
    pub async fn start(&self, start: StartRecord) -> Result<Started, StoreError> {
        let (charger_id, connector_id) = (start.charger_id.clone(), start.connector_id);
        let started = self.store.start_transaction(start).await?;
        if started.open {
            self.live.started(&charger_id, (0, connector_id), started.id);
        }
        Ok(started)
    }

    /// Records a 1.6 stop; a stop of an unknown transaction is recorded for the operator as an
    /// event with everything it said (its samples are stored unattached).
    pub async fn stop(&self, stop: StopRecord, samples: Vec<Sample>) -> Result<Stopped, StoreError> {
        let (charger_id, id) = (stop.charger_id.clone(), stop.id);
        // The samples go to the store; their newest readings stay live.
        let latest = samples.clone();
        let outcome = self.store.stop_transaction(stop, samples).await?;
        if let Stopped::Closed { at, .. } = outcome {
            self.live.sampled(&charger_id, at, latest);
            self.live.ended(&charger_id, id);
        }
        Ok(outcome)
    }

    /// Records a 2.0.1 transaction event and its samples.
    pub async fn event(&self, event: EventRecord, samples: Vec<Sample>) -> Result<Applied, StoreError> {
        let charger_id = event.charger_id.clone();
        let latest = samples.clone();
        let applied = self.store.transaction_event(event, samples).await?;
        self.live.sampled(&charger_id, applied.at, latest);
        // A replayed Started or Updated of a transaction that has ended since leaves it ended.
        if applied.open {
            self.live.started(&charger_id, applied.at, applied.id);
        } else {
            self.live.ended(&charger_id, applied.id);
        }
        Ok(applied)
    }

    /// Records sampled values.
    pub async fn samples(
        &self,
        charger_id: &str,
        transaction_id: Option<i64>,
        evse_id: i32,
        connector_id: i32,
        samples: Vec<Sample>,
    ) -> Result<(), StoreError> {
        let latest = samples.clone();
        let owner = charger_id.to_owned();
        let write = Write::Samples { charger_id: owner, transaction_id, evse_id, connector_id, samples };
        self.writes.write(write).await?;
        self.live.sampled(charger_id, (evse_id, connector_id), latest);
        Ok(())
    }
}

fn verdict(status: &str, expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> AuthStatus {
    match status {
        "Accepted" if expiry.is_some_and(|e| e <= now) => AuthStatus::Expired,
        "Accepted" => AuthStatus::Accepted,
        "Blocked" => AuthStatus::Blocked,
        "Expired" => AuthStatus::Expired,
        _ => AuthStatus::Invalid,
    }
}

/// A sampled value in normalised units: kilo-units become base units (kWh → Wh, kW → W,
/// kvarh → varh, kvar → var, kVA → VA), 2.0.1's power-of-ten `multiplier` is applied, and the
/// value is exact decimal text. A value that is not a number (1.6 `SignedData`) is kept as sent.
pub fn normalise(value: &str, unit: &str, multiplier: i32) -> (String, String) {
    let (base, kilo) = match unit {
        "kWh" => ("Wh", true),
        "kW" => ("W", true),
        "kvarh" => ("varh", true),
        "kvar" => ("var", true),
        "kVA" => ("VA", true),
        other => (other, false),
    };
    let Ok(mut number) = Decimal::from_str(value.trim()) else {
        return (value.to_owned(), unit.to_owned());
    };
    let exponent = multiplier + if kilo { 3 } else { 0 };
    let scale = Decimal::from(10u64.pow(exponent.unsigned_abs().min(18)));
    number = if exponent >= 0 { number.checked_mul(scale) } else { number.checked_div(scale) }.unwrap_or(number);
    (number.normalize().to_string(), base.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kilo_units_become_base_units_exactly() {
        assert_eq!(normalise("12.345", "kWh", 0), ("12345".into(), "Wh".into()));
        assert_eq!(normalise("7.4", "kW", 0), ("7400".into(), "W".into()));
        assert_eq!(normalise("0.0001", "kWh", 0), ("0.1".into(), "Wh".into()));
        assert_eq!(normalise("231.20", "V", 0), ("231.2".into(), "V".into()));
    }

    #[test]
    fn the_201_multiplier_is_applied() {
        assert_eq!(normalise("12.5", "Wh", 3), ("12500".into(), "Wh".into()));
        assert_eq!(normalise("12.5", "kWh", -3), ("12.5".into(), "Wh".into()));
        assert_eq!(normalise("1234", "A", -2), ("12.34".into(), "A".into()));
    }

    #[test]
    fn a_value_that_is_not_a_number_is_kept_as_sent() {
        assert_eq!(normalise("3a7f0c...", "kWh", 0), ("3a7f0c...".into(), "kWh".into()));
    }

    #[test]
    fn expiry_and_status_decide_the_verdict() {
        let now = Utc::now();
        assert_eq!(verdict("Accepted", None, now), AuthStatus::Accepted);
        assert_eq!(verdict("Accepted", Some(now - chrono::Duration::days(1)), now), AuthStatus::Expired);
        assert_eq!(verdict("Accepted", Some(now + chrono::Duration::days(1)), now), AuthStatus::Accepted);
        assert_eq!(verdict("Blocked", None, now), AuthStatus::Blocked);
        assert_eq!(verdict("Whatever", None, now), AuthStatus::Invalid);
    }
}
