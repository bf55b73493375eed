//! Store tests, each run against SQLite in memory and (with `TEST_DATABASE_URL`) PostgreSQL.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::entity::{job, job_cell, module_setting, user};
use super::test_support::{OTHER_SECRET, SECRET, db_test};
use super::*;

const GOOD_PASSWORD: &str = "velvet tractor summer orbit";
const OTHER_PASSWORD: &str = "n4Xq-81vz-KpTe-0mW2";

fn values(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect()
}

fn modules(items: &[&str]) -> Vec<String> {
    items.iter().map(|m| m.to_string()).collect()
}

async fn set_created_at(store: &Store, job_id: i64, created_at: i64) {
    job::Entity::update_many()
        .col_expr(job::Column::CreatedAt, Expr::value(created_at))
        .filter(job::Column::Id.eq(job_id))
        .exec(store.connection())
        .await
        .unwrap();
}

async fn users_and_logins(store: Store) {
    assert_eq!(store.user_count().await.unwrap(), 0);
    let alice = store
        .create_user("alice", GOOD_PASSWORD, true)
        .await
        .unwrap();
    assert_eq!(alice.username, "alice");
    assert!(alice.is_admin);
    assert!(alice.created_at > 1_700_000_000);
    assert_eq!(store.user_count().await.unwrap(), 1);

    // The stored hash is an argon2id PHC string, never the password.
    let row = user::Entity::find_by_id(alice.id)
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert!(
        row.password_hash.starts_with("$argon2id$v=19$"),
        "{}",
        row.password_hash
    );
    assert!(!row.password_hash.contains(GOOD_PASSWORD));

    assert_eq!(
        store.verify_login("alice", GOOD_PASSWORD).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        store.verify_login("alice", OTHER_PASSWORD).await.unwrap(),
        None
    );
    // Exactly as typed: no trimming, no case folding.
    assert_eq!(
        store
            .verify_login("alice", &format!("{GOOD_PASSWORD} "))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .verify_login("alice", &GOOD_PASSWORD.to_uppercase())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.verify_login("mallory", GOOD_PASSWORD).await.unwrap(),
        None
    );
    assert_eq!(
        store
            .verify_login("alice", &"x".repeat(10_000))
            .await
            .unwrap(),
        None
    );

    // Policy and uniqueness.
    assert!(matches!(
        store.create_user("alice", OTHER_PASSWORD, false).await,
        Err(StoreError::UsernameTaken)
    ));
    assert!(matches!(
        store.create_user("bob", "Password1234", false).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_user("bob", "short", false).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_user("", OTHER_PASSWORD, false).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_user(" bob", OTHER_PASSWORD, false).await,
        Err(StoreError::Invalid(_))
    ));
    let bob = store
        .create_user("bob", OTHER_PASSWORD, false)
        .await
        .unwrap();
    assert!(!bob.is_admin);

    // Two users with the same password get different salts.
    let carol = store
        .create_user("carol", OTHER_PASSWORD, false)
        .await
        .unwrap();
    let hashes: Vec<String> = user::Entity::find()
        .filter(user::Column::Id.is_in([bob.id, carol.id]))
        .all(store.connection())
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.password_hash)
        .collect();
    assert_eq!(hashes.len(), 2);
    assert_ne!(hashes[0], hashes[1]);

    assert_eq!(store.user(bob.id).await.unwrap(), Some(bob.clone()));
    assert_eq!(store.user(9_999_999).await.unwrap(), None);
    let names: Vec<String> = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "bob", "carol"]);

    // Password change.
    assert!(matches!(
        store.set_password(bob.id, "changeme").await,
        Err(StoreError::Invalid(_))
    ));
    store.set_password(bob.id, GOOD_PASSWORD).await.unwrap();
    assert_eq!(
        store.verify_login("bob", OTHER_PASSWORD).await.unwrap(),
        None
    );
    assert_eq!(
        store.verify_login("bob", GOOD_PASSWORD).await.unwrap(),
        Some(bob.clone())
    );
    assert!(matches!(
        store.set_password(9_999_999, GOOD_PASSWORD).await,
        Err(StoreError::NotFound(_))
    ));
}
db_test!(users, users_and_logins);

async fn last_admin_protection(store: Store) {
    let first = store
        .create_user("first", GOOD_PASSWORD, true)
        .await
        .unwrap();
    let plain = store
        .create_user("plain", GOOD_PASSWORD, false)
        .await
        .unwrap();
    assert!(matches!(
        store.delete_user(first.id).await,
        Err(StoreError::LastAdmin)
    ));
    let second = store
        .create_user("second", GOOD_PASSWORD, true)
        .await
        .unwrap();
    store.delete_user(first.id).await.unwrap();
    assert_eq!(store.user(first.id).await.unwrap(), None);
    assert!(matches!(
        store.delete_user(second.id).await,
        Err(StoreError::LastAdmin)
    ));
    store.delete_user(plain.id).await.unwrap();
    assert!(matches!(
        store.delete_user(plain.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.user_count().await.unwrap(), 1);
}
db_test!(last_admin, last_admin_protection);

async fn jobs_and_cells(store: Store) {
    let owner = store
        .create_user("owner", GOOD_PASSWORD, true)
        .await
        .unwrap();
    let other = store
        .create_user("other", GOOD_PASSWORD, false)
        .await
        .unwrap();
    let vals = values(&[("8.8.8.8", "ip-dst"), ("Example.COM", "domain")]);
    let mods = modules(&["dns", "bgpranking", "hashdd"]);

    assert!(matches!(
        store.create_job(owner.id, None, &[], &mods).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.create_job(owner.id, None, &vals, &[]).await,
        Err(StoreError::Invalid(_))
    ));

    let (job, cells) = store
        .create_job(owner.id, None, &vals, &mods)
        .await
        .unwrap();
    assert_eq!(job.user_id, owner.id);
    assert_eq!(job.parent_id, None);
    assert_eq!(job.root_id, job.id);
    assert_eq!(job.values, vals);
    assert_eq!(job.modules, mods);
    assert_eq!(cells.len(), 6);
    let layout: Vec<(i32, &str, &str)> = cells
        .iter()
        .map(|c| (c.position, c.value.as_str(), c.module.as_str()))
        .collect();
    assert_eq!(
        layout,
        [
            (0, "8.8.8.8", "dns"),
            (0, "8.8.8.8", "bgpranking"),
            (0, "8.8.8.8", "hashdd"),
            (1, "Example.COM", "dns"),
            (1, "Example.COM", "bgpranking"),
            (1, "Example.COM", "hashdd"),
        ]
    );
    assert!(cells.iter().all(|c| c.status == CellStatus::Pending
        && c.job_id == job.id
        && c.result_json.is_none()
        && c.error.is_none()));
    assert_eq!(cells[3].value_type, "domain");

    // The search text is the lowercased values.
    let row = job::Entity::find_by_id(job.id)
        .one(store.connection())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.search_text, "8.8.8.8\nexample.com");

    store
        .finish_cell(cells[0].id, CellOutcome::Done(r#"{"results":[]}"#.into()))
        .await
        .unwrap();
    store
        .finish_cell(cells[1].id, CellOutcome::Failed("upstream timeout".into()))
        .await
        .unwrap();
    // A finished cell is not finished again; an unknown cell is reported.
    assert!(matches!(
        store
            .finish_cell(cells[0].id, CellOutcome::Failed("late".into()))
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store
            .finish_cell(9_999_999, CellOutcome::Done("{}".into()))
            .await,
        Err(StoreError::NotFound(_))
    ));

    let (loaded, loaded_cells) = store.job(job.id, owner.id).await.unwrap().unwrap();
    assert_eq!(loaded, job);
    assert_eq!(loaded_cells.len(), 6);
    assert_eq!(loaded_cells[0].status, CellStatus::Done);
    assert_eq!(
        loaded_cells[0].result_json.as_deref(),
        Some(r#"{"results":[]}"#)
    );
    assert_eq!(loaded_cells[0].error, None);
    assert_eq!(loaded_cells[1].status, CellStatus::Failed);
    assert_eq!(loaded_cells[1].error.as_deref(), Some("upstream timeout"));
    assert_eq!(loaded_cells[1].result_json, None);
    assert_eq!(loaded_cells[2].status, CellStatus::Pending);
    let finished_at = job_cell::Entity::find_by_id(cells[0].id)
        .one(store.connection())
        .await
        .unwrap()
        .unwrap()
        .finished_at;
    assert!(finished_at.is_some());

    // Only the owner sees it, and only the owner can extend it.
    assert_eq!(store.job(job.id, other.id).await.unwrap(), None);
    assert_eq!(store.job(9_999_999, owner.id).await.unwrap(), None);
    assert!(matches!(
        store.create_job(other.id, Some(job.id), &vals, &mods).await,
        Err(StoreError::NotFound(_))
    ));

    // Children join the root's tree.
    let (child, child_cells) = store
        .create_job(
            owner.id,
            Some(job.id),
            &values(&[("1.1.1.1", "ip-src")]),
            &mods[..1],
        )
        .await
        .unwrap();
    assert_eq!(child.parent_id, Some(job.id));
    assert_eq!(child.root_id, job.id);
    assert_eq!(child_cells.len(), 1);
    let (grandchild, _) = store
        .create_job(owner.id, Some(child.id), &values(&[("x", "text")]), &mods)
        .await
        .unwrap();
    assert_eq!(grandchild.parent_id, Some(child.id));
    assert_eq!(grandchild.root_id, job.id);

    // Deleting a user removes their history (foreign keys cascade).
    let (foreign, foreign_cells) = store
        .create_job(other.id, None, &vals, &mods)
        .await
        .unwrap();
    store.delete_user(other.id).await.unwrap();
    assert!(
        job::Entity::find_by_id(foreign.id)
            .one(store.connection())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        job_cell::Entity::find_by_id(foreign_cells[0].id)
            .one(store.connection())
            .await
            .unwrap()
            .is_none()
    );
}
db_test!(jobs, jobs_and_cells);

async fn history_search_returns_trees(store: Store) {
    let me = store.create_user("me", GOOD_PASSWORD, true).await.unwrap();
    let you = store
        .create_user("you", GOOD_PASSWORD, false)
        .await
        .unwrap();
    let mods = modules(&["dns"]);
    let (a, _) = store
        .create_job(me.id, None, &values(&[("alpha.example", "domain")]), &mods)
        .await
        .unwrap();
    let (a1, _) = store
        .create_job(me.id, Some(a.id), &values(&[("10.0.0.1", "ip-dst")]), &mods)
        .await
        .unwrap();
    let (a2, _) = store
        .create_job(
            me.id,
            Some(a1.id),
            &values(&[("Needle_Value", "text")]),
            &mods,
        )
        .await
        .unwrap();
    let (b, _) = store
        .create_job(me.id, None, &values(&[("beta.example", "domain")]), &mods)
        .await
        .unwrap();
    let (c, _) = store
        .create_job(me.id, None, &values(&[("100%", "text")]), &mods)
        .await
        .unwrap();
    // Someone else's job with the same value is never shown.
    let (_theirs, _) = store
        .create_job(you.id, None, &values(&[("needle_value", "text")]), &mods)
        .await
        .unwrap();

    let ids = |jobs: Vec<JobRecord>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();

    // Newest first.
    assert_eq!(
        ids(store.history(me.id, None).await.unwrap()),
        [c.id, b.id, a2.id, a1.id, a.id]
    );
    assert_eq!(
        ids(store.history(me.id, Some("   ")).await.unwrap()),
        [c.id, b.id, a2.id, a1.id, a.id]
    );
    // A match deep in a tree brings the whole tree; case-insensitive.
    assert_eq!(
        ids(store.history(me.id, Some("NEEDLE")).await.unwrap()),
        [a2.id, a1.id, a.id]
    );
    assert_eq!(
        ids(store.history(me.id, Some("alpha")).await.unwrap()),
        [a2.id, a1.id, a.id]
    );
    assert_eq!(
        ids(store.history(me.id, Some("beta.EX")).await.unwrap()),
        [b.id]
    );
    // LIKE wildcards are literal.
    assert_eq!(ids(store.history(me.id, Some("%")).await.unwrap()), [c.id]);
    assert_eq!(
        ids(store.history(me.id, Some("needle_")).await.unwrap()),
        [a2.id, a1.id, a.id]
    );
    assert_eq!(
        ids(store.history(me.id, Some("e_v")).await.unwrap()),
        [a2.id, a1.id, a.id]
    );
    assert_eq!(
        ids(store.history(me.id, Some("a_p")).await.unwrap()),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(store.history(me.id, Some("nothing")).await.unwrap()),
        Vec::<i64>::new()
    );
    // The other user sees only their own.
    assert_eq!(
        store.history(you.id, Some("alpha")).await.unwrap(),
        Vec::new()
    );
    assert_eq!(store.history(you.id, None).await.unwrap().len(), 1);
}
db_test!(history, history_search_returns_trees);

async fn deleting_a_job_takes_its_subtree(store: Store) {
    let owner = store
        .create_user("owner", GOOD_PASSWORD, false)
        .await
        .unwrap();
    let other = store
        .create_user("other", OTHER_PASSWORD, false)
        .await
        .unwrap();
    let v = values(&[("example.com", "domain")]);
    let m = modules(&["countrycode"]);
    let (root, _) = store.create_job(owner.id, None, &v, &m).await.unwrap();
    let (child, _) = store
        .create_job(owner.id, Some(root.id), &v, &m)
        .await
        .unwrap();
    let (grandchild, _) = store
        .create_job(owner.id, Some(child.id), &v, &m)
        .await
        .unwrap();
    let (sibling, _) = store
        .create_job(owner.id, Some(root.id), &v, &m)
        .await
        .unwrap();

    assert!(
        !store.delete_job(child.id, other.id).await.unwrap(),
        "not theirs"
    );
    assert!(store.delete_job(child.id, owner.id).await.unwrap());
    let left: Vec<i64> = store
        .history(owner.id, None)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert!(left.contains(&root.id) && left.contains(&sibling.id));
    assert!(!left.contains(&child.id) && !left.contains(&grandchild.id));
    assert!(store.job(grandchild.id, owner.id).await.unwrap().is_none());
    assert!(
        !store.delete_job(child.id, owner.id).await.unwrap(),
        "already gone"
    );
}
db_test!(delete_job, deleting_a_job_takes_its_subtree);

async fn history_limit_deletes_oldest_trees(store: Store) {
    let me = store.create_user("me", GOOD_PASSWORD, true).await.unwrap();
    let you = store
        .create_user("you", GOOD_PASSWORD, false)
        .await
        .unwrap();
    let mods = modules(&["dns", "whois"]);
    let v = values(&[("v", "text")]);
    // Tree A: root at 100, child at 300 (the newest job of all).
    let (a, _) = store.create_job(me.id, None, &v, &mods).await.unwrap();
    let (b, b_cells) = store.create_job(me.id, None, &v, &mods).await.unwrap();
    let (c, _) = store.create_job(me.id, None, &v, &mods).await.unwrap();
    let (a1, _) = store
        .create_job(me.id, Some(a.id), &v, &mods)
        .await
        .unwrap();
    let (d, _) = store.create_job(me.id, None, &v, &mods).await.unwrap();
    let (theirs, _) = store.create_job(you.id, None, &v, &mods).await.unwrap();
    set_created_at(&store, a.id, 100).await;
    set_created_at(&store, b.id, 200).await;
    set_created_at(&store, c.id, 250).await;
    set_created_at(&store, d.id, 260).await;
    set_created_at(&store, a1.id, 300).await;
    set_created_at(&store, theirs.id, 50).await;

    let ids = |jobs: Vec<JobRecord>| {
        let mut ids: Vec<i64> = jobs.into_iter().map(|j| j.id).collect();
        ids.sort_unstable();
        ids
    };
    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        v
    };

    // Within the limit: nothing happens.
    store.enforce_history_limit(me.id, 5).await.unwrap();
    assert_eq!(store.history(me.id, None).await.unwrap().len(), 5);

    // Limit 4: the oldest tree is A but it holds the newest job, so B goes.
    store.enforce_history_limit(me.id, 4).await.unwrap();
    assert_eq!(
        ids(store.history(me.id, None).await.unwrap()),
        sorted(vec![a.id, a1.id, c.id, d.id])
    );
    // The deleted job's cells went with it.
    assert!(
        job_cell::Entity::find_by_id(b_cells[0].id)
            .one(store.connection())
            .await
            .unwrap()
            .is_none()
    );

    // Limit 2: C then D go; A (2 jobs) stays.
    store.enforce_history_limit(me.id, 2).await.unwrap();
    assert_eq!(
        ids(store.history(me.id, None).await.unwrap()),
        sorted(vec![a.id, a1.id])
    );

    // Limit 1: the only tree left holds the newest job, so it stays whole.
    store.enforce_history_limit(me.id, 1).await.unwrap();
    assert_eq!(store.history(me.id, None).await.unwrap().len(), 2);

    // Another user's history is untouched.
    assert_eq!(ids(store.history(you.id, None).await.unwrap()), [theirs.id]);
}
db_test!(history_limit, history_limit_deletes_oldest_trees);

async fn pending_cells_are_interrupted(store: Store) {
    let me = store.create_user("me", GOOD_PASSWORD, true).await.unwrap();
    let (job, cells) = store
        .create_job(
            me.id,
            None,
            &values(&[("a", "text"), ("b", "text")]),
            &modules(&["m1", "m2"]),
        )
        .await
        .unwrap();
    store
        .finish_cell(cells[0].id, CellOutcome::Done("{}".into()))
        .await
        .unwrap();
    // What a stopping server was running: only those cells, and only pending ones.
    assert_eq!(
        store
            .interrupt_cells(&[cells[0].id, cells[1].id])
            .await
            .unwrap(),
        1
    );
    // Cells started now are not stale for a cut-off in the past...
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(store.interrupt_stale(now - 60).await.unwrap(), 0);
    // ...and are for one in the future.
    assert_eq!(store.interrupt_stale(now + 60).await.unwrap(), 2);
    assert_eq!(store.interrupt_stale(now + 60).await.unwrap(), 0);
    let (_, cells) = store.job(job.id, me.id).await.unwrap().unwrap();
    assert_eq!(cells[0].status, CellStatus::Done);
    assert_eq!(cells[0].error, None);
    for cell in &cells[1..] {
        assert_eq!(cell.status, CellStatus::Failed);
        assert_eq!(cell.error.as_deref(), Some(INTERRUPTED_MESSAGE));
    }
}
db_test!(interrupt, pending_cells_are_interrupted);

async fn failed_cells_can_be_retried(store: Store) {
    let me = store.create_user("me", GOOD_PASSWORD, true).await.unwrap();
    let you = store
        .create_user("you", GOOD_PASSWORD, false)
        .await
        .unwrap();
    let (job, cells) = store
        .create_job(
            me.id,
            None,
            &values(&[("a", "text")]),
            &modules(&["m1", "m2", "m3"]),
        )
        .await
        .unwrap();
    store
        .finish_cell(cells[0].id, CellOutcome::Done("{\"results\":[]}".into()))
        .await
        .unwrap();
    store
        .finish_cell(cells[1].id, CellOutcome::Failed("boom".into()))
        .await
        .unwrap();
    // Another user cannot restart my job.
    assert!(matches!(
        store.retry_failed(job.id, you.id).await,
        Err(StoreError::NotFound(_))
    ));
    let restarted = store.retry_failed(job.id, me.id).await.unwrap();
    assert_eq!(restarted.len(), 1);
    assert_eq!(restarted[0].id, cells[1].id);
    assert_eq!(restarted[0].status, CellStatus::Pending);
    // Nothing is failed any more, so a second retry takes nothing.
    assert!(store.retry_failed(job.id, me.id).await.unwrap().is_empty());
    let (_, now_cells) = store.job(job.id, me.id).await.unwrap().unwrap();
    assert_eq!(now_cells[0].status, CellStatus::Done);
    assert_eq!(
        now_cells[0].result_json.as_deref(),
        Some("{\"results\":[]}")
    );
    assert_eq!(now_cells[1].status, CellStatus::Pending);
    assert_eq!(now_cells[1].error, None);
    assert_eq!(now_cells[2].status, CellStatus::Pending);
    store
        .finish_cell(cells[1].id, CellOutcome::Done("{}".into()))
        .await
        .unwrap();
}
db_test!(retry, failed_cells_can_be_retried);

async fn module_states(store: Store) {
    assert!(store.disabled_modules().await.unwrap().is_empty());
    store.set_module_enabled("dns", false).await.unwrap();
    store.set_module_enabled("whois", false).await.unwrap();
    store.set_module_enabled("whois", false).await.unwrap();
    store.set_module_enabled("shodan", true).await.unwrap();
    let disabled = store.disabled_modules().await.unwrap();
    assert_eq!(
        disabled,
        HashSet::from(["dns".to_string(), "whois".to_string()])
    );
    store.set_module_enabled("dns", true).await.unwrap();
    assert_eq!(
        store.disabled_modules().await.unwrap(),
        HashSet::from(["whois".to_string()])
    );
    assert!(matches!(
        store.set_module_enabled("", false).await,
        Err(StoreError::Invalid(_))
    ));
}
db_test!(modules_enabled, module_states);

async fn settings_are_encrypted(store: Store) {
    const SENTINEL: &str = "SENTINEL-4c1d9a7e-key";
    store
        .set_setting("virustotal", "apikey", Some(SENTINEL))
        .await
        .unwrap();
    store
        .set_setting("shodan", "apikey", Some("shodan-value"))
        .await
        .unwrap();
    store
        .set_setting("virustotal", "event_limit", Some("5"))
        .await
        .unwrap();

    // The raw columns hold a nonce and a ciphertext, never the value.
    let rows = module_setting::Entity::find()
        .all(store.connection())
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for row in &rows {
        assert_eq!(row.nonce.len(), secrets::NONCE_LEN);
        assert!(
            !row.ciphertext
                .windows(SENTINEL.len())
                .any(|w| w == SENTINEL.as_bytes())
        );
        assert!(!row.ciphertext.windows(12).any(|w| w == b"shodan-value"));
    }

    assert_eq!(
        store.settings().await.unwrap(),
        [
            ("shodan".into(), "apikey".into(), "shodan-value".into()),
            ("virustotal".into(), "apikey".into(), SENTINEL.into()),
            ("virustotal".into(), "event_limit".into(), "5".into()),
        ]
    );

    // Overwrite, then delete with None and with "".
    store
        .set_setting("shodan", "apikey", Some("new-shodan-value"))
        .await
        .unwrap();
    let settings = store.settings().await.unwrap();
    assert!(settings.contains(&("shodan".into(), "apikey".into(), "new-shodan-value".into())));
    assert_eq!(settings.len(), 3);
    store.set_setting("shodan", "apikey", None).await.unwrap();
    store
        .set_setting("virustotal", "event_limit", Some(""))
        .await
        .unwrap();
    store.set_setting("nothing", "here", None).await.unwrap();

    let presence = store.settings_presence().await.unwrap();
    assert_eq!(
        presence,
        HashMap::from([("virustotal".to_string(), vec!["apikey".to_string()])])
    );
    assert!(!format!("{presence:?}").contains(SENTINEL));

    // A ciphertext moved to another key does not decrypt there.
    let original =
        module_setting::Entity::find_by_id(("virustotal".to_string(), "apikey".to_string()))
            .one(store.connection())
            .await
            .unwrap()
            .unwrap();
    module_setting::Entity::insert(module_setting::ActiveModel {
        module: Set("virustotal".into()),
        key: Set("stolen".into()),
        nonce: Set(original.nonce.clone()),
        ciphertext: Set(original.ciphertext.clone()),
    })
    .exec_without_returning(store.connection())
    .await
    .unwrap();
    assert_eq!(
        store.settings().await.unwrap(),
        [("virustotal".into(), "apikey".into(), SENTINEL.into())]
    );

    // Another SECRET_KEY reads nothing, and says so without failing.
    let other = Store {
        db: store.connection().clone(),
        cipher: SettingsCipher::from_secret(OTHER_SECRET),
    };
    assert_eq!(other.settings().await.unwrap(), Vec::new());
    assert!(other.settings_presence().await.unwrap().is_empty());
    // Writing with the new secret replaces the unreadable value.
    other
        .set_setting("virustotal", "apikey", Some("fresh"))
        .await
        .unwrap();
    assert_eq!(
        other.settings().await.unwrap(),
        [("virustotal".into(), "apikey".into(), "fresh".into())]
    );

    assert!(matches!(
        store.set_setting("", "k", Some("v")).await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        store.set_setting("m", "", Some("v")).await,
        Err(StoreError::Invalid(_))
    ));
}
db_test!(settings, settings_are_encrypted);

#[test]
fn sqlite_urls_create_the_file() {
    assert_eq!(normalize_url("sqlite://ui.db"), "sqlite://ui.db?mode=rwc");
    assert_eq!(
        normalize_url("sqlite://ui.db?cache=shared"),
        "sqlite://ui.db?cache=shared&mode=rwc"
    );
    assert_eq!(
        normalize_url("sqlite://ui.db?mode=ro"),
        "sqlite://ui.db?mode=ro"
    );
    assert_eq!(normalize_url("sqlite::memory:"), "sqlite::memory:");
    assert_eq!(
        normalize_url("postgres://u@localhost/db"),
        "postgres://u@localhost/db"
    );
}

#[tokio::test]
async fn sqlite_file_is_created_and_reopened() {
    let dir = std::env::temp_dir().join(format!("store-test-{:016x}", rand::random::<u64>()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("ui.db");
    let url = format!("sqlite://{}", path.display());
    let store = Store::connect(&url, SettingsCipher::from_secret(SECRET))
        .await
        .unwrap();
    assert!(path.exists());
    store
        .create_user("admin1", GOOD_PASSWORD, true)
        .await
        .unwrap();
    store.connection().clone().close().await.unwrap();
    // Migrations run again on an existing database without harm.
    let store = Store::connect(&url, SettingsCipher::from_secret(SECRET))
        .await
        .unwrap();
    assert_eq!(store.user_count().await.unwrap(), 1);
    store.connection().clone().close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn url_passwords_are_found() {
    assert_eq!(
        url_password("postgres://u:p%40ss@h:5432/db"),
        Some("p%40ss")
    );
    assert_eq!(url_password("postgres://u:a:b@h/db?x=@"), Some("a:b"));
    assert_eq!(url_password("postgres://u@h/db"), None);
    assert_eq!(url_password("postgres://h/db?user=x@y"), None);
    assert_eq!(url_password("sqlite::memory:"), None);
}

#[test]
fn errors_carry_no_secrets() {
    let text = StoreError::Invalid("the password is too common; choose another one").to_string();
    assert!(!text.contains(GOOD_PASSWORD));
    assert_eq!(StoreError::Hash.to_string(), "password hashing failed");
}

#[tokio::test]
async fn connection_errors_do_not_echo_the_password() {
    let mut options =
        sea_orm::ConnectOptions::new("postgres://someone:SENTINEL-pw-77@127.0.0.1:1/nothing");
    options.acquire_timeout(std::time::Duration::from_secs(2));
    let err = Store::connect_with(options, SettingsCipher::from_secret(SECRET))
        .await
        .unwrap_err();
    let text = format!("{err} / {err:?}");
    assert!(matches!(err, StoreError::Connect(_)), "{text}");
    assert!(!text.contains("SENTINEL-pw-77"), "{text}");
    let err = Store::connect(
        "nosuchdb://user:SENTINEL-pw-77@host/db",
        SettingsCipher::from_secret(SECRET),
    )
    .await
    .unwrap_err();
    let text = format!("{err} / {err:?}");
    assert!(!text.contains("SENTINEL-pw-77"), "{text}");
}
