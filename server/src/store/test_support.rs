//! Test databases: SQLite in memory always, PostgreSQL too when `TEST_DATABASE_URL` is
//! set. Every PostgreSQL test gets its own schema (dropped at the end), so tests run in
//! parallel without seeing each other's rows.

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

use super::{SettingsCipher, Store};

pub(crate) const SECRET: &str = "r8Vx2LqP0w3nZk9TfYb7HcJ4mS1dGe6A";
pub(crate) const OTHER_SECRET: &str = "Q1w9Zr4Lk2Xv8Pn5Tb7Hy3Jc6Md0Gs2F";

pub(crate) struct TestDb {
    pub store: Store,
    /// PostgreSQL: the connection that created the schema, and the schema's name.
    schema: Option<(DatabaseConnection, String)>,
}

impl TestDb {
    pub(crate) async fn sqlite() -> TestDb {
        let store = Store::connect("sqlite::memory:", SettingsCipher::from_secret(SECRET))
            .await
            .expect("in-memory SQLite store");
        TestDb {
            store,
            schema: None,
        }
    }

    /// `None` when `TEST_DATABASE_URL` is not set.
    pub(crate) async fn postgres() -> Option<TestDb> {
        let url = std::env::var("TEST_DATABASE_URL").ok()?;
        let mut admin_options = ConnectOptions::new(url.clone());
        admin_options.max_connections(1).sqlx_logging(false);
        let admin = Database::connect(admin_options)
            .await
            .expect("connect to TEST_DATABASE_URL");
        let schema = format!("test_{:016x}", rand::random::<u64>());
        admin
            .execute_unprepared(&format!("CREATE SCHEMA \"{schema}\""))
            .await
            .expect("create test schema");
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(3)
            .set_schema_search_path(schema.clone());
        let store = Store::connect_with(options, SettingsCipher::from_secret(SECRET))
            .await
            .expect("PostgreSQL store");
        Some(TestDb {
            store,
            schema: Some((admin, schema)),
        })
    }

    pub(crate) async fn finish(self) {
        let TestDb { store, schema } = self;
        let _ = store.db.close().await;
        if let Some((admin, schema)) = schema {
            admin
                .execute_unprepared(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .expect("drop test schema");
        }
    }
}

/// `db_test!(name, body)` makes `name::sqlite` and `name::postgres` tests that run
/// `body(store: Store)`; the PostgreSQL one passes without doing anything when
/// `TEST_DATABASE_URL` is not set.
macro_rules! db_test {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = $crate::store::test_support::TestDb::sqlite().await;
                super::$body(db.store.clone()).await;
                db.finish().await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(db) = $crate::store::test_support::TestDb::postgres().await else {
                    eprintln!("TEST_DATABASE_URL is not set: PostgreSQL test skipped");
                    return;
                };
                super::$body(db.store.clone()).await;
                db.finish().await;
            }
        }
    };
}
pub(crate) use db_test;
