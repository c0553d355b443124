//! `s3` steps against a real S3-compatible server (moto) on loopback,
//! through the headless runner: round trips of a large file in parts and of
//! a folder of many files, verify checks, a multipart upload killed with
//! SIGKILL and resumed, credential and bucket errors, and the gates.

use crate::support::s3;
use crate::support::workdir;

use std::path::Path;
use std::time::Instant;

use serde_json::Value;
use workdir::{Workdir, text};

/// The target's `env:` lines for `moto` with `keys` (None: any key), and
/// extra settings.
fn target_env(moto: &s3::Moto, keys: Option<&s3::Keys>, extra: &[(&str, &str)]) -> String {
    let (id, _) = match keys {
        Some(k) => (k.id.as_str(), k.secret.as_str()),
        None => (s3::ANY_KEY, s3::ANY_SECRET),
    };
    let mut env = format!(
        "      AWS_ENDPOINT_URL: \"{}\"\n      AWS_REGION: eu-west-3\n      AWS_ACCESS_KEY_ID: \"{id}\"\n      AWS_SECRET_ACCESS_KEY: $S3_SECRET\n",
        moto.endpoint()
    );
    for (k, v) in extra {
        env.push_str(&format!("      {k}: \"{v}\"\n"));
    }
    env
}

/// A runbook whose staging and (protected) production targets both point
/// at `moto`; the secret key comes from the secret variable S3_SECRET.
fn runbook(env: &str, body: &str) -> String {
    format!(
        "---\ntargets:\n  staging:\n    env:\n{env}  production:\n    protected: true\n    env:\n{env}variables:\n  S3_SECRET: {{ secret: true }}\n---\n# Backup\n\n## Phase {{#p}}\n\n{body}"
    )
}

fn step(id: &str, lines: &str) -> String {
    format!("### Step {id} {{#{id}}}\n\n```s3\n{lines}```\n\n")
}

fn workdir(secret: &str) -> Workdir {
    let mut w = Workdir::new();
    w.set("S3_SECRET", secret)
        // Never let the SDK look for credentials beyond what the test gives.
        .set("AWS_EC2_METADATA_DISABLED", "true")
        .set("AWS_CONFIG_FILE", "/nonexistent")
        .set("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent");
    w
}

fn write_bytes(w: &Workdir, name: &str, data: &[u8]) -> std::path::PathBuf {
    let p = w.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, data).unwrap_or_else(|e| panic!("write {name}: {e}"));
    p
}

/// The ops of the action results, flattened.
fn ops(w: &Workdir) -> Vec<Value> {
    w.of_type("action-result")
        .iter()
        .filter(|r| r["result"]["kind"] == "s3")
        .flat_map(|r| r["result"]["ops"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Ranges of a download journaled as written, in journal order.
fn journaled_ranges(w: &Workdir) -> Vec<u64> {
    w.of_type("checkpoint")
        .iter()
        .filter_map(|r| r["data"]["range"].as_u64())
        .collect()
}

/// Part numbers journaled as confirmed, in journal order.
fn journaled_parts(w: &Workdir) -> Vec<u64> {
    w.of_type("checkpoint")
        .iter()
        .filter_map(|r| r["data"]["part"].as_u64())
        .collect()
}

const MIB: usize = 1 << 20;

/// What runsheet's multipart upload leaves for a later check of the whole
/// object: the SHA-256 of `data` in the object's tag (the metadata says
/// so), and the composite CRC32 of its parts of `part` bytes.
fn assert_whole_object_verifiable(
    moto: &s3::Moto,
    bucket: &str,
    key: &str,
    data: &[u8],
    part: usize,
) {
    let (size, meta) = moto.head(bucket, key).expect("no object");
    assert_eq!(size, data.len() as u64);
    assert!(
        meta.contains(&("sha256-tag".into(), "runsheet-sha256".into())),
        "{meta:?}"
    );
    let tags = moto.tags(bucket, key).unwrap_or_default();
    assert_eq!(
        tags,
        vec![("runsheet-sha256".to_string(), s3::sha256_hex(data))]
    );
    let theirs = moto.checksum_crc32(bucket, key).unwrap_or_default();
    let ours = s3::composite_crc32(data, part);
    // Moto's HEAD leaves out the `-N` of a composite; S3 keeps it.
    assert!(
        ours == theirs || ours.starts_with(&format!("{theirs}-")),
        "the server's CRC32 {theirs}, the parts' {ours}"
    );
}

/// A provider that refuses declared checksums still gets the upload, each
/// part checked by Content-MD5 and the SHA-256 in the metadata.
#[test]
fn a_server_that_refuses_part_checksums_gets_content_md5_parts() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("nocrc");
    moto.create_bucket(&bucket);
    let w = workdir(s3::ANY_SECRET);
    let data = s3::noise(17 * MIB, 7);
    write_bytes(&w, "dump.bin", &data);
    let sha = s3::sha256_hex(&data);
    let body = step(
        "up",
        &format!(
            "upload ./dump.bin s3://{bucket}/d/\n\
             verify s3://{bucket}/d/dump.bin exists sha256={sha}\n\
             download s3://{bucket}/d/dump.bin ./back/\n"
        ),
    );
    let rb = w.write(
        "r.md",
        &runbook(
            &target_env(moto, None, &[("RUNSHEET_S3_PART_SIZE", "8MiB")]),
            &body,
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("the server refuses part checksums"), "{all}");
    let checks = moto.part_checks(&bucket, "d/dump.bin");
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert!(
        checks.iter().all(|c| c.ends_with(" crc32=none md5=ok")),
        "{checks:?}"
    );
    let back = std::fs::read(w.path().join("back/dump.bin")).unwrap_or_default();
    assert!(back == data, "the downloaded file differs");
}

#[test]
fn a_large_file_goes_up_in_parts_and_comes_back_identical() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("large");
    moto.create_bucket(&bucket);
    let w = workdir(s3::ANY_SECRET);
    let data = s3::noise(40 * MIB + 12_345, 1);
    let file = write_bytes(&w, "backup.sql.gz", &data);
    let sha = s3::sha256_file(&file);
    let body = step(
        "up",
        &format!(
            "upload ./backup.sql.gz s3://{bucket}/migration/\n\
             verify s3://{bucket}/migration/backup.sql.gz exists size>40MiB age<30m sha256={sha}\n\
             download s3://{bucket}/migration/backup.sql.gz ./restore/\n\
             list s3://{bucket}/migration/\n"
        ),
    );
    let rb = w.write(
        "r.md",
        &runbook(
            &target_env(moto, None, &[("RUNSHEET_S3_PART_SIZE", "8MiB")]),
            &body,
        ),
    );
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    // Same bytes back, and the server has the whole file's SHA-256 (in
    // its tag, which the metadata points to) and the composite CRC32 of
    // its parts.
    let back = std::fs::read(w.path().join("restore/backup.sql.gz")).unwrap_or_default();
    assert!(back == data, "the downloaded file differs");
    let key = "migration/backup.sql.gz";
    assert_whole_object_verifiable(moto, &bucket, key, &data, 8 * MIB);
    // Each part declared its CRC32, which the server checked on arrival.
    let checks = moto.part_checks(&bucket, key);
    assert_eq!(checks.len(), 6, "{checks:?}");
    assert!(
        checks.iter().all(|c| c.ends_with(" crc32=ok md5=none")),
        "{checks:?}"
    );
    // Five parts of 8 MiB (the last one short), each journaled once.
    assert_eq!(journaled_parts(&w).len(), 6, "{:?}", journaled_parts(&w));
    let part_puts = moto
        .requests()
        .iter()
        .filter(|r| {
            r.starts_with(&format!("PUT /{bucket}/migration/backup.sql.gz?"))
                && r.contains("partNumber=")
        })
        .count();
    assert_eq!(part_puts, 6);
    // And it came back in six ranged GETs, each range asked for once.
    let mut ranges = moto.ranged_gets(&bucket, "migration/backup.sql.gz");
    assert_eq!(ranges.len(), 6, "{ranges:?}");
    ranges.sort();
    ranges.dedup();
    assert_eq!(ranges.len(), 6, "{ranges:?}");
    // Progress lines, then the summaries.
    assert!(
        all.contains("\r[####################] 40.0 MiB of 40.0 MiB (100%)"),
        "{all}"
    );
    assert!(all.contains("uploaded 40.0 MiB in"), "{all}");
    assert!(all.contains("matches the sha256 stored at upload"), "{all}");
    assert!(all.contains(&format!("ok      sha256={sha}")), "{all}");
    assert!(all.contains("1 object, 40.0 MiB"), "{all}");
    let ops = ops(&w);
    let kinds: Vec<&str> = ops.iter().filter_map(|o| o["op"].as_str()).collect();
    assert_eq!(kinds, ["upload", "verify", "download", "list"]);
    assert_eq!(ops[0]["bytes"], data.len() as u64);
    assert_eq!(ops[0]["sha256"], sha);
    assert_eq!(ops[0]["parts"], 6);
    assert_eq!(ops[1]["checks"][2]["check"], "age<30m");
    assert_eq!(ops[1]["checks"][2]["passed"], true);
    assert_eq!(ops[2]["checked"], "sha256");
    // The secret key is never written anywhere.
    assert!(!w.journal_text().contains(s3::ANY_SECRET));
}

#[test]
fn a_folder_of_a_thousand_files_goes_up_and_comes_back() {
    // Its own server: moto serves one request at a time, and 2,000 of them
    // would hold up the other tests.
    let moto = &s3::Moto::start("folder");
    let bucket = s3::unique_bucket("folder");
    moto.create_bucket(&bucket);
    let w = workdir(s3::ANY_SECRET);
    for i in 0..1000 {
        let name = format!("dumps/part-{}/table-{i:04}.csv", i % 7);
        write_bytes(&w, &name, &s3::noise(100 + i * 7, i as u64 + 10));
    }
    let body = step(
        "folder",
        &format!("upload ./dumps/ s3://{bucket}/dumps/\ndownload s3://{bucket}/dumps/ ./back/\n"),
    );
    let rb = w.write("r.md", &runbook(&target_env(moto, None, &[]), &body));
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    eprintln!("1000 files up and back in {:.1?}", started.elapsed());
    assert_eq!(moto.keys(&bucket, "dumps/").len(), 1000);
    for i in (0..1000).step_by(37) {
        let name = format!("part-{}/table-{i:04}.csv", i % 7);
        let read = |dir: &str| std::fs::read(w.path().join(dir).join(&name)).unwrap_or_default();
        assert!(read("back") == read("dumps"), "{name}");
    }
    let count = walk_count(&w.path().join("back"));
    assert_eq!(count, 1000);
    assert!(all.contains("uploaded 1000 files"), "{all}");
    assert!(all.contains("1000/1000 files"), "{all}");
    assert!(all.contains("checked: 1000 by sha256"), "{all}");
    let ops = ops(&w);
    assert_eq!(ops[0]["objects"], 1000);
    assert_eq!(ops[1]["objects"], 1000);
}

fn walk_count(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| {
                    if e.path().is_dir() {
                        walk_count(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn verify_passes_and_fails_on_existence_size_age_and_sha256() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("verify");
    moto.create_bucket(&bucket);
    let data = b"-- dump\nCREATE TABLE t (id int);\n";
    moto.put(&bucket, "db/dump.sql", data);
    let sha = s3::sha256_hex(data);
    let env = target_env(moto, None, &[]);

    // Everything holds (the sha256 is computed from the object: moto's put
    // set no metadata).
    let good = step(
        "good",
        &format!(
            "verify s3://{bucket}/db/dump.sql exists size>0 size=={} age<30m sha256={sha}\nverify s3://{bucket}/db/ exists size>0 age<1h\n",
            data.len()
        ),
    );
    let w = workdir(s3::ANY_SECRET);
    let out = w.auto(&w.write("good.md", &runbook(&env, &good)), "staging");
    assert!(out.status.success(), "{}", text(&out));

    // Too small, too old, not that content; then a missing object.
    let zero = "0".repeat(64);
    let bad = step(
        "bad",
        &format!(
            "verify s3://{bucket}/db/dump.sql size>=1MiB age>1h sha256={zero}\ndelete s3://{bucket}/db/dump.sql\n"
        ),
    );
    let w = workdir(s3::ANY_SECRET);
    let out = w.auto(&w.write("bad.md", &runbook(&env, &bad)), "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("FAILED  size>=1048576"), "{all}");
    assert!(all.contains("FAILED  age>1h"), "{all}");
    assert!(
        all.contains(&format!(
            "FAILED  sha256={zero}  ({sha}, computed from the object)"
        )),
        "{all}"
    );
    // The block stops at the failed verify: the delete after it never ran.
    assert!(moto.head(&bucket, "db/dump.sql").is_some());
    let checks = &ops(&w)[0]["checks"];
    assert_eq!(checks[1]["check"], "age>1h");
    assert_eq!(checks[1]["passed"], false);
    assert!(
        checks[1]["actual"]
            .as_str()
            .is_some_and(|a| a.ends_with('s') && !a.contains("old")),
        "{checks}"
    );

    let missing = step(
        "missing",
        &format!("verify s3://{bucket}/db/nope.sql exists\n"),
    );
    let w = workdir(s3::ANY_SECRET);
    let out = w.auto(&w.write("missing.md", &runbook(&env, &missing)), "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("FAILED  exists  (missing)"), "{all}");
}

/// An upload of `len` bytes of noise to a new bucket named from `prefix`,
/// in parts of 5 MiB sent one at a time.
struct Uploading {
    moto: &'static s3::Moto,
    bucket: String,
    w: Workdir,
    data: Vec<u8>,
    rb: std::path::PathBuf,
}

fn part_by_part(prefix: &str, len: usize, seed: u64) -> Uploading {
    let moto = s3::server();
    let bucket = s3::unique_bucket(prefix);
    moto.create_bucket(&bucket);
    let w = workdir(s3::ANY_SECRET);
    let data = s3::noise(len, seed);
    write_bytes(&w, "big.dump", &data);
    let body = step("up", &format!("upload ./big.dump s3://{bucket}/big.dump\n"));
    let env = target_env(
        moto,
        None,
        &[
            ("RUNSHEET_S3_PART_SIZE", "5MiB"),
            ("RUNSHEET_S3_CONCURRENCY", "1"),
        ],
    );
    let rb = w.write("r.md", &runbook(&env, &body));
    Uploading {
        moto,
        bucket,
        w,
        data,
        rb,
    }
}

#[test]
fn kill_9_during_a_multipart_upload_then_resume_sends_no_part_twice() {
    // 8 parts of 5 MiB, one at a time, so that the kill lands mid-upload.
    let Uploading {
        moto,
        bucket,
        w,
        data,
        rb,
    } = part_by_part("resume", 40 * MIB, 7);
    let mut child = w.spawn_auto(&rb, "staging");
    workdir::kill_when(&mut child, || journaled_parts(&w).len() >= 2);
    let before = journaled_parts(&w);
    assert!(
        (2..8).contains(&before.len()),
        "{} parts journaled before the kill",
        before.len()
    );
    assert!(moto.head(&bucket, "big.dump").is_none(), "not complete yet");

    let j = w.journals().pop().unwrap_or_default();
    let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\n");
    let all = text(&resumed);
    assert!(resumed.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "resuming the upload begun earlier: {} of 8 parts",
            before.len()
        )),
        "{all}"
    );
    assert!(
        moto.get(&bucket, "big.dump") == Some(data.clone()),
        "the object differs from the file"
    );
    // The resumed run read the parts sent before the kill to finish the
    // SHA-256 in the tag.
    assert_whole_object_verifiable(moto, &bucket, "big.dump", &data, 5 * MIB);
    // Every part journaled exactly once, across both runs.
    let mut parts = journaled_parts(&w);
    parts.sort();
    assert_eq!(parts, (1..=8).collect::<Vec<u64>>());
    // And the server received each part confirmed before the kill once.
    let puts: Vec<String> = moto
        .requests()
        .into_iter()
        .filter(|r| r.starts_with(&format!("PUT /{bucket}/big.dump?")) && r.contains("partNumber="))
        .collect();
    for n in &before {
        let sent = puts
            .iter()
            .filter(|r| {
                r.contains(&format!("partNumber={n}&")) || r.ends_with(&format!("partNumber={n}"))
            })
            .count();
        assert_eq!(sent, 1, "part {n} was sent {sent} times");
    }
    let ops = ops(&w);
    assert_eq!(
        ops.last().map(|o| o["parts_reused"].clone()),
        Some(before.len().into())
    );
}

#[test]
fn unknown_keys_a_wrong_secret_and_a_denied_user_are_named() {
    let g = s3::guarded();
    let w0 = workdir("x");
    write_bytes(&w0, "a.txt", b"hello");
    let body = step("up", &format!("upload ./a.txt s3://{}/a.txt\n", g.bucket));
    let cases = [
        (
            s3::Keys {
                id: "AKIAUNKNOWNUNKNOWN00".into(),
                secret: "whatever-secret-1".into(),
            },
            "the server does not know this access key",
        ),
        (
            s3::Keys {
                id: g.admin.id.clone(),
                secret: "wrong-secret-hunter2".into(),
            },
            "the secret key does not match the access key",
        ),
        (g.nobody.clone(), "access denied to"),
    ];
    for (keys, expected) in cases {
        let w = workdir(&keys.secret);
        write_bytes(&w, "a.txt", b"hello");
        let rb = w.write(
            "r.md",
            &runbook(&target_env(&g.moto, Some(&keys), &[]), &body),
        );
        let out = w.auto(&rb, "staging");
        let all = text(&out);
        assert!(!out.status.success(), "{all}");
        assert!(all.contains(expected), "{expected}: {all}");
        assert!(all.contains("on target `staging`"), "{all}");
        assert!(
            all.contains(&format!("s3://{}/a.txt", g.bucket)) || all.contains(&g.bucket),
            "{all}"
        );
        assert!(!all.contains(&keys.secret), "{all}");
        assert!(!w.journal_text().contains(&keys.secret));
    }
    // The right keys work.
    let w = workdir(&g.admin.secret);
    write_bytes(&w, "a.txt", b"hello");
    let rb = w.write(
        "r.md",
        &runbook(&target_env(&g.moto, Some(&g.admin), &[]), &body),
    );
    let out = w.auto(&rb, "staging");
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_missing_bucket_or_local_file_is_named() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("exists");
    moto.create_bucket(&bucket);
    let env = target_env(moto, None, &[]);
    let w = workdir(s3::ANY_SECRET);
    write_bytes(&w, "a.txt", b"hello");
    let cases = [
        (
            "upload ./a.txt s3://no-such-bucket-here/a.txt\n".to_string(),
            "bucket `no-such-bucket-here` does not exist",
        ),
        (
            "verify s3://no-such-bucket-here/a.txt exists\n".to_string(),
            "bucket `no-such-bucket-here` does not exist",
        ),
        (
            format!("upload ./nope.txt s3://{bucket}/a.txt\n"),
            "cannot upload ./nope.txt: there is no such file or folder",
        ),
        (
            format!("download s3://{bucket}/missing.txt ./x/\n"),
            &format!("s3://{bucket}/missing.txt does not exist"),
        ),
    ];
    for (lines, expected) in &cases {
        let rb = w.write("r.md", &runbook(&env, &step("s", lines)));
        let out = w.auto(&rb, "staging");
        let all = text(&out);
        assert!(!out.status.success(), "{lines}: {all}");
        assert!(all.contains(expected), "{lines}: {all}");
    }
}

#[test]
fn a_delete_stops_at_the_gate_on_a_protected_target() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("gate");
    moto.create_bucket(&bucket);
    moto.put(&bucket, "old.sql.gz", b"old");
    let w = workdir(s3::ANY_SECRET);
    let rb = w.write(
        "r.md",
        &runbook(
            &target_env(moto, None, &[]),
            &step("del", &format!("delete s3://{bucket}/old.sql.gz\n")),
        ),
    );
    let out = w.auto(&rb, "production");
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("type the target's name"),
        "{}",
        text(&out)
    );
    assert!(
        moto.head(&bucket, "old.sql.gz").is_some(),
        "nothing deleted"
    );
    // On staging it runs.
    let out = w.auto(&rb, "staging");
    assert!(out.status.success(), "{}", text(&out));
    assert!(moto.head(&bucket, "old.sql.gz").is_none());
    assert!(
        text(&out).contains(&format!("deleted s3://{bucket}/old.sql.gz")),
        "{}",
        text(&out)
    );
}

#[test]
fn an_upload_over_a_different_object_on_a_protected_target_needs_overwrite() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("overwrite");
    moto.create_bucket(&bucket);
    moto.put(&bucket, "backup.sql.gz", b"yesterday's backup");
    let env = target_env(moto, None, &[]);
    let w = workdir(s3::ANY_SECRET);
    write_bytes(&w, "backup.sql.gz", b"today's backup");
    let plain = step("up", &format!("upload ./backup.sql.gz s3://{bucket}/\n"));
    let out = w.auto(&w.write("plain.md", &runbook(&env, &plain)), "production");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "refusing to overwrite s3://{bucket}/backup.sql.gz on protected target `production`"
        )),
        "{all}"
    );
    assert_eq!(
        moto.get(&bucket, "backup.sql.gz").as_deref(),
        Some(&b"yesterday's backup"[..])
    );
    // The same content again is not an overwrite; a line that says so may.
    let forced = step(
        "up",
        &format!("upload --overwrite ./backup.sql.gz s3://{bucket}/\n"),
    );
    let out = w.auto(&w.write("forced.md", &runbook(&env, &forced)), "production");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        moto.get(&bucket, "backup.sql.gz").as_deref(),
        Some(&b"today's backup"[..])
    );
    let out = w.auto(&w.write("plain.md", &runbook(&env, &plain)), "production");
    assert!(out.status.success(), "identical content: {}", text(&out));
    // Put by another tool (`aws s3 cp`: no sha256 of ours), the same bytes
    // are known by the ETag's MD5, and other bytes of the same size are not.
    moto.put(&bucket, "backup.sql.gz", b"today's backup");
    let out = w.auto(&w.write("plain.md", &runbook(&env, &plain)), "production");
    assert!(
        out.status.success(),
        "identical, put by another tool: {}",
        text(&out)
    );
    moto.put(&bucket, "backup.sql.gz", b"todax's backup");
    let out = w.auto(&w.write("plain.md", &runbook(&env, &plain)), "production");
    assert!(
        text(&out).contains("refusing to overwrite"),
        "same size, other bytes: {}",
        text(&out)
    );
}

#[test]
fn a_large_object_comes_down_in_parallel_ranges_identical() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("ranges");
    moto.create_bucket(&bucket);
    // Put by another tool: no sha256 metadata, and a single-part ETag (the
    // MD5), which the ranges, hashed in order, are checked against.
    let data = s3::noise(40 * MIB + 777, 11);
    moto.put(&bucket, "db/dump.bin", &data);
    let w = workdir(s3::ANY_SECRET);
    let body = step(
        "down",
        &format!("download s3://{bucket}/db/dump.bin ./restore/\n"),
    );
    let rb = w.write("r.md", &runbook(&target_env(moto, None, &[]), &body));
    let started = Instant::now();
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    eprintln!("40 MiB down in ranges in {:.1?}", started.elapsed());
    let back = std::fs::read(w.path().join("restore/dump.bin")).unwrap_or_default();
    assert!(back == data, "the downloaded file differs");
    assert!(
        !w.path().join("restore/.dump.bin.runsheet-partial").exists(),
        "the hidden file is renamed into place"
    );
    // Six ranges of 8 MiB (the last one short), each asked for once, each
    // journaled once, and with If-Match.
    let mut ranges = moto.ranged_gets(&bucket, "db/dump.bin");
    ranges.sort();
    ranges.dedup();
    assert_eq!(ranges.len(), 6, "{ranges:?}");
    assert!(
        ranges.contains(&format!("bytes=0-{}", 8 * MIB - 1)),
        "{ranges:?}"
    );
    assert!(
        ranges.contains(&format!("bytes={}-{}", 40 * MIB, 40 * MIB + 776)),
        "{ranges:?}"
    );
    let mut journaled = journaled_ranges(&w);
    journaled.sort();
    assert_eq!(journaled, (0..6).collect::<Vec<u64>>());
    let cp = &w.of_type("checkpoint")[0]["data"];
    assert_eq!(cp["size"], data.len() as u64);
    assert!(cp["etag"].as_str().is_some_and(|e| e.len() > 30), "{cp}");
    assert!(
        cp["temp"]
            .as_str()
            .is_some_and(|t| t.ends_with("restore/.dump.bin.runsheet-partial")),
        "{cp}"
    );
    assert!(
        all.contains("\r[####################] 40.0 MiB of 40.0 MiB (100%)"),
        "{all}"
    );
    assert!(all.contains("matches the ETag's MD5"), "{all}");
    assert_eq!(ops(&w)[0]["checked"], "md5");
}

/// Starts a download of `bucket/big.dump` (40 MiB, 8 ranges of 5 MiB, one
/// at a time) and kills runsheet with SIGKILL once two ranges are
/// journaled: the ranges journaled, and the runbook.
fn killed_download(w: &Workdir, moto: &s3::Moto, bucket: &str) -> (Vec<u64>, std::path::PathBuf) {
    let body = step(
        "down",
        &format!("download s3://{bucket}/big.dump ./restore/big.dump\n"),
    );
    let env = target_env(
        moto,
        None,
        &[
            ("RUNSHEET_S3_PART_SIZE", "5MiB"),
            ("RUNSHEET_S3_CONCURRENCY", "1"),
        ],
    );
    let rb = w.write("r.md", &runbook(&env, &body));
    let mut child = w.spawn_auto(&rb, "staging");
    workdir::kill_when(&mut child, || journaled_ranges(w).len() >= 2);
    let before = journaled_ranges(w);
    assert!(
        (2..8).contains(&before.len()),
        "{} ranges journaled before the kill",
        before.len()
    );
    assert!(
        !w.path().join("restore/big.dump").exists(),
        "nothing under the real name yet"
    );
    assert!(w.path().join("restore/.big.dump.runsheet-partial").exists());
    (before, rb)
}

/// The Range header of range `n` (from 0) of 5 MiB of a 40 MiB object.
fn range_header(n: u64) -> String {
    let part = 5 * MIB as u64;
    format!("bytes={}-{}", n * part, (n + 1) * part - 1)
}

#[test]
fn kill_9_during_a_ranged_download_then_resume_fetches_no_range_twice() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("down-resume");
    moto.create_bucket(&bucket);
    let data = s3::noise(40 * MIB, 21);
    moto.put(&bucket, "big.dump", &data);
    let w = workdir(s3::ANY_SECRET);
    let (before, _) = killed_download(&w, moto, &bucket);

    let j = w.journals().pop().unwrap_or_default();
    let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\n");
    let all = text(&resumed);
    assert!(resumed.status.success(), "{all}");
    assert!(
        all.contains(&format!(
            "resuming the download begun earlier: {} of 8 ranges",
            before.len()
        )),
        "{all}"
    );
    let back = std::fs::read(w.path().join("restore/big.dump")).unwrap_or_default();
    assert!(back == data, "the downloaded file differs");
    assert!(!w.path().join("restore/.big.dump.runsheet-partial").exists());
    // Every range journaled exactly once, across both runs.
    let mut ranges = journaled_ranges(&w);
    ranges.sort();
    assert_eq!(ranges, (0..8).collect::<Vec<u64>>());
    // The server was asked once for each range journaled before the kill.
    let gets = moto.ranged_gets(&bucket, "big.dump");
    for n in &before {
        let asked = gets.iter().filter(|g| **g == range_header(*n)).count();
        assert_eq!(asked, 1, "range {n} was fetched {asked} times: {gets:?}");
    }
    assert!(all.contains("matches the ETag's MD5"), "{all}");
}

#[test]
fn an_object_replaced_before_the_resume_is_downloaded_again_whole() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("down-changed");
    moto.create_bucket(&bucket);
    let old = s3::noise(40 * MIB, 31);
    moto.put(&bucket, "big.dump", &old);
    let w = workdir(s3::ANY_SECRET);
    let (before, _) = killed_download(&w, moto, &bucket);
    let asked_before = moto.ranged_gets(&bucket, "big.dump").len();
    // A new version, same size: only the ETag tells them apart.
    let new = s3::noise(40 * MIB, 32);
    moto.put(&bucket, "big.dump", &new);

    let j = w.journals().pop().unwrap_or_default();
    let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\n");
    let all = text(&resumed);
    assert!(resumed.status.success(), "{all}");
    assert!(
        all.contains("the object changed since the download began"),
        "{all}"
    );
    assert!(all.contains("starting over"), "{all}");
    assert!(!all.contains("resuming the download"), "{all}");
    let back = std::fs::read(w.path().join("restore/big.dump")).unwrap_or_default();
    assert!(back == new, "the file is not the new object (mixed or old)");
    // All eight ranges fetched again, the ones from before the kill too.
    let after: Vec<String> = moto.ranged_gets(&bucket, "big.dump")[asked_before..].to_vec();
    for n in 0..8 {
        assert!(after.contains(&range_header(n)), "range {n}: {after:?}");
    }
    let ranges = journaled_ranges(&w);
    assert_eq!(ranges.len(), before.len() + 8, "{ranges:?}");
}

#[test]
fn the_whole_object_verifies_after_upload_in_another_session() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("whole");
    moto.create_bucket(&bucket);
    let data = s3::noise(21 * MIB + 7, 21);
    let sha = s3::sha256_hex(&data);
    let env = target_env(moto, None, &[("RUNSHEET_S3_PART_SIZE", "5MiB")]);
    let w = workdir(s3::ANY_SECRET);
    write_bytes(&w, "db.dump", &data);
    let up = step("up", &format!("upload ./db.dump s3://{bucket}/db.dump\n"));
    let out = w.auto(&w.write("up.md", &runbook(&env, &up)), "staging");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ops(&w)[0]["sha256"], sha);
    assert_whole_object_verifiable(moto, &bucket, "db.dump", &data, 5 * MIB);

    // Another session, with nothing of the upload's journal: the SHA-256
    // is found with the object.
    let other = workdir(s3::ANY_SECRET);
    let check = step(
        "check",
        &format!(
            "verify s3://{bucket}/db.dump sha256={sha}\ndownload s3://{bucket}/db.dump ./back.dump\n"
        ),
    );
    let out = other.auto(&other.write("check.md", &runbook(&env, &check)), "staging");
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    let ops = ops(&other);
    assert_eq!(
        ops[0]["checks"][0]["actual"],
        format!("{sha}, stored at upload")
    );
    assert_eq!(ops[1]["checked"], "sha256");
    assert!(std::fs::read(other.path().join("back.dump")).unwrap_or_default() == data);
    assert!(!all.contains("reading"), "verify read the object: {all}");
}

#[test]
fn a_part_damaged_on_its_way_is_refused_then_sent_again_on_retry() {
    // The test server damages the first copy of part 2 in `garble-` buckets.
    let Uploading {
        moto,
        bucket,
        w,
        data,
        rb,
    } = part_by_part("garble", 16 * MIB, 16);
    let out = w.auto(&rb, "staging");
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("part 2 of 4"), "{all}");
    assert!(moto.head(&bucket, "big.dump").is_none(), "completed: {all}");

    let j = w.journals().pop().unwrap_or_default();
    let resumed = w.run(&["resume", &j.to_string_lossy(), "--plain"], "r\nr\nr\n");
    let all = text(&resumed);
    assert!(resumed.status.success(), "{all}");
    assert!(moto.get(&bucket, "big.dump") == Some(data.clone()));
    assert_whole_object_verifiable(moto, &bucket, "big.dump", &data, 5 * MIB);
    let checks = moto.part_checks(&bucket, "big.dump");
    let of = |n: u32| -> Vec<&str> {
        checks
            .iter()
            .filter(|c| c.starts_with(&format!("partNumber={n} ")))
            .map(|c| c.split_once(' ').map_or("", |(_, r)| r))
            .collect()
    };
    assert_eq!(of(1), ["crc32=ok md5=none"], "{checks:?}");
    assert_eq!(
        of(2),
        ["crc32=bad md5=none", "crc32=ok md5=none"],
        "{checks:?}"
    );
    assert_eq!(of(4), ["crc32=ok md5=none"], "{checks:?}");
}

#[test]
fn a_download_of_an_object_that_is_not_what_was_uploaded_fails() {
    let moto = s3::server();
    let bucket = s3::unique_bucket("damaged");
    moto.create_bucket(&bucket);
    let data = s3::noise(10 * MIB, 10);
    let sha = s3::sha256_hex(&data);
    let mut damaged = data.clone();
    damaged[MIB] ^= 0x40;
    let tagged = [("sha256-tag", "runsheet-sha256")];
    let tag = [("runsheet-sha256", sha.as_str())];
    let meta = [("sha256", sha.as_str())];
    // Runsheet's scheme (the SHA-256 in the tag), large (in ranges) and
    // small (one GET); and the earlier scheme, the SHA-256 in the metadata.
    moto.put_with(&bucket, "tagged.bin", &damaged, &tagged, &tag);
    moto.put_with(&bucket, "small.bin", &damaged[..4096], &tagged, &tag);
    moto.put_with(&bucket, "meta.bin", &damaged, &meta, &[]);
    moto.put_with(&bucket, "meta-good.bin", &data, &meta, &[]);
    let env = target_env(moto, None, &[]);
    for key in ["tagged.bin", "small.bin", "meta.bin"] {
        let w = workdir(s3::ANY_SECRET);
        let body = step("down", &format!("download s3://{bucket}/{key} ./{key}\n"));
        let out = w.auto(&w.write("r.md", &runbook(&env, &body)), "staging");
        let all = text(&out);
        assert!(!out.status.success(), "{key}: {all}");
        assert!(
            all.contains(&format!("the sha256 stored at upload is {sha}")),
            "{key}: {all}"
        );
        assert!(!w.path().join(key).exists(), "{key} was written");
    }
    let w = workdir(s3::ANY_SECRET);
    let body = step(
        "down",
        &format!("download s3://{bucket}/meta-good.bin ./good.bin\n"),
    );
    let out = w.auto(&w.write("r.md", &runbook(&env, &body)), "staging");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(ops(&w)[0]["checked"], "sha256");
}
