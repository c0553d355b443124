//! Every runbook shipped in assets/runbooks passes `runsheet check`, and its
//! outline (what an operator reads before starting) is pinned by a snapshot.

use crate::check;
use std::path::Path;

const ASSETS: [&str; 6] = [
    "000-migration-client-pilote.md",
    "001-plan-de-reprise-cdtn.md",
    "002-migrations-production-safeguards.md",
    "003-pca-pra-apilos.md",
    "004-processus-de-migration-omnisphere.md",
    "demo.md",
];

#[test]
fn every_asset_is_valid_and_its_outline_is_stable() {
    for name in ASSETS {
        let path = format!("assets/runbooks/{name}");
        assert!(Path::new(&path).exists(), "{path} is missing");
        let (code, stdout, stderr) = check(&["check", "--color", "never", &path]);
        assert_eq!(code, 0, "{path} must check clean:\n{stderr}\n{stdout}");
        assert!(stderr.is_empty(), "{path} has warnings:\n{stderr}");
        insta::assert_snapshot!(name, stdout);
    }
}

#[test]
fn json_outline_describes_the_seed_000_migration() {
    let (code, stdout, _) = check(&[
        "check",
        "--format",
        "json",
        "assets/runbooks/000-migration-client-pilote.md",
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = match serde_json::from_str(&stdout) {
        Ok(v) => v,
        Err(e) => panic!("check --format json printed invalid JSON: {e}\n{stdout}"),
    };
    let rb = &v[0];
    assert_eq!(rb["valid"], true);
    let production = rb["targets"]
        .as_array()
        .and_then(|t| t.iter().find(|t| t["name"] == "production"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(production["protected"], true);
    assert_eq!(production["timeout_secs"], 600);
    // The seed's restore into production is caught by its rule.
    let rules: Vec<&str> = rb["destructive"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["rule"].as_str()).collect())
        .unwrap_or_default();
    assert!(rules.contains(&"shell-pg-restore-clean"), "{rules:?}");
    // Its count comparison is a native step between the two databases.
    let kinds: Vec<String> = rb["phases"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|p| p["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|s| s["kind"].as_str().map(str::to_string))
        .collect();
    assert!(kinds.iter().any(|k| k.contains("compare")), "{kinds:?}");
    assert_eq!(rb["declared"]["text"], "2h–4h");
}

#[test]
fn an_invalid_runbook_exits_1_and_lists_every_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.md");
    std::fs::write(
        &path,
        "# R\n\n## P\n\n### S {estimate=soon}\n\n```bash {timeout=10 mn target=moon}\necho\n```\n",
    )
    .expect("write");
    let p = path.to_string_lossy().to_string();
    let (code, stdout, stderr) = check(&["check", "--color", "never", &p]);
    assert_eq!(code, 1);
    assert_eq!(stderr.matches("error[").count(), 3, "{stderr}");
    assert!(stderr.contains("bad.md:5:17"), "{stderr}");
    assert!(stderr.contains("expected a duration like 90s, 10m, 1h30m"));
    assert!(stdout.contains("invalid, 3 errors"), "{stdout}");
}

#[test]
fn a_missing_file_is_named() {
    let (code, _, stderr) = check(&["check", "no/such/runbook.md"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("cannot read no/such/runbook.md"),
        "{stderr}"
    );
}

#[test]
fn a_file_that_is_not_utf8_says_how_to_convert_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("latin1.md");
    std::fs::write(&path, b"# R\xe9sum\xe9\n").expect("write");
    let (code, _, stderr) = check(&["check", &path.to_string_lossy()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("not UTF-8") && stderr.contains("iconv"),
        "{stderr}"
    );
}
