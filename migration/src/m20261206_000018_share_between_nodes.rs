//! Several csms nodes on one database: a charger's presence names the node holding it and the
//! connection's epoch (newer connections have larger epochs, so a stale owner never overwrites a
//! newer one); each node keeps a lease row (`cluster_nodes`); jobs that must run once per
//! cluster are claimed through `cluster_leases`; the operation log records the node a command
//! was sent from.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let node = Table::alter()
            .table(Chargers::Table)
            .add_column(ColumnDef::new(Chargers::OnlineNode).text().null())
            .to_owned();
        manager.alter_table(node).await?;
        let epoch = Table::alter()
            .table(Chargers::Table)
            .add_column(ColumnDef::new(Chargers::OnlineEpoch).big_integer().not_null().default(0))
            .to_owned();
        manager.alter_table(epoch).await?;
        let sent_from = Table::alter()
            .table(OperationLog::Table)
            .add_column(ColumnDef::new(OperationLog::Node).text().null())
            .to_owned();
        manager.alter_table(sent_from).await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterNodes::Table)
                    .col(ColumnDef::new(ClusterNodes::NodeId).text().not_null().primary_key())
                    .col(ColumnDef::new(ClusterNodes::Protocol).integer().not_null())
                    .col(ColumnDef::new(ClusterNodes::StartedAt).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(ClusterNodes::LeaseUntil).timestamp_with_time_zone().not_null())
                    .col(ColumnDef::new(ClusterNodes::Draining).boolean().not_null().default(false))
                    .col(ColumnDef::new(ClusterNodes::Chargers).integer().not_null().default(0))
                    .col(ColumnDef::new(ClusterNodes::Clustered).boolean().not_null().default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ClusterLeases::Table)
                    .col(ColumnDef::new(ClusterLeases::Name).text().not_null().primary_key())
                    .col(ColumnDef::new(ClusterLeases::Holder).text().not_null())
                    .col(ColumnDef::new(ClusterLeases::Until).timestamp_with_time_zone().not_null())
                    .to_owned(),
            )
            .await?;
        // The readers of presence look chargers up by the node holding them (a dead node's).
        manager
            .create_index(
                Index::create()
                    .name("idx_chargers_online_node")
                    .table(Chargers::Table)
                    .col(Chargers::OnlineNode)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("idx_chargers_online_node").table(Chargers::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ClusterLeases::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(ClusterNodes::Table).to_owned()).await?;
        manager
            .alter_table(Table::alter().table(OperationLog::Table).drop_column(OperationLog::Node).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Chargers::Table).drop_column(Chargers::OnlineEpoch).to_owned())
            .await?;
        manager.alter_table(Table::alter().table(Chargers::Table).drop_column(Chargers::OnlineNode).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Chargers {
    Table,
    OnlineNode,
    OnlineEpoch,
}

#[derive(DeriveIden)]
enum OperationLog {
    Table,
    Node,
}

#[derive(DeriveIden)]
enum ClusterNodes {
    Table,
    NodeId,
    Protocol,
    StartedAt,
    LeaseUntil,
    Draining,
    Chargers,
    Clustered,
}

#[derive(DeriveIden)]
enum ClusterLeases {
    Table,
    Name,
    Holder,
    Until,
}
