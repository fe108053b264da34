//! CPU time of processes on Linux (`/proc/<pid>/stat`), to say where a benchmark's cores went:
//! the CSMS, PostgreSQL's processes, the simulator itself. Elsewhere every reading is zero.

use serde::Serialize;
use std::collections::HashMap;

/// Clock ticks per second of `/proc/<pid>/stat` (USER_HZ: 100 on every Linux we run).
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU ticks (user + system) so far per process: the CSMS (when its pid is known), every process
/// named `postgres`, and this one.
#[derive(Debug, Clone, Default)]
pub struct Sample {
    csms: u64,
    postgres: HashMap<u32, u64>,
    simulator: u64,
}

/// Cores used on average between two samples.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoresUsed {
    pub csms: f64,
    pub postgres: f64,
    pub simulator: f64,
}

impl Sample {
    /// Reads the counters now.
    pub fn take(csms_pid: Option<u32>) -> Sample {
        let mut postgres = HashMap::new();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for entry in entries.flatten() {
                let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
                if let Some((name, ticks)) = stat(&pid.to_string())
                    && name == "postgres"
                {
                    postgres.insert(pid, ticks);
                }
            }
        }
        Sample {
            csms: csms_pid.and_then(|pid| stat(&pid.to_string())).map_or(0, |(_, t)| t),
            postgres,
            simulator: stat("self").map_or(0, |(_, t)| t),
        }
    }

    /// Cores used from `earlier` to this sample, `seconds` apart (PostgreSQL: the processes
    /// seen both times, and those begun since).
    pub fn since(&self, earlier: &Sample, seconds: f64) -> CoresUsed {
        let per_second = |ticks: u64| ticks as f64 / TICKS_PER_SECOND / seconds.max(f64::EPSILON);
        let postgres: u64 = self
            .postgres
            .iter()
            .map(|(pid, now)| now.saturating_sub(earlier.postgres.get(pid).copied().unwrap_or(0)))
            .sum();
        CoresUsed {
            csms: per_second(self.csms.saturating_sub(earlier.csms)),
            postgres: per_second(postgres),
            simulator: per_second(self.simulator.saturating_sub(earlier.simulator)),
        }
    }
}

/// A process's name and its user + system ticks.
fn stat(pid: &str) -> Option<(String, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ...`: the name may hold spaces and parentheses; the last `)` ends it.
    let (head, rest) = text.rsplit_once(')')?;
    let name = head.split_once('(')?.1.to_owned();
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((name, utime + stime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_name_and_ticks() {
        let (name, _) = stat("self").unwrap_or_default();
        assert!(!name.is_empty());
    }
}
