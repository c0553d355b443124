//! Values for a runbook's variables: from the environment, the declared
//! default, or the operator. Secrets are remembered for redaction, never
//! written anywhere.

use crate::runbook::model::Runbook;
use crate::secrets::Secrets;
use std::collections::HashMap;

/// Asks the operator for a value; `secret` masks what is typed.
pub trait Ask {
    /// What was typed (empty when only Enter was), or None when nobody
    /// can answer any more (the input ended).
    fn ask(&mut self, name: &str, description: Option<&str>, secret: bool) -> Option<String>;

    /// An empty answer was given for `name`, which will be asked again:
    /// say so, without a word on what else was typed.
    fn needs_value(&mut self, _name: &str) {}

    /// Whether anyone is there to answer (shapes the advice when a value
    /// is missing).
    fn present(&self) -> bool {
        true
    }
}

/// Nobody to ask: scripts and `--auto`.
pub struct NoOne;

impl Ask for NoOne {
    fn ask(&mut self, _: &str, _: Option<&str>, _: bool) -> Option<String> {
        None
    }

    fn present(&self) -> bool {
        false
    }
}

pub struct Resolved {
    pub values: HashMap<String, String>,
    pub secrets: Secrets,
    /// Declared names, then placeholders' variables, in order, for the
    /// journal (values are not journaled).
    pub names: Vec<String>,
    /// For the operator: secrets too short to mask everywhere.
    pub warnings: Vec<String>,
}

/// How many empty answers one variable gets before the session gives up
/// on it (Enter pressed by mistake twice is fine; a stream of empty lines
/// from a script is not an operator).
const EMPTY_ANSWERS: usize = 5;

/// Resolves every declared variable, or says which ones are missing and how
/// to provide them. An empty answer asks that variable again, keeping the
/// values already given; once the input has ended nothing more is asked.
pub fn resolve(
    runbook: &Runbook,
    env: &dyn Fn(&str) -> Option<String>,
    ask: &mut dyn Ask,
) -> Result<Resolved, String> {
    let mut values = HashMap::new();
    let mut secrets = Secrets::default();
    let mut missing = Vec::new();
    let mut warnings = Vec::new();
    // Nobody answers any more: the rest is only listed.
    let mut gone = !ask.present();
    // A password the runbook writes out is masked like a secret variable's.
    for value in crate::runbook::credentials::values(runbook) {
        secrets.add(value);
    }
    // Declared variables, then those the runbook's placeholders became.
    let asked = crate::runbook::placeholders::asked_variables(runbook);
    for v in &asked {
        let mut value = env(&v.name).or_else(|| v.default.clone());
        if value.is_none() && !gone {
            value = ask_until_given(ask, v);
            gone = value.is_none();
        }
        match value {
            Some(value) => {
                // `postgres://u:pw@h/db` in a variable not marked secret:
                // its password is one all the same.
                for pw in url_passwords(&value) {
                    secrets.add(pw);
                }
                if v.secret {
                    warnings.extend(crate::secrets::short_value_warning(&v.name, &value));
                    secrets.add(value.clone());
                }
                values.insert(v.name.clone(), value);
            }
            None => missing.push(v),
        }
    }
    if !missing.is_empty() {
        let lines: Vec<String> = missing
            .iter()
            .map(|v| {
                let what = v.description.as_deref().unwrap_or("no description");
                format!("  export {}=…   # {what}", v.name)
            })
            .collect();
        let (it, them) = if missing.len() == 1 {
            (" is", "it")
        } else {
            ("s are", "them")
        };
        let how = if ask.present() {
            format!(
                "the answers ended before {them} got a value; type a value when asked, or set {them} in the environment"
            )
        } else {
            format!("set {them} in the environment (or run without --auto to be asked)")
        };
        return Err(format!(
            "{} variable{it} not set; {how}:\n{}",
            missing.len(),
            lines.join("\n")
        ));
    }
    Ok(Resolved {
        values,
        secrets,
        names: asked.iter().map(|v| v.name.clone()).collect(),
        warnings,
    })
}

/// Asks for `v` until a value is typed; None when the answers end (or
/// only empty ones keep coming).
fn ask_until_given(ask: &mut dyn Ask, v: &crate::runbook::model::Variable) -> Option<String> {
    for _ in 0..EMPTY_ANSWERS {
        let answer = ask.ask(&v.name, v.description.as_deref(), v.secret)?;
        if !answer.trim().is_empty() {
            return Some(answer);
        }
        ask.needs_value(&v.name);
    }
    None
}

/// The password of each `scheme://user:password@host` in `value`, as
/// written and percent-decoded.
fn url_passwords(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (at, _) in value.match_indices("://") {
        let rest = &value[at + 3..];
        let authority = rest
            .split(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        let Some((userinfo, _)) = authority.rsplit_once('@') else {
            continue;
        };
        let Some((_, pw)) = userinfo.split_once(':') else {
            continue;
        };
        if pw.is_empty() {
            continue;
        }
        let decoded = percent_decode(pw);
        if decoded != pw {
            out.push(decoded);
        }
        out.push(pw.to_string());
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::parse;

    const RB: &str = "---\nvariables:\n  DB_URL: { secret: true }\n  CLIENT: { default: \"A\" }\n  TICKET: { description: \"incident ticket\" }\n---\n# R\n\n## P\n\n```bash\necho $DB_URL $CLIENT $TICKET\n```\n";

    struct Answers(Vec<(String, String)>);
    impl Ask for Answers {
        fn ask(&mut self, name: &str, _: Option<&str>, _: bool) -> Option<String> {
            self.0
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn environment_then_default_then_the_operator() {
        let rb = parse("r.md", RB).runbook;
        let env = |n: &str| (n == "DB_URL").then(|| "postgres://u:pw@h/db".to_string());
        let r = resolve(
            &rb,
            &env,
            &mut Answers(vec![("TICKET".into(), "INC-42".into())]),
        );
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.values["CLIENT"], "A");
        assert_eq!(r.values["TICKET"], "INC-42");
        assert_eq!(r.secrets.redact("url=postgres://u:pw@h/db"), "url=***");
    }

    #[test]
    fn a_password_in_any_url_value_is_a_secret() {
        let rb = parse("r.md", RB).runbook;
        let env = |n: &str| match n {
            "DB_URL" => Some("x".to_string()),
            "CLIENT" => Some("postgres://app:p%40ss-w0rd@db/prod".to_string()),
            _ => None,
        };
        let r = resolve(&rb, &env, &mut Answers(vec![("TICKET".into(), "T".into())]));
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            r.secrets
                .redact("failed: postgres://app:p%40ss-w0rd@db, password p@ss-w0rd"),
            "failed: postgres://app:***@db, password ***"
        );
    }

    #[test]
    fn a_short_secret_is_warned_about_without_showing_it() {
        let rb = parse("r.md", RB).runbook;
        let env = |n: &str| (n == "DB_URL").then(|| "x".to_string());
        let r = resolve(
            &rb,
            &env,
            &mut Answers(vec![("TICKET".into(), "INC-42".into())]),
        );
        let r = r.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains("DB_URL"), "{:?}", r.warnings);
        assert_eq!(r.secrets.redact("an index, and x"), "an index, and ***");
    }

    /// Answers in the order asked; None once they run out.
    #[derive(Default)]
    struct Typed {
        answers: std::collections::VecDeque<&'static str>,
        asked: Vec<String>,
        told: Vec<String>,
    }
    impl Ask for Typed {
        fn ask(&mut self, name: &str, _: Option<&str>, _: bool) -> Option<String> {
            self.asked.push(name.to_string());
            self.answers.pop_front().map(str::to_string)
        }
        fn needs_value(&mut self, name: &str) {
            self.told.push(name.to_string());
        }
    }

    #[test]
    fn an_empty_answer_asks_that_variable_again_and_keeps_the_others() {
        let rb = parse("r.md", RB).runbook;
        let mut typed = Typed {
            answers: ["s3cr3t-url", "", "  ", "INC-42"].into(),
            ..Typed::default()
        };
        let r = resolve(&rb, &|_| None, &mut typed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(r.values["DB_URL"], "s3cr3t-url", "the secret typed first");
        assert_eq!(r.values["TICKET"], "INC-42");
        assert_eq!(typed.asked, ["DB_URL", "TICKET", "TICKET", "TICKET"]);
        assert_eq!(typed.told, ["TICKET", "TICKET"], "said it needs a value");
    }

    #[test]
    fn answers_that_end_name_what_is_left_without_asking_more() {
        let rb = parse("r.md", RB).runbook;
        let mut typed = Typed {
            answers: [""].into(),
            ..Typed::default()
        };
        let err = resolve(&rb, &|_| None, &mut typed)
            .err()
            .unwrap_or_default();
        assert_eq!(
            typed.asked,
            ["DB_URL", "DB_URL"],
            "nothing asked after the end"
        );
        assert!(err.contains("2 variables are not set"), "{err}");
        assert!(err.contains("the answers ended"), "{err}");
        assert!(err.contains("export TICKET="), "{err}");
    }

    #[test]
    fn missing_variables_are_all_named_with_their_description() {
        let rb = parse("r.md", RB).runbook;
        let err = resolve(&rb, &|_| None, &mut NoOne)
            .err()
            .unwrap_or_default();
        assert!(err.contains("2 variables are not set"), "{err}");
        assert!(err.contains("export DB_URL="), "{err}");
        assert!(err.contains("export TICKET=…   # incident ticket"), "{err}");
    }
}
