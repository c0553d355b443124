//! Four-eyes through the store. A gate that needs approvals publishes what
//! it shows (`approval_requests`); another person reads it with `runsheet
//! approve` and answers (`approvals`). Who answered is the store's word:
//! triggers set the approver to `session_user` whatever the insert says,
//! refuse the role that asked, refuse a closed request, and forbid editing
//! or deleting either table (schema migration 3). Each answer is announced
//! (`NOTIFY runsheet_approvals`) to the session waiting on it.
//!
//! The session's side is one task ([`Watcher`]): it keeps the gate's
//! request in the store (asked again after an outage), listens, and passes
//! each answer on once; the driver submits it to the engine, which adds
//! its own rules (one count per role, never the asker).

use std::collections::HashSet;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_postgres::Client;

use super::schema::why;

/// Where answers are announced; the payload is the request's id.
pub const CHANNEL: &str = "runsheet_approvals";

/// How long the watcher waits before it tries a lost store again.
const RETRY: Duration = Duration::from_secs(2);

/// What a gate asks the team to approve.
#[derive(Clone, Debug)]
pub struct Ask {
    pub session_id: String,
    pub session_name: String,
    pub step: String,
    pub step_title: String,
    pub target: String,
    pub needed: u32,
    /// The gate as the operator sees it, as plain text.
    pub description: String,
    pub host: String,
}

/// What the watcher passes on to the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The request is in the store.
    Asked {
        step: String,
        request: i64,
        requested_by: String,
    },
    Given {
        step: String,
        request: i64,
        approver: String,
        approve: bool,
        reason: String,
    },
    /// The store cannot be reached or refused the request: said once
    /// for each new reason.
    Trouble(String),
}

enum Cmd {
    Ask(Ask),
    /// The gate is no longer shown (passed, refused, denied, session over).
    Close(String),
}

/// The session's approval task.
pub struct Watcher {
    cmds: mpsc::UnboundedSender<Cmd>,
    answers: mpsc::UnboundedReceiver<Answer>,
    task: tokio::task::JoinHandle<()>,
}

impl Watcher {
    /// Starts the task; must be called within a Tokio runtime.
    pub fn start(conninfo: String) -> Watcher {
        let (cmds, rx) = mpsc::unbounded_channel();
        let (tx, answers) = mpsc::unbounded_channel();
        let task = tokio::spawn(watch(conninfo, rx, tx));
        Watcher {
            cmds,
            answers,
            task,
        }
    }

    /// Asks for the approvals of a gate now shown (closing any earlier
    /// request still open).
    pub fn ask(&self, ask: Ask) {
        let _ = self.cmds.send(Cmd::Ask(ask));
    }

    /// The gate asked about is gone: its request is closed.
    pub fn close(&self, why: &str) {
        let _ = self.cmds.send(Cmd::Close(why.to_string()));
    }

    /// The session is over: its open request is closed, waiting at most
    /// `wait` for the store.
    pub async fn finish(self, wait: Duration) {
        let _ = self.cmds.send(Cmd::Close("the session ended".into()));
        drop(self.cmds);
        let mut task = self.task;
        if tokio::time::timeout(wait, &mut task).await.is_err() {
            task.abort();
        }
    }

    /// The next answer; cancel-safe. Never resolves once the task ended.
    pub async fn next(&mut self) -> Answer {
        match self.answers.recv().await {
            Some(a) => a,
            None => std::future::pending().await,
        }
    }
}

/// The request being answered, once the store has it.
struct Open {
    ask: Ask,
    request: Option<i64>,
    seen: HashSet<i64>,
}

async fn watch(
    conninfo: String,
    mut cmds: mpsc::UnboundedReceiver<Cmd>,
    tx: mpsc::UnboundedSender<Answer>,
) {
    let mut open: Option<Open> = None;
    // Requests to close once the store answers: (id, why).
    let mut to_close: Vec<(i64, String)> = Vec::new();
    let mut said: Option<String> = None;
    let trouble = |said: &mut Option<String>, e: String| {
        if said.as_deref() != Some(e.as_str()) {
            let _ = tx.send(Answer::Trouble(e.clone()));
            *said = Some(e);
        }
    };
    loop {
        // Nothing to do until a gate asks.
        if open.is_none() && to_close.is_empty() {
            match cmds.recv().await {
                Some(cmd) => apply(cmd, &mut open, &mut to_close),
                None => return,
            }
            continue;
        }
        let (client, mut notes) = match super::connect_listening(&conninfo).await {
            Ok(c) => c,
            Err(e) => {
                trouble(&mut said, e);
                if !wait_or_cmd(&mut cmds, &mut open, &mut to_close).await {
                    return;
                }
                continue;
            }
        };
        if let Err(e) = client.batch_execute(&format!("LISTEN {CHANNEL}")).await {
            trouble(&mut said, why(&e));
            if !wait_or_cmd(&mut cmds, &mut open, &mut to_close).await {
                return;
            }
            continue;
        }
        // Connected: serve until the connection is lost.
        loop {
            if let Err(e) = round(&client, &mut open, &mut to_close, &tx).await {
                trouble(&mut said, e);
                break;
            }
            said = None;
            tokio::select! {
                cmd = cmds.recv() => match cmd {
                    Some(cmd) => apply(cmd, &mut open, &mut to_close),
                    None => {
                        // The session is over: close what it asked.
                        apply(Cmd::Close("the session ended".into()), &mut open, &mut to_close);
                        let _ = round(&client, &mut open, &mut to_close, &tx).await;
                        return;
                    }
                },
                n = notes.recv() => if n.is_none() { break },
                // A notification lost with a connection the server reset.
                () = tokio::time::sleep(Duration::from_secs(30)) => {}
            }
        }
        if !wait_or_cmd(&mut cmds, &mut open, &mut to_close).await {
            return;
        }
    }
}

fn apply(cmd: Cmd, open: &mut Option<Open>, to_close: &mut Vec<(i64, String)>) {
    let why = match &cmd {
        Cmd::Ask(_) => "the gate was shown again".to_string(),
        Cmd::Close(why) => why.clone(),
    };
    if let Some(id) = open.take().and_then(|o| o.request) {
        to_close.push((id, why));
    }
    if let Cmd::Ask(ask) = cmd {
        *open = Some(Open {
            ask,
            request: None,
            seen: HashSet::new(),
        });
    }
}

/// Waits before trying the store again, taking the session's commands
/// meanwhile; false once the session is over.
async fn wait_or_cmd(
    cmds: &mut mpsc::UnboundedReceiver<Cmd>,
    open: &mut Option<Open>,
    to_close: &mut Vec<(i64, String)>,
) -> bool {
    let sleep = tokio::time::sleep(RETRY);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return true,
            cmd = cmds.recv() => match cmd {
                Some(cmd) => apply(cmd, open, to_close),
                None => return false,
            },
        }
    }
}

/// Closes what is to close, asks what is not asked yet, and passes on the
/// answers not seen yet.
async fn round(
    client: &Client,
    open: &mut Option<Open>,
    to_close: &mut Vec<(i64, String)>,
    tx: &mpsc::UnboundedSender<Answer>,
) -> Result<(), String> {
    while let Some((id, why_closed)) = to_close.first().cloned() {
        client
            .execute(
                "UPDATE runsheet.approval_requests SET closed_why = $2
                 WHERE id = $1 AND closed_at IS NULL",
                &[&id, &why_closed],
            )
            .await
            .map_err(|e| why(&e))?;
        to_close.remove(0);
    }
    let Some(o) = open.as_mut() else {
        return Ok(());
    };
    let request = match o.request {
        Some(id) => id,
        None => {
            let a = &o.ask;
            let row = client
                .query_one(
                    "INSERT INTO runsheet.approval_requests
                       (session_id, session_name, step, step_title, target, needed, description, host)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     RETURNING id, requested_by",
                    &[
                        &a.session_id,
                        &a.session_name,
                        &a.step,
                        &a.step_title,
                        &a.target,
                        &i32::try_from(a.needed).unwrap_or(i32::MAX),
                        &a.description,
                        &a.host,
                    ],
                )
                .await
                .map_err(|e| why(&e))?;
            let id: i64 = row.get(0);
            o.request = Some(id);
            let _ = tx.send(Answer::Asked {
                step: a.step.clone(),
                request: id,
                requested_by: row.get(1),
            });
            id
        }
    };
    let rows = client
        .query(
            "SELECT id, approver, approve, reason FROM runsheet.approvals
             WHERE request_id = $1 ORDER BY id",
            &[&request],
        )
        .await
        .map_err(|e| why(&e))?;
    for r in rows {
        let id: i64 = r.get(0);
        if o.seen.insert(id) {
            let _ = tx.send(Answer::Given {
                step: o.ask.step.clone(),
                request,
                approver: r.get(1),
                approve: r.get(2),
                reason: r.get(3),
            });
        }
    }
    Ok(())
}

/// An open request, as the approver is shown it.
#[derive(Clone, Debug)]
pub struct Request {
    pub id: i64,
    pub session_name: String,
    pub step: String,
    pub step_title: String,
    pub target: String,
    pub needed: i32,
    pub description: String,
    pub host: String,
    pub requested_by: String,
    pub asked_at: String,
    /// Approvals it has so far, by role.
    pub approved_by: Vec<String>,
}

/// The open requests, oldest first: of the session named (its journal's
/// name, or a prefix of its id) or of every session.
pub async fn open_requests(client: &Client, session: Option<&str>) -> Result<Vec<Request>, String> {
    let rows = client
        .query(
            "SELECT r.id, r.session_name, r.step, r.step_title, r.target, r.needed,
                    r.description, r.host, r.requested_by,
                    to_char(r.asked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS \"UTC\"'),
                    coalesce(array_agg(a.approver ORDER BY a.id) FILTER (WHERE a.approve), '{}')
             FROM runsheet.approval_requests r
             LEFT JOIN runsheet.approvals a ON a.request_id = r.id
             WHERE r.closed_at IS NULL
               AND ($1::text IS NULL OR r.session_name = $1 OR r.session_id LIKE $1 || '%')
             GROUP BY r.id ORDER BY r.id",
            &[&session],
        )
        .await
        .map_err(|e| why(&e))?;
    Ok(rows
        .iter()
        .map(|r| Request {
            id: r.get(0),
            session_name: r.get(1),
            step: r.get(2),
            step_title: r.get(3),
            target: r.get(4),
            needed: r.get(5),
            description: r.get(6),
            host: r.get(7),
            requested_by: r.get(8),
            asked_at: r.get(9),
            approved_by: r.get(10),
        })
        .collect())
}

/// Records this role's answer to a request. The store refuses the role
/// that asked, a closed request, and a second answer by the same role.
pub async fn answer(
    client: &Client,
    request: i64,
    approve: bool,
    reason: &str,
    host: &str,
) -> Result<String, String> {
    let row = client
        .query_one(
            "INSERT INTO runsheet.approvals (request_id, approve, reason, host)
             VALUES ($1, $2, $3, $4) RETURNING approver",
            &[&request, &approve, &reason, &host],
        )
        .await
        .map_err(|e| match e.as_db_error() {
            Some(db) if db.code().code() == "23505" => {
                "you have answered this request already: each person answers once".to_string()
            }
            _ => why(&e),
        })?;
    Ok(row.get(0))
}
