//! The crash check's report: the fleet, the kills, the replay, the recovery, what the check and
//! the audit found — as JSON, or as a readable summary.

use super::csms::{AuditOutcome, LogFindings};
use serde::Serialize;
use std::collections::BTreeMap;

/// One SIGKILL of csms.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Kill {
    /// `sessions` (chargers charging and metering) or `replay` (chargers replaying their queues).
    pub during: String,
    /// Seconds since csms first started.
    pub at_seconds: f64,
    /// Chargers stopping their sessions online as it landed, and their stops answered by then.
    pub stopping: usize,
    pub stops_answered: usize,
    /// Frames replayed by then, of those queued.
    pub replayed: usize,
    pub queued: usize,
    /// Seconds csms stayed down.
    pub down_seconds: f64,
}

/// What a crash check found.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CrashReport {
    /// Chargers asked for, and ready (pile, charger online, driver signed up with money).
    pub chargers: usize,
    pub ready: usize,
    pub setup_seconds: f64,
    pub setup_errors: BTreeMap<String, usize>,
    /// Sessions charging, with meter values sent, when csms was first killed: the orders
    /// expected to complete.
    pub orders_expected: usize,
    pub prepaid: usize,
    pub postpaid: usize,
    /// Of them, on OCPP 1.6 and on 2.0.1 chargers.
    pub ocpp16: usize,
    pub ocpp201: usize,
    /// Sessions that went wrong on the simulator's side, by error.
    pub session_errors: BTreeMap<String, usize>,
    pub kills: Vec<Kill>,
    /// Frames the chargers held when they stopped (MeterValues and the StopTransaction), of
    /// which sent and never answered before a kill (outcome unknown, sent again); frames
    /// replayed and answered; replays cut off by a kill.
    pub queued_messages: usize,
    pub resent_messages: usize,
    pub replayed_messages: usize,
    pub replays_interrupted: usize,
    /// Seconds from the last restart until every charger delivered its queue and every order
    /// was COMPLETED (or in another final state); whether that happened in time.
    pub recover_seconds: f64,
    pub recovered: bool,
    pub orders_completed: usize,
    pub orders_review: usize,
    pub orders_wrong: usize,
    pub billed_twice: usize,
    pub balances_off: usize,
    /// Energy billed (kWh) and money billed (yuan), in all.
    pub energy_kwh: String,
    pub billed_yuan: String,
    pub audit: AuditOutcome,
    /// What csms logged at WARN and ERROR (not judged: a crash makes some warnings expected).
    pub csms_log: LogFindings,
    /// What went wrong, one line each (at most 100).
    pub problems: Vec<String>,
    /// Nothing went wrong.
    pub ok: bool,
}

impl CrashReport {
    /// Whether every charger got mid-session and everything after adds up.
    pub(super) fn judge(&mut self) {
        self.ok = self.setup_errors.is_empty()
            && self.session_errors.is_empty()
            && self.ready == self.chargers
            && self.orders_expected == self.ready
            && self.recovered
            && self.orders_completed == self.orders_expected
            && self.orders_wrong == 0
            && self.billed_twice == 0
            && self.balances_off == 0
            && self.audit.exit_code == Some(0)
            && self.audit.mismatches == 0;
    }
}

impl std::fmt::Display for CrashReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "chargers          {} ({} ready in {:.1} s)", self.chargers, self.ready, self.setup_seconds)?;
        for (kind, count) in self.setup_errors.iter().chain(&self.session_errors) {
            writeln!(f, "  error           {count} × {kind}")?;
        }
        writeln!(
            f,
            "orders expected   {} mid-session at the first kill ({} prepaid, {} postpaid; {} on OCPP 1.6, {} on 2.0.1)",
            self.orders_expected, self.prepaid, self.postpaid, self.ocpp16, self.ocpp201
        )?;
        for kill in &self.kills {
            let stops = match kill.stopping {
                0 => String::new(),
                n => format!(", {} of {n} stops answered", kill.stops_answered),
            };
            writeln!(
                f,
                "kill -9           during {} at {:.1} s{stops}, {} of {} queued frames replayed, down {:.1} s",
                kill.during, kill.at_seconds, kill.replayed, kill.queued, kill.down_seconds
            )?;
        }
        writeln!(
            f,
            "messages          {} queued offline ({} sent before a kill and unanswered), {} replayed, {} replays cut off",
            self.queued_messages, self.resent_messages, self.replayed_messages, self.replays_interrupted
        )?;
        let recovered = if self.recovered { "" } else { " (NOT recovered in time)" };
        writeln!(f, "time to recover   {:.1} s from the last restart{recovered}", self.recover_seconds)?;
        writeln!(
            f,
            "orders            {} completed, {} in review; {} kWh billed {} yuan",
            self.orders_completed, self.orders_review, self.energy_kwh, self.billed_yuan
        )?;
        writeln!(f, "orders wrong      {}", self.orders_wrong)?;
        writeln!(f, "billed twice      {}", self.billed_twice)?;
        writeln!(f, "balances off      {}", self.balances_off)?;
        let a = &self.audit;
        writeln!(
            f,
            "csms audit        exit {}, {} mismatches, {} owed; checked {}",
            a.exit_code.map_or("-".into(), |c| c.to_string()),
            a.mismatches,
            a.owed,
            a.checked
        )?;
        let log = &self.csms_log;
        writeln!(f, "csms log          {} errors, {} warnings", log.errors, log.warnings)?;
        for (message, count) in &log.messages {
            writeln!(f, "  {count:>6} ×      {message}")?;
        }
        for problem in &self.problems {
            writeln!(f, "  problem         {problem}")?;
        }
        write!(f, "{}", if self.ok { "OK" } else { "FAILED" })
    }
}
