use super::verify::parse_size;
use super::{parse_s3, parse_s3_url};
use crate::runbook::diagnostic::{Diagnostic, Severity};
use crate::runbook::duration::DURATION_HELP;
use crate::runbook::model::{Comparison, S3Check, S3Op, S3Url};
use std::time::Duration;

fn in_runbook(body: &str) -> (String, usize) {
    let prefix = "# Sauvegarde\n\n## Étape 1\n\n```s3\n";
    (format!("{prefix}{body}```\n"), prefix.len())
}

fn url(bucket: &str, key: &str) -> S3Url {
    S3Url {
        bucket: bucket.into(),
        key: key.into(),
    }
}

fn ops(body: &str) -> Vec<String> {
    let (_, base) = in_runbook(body);
    let (ops, diags) = parse_s3(body, base);
    assert!(diags.is_empty(), "{body}: {diags:#?}");
    ops.iter().map(|o| format!("{o:?}")).collect()
}

/// The only diagnostic of a body, with the text its span covers.
fn one_error(body: &str) -> (Diagnostic, String) {
    let (runbook, base) = in_runbook(body);
    let (ops, diags) = parse_s3(body, base);
    assert!(ops.is_empty(), "{body}: {ops:?}");
    assert_eq!(diags.len(), 1, "{body}: {diags:#?}");
    let d = diags[0].clone();
    assert_eq!((d.code, d.severity), ("bad-s3", Severity::Error));
    let at = runbook
        .get(d.span.range())
        .unwrap_or("<out of range>")
        .to_string();
    (d, at)
}

fn help_has(d: &Diagnostic, text: &str) -> bool {
    d.help.as_deref().is_some_and(|h| h.contains(text))
}

#[test]
fn seed_operations() {
    let hex = "AB".repeat(32);
    let body = format!(
        "# keep a copy before migrating\n\
         upload ./backup.sql.gz s3://bucket/migration/        # keeps the file name\n\
         upload ./dumps/ s3://bucket/dumps/\n\
         \n\
         download s3://bucket/migration/backup.sql.gz ./restore/\n\
         download s3://bucket/dumps/ ./dumps/\n\
         list s3://bucket/migration/\n\
         verify s3://bucket/migration/backup.sql.gz exists size>0 age<30m sha256={hex}\n\
         delete s3://bucket/migration/old.sql.gz\n"
    );
    let expected = [
        S3Op::Upload {
            from: "./backup.sql.gz".into(),
            to: url("bucket", "migration/"),
        },
        S3Op::Upload {
            from: "./dumps/".into(),
            to: url("bucket", "dumps/"),
        },
        S3Op::Download {
            from: url("bucket", "migration/backup.sql.gz"),
            to: "./restore/".into(),
        },
        S3Op::Download {
            from: url("bucket", "dumps/"),
            to: "./dumps/".into(),
        },
        S3Op::List {
            at: url("bucket", "migration/"),
        },
        S3Op::Verify {
            at: url("bucket", "migration/backup.sql.gz"),
            checks: vec![
                S3Check::Exists,
                S3Check::Size(Comparison::Gt, 0),
                S3Check::Age(Comparison::Lt, Duration::from_secs(1800)),
                S3Check::Sha256("ab".repeat(32)),
            ],
        },
        S3Op::Delete {
            at: url("bucket", "migration/old.sql.gz"),
        },
    ];
    let expected: Vec<_> = expected.iter().map(|o| format!("{o:?}")).collect();
    assert_eq!(ops(&body), expected);
}

#[test]
fn quotes_variables_and_case() {
    let expected = [
        S3Op::Upload {
            from: "./my file.gz".into(),
            to: url("${BUCKET}", "x/${DATE}.gz"),
        },
        S3Op::Upload {
            from: "./backup_${DATE}.sql.gz".into(),
            to: url("b", "k"),
        },
        S3Op::List { at: url("b", "") },
        S3Op::Verify {
            at: url("b", "k"),
            checks: vec![S3Check::Exists],
        },
    ];
    let expected: Vec<_> = expected.iter().map(|o| format!("{o:?}")).collect();
    let body = "UPLOAD \"./my file.gz\" s3://${BUCKET}/x/${DATE}.gz\n\
                upload ./backup_${DATE}.sql.gz \"s3://b/k\"\n\
                list s3://b\n\
                verify s3://b/k\n";
    assert_eq!(ops(body), expected);
}

#[test]
fn s3_urls() {
    assert_eq!(parse_s3_url("s3://b/a/b/"), Some(url("b", "a/b/")));
    assert_eq!(parse_s3_url("s3://b/"), Some(url("b", "")));
    assert_eq!(parse_s3_url("S3://b"), Some(url("b", "")));
    assert_eq!(parse_s3_url("s3://${B}/k"), Some(url("${B}", "k")));
    for bad in [
        "s3://",
        "s3:///k",
        "https://b.s3.amazonaws.com/k",
        "b/k",
        "",
        "s3:/",
    ] {
        assert_eq!(parse_s3_url(bad), None, "{bad}");
    }
}

#[test]
fn sizes_with_units() {
    let cases = [
        ("0", 0),
        ("512", 512),
        ("10B", 10),
        ("1K", 1_000),
        ("1kb", 1_000),
        ("2M", 2_000_000),
        ("3MB", 3_000_000),
        ("1G", 1_000_000_000),
        ("1GB", 1_000_000_000),
        ("1T", 1_000_000_000_000),
        ("1KiB", 1024),
        ("2MiB", 2 * 1024 * 1024),
        ("1GiB", 1 << 30),
        ("1gib", 1 << 30),
        ("1Ki", 1024),
    ];
    for (text, bytes) in cases {
        assert_eq!(parse_size(text), Some(bytes), "{text}");
    }
    for bad in ["", "K", "1.5G", "1 G", "1X", "-1", "99999999999999999999T"] {
        assert_eq!(parse_size(bad), None, "{bad}");
    }
    let got = ops("verify s3://b/k size>=10MiB size!=0 size=5K size<2GB size<=1 size==3\n");
    let checks = vec![
        S3Check::Size(Comparison::Ge, 10 << 20),
        S3Check::Size(Comparison::Ne, 0),
        S3Check::Size(Comparison::Eq, 5_000),
        S3Check::Size(Comparison::Lt, 2_000_000_000),
        S3Check::Size(Comparison::Le, 1),
        S3Check::Size(Comparison::Eq, 3),
    ];
    let expected = S3Op::Verify {
        at: url("b", "k"),
        checks,
    };
    assert_eq!(got, [format!("{expected:?}")]);
}

#[test]
fn bad_duration_gives_the_duration_help() {
    let (d, at) = one_error("verify s3://b/k age<30 mn\n");
    assert_eq!(at, "30 mn");
    assert_eq!(d.message, "`30 mn` is not a duration");
    assert_eq!(d.help.as_deref(), Some(DURATION_HELP));

    let (d, at) = one_error("verify s3://b/k age>2days\n");
    assert_eq!(at, "2days");
    assert_eq!(d.help.as_deref(), Some(DURATION_HELP));
}

#[test]
fn check_errors() {
    let cases = [
        ("size>10 MB", "10 MB", "`10 MB` is not a size", "no space"),
        ("size>1.5G", "1.5G", "`1.5G` is not a size", "size>=10MB"),
        (
            "size",
            "size",
            "`size` needs a comparison: ==, !=, <, <=, > or >=",
            "write the check without spaces: size>0",
        ),
        (
            "age~5m",
            "age~5m",
            "`age~5m` needs a comparison: ==, !=, <, <=, > or >=",
            "age<30m",
        ),
        (
            "sha256=abc",
            "abc",
            "`abc` is not a SHA-256: expected 64 hex characters, found 3 hex characters",
            "sha256sum",
        ),
        (
            "sha256=xyz",
            "xyz",
            "`xyz` is not a SHA-256: expected 64 hex characters, found non-hex characters",
            "sha256sum",
        ),
        (
            "sha256>ab",
            "sha256>ab",
            "a sha256 check compares with =",
            "sha256=",
        ),
        (
            "exist",
            "exist",
            "`exist` is not a check runsheet knows",
            "did you mean exists?",
        ),
        (
            "md5=abc",
            "md5=abc",
            "`md5=abc` is not a check runsheet knows",
            "the checks are exists, size>0, age<30m",
        ),
    ];
    for (check, at, message, help) in cases {
        let body = format!("verify s3://b/k {check}\n");
        let (d, got) = one_error(&body);
        assert_eq!((got.as_str(), d.message.as_str()), (at, message), "{check}");
        assert!(help_has(&d, help), "{check}: {:?}", d.help);
    }
}

#[test]
fn operation_errors() {
    let cases = [
        (
            "uplod ./a s3://b/k",
            "uplod",
            "`uplod` is not an s3 operation",
            "did you mean upload? the operations are upload, download, list, verify and delete",
        ),
        (
            "cp ./a s3://b/k",
            "cp",
            "`cp` is not an s3 operation",
            "did you mean upload or download?",
        ),
        (
            "rm s3://b/k",
            "rm",
            "`rm` is not an s3 operation",
            "did you mean delete?",
        ),
        (
            "frobnicate",
            "frobnicate",
            "`frobnicate` is not an s3 operation",
            "e.g. upload LOCAL_PATH s3://BUCKET/KEY",
        ),
        (
            "upload ./a",
            "upload ./a",
            "missing arguments for `upload`",
            "expected upload LOCAL_PATH s3://BUCKET/KEY",
        ),
        (
            "upload ./my file.gz s3://b/k",
            "s3://b/k",
            "too many arguments for `upload`",
            "quote paths with spaces",
        ),
        (
            "download s3://b/k",
            "download s3://b/k",
            "missing arguments for `download`",
            "expected download s3://BUCKET/KEY LOCAL_PATH",
        ),
        (
            "list s3://b/ s3://c/",
            "s3://c/",
            "too many arguments for `list`",
            "expected list s3://BUCKET/PREFIX/",
        ),
        (
            "delete",
            "delete",
            "missing arguments for `delete`",
            "expected delete s3://BUCKET/KEY",
        ),
        (
            "verify",
            "verify",
            "missing arguments for `verify`",
            "expected verify s3://BUCKET/KEY [exists]",
        ),
        (
            "list bucket/prefix/",
            "bucket/prefix/",
            "`bucket/prefix/` is not an S3 URL",
            "S3 URLs look like s3://BUCKET/KEY",
        ),
        (
            "delete s3:///k",
            "s3:///k",
            "`s3:///k` has no bucket",
            "S3 URLs look like s3://BUCKET/KEY",
        ),
        (
            "upload s3://b/k ./a",
            "s3://b/k",
            "upload goes from a local path to S3, and this is an S3 URL",
            "use download s3://b/k LOCAL_PATH",
        ),
        (
            "download s3://b/k s3://c/k",
            "s3://c/k",
            "download goes from S3 to a local path, and this is an S3 URL",
            "not supported",
        ),
        (
            "upload ./dumps/ s3://b/dumps",
            "s3://b/dumps",
            "a folder uploads to a prefix: end the S3 URL with /",
            "upload ./dumps/ s3://b/dumps/",
        ),
        (
            "download s3://b/dumps/ ./dumps",
            "./dumps",
            "a prefix downloads into a folder: end the local path with /",
            "download s3://b/dumps/ ./dumps/",
        ),
        (
            "upload \"\" s3://b/k",
            "\"\"",
            "the local path is empty",
            "./backup.sql.gz",
        ),
        (
            "upload \"./my file.gz s3://b/k",
            "\"./my file.gz s3://b/k",
            "this quote is not closed",
            "upload \"./my file.gz\"",
        ),
    ];
    for (line, at, message, help) in cases {
        let (d, got) = one_error(&format!("# step\n  {line}  \n"));
        assert_eq!((got.as_str(), d.message.as_str()), (at, message), "{line}");
        assert!(help_has(&d, help), "{line}: {:?}", d.help);
    }
}

#[test]
fn every_bad_line_is_reported_and_the_good_ones_kept() {
    let body = "list s3://b/\nlist nope\nverify s3://b/k size>x age<1 mn\ndelete s3://b/k\n";
    let (_, base) = in_runbook(body);
    let (ops, diags) = parse_s3(body, base);
    // The verify is dropped with its bad checks: it must not pass unchecked.
    assert_eq!(ops.len(), 2, "{ops:?}");
    assert_eq!(diags.len(), 3, "{diags:#?}");
}

#[test]
fn no_panic_on_any_prefix() {
    let body = "upload \"./é é/\" s3://bücket/dé/ # c\ndownload s3://b/ ./x/\n\
                verify s3://b/k size>=1GiB age<1h30m sha256=ÀB age<3 mn\n";
    for (i, _) in body.char_indices() {
        let _ = parse_s3(&body[..i], 5);
    }
}

#[test]
fn upload_may_say_it_overwrites_and_nothing_else_takes_options() {
    let body = "upload --overwrite ./a.gz s3://b/a.gz\nupload ./b.gz s3://b/b.gz\nupload ./c.gz s3://b/c.gz --overwrite\n";
    let (ops, diags) = parse_s3(body, 0);
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(ops.len(), 3);
    let flags: Vec<bool> = super::s3_options(body)
        .iter()
        .map(|o| o.overwrite)
        .collect();
    assert_eq!(flags, vec![true, false, true]);
    let (d, at) = one_error("delete --overwrite s3://b/k\n");
    assert_eq!(at, "--overwrite");
    assert!(help_has(&d, "only upload takes an option"), "{d:?}");
    let (d, at) = one_error("upload --force ./a s3://b/a\n");
    assert_eq!(at, "--force");
    assert!(help_has(&d, "--overwrite"), "{d:?}");
    // A quoted path is a path, whatever it starts with.
    assert_eq!(parse_s3("upload \"--odd\" s3://b/k\n", 0).0.len(), 1);
}
