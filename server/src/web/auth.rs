//! Who is signed in. The session holds only the user's id and when they signed in; the
//! user is read from the database on each request, so a deleted user loses access at once.

use tower_sessions::Session;

use super::WebContext;
use crate::store::UserRecord;

const USER_ID: &str = "user_id";
const SIGNED_IN_AT: &str = "signed_in_at";
/// A session ends this long after sign-in, however active (the idle timeout is the
/// session cookie's expiry).
const ABSOLUTE_LIFETIME_SECONDS: i64 = 24 * 3600;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

pub async fn current_user(web: &WebContext, session: &Session) -> Option<UserRecord> {
    let id: i64 = session.get(USER_ID).await.ok()??;
    let since: i64 = session.get(SIGNED_IN_AT).await.ok()??;
    if now() - since > ABSOLUTE_LIFETIME_SECONDS {
        let _ = session.flush().await;
        return None;
    }
    web.store.user(id).await.ok()?
}

/// Starts a signed-in session under a new id, so an id planted before sign-in is useless.
pub async fn sign_in(
    session: &Session,
    user: &UserRecord,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    session.insert(SIGNED_IN_AT, now()).await?;
    Ok(())
}

/// Ends the session on the server: its record is deleted, the cookie becomes worthless.
pub async fn sign_out(session: &Session) {
    if let Err(error) = session.flush().await {
        tracing::warn!("could not delete a session: {error}");
    }
}
