//! `runsheet archive` against the S3 server the tests run (moto): the
//! journal and its reports uploaded and read back; in a bucket with Object
//! Lock, retained in compliance mode so that a delete is refused; in one
//! without, said plainly (and refused with --require-lock); a broken
//! journal never archived.

use crate::support::s3;
use crate::support::workdir::{Workdir, text};

fn workdir(moto: &s3::Moto) -> Workdir {
    let mut w = Workdir::new();
    w.set("AWS_ENDPOINT_URL", &moto.endpoint())
        .set("AWS_REGION", "us-east-1")
        .set("AWS_ACCESS_KEY_ID", s3::ANY_KEY)
        .set("AWS_SECRET_ACCESS_KEY", s3::ANY_SECRET)
        .set("AWS_EC2_METADATA_DISABLED", "true")
        .set("AWS_CONFIG_FILE", "/nonexistent")
        .set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    w
}

/// A session that ran to its end, and its journal.
fn ended(w: &Workdir) -> String {
    let rb = w.write(
        "r.md",
        "# Evidence\n\n## P\n\n### One\n\n```bash\necho the output\n```\n",
    );
    let out = w.auto(&rb, "staging");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    w.journals()[0].to_string_lossy().into_owned()
}

fn locked_bucket(moto: &s3::Moto) -> String {
    let bucket = s3::unique_bucket("evidence");
    let client = moto.client(None);
    s3::block_on(
        client
            .create_bucket()
            .bucket(&bucket)
            .object_lock_enabled_for_bucket(true)
            .send(),
    )
    .unwrap_or_else(|e| panic!("create {bucket}: {e:?}"));
    bucket
}

#[test]
fn archived_with_object_lock_nothing_can_delete_it() {
    let moto = s3::server();
    let w = workdir(moto);
    let journal = ended(&w);
    let bucket = locked_bucket(moto);
    let out = w.run(
        &[
            "archive",
            &journal,
            &format!("s3://{bucket}/tickets/CHG-42"),
            "--retain-days",
            "1",
        ],
        "",
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("cannot be deleted before"), "{said}");
    let keys = moto.keys(&bucket, "tickets/CHG-42/");
    assert_eq!(keys.len(), 3, "{keys:?}");
    let name = std::path::Path::new(&journal)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let key = format!("tickets/CHG-42/{name}.jsonl");
    assert_eq!(
        moto.get(&bucket, &key).as_deref(),
        Some(std::fs::read(&journal).unwrap().as_slice())
    );
    assert!(
        String::from_utf8(
            moto.get(&bucket, &format!("tickets/CHG-42/{name}.html"))
                .unwrap()
        )
        .unwrap()
        .contains("<html")
    );
    // The retention holds: deleting the version is refused.
    let client = moto.client(None);
    let head = s3::block_on(client.head_object().bucket(&bucket).key(&key).send()).unwrap();
    assert_eq!(
        head.object_lock_mode().map(|m| m.as_str()),
        Some("COMPLIANCE")
    );
    let version = head.version_id().unwrap_or_default().to_string();
    let deleted = s3::block_on(
        client
            .delete_object()
            .bucket(&bucket)
            .key(&key)
            .version_id(&version)
            .send(),
    );
    assert!(deleted.is_err(), "a locked version was deleted");
    assert!(moto.get(&bucket, &key).is_some());
}

#[test]
fn a_bucket_without_object_lock_is_said_and_refused_when_required() {
    let moto = s3::server();
    let w = workdir(moto);
    let journal = ended(&w);
    let bucket = s3::unique_bucket("plain");
    moto.create_bucket(&bucket);
    let to = format!("s3://{bucket}/x");
    let out = w.run(&["archive", &journal, &to, "--require-lock"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no S3 Object Lock"), "{}", text(&out));
    assert!(moto.keys(&bucket, "").is_empty(), "uploaded anyway");
    let out = w.run(&["archive", &journal, &to], "");
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("these copies can be deleted"), "{said}");
    assert_eq!(moto.keys(&bucket, "x/").len(), 3);
}

#[test]
fn a_broken_journal_is_not_archived() {
    let moto = s3::server();
    let w = workdir(moto);
    let journal = ended(&w);
    let text_now = std::fs::read_to_string(&journal).unwrap();
    std::fs::write(&journal, text_now.replacen("the output", "other words", 1)).unwrap();
    let bucket = s3::unique_bucket("broken");
    moto.create_bucket(&bucket);
    let out = w.run(&["archive", &journal, &format!("s3://{bucket}/x")], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("fails verification"), "{}", text(&out));
    assert!(moto.keys(&bucket, "").is_empty());
}

#[test]
fn a_session_archives_itself_at_its_end_when_the_config_says_so() {
    let moto = s3::server();
    let mut w = workdir(moto);
    let bucket = locked_bucket(moto);
    let config = w.write(
        "config.yaml",
        &format!("archive:\n  to: s3://{bucket}/auto\n  auto: true\n  retain-days: 1\n"),
    );
    w.set("RUNSHEET_CONFIG", &config.to_string_lossy());
    let rb = w.write("r.md", "# E\n\n## P\n\n### One\n\n```bash\necho hi\n```\n");
    let out = w.auto(&rb, "staging");
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("archived to s3://"), "{said}");
    assert_eq!(moto.keys(&bucket, "auto/").len(), 3, "{said}");
}

/// Evidence in one command: `archive --sign` signs the journal with the
/// operator's key, then archives it with its signature, which verifies.
#[test]
fn archive_sign_signs_then_archives_the_signature_too() {
    use crate::support::evidence::SshHome;
    let moto = s3::server();
    let home = SshHome::new("alice@example.com");
    home.trust_itself();
    let mut w = workdir(moto);
    w.set("HOME", &home.path().to_string_lossy());
    let journal = ended(&w);
    let bucket = locked_bucket(moto);
    let out = w.run(
        &[
            "archive",
            "--sign",
            &journal,
            &format!("s3://{bucket}/t"),
            "--retain-days",
            "1",
        ],
        "",
    );
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    let keys = moto.keys(&bucket, "t/");
    assert_eq!(keys.len(), 4, "{keys:?}");
    let sig = keys
        .iter()
        .find(|k| k.ends_with(".jsonl.sig"))
        .expect("the signature");
    assert_eq!(
        moto.get(&bucket, sig).as_deref(),
        Some(
            std::fs::read(format!("{journal}.sig"))
                .unwrap_or_default()
                .as_slice()
        )
        .filter(|s| !s.is_empty())
    );
    let v = w.run(&["verify", &journal, "--signed"], "");
    assert!(v.status.success(), "{}", text(&v));
}
