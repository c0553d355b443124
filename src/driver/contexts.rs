//! The contexts' preflight, as the session sees it: each context the
//! session will use is reached before the first step (`exec::context::
//! preflight`) and journaled as `Msg::ContextIdentified`; on resume, a
//! context that is now another host, host key, pod or user stops the
//! session before anything runs, as a database that changed does
//! (`run::check_databases`). A sandbox reaches nothing: its contexts are
//! local stand-ins.

use super::{Driver, Submitted};
use crate::exec::context::preflight;
use crate::runbook::context::Context;
use crate::session::{ContextIdentity, Msg, Session};
use std::collections::HashMap;

/// Reaches every context; the session goes on only if each answered and
/// is where the journal says this session has been running, or, for a pod
/// or container that was replaced (a rollout), the operator agrees to go
/// on in the new one (`ask`, a yes/no question at the terminal; `--auto`
/// answers no).
pub async fn check_contexts(
    mut driver: Driver,
    ask: &dyn Fn(&str) -> bool,
) -> Result<Driver, String> {
    if driver.session().info().sandbox {
        return Ok(driver);
    }
    let used = used(driver.session(), driver.values());
    let (masters, found) = preflight::reach_all(used).await;
    driver.masters = masters;
    for (name, found) in found {
        let refused = match found {
            preflight::Reached::Failed(why) => why,
            preflight::Reached::Later(why) => {
                let why = why.trim_end_matches("; nothing was run");
                let note = format!(
                    "{why}: not reached before the first step, its first block will try (if an earlier step exports the variable, that is expected)"
                );
                driver.warn(&note).await?;
                continue;
            }
            preflight::Reached::Found(found) => match driver.session().contexts().get(&name) {
                Some(then) => match found.identity.changed_from(then) {
                    None => continue,
                    Some(change) => {
                        let then = then.clone();
                        if replaced_pod(&then, &found.identity)
                            && ask(&format!(
                                "context `{name}` ({}): {change}. A rollout replaces pods; is {} the one the runbook means, to go on in it?",
                                found.identity.reached, found.identity.hostname
                            ))
                        {
                            let note = format!(
                                "context `{name}` now runs in {} (was {}): the operator agreed to go on in it at resume",
                                found.identity.describe(),
                                then.describe()
                            );
                            let msg = Msg::ContextIdentified {
                                name: found.name,
                                kind: found.kind.to_string(),
                                identity: found.identity,
                            };
                            match driver.submit(msg).await? {
                                Submitted::Accepted => {
                                    driver.warn(&note).await?;
                                    continue;
                                }
                                Submitted::Refused(r) => format!("{r}: nothing was run"),
                            }
                        } else {
                            format!(
                                "context `{name}` ({}) is not where this session ran: {change}. Nothing was run. If it was replaced on purpose (a rollout, a rebuilt host), check that it is the one the runbook means{}; otherwise point the context back at it, then `runsheet resume`",
                                found.identity.reached,
                                if replaced_pod(&then, &found.identity) {
                                    ", then `runsheet resume` at a terminal, which asks whether to go on in the new pod"
                                        .to_string()
                                } else {
                                    format!(
                                        " and start a new session (`runsheet run {} --target {}`)",
                                        driver.session().info().runbook_path,
                                        driver.session().info().target,
                                    )
                                },
                            )
                        }
                    }
                },
                None => {
                    let msg = Msg::ContextIdentified {
                        name: found.name,
                        kind: found.kind.to_string(),
                        identity: found.identity,
                    };
                    match driver.submit(msg).await? {
                        Submitted::Accepted => continue,
                        Submitted::Refused(r) => format!("{r}: nothing was run"),
                    }
                }
            },
        };
        return Err(driver.refuse_start(&refused).await?);
    }
    Ok(driver)
}

/// Only the pod's or container's name changed, the user the same: what a
/// rollout does. A changed host key or user is never asked about: that is
/// another machine, or someone in the middle.
fn replaced_pod(then: &ContextIdentity, now: &ContextIdentity) -> bool {
    then.host_key.is_none()
        && now.host_key.is_none()
        && then.user == now.user
        && then.hostname != now.hostname
}

/// The contexts a session's shell blocks will run in
/// (`Session::contexts_used`), each with the environment of the first
/// block that uses it (its `$VARS` come from there).
fn used(
    session: &Session,
    values: &HashMap<String, String>,
) -> Vec<(Context, Vec<(String, String)>)> {
    let process_env = |n: &str| std::env::var(n).ok();
    session
        .contexts_used()
        .into_iter()
        .map(|u| {
            let env = crate::action::env::command_env(
                values,
                session.target(u.target),
                u.target,
                &session.info().runbook_path,
                u.step,
                &process_env,
            );
            (u.context.clone(), env)
        })
        .collect()
}
