//! The checks of a `verify` line: `exists`, `size>0`, `age<30m`, `sha256=…`.

use super::super::lines::{Word, span};
use super::CODE;
use crate::runbook::diagnostic::{Diagnostic, suggest};
use crate::runbook::duration::{DURATION_HELP, parse_duration};
use crate::runbook::model::{Comparison, S3Check};
use crate::runbook::span::Span;

const KEYWORDS: [&str; 4] = ["exists", "size", "age", "sha256"];
const CHECKS_HELP: &str = "the checks are exists, size>0, age<30m and sha256=<64 hex characters>, \
                           e.g. verify s3://backups/db.sql.gz size>0 age<30m";
const SIZE_HELP: &str = "write bytes with an optional unit and no space: size>0, size>=10MB, size<2GiB \
                         (K, M, G, T are powers of 1000; KiB, MiB, GiB, TiB powers of 1024)";

/// Checks after the URL; none means `exists`. None when a check is wrong:
/// a verify that silently lost a check would pass when it should not.
pub(super) fn parse_checks(
    words: &[Word],
    base: usize,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<S3Check>> {
    let mut checks = Vec::new();
    let mut ok = true;
    let mut i = 0;
    while let Some(word) = words.get(i) {
        i += 1;
        // `age<30 mn` and `size>10 MB`: report the unit with its number.
        let lower = word.text.to_ascii_lowercase();
        let detached_unit = if lower.starts_with("size") || lower.starts_with("age") {
            words.get(i).filter(|w| is_detached_unit(&w.text))
        } else {
            None
        };
        if detached_unit.is_some() {
            i += 1;
        }
        match parse_check(word, detached_unit, base) {
            Ok(c) => checks.push(c),
            Err(d) => {
                diags.push(d);
                ok = false;
            }
        }
    }
    if words.is_empty() {
        checks.push(S3Check::Exists);
    }
    ok.then_some(checks)
}

fn is_detached_unit(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    !text.is_empty()
        && text.chars().all(char::is_alphabetic)
        && !KEYWORDS.iter().any(|k| lower.starts_with(k))
}

fn parse_check(word: &Word, unit: Option<&Word>, base: usize) -> Result<S3Check, Diagnostic> {
    let lower = word.text.to_ascii_lowercase();
    if lower == "exists" && unit.is_none() {
        return Ok(S3Check::Exists);
    }
    let whole = span(base, word.start, unit.map_or(word.end, |u| u.end));
    let Some((keyword, after)) = KEYWORDS
        .iter()
        .find(|k| lower.starts_with(*k) && **k != "exists")
        .and_then(|k| Some((*k, word.text.get(k.len()..)?)))
    else {
        let start: String = lower
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let help = match suggest(&start, KEYWORDS) {
            Some(k) => format!("did you mean {k}? {CHECKS_HELP}"),
            None => CHECKS_HELP.to_string(),
        };
        return Err(Diagnostic::error(
            CODE,
            whole,
            format!("`{}` is not a check runsheet knows", word.text),
        )
        .with_help(help));
    };
    let Some((op, value)) = split_comparison(after) else {
        let help = if after.is_empty() {
            format!(
                "write the check without spaces: {keyword}{}",
                example(keyword)
            )
        } else {
            format!("e.g. {keyword}{}", example(keyword))
        };
        return Err(Diagnostic::error(
            CODE,
            whole,
            format!("`{}` needs a comparison: ==, !=, <, <=, > or >=", word.text),
        )
        .with_help(help));
    };
    let value_text = match unit {
        Some(u) => format!("{value} {}", u.text),
        None => value.to_string(),
    };
    let value_span = if word.quoted {
        whole
    } else {
        Span::new(base + word.end - value.len(), whole.end)
    };
    match keyword {
        "size" => parse_size(&value_text)
            .map(|bytes| S3Check::Size(op, bytes))
            .ok_or_else(|| {
                Diagnostic::error(CODE, value_span, format!("`{value_text}` is not a size"))
                    .with_help(SIZE_HELP)
            }),
        "age" => parse_duration(&value_text)
            .map(|d| S3Check::Age(op, d))
            .ok_or_else(|| {
                Diagnostic::error(
                    CODE,
                    value_span,
                    format!("`{value_text}` is not a duration"),
                )
                .with_help(DURATION_HELP)
            }),
        _ => parse_sha256(op, &value_text, value_span, whole),
    }
}

fn example(keyword: &str) -> &'static str {
    match keyword {
        "size" => ">0",
        "age" => "<30m",
        _ => "=<64 hex characters>",
    }
}

/// `=` is accepted as `==`: `size=0` has only one reading.
fn split_comparison(text: &str) -> Option<(Comparison, &str)> {
    [
        ("==", Comparison::Eq),
        ("!=", Comparison::Ne),
        (">=", Comparison::Ge),
        ("<=", Comparison::Le),
        (">", Comparison::Gt),
        ("<", Comparison::Lt),
        ("=", Comparison::Eq),
    ]
    .into_iter()
    .find_map(|(op, cmp)| text.strip_prefix(op).map(|rest| (cmp, rest)))
}

/// Bytes with an optional unit: K, M, G, T (and KB, MB …) are powers of
/// 1000, KiB, MiB, GiB, TiB (and Ki, Mi …) powers of 1024; case is ignored.
pub(super) fn parse_size(text: &str) -> Option<u64> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let number: u64 = number.parse().ok()?;
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        _ => return None,
    };
    number.checked_mul(multiplier)
}

fn parse_sha256(op: Comparison, hex: &str, at: Span, whole: Span) -> Result<S3Check, Diagnostic> {
    const HELP: &str = "write sha256=<64 hex characters>, as printed by sha256sum";
    if op != Comparison::Eq {
        return Err(
            Diagnostic::error(CODE, whole, "a sha256 check compares with =").with_help(HELP),
        );
    }
    if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let found = if hex.chars().all(|c| c.is_ascii_hexdigit()) {
            format!("{} hex characters", hex.len())
        } else {
            "non-hex characters".to_string()
        };
        return Err(Diagnostic::error(
            CODE,
            at,
            format!("`{hex}` is not a SHA-256: expected 64 hex characters, found {found}"),
        )
        .with_help(HELP));
    }
    Ok(S3Check::Sha256(hex.to_ascii_lowercase()))
}
