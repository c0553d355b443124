//! `runsheet check` shows the role of every heading of runbooks written for
//! people (emoji, numbering, English and French), in text and in JSON, and
//! warns about a destructive flow step under a heading about undoing.

use crate::check;
use crate::support::workdir::Workdir;

/// The `Roles` block of `check`'s text output, as (role, heading) pairs.
fn roles_block(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .skip_while(|l| *l != "Roles")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let l = l.trim();
            let (role, rest) = l.split_once(' ')?;
            let heading = rest.trim().rsplit_once("  line ")?.0;
            Some((role.to_string(), heading.to_string()))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(r, h)| (r.to_string(), h.to_string()))
        .collect()
}

#[test]
fn check_prints_the_role_of_every_heading_of_an_english_runbook() {
    let (code, stdout, stderr) = check(&[
        "check",
        "--color",
        "never",
        "tests/format/runbooks/emoji-rollback-en.md",
    ]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert_eq!(
        roles_block(&stdout),
        pairs(&[
            ("context", "## 📋 Overview"),
            ("flow", "## ✅ Prerequisites"),
            ("flow", "## 1. Stop the application"),
            ("flow", "## 2. Upgrade"),
            ("flow", "### Step 2.1 — Run pg_upgrade"),
            ("alternative", "#### If pg_upgrade fails"),
            ("flow", "### Step 2.2 — Start the new cluster"),
            ("alternative", "## Option A: keep the old cluster"),
            ("alternative", "## Option B: delete the old cluster"),
            ("alternative", "## 🛠️ Troubleshooting"),
            ("alternative", "### Connections refused"),
            ("context", "## ☎️ Emergency contacts"),
            ("rollback", "## 🔙 Rollback"),
        ]),
        "{stdout}"
    );
    assert!(
        stdout.contains("🔙 Rollback  #rollback line 62  est. — · rollback section"),
        "{stdout}"
    );
}

#[test]
fn check_prints_the_role_of_every_heading_of_a_french_runbook() {
    let (code, stdout, stderr) = check(&[
        "check",
        "--color",
        "never",
        "tests/format/runbooks/scenarios-fr.md",
    ]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert_eq!(
        roles_block(&stdout),
        pairs(&[
            ("context", "## 📖 Vue d'ensemble"),
            ("flow", "## Étape 1 : Sauvegarde avant rollback"),
            ("flow", "## Étape 2 : Migration des données"),
            (
                "alternative",
                "### Scénario B : la réplication est en retard"
            ),
            ("alternative", "## En cas d'erreur"),
            ("alternative", "## Si la migration échoue"),
            ("alternative", "## Dépannage"),
            ("rollback", "## Plan de retour arrière"),
            ("context", "## Annexes"),
            ("context", "### Annexe A : commandes utiles"),
            ("context", "## Contacts d'urgence"),
        ]),
        "{stdout}"
    );
}

#[test]
fn the_json_outline_has_a_role_on_every_phase_and_step() {
    let (code, stdout, _) = check(&[
        "check",
        "--format",
        "json",
        "tests/format/runbooks/emoji-rollback-en.md",
        "tests/format/runbooks/scenarios-fr.md",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let mut flow_destructive = Vec::new();
    for rb in v.as_array().unwrap() {
        for p in rb["phases"].as_array().unwrap() {
            let role = p["role"].as_str().unwrap_or_else(|| panic!("no role: {p}"));
            assert!(
                ["flow", "rollback", "alternative", "context"].contains(&role),
                "{p}"
            );
            // The old field stays, and agrees.
            assert_eq!(p["rollback"], role == "rollback", "{p}");
            for s in p["steps"].as_array().unwrap() {
                let role = s["role"].as_str().unwrap_or_else(|| panic!("no role: {s}"));
                if role == "flow" && s["destructive"] == true {
                    flow_destructive.push(s["title"].to_string());
                }
            }
        }
    }
    // Both runbooks' `rm -rf` sit in a rollback or an option: none in the flow.
    assert!(flow_destructive.is_empty(), "{flow_destructive:?}");
    let fr = &v[1];
    let phase = |title: &str| {
        fr["phases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == title)
            .cloned()
            .unwrap_or_else(|| panic!("no phase {title}"))
    };
    assert_eq!(phase("Plan de retour arrière")["role"], "rollback");
    assert_eq!(phase("Plan de retour arrière")["level"], 2);
    assert_eq!(phase("Dépannage")["role"], "alternative");
    let migration = phase("Étape 2 : Migration des données");
    assert_eq!(migration["steps"][1]["role"], "alternative", "{migration}");
    assert_eq!(migration["steps"][1]["level"], 3, "{migration}");
}

#[test]
fn an_explicit_role_wins_over_the_heading() {
    let w = Workdir::new();
    let rb = w.write(
        "explicit.md",
        "# Deploy\n\n## Troubleshooting the cache {role=flow}\n\n```bash\necho warm\n```\n\n\
         ## Deploy the canary {role=alternative}\n\n```bash\necho canary\n```\n\n\
         ## Useful commands {role=context}\n\n```bash\necho ls\n```\n\n\
         ## Clean up {rollback undoes=troubleshooting-the-cache}\n\n```bash\necho undo\n```\n",
    );
    let (code, stdout, stderr) = check(&["check", "--color", "never", &rb.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    assert_eq!(
        roles_block(&stdout),
        pairs(&[
            ("flow", "## Troubleshooting the cache"),
            ("alternative", "## Deploy the canary"),
            ("context", "## Useful commands"),
            ("rollback", "## Clean up"),
        ]),
        "{stdout}"
    );
    let bad = w.write(
        "bad.md",
        "# X\n\n## Y {role=optional}\n\n```bash\necho y\n```\n",
    );
    let (code, _, stderr) = check(&["check", "--color", "never", &bad.to_string_lossy()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("`optional` is not a role"), "{stderr}");
    assert!(
        stderr.contains("flow, rollback, alternative, context"),
        "{stderr}"
    );
}

#[test]
fn a_destructive_flow_step_under_an_undo_heading_is_a_warning() {
    let w = Workdir::new();
    let text =
        "# Recover\n\n## Restore the database\n\n```bash\nrm -rf /var/lib/postgresql/data\n```\n";
    let rb = w.write("restore.md", text);
    let (code, _, stderr) = check(&["check", "--color", "never", &rb.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning[destructive-undo-in-flow]"),
        "{stderr}"
    );
    assert!(stderr.contains("{role=rollback}"), "{stderr}");
    assert!(stderr.contains("{role=flow}"), "{stderr}");
    // Stating the role is the fix.
    let rb = w.write(
        "restore-flow.md",
        &text.replace(
            "## Restore the database",
            "## Restore the database {role=flow}",
        ),
    );
    let (_, _, stderr) = check(&["check", "--color", "never", &rb.to_string_lossy()]);
    assert!(!stderr.contains("destructive-undo-in-flow"), "{stderr}");
}

#[test]
fn a_second_title_that_is_a_rollback_is_read_as_a_rollback_phase() {
    let w = Workdir::new();
    let rb = w.write(
        "h1.md",
        "# Upgrade\n\n## Deploy\n\n```bash\necho deploy\n```\n\n# 🔙 Rollback\n\n```bash\nrm -rf /var/lib/postgresql/data\n```\n",
    );
    let (code, stdout, stderr) = check(&["check", "--format", "json", &rb.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}\n{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let phases = v[0]["phases"].as_array().unwrap();
    assert_eq!(phases.len(), 2, "{stdout}");
    assert_eq!(phases[0]["role"], "flow");
    assert_eq!(phases[0]["steps"][0]["destructive"], false, "{stdout}");
    assert_eq!(phases[1]["role"], "rollback", "{stdout}");
    assert_eq!(phases[1]["level"], 1, "{stdout}");
    assert_eq!(phases[1]["steps"][0]["destructive"], true, "{stdout}");
    let (_, _, stderr) = check(&["check", "--color", "never", &rb.to_string_lossy()]);
    assert!(
        stderr.contains("this rollback section is read as a phase"),
        "{stderr}"
    );
}
