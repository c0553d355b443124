//! A password written out in a runbook (a connection string, an
//! `export …_TOKEN=`, an `Authorization` header) is named by `check` and
//! masked in everything the session writes, as a secret variable's value.

use crate::support::workdir::{Workdir, text};

const RUNBOOK: &str = r#"# Nightly export

## Export

### Dump the orders {#dump}

```bash
echo "connecting to postgres://deploy:Pw-7f3a91@db.internal:5432/shop"
export API_TOKEN=tok-5e6d7c8b
echo "token is $API_TOKEN"
curl_args='Authorization: Bearer bearer-0a1b2c3d'
echo "$curl_args"
```
"#;

const SECRETS: [&str; 3] = ["Pw-7f3a91", "tok-5e6d7c8b", "bearer-0a1b2c3d"];

#[test]
fn check_names_each_secret_written_in_the_runbook() {
    let w = Workdir::new();
    let rb = w.write("export.md", RUNBOOK);
    let out = w.run(&["check", &rb.to_string_lossy()], "");
    let t = text(&out);
    assert_eq!(t.matches("warning[literal-secret]").count(), 3, "{t}");
    assert!(t.contains("the password of a connection string"), "{t}");
    assert!(
        t.contains("${DB_PASSWORD}"),
        "the fix names a variable: {t}"
    );
}

#[test]
fn a_session_masks_secrets_the_runbook_writes_out() {
    let w = Workdir::new();
    let rb = w.write("export.md", RUNBOOK);
    let out = w.auto(&rb, "staging");
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert!(
        shown.contains("connecting to postgres://deploy:***@db.internal"),
        "{shown}"
    );
    let journal = w.journal_text();
    let report = text(&w.run(&["report", &w.journals()[0].to_string_lossy()], ""));
    for secret in SECRETS {
        assert!(!shown.contains(secret), "{secret} on screen: {shown}");
        assert!(!journal.contains(secret), "{secret} in the journal");
        assert!(!report.contains(secret), "{secret} in the report: {report}");
    }
}

/// The journal's copy of the runbook has its literal secrets masked; a
/// resume of the same file must not take that for a change.
#[test]
fn a_resume_of_the_same_file_sees_no_change() {
    let w = Workdir::new();
    let runbook = format!(
        "---\ntargets:\n  staging:\n    env:\n      API_TOKEN: tok-5e6d7c8b\n---\n{}\n### Tell the team {{#tell}}\n\nConfirm the team knows.\n",
        RUNBOOK.trim_end()
    );
    let rb = w.write("export.md", &runbook);
    let first = w.auto(&rb, "staging");
    assert!(
        !first.status.success(),
        "--auto stops at the manual step: {}",
        text(&first)
    );
    assert!(!w.journal_text().contains("tok-5e6d7c8b"));
    let journal = w.journals()[0].to_string_lossy().into_owned();
    let again = w.run(&["resume", &journal, "--auto"], "");
    let said = text(&again);
    assert!(!said.contains("changed since"), "{said}");
    assert!(said.contains("Tell the team"), "{said}");
}
