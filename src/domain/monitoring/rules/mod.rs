//! The alarm kinds, registered in one list (`AlarmKind::ALL`): each kind's name as stored and
//! shown, its level, its title; and the `Rule` trait of the kinds judged from what a pile reports
//! (one file each here), which the watcher runs on every report without naming any of them.
//! Kinds other areas raise (billing, the audit, refunds) are registered here too, without a rule.

mod fault;
mod offline;
mod over_temperature;
mod raised_elsewhere;
mod voltage;

use super::live::{ConnectorStatus, Readings};
use crate::config::MonitoringSettings;
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// An alarm kind as registered.
#[derive(Debug)]
pub struct Kind {
    /// How it is stored, filtered (`?type=`) and labelled in metrics: `snake_case`, never changed.
    pub name: &'static str,
    pub level: Level,
    /// How dashboards title it.
    pub title: &'static str,
    /// The unit of its alarms' `value` when that is a reading (`°C`, `V`).
    pub unit: Option<&'static str>,
    /// How it is judged from what piles report; none for a kind another area raises.
    pub rule: Option<&'static dyn Rule>,
}

/// How urgent an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    High,
    Medium,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::High, Level::Medium];

    pub const fn as_str(self) -> &'static str {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
        }
    }
}

/// A rule on a pile's readings or state: a pure decision, with no I/O, from what the pile
/// reported and the thresholds it reads from `[monitoring]`. Its kind (`Kind::rule`) names it.
pub trait Rule: fmt::Debug + Sync {
    /// Raise, clear, or keep (what does not concern the rule is `Keep`).
    fn judge(&self, settings: &MonitoringSettings, reported: &Reported<'_>) -> Verdict;
}

/// What a pile reported — or, for `Silent`, failed to — for the rules to judge.
#[derive(Debug, Clone, Copy)]
pub enum Reported<'a> {
    /// The numbers of one MeterValues, from a pile of this `current` (AC or DC).
    Readings { readings: &'a Readings, current: Current },
    /// A connector's new status, and whether another connector of the pile is faulted.
    Status { status: &'a ConnectorStatus, others_faulted: bool },
    /// The charger spoke (any message).
    Heard,
    /// The charger stayed silent past `offline_after_s` and no live node holds it; when it was
    /// last seen (never: none).
    Silent { last_seen: Option<DateTime<Utc>> },
}

/// What a rule decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The condition holds: raise (once) with this message and value.
    Raise { message: String, value: String },
    /// The condition ended: clear.
    Clear,
    /// Neither (within the hysteresis band, or nothing to judge).
    Keep,
}

/// A pile's kind, for its voltage range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Current {
    Ac,
    Dc,
}

/// What an alarm is about: one of the registered kinds (`ALL`), compared by name.
#[derive(Clone, Copy)]
pub struct AlarmKind(&'static Kind);

impl AlarmKind {
    /// Every alarm kind, in the order metrics, the API and dashboards list them — the one list
    /// where a kind is registered: those judged from what piles report (each with its rule),
    /// then those other areas raise.
    pub const ALL: &'static [AlarmKind] = &[
        AlarmKind(&over_temperature::KIND),
        AlarmKind(&voltage::KIND),
        AlarmKind(&offline::KIND),
        AlarmKind(&fault::KIND),
        AlarmKind::MeterAnomaly,
        AlarmKind::LedgerMismatch,
        AlarmKind::RefundAbnormal,
    ];

    pub const fn as_str(self) -> &'static str {
        self.0.name
    }

    pub fn parse(text: &str) -> Option<Self> {
        AlarmKind::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// How urgent it is (`high`, `medium`).
    pub const fn level(self) -> &'static str {
        self.0.level.as_str()
    }

    /// How dashboards title it.
    pub const fn title(self) -> &'static str {
        self.0.title
    }

    /// The unit of its alarms' value, when that is a reading.
    pub const fn unit(self) -> Option<&'static str> {
        self.0.unit
    }

    /// The rule that judges it from what piles report; none for a kind another area raises.
    pub const fn rule(self) -> Option<&'static dyn Rule> {
        self.0.rule
    }
}

// The kinds other areas raise, named as the enum variants they once were, so that their
// callers (`alarms.raise(pile, AlarmKind::MeterAnomaly, …)`) read as before.
#[expect(non_upper_case_globals, reason = "named as the enum variants other areas call them by")]
impl AlarmKind {
    /// A session's meter register could not be billed by itself: its order waits in `REVIEW`.
    pub const MeterAnomaly: AlarmKind = AlarmKind(&raised_elsewhere::METER_ANOMALY);
    /// The money audit found a balance, an order or a payment that does not add up (a platform
    /// alarm: no pile).
    pub const LedgerMismatch: AlarmKind = AlarmKind(&raised_elsewhere::LEDGER_MISMATCH);
    /// A refund is stuck at its provider (WeChat `ABNORMAL`): the operator must finish it there.
    /// Raised for the refund's order's pile, or as a platform alarm for a top-up's refund.
    pub const RefundAbnormal: AlarmKind = AlarmKind(&raised_elsewhere::REFUND_ABNORMAL);
}

// A kind is its name: each use of a registered `Kind` constant may be a copy of its own.
impl PartialEq for AlarmKind {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for AlarmKind {}

impl Hash for AlarmKind {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for AlarmKind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for AlarmKind {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl fmt::Debug for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("AlarmKind").field(&self.as_str()).finish()
    }
}

/// Every registered rule's verdict on what a pile reported, in the list's order; those that
/// keep things as they are are left out.
pub fn judge_all(settings: &MonitoringSettings, reported: &Reported<'_>) -> Vec<(AlarmKind, Verdict)> {
    AlarmKind::ALL
        .iter()
        .filter_map(|kind| Some((*kind, kind.rule()?.judge(settings, reported))))
        .filter(|(_, verdict)| *verdict != Verdict::Keep)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use std::collections::BTreeSet;

    #[test]
    fn kinds_have_their_levels_and_spellings() {
        for kind in AlarmKind::ALL.iter().copied() {
            assert_eq!(AlarmKind::parse(kind.as_str()), Some(kind));
        }
        let (voltage, offline) = (AlarmKind(&voltage::KIND), AlarmKind(&offline::KIND));
        assert_eq!((voltage.level(), offline.level()), ("medium", "high"));
    }

    #[test]
    fn every_kind_is_registered_once_with_a_title_and_the_other_areas_kinds_have_no_rule() {
        let names: BTreeSet<&str> = AlarmKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), AlarmKind::ALL.len(), "a name registered twice");
        assert!(AlarmKind::ALL.iter().all(|k| !k.title().is_empty()));
        for kind in [AlarmKind::MeterAnomaly, AlarmKind::LedgerMismatch, AlarmKind::RefundAbnormal] {
            assert!(AlarmKind::ALL.contains(&kind) && kind.rule().is_none(), "{kind:?}");
        }
        assert_eq!(AlarmKind::ALL.iter().filter(|k| k.rule().is_some()).count(), 4);
    }

    #[test]
    fn every_rule_is_asked_and_only_those_with_something_to_say_answer() {
        let settings = Settings::defaults().unwrap().monitoring;
        let readings = Readings { hottest: Some(85.0), volts: vec![230.0], ..Readings::default() };
        let said = judge_all(&settings, &Reported::Readings { readings: &readings, current: Current::Ac });
        let kinds: Vec<(AlarmKind, bool)> =
            said.iter().map(|(k, v)| (*k, matches!(v, Verdict::Raise { .. }))).collect();
        // The temperature raises, the voltage within its range clears; the rest keep.
        assert_eq!(kinds, [(AlarmKind(&over_temperature::KIND), true), (AlarmKind(&voltage::KIND), false)]);
        let heard = judge_all(&settings, &Reported::Heard);
        assert_eq!(heard, [(AlarmKind(&offline::KIND), Verdict::Clear)]);
    }
}
