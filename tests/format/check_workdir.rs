//! `workdir:` and the sandbox's `workdir:`, `setup:` and `buckets:` in the
//! front matter: what is read, and what `check` refuses.

use crate::diags::errors;
use runsheet::runbook::parse;

const BODY: &str = "# Runbook\n\n## Phase\n\n### Step\n\n```bash\necho \"$REPO_DIR\"\n```\n";

fn front(yaml: &str) -> String {
    format!("---\n{yaml}---\n{BODY}")
}

#[test]
fn the_fields_are_read_as_written() {
    let src = front(
        "workdir: ../app\nsandbox:\n  workdir: ../sandbox/app\n  setup: |\n    pg_dump \"$PROD_DB_URL\" -Fc -f app.dump\n  buckets: [backups-sandbox, $S3_BUCKET]\n  env:\n    S3_BUCKET: uploads-sandbox\n",
    );
    let parsed = parse("rb.md", &src);
    assert!(errors(&src).is_empty(), "{:#?}", parsed.diagnostics);
    let rb = parsed.runbook;
    assert_eq!(rb.workdir.as_deref(), Some("../app"));
    let sandbox = rb.sandbox.unwrap();
    assert_eq!(sandbox.workdir.as_deref(), Some("../sandbox/app"));
    assert_eq!(
        sandbox.setup.as_deref(),
        Some("pg_dump \"$PROD_DB_URL\" -Fc -f app.dump\n")
    );
    assert_eq!(sandbox.buckets, vec!["backups-sandbox", "$S3_BUCKET"]);
}

#[test]
fn a_variable_used_only_by_workdir_is_used() {
    let src = front(
        "workdir: $REPO_DIR/app\nvariables:\n  REPO_DIR: { description: \"the repository\" }\n",
    );
    let parsed = parse("rb.md", &src);
    assert!(
        !parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "unused-variable"),
        "{:#?}",
        parsed.diagnostics
    );
}

#[test]
fn a_workdir_of_the_wrong_shape_is_an_error_that_says_what_is_accepted() {
    for (yaml, says) in [
        ("workdir: \"  \"\n", "is empty"),
        ("workdir: ~bob/app\n", "`~name`"),
        ("workdir: a/$/b\n", "names no variable"),
        ("sandbox:\n  workdir: \"\"\n", "is empty"),
    ] {
        let errs = errors(&front(yaml));
        assert_eq!(errs.len(), 1, "{yaml}: {errs:#?}");
        assert!(
            errs[0].message.contains(says),
            "{yaml}: {}",
            errs[0].message
        );
        let help = errs[0].help.as_deref().unwrap_or("");
        assert!(help.contains("relative to the runbook"), "{help}");
    }
}

#[test]
fn a_workdir_that_is_not_a_string_is_an_error() {
    let errs = errors(&front("workdir: [a, b]\n"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert_eq!(errs[0].code, "bad-front-matter");
}

#[test]
fn bad_bucket_names_and_an_empty_setup_are_errors() {
    let errs = errors(&front("sandbox:\n  buckets: [Bad_Bucket, ok-bucket, ab]\n"));
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].message.contains("Bad_Bucket"),
        "{}",
        errs[0].message
    );
    assert!(errs[1].message.contains("`ab`"), "{}", errs[1].message);
    assert!(
        errs[0].help.as_deref().unwrap_or("").contains("$S3_BUCKET"),
        "{:?}",
        errs[0].help
    );
    let errs = errors(&front("sandbox:\n  setup: \"\"\n"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].message.contains("setup"), "{}", errs[0].message);
}

#[test]
fn a_mistyped_field_suggests_workdir() {
    let errs = errors(&front("workdri: ../app\n"));
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(
        errs[0]
            .help
            .as_deref()
            .unwrap_or("")
            .contains("did you mean `workdir`"),
        "{:?}",
        errs[0].help
    );
}
