//! The operation log as the console reads it (issue 22, `GET /api/v1/operations`): newest first,
//! filtered by actor, by action or by time alone, each with an index of its own beside the
//! charger's (`ix_operation_log_charger_at`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

/// Each index: its name and its columns, the time last.
const INDEXES: [(&str, Option<OperationLog>); 3] = [
    ("ix_operation_log_actor_at", Some(OperationLog::Actor)),
    ("ix_operation_log_action_at", Some(OperationLog::Action)),
    ("ix_operation_log_at", None),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in INDEXES {
            let mut index = Index::create();
            index.name(name).table(OperationLog::Table);
            if let Some(column) = column {
                index.col(column);
            }
            manager.create_index(index.col(OperationLog::At).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager.drop_index(Index::drop().name(name).table(OperationLog::Table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum OperationLog {
    Table,
    Actor,
    Action,
    At,
}
