//! Users: drivers, operators and admins, each signing in with a mainland mobile number and
//! charging with an id tag of their own.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Phone, 11).unique_key())
                    .col(string_len(Users::Nickname, 64))
                    .col(string_len_null(Users::Avatar, 512))
                    // user, operator or admin.
                    .col(string_len(Users::Role, 16))
                    // active or disabled.
                    .col(string_len(Users::Status, 16))
                    // The user's own tag: a session started from the app or with the user's
                    // card is the user's.
                    .col(string_len(Users::IdTag, 20).unique_key())
                    .col(string_len_null(Users::RealName, 64))
                    // The resident identity number masked (`3101**********1234`) and as a keyed
                    // hash: never whole.
                    .col(string_len_null(Users::IdCardMasked, 18))
                    .col(string_len_null(Users::IdCardHash, 64))
                    .col(timestamp_with_time_zone_null(Users::VerifiedAt))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .foreign_key(ForeignKey::create().from(Users::Table, Users::IdTag).to(IdTags::Table, IdTags::IdTag))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Phone,
    Nickname,
    Avatar,
    Role,
    Status,
    IdTag,
    RealName,
    IdCardMasked,
    IdCardHash,
    VerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdTags {
    Table,
    IdTag,
}
