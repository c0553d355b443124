//! Following a session from another machine: the store's copy of its
//! journal is mirrored into a local file (the same lines), kept up to date
//! as the operator's shipper writes records (LISTEN/NOTIFY: a record is
//! fetched when the store says one arrived, never on a polling loop), and
//! the replay UI follows that file as it follows any growing journal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio_postgres::Client;

use super::schema::why;
use super::ship::CHANNEL;

/// Which session to follow.
#[derive(Debug, Clone)]
pub enum Which {
    /// The newest session not ended.
    Latest,
    /// By its journal's name (or a prefix of its id).
    Session(String),
    /// The newest session of this runbook on this target.
    Runbook { runbook: PathBuf, target: String },
}

/// The session's id and its journal's name.
pub async fn find(client: &Client, which: &Which) -> Result<(String, String), String> {
    let row = match which {
        Which::Latest => {
            client
                .query_opt(
                    "SELECT id, name FROM runsheet.sessions WHERE NOT ended
                     ORDER BY coalesce(last_at, started_at) DESC LIMIT 1",
                    &[],
                )
                .await
        }
        Which::Session(name) => {
            client
                .query_opt(
                    "SELECT id, name FROM runsheet.sessions
                     WHERE name = $1 OR id LIKE $1 || '%'
                     ORDER BY started_at DESC LIMIT 1",
                    &[name],
                )
                .await
        }
        Which::Runbook { runbook, target } => {
            let slug = crate::journal::paths::runbook_slug(runbook);
            client
                .query_opt(
                    "SELECT id, name FROM runsheet.sessions
                     WHERE name LIKE $1 || '--' || $2 || '--%'
                     ORDER BY started_at DESC LIMIT 1",
                    &[&slug, target],
                )
                .await
        }
    }
    .map_err(|e| why(&e))?;
    row.map(|r| (r.get(0), r.get(1)))
        .ok_or_else(|| match which {
            Which::Latest => {
                "the store has no session running: `runsheet store status` lists them".to_string()
            }
            Which::Session(n) => {
                format!("the store has no session named {n}: `runsheet store status` lists them")
            }
            Which::Runbook { runbook, target } => format!(
                "the store has no session of {} on target `{target}`",
                runbook.display()
            ),
        })
}

/// Where a followed session is mirrored on this machine.
pub fn mirror_path(name: &str) -> Result<PathBuf, String> {
    let dir = crate::journal::paths::journal_dir().map_err(|e| e.to_string())?;
    let dir = dir.with_file_name("followed");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir.join(format!("{name}.jsonl")))
}

/// Appends to the mirror the records from `have` on; how many it has now.
async fn catch_up(client: &Client, id: &str, mirror: &Path, have: u64) -> Result<u64, String> {
    let rows = client
        .query(
            "SELECT line FROM runsheet.records WHERE session_id = $1 AND seq >= $2 ORDER BY seq",
            &[&id, &i64::try_from(have).unwrap_or(i64::MAX)],
        )
        .await
        .map_err(|e| why(&e))?;
    if rows.is_empty() {
        return Ok(have);
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(mirror)
        .map_err(|e| format!("cannot write {}: {e}", mirror.display()))?;
    let mut text = String::new();
    for r in &rows {
        text.push_str(r.get::<_, &str>(0));
        text.push('\n');
    }
    file.write_all(text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", mirror.display()))?;
    Ok(have + rows.len() as u64)
}

/// Starts the mirror in this machine's data folder ([`mirror_path`]).
pub fn start(conninfo: &str, which: &Which) -> Result<PathBuf, String> {
    start_in(conninfo, which, None)
}

/// Starts the mirror: the whole session so far, before the UI opens; then
/// a thread keeps it up to date until the process ends. `into` overrides
/// where the mirror is written.
pub fn start_in(conninfo: &str, which: &Which, into: Option<&Path>) -> Result<PathBuf, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start: {e}"))?;
    let (id, mirror, have, listening) = rt.block_on(async {
        let (client, notes) = super::connect_listening(conninfo).await?;
        super::schema::ready(&client).await?;
        let (id, name) = find(&client, which).await?;
        // Listening before the first copy: a record shipped in between is
        // announced, not lost.
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| why(&e))?;
        let mirror = match into {
            Some(p) => p.to_path_buf(),
            None => mirror_path(&name)?,
        };
        std::fs::write(&mirror, "")
            .map_err(|e| format!("cannot write {}: {e}", mirror.display()))?;
        let have = catch_up(&client, &id, &mirror, 0).await?;
        Ok::<_, String>((id, mirror, have, (client, notes)))
    })?;
    let conninfo = conninfo.to_string();
    let path = mirror.clone();
    std::thread::spawn(move || {
        rt.block_on(keep_up(conninfo, id, path, have, listening));
    });
    Ok(mirror)
}

/// Fetches what each notification announces; after a lost connection,
/// connects again (every 2 s) and fetches what it missed.
async fn keep_up(
    conninfo: String,
    id: String,
    mirror: PathBuf,
    mut have: u64,
    listening: (
        Client,
        tokio::sync::mpsc::UnboundedReceiver<tokio_postgres::Notification>,
    ),
) {
    let mut conn = Some(listening);
    loop {
        let Some((client, notes)) = conn.as_mut() else {
            tokio::time::sleep(Duration::from_secs(2)).await;
            conn = match super::connect_listening(&conninfo).await {
                Ok((client, notes)) => {
                    match client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
                        Ok(()) => Some((client, notes)),
                        Err(_) => None,
                    }
                }
                Err(_) => None,
            };
            if let Some((client, _)) = &conn {
                have = catch_up(client, &id, &mirror, have).await.unwrap_or(have);
            }
            continue;
        };
        match notes.recv().await {
            Some(n) if n.payload() == id => match catch_up(client, &id, &mirror, have).await {
                Ok(now) => have = now,
                Err(_) => conn = None,
            },
            Some(_) => {}
            None => conn = None,
        }
    }
}
