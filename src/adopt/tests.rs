//! adopt on small runbooks: each edit, and a second run proposes nothing.

use super::adopt;

const RUNBOOK: &str = "## Deploy the API\n\nRun it on staging, then prod.\n\n### 1. Scale down (5 min)\n\n```\nkubectl -n <namespace> scale deploy api --replicas=0\n```\n\n### 2. Check\n\n```\n$ kubectl get pods -n $NAMESPACE\nNAME READY\napi-1 0/1\n```\n\n### 3. Edit the config\n\n```bash\nkubectl edit configmap api\n```\n\n## 🔙 Rollback\n\n```bash\nkubectl -n <namespace> scale deploy api --replicas=3\n```\n";

#[test]
fn a_runbook_for_people_is_adopted_and_checks_clean() {
    let a = adopt("deploy.md", RUNBOOK);
    let p = &a.patched;
    assert!(p.starts_with("---\ntargets:\n  staging:\n  production:\n    protected: true\nvariables:\n  NAMESPACE:\n"), "{p}");
    assert!(p.contains("# Deploy the API\n"), "{p}");
    assert!(p.contains("```bash\nkubectl -n ${NAMESPACE} scale"), "{p}");
    assert!(
        p.contains(
            "```bash\nkubectl get pods -n $NAMESPACE\n```\n\n```text\nNAME READY\napi-1 0/1\n```"
        ),
        "{p}"
    );
    assert!(
        p.contains("```bash {interactive}\nkubectl edit configmap api"),
        "{p}"
    );
    assert!(p.contains("## 🔙 Rollback {undoes="), "{p}");
    assert!(a.left.iter().all(|d| !d.is_error()), "{:?}", a.left);
    assert_eq!(a.edits_left(), 0, "{:?} {:?}", a.left, a.notes);
}

#[test]
fn adopting_twice_proposes_nothing_the_second_time() {
    let a = adopt("deploy.md", RUNBOOK);
    let again = adopt("deploy.md", &a.patched);
    assert!(again.edits.is_empty(), "{:?}\n{}", again.edits, a.patched);
    assert_eq!(again.patched, a.patched);
}

#[test]
fn existing_front_matter_is_merged_and_foreign_keys_kept_as_comments() {
    let src = "---\ntitle: Deploy\nvariables:\n  A: { description: x }\n---\n# T\n\n## P\n\n```bash\necho $A $TOKEN_B\n```\n";
    let a = adopt("t.md", src);
    assert!(
        a.patched.starts_with("---\n# title: Deploy\nvariables:\n  A: { description: x }\n  TOKEN_B:\n    secret: true\n"),
        "{}",
        a.patched
    );
    assert!(a.left.is_empty(), "{:?}", a.left);
}

#[test]
fn a_destructive_restore_in_the_flow_becomes_a_rollback() {
    let src = "# Upgrade the app\n\n## 1. Upgrade\n\n```bash\necho up\n```\n\n## 2. Restore the data\n\n```bash\nrm -rf /var/lib/app/data\n```\n";
    let a = adopt("u.md", src);
    assert!(
        a.patched.contains("## 2. Restore the data {role=rollback"),
        "{}",
        a.patched
    );
    let parsed = crate::runbook::parse("u.md", &a.patched);
    assert!(
        parsed
            .runbook
            .flow_steps()
            .all(|(_, s)| !s.is_destructive())
    );
}

#[test]
fn output_and_prose_fences_are_left_alone() {
    let src = "# T\n\n## P\n\n```\nNAME READY\napi 1/1\n```\n\n```\nserver { listen 80; }\n```\n\n```bash\necho ok\n```\n";
    let a = adopt("t.md", src);
    assert!(a.edits.is_empty(), "{:?}", a.edits);
}
