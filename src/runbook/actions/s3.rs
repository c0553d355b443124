//! The `s3` block: one operation per line (upload, download, list, verify,
//! delete), checked before the session starts so that a typo in a bucket
//! path shows at `runsheet check`, not halfway through a migration.

use super::lines::{Word, lines, span, words};
use crate::runbook::diagnostic::{Diagnostic, suggest};
use crate::runbook::model::{S3Op, S3Url};

#[cfg(test)]
mod tests;
mod verify;

const CODE: &str = "bad-s3";
const OPERATIONS: [&str; 5] = ["upload", "download", "list", "verify", "delete"];
const UPLOAD: &str = "upload LOCAL_PATH s3://BUCKET/KEY";
const DOWNLOAD: &str = "download s3://BUCKET/KEY LOCAL_PATH";
const LIST: &str = "list s3://BUCKET/PREFIX/";
const VERIFY: &str = "verify s3://BUCKET/KEY [exists] [size>0] [age<30m] [sha256=HEX]";
const DELETE: &str = "delete s3://BUCKET/KEY";
const URL_HELP: &str = "S3 URLs look like s3://BUCKET/KEY, e.g. s3://backups/migration/backup.sql.gz \
                        (end with / for a prefix)";

/// Parses the body of an `s3` block that starts at byte `base` of the
/// runbook: the operations that parse, and every problem found.
pub fn parse_s3(body: &str, base: usize) -> (Vec<S3Op>, Vec<Diagnostic>) {
    let (ops, diags) = parse_with_options(body, base);
    (ops.into_iter().map(|(op, _)| op).collect(), diags)
}

/// What a line says beyond its operation: `upload --overwrite` may replace
/// an object on a protected target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct S3Options {
    pub overwrite: bool,
}

const OVERWRITE: &str = "--overwrite";

/// The options of each operation of a block, in the order of
/// [`parse_s3`]'s operations (the model's `S3Op` has no room for them).
pub fn s3_options(body: &str) -> Vec<S3Options> {
    parse_with_options(body, 0)
        .0
        .into_iter()
        .map(|(_, o)| o)
        .collect()
}

fn parse_with_options(body: &str, base: usize) -> (Vec<(S3Op, S3Options)>, Vec<Diagnostic>) {
    let mut ops = Vec::new();
    let mut diags = Vec::new();
    for line in lines(body) {
        let ws = match words(line, true) {
            Ok(ws) => ws,
            Err(quote) => {
                diags.push(
                    Diagnostic::error(
                        CODE,
                        span(base, quote, line.start + line.text.trim_end().len()),
                        "this quote is not closed",
                    )
                    .with_help("close the quote: upload \"./my file.gz\" s3://backups/my-file.gz"),
                );
                continue;
            }
        };
        let Some((op, args)) = ws.split_first() else {
            continue;
        };
        let Some((args, options)) = split_options(op, args, base, &mut diags) else {
            continue;
        };
        if let Some(op) = parse_op(op, &args, base, &mut diags) {
            ops.push((op, options));
        }
    }
    (ops, diags)
}

/// `s3://BUCKET/KEY`; the key is empty for the bucket root and ends with
/// `/` for a prefix. Variables (`s3://${BUCKET}/x`) are kept as written.
pub fn parse_s3_url(text: &str) -> Option<S3Url> {
    let scheme = text.get(..5)?;
    if !scheme.eq_ignore_ascii_case("s3://") {
        return None;
    }
    let rest = text.get(5..)?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| S3Url {
        bucket: bucket.to_string(),
        key: key.to_string(),
    })
}

/// Takes the `--…` options out of a line's arguments; None (the line is
/// dropped) when one is unknown.
fn split_options(
    op: &Word,
    args: &[Word],
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Vec<Word>, S3Options)> {
    let mut options = S3Options::default();
    let mut ok = true;
    let mut rest = Vec::with_capacity(args.len());
    let is_upload = op.text.eq_ignore_ascii_case("upload");
    for w in args {
        if w.quoted || !w.text.starts_with("--") {
            rest.push(w.clone());
        } else if is_upload && w.text == OVERWRITE {
            options.overwrite = true;
        } else {
            let help = if is_upload {
                format!(
                    "the only option is {OVERWRITE}: upload {OVERWRITE} LOCAL_PATH s3://BUCKET/KEY replaces an existing object, even on a protected target"
                )
            } else {
                format!(
                    "only upload takes an option ({OVERWRITE}); quote a path that starts with --"
                )
            };
            diags.push(
                Diagnostic::error(
                    CODE,
                    span(base, w.start, w.end),
                    format!("`{}` is not an option of `{}`", w.text, op.text),
                )
                .with_help(help),
            );
            ok = false;
        }
    }
    ok.then_some((rest, options))
}

fn parse_op(op: &Word, args: &[Word], base: usize, diags: &mut Vec<Diagnostic>) -> Option<S3Op> {
    match op.text.to_ascii_lowercase().as_str() {
        "upload" => {
            let [from, to] = arity(op, args, UPLOAD, base, diags)?;
            upload(from, to, base, diags)
        }
        "download" => {
            let [from, to] = arity(op, args, DOWNLOAD, base, diags)?;
            download(from, to, base, diags)
        }
        "list" => {
            let [at] = arity(op, args, LIST, base, diags)?;
            Some(S3Op::List {
                at: s3_url(at, base, diags)?,
            })
        }
        "delete" => {
            let [at] = arity(op, args, DELETE, base, diags)?;
            Some(S3Op::Delete {
                at: s3_url(at, base, diags)?,
            })
        }
        "verify" => {
            let Some((at, checks)) = args.split_first() else {
                diags.push(wrong_arity(op, args, VERIFY, base));
                return None;
            };
            let at = s3_url(at, base, diags);
            let checks = verify::parse_checks(checks, base, diags);
            Some(S3Op::Verify {
                at: at?,
                checks: checks?,
            })
        }
        _ => {
            diags.push(unknown_operation(op, base));
            None
        }
    }
}

fn arity<'w, const N: usize>(
    op: &Word,
    args: &'w [Word],
    form: &str,
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'w [Word; N]> {
    let exact = args.try_into().ok();
    if exact.is_none() {
        diags.push(wrong_arity(op, args, form, base));
    }
    exact
}

fn wrong_arity(op: &Word, args: &[Word], form: &str, base: usize) -> Diagnostic {
    let expected = form.split_whitespace().count() - 1;
    let (start, message) = match args.get(expected) {
        Some(extra) => (extra.start, format!("too many arguments for `{}`", op.text)),
        None => (op.start, format!("missing arguments for `{}`", op.text)),
    };
    let end = args.last().map_or(op.end, |w| w.end);
    Diagnostic::error(CODE, span(base, start, end), message).with_help(format!(
        "expected {form} (quote paths with spaces: \"./my file.gz\")"
    ))
}

fn unknown_operation(op: &Word, base: usize) -> Diagnostic {
    // Operators often think in `aws s3` commands.
    let guess = match op.text.to_ascii_lowercase().as_str() {
        "cp" | "copy" | "mv" | "sync" => Some("upload or download"),
        "put" | "push" => Some("upload"),
        "get" | "pull" | "fetch" => Some("download"),
        "ls" => Some("list"),
        "rm" | "remove" | "del" => Some("delete"),
        "check" | "stat" | "head" | "exists" => Some("verify"),
        _ => suggest(&op.text, OPERATIONS),
    };
    let list = "the operations are upload, download, list, verify and delete";
    let help = match guess {
        Some(g) => format!("did you mean {g}? {list}"),
        None => format!("{list}, e.g. {UPLOAD}"),
    };
    Diagnostic::error(
        CODE,
        span(base, op.start, op.end),
        format!("`{}` is not an s3 operation", op.text),
    )
    .with_help(help)
}

fn upload(from: &Word, to: &Word, base: usize, diags: &mut Vec<Diagnostic>) -> Option<S3Op> {
    if is_s3(&from.text) {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, from.start, from.end),
                "upload goes from a local path to S3, and this is an S3 URL",
            )
            .with_help(format!(
                "to fetch from S3, use download {} LOCAL_PATH; to upload, {UPLOAD}",
                from.text
            )),
        );
        return None;
    }
    let local = local_path(from, base, diags);
    let to_url = s3_url(to, base, diags)?;
    let local = local?;
    if local.ends_with('/') && !is_prefix(&to_url) {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, to.start, to.end),
                "a folder uploads to a prefix: end the S3 URL with /",
            )
            .with_help(format!("upload {} {}/", from.text, to.text)),
        );
        return None;
    }
    Some(S3Op::Upload {
        from: local,
        to: to_url,
    })
}

fn download(from: &Word, to: &Word, base: usize, diags: &mut Vec<Diagnostic>) -> Option<S3Op> {
    let from_url = s3_url(from, base, diags);
    if is_s3(&to.text) {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, to.start, to.end),
                "download goes from S3 to a local path, and this is an S3 URL",
            )
            .with_help(format!(
                "copies between S3 locations are not supported: download to a local path, then upload; {DOWNLOAD}"
            )),
        );
        return None;
    }
    let local = local_path(to, base, diags);
    let (from_url, local) = (from_url?, local?);
    if is_prefix(&from_url) && !local.ends_with('/') {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, to.start, to.end),
                "a prefix downloads into a folder: end the local path with /",
            )
            .with_help(format!("download {} {}/", from.text, to.text)),
        );
        return None;
    }
    Some(S3Op::Download {
        from: from_url,
        to: local,
    })
}

fn is_s3(text: &str) -> bool {
    text.get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("s3://"))
}

fn is_prefix(url: &S3Url) -> bool {
    url.key.is_empty() || url.key.ends_with('/')
}

fn local_path(word: &Word, base: usize, diags: &mut Vec<Diagnostic>) -> Option<String> {
    if word.text.is_empty() {
        diags.push(
            Diagnostic::error(
                CODE,
                span(base, word.start, word.end),
                "the local path is empty",
            )
            .with_help("write a path such as ./backup.sql.gz, or ./dumps/ for a folder"),
        );
        return None;
    }
    Some(word.text.clone())
}

fn s3_url(word: &Word, base: usize, diags: &mut Vec<Diagnostic>) -> Option<S3Url> {
    let url = parse_s3_url(&word.text);
    if url.is_none() {
        let message = if is_s3(&word.text) {
            format!("`{}` has no bucket", word.text)
        } else {
            format!("`{}` is not an S3 URL", word.text)
        };
        diags.push(
            Diagnostic::error(CODE, span(base, word.start, word.end), message).with_help(URL_HELP),
        );
    }
    url
}
