//! Accounts: creation under the password policy, argon2id hashes, logins.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::entity::user;
use super::secrets::{self, check_password};
use super::{Store, StoreError, blocking, is_unique_violation, now};

/// Longest accepted username, in characters.
pub const USERNAME_MAX_CHARS: usize = 64;

/// An account, without its password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    /// Unix seconds.
    pub created_at: i64,
}

/// A hash of a random password, verified against when the username is unknown so that a
/// login attempt costs about the same either way.
pub(super) static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let password = SaltString::generate(&mut OsRng);
    hash_password(password.as_str()).ok()
});

fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| StoreError::Hash)
}

fn password_matches(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

fn check_username(username: &str) -> Result<(), StoreError> {
    if username.trim().is_empty() {
        return Err(StoreError::Invalid("the username is empty"));
    }
    if username.chars().count() > USERNAME_MAX_CHARS {
        return Err(StoreError::Invalid(
            "the username must be at most 64 characters long",
        ));
    }
    if username.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "the username must not contain control characters",
        ));
    }
    if username.trim() != username {
        return Err(StoreError::Invalid(
            "the username must not start or end with a space",
        ));
    }
    Ok(())
}

impl From<user::Model> for UserRecord {
    fn from(model: user::Model) -> Self {
        UserRecord {
            id: model.id,
            username: model.username,
            is_admin: model.is_admin,
            created_at: model.created_at,
        }
    }
}

impl Store {
    pub async fn user_count(&self) -> Result<u64, StoreError> {
        Ok(user::Entity::find().count(&self.db).await?)
    }

    /// Creates an account; the password must pass [`check_password`] and is stored as an
    /// argon2id PHC string.
    pub async fn create_user(
        &self,
        username: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<UserRecord, StoreError> {
        check_username(username)?;
        check_password(password).map_err(StoreError::Invalid)?;
        let exists = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .count(&self.db)
            .await?;
        if exists > 0 {
            return Err(StoreError::UsernameTaken);
        }
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let model = user::ActiveModel {
            username: Set(username.to_owned()),
            password_hash: Set(hash),
            is_admin: Set(is_admin),
            created_at: Set(now()),
            ..Default::default()
        };
        match model.insert(&self.db).await {
            Ok(model) => Ok(model.into()),
            Err(err) if is_unique_violation(&err) => Err(StoreError::UsernameTaken),
            Err(err) => Err(err.into()),
        }
    }

    /// The account if `password` is right. An unknown username costs one hash
    /// verification too, so both failures take about the same time.
    pub async fn verify_login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let found = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        // Bound the work an oversized input can cause; it can never be a valid password.
        let too_long = password.chars().count() > secrets::PASSWORD_MAX_CHARS;
        let password = if too_long {
            String::new()
        } else {
            password.to_owned()
        };
        match found {
            Some(model) => {
                let phc = model.password_hash.clone();
                let ok = blocking(move || password_matches(&password, &phc)).await?;
                Ok((ok && !too_long).then(|| model.into()))
            }
            None => {
                blocking(move || {
                    if let Some(dummy) = DUMMY_HASH.as_deref() {
                        password_matches(&password, dummy);
                    }
                })
                .await?;
                Ok(None)
            }
        }
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        Ok(user::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .map(UserRecord::from))
    }

    /// Every account, by id.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        Ok(user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(UserRecord::from)
            .collect())
    }

    /// Deletes an account with its history. Refuses to delete the last administrator.
    pub async fn delete_user(&self, id: i64) -> Result<(), StoreError> {
        let txn = self.db.begin().await?;
        let Some(target) = user::Entity::find_by_id(id).one(&txn).await? else {
            return Err(StoreError::NotFound("user"));
        };
        if target.is_admin {
            let admins = user::Entity::find()
                .filter(user::Column::IsAdmin.eq(true))
                .count(&txn)
                .await?;
            if admins <= 1 {
                return Err(StoreError::LastAdmin);
            }
        }
        user::Entity::delete_by_id(id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Replaces the password (after [`check_password`]).
    pub async fn set_password(&self, id: i64, password: &str) -> Result<(), StoreError> {
        check_password(password).map_err(StoreError::Invalid)?;
        let password = password.to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let result = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(hash))
            .filter(user::Column::Id.eq(id))
            .exec(&self.db)
            .await?;
        if result.rows_affected == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }
}
