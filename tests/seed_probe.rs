#[path = "support/operator.rs"]
mod operator;
#[path = "support/rehearsal.rs"]
mod rehearsal;
#[path = "support/workdir.rs"]
mod workdir;

use operator::{Ask, say};

#[test]
fn probe() {
    let r = rehearsal::Rehearsal::start("001-plan-de-reprise-cdtn.md");
    let mut op = r.run("staging", &[], true);
    let status = op.drive(|m| {
        eprintln!("{:?} {:?}", m.step, m.ask);
        match &m.ask {
            Ask::Run => say([""]),
            Ask::Tick(_) => say(["y"]),
            Ask::Done => say(["y"]),
            Ask::Failed => say(["s"]),
            Ask::Reason => say(["no network here"]),
            Ask::Gate => say(["production"]),
            _ => say(["q"]),
        }
    });
    eprintln!("{}", op.transcript);
    assert!(status.success());
    let report = r.verify_and_report();
    eprintln!("{report}");
}
