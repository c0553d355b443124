//! Runs one in-process action (sql, compare, migrations, batch, http, s3)
//! of a runbook through the dispatch, without the driver: the typed error
//! the step kind gave (`InProcess::attempt`) and the outcome the session
//! would record of it (`InProcess::outcome`, redacted). Records the action
//! asks to journal are accepted; what it prints is kept.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use runsheet::action::{self, StepError};
use runsheet::exec::step::Verdict;
use runsheet::exec::task::{self, TaskEvent};
use runsheet::runbook::parse;
use runsheet::secrets::Secrets;
use runsheet::session::{ActionOutcome, Session, SessionInfo};

pub struct Ran {
    pub result: Result<Verdict, StepError>,
    pub outcome: ActionOutcome,
    pub printed: String,
}

/// Action 0 of `step` on `target`; `values` are the runbook's variables,
/// `secrets` the values to mask.
pub fn run(text: &str, target: &str, step: &str, values: &[(&str, &str)], secrets: &[&str]) -> Ran {
    let parsed = parse("runbook.md", text);
    assert!(!parsed.has_errors(), "{:?}", parsed.diagnostics);
    let info = SessionInfo {
        runbook_path: "runbook.md".into(),
        runbook_hash: "hash".into(),
        runbook_text: text.into(),
        target: target.into(),
        operator: "alice".into(),
        host: "bastion".into(),
        tool_version: "0.1.0".into(),
        drill: false,
        sandbox: false,
        workdir: None,
        targets: Vec::new(),
        variables: vec![],
        values: Default::default(),
    };
    let session = Session::new(Arc::new(parsed.runbook), info, 0);
    let values: HashMap<String, String> = values
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let secrets = Secrets::new(secrets.iter().map(|s| s.to_string()));
    let prepared = action::prepare(&session, &values, &secrets, step, 0)
        .unwrap_or_else(|e| panic!("{step}: {e}"));
    let work = prepared
        .in_process
        .unwrap_or_else(|| panic!("{step} is a shell action"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shown = work.clone();
    runtime.block_on(async move {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (_handle, mut events) = task::spawn(
            Duration::from_secs(60),
            Duration::from_secs(5),
            move |ctx| async move {
                let _ = tx.send(work.attempt(&ctx).await);
                ActionOutcome::default()
            },
        );
        let mut printed = String::new();
        loop {
            match events.recv().await {
                Some(TaskEvent::Output(t)) => printed.push_str(&t),
                Some(TaskEvent::Record(_, ack)) => {
                    let _ = ack.send(Ok(()));
                }
                Some(TaskEvent::Finished(_)) => break,
                None => panic!("the task ended without an outcome"),
            }
        }
        let result = rx.await.unwrap();
        Ran {
            outcome: shown.outcome(&result),
            result,
            printed,
        }
    })
}
