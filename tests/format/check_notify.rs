//! `notify:` in the front matter: what is read, and what `check` says.

use crate::diags::errors;
use runsheet::runbook::notify::NotifyEvent;
use runsheet::runbook::{Severity, parse};

const BODY: &str = "# Runbook\n\n## Phase\n\n### Step\n\n```bash\necho hi\n```\n";

fn front(yaml: &str) -> String {
    format!("---\nvariables:\n  SLACK_WEBHOOK: {{secret: true}}\n{yaml}---\n{BODY}")
}

#[test]
fn webhooks_are_read_with_every_event_by_default() {
    let src = front(
        "notify:\n  - url: $SLACK_WEBHOOK\n  - url: $SLACK_WEBHOOK\n    on: [failure, end]\n",
    );
    let parsed = parse("rb.md", &src);
    assert!(errors(&src).is_empty(), "{:#?}", parsed.diagnostics);
    // A variable used only by `notify:` is used.
    assert!(
        !parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "unused-variable"),
        "{:#?}",
        parsed.diagnostics
    );
    let hooks = parsed.runbook.notify;
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].on, NotifyEvent::ALL.to_vec());
    assert_eq!(hooks[1].on, [NotifyEvent::Failure, NotifyEvent::End]);
}

#[test]
fn an_unknown_event_is_an_error_that_lists_the_events() {
    let src = front("notify:\n  - url: $SLACK_WEBHOOK\n    on: [start, failed]\n");
    let errs = errors(&src);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, "bad-front-matter");
    assert!(errs[0].message.contains("`failed`"), "{}", errs[0].message);
    assert!(
        errs[0]
            .message
            .contains("start, gate, approval, failure, rollback, end"),
        "{}",
        errs[0].message
    );
    // Pointed at the word itself.
    assert_eq!(&src[errs[0].span.start..errs[0].span.end], "failed");
}

#[test]
fn a_url_that_is_no_url_is_an_error_and_one_written_out_a_warning() {
    let errs = errors(&front("notify:\n  - url: hooks.slack.com/x\n"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].message.contains("variable"), "{}", errs[0].message);

    let src = front("notify:\n  - url: https://hooks.slack.com/services/T0/B0/x\n");
    let parsed = parse("rb.md", &src);
    assert!(errors(&src).is_empty(), "{:#?}", parsed.diagnostics);
    let warned: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.code == "notify-url-written-out")
        .collect();
    assert_eq!(warned.len(), 1, "{:#?}", parsed.diagnostics);
    assert_eq!(warned[0].severity, Severity::Warning);
    assert!(
        warned[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("$SLACK_WEBHOOK"),
        "{:?}",
        warned[0].help
    );
}

#[test]
fn a_mistyped_key_under_a_webhook_is_named() {
    let errs = errors(&front(
        "notify:\n  - url: $SLACK_WEBHOOK\n    when: [end]\n",
    ));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].message.contains("when"), "{}", errs[0].message);
    assert!(
        errs[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("notify takes url, on"),
        "{:?}",
        errs[0].help
    );
}
