//! Each node's lease and the jobs' leases, kept in the database every third of `cluster.lease_s`:
//! the node's own row (renewed, with how many chargers it holds), the nodes alive (for presence
//! and for `/ready`), the job leases this node holds, and — on the node holding the `offline`
//! job — the chargers a dead node left online, released so that each is alarmed unless it came back.

use super::{Cluster, Health, Parts};
use crate::domain::nodes::{Job, JobLeases};
use crate::store::NodeLease;
use chrono::Utc;
use dashmap::DashMap;
use std::collections::HashSet;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Chargers released per round at most.
const ORPHANS_PER_ROUND: u64 = 1000;

/// The job leases this node holds, each until when it may trust it.
#[derive(Debug, Default)]
pub(super) struct Leases {
    held: DashMap<Job, Instant>,
}

impl JobLeases for Leases {
    fn holds(&self, job: Job) -> bool {
        self.held.get(&job).is_some_and(|until| *until > Instant::now())
    }
}

impl Leases {
    /// Gives every lease up here (this node is stopping).
    pub(super) fn drop_all(&self) {
        self.held.clear();
    }
}

/// What the keeper remembers between rounds.
pub(super) struct Keeper {
    cluster: Cluster,
    parts: Parts,
    started_at: chrono::DateTime<Utc>,
    renewed: Instant,
    said: Health,
    /// Rounds in a row this node held more than its share: it sheds from the second on (the
    /// others' counts are a round old; chargers just connected elsewhere are not in them yet).
    over: u32,
}

impl Keeper {
    pub(super) fn new(cluster: Cluster, parts: Parts) -> Self {
        let said = cluster.health();
        Keeper { cluster, parts, started_at: Utc::now(), renewed: Instant::now(), said, over: 0 }
    }

    /// Keeps this node's lease and the job leases until `stop`, then ends the node's lease.
    pub(super) async fn keep(mut self, stop: CancellationToken) {
        let mut tick = tokio::time::interval(self.cluster.inner.settings.lease() / 3);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The first round was made before the jobs started.
        tick.tick().await;
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                _ = tick.tick() => {}
            }
            self.round().await;
        }
        self.cluster.leave().await;
    }

    /// One round: this node's lease renewed, the nodes alive read, the job leases claimed.
    pub(super) async fn round(&mut self) {
        let (cluster, parts) = (&self.cluster, &self.parts);
        let lease = cluster.inner.settings.lease();
        let now = Utc::now();
        let own = NodeLease {
            node_id: cluster.inner.node.clone(),
            protocol: i32::try_from(super::wire::PROTOCOL).unwrap_or(i32::MAX),
            started_at: self.started_at,
            lease_until: now + chrono::Duration::from_std(lease).unwrap_or_default(),
            draining: cluster.draining(),
            chargers: i32::try_from(parts.holder.held()).unwrap_or(i32::MAX),
            clustered: cluster.clustered(),
        };
        let (alive, dead): (Vec<NodeLease>, Vec<NodeLease>) = match cluster.inner.store.renew_node(own).await {
            Ok(known) => known.into_iter().partition(|n| n.lease_until >= now),
            Err(e) => {
                tracing::warn!(error = %e, "renewing this node's lease failed");
                return;
            }
        };
        // Lapsed meanwhile: another node may have marked this one's chargers offline.
        if self.renewed.elapsed() > lease {
            tracing::warn!("this node's lease lapsed; its chargers' presence is written again");
            parts.holder.reassert();
        }
        self.renewed = Instant::now();
        #[expect(clippy::cast_precision_loss, reason = "a handful of nodes")]
        metrics::gauge!(crate::metrics::CLUSTER_NODES).set(alive.len() as f64);
        cluster.inner.nodes.set_dead(dead.into_iter().map(|n| n.node_id).collect());
        let health = judge(cluster, &alive).await;
        if health != self.said {
            match &health {
                Health::Degraded(why) => tracing::error!(nodes = alive.len(), "cluster degraded: {why}"),
                other => tracing::info!(nodes = alive.len(), health = other.as_str(), "cluster"),
            }
            self.said = health.clone();
        }
        if let Ok(mut kept) = cluster.inner.health.lock() {
            *kept = health;
        }
        if !cluster.draining() {
            claim(cluster, lease).await;
        }
        if cluster.inner.leases.holds(Job::Offline) {
            release_orphans(cluster, parts, &alive, lease).await;
        }
        if !cluster.draining() {
            self.over = balance(cluster, parts, &alive, self.over).await;
        }
    }
}

/// How many chargers a node holding `mine` of `total` over `serving` nodes sends away this
/// round: none within `max_share` times its fair share; else a twentieth of what it holds at
/// most (at least one), never below its fair share.
pub(super) fn excess(mine: usize, total: usize, serving: usize, max_share: f64) -> usize {
    if serving < 2 || mine == 0 {
        return 0;
    }
    #[expect(clippy::cast_precision_loss, reason = "charger counts are far below 2^52")]
    let fair = total.max(mine) as f64 / serving as f64;
    #[expect(clippy::cast_precision_loss, reason = "charger counts are far below 2^52")]
    let over = mine as f64 > fair * max_share.max(1.0);
    if !over {
        return 0;
    }
    #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "a positive count of chargers")]
    let above_fair = mine.saturating_sub(fair.ceil() as usize);
    above_fair.min((mine / 20).max(1))
}

/// Rounds in a row a node must be over its share before it sheds: more than a lease (three
/// rounds), so that a node killed a moment ago — still counted until its lease lapses, its
/// chargers all come here — is not taken for a node to spread over.
const ROUNDS_OVER_BEFORE_SHEDDING: u32 = 4;

/// Sends idle chargers away while this node holds far more than its share (after a rolling
/// restart the first node up holds them all), a few each round, once it has been over for more
/// than a lease; answers how many rounds in a row it was over.
async fn balance(cluster: &Cluster, parts: &Parts, alive: &[NodeLease], over: u32) -> u32 {
    let serving = alive.iter().filter(|n| !n.draining).count();
    let mine = parts.holder.held();
    // The others' counts as they renewed; this node's as it is now.
    let others: usize = alive
        .iter()
        .filter(|n| n.node_id != cluster.inner.node)
        .map(|n| usize::try_from(n.chargers).unwrap_or(0))
        .sum();
    let count = excess(mine, others + mine, serving, cluster.inner.settings.max_share);
    if count == 0 {
        return 0;
    }
    if over >= ROUNDS_OVER_BEFORE_SHEDDING {
        let sent = parts.holder.shed(count).await;
        tracing::info!(held = mine, nodes = serving, sent, "balancing: idle chargers sent away to the other nodes");
    }
    over.saturating_add(1)
}

/// How the cluster looks, from the nodes alive.
async fn judge(cluster: &Cluster, alive: &[NodeLease]) -> Health {
    if let Some(bus) = &cluster.inner.bus {
        if !bus.connected() || bus.ping().await.is_err() {
            return Health::Degraded("Redis is unreachable: commands and events do not cross between nodes".into());
        }
        let alone: Vec<&str> = alive.iter().filter(|n| !n.clustered).map(|n| n.node_id.as_str()).collect();
        if !alone.is_empty() {
            return Health::Degraded(format!(
                "nodes without redis.url share this database ({}): they do not reach the others",
                alone.join(", ")
            ));
        }
        return Health::Ok;
    }
    if alive.len() > 1 {
        return Health::Degraded(format!(
            "{} nodes share this database without redis.url: commands reach only chargers on the node they arrive at, and events stay on the node that made them",
            alive.len()
        ));
    }
    Health::Single
}

/// Claims or renews every job's lease.
async fn claim(cluster: &Cluster, lease: Duration) {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
    for job in Job::ALL {
        let asked = Instant::now();
        match cluster.inner.store.claim_lease(job.as_str(), &cluster.inner.node, until, now).await {
            // Trusted for two thirds of the lease from when it was asked: renewed before then.
            Ok(true) => {
                if !cluster.inner.leases.holds(job) {
                    tracing::info!(job = job.as_str(), "this node runs the job");
                }
                cluster.inner.leases.held.insert(job, asked + lease * 2 / 3);
            }
            Ok(false) => {
                cluster.inner.leases.held.remove(&job);
            }
            Err(e) => tracing::warn!(job = job.as_str(), error = %e, "claiming a job's lease failed"),
        }
    }
}

/// Chargers left online by nodes dead for more than a lease: offline, each told to the watcher
/// so that it is alarmed unless it comes back in time.
async fn release_orphans(cluster: &Cluster, parts: &Parts, alive: &[NodeLease], lease: Duration) {
    // A node is given one more lease before its chargers are released: it may only be slow.
    let grace = Utc::now() - chrono::Duration::from_std(lease).unwrap_or_default();
    let mut keep: HashSet<String> = alive.iter().map(|n| n.node_id.clone()).collect();
    match cluster.inner.store.nodes_alive_since(grace).await {
        Ok(recent) => keep.extend(recent),
        Err(e) => {
            tracing::warn!(error = %e, "reading the nodes failed");
            return;
        }
    }
    let keep: Vec<String> = keep.into_iter().collect();
    let orphans = match cluster.inner.store.orphans(&keep, ORPHANS_PER_ROUND).await {
        Ok(orphans) => orphans,
        Err(e) => {
            tracing::warn!(error = %e, "looking for chargers of dead nodes failed");
            return;
        }
    };
    for orphan in orphans {
        match cluster.inner.store.release_orphan(&orphan).await {
            Ok(true) => {
                tracing::info!(charger = %orphan.charger_id, node = %orphan.node, "the node holding the charger died");
                parts.monitor.disconnected(&orphan.charger_id, orphan.last_seen_at.unwrap_or_else(Utc::now));
            }
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(charger = %orphan.charger_id, error = %e, "releasing a dead node's charger failed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::excess;

    #[test]
    fn a_node_sends_away_a_few_chargers_only_while_far_above_its_share() {
        // After a rolling restart: all 1,000 on one node of two.
        assert_eq!(excess(1_000, 1_000, 2, 1.25), 50);
        // Within 1.25 times the fair share (500): nothing.
        assert_eq!(excess(620, 1_000, 2, 1.25), 0);
        assert_eq!(excess(630, 1_000, 2, 1.25), 31);
        // Never below the fair share, and at least one.
        assert_eq!(excess(7, 10, 2, 1.25), 1);
        assert_eq!(excess(3, 3, 1, 1.25), 0, "alone: nothing to spread over");
        assert_eq!(excess(0, 10, 3, 1.25), 0);
    }
}
