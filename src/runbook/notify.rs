//! `notify:`, in a runbook's front matter or the config file: webhooks
//! told when a session starts, waits for a person, fails, rolls back and
//! ends. Only the shape is here; sending is `crate::notify`'s.

use serde::Deserialize;

/// What a webhook can be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotifyEvent {
    /// The session started or was resumed.
    Start,
    /// A destructive step waits at its gate for the target's name.
    Gate,
    /// The name was typed at a four-eyes gate: it waits for approvals.
    Approval,
    /// A step failed.
    Failure,
    /// After a failure, the operator turned to a rollback step.
    Rollback,
    /// The session ended (or stopped), with the journal's final hash.
    End,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 6] = [
        NotifyEvent::Start,
        NotifyEvent::Gate,
        NotifyEvent::Approval,
        NotifyEvent::Failure,
        NotifyEvent::Rollback,
        NotifyEvent::End,
    ];

    pub fn name(self) -> &'static str {
        match self {
            NotifyEvent::Start => "start",
            NotifyEvent::Gate => "gate",
            NotifyEvent::Approval => "approval",
            NotifyEvent::Failure => "failure",
            NotifyEvent::Rollback => "rollback",
            NotifyEvent::End => "end",
        }
    }

    pub fn from_name(name: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.name() == name)
    }

    /// "start, gate, approval, failure, rollback, end", for messages.
    pub fn list() -> String {
        NotifyEvent::ALL.map(NotifyEvent::name).join(", ")
    }
}

/// One webhook as written: `url` (usually `$SLACK_WEBHOOK`: a webhook's
/// URL is a secret) and the events it hears, all of them by default.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HookSpec {
    pub url: String,
    #[serde(default)]
    pub on: Option<Vec<String>>,
}

/// A webhook checked: its URL as written (not yet resolved) and its events.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Hook {
    pub url: String,
    pub on: Vec<NotifyEvent>,
}

impl Hook {
    pub fn hears(&self, event: NotifyEvent) -> bool {
        self.on.contains(&event)
    }
}

/// Checks a webhook as written; the error says what is wrong and how to
/// write it.
pub fn check(spec: &HookSpec) -> Result<Hook, String> {
    let url = spec.url.trim();
    if url.is_empty() {
        return Err("a webhook under `notify:` has an empty `url:`".into());
    }
    let is_var = url.starts_with('$') || url.starts_with("{{");
    if !(is_var || url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!(
            "`notify:` url `{url}` is neither an http(s) URL nor a variable (`$SLACK_WEBHOOK`)"
        ));
    }
    let on = match &spec.on {
        None => NotifyEvent::ALL.to_vec(),
        Some(names) => {
            let mut on = Vec::new();
            for n in names {
                let Some(e) = NotifyEvent::from_name(n.trim()) else {
                    return Err(format!(
                        "`notify:` has no event `{n}`; the events are {}",
                        NotifyEvent::list()
                    ));
                };
                if !on.contains(&e) {
                    on.push(e);
                }
            }
            on
        }
    };
    Ok(Hook {
        url: url.to_string(),
        on,
    })
}

/// Whether a URL written out (not a variable) holds what looks like a
/// secret path: a Slack webhook's URL is its credential, and a runbook is
/// shared.
pub fn written_out(hook: &Hook) -> bool {
    !(hook.url.starts_with('$') || hook.url.starts_with("{{"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(url: &str, on: Option<&[&str]>) -> HookSpec {
        HookSpec {
            url: url.into(),
            on: on.map(|o| o.iter().map(|s| s.to_string()).collect()),
        }
    }

    #[test]
    fn every_event_by_default_and_unknown_ones_are_named_with_the_list() {
        let h = check(&spec("$SLACK_WEBHOOK", None)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.on, NotifyEvent::ALL.to_vec());
        let h = check(&spec("https://x/y", Some(&["end", "failure", "end"])))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(h.on, vec![NotifyEvent::End, NotifyEvent::Failure]);
        let e = check(&spec("$W", Some(&["fail"]))).unwrap_err();
        assert!(
            e.contains("`fail`") && e.contains("start, gate, approval, failure, rollback, end"),
            "{e}"
        );
        assert!(check(&spec("hooks.slack.com/x", None)).is_err());
        assert!(check(&spec(" ", None)).is_err());
    }
}
