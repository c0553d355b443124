//! The contexts' preflight, as the session sees it: each context the
//! session will use is reached before the first step (`exec::context::
//! preflight`) and journaled as `Msg::ContextIdentified`; on resume, a
//! context that is now another host, host key, pod or user stops the
//! session before anything runs, as a database that changed does
//! (`run::check_databases`). A sandbox reaches nothing: its contexts are
//! local stand-ins.

use super::{Driver, RunEnd, Submitted};
use crate::exec::context::preflight;
use crate::session::Msg;

/// Reaches every context; the session goes on only if each answered and
/// is where the journal says this session has been running.
pub async fn check_contexts(mut driver: Driver) -> Result<Driver, String> {
    if driver.session().info().sandbox {
        return Ok(driver);
    }
    let (masters, found) = preflight::reach_all(driver.session(), driver.values()).await;
    driver.masters = masters;
    for (name, found) in found {
        let refused = match found {
            Err(why) => why,
            Ok(found) => match driver.session().contexts().get(&name) {
                Some(then) => match found.identity.changed_from(then) {
                    None => continue,
                    Some(change) => format!(
                        "context `{name}` ({}) is not where this session ran: {change}. Nothing was run. If it was replaced on purpose (a rollout, a rebuilt host), check that it is the one the runbook means and start a new session (`runsheet run {} --target {}`); otherwise point the context back at it, then `runsheet resume`",
                        found.identity.reached,
                        driver.session().info().runbook_path,
                        driver.session().info().target,
                    ),
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
        let why = driver.secrets().redact(&refused);
        let end = RunEnd::Interrupted {
            reason: why.clone(),
        };
        driver.close(&end).await?;
        return Err(why);
    }
    Ok(driver)
}
