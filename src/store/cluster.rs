//! The cluster's rows: each node's lease (`cluster_nodes`), the jobs' leases (`cluster_leases`),
//! and chargers left online by a node whose lease lapsed.

use super::{Store, StoreError};
use crate::domain::ids::ChargerId;
use chrono::{DateTime, Utc};
use entity::{charger, cluster_lease, cluster_node, order, transaction};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

/// A node as it renews its lease.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeLease {
    pub node_id: String,
    pub protocol: i32,
    pub started_at: DateTime<Utc>,
    pub lease_until: DateTime<Utc>,
    pub draining: bool,
    pub chargers: i32,
    pub clustered: bool,
}

/// A charger whose connection is held by a node that is not alive.
#[derive(Debug, Clone, PartialEq)]
pub struct Orphan {
    pub charger_id: ChargerId,
    pub session: String,
    pub node: String,
    pub last_seen_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Renews `lease` (made on the first renewal) and answers every node known, this one
    /// included (those whose lease ran out before `now` are dead).
    pub async fn renew_node(&self, lease: NodeLease) -> Result<Vec<NodeLease>, StoreError> {
        let row = cluster_node::ActiveModel {
            node_id: Set(lease.node_id),
            protocol: Set(lease.protocol),
            started_at: Set(lease.started_at),
            lease_until: Set(lease.lease_until),
            draining: Set(lease.draining),
            chargers: Set(lease.chargers),
            clustered: Set(lease.clustered),
        };
        let upsert = OnConflict::column(cluster_node::Column::NodeId)
            .update_columns([
                cluster_node::Column::Protocol,
                cluster_node::Column::StartedAt,
                cluster_node::Column::LeaseUntil,
                cluster_node::Column::Draining,
                cluster_node::Column::Chargers,
                cluster_node::Column::Clustered,
            ])
            .to_owned();
        {
            let _turn = self.write_turn().await;
            cluster_node::Entity::insert(row).on_conflict(upsert).exec(self.db()).await?;
        }
        let known = cluster_node::Entity::find().all(self.db()).await?;
        Ok(known
            .into_iter()
            .map(|n| NodeLease {
                node_id: n.node_id,
                protocol: n.protocol,
                started_at: n.started_at,
                lease_until: n.lease_until,
                draining: n.draining,
                chargers: n.chargers,
                clustered: n.clustered,
            })
            .collect())
    }

    /// The nodes whose lease ran at `since` or later.
    pub async fn nodes_alive_since(&self, since: DateTime<Utc>) -> Result<Vec<String>, StoreError> {
        let rows =
            cluster_node::Entity::find().filter(cluster_node::Column::LeaseUntil.gte(since)).all(self.db()).await?;
        Ok(rows.into_iter().map(|n| n.node_id).collect())
    }

    /// Ends a node's lease at `now` (it stopped), and forgets nodes dead since before `forget`.
    pub async fn end_node(&self, node_id: &str, now: DateTime<Utc>, forget: DateTime<Utc>) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        cluster_node::Entity::update_many()
            .set(cluster_node::ActiveModel { lease_until: Set(now), ..Default::default() })
            .filter(cluster_node::Column::NodeId.eq(node_id))
            .exec(self.db())
            .await?;
        cluster_node::Entity::delete_many().filter(cluster_node::Column::LeaseUntil.lt(forget)).exec(self.db()).await?;
        Ok(())
    }

    /// Claims or renews the lease `name` for `holder` until `until`: taken when free, lapsed
    /// (before `now`) or already `holder`'s. Whether `holder` holds it now.
    pub async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let renewed = cluster_lease::Entity::update_many()
            .set(cluster_lease::ActiveModel { holder: Set(holder.to_owned()), until: Set(until), ..Default::default() })
            .filter(cluster_lease::Column::Name.eq(name))
            .filter(
                Condition::any()
                    .add(cluster_lease::Column::Holder.eq(holder))
                    .add(cluster_lease::Column::Until.lt(now)),
            )
            .exec(self.db())
            .await?;
        if renewed.rows_affected == 1 {
            return Ok(true);
        }
        let row = cluster_lease::ActiveModel {
            name: Set(name.to_owned()),
            holder: Set(holder.to_owned()),
            until: Set(until),
        };
        let inserted = cluster_lease::Entity::insert(row)
            .on_conflict(OnConflict::column(cluster_lease::Column::Name).do_nothing().to_owned())
            .exec_without_returning(self.db())
            .await?;
        Ok(inserted == 1)
    }

    /// Gives up every lease `holder` holds, so another node takes them at once.
    pub async fn release_leases(&self, holder: &str) -> Result<(), StoreError> {
        let _turn = self.write_turn().await;
        let expired = DateTime::<Utc>::UNIX_EPOCH;
        cluster_lease::Entity::update_many()
            .set(cluster_lease::ActiveModel { until: Set(expired), ..Default::default() })
            .filter(cluster_lease::Column::Holder.eq(holder))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Those of `ids` that charge, or are about to: a transaction in progress, or an order
    /// starting or charging on them.
    pub async fn busy_chargers(&self, ids: &[ChargerId]) -> Result<HashSet<ChargerId>, StoreError> {
        let given = ids;
        let ids = || given.iter().map(ChargerId::as_str);
        let charging: Vec<String> = transaction::Entity::find()
            .select_only()
            .column(transaction::Column::ChargerId)
            .filter(transaction::Column::Status.eq(crate::store::ACTIVE))
            .filter(transaction::Column::ChargerId.is_in(ids()))
            .into_tuple()
            .all(self.db())
            .await?;
        let ordered: Vec<String> = order::Entity::find()
            .select_only()
            .column(order::Column::ChargerId)
            .filter(order::Column::Status.is_in(["STARTING", "CHARGING"]))
            .filter(order::Column::ChargerId.is_in(ids()))
            .into_tuple()
            .all(self.db())
            .await?;
        let busy: HashSet<String> = charging.into_iter().chain(ordered).collect();
        // Those given, as given: nothing read back needs parsing again.
        Ok(given.iter().filter(|id| busy.contains(id.as_str())).cloned().collect())
    }

    /// Chargers online on a node not in `alive` (at most `limit`).
    pub async fn orphans(&self, alive: &[String], limit: u64) -> Result<Vec<Orphan>, StoreError> {
        let rows = charger::Entity::find()
            .filter(charger::Column::OnlineSession.is_not_null())
            .filter(charger::Column::OnlineNode.is_not_null())
            .filter(charger::Column::OnlineNode.is_not_in(alive.iter().map(String::as_str)))
            .limit(limit)
            .all(self.db())
            .await?;
        let mut orphans = Vec::with_capacity(rows.len());
        for c in rows {
            let (Some(session), Some(node)) = (c.online_session, c.online_node) else { continue };
            let charger_id = super::rows::charger_id(c.id, "charger")?;
            orphans.push(Orphan { charger_id, session, node, last_seen_at: c.last_seen_at });
        }
        Ok(orphans)
    }

    /// Marks an orphan offline, unless a connection took it over since it was read.
    pub async fn release_orphan(&self, orphan: &Orphan) -> Result<bool, StoreError> {
        let _turn = self.write_turn().await;
        let released = charger::Entity::update_many()
            .set(charger::ActiveModel { online_session: Set(None), online_node: Set(None), ..Default::default() })
            .filter(charger::Column::Id.eq(&orphan.charger_id))
            .filter(charger::Column::OnlineSession.eq(&orphan.session))
            .exec(self.db())
            .await?;
        Ok(released.rows_affected == 1)
    }
}
