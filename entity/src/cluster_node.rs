//! `cluster_nodes`: one row per csms node, its lease renewed every few seconds; a node whose
//! lease lapsed is dead, and the chargers it held no longer count as online.

use sea_orm::entity::prelude::*;

/// A csms node.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_nodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node_id: String,
    /// The version of the messages it speaks to other nodes.
    pub protocol: i32,
    pub started_at: DateTimeUtc,
    /// Alive until then, unless renewed.
    pub lease_until: DateTimeUtc,
    /// Stopping: closing its chargers and taking no new ones.
    pub draining: bool,
    /// Chargers connected to it at its last renewal.
    pub chargers: i32,
    /// Whether it reaches the other nodes (Redis configured).
    pub clustered: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
