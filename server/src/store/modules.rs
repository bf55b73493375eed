//! Module states (enabled/disabled) and encrypted module settings.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::entity::{module_setting, module_state};
use super::{Store, StoreError};

fn check_name(value: &str, what: &'static str) -> Result<(), StoreError> {
    if value.is_empty() || value.contains('\0') {
        return Err(StoreError::Invalid(what));
    }
    Ok(())
}

impl Store {
    /// Modules an administrator turned off.
    pub async fn disabled_modules(&self) -> Result<HashSet<String>, StoreError> {
        Ok(module_state::Entity::find()
            .filter(module_state::Column::Enabled.eq(false))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.module)
            .collect())
    }

    pub async fn set_module_enabled(&self, module: &str, enabled: bool) -> Result<(), StoreError> {
        check_name(module, "the module name is empty or invalid")?;
        module_state::Entity::insert(module_state::ActiveModel {
            module: Set(module.to_owned()),
            enabled: Set(enabled),
        })
        .on_conflict(
            OnConflict::column(module_state::Column::Module)
                .update_column(module_state::Column::Enabled)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(())
    }

    /// `Some(non-empty)`: encrypts and stores the value; `None` or empty: deletes it.
    pub async fn set_setting(
        &self,
        module: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), StoreError> {
        check_name(module, "the module name is empty or invalid")?;
        check_name(key, "the setting name is empty or invalid")?;
        match value.filter(|v| !v.is_empty()) {
            Some(value) => {
                let (nonce, ciphertext) = self.cipher.encrypt(module, key, value);
                module_setting::Entity::insert(module_setting::ActiveModel {
                    module: Set(module.to_owned()),
                    key: Set(key.to_owned()),
                    nonce: Set(nonce),
                    ciphertext: Set(ciphertext),
                })
                .on_conflict(
                    OnConflict::columns([
                        module_setting::Column::Module,
                        module_setting::Column::Key,
                    ])
                    .update_columns([
                        module_setting::Column::Nonce,
                        module_setting::Column::Ciphertext,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await?;
            }
            None => {
                module_setting::Entity::delete_many()
                    .filter(module_setting::Column::Module.eq(module))
                    .filter(module_setting::Column::Key.eq(key))
                    .exec(&self.db)
                    .await?;
            }
        }
        Ok(())
    }

    /// Rows that decrypt with the current secret; the others are skipped with a warning.
    async fn readable_settings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = module_setting::Entity::find()
            .order_by_asc(module_setting::Column::Module)
            .order_by_asc(module_setting::Column::Key)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            match self
                .cipher
                .decrypt(&row.module, &row.key, &row.nonce, &row.ciphertext)
            {
                Ok(value) => out.push((row.module, row.key, value)),
                Err(_) => tracing::warn!(
                    module = %row.module,
                    key = %row.key,
                    "stored module setting cannot be decrypted (was SECRET_KEY changed?); ignored"
                ),
            }
        }
        Ok(out)
    }

    /// Decrypted (module, key, value), ordered by module then key.
    pub async fn settings(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.readable_settings().await
    }

    /// module -> names of the settings that are set (and readable), never the values.
    pub async fn settings_presence(&self) -> Result<HashMap<String, Vec<String>>, StoreError> {
        let mut out: HashMap<String, Vec<String>> = HashMap::new();
        for (module, key, _) in self.readable_settings().await? {
            out.entry(module).or_default().push(key);
        }
        Ok(out)
    }
}
