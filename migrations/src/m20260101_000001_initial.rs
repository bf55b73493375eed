//! The initial schema: users, sessions, jobs, job_cells, module_settings, module_states.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, blob, boolean, integer, string, string_uniq, text,
    text_null,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    Expiry,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    UserId,
    ParentId,
    RootId,
    CreatedAt,
    ValuesJson,
    ModulesJson,
    SearchText,
}

#[derive(DeriveIden)]
enum JobCells {
    Table,
    Id,
    JobId,
    Position,
    Value,
    ValueType,
    Module,
    Status,
    ResultJson,
    Error,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum ModuleSettings {
    Table,
    Module,
    Key,
    Nonce,
    Ciphertext,
}

#[derive(DeriveIden)]
enum ModuleStates {
    Table,
    Module,
    Enabled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_uniq(Users::Username))
                    .col(string(Users::PasswordHash))
                    .col(boolean(Users::IsAdmin))
                    .col(big_integer(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Id).primary_key())
                    .col(text(Sessions::Data))
                    .col(big_integer(Sessions::Expiry))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_expiry")
                    .table(Sessions::Table)
                    .col(Sessions::Expiry)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(big_pk_auto(Jobs::Id))
                    .col(big_integer(Jobs::UserId))
                    .col(big_integer_null(Jobs::ParentId))
                    .col(big_integer_null(Jobs::RootId))
                    .col(big_integer(Jobs::CreatedAt))
                    .col(text(Jobs::ValuesJson))
                    .col(text(Jobs::ModulesJson))
                    .col(text(Jobs::SearchText))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jobs_user")
                            .from(Jobs::Table, Jobs::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_jobs_parent")
                            .from(Jobs::Table, Jobs::ParentId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_user_created")
                    .table(Jobs::Table)
                    .col(Jobs::UserId)
                    .col(Jobs::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_root")
                    .table(Jobs::Table)
                    .col(Jobs::RootId)
                    .to_owned(),
            )
            .await?;
        // PostgreSQL does not index the referencing side of a foreign key by itself; the
        // cascade from a deleted parent job looks children up by parent_id.
        manager
            .create_index(
                Index::create()
                    .name("idx_jobs_parent")
                    .table(Jobs::Table)
                    .col(Jobs::ParentId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(JobCells::Table)
                    .col(big_pk_auto(JobCells::Id))
                    .col(big_integer(JobCells::JobId))
                    .col(integer(JobCells::Position))
                    .col(text(JobCells::Value))
                    .col(string(JobCells::ValueType))
                    .col(string(JobCells::Module))
                    .col(string(JobCells::Status))
                    .col(text_null(JobCells::ResultJson))
                    .col(text_null(JobCells::Error))
                    .col(big_integer(JobCells::StartedAt))
                    .col(big_integer_null(JobCells::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_job_cells_job")
                            .from(JobCells::Table, JobCells::JobId)
                            .to(Jobs::Table, Jobs::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_cells_job")
                    .table(JobCells::Table)
                    .col(JobCells::JobId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_job_cells_status")
                    .table(JobCells::Table)
                    .col(JobCells::Status)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ModuleSettings::Table)
                    .col(string(ModuleSettings::Module))
                    .col(string(ModuleSettings::Key))
                    .col(blob(ModuleSettings::Nonce))
                    .col(blob(ModuleSettings::Ciphertext))
                    .primary_key(
                        Index::create()
                            .col(ModuleSettings::Module)
                            .col(ModuleSettings::Key),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ModuleStates::Table)
                    .col(string(ModuleStates::Module).primary_key())
                    .col(boolean(ModuleStates::Enabled))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ModuleStates::Table.into_iden(),
            ModuleSettings::Table.into_iden(),
            JobCells::Table.into_iden(),
            Jobs::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
