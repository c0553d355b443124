//! Cloud and cluster CLIs: aws, gcloud/gsutil, az, terraform and friends,
//! helm, kubectl. A subcommand that is a variable (`kubectl $VERB …`) is
//! opaque: it decides what the command does.

use super::super::Rule;
use super::super::shell_lex::Word;
use super::words::{Options, has_long, positionals, texts};
use super::{Cx, Next, Stdin};

/// aws global options whose value is a separate word.
const AWS_VALUE_OPTIONS: &[&str] = &[
    "profile",
    "region",
    "endpoint-url",
    "output",
    "query",
    "color",
    "ca-bundle",
    "cli-read-timeout",
    "cli-connect-timeout",
    "cli-binary-format",
];

const KUBECTL_VALUE_OPTIONS: &[&str] = &[
    "namespace",
    "context",
    "cluster",
    "user",
    "server",
    "kubeconfig",
    "token",
    "as",
    "as-group",
    "selector",
    "output",
    "filename",
    "container",
    "field-selector",
    "request-timeout",
    "cache-dir",
    "certificate-authority",
    "client-key",
    "client-certificate",
    "tls-server-name",
    "replicas",
    "grace-period",
    "timeout",
    "image",
    "type",
    "port",
    "-n",
    "-l",
    "-o",
    "-f",
    "-c",
    "-s",
];

const HELM_VALUE_OPTIONS: &[&str] = &[
    "namespace",
    "kube-context",
    "kubeconfig",
    "kube-apiserver",
    "kube-token",
    "registry-config",
    "repository-config",
    "-n",
];

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    let (rule, next) = match name {
        "aws" => (aws(cx, at, args), None),
        "gcloud" | "gsutil" => (gcloud(cx, at, name, args), None),
        "az" => {
            let p = verbs(cx, at, args, Options::NONE);
            let deletes = p
                .iter()
                .any(|v| *v == "delete" || *v == "purge" || v.starts_with("delete-"));
            (deletes.then_some(Rule::ShellAzDelete), None)
        }
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" | "cdktf" => {
            (infra(cx, at, name, args), None)
        }
        "helm" => {
            let options = Options {
                short: "n",
                long: HELM_VALUE_OPTIONS,
            };
            let p = verbs(cx, at, args, options);
            let removes = p
                .iter()
                .any(|v| matches!(*v, "uninstall" | "delete" | "del" | "un"));
            (removes.then_some(Rule::ShellHelmUninstall), None)
        }
        "kubectl" | "oc" | "k3s-kubectl" | "microk8s.kubectl" => kubectl(cx, at, args),
        _ => return None,
    };
    if let Some(rule) = rule {
        cx.flag(rule, at);
    }
    Some(next.unwrap_or(Next::Done(Stdin::Data)))
}

/// The positional words; the first one, the subcommand, must be literal.
fn verbs<'w>(cx: &mut Cx, at: usize, args: &'w [Word], options: Options) -> Vec<&'w str> {
    let p = positionals(args, options);
    if p.first().is_some_and(|&k| args[k].expanded) {
        cx.opaque(at);
    }
    texts(args, &p)
}

fn aws(cx: &mut Cx, at: usize, args: &[Word]) -> Option<Rule> {
    let p = positionals(
        args,
        Options {
            short: "",
            long: AWS_VALUE_OPTIONS,
        },
    );
    if p.iter().take(2).any(|&k| args[k].expanded) {
        cx.opaque(at);
    }
    let positional = texts(args, &p);
    match positional.as_slice() {
        ["s3", "rm" | "rb" | "mv", ..] => Some(Rule::ShellAwsS3Rm),
        ["s3", "sync", ..] => has_long(args, "delete", 6).then_some(Rule::ShellAwsS3Rm),
        ["s3api", op, ..] if op.starts_with("delete-") => Some(Rule::ShellAwsS3Rm),
        [_, op, ..]
            if op.starts_with("delete-")
                || op.starts_with("batch-delete-")
                || op.starts_with("terminate-")
                || op.starts_with("purge-")
                || *op == "schedule-key-deletion" =>
        {
            Some(Rule::ShellAwsDelete)
        }
        _ => None,
    }
}

fn gcloud(cx: &mut Cx, at: usize, name: &str, args: &[Word]) -> Option<Rule> {
    let options = Options {
        short: "oh",
        long: &["project", "account", "configuration", "format"],
    };
    let p = verbs(cx, at, args, options);
    let deletes = if name == "gsutil" {
        match p.first().copied() {
            Some("rm" | "rb") => true,
            Some("rsync") => args.iter().any(|w| w.text == "-d"),
            _ => false,
        }
    } else {
        p.iter()
            .any(|v| matches!(*v, "delete" | "destroy" | "purge"))
            || (p.first() == Some(&"storage") && p.contains(&"rm"))
    };
    deletes.then_some(Rule::ShellGcloudDelete)
}

fn infra(cx: &mut Cx, at: usize, name: &str, args: &[Word]) -> Option<Rule> {
    let options = Options {
        short: "",
        long: &[
            "-var",
            "-var-file",
            "-target",
            "-state",
            "stack",
            "-replace",
            "cwd",
        ],
    };
    let p = verbs(cx, at, args, options);
    let destroys = p.contains(&"destroy")
        || (matches!(name, "pulumi") && p.first() == Some(&"down"))
        || (p.contains(&"workspace") && p.contains(&"delete"))
        || (p.contains(&"apply")
            && args.iter().any(|w| {
                let t = w.text.trim_start_matches('-');
                w.text.starts_with('-') && (t == "destroy" || t.starts_with("replace"))
            }));
    destroys.then_some(Rule::ShellInfraDestroy)
}

fn kubectl(cx: &mut Cx, at: usize, args: &[Word]) -> (Option<Rule>, Option<Next>) {
    let options = Options {
        short: "",
        long: KUBECTL_VALUE_OPTIONS,
    };
    let p = positionals(args, options);
    if p.first().is_some_and(|&k| args[k].expanded) {
        cx.opaque(at);
    }
    let verbs = texts(args, &p);
    let dash_dash = args.iter().position(|w| w.text == "--");
    if matches!(verbs.first(), Some(&("exec" | "debug" | "run" | "attach"))) {
        // `kubectl exec pod -- command`: the command runs in the pod.
        return match dash_dash {
            Some(k) if k + 1 < args.len() => (None, Some(Next::At(k + 1))),
            Some(_) => (None, Some(Next::Done(Stdin::Data))),
            None => (None, Some(Next::Unknown)),
        };
    }
    let before = &args[..dash_dash.unwrap_or(args.len())];
    let flag = |name: &str| has_long(before, name, name.len());
    let rule = if verbs.contains(&"delete")
        || (verbs.first() == Some(&"replace") && flag("force"))
        || (verbs.first() == Some(&"apply") && flag("prune"))
    {
        Some(Rule::ShellKubectlDelete)
    } else if verbs.contains(&"drain") {
        Some(Rule::ShellKubectlDrain)
    } else if replicas_zero(before) {
        Some(Rule::ShellKubectlScaleZero)
    } else {
        None
    };
    (rule, None)
}

/// `--replicas=0` or `--replicas 0` (any verb: scale, create deployment…).
fn replicas_zero(args: &[Word]) -> bool {
    args.iter().enumerate().any(|(i, w)| {
        let value = match w.text.strip_prefix("--replicas") {
            Some(v) if v.starts_with('=') => &v[1..],
            Some("") => args.get(i + 1).map_or("", |n| n.text.as_str()),
            _ => return false,
        };
        !value.is_empty() && value.trim_start_matches('0').is_empty()
    })
}
