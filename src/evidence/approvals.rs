//! The approvals the team store holds for a session, as what a signature
//! covers: their count and one SHA-256 over them, so a signature made with
//! them fails once one is added, removed or changed.
//!
//! The approvals are four-eyes' (`store::approvals`): every answer to every
//! request of the session, each with its request, as PostgreSQL's
//! canonical `jsonb` text, sorted. A store without the tables has no
//! approvals; one whose tables cannot be read is an error, never "none": a
//! signature must not silently leave them out.

use sha2::{Digest, Sha256};
use tokio_postgres::Client;

use crate::store::schema::why;

/// What a signature says of the session's approvals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approvals {
    pub count: u64,
    /// Hex SHA-256 of the rows' text, each followed by a newline.
    pub digest: String,
}

impl Approvals {
    /// The line of the signed statement.
    pub fn line(&self) -> String {
        format!("approvals {} sha256:{}", self.count, self.digest)
    }
}

/// The session's approvals in the store; `None` when the store has no
/// approvals table, or none for this session.
pub async fn of_session(client: &Client, session_id: &str) -> Result<Option<Approvals>, String> {
    let exists: bool = client
        .query_one("SELECT to_regclass('runsheet.approvals') IS NOT NULL", &[])
        .await
        .map_err(|e| why(&e))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let rows = client
        .query(
            "SELECT (to_jsonb(a) || jsonb_build_object('request', to_jsonb(r)))::text
             FROM runsheet.approvals a
             JOIN runsheet.approval_requests r ON r.id = a.request_id
             WHERE r.session_id = $1 ORDER BY 1",
            &[&session_id],
        )
        .await
        .map_err(|e| format!("the store's approvals cannot be read: {}", why(&e)))?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut hash = Sha256::new();
    for row in &rows {
        let text: String = row.get(0);
        hash.update(text.as_bytes());
        hash.update(b"\n");
    }
    Ok(Some(Approvals {
        count: rows.len() as u64,
        digest: hex::encode(hash.finalize()),
    }))
}
