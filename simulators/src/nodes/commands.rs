//! Command latency through each node: chargers held by one node answer operator commands
//! (`GetConfiguration`) sent over the REST API of every node in turn — the node holding them
//! (local) and the others (carried over the cluster's bus) — one at a time, so each figure is a
//! command's own round trip, REST included.

use crate::fleet::Latency;
use crate::{Connect, SimCharger, SimError};
use protocol::OcppVersion;
use serde::Serialize;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What to measure.
#[derive(Debug, Clone)]
pub struct CommandsPlan {
    /// The charger listener of the node that holds the chargers.
    pub url: String,
    /// The REST APIs to send through: the holding node's first, then the others.
    pub apis: Vec<SocketAddr>,
    pub token: String,
    pub chargers: usize,
    pub prefix: String,
    /// Commands measured through each API.
    pub count: usize,
}

/// Latency through one API.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Through {
    pub api: SocketAddr,
    pub commands: usize,
    pub failures: usize,
    pub latency_ms: Latency,
    pub first_failure: Option<String>,
}

/// The report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CommandsReport {
    pub chargers: usize,
    pub through: Vec<Through>,
}

/// Registers and connects the chargers, then measures.
pub async fn run(plan: CommandsPlan) -> Result<CommandsReport, SimError> {
    let Some(&home) = plan.apis.first() else {
        return Err(SimError::Protocol("no API to send through".into()));
    };
    let ids: Vec<String> = (0..plan.chargers.max(1)).map(|n| format!("{}{n}", plan.prefix)).collect();
    super::register(home, &plan.token, &plan.prefix, ids.len(), None, 8).await?;
    for id in &ids {
        let mut charger = SimCharger::connect(Connect::new(&plan.url, id.clone(), OcppVersion::V16)).await?;
        charger.boot().await?;
        tokio::spawn(charger.serve());
    }
    // Every node sees them online before the first measured command.
    for &api in &plan.apis {
        for id in &ids {
            online(api, &plan.token, id).await?;
        }
    }
    let mut taken: Vec<Vec<u32>> = vec![Vec::with_capacity(plan.count); plan.apis.len()];
    let mut failures = vec![(0, None); plan.apis.len()];
    let empty = serde_json::json!({});
    for round in 0..plan.count + 20 {
        let id = &ids[round % ids.len()];
        let path = format!("/api/v1/chargers/{id}/commands/GetConfiguration");
        // Turns alternate which API goes first, so neither always meets a warmer node.
        let order: Vec<usize> =
            if round % 2 == 0 { (0..plan.apis.len()).collect() } else { (0..plan.apis.len()).rev().collect() };
        for i in order {
            let sent = Instant::now();
            let answer = request(plan.apis[i], "POST", &path, &plan.token, &empty).await;
            let took = sent.elapsed();
            if round < 20 {
                continue; // warm-up
            }
            match answer {
                Ok((200, _)) => taken[i].push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX)),
                Ok((status, body)) => {
                    failures[i].0 += 1;
                    failures[i].1.get_or_insert_with(|| format!("HTTP {status} {body}"));
                }
                Err(e) => {
                    failures[i].0 += 1;
                    failures[i].1.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }
    let through = plan
        .apis
        .iter()
        .zip(taken.iter_mut().zip(failures))
        .map(|(&api, (taken, (failed, first)))| {
            taken.sort_unstable();
            Through {
                api,
                commands: taken.len(),
                failures: failed,
                latency_ms: Latency::of(taken),
                first_failure: first,
            }
        })
        .collect();
    Ok(CommandsReport { chargers: ids.len(), through })
}

async fn request(
    api: SocketAddr,
    method: &str,
    path: &str,
    token: &str,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value), SimError> {
    crate::http::request(api, method, path, Some(token), Some(body))
        .await
        .map_err(|e| SimError::Protocol(format!("{method} {path} on {api}: {e}")))
}

/// Waits (5 s at most) until `api` says charger `id` is online.
async fn online(api: SocketAddr, token: &str, id: &str) -> Result<(), SimError> {
    let path = format!("/api/v1/chargers/{id}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, charger) = crate::http::request(api, "GET", &path, Some(token), None)
            .await
            .map_err(|e| SimError::Protocol(format!("GET {path} on {api}: {e}")))?;
        if charger["online"] == true {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(SimError::Protocol(format!("{id} is not online on {api}: {charger}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl std::fmt::Display for CommandsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chargers          {} (held by the first API's node)", self.chargers)?;
        for (i, through) in self.through.iter().enumerate() {
            let place = if i == 0 { "local" } else { "cross-node" };
            write!(
                f,
                "\n{place:<11} {}  {} commands, {} failed, ms {}",
                through.api, through.commands, through.failures, through.latency_ms
            )?;
            if let Some(first) = &through.first_failure {
                write!(f, " (first failure: {first})")?;
            }
        }
        Ok(())
    }
}
