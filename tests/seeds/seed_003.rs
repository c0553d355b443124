//! Seed 003 (PCA/PRA APiLos): the disaster recovery of APiLos on Scalingo,
//! rehearsed on the sandbox's production by an operator at the plain
//! console. The Scalingo and Scaleway console steps, GitHub, the ssh
//! tunnel, Redis, the deployment and DNS cannot exist here: their
//! checklists are ticked as the operator's own work (the bucket, which the
//! Scaleway console would create, the test creates in moto when its item
//! is ticked) or skipped with a reason. The database and S3 steps run for
//! real: the runbook's `pg_restore --clean` restores a real `pg_dump`
//! archive of staging into production's emptied database behind its gate,
//! its `sql` check lists every table's rows, and its `s3` step uploads the
//! `s3_production` artefact into moto.

use crate::support::operator;
use crate::support::raw_http;
use crate::support::rehearsal;

use std::collections::BTreeMap;
use std::path::Path;

use operator::{Ask, say};
use rehearsal::Rehearsal;

const RUNBOOK: &str = "003-pca-pra-apilos.md";
const TABLES: [&str; 4] = [
    "programmes_programme",
    "programmes_lot",
    "programmes_logement",
    "conventions_convention",
];
/// The bucket the runbook's `sandbox.env` names.
const BUCKET: &str = "apilos-pra-sandbox";

fn assets() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/sandbox/003-pca-pra-apilos")
}

/// Row counts of the four APiLos tables.
fn counts(r: &Rehearsal, url_var: &str) -> BTreeMap<String, i64> {
    TABLES
        .iter()
        .map(|t| {
            let n = r.psql(url_var, &format!("SELECT count(*) FROM {t}"));
            (t.to_string(), n.parse().unwrap_or(-1))
        })
        .collect()
}

/// One plain HTTP request to the sandbox's moto: status and body.
fn s3_http(endpoint: &str, method: &str, path: &str) -> (u16, String) {
    raw_http::request(endpoint, method, path, &[], b"")
}

/// `<Key>…</Key>` and `<Size>…</Size>` of a ListObjectsV2 answer.
fn listed(body: &str) -> BTreeMap<String, u64> {
    body.split("<Contents>")
        .skip(1)
        .filter_map(|c| {
            let field = |name: &str| {
                let open = format!("<{name}>");
                let start = c.find(&open)? + open.len();
                let end = c[start..].find(&format!("</{name}>"))? + start;
                Some(c[start..end].to_string())
            };
            Some((field("Key")?, field("Size")?.parse().ok()?))
        })
        .collect()
}

/// The files under `dir`, by path relative to it, with their sizes.
fn files(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("read {}: {e}", d.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap_or(&p);
                let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
                out.insert(rel.to_string_lossy().into_owned(), size);
            }
        }
    }
    out
}

/// Why a step cannot be done in the sandbox, by its title; None when it
/// runs here or is done by the operator (the test).
fn cannot_exist_here(step: &str) -> Option<&'static str> {
    if step.contains("Redis") {
        Some("pas d'addon Redis Scalingo dans le bac à sable")
    } else if step.contains("Déployer via") {
        Some("pas de serveur git Scalingo dans le bac à sable")
    } else if step.contains("DNS") {
        Some("pas de fournisseur DNS dans le bac à sable")
    } else if step.contains("configuration réseau") {
        Some("pas de console Scalingo (domaines, SSL) dans le bac à sable")
    } else if step.contains("seconde WebApp") {
        Some("une seule WebApp répétée dans le bac à sable")
    } else {
        None
    }
}

#[test]
fn seed_003_disaster_recovery_restores_the_database_and_the_bucket() {
    let r = Rehearsal::start(RUNBOOK);
    let source = counts(&r, "STAGING_DB_URL");
    assert_eq!(
        source["programmes_logement"], 3000,
        "the dataset: {source:?}"
    );
    assert!(source.values().all(|&n| n > 0), "{source:?}");

    // The new application's database is empty: the sandbox loaded the
    // dataset into production too, so drop it there.
    r.psql(
        "PROD_DB_URL",
        &format!("DROP TABLE {}", TABLES.map(|t| t.to_string()).join(", ")),
    );
    assert_eq!(
        r.psql(
            "PROD_DB_URL",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ),
        "0"
    );

    // The Scalingo backup archive, the unzipped artefact and the bucket:
    // the sandbox made them at start (`sandbox: setup:` dumped its
    // production before it was emptied above; `sandbox: workdir:` copied
    // the artefact; the s3 steps name the bucket) in the folder the
    // session runs in. Nothing is prepared here.
    let work = r.w.data().join("sandbox/work");
    let head = std::fs::read(work.join("dump_file.pgsql")).unwrap_or_default();
    assert!(
        head.starts_with(b"PGDMP"),
        "no dump_file.pgsql in {}",
        work.display()
    );
    let endpoint = r.env("AWS_ENDPOINT_URL");
    let archive = assets().join("s3_production");
    let mut skipped = Vec::new();
    let mut gates = 0;
    let mut op = r.run("production", &[], true);
    let status = op.drive(|m| {
        let why = cannot_exist_here(&m.step);
        match &m.ask {
            Ask::Run | Ask::Tick(_) | Ask::Done if why.is_some() => {
                skipped.push(m.step.clone());
                say(["s"])
            }
            Ask::Reason => match cannot_exist_here(&m.step) {
                Some(why) => vec![why.to_string()],
                None => panic!("a reason asked for {:?}\n{}", m.step, m.since_header),
            },
            Ask::Tick(item) => {
                // The operator's console work: the sandbox already did it.
                if item.starts_with("Créer un bucket") {
                    let (status, body) = s3_http(&endpoint, "HEAD", &format!("/{BUCKET}"));
                    assert_eq!(status, 200, "the sandbox made no bucket {BUCKET}: {body}");
                }
                if item.starts_with("Dézipper l’archive") {
                    assert_eq!(files(&work.join("s3_production")), files(&archive));
                }
                say(["y"])
            }
            // The interactive psql: what the operator types is psql's.
            Ask::Run if m.step.contains("vérification") => say([
                "",
                "SELECT 'logements=' || count(*) FROM programmes_logement;",
                "\\q",
            ]),
            Ask::Run | Ask::Done => say([""]),
            // pg_restore --clean, and the count of every table, whose
            // queries query_to_xml builds at run time: runsheet cannot see
            // them (sql-opaque), so production asks for its name.
            Ask::Gate => {
                gates += 1;
                assert!(
                    m.step.contains("pg_restore") || m.step.contains("contrôle des tables"),
                    "an unexpected gate at {:?}",
                    m.step
                );
                say(["production"])
            }
            other => panic!("{other:?} at {:?}:\n{}", m.step, m.since_header),
        }
    });
    let transcript = op.transcript.clone();
    eprintln!("{transcript}");
    assert!(status.success(), "the session failed:\n{transcript}");
    assert_eq!(gates, 2, "{transcript}");
    // psql answered the query typed into it, on the restored database.
    assert!(
        transcript.contains("logements=3000"),
        "psql's answer:\n{transcript}"
    );

    // The database: every table restored, with the source's rows.
    assert_eq!(counts(&r, "PROD_DB_URL"), source, "{transcript}");
    assert_eq!(
        r.psql(
            "PROD_DB_URL",
            "SELECT numero FROM conventions_convention WHERE id = 2"
        ),
        r.psql(
            "STAGING_DB_URL",
            "SELECT numero FROM conventions_convention WHERE id = 2"
        ),
    );

    // The bucket: every file of the artefact at its key, same size.
    let (status, body) = s3_http(&endpoint, "GET", &format!("/{BUCKET}?list-type=2"));
    assert_eq!(status, 200, "{body}");
    let objects = listed(&body);
    assert_eq!(objects, files(&archive), "{body}");
    assert!(objects.contains_key("conventions/2/convention-signee.pdf"));
    // And back: the step read the whole bucket again, byte for byte.
    let back = work.join("verification_s3");
    assert_eq!(files(&back), files(&archive));
    for name in files(&archive).keys() {
        assert_eq!(
            std::fs::read(back.join(name)).ok(),
            std::fs::read(archive.join(name)).ok(),
            "{name} came back different"
        );
    }

    // The journal: the gate, the skips and their reasons, the results.
    let gates = r.of_type("gate-answered");
    assert_eq!(gates.len(), 2, "{gates:?}");
    assert_eq!(gates[0]["step"], "pg-restore");
    assert_eq!(gates[1]["step"], "controle-tables");
    assert!(
        gates.iter().all(|g| g["typed"] == "production"),
        "{gates:?}"
    );
    let skips = r.of_type("skipped");
    for (step, why) in [
        ("redis", "Redis"),
        ("deployer-via-le-repositories-git-de-saclingo", "git"),
        ("configurer-les-entrees-dns", "DNS"),
        ("adapte-la-configuration-reseau-sur-scalingo", "Scalingo"),
        ("seconde-webapp", "WebApp"),
    ] {
        assert!(
            skips
                .iter()
                .any(|s| s["step"] == step && s["reason"].as_str().unwrap_or("").contains(why)),
            "no skip of {step} naming {why:?}: {skips:?}"
        );
    }
    assert_eq!(skips.len(), 5, "{skips:?}");
    assert_eq!(skipped.len(), 5, "{skipped:?}");

    let results = r.of_type("action-result");
    let query = results
        .iter()
        .find(|x| x["step"] == "controle-tables")
        .unwrap_or_else(|| panic!("no result for the table check: {results:?}"));
    let rows: BTreeMap<String, i64> = query["result"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|row| Some((row[0].as_str()?.to_string(), row[1].as_str()?.parse().ok()?)))
        .collect();
    assert_eq!(rows, source, "the sql check's rows: {query}");
    let s3 = results
        .iter()
        .find(|x| x["step"] == "copie-bucket")
        .unwrap_or_else(|| panic!("no result for the S3 copy: {results:?}"));
    assert_eq!(s3["result"]["kind"], "s3", "{s3}");

    let report = r.verify_and_report();
    assert!(report.contains("pg_restore"), "{report}");
}
