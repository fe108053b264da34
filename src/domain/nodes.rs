//! What the domain needs to know of the other csms nodes: which are alive (a charger counts as
//! online only while the node holding its connection is), and whether this node is the one that
//! runs a job that must run once per cluster. The cluster keeps both (node leases, job leases);
//! a lone node, until the cluster has looked, has every node alive and runs every job.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

/// The jobs that run once per cluster, each under a lease of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Orders left waiting: payment windows, starts and stops that never came.
    OrderSweep,
    /// Payment reconciliation and closing.
    Payments,
    /// Refunds sent, retried and queried at their providers.
    Refunds,
    /// Raw samples past retention rolled up and deleted.
    Retention,
    /// Chargers of nodes that died: offline, and alarmed unless they came back.
    Offline,
    /// The money audit.
    Audit,
    /// The MQTT piles' messages, consumed by one node.
    MqttLink,
    /// Member levels recomputed every night.
    Membership,
}

impl Job {
    /// Every job, in the order their leases are claimed.
    pub const ALL: [Job; 8] = [
        Job::OrderSweep,
        Job::Payments,
        Job::Refunds,
        Job::Retention,
        Job::Offline,
        Job::Audit,
        Job::MqttLink,
        Job::Membership,
    ];

    /// The lease's name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Job::OrderSweep => "orders.sweep",
            Job::Payments => "payments.reconcile",
            Job::Refunds => "payments.refunds",
            Job::Retention => "monitoring.retention",
            Job::Offline => "monitoring.offline",
            Job::Audit => "audit",
            Job::MqttLink => "mqtt.link",
            Job::Membership => "membership",
        }
    }
}

/// Which jobs this node holds the lease of (the cluster's leases implement it).
pub trait JobLeases: Send + Sync + std::fmt::Debug {
    /// Whether this node runs `job` now.
    fn holds(&self, job: Job) -> bool;
}

/// The other nodes as this one sees them.
#[derive(Debug, Clone, Default)]
pub struct Nodes {
    /// The nodes whose lease lapsed at the last look. A node not seen yet (it started since)
    /// counts as alive: its chargers are online from their first connection, on every node.
    dead: Arc<RwLock<HashSet<String>>>,
    /// None: a lone node, which runs every job.
    leases: Option<Arc<dyn JobLeases>>,
}

impl Nodes {
    /// The same, running the jobs whose lease `leases` holds.
    pub fn with_leases(mut self, leases: Arc<dyn JobLeases>) -> Self {
        self.leases = Some(leases);
        self
    }

    /// The nodes whose lease lapsed (the cluster's latest look at the leases).
    pub fn set_dead(&self, nodes: HashSet<String>) {
        if let Ok(mut dead) = self.dead.write() {
            *dead = nodes;
        }
    }

    /// Whether the node holding a connection is alive: a connection recorded without a node (by
    /// a node of an earlier version) is judged by its last-seen time alone.
    pub fn alive(&self, node: Option<&str>) -> bool {
        let Some(node) = node else { return true };
        self.dead.read().map_or(true, |dead| !dead.contains(node))
    }

    /// Whether this node runs `job` now.
    pub fn runs(&self, job: Job) -> bool {
        self.leases.as_ref().is_none_or(|leases| leases.holds(job))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Holds(Job);
    impl JobLeases for Holds {
        fn holds(&self, job: Job) -> bool {
            job == self.0
        }
    }

    #[test]
    fn a_connection_counts_only_while_its_node_is_alive() {
        let nodes = Nodes::default();
        assert!(nodes.alive(Some("a")), "before the first look every node counts");
        nodes.set_dead(["b".to_owned()].into());
        assert!(nodes.alive(Some("a")));
        assert!(!nodes.alive(Some("b")), "b's lease lapsed");
        assert!(nodes.alive(Some("c")), "c started since the last look");
        assert!(nodes.alive(None), "a connection of an earlier version has no node");
    }

    #[test]
    fn a_lone_node_runs_every_job_and_a_clustered_one_only_those_it_holds() {
        assert!(Job::ALL.iter().all(|job| Nodes::default().runs(*job)));
        let nodes = Nodes::default().with_leases(Arc::new(Holds(Job::Audit)));
        assert!(nodes.runs(Job::Audit));
        assert!(!nodes.runs(Job::Retention));
    }
}
