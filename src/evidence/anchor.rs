//! The local journal against the team store's copy, byte for byte: the
//! store got each record as it was written, from the operator's shipper,
//! so a record edited afterwards with every later hash recomputed, or a
//! journal cut at a record boundary, no longer matches it.
//!
//! Both are read a line at a time (the store's as a row stream in `seq`
//! order), so a journal of any size is compared in little memory.

use std::io::BufRead;
use std::path::Path;

use futures::StreamExt;
use tokio_postgres::Client;

use crate::store::schema::why;

/// What the comparison found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// The same lines, all of them.
    Identical { records: u64 },
    /// Record `seq` is not the same bytes; the excerpts show where.
    Differs {
        seq: u64,
        local: String,
        store: String,
    },
    /// The local journal has records `from..=to` that the store lacks.
    StoreLacks { from: u64, to: u64 },
    /// The store has records `from..=to` that the local journal lacks.
    LocalLacks { from: u64, to: u64 },
    /// The store knows no session whose first record is this journal's.
    Unknown {
        /// A session of the same name, with another first record: line 1
        /// was edited (`seq` 0 differs), as far as the store can tell.
        same_name: Option<String>,
    },
}

impl Anchor {
    /// Whether the store vouches for the whole local journal.
    pub fn identical(&self) -> bool {
        matches!(self, Anchor::Identical { .. })
    }

    /// One line for `verify`, naming the first record that differs.
    pub fn describe(&self, journal: &Path) -> String {
        match self {
            Anchor::Identical { records } => {
                format!("identical to the store's copy ({records} records)")
            }
            Anchor::Differs { seq, local, store } => format!(
                "DIFFERS from the store's copy at record seq {seq} (line {}):\n  local: {local}\n  store: {store}",
                seq + 1
            ),
            Anchor::StoreLacks { from, to } => format!(
                "the store lacks {} ({}): not shipped yet? `runsheet store push {}` sends them",
                records(*from, *to),
                lines(*from, *to),
                journal.display()
            ),
            Anchor::LocalLacks { from, to } => format!(
                "CUT: the local journal lacks {} ({}) that the store holds",
                records(*from, *to),
                lines(*from, *to)
            ),
            Anchor::Unknown { same_name: Some(line) } => format!(
                "DIFFERS from the store's copy at record seq 0 (line 1): the store's session of this name starts with another record:\n  store: {line}"
            ),
            Anchor::Unknown { same_name: None } => {
                "the store holds no session that starts with this journal's first record: never shipped (`runsheet store push`), or its first line was edited".to_string()
            }
        }
    }
}

fn records(from: u64, to: u64) -> String {
    if from == to {
        format!("record seq {from}")
    } else {
        format!("records seq {from}..{to}")
    }
}

fn lines(from: u64, to: u64) -> String {
    if from == to {
        format!("line {}", from + 1)
    } else {
        format!("lines {}..{}", from + 1, to + 1)
    }
}

/// Compares the journal at `path` with the store's copy of its session.
pub async fn compare(client: &Client, path: &Path) -> Result<Anchor, String> {
    let id = crate::store::ship::session_id(path)?;
    let known = client
        .query_opt("SELECT 1 FROM runsheet.sessions WHERE id = $1", &[&id])
        .await
        .map_err(|e| why(&e))?
        .is_some();
    if !known {
        return Ok(Anchor::Unknown {
            same_name: same_name(client, path).await?,
        });
    }
    let io = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let mut local =
        std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(path).map_err(io)?);
    let rows = client
        .query_raw(
            "SELECT seq, line FROM runsheet.records WHERE session_id = $1 ORDER BY seq",
            [&id],
        )
        .await
        .map_err(|e| why(&e))?;
    let mut rows = std::pin::pin!(rows);
    let mut mine = Vec::new();
    let mut next: u64 = 0;
    while let Some(row) = rows.next().await {
        let row = row.map_err(|e| why(&e))?;
        let seq = u64::try_from(row.get::<_, i64>(0)).unwrap_or(u64::MAX);
        let theirs: &str = row.get(1);
        if seq != next {
            // The store's own copy has a hole: what it lacks is this one.
            return Ok(Anchor::Differs {
                seq: next,
                local: whole_line(&mut local, &mut mine, io)?
                    .map_or_else(|| "(no record)".into(), |l| excerpt(l, 0)),
                store: format!("(no record seq {next}: the next it holds is seq {seq})"),
            });
        }
        match whole_line(&mut local, &mut mine, io)? {
            None => {
                let held: i64 = client
                    .query_one(
                        "SELECT coalesce(max(seq), -1) FROM runsheet.records WHERE session_id = $1",
                        &[&id],
                    )
                    .await
                    .map_err(|e| why(&e))?
                    .get(0);
                return Ok(Anchor::LocalLacks {
                    from: next,
                    to: u64::try_from(held).unwrap_or(next).max(next),
                });
            }
            Some(line) if line != theirs.as_bytes() => {
                let at = first_difference(line, theirs.as_bytes());
                return Ok(Anchor::Differs {
                    seq: next,
                    local: excerpt(line, at),
                    store: excerpt(theirs.as_bytes(), at),
                });
            }
            Some(_) => {}
        }
        next += 1;
    }
    // The store has nothing more: does the journal?
    let mut extra = 0u64;
    while whole_line(&mut local, &mut mine, io)?.is_some() {
        extra += 1;
    }
    Ok(if extra == 0 {
        Anchor::Identical { records: next }
    } else {
        Anchor::StoreLacks {
            from: next,
            to: next + extra - 1,
        }
    })
}

/// The first line the store holds of the session named as this journal's
/// file is, when its first record differs from this journal's.
async fn same_name(client: &Client, path: &Path) -> Result<Option<String>, String> {
    let name = crate::journal::paths::session_name(path);
    let row = client
        .query_opt(
            "SELECT r.line FROM runsheet.sessions s
             JOIN runsheet.records r ON r.session_id = s.id AND r.seq = 0
             WHERE s.name = $1 ORDER BY s.started_at DESC LIMIT 1",
            &[&name],
        )
        .await
        .map_err(|e| why(&e))?;
    Ok(row.map(|r| {
        let line: String = r.get(0);
        excerpt(line.as_bytes(), 0)
    }))
}

/// The next whole line (newline dropped) into `buf`; `None` at the end,
/// and for a torn last line, which was never a record of either copy.
fn whole_line<'a>(
    input: &mut impl BufRead,
    buf: &'a mut Vec<u8>,
    io: impl Fn(std::io::Error) -> String,
) -> Result<Option<&'a [u8]>, String> {
    buf.clear();
    input.read_until(b'\n', buf).map_err(io)?;
    if buf.pop() != Some(b'\n') {
        return Ok(None);
    }
    Ok(Some(buf.as_slice()))
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// Up to 100 bytes of `line` around byte `at`, as text: enough to see the
/// edit next to the other copy's same bytes.
fn excerpt(line: &[u8], at: usize) -> String {
    const BEFORE: usize = 30;
    const WIDTH: usize = 100;
    let start = at.saturating_sub(BEFORE);
    let end = (start + WIDTH).min(line.len());
    let start = start.min(end);
    let text = String::from_utf8_lossy(&line[start..end]);
    format!(
        "{}{text}{}",
        if start > 0 { "…" } else { "" },
        if end < line.len() { "…" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_excerpt_shows_the_edit_in_context() {
        let a = format!("{}\"exit\":0{}", "a".repeat(80), "b".repeat(80));
        let b = format!("{}\"exit\":1{}", "a".repeat(80), "b".repeat(80));
        let at = first_difference(a.as_bytes(), b.as_bytes());
        let shown = excerpt(a.as_bytes(), at);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert!(shown.contains("\"exit\":0"), "{shown}");
        assert_eq!(first_difference(b"abc", b"abcd"), 3);
    }

    #[test]
    fn ranges_are_said_as_records_and_lines() {
        let p = Path::new("j.jsonl");
        let s = Anchor::StoreLacks { from: 5, to: 9 }.describe(p);
        assert!(
            s.contains("records seq 5..9 (lines 6..10)") && s.contains("store push"),
            "{s}"
        );
        let s = Anchor::LocalLacks { from: 3, to: 3 }.describe(p);
        assert!(
            s.contains("CUT") && s.contains("record seq 3 (line 4)"),
            "{s}"
        );
    }
}
