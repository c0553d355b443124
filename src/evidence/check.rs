//! `runsheet verify`: the chain, then what vouches for the journal from
//! outside it: the hash written in the ticket (`--expect`), the team
//! store's copy, the signature beside it. Each is one line of the answer;
//! the exit code is the worst of them.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::anchor::{self, Anchor};
use super::sign::{self, Checked, Statement};
use crate::journal::{self, VerifyReport};

/// What `verify` was asked.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// The final hash written in the ticket, whole (see `parse_expected`).
    pub expect: Option<String>,
    /// The store must vouch: not configured or unreachable fails (2).
    pub require_store: bool,
    /// A good signature is required: none, or one whose signer cannot be
    /// said, fails (1).
    pub require_signature: bool,
    pub allowed_signers: Option<PathBuf>,
}

/// The answer: its text (standard output), its warnings (standard
/// error) and its exit code: 0 every check held, 1 something does not
/// match, 2 something could not be checked that was asked for.
#[derive(Debug, Default)]
pub struct Outcome {
    pub out: String,
    pub err: String,
    pub code: u8,
}

impl Outcome {
    fn fail(&mut self, code: u8) {
        self.code = self.code.max(code);
    }
}

/// The chain, as `verify` always checked it; `None` when the file is not
/// a journal (then nothing else is checked).
fn chain(path: &Path, o: &mut Outcome) -> Option<VerifyReport> {
    let report = match journal::verify(path) {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(o.err, "runsheet: {e}");
            o.fail(2);
            return None;
        }
    };
    if let Some(why) = &report.not_a_journal {
        // Nothing was vouched for: an exit of 0 here would let a wrong path
        // in a script pass for a verified journal.
        let _ = writeln!(
            o.err,
            "runsheet: {} is not a runsheet journal: {why}\n{}",
            path.display(),
            journal::verify::WHAT_A_JOURNAL_IS
        );
        o.fail(2);
        return None;
    }
    match &report.first_break {
        Some(b) => {
            let _ = writeln!(
                o.out,
                "{}: BROKEN at line {}{}: {}\nrecords before it are intact; everything from line {} on cannot be trusted",
                path.display(),
                b.line,
                b.seq.map(|s| format!(" (seq {s})")).unwrap_or_default(),
                b.reason,
                b.line
            );
            o.fail(1);
        }
        None => {
            let _ = writeln!(
                o.out,
                "{}: intact, {} records",
                path.display(),
                report.records
            );
        }
    }
    if let Some(h) = &report.final_hash {
        let _ = writeln!(o.out, "final hash: {h}");
    }
    if report.first_break.is_none() && report.torn_tail {
        let _ = writeln!(
            o.out,
            "note: the last line was cut short (the session died mid-write); the records before it are intact; `runsheet resume {}` repairs it",
            path.display()
        );
    }
    Some(report)
}

pub async fn verify(path: &Path, opts: &Options) -> Outcome {
    let mut o = Outcome::default();
    let Some(report) = chain(path, &mut o) else {
        return o;
    };
    let hash = report.final_hash.clone().unwrap_or_default();
    if let Some(expected) = &opts.expect {
        if *expected == hash {
            let _ = writeln!(o.out, "expected:  matches the final hash given (--expect)");
        } else {
            let _ = writeln!(
                o.out,
                "expected:  DOES NOT MATCH: the hash given is {expected}; this journal's is {hash} ({} records): it was changed or cut after that hash was written down, or it is another session's",
                report.records
            );
            o.fail(1);
        }
    }
    let store = store(path, opts, &mut o).await;
    let sig = sign::sig_path(path);
    if sig.exists() {
        signature(path, &sig, &report, store.as_ref(), opts, &mut o).await;
    } else if opts.require_signature {
        let _ = writeln!(
            o.out,
            "signature: NONE ({} does not exist): `runsheet sign {}` makes it",
            sig.display(),
            path.display()
        );
        o.fail(1);
    }
    if opts.expect.is_none() && store.is_none() && o.code == 0 {
        let _ = writeln!(
            o.out,
            "anchored:  no: neither the ticket's hash nor a team store vouches for this file: `--expect HASH` checks the hash written in the ticket"
        );
    }
    o
}

/// The store's comparison, when one is set: the client is kept for the
/// signature's approvals.
async fn store(path: &Path, opts: &Options, o: &mut Outcome) -> Option<tokio_postgres::Client> {
    let conninfo = match crate::store::conninfo() {
        Ok(Some(c)) => c,
        Ok(None) => {
            if opts.require_store {
                let _ = writeln!(
                    o.out,
                    "store:     NOT CHECKED: {}",
                    crate::store::required().err().unwrap_or_default()
                );
                o.fail(2);
            }
            return None;
        }
        Err(e) => {
            let _ = writeln!(o.out, "store:     NOT CHECKED: {e}");
            o.fail(if opts.require_store { 2 } else { 0 });
            return None;
        }
    };
    let connected = async {
        let client = crate::store::connect(&conninfo).await?;
        crate::store::schema::ready(&client).await?;
        Ok::<_, String>(client)
    }
    .await;
    let client = match connected {
        Ok(c) => c,
        Err(e) => {
            let _ = writeln!(
                o.out,
                "store:     NOT CHECKED: {e}; the chain above was checked on this file alone{}",
                if opts.require_store {
                    ""
                } else {
                    " (`--store` makes this an error)"
                }
            );
            o.fail(if opts.require_store { 2 } else { 0 });
            return None;
        }
    };
    let at = crate::store::describe(&conninfo);
    match anchor::compare(&client, path).await {
        Ok(found) => {
            let _ = writeln!(o.out, "store:     {} ({at})", found.describe(path));
            if !found.identical() {
                o.fail(1);
            }
            if let Anchor::Differs { .. } | Anchor::LocalLacks { .. } = found {
                let _ = writeln!(
                    o.out,
                    "           the store's copy is what the operator's session shipped as it went: `runsheet follow {}` or the store's runsheet.records show it",
                    crate::journal::paths::session_name(path)
                );
            }
        }
        Err(e) => {
            let _ = writeln!(o.out, "store:     NOT CHECKED: {e} ({at})");
            o.fail(2);
        }
    }
    Some(client)
}

/// The statement a signature of this journal is over, rebuilt from the
/// journal itself and, with a store, its approvals.
pub async fn statement(
    path: &Path,
    report: &VerifyReport,
    store: Option<&tokio_postgres::Client>,
) -> Result<Statement, String> {
    let session = crate::store::ship::session_id(path)?;
    let approvals = match store {
        Some(c) => super::approvals::of_session(c, &session).await?,
        None => None,
    };
    Ok(Statement {
        session,
        records: report.records,
        final_hash: report.final_hash.clone().unwrap_or_default(),
        approvals,
    })
}

async fn signature(
    path: &Path,
    sig: &Path,
    report: &VerifyReport,
    store: Option<&tokio_postgres::Client>,
    opts: &Options,
    o: &mut Outcome,
) {
    let mut session = String::new();
    let checked = async {
        let statement = statement(path, report, store).await?;
        session.clone_from(&statement.session);
        let allowed = sign::allowed_signers(opts.allowed_signers.as_deref())?;
        if let Some(a) = allowed.as_deref().filter(|a| !a.exists()) {
            return Err(format!(
                "the allowed-signers file {} does not exist",
                a.display()
            ));
        }
        sign::check(&statement, sig, allowed.as_deref())
    }
    .await;
    match checked {
        Ok(Checked::Good { principals, said }) => {
            let _ = writeln!(
                o.out,
                "signature: good: signed by {} ({said})",
                principals.join(", ")
            );
        }
        Ok(Checked::NotThisJournal { said }) => {
            let _ = writeln!(
                o.out,
                "signature: BAD: {} is not a signature of this journal as it is now (session {session}, {} records, final hash {}): it was changed after it was signed, or the signature is another journal's{} [ssh-keygen: {said}]",
                sig.display(),
                report.records,
                report.final_hash.as_deref().unwrap_or("none"),
                if store.is_none() {
                    "; one made with the team store's approvals is checked only with the store"
                } else {
                    ""
                }
            );
            o.fail(1);
        }
        Ok(Checked::UnknownSigner { said }) => {
            let _ = writeln!(
                o.out,
                "signature: UNTRUSTED: a signature of this journal, by a key no allowed signer has: {said}"
            );
            o.fail(1);
        }
        Ok(Checked::Unchecked { why }) => {
            let _ = writeln!(o.out, "signature: of this journal, signer unknown: {why}");
            if opts.require_signature {
                o.fail(1);
            }
        }
        Err(e) => {
            // As with the store: what could not be checked fails only
            // when it was asked for.
            let _ = writeln!(o.out, "signature: NOT CHECKED: {e}");
            o.fail(if opts.require_signature { 2 } else { 0 });
        }
    }
}

/// `runsheet sign`: the journal's chain checked (a broken one is never
/// signed), compared with the store's copy when there is one (a journal
/// the store contradicts is refused), then its statement signed.
/// Returns what to print; an error says why nothing was signed.
pub async fn sign_journal(path: &Path, key: Option<&Path>) -> Result<String, String> {
    let report = journal::verify(path).map_err(|e| e.to_string())?;
    if let Some(why) = &report.not_a_journal {
        return Err(format!(
            "{} is not a runsheet journal: {why}",
            path.display()
        ));
    }
    if let Some(b) = &report.first_break {
        return Err(format!(
            "{} is BROKEN at line {} ({}): a broken journal is not signed",
            path.display(),
            b.line,
            b.reason
        ));
    }
    let key = sign::key(key)?;
    let mut out = String::new();
    let client = match crate::store::conninfo() {
        Ok(Some(conninfo)) => {
            let connected = async {
                let c = crate::store::connect(&conninfo).await?;
                crate::store::schema::ready(&c).await?;
                Ok::<_, String>(c)
            }
            .await;
            match connected {
                Ok(c) => Some(c),
                Err(e) => {
                    let _ = writeln!(
                        out,
                        "warning: the store was not reached ({e}): its approvals, if any, are not in this signature"
                    );
                    None
                }
            }
        }
        Ok(None) => None,
        Err(e) => return Err(e),
    };
    if let Some(c) = &client {
        match anchor::compare(c, path).await? {
            found @ (Anchor::Differs { .. }
            | Anchor::LocalLacks { .. }
            | Anchor::Unknown { same_name: Some(_) }) => {
                return Err(format!("not signed: this journal {}", found.describe(path)));
            }
            found @ (Anchor::StoreLacks { .. } | Anchor::Unknown { same_name: None }) => {
                let _ = writeln!(out, "warning: {}", found.describe(path));
            }
            Anchor::Identical { .. } => {}
        }
    }
    let statement = statement(path, &report, client.as_ref()).await?;
    let sig = sign::sig_path(path);
    sign::sign(&statement, &key, &sig)?;
    let by = sign::fingerprint(&key).unwrap_or_else(|| key.display().to_string());
    let _ = writeln!(
        out,
        "signed {} ({} records, final hash {}{}) with {by}\nsignature: {}",
        path.display(),
        statement.records,
        statement.final_hash,
        statement
            .approvals
            .as_ref()
            .map(|a| format!(", {} approvals from the store", a.count))
            .unwrap_or_default(),
        sig.display()
    );
    Ok(out)
}
