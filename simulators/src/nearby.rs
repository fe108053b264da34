//! Load on `GET /api/v1/stations/nearby`: `concurrency` clients, each on one kept-alive
//! connection, ask for the stations around random points of a square about a centre, back to
//! back; the report gives requests/s, latency percentiles, and how much each answer held.

use crate::cpu::{CoresUsed, Sample};
use crate::fleet::Latency;
use crate::http::Client;
use serde::Serialize;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::time::Instant;

/// What to ask.
#[derive(Debug, Clone)]
pub struct NearbyPlan {
    /// The REST API (host:port).
    pub api: SocketAddr,
    /// Requests measured in all (after the warm-up).
    pub requests: usize,
    /// Clients asking at once.
    pub concurrency: usize,
    /// Requests per client before measuring (not counted).
    pub warmup: usize,
    /// The centre (longitude, latitude) and the half side of the square of points, degrees.
    pub centre: (f64, f64),
    pub spread_deg: f64,
    pub radius_km: f64,
    /// The CSMS's process, to report its CPU (and PostgreSQL's, and ours).
    pub csms_pid: Option<u32>,
}

/// What was measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NearbyReport {
    pub requests: usize,
    pub concurrency: usize,
    pub errors: usize,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub requests_per_second: f64,
    pub latency_ms: Latency,
    /// Mean stations, free connectors listed, and bytes per answer.
    pub mean_stations: f64,
    pub mean_free_connectors: f64,
    pub mean_bytes: f64,
    /// Cores used over the run (warm-up included) by the CSMS, PostgreSQL and the simulator.
    pub cores: CoresUsed,
}

impl std::fmt::Display for NearbyReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "requests          {} by {} clients in {:.1} s, {} errors",
            self.requests, self.concurrency, self.seconds, self.errors
        )?;
        writeln!(f, "requests/s        {:.0}", self.requests_per_second)?;
        writeln!(f, "latency ms        {}", self.latency_ms)?;
        write!(
            f,
            "per answer        {:.0} stations, {:.0} free connectors, {:.0} bytes",
            self.mean_stations, self.mean_free_connectors, self.mean_bytes
        )?;
        let c = &self.cores;
        write!(f, "\ncores             csms {:.2}, postgres {:.2}, simulator {:.2}", c.csms, c.postgres, c.simulator)?;
        if let Some(error) = &self.first_error {
            write!(f, "\nfirst error       {error}")?;
        }
        Ok(())
    }
}

/// One client's results.
#[derive(Debug, Default)]
struct Part {
    latencies: Vec<u32>,
    errors: usize,
    first_error: Option<String>,
    stations: usize,
    free: usize,
    bytes: usize,
    /// When its first measured request was sent and its last answered.
    window: Option<(Instant, Instant)>,
}

/// Runs the load and reports.
pub async fn run(plan: NearbyPlan) -> NearbyReport {
    let clients = plan.concurrency.max(1);
    let (began, first) = (Instant::now(), Sample::take(plan.csms_pid));
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let plan = plan.clone();
            // Each client its share: the first ones one more when it does not divide.
            let share = plan.requests / clients + usize::from(n < plan.requests % clients);
            tokio::spawn(async move { client(&plan, n as u64, share).await })
        })
        .collect();
    let mut parts = Vec::with_capacity(clients);
    for task in tasks {
        match task.await {
            Ok(part) => parts.push(part),
            Err(e) => parts.push(Part { errors: 1, first_error: Some(e.to_string()), ..Part::default() }),
        }
    }
    let cores = Sample::take(plan.csms_pid).since(&first, began.elapsed().as_secs_f64());
    let from = parts.iter().filter_map(|p| p.window.map(|w| w.0)).min();
    let until = parts.iter().filter_map(|p| p.window.map(|w| w.1)).max();
    let seconds = match (from, until) {
        (Some(from), Some(until)) => (until - from).as_secs_f64(),
        _ => 0.0,
    };
    let mut all: Vec<u32> = parts.iter().flat_map(|p| p.latencies.iter().copied()).collect();
    all.sort_unstable();
    let answered = all.len().max(1) as f64;
    NearbyReport {
        requests: all.len(),
        concurrency: clients,
        errors: parts.iter().map(|p| p.errors).sum(),
        first_error: parts.iter().find_map(|p| p.first_error.clone()),
        seconds,
        requests_per_second: all.len() as f64 / seconds.max(f64::EPSILON),
        latency_ms: Latency::of(&all),
        mean_stations: parts.iter().map(|p| p.stations).sum::<usize>() as f64 / answered,
        mean_free_connectors: parts.iter().map(|p| p.free).sum::<usize>() as f64 / answered,
        mean_bytes: parts.iter().map(|p| p.bytes).sum::<usize>() as f64 / answered,
        cores,
    }
}

async fn client(plan: &NearbyPlan, n: u64, share: usize) -> Part {
    let mut api = Client::new(plan.api);
    let mut random = SplitMix(0x9E37_79B9_7F4A_7C15 ^ (n + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
    let mut part = Part::default();
    for i in 0..plan.warmup + share {
        let lng = plan.centre.0 + (random.unit() * 2.0 - 1.0) * plan.spread_deg;
        let lat = plan.centre.1 + (random.unit() * 2.0 - 1.0) * plan.spread_deg;
        let path = format!("/api/v1/stations/nearby?lng={lng:.6}&lat={lat:.6}&radius_km={}", plan.radius_km);
        let sent = Instant::now();
        let answer = api.send("GET", &path, None, None).await;
        let took = sent.elapsed();
        if i < plan.warmup {
            continue;
        }
        let first = part.window.map_or(sent, |w| w.0);
        part.window = Some((first, Instant::now()));
        match answer {
            Ok(answer) if answer.status == 200 => {
                part.latencies.push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
                let items = answer.body["items"].as_array().map(Vec::as_slice).unwrap_or_default();
                part.stations += items.len();
                part.free += items.iter().filter_map(|s| s["freeConnectors"].as_u64()).sum::<u64>() as usize;
                part.bytes += answer.bytes;
            }
            Ok(answer) => {
                part.errors += 1;
                part.first_error.get_or_insert_with(|| format!("HTTP {} {}", answer.status, answer.body));
            }
            Err(e) => {
                part.errors += 1;
                part.first_error.get_or_insert_with(|| e.to_string());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    part
}

/// SplitMix64: random enough for points on a map, with no dependency.
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}
