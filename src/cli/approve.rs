//! `runsheet approve [SESSION] [--deny] --reason …`: a second person
//! answers a gate that needs approvals. They are shown exactly what the
//! operator's gate shows (as the session published it), then confirm by
//! typing the answer. Who they are is the store's authenticated role.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use crate::store::approvals::{self, Request};

pub struct Options {
    pub session: Option<String>,
    pub request: Option<i64>,
    pub deny: bool,
    pub reason: Option<String>,
    /// Answer without the typed confirmation (a script that showed the
    /// request already).
    pub yes: bool,
}

pub fn run(opts: Options) -> color_eyre::Result<ExitCode> {
    let rt = super::runtime()?;
    Ok(super::said(approve(&rt, opts).map(|s| s + "\n")))
}

fn approve(rt: &tokio::runtime::Runtime, opts: Options) -> Result<String, String> {
    let conninfo = crate::store::required()?;
    let (client, me, open) = rt.block_on(async {
        let client = crate::store::connect(&conninfo).await?;
        crate::store::schema::ready(&client).await?;
        let me: String = client
            .query_one("SELECT session_user::text", &[])
            .await
            .map_err(|e| crate::store::schema::why(&e))?
            .get(0);
        let open = approvals::open_requests(&client, opts.session.as_deref()).await?;
        Ok::<_, String>((client, me, open))
    })?;
    let req = choose(&open, opts.request, opts.session.as_deref())?;
    print!("{}", shown(req));
    let _ = std::io::stdout().flush();
    if req.requested_by == me {
        return Err(format!(
            "you are connected to the store as `{me}`, the role that asked for this approval: another person must answer it, connected as their own role"
        ));
    }
    let verb = if opts.deny { "deny" } else { "approve" };
    let reason = match opts.reason.filter(|r| !r.trim().is_empty()) {
        Some(r) => r,
        None => ask(&format!("why do you {verb} it? >"))?,
    };
    if reason.trim().is_empty() {
        return Err(format!(
            "an answer needs a reason: give --reason \"…\" to {verb}"
        ));
    }
    if !opts.yes {
        let typed = ask(&format!(
            "type `{verb}` to {verb} it as `{me}` (anything else leaves it) >"
        ))?;
        if typed.trim() != verb {
            return Err("nothing was answered".into());
        }
    }
    let host = crate::run::host();
    let approver = rt.block_on(approvals::answer(
        &client,
        req.id,
        !opts.deny,
        reason.trim(),
        &host,
    ))?;
    Ok(format!(
        "{} as `{approver}`: “{}” of {} (request {}); the operator's screen shows it now",
        if opts.deny { "denied" } else { "approved" },
        req.step_title,
        req.session_name,
        req.id
    ))
}

fn choose<'a>(
    open: &'a [Request],
    id: Option<i64>,
    session: Option<&str>,
) -> Result<&'a Request, String> {
    let of = session.map(|s| format!(" of {s}")).unwrap_or_default();
    if let Some(id) = id {
        return open.iter().find(|r| r.id == id).ok_or_else(|| {
            format!("no open approval request {id}{of}: it was answered, withdrawn, or never asked")
        });
    }
    match open {
        [] => Err(format!(
            "no gate waits for an approval{of}: the operator's gate asks when it is shown"
        )),
        [one] => Ok(one),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|r| {
                    format!(
                        "  {}  {} · “{}” on {} · asked by {} at {}",
                        r.id, r.session_name, r.step_title, r.target, r.requested_by, r.asked_at
                    )
                })
                .collect();
            Err(format!(
                "{} gates wait for approval: say which with --request ID\n{}",
                many.len(),
                list.join("\n")
            ))
        }
    }
}

/// The request as the approver reads it: who asks, for what, and the
/// gate's own text.
pub fn shown(r: &Request) -> String {
    let so_far = if r.approved_by.is_empty() {
        String::new()
    } else {
        format!(" (approved so far by {})", r.approved_by.join(", "))
    };
    format!(
        "Approval request {} · session {}\n  step “{}” on {}\n  asked by {} on {} at {}\n  needs {} approval{}{so_far}\n\n{}\n\n",
        r.id,
        r.session_name,
        r.step_title,
        r.target,
        r.requested_by,
        r.host,
        r.asked_at,
        r.needed,
        if r.needed == 1 { "" } else { "s" },
        r.description
    )
}

fn ask(prompt: &str) -> Result<String, String> {
    print!("{prompt} ");
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    if n == 0 {
        return Err("no answer was given (standard input ended): nothing was answered".into());
    }
    Ok(line.trim().to_string())
}
