//! `{sandbox=skip reason="…"}` on a phase, a step or a block: what cannot
//! exist in the sandbox (a cluster's node list, a web console, a browser).
//! A sandbox session passes it by and says why; anywhere else it runs.
//! Pure: reading and checking the attributes only.

use super::attributes::Attr;
use super::diagnostic::Diagnostic;
use super::model::SandboxSkip;
use super::parse::attr;

/// The one value `sandbox=` takes.
pub const SKIP: &str = "skip";

const EXAMPLE: &str =
    "{sandbox=skip reason=\"the cluster's node list does not exist in the sandbox\"}";

/// Where the attributes are written: on a block, `reason` may also explain
/// a `destructive=…` override, which `action` checks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Heading,
    Block,
}

/// The mark the attributes make, if they make a valid one; every mistake
/// is reported (an unknown value, no reason, a reason with no mark).
pub fn read(attrs: &[Attr], place: Place, diags: &mut Vec<Diagnostic>) -> Option<SandboxSkip> {
    let reason = attr(attrs, "reason");
    let Some(a) = attr(attrs, "sandbox") else {
        if place == Place::Heading
            && let Some(r) = reason
        {
            diags.push(
                Diagnostic::error(
                    "reason-without-skip",
                    r.key_span,
                    "`reason` on a heading says why it cannot be rehearsed, and there is no `sandbox=skip` here",
                )
                .with_help(format!(
                    "write both, as in {EXAMPLE}, or remove `reason`"
                )),
            );
        }
        return None;
    };
    if a.value.as_deref() != Some(SKIP) {
        let said = match &a.value {
            Some(v) => format!("`sandbox={v}` is not a sandbox setting"),
            None => "`sandbox` needs a value".to_string(),
        };
        diags.push(
            Diagnostic::error("bad-sandbox", a.span(), said).with_help(format!(
                "the one setting is `sandbox=skip`, for what cannot be rehearsed, with its reason: {EXAMPLE}"
            )),
        );
        return None;
    }
    let Some(text) = reason
        .map(|r| r.text().trim().to_string())
        .filter(|t| !t.is_empty())
    else {
        diags.push(
            Diagnostic::error(
                "skip-without-reason",
                a.span(),
                "`sandbox=skip` needs a reason, so the drill's report says why this was not rehearsed",
            )
            .with_help(format!("add one: {EXAMPLE}")),
        );
        return None;
    };
    Some(SandboxSkip {
        reason: text,
        span: a.span(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::attributes::parse;

    fn read_str(text: &str, place: Place) -> (Option<SandboxSkip>, Vec<&'static str>) {
        let attrs = parse(text, 0).unwrap_or_default();
        let mut diags = Vec::new();
        let got = read(&attrs, place, &mut diags);
        (got, diags.iter().map(|d| d.code).collect())
    }

    #[test]
    fn a_mark_with_its_reason() {
        let (got, codes) = read_str("{ sandbox=skip reason=\" no console \" }", Place::Heading);
        assert_eq!(got.map(|s| s.reason), Some("no console".to_string()));
        assert!(codes.is_empty());
    }

    #[test]
    fn mistakes_are_errors() {
        assert_eq!(
            read_str("{sandbox=skip}", Place::Block).1,
            ["skip-without-reason"]
        );
        assert_eq!(
            read_str("{sandbox=skip reason=\"  \"}", Place::Heading).1,
            ["skip-without-reason"]
        );
        assert_eq!(
            read_str("{sandbox=run reason=x}", Place::Heading).1,
            ["bad-sandbox"]
        );
        assert_eq!(read_str("{sandbox}", Place::Heading).1, ["bad-sandbox"]);
        assert_eq!(
            read_str("{reason=x}", Place::Heading).1,
            ["reason-without-skip"]
        );
        // On a block a lone reason is the destructive override's business.
        assert!(read_str("{reason=x}", Place::Block).1.is_empty());
    }
}
