//! `tower_sessions::SessionStore` over the `sessions` table (id, JSON data, expiry in Unix
//! seconds), for SQLite and PostgreSQL alike.

use std::collections::HashMap;

use async_trait::async_trait;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

use super::entity::session;
use super::{StoreError, is_unique_violation, now};

/// How many fresh ids `create` tries before giving up (a collision of random 128-bit ids
/// is already unheard of).
const CREATE_ATTEMPTS: usize = 8;

/// Sessions kept in the database.
#[derive(Debug, Clone)]
pub struct DbSessionStore {
    db: DatabaseConnection,
}

fn backend(err: DbErr) -> session_store::Error {
    session_store::Error::Backend(format!("session database error: {err}"))
}

fn active_model(record: &Record) -> session_store::Result<session::ActiveModel> {
    let data = serde_json::to_string(&record.data)
        .map_err(|e| session_store::Error::Encode(e.to_string()))?;
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(data),
        expiry: Set(record.expiry_date.unix_timestamp()),
    })
}

impl DbSessionStore {
    pub fn new(db: DatabaseConnection) -> DbSessionStore {
        DbSessionStore { db }
    }

    /// Deletes the sessions whose expiry has passed; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, StoreError> {
        let result = session::Entity::delete_many()
            .filter(session::Column::Expiry.lte(now()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        for _ in 0..CREATE_ATTEMPTS {
            let model = active_model(record)?;
            match session::Entity::insert(model)
                .exec_without_returning(&self.db)
                .await
            {
                Ok(_) => return Ok(()),
                Err(err) if is_unique_violation(&err) => record.id = Id::default(),
                Err(err) => return Err(backend(err)),
            }
        }
        Err(session_store::Error::Backend(
            "no free session id found".to_owned(),
        ))
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        session::Entity::insert(active_model(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([session::Column::Data, session::Column::Expiry])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let Some(row) = session::Entity::find_by_id(session_id.to_string())
            .filter(session::Column::Expiry.gt(now()))
            .one(&self.db)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> = serde_json::from_str(&row.data)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date = OffsetDateTime::from_unix_timestamp(row.expiry)
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        session::Entity::delete_by_id(session_id.to_string())
            .exec(&self.db)
            .await
            .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        DbSessionStore::delete_expired(self)
            .await
            .map(|_| ())
            .map_err(|e| session_store::Error::Backend(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::EntityTrait;
    use time::Duration;
    use tower_sessions::session::{Id, Record};
    use tower_sessions::session_store::{ExpiredDeletion, SessionStore};

    use super::DbSessionStore;
    use crate::store::Store;
    use crate::store::entity::session;
    use crate::store::test_support::db_test;

    fn record(expires_in: Duration) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("user_id".to_string(), serde_json::json!(42));
        data.insert("csrf".to_string(), serde_json::json!("token-value"));
        Record {
            id: Id::default(),
            data,
            // Whole seconds: the table keeps Unix seconds.
            expiry_date: time::OffsetDateTime::from_unix_timestamp(
                (time::OffsetDateTime::now_utc() + expires_in).unix_timestamp(),
            )
            .unwrap(),
        }
    }

    async fn save_load_delete(store: Store) {
        let sessions = DbSessionStore::new(store.connection().clone());
        let mut rec = record(Duration::hours(1));
        sessions.create(&mut rec).await.unwrap();
        assert_eq!(sessions.load(&rec.id).await.unwrap(), Some(rec.clone()));

        // save updates data and expiry in place.
        rec.data
            .insert("theme".to_string(), serde_json::json!("dark"));
        rec.expiry_date += Duration::hours(1);
        sessions.save(&rec).await.unwrap();
        assert_eq!(sessions.load(&rec.id).await.unwrap(), Some(rec.clone()));
        // save also inserts an unknown id.
        let other = record(Duration::minutes(5));
        sessions.save(&other).await.unwrap();
        assert_eq!(sessions.load(&other.id).await.unwrap(), Some(other.clone()));

        sessions.delete(&rec.id).await.unwrap();
        assert_eq!(sessions.load(&rec.id).await.unwrap(), None);
        // Deleting twice or an unknown id is fine.
        sessions.delete(&rec.id).await.unwrap();
        assert_eq!(sessions.load(&Id::default()).await.unwrap(), None);
        assert_eq!(sessions.load(&other.id).await.unwrap(), Some(other));
    }
    db_test!(sessions_round_trip, save_load_delete);

    async fn create_retries_on_collision(store: Store) {
        let sessions = DbSessionStore::new(store.connection().clone());
        let mut first = record(Duration::hours(1));
        sessions.create(&mut first).await.unwrap();
        let mut second = record(Duration::hours(2));
        second.id = first.id;
        sessions.create(&mut second).await.unwrap();
        assert_ne!(second.id, first.id, "a colliding id must be replaced");
        // Neither session overwrote the other.
        assert_eq!(sessions.load(&first.id).await.unwrap(), Some(first));
        assert_eq!(sessions.load(&second.id).await.unwrap(), Some(second));
    }
    db_test!(sessions_collision, create_retries_on_collision);

    async fn expired_sessions(store: Store) {
        let sessions = DbSessionStore::new(store.connection().clone());
        let mut live = record(Duration::hours(1));
        let mut expired = record(Duration::seconds(-10));
        sessions.create(&mut live).await.unwrap();
        sessions.create(&mut expired).await.unwrap();
        // An expired session does not load even before it is deleted.
        assert_eq!(sessions.load(&expired.id).await.unwrap(), None);
        assert_eq!(sessions.delete_expired().await.unwrap(), 1);
        ExpiredDeletion::delete_expired(&sessions).await.unwrap();
        let ids: Vec<String> = session::Entity::find()
            .all(store.connection())
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect();
        assert_eq!(ids, [live.id.to_string()]);
        assert_eq!(sessions.load(&live.id).await.unwrap(), Some(live));
    }
    db_test!(sessions_expiry, expired_sessions);
}
