//! One live session per runbook and target for the whole team: the lock
//! is a row in the store, next to each machine's own lock file. Its holder
//! renews it while the session lives (the shipper's rounds); one that has
//! not been renewed for [`STALE`] belongs to a session that died or lost
//! the store, and is taken over by a resume of that session or by
//! `runsheet unlock`, as a machine's stale lock is.

use std::time::Duration;
use tokio_postgres::Client;

use super::schema::why;

/// A lock not renewed for this long is stale.
pub const STALE: Duration = Duration::from_secs(30);

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub session_id: String,
    pub host: String,
    pub pid: i32,
    pub holder: String,
    pub since: String,
    pub stale: bool,
}

/// What taking the lock found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// Ours now (or already, on a resume).
    Held,
    /// Another session's, alive.
    Busy(Holder),
    /// Another session's that stopped renewing it.
    Stale(Holder),
}

/// Takes the team's lock on `runbook` and `target` for `session_id`: free,
/// already this session's, or left stale by this very session (a resume
/// after a crash) are taken; another session's is not.
pub async fn take(
    client: &Client,
    runbook: &str,
    target: &str,
    session_id: &str,
) -> Result<Taken, String> {
    let host = crate::journal::lock::hostname();
    let pid = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let stale = i64::try_from(STALE.as_secs()).unwrap_or(30);
    // Free, or this session's: one statement, so two machines racing for
    // a free lock cannot both win.
    let won = client
        .execute(
            "INSERT INTO runsheet.locks (runbook, target, session_id, host, pid)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (runbook, target) DO UPDATE
             SET host = EXCLUDED.host, pid = EXCLUDED.pid, holder = session_user,
                 taken_at = now(), beat_at = now()
             WHERE runsheet.locks.session_id = EXCLUDED.session_id",
            &[&runbook, &target, &session_id, &host, &pid],
        )
        .await
        .map_err(|e| why(&e))?;
    if won == 1 {
        return Ok(Taken::Held);
    }
    let row = client
        .query_opt(
            "SELECT session_id, host, pid, holder,
                    to_char(taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || ' UTC',
                    beat_at < now() - make_interval(secs => $3)
             FROM runsheet.locks WHERE runbook = $1 AND target = $2",
            &[&runbook, &target, &(stale as f64)],
        )
        .await
        .map_err(|e| why(&e))?;
    let Some(r) = row else {
        // Released in between: try once more.
        return Box::pin(take(client, runbook, target, session_id)).await;
    };
    let h = Holder {
        session_id: r.get(0),
        host: r.get(1),
        pid: r.get(2),
        holder: r.get(3),
        since: r.get(4),
        stale: r.get(5),
    };
    Ok(if h.stale {
        Taken::Stale(h)
    } else {
        Taken::Busy(h)
    })
}

/// Renews this session's lock; false when it is no longer ours.
pub async fn renew(client: &Client, session_id: &str) -> Result<bool, String> {
    let n = client
        .execute(
            "UPDATE runsheet.locks SET beat_at = now() WHERE session_id = $1",
            &[&session_id],
        )
        .await
        .map_err(|e| why(&e))?;
    Ok(n > 0)
}

/// Lets go of this session's lock.
pub async fn release(client: &Client, session_id: &str) -> Result<(), String> {
    client
        .execute(
            "DELETE FROM runsheet.locks WHERE session_id = $1",
            &[&session_id],
        )
        .await
        .map_err(|e| why(&e))?;
    Ok(())
}

/// Removes a stale lock (`runsheet unlock`); a live one is refused.
pub async fn clear_stale(client: &Client, runbook: &str, target: &str) -> Result<bool, String> {
    let stale = STALE.as_secs_f64();
    let n = client
        .execute(
            "DELETE FROM runsheet.locks
             WHERE runbook = $1 AND target = $2 AND beat_at < now() - make_interval(secs => $3)",
            &[&runbook, &target, &stale],
        )
        .await
        .map_err(|e| why(&e))?;
    Ok(n > 0)
}

impl Holder {
    /// Why a session cannot start while this one holds the lock.
    pub fn refusal(&self, runbook: &str, target: &str) -> String {
        if self.stale {
            format!(
                "the team's store has a lock on {runbook} for target `{target}` from a session that stopped renewing it (pid {} on {}, as {}, since {}): it died or lost the store. Resume that session (`runsheet resume` on {}), or clear the lock with `runsheet unlock` if it must not be continued",
                self.pid, self.host, self.holder, self.since, self.host
            )
        } else {
            format!(
                "another session of this runbook is running on target `{target}` for the team: pid {} on {}, as {}, since {}; wait for it to finish or ask its operator (two sessions must not act on the same target at once)",
                self.pid, self.host, self.holder, self.since
            )
        }
    }
}
