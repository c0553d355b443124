use super::*;
use crate::runbook::parse;
use crate::secrets::Secrets;
use std::collections::HashMap;

const RB: &str = "---\nvariables:\n  RELEASE: {}\n  PROD_DB_HOST: {}\n  TOKEN: { secret: true }\n  URL: {}\n---\n# R\n\n## P\n\nDeploy.\n";

fn values(pairs: &[(&str, &str)]) -> Values {
    let rb = parse("r.md", RB).runbook;
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Values::new(&rb.variables, &map)
}

fn shown(text: &str, syntax: Syntax) -> String {
    let v = values(&[("RELEASE", "2.4.1"), ("PROD_DB_HOST", "db.prod")]);
    render(&pieces(text, &v, syntax))
}

#[test]
fn every_reference_style_but_not_a_longer_name() {
    assert_eq!(
        shown(
            "$RELEASE ${RELEASE} {{ RELEASE }} $RELEASEX ${RELEASE}X $RELEASE_2",
            Syntax::Plain
        ),
        "2.4.1 2.4.1 2.4.1 $RELEASEX 2.4.1X $RELEASE_2"
    );
}

#[test]
fn an_escaped_dollar_a_modifier_and_unknown_names_stay_as_written() {
    assert_eq!(
        shown(r"\$RELEASE ${RELEASE:-x} $HOME $user $1", Syntax::Plain),
        r"\$RELEASE ${RELEASE:-x} $HOME $user $1"
    );
}

#[test]
fn a_secret_is_masked_whatever_value_is_given_for_it() {
    // Even a value under a secret's name (a journal written by hand) is
    // never shown: the runbook says it is secret.
    let v = values(&[("TOKEN", "s3cr3t"), ("RELEASE", "2.4.1")]);
    let p = pieces("curl -H \"X: $TOKEN\" ${TOKEN}", &v, Syntax::Shell);
    assert_eq!(render(&p), "curl -H \"X: ***\" ***");
    assert_eq!(legend_text(&legend(&p)), "$TOKEN = *** (secret)");
}

#[test]
fn kept_values_leave_out_secrets_and_mask_them_inside_other_values() {
    let rb = parse("r.md", RB).runbook;
    let given: HashMap<String, String> = [
        ("TOKEN", "abc123"),
        // The secret's value is part of a value not marked secret.
        ("URL", "https://x/?k=abc123xyz"),
        ("RELEASE", "2.4.1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut secrets = Secrets::default();
    secrets.add("abc123".to_string());
    let kept = kept(&rb.variables, &given, &secrets);
    assert_eq!(kept.get("TOKEN"), None);
    assert_eq!(kept["URL"], "https://x/?k=***xyz");
    assert_eq!(kept["RELEASE"], "2.4.1");
    let all: String = kept.values().cloned().collect();
    assert!(!all.contains("abc123"), "{all}");
}

#[test]
fn the_shell_does_not_expand_single_quotes_comments_or_a_quoted_heredoc() {
    let code = "echo '$RELEASE' \"$RELEASE\" $'x $RELEASE' # $RELEASE\n\
                cat <<'EOF'\n$RELEASE\nEOF\n\
                cat <<EOF\nsay '$RELEASE'\nEOF\n\
                echo done-$RELEASE";
    assert_eq!(
        shown(code, Syntax::Shell),
        "echo '$RELEASE' \"2.4.1\" $'x $RELEASE' # $RELEASE\n\
         cat <<'EOF'\n$RELEASE\nEOF\n\
         cat <<EOF\nsay '2.4.1'\nEOF\n\
         echo done-2.4.1"
    );
    // runsheet's own expansion (sql, http) ignores quotes.
    assert_eq!(shown("SELECT '$RELEASE'", Syntax::Plain), "SELECT '2.4.1'");
}

#[test]
fn the_legend_names_each_variable_once_in_order() {
    let v = values(&[("RELEASE", "2.4.1"), ("PROD_DB_HOST", "db.prod")]);
    let p = pieces(
        "--host=$PROD_DB_HOST $RELEASE $TOKEN $PROD_DB_HOST",
        &v,
        Syntax::Plain,
    );
    assert_eq!(
        legend_text(&legend(&p)),
        "$PROD_DB_HOST = db.prod · $RELEASE = 2.4.1 · $TOKEN = *** (secret)"
    );
}

#[test]
fn markdown_fills_text_and_code_spans_not_the_blocks_that_run() {
    let v = values(&[("RELEASE", "2.4.1")]);
    let md = "Deploying release `$RELEASE` ($RELEASE), token $TOKEN.\n\n- [ ] tag $RELEASE\n\n```bash\necho $RELEASE\n```\n\n```text\nv$RELEASE\n```\n";
    let out = markdown(md, &v);
    assert_eq!(
        out,
        "Deploying release `2.4.1` (2\\.4\\.1), token \\*\\*\\*.\n\n- [ ] tag 2\\.4\\.1\n\n```bash\necho $RELEASE\n```\n\n```text\nv2.4.1\n```\n\n*values:* `$RELEASE` = `2.4.1` · `$TOKEN` = `***` (secret)\n"
    );
    // Without a known variable the text is unchanged (no note).
    assert_eq!(markdown("Deploy $HOME.\n", &v), "Deploy $HOME.\n");
}

#[test]
fn a_landing_says_host_port_database_version_and_cluster() {
    let l = Landing {
        target: "production".into(),
        protected: true,
        database: Some("***".into()),
        identity: Some(DbIdentity {
            server: "10.1.2.3:5433".into(),
            database: "app".into(),
            version: "16.4".into(),
            system_identifier: Some("7301234567890123456".into()),
        }),
        host: "ops-1".into(),
        context: None,
    };
    assert_eq!(
        l.lines(),
        vec![
            "database app on host 10.1.2.3, port 5433",
            "PostgreSQL 16.4 · system identifier 7301234567890123456"
        ]
    );
    let unknown = Landing {
        identity: None,
        ..l.clone()
    };
    assert!(unknown.lines()[1].contains("not identified"), "{unknown:?}");
    let none = Landing {
        identity: None,
        database: None,
        ..l
    };
    assert_eq!(
        none.lines(),
        vec!["no database declared: the commands run here, on ops-1"]
    );
}

#[test]
fn the_fold_keeps_the_first_records_values_then_each_resumes() {
    use crate::session::{Msg, SessionInfo, fold};
    let rb = std::sync::Arc::new(parse("r.md", RB).runbook);
    let info = SessionInfo {
        runbook_path: "r.md".into(),
        runbook_hash: "h".into(),
        runbook_text: RB.into(),
        target: "staging".into(),
        operator: "alice".into(),
        host: "laptop".into(),
        tool_version: "0".into(),
        drill: false,
        variables: vec!["RELEASE".into(), "PROD_DB_HOST".into()],
        values: [
            ("RELEASE".to_string(), "2.4.1".to_string()),
            ("PROD_DB_HOST".to_string(), "db.prod".to_string()),
        ]
        .into(),
        sandbox: false,
        workdir: None,
        targets: Vec::new(),
    };
    let resumed = Msg::Resumed {
        runbook_hash: "h".into(),
        runbook_changed: false,
        runbook_text: None,
        operator: None,
        host: None,
        values: [("RELEASE".to_string(), "2.4.2".to_string())].into(),
    };
    let s = fold(rb, vec![(0, Msg::SessionStarted(info)), (10, resumed)])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(s.values()["RELEASE"], "2.4.2");
    assert_eq!(s.values()["PROD_DB_HOST"], "db.prod");
    let v = Values::for_step(&s, "p");
    assert_eq!(v.fill("$RELEASE on $PROD_DB_HOST"), "2.4.2 on db.prod");
}

#[test]
fn a_placeholder_is_shown_as_its_value_as_it_runs_never_a_secret_nor_in_a_comment() {
    let rb = parse(
        "r.md",
        "# R\n\n## P\n\n```bash\nkubectl get pods -n <namespace> # not <namespace>\ncurl -H 'Bearer YOUR_TOKEN' https://x/<user>\n```\n",
    )
    .runbook;
    let asked = crate::runbook::placeholders::asked_variables(&rb);
    let map: BTreeMap<String, String> = [("NAMESPACE", "team a"), ("USER_VALUE", "bob")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let v = Values::new(&asked, &map);
    let action = &rb.phases[0].steps[0].actions[0];
    let pieces = code(action, &v);
    assert_eq!(
        render(&pieces),
        "kubectl get pods -n team a # not <namespace>\ncurl -H 'Bearer ***' https://x/bob\n"
    );
    assert_eq!(
        legend_text(&legend(&pieces)),
        "$NAMESPACE = team a · $TOKEN = *** (secret) · $USER_VALUE = bob"
    );
}
