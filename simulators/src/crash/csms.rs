//! The csms process the crash check runs, kills and restarts: `csms serve` with the run's
//! settings in its environment, ready once `/ready` answers, killed with SIGKILL (no shutdown,
//! no flush: what it had not committed is lost, as in a power cut), and `csms audit --json` on
//! its database afterwards.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio::time::Instant;

/// How long csms may take to answer `/ready` after it was started.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// How to run csms.
#[derive(Debug, Clone)]
pub struct CsmsCommand {
    /// The `csms` binary.
    pub program: PathBuf,
    /// More environment for it, besides what the run sets (database, listeners, tokens, the SMS
    /// gateway) and what it inherits (`REDIS_URL`, `RUST_LOG`, …), e.g. `CSMS__REDIS__KEY_PREFIX`.
    pub env: Vec<(String, String)>,
    /// A file every run of it appends its output to (none: discarded).
    pub log: Option<PathBuf>,
}

/// Why csms could not be run.
#[derive(Debug, thiserror::Error)]
pub enum CsmsError {
    #[error("starting {program}: {source}")]
    Spawn { program: String, source: std::io::Error },
    #[error("csms exited while starting ({0}); see its log")]
    Exited(std::process::ExitStatus),
    #[error("csms did not answer /ready within {0:?}")]
    NotReady(Duration),
    #[error("killing csms: {0}")]
    Kill(std::io::Error),
    #[error("csms audit: {0}")]
    Audit(String),
}

/// What `csms audit --json` said.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditOutcome {
    /// Its exit code: 0 when everything adds up, 1 on any mismatch.
    pub exit_code: Option<i32>,
    pub mismatches: usize,
    /// Unpaid bills (owed, not mismatches).
    pub owed: usize,
    /// What it checked: users, completed orders, payments.
    pub checked: serde_json::Value,
    /// The first mismatches, as it reported them.
    pub first_mismatches: Vec<serde_json::Value>,
}

/// What csms logged at WARN and ERROR during the run (its log read back, colours off), besides
/// the sandbox payments' notice at each start.
#[derive(Debug, Clone, Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogFindings {
    pub warnings: usize,
    pub errors: usize,
    /// The distinct messages (ids and times left out), with how often each came, at most 20.
    pub messages: Vec<(String, usize)>,
}

/// csms, running or not.
pub(super) struct Csms {
    command: CsmsCommand,
    /// Where its log stood when the run began.
    log_from: u64,
    /// The settings of the run (name, value).
    env: Vec<(String, String)>,
    api: SocketAddr,
    child: Option<Child>,
    /// How many times it was started.
    pub(super) starts: u32,
}

impl Csms {
    pub(super) fn new(command: CsmsCommand, mut env: Vec<(String, String)>, api: SocketAddr) -> Self {
        let log_from = command.log.as_ref().and_then(|path| std::fs::metadata(path).ok()).map_or(0, |m| m.len());
        env.push(("NO_COLOR".to_owned(), "1".to_owned()));
        Csms { command, log_from, env, api, child: None, starts: 0 }
    }

    /// What csms logged at WARN and ERROR since the run began (nothing without a log).
    pub(super) fn log_findings(&self) -> LogFindings {
        let Some(text) = self.command.log.as_ref().and_then(|path| std::fs::read(path).ok()) else {
            return LogFindings::default();
        };
        let from = usize::try_from(self.log_from).unwrap_or(0).min(text.len());
        let mut found = LogFindings::default();
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for line in String::from_utf8_lossy(&text[from..]).lines() {
            let level = if line.contains(" ERROR ") {
                &mut found.errors
            } else if line.contains(" WARN ") && !line.contains("payments: sandbox mode") {
                &mut found.warnings
            } else {
                continue;
            };
            *level += 1;
            *counts.entry(message_of(line)).or_insert(0) += 1;
        }
        found.messages = counts.into_iter().take(20).collect();
        found
    }

    fn command(&self, args: &[&str]) -> Result<Command, CsmsError> {
        let mut command = Command::new(&self.command.program);
        command.args(args).envs(self.env.iter().cloned()).envs(self.command.env.iter().cloned());
        command.stdin(Stdio::null()).kill_on_drop(true);
        let spawn_error = |source| CsmsError::Spawn { program: self.command.program.display().to_string(), source };
        match &self.command.log {
            Some(path) => {
                let log = std::fs::OpenOptions::new().create(true).append(true).open(path).map_err(spawn_error)?;
                let err = log.try_clone().map_err(spawn_error)?;
                command.stdout(log).stderr(err);
            }
            None => {
                command.stdout(Stdio::null()).stderr(Stdio::null());
            }
        }
        Ok(command)
    }

    /// Starts `csms serve` and waits until it answers `/ready`.
    pub(super) async fn start(&mut self) -> Result<(), CsmsError> {
        let mut command = self.command(&["serve"])?;
        let program = self.command.program.display().to_string();
        let mut child = command.spawn().map_err(|source| CsmsError::Spawn { program, source })?;
        self.starts += 1;
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok((200, _)) = crate::http::request(self.api, "GET", "/ready", None, None).await {
                self.child = Some(child);
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(CsmsError::Exited(status));
            }
            if Instant::now() > deadline {
                return Err(CsmsError::NotReady(READY_WITHIN));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills csms with SIGKILL (tokio's `start_kill` on Unix) and reaps it.
    pub(super) async fn kill(&mut self) -> Result<(), CsmsError> {
        if let Some(mut child) = self.child.take() {
            child.start_kill().map_err(CsmsError::Kill)?;
            child.wait().await.map_err(CsmsError::Kill)?;
        }
        Ok(())
    }

    /// Runs `csms audit --json` on the run's database.
    pub(super) async fn audit(&self) -> Result<AuditOutcome, CsmsError> {
        let mut command = self.command(&["audit", "--json"])?;
        command.stdout(Stdio::piped()).env("RUST_LOG", "off");
        let program = self.command.program.display().to_string();
        let ran = command.output().await.map_err(|source| CsmsError::Spawn { program, source })?;
        let report: serde_json::Value = serde_json::from_slice(&ran.stdout)
            .map_err(|e| CsmsError::Audit(format!("exit {:?}, no JSON report: {e}", ran.status.code())))?;
        let list = |key: &str| report[key].as_array().cloned().unwrap_or_default();
        let mismatches = list("mismatches");
        Ok(AuditOutcome {
            exit_code: ran.status.code(),
            mismatches: mismatches.len(),
            owed: list("owed").len(),
            checked: report["checked"].clone(),
            first_mismatches: mismatches.into_iter().take(10).collect(),
        })
    }
}

/// A log line without its time and with ids and numbers blanked, so that lines of one kind count
/// together: `WARN csms::domain::orders::sweep: sweeping an order failed order=# error=…`.
fn message_of(line: &str) -> String {
    let text = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
    let mut out = String::with_capacity(text.len());
    let mut in_number = false;
    for c in text.chars().take(200) {
        if c.is_ascii_digit() || (in_number && c.is_ascii_hexdigit()) {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::message_of;

    #[test]
    fn a_log_line_counts_with_others_of_its_kind_whatever_its_time_and_numbers() {
        let line = "2026-12-06T15:21:17.4Z  WARN csms::domain::orders::sweep: sweeping an order failed order=C20261206AB error=refunding 19297 fen";
        assert_eq!(
            message_of(line),
            "WARN csms::domain::orders::sweep: sweeping an order failed order=C# error=refunding # fen"
        );
    }
}
