//! Files and disks: `rm -r`, `find -delete` and `-exec`, `truncate`,
//! `shred`, `dd of=`, `rsync --delete`, `rclone sync`, and the tools that
//! erase a filesystem, a partition table or a volume.

use super::super::Rule;
use super::super::shell_lex::Word;
use super::words::{Options, has_long, has_short, long_name, options, positionals, texts};
use super::{Cx, Next, Stdin};

pub(super) fn program(cx: &mut Cx, word: &Word, name: &str, args: &[Word]) -> Option<Next> {
    let at = word.span.start;
    let rule = match name {
        "rm" => rm(cx, args),
        "unlink" if cx.listed => Some(Rule::ShellRmFromList),
        "find" => {
            find(cx, at, args);
            None
        }
        "truncate" => (has_short(args, 's')
            || has_short(args, 'r')
            || has_long(args, "size", 1)
            || has_long(args, "reference", 1))
        .then_some(Rule::ShellTruncateFile),
        "shred" => (!positionals(
            args,
            Options {
                short: "ns",
                long: &["iterations", "size", "random-source"],
            },
        )
        .is_empty())
        .then_some(Rule::ShellShred),
        "dd" => args
            .iter()
            .any(|w| w.text.starts_with("of="))
            .then_some(Rule::ShellDdWrite),
        "rsync" => options(args)
            .any(|t| {
                long_name(t).is_some_and(|n| n.starts_with("del") || n == "remove-source-files")
            })
            .then_some(Rule::ShellRsyncDelete),
        "rclone" => {
            let p = positionals(
                args,
                Options {
                    short: "",
                    long: &["config"],
                },
            );
            let verb = texts(args, &p).first().copied().unwrap_or_default();
            matches!(
                verb,
                "sync" | "delete" | "deletefile" | "purge" | "rmdir" | "rmdirs" | "cleanup"
            )
            .then_some(Rule::ShellRsyncDelete)
        }
        _ if name.starts_with("mkfs") || name == "mkswap" || name == "blkdiscard" => {
            Some(Rule::ShellDiskErase)
        }
        "wipefs" => (has_short(args, 'a')
            || has_short(args, 'o')
            || has_long(args, "all", 1)
            || has_long(args, "offset", 1))
        .then_some(Rule::ShellDiskErase),
        "sgdisk" => (has_short(args, 'Z')
            || has_short(args, 'z')
            || has_short(args, 'o')
            || has_long(args, "zap", 3)
            || has_long(args, "zap-all", 5)
            || has_long(args, "clear", 2))
        .then_some(Rule::ShellDiskErase),
        "lvremove" | "vgremove" | "pvremove" => Some(Rule::ShellDiskErase),
        "zfs" | "zpool" => {
            let p = positionals(args, Options::NONE);
            matches!(
                texts(args, &p).first().copied(),
                Some("destroy" | "labelclear")
            )
            .then_some(Rule::ShellDiskErase)
        }
        "cryptsetup" => args
            .iter()
            .any(|w| matches!(w.text.as_str(), "luksFormat" | "erase" | "luksErase"))
            .then_some(Rule::ShellDiskErase),
        "mdadm" => has_long(args, "zero-superblock", 4).then_some(Rule::ShellDiskErase),
        "parted" => args
            .iter()
            .any(|w| matches!(w.text.as_str(), "mklabel" | "rm" | "mktable"))
            .then_some(Rule::ShellDiskErase),
        _ => return None,
    };
    if let Some(rule) = rule {
        cx.flag(rule, at);
    }
    Some(Next::Done(Stdin::Data))
}

/// `rm` with a recursive flag (with or without force); in a list from
/// find/xargs, any `rm`.
fn rm(cx: &Cx, args: &[Word]) -> Option<Rule> {
    let (mut recursive, mut force) = (false, false);
    for t in options(args) {
        if let Some(name) = long_name(t) {
            // getopt_long accepts any unambiguous prefix: `--rec`, `--f`.
            recursive |= "recursive".starts_with(name);
            force |= "force".starts_with(name);
        } else if let Some(short) = t.strip_prefix('-') {
            recursive |= short.contains(['r', 'R']);
            force |= short.contains('f');
        }
    }
    match (recursive, force) {
        (true, true) => Some(Rule::ShellRmRecursiveForce),
        (true, false) => Some(Rule::ShellRmRecursive),
        _ if cx.listed => Some(Rule::ShellRmFromList),
        // `F=-rf; rm $F /data` or `rm "$OPTS" /data`: a word that begins
        // with an expansion may be rm's options, whatever it is called.
        _ if args
            .iter()
            .take_while(|w| w.text != "--")
            .any(begins_with_expansion) =>
        {
            Some(Rule::ShellOpaque)
        }
        _ => None,
    }
}

/// The word's first character comes from an expansion, so at run time it
/// may start with `-`: `$F`, `${F}`, `"$F"/x`, `$(…)`, a backtick.
fn begins_with_expansion(word: &Word) -> bool {
    word.expanded && word.text.starts_with(['$', '`'])
}

/// `find … -delete`; `-exec`/`-execdir`/`-ok`/`-okdir` run a command per
/// file found, read as a command of its own over a list runsheet cannot see.
fn find(cx: &mut Cx, at: usize, args: &[Word]) {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        match arg.text.as_str() {
            "-delete" => cx.flag(Rule::ShellFindDelete, at),
            "-exec" | "-execdir" | "-ok" | "-okdir" => {
                let start = i + 1;
                let end = args[start..]
                    .iter()
                    .position(|w| w.text == ";" || w.text == "+")
                    .map_or(args.len(), |k| start + k);
                let was = std::mem::replace(&mut cx.listed, true);
                cx.run(&args[..end], start);
                cx.listed = was;
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
}
