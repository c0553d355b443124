//! Reading a program's arguments: options, their values, positionals.

use super::super::shell_lex::Word;

pub(super) fn basename(word: &str) -> &str {
    word.rsplit_once('/').map_or(word, |(_, name)| name)
}

/// The name of a long option (`--name` or `--name=value`).
pub(super) fn long_name(t: &str) -> Option<&str> {
    let long = t.strip_prefix("--")?;
    let name = long.split('=').next().unwrap_or_default();
    (!name.is_empty()).then_some(name)
}

/// The letters of a short option group (`-rf` → `rf`).
pub(super) fn short_group(t: &str) -> Option<&str> {
    t.strip_prefix('-')
        .filter(|s| !s.is_empty() && !s.starts_with('-'))
}

/// How options that take a value are spelled for one program.
#[derive(Clone, Copy)]
pub(super) struct Options<'a> {
    /// Short letters taking a value (the rest of the group, or the next word).
    pub short: &'a str,
    /// Long names (without `--`) taking a value, `--name value` or `--name=value`;
    /// also single-dash long options (`-path x`) when spelled with their dash.
    pub long: &'a [&'a str],
}

impl Options<'_> {
    pub const NONE: Options<'static> = Options {
        short: "",
        long: &[],
    };

    /// Whether `t` is an option whose value is the next word.
    fn value_next(&self, t: &str) -> bool {
        if let Some(long) = t.strip_prefix("--") {
            return !long.contains('=') && self.long.contains(&long);
        }
        if self.long.contains(&t) {
            return true;
        }
        let Some(group) = short_group(t) else {
            return false;
        };
        for (k, c) in group.char_indices() {
            if self.short.contains(c) {
                return k + c.len_utf8() == group.len();
            }
        }
        false
    }
}

/// Indices of the positional arguments, up to `--` (not included).
pub(super) fn positionals(args: &[Word], options: Options) -> Vec<usize> {
    let mut found = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            break;
        }
        if t.len() > 1 && t.starts_with('-') {
            if options.value_next(t) {
                i += 1;
            }
        } else {
            found.push(i);
        }
        i += 1;
    }
    found
}

/// Index of the first argument that is not an option (nor an option's
/// value); after `--`, the word that follows it.
pub(super) fn first_operand(args: &[Word], options: Options) -> usize {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let t = arg.text.as_str();
        if t == "--" {
            return i + 1;
        }
        if !(t.len() > 1 && t.starts_with('-')) {
            return i;
        }
        if options.value_next(t) {
            i += 1;
        }
        i += 1;
    }
    args.len()
}

/// The options before `--`.
pub(super) fn options(args: &[Word]) -> impl Iterator<Item = &str> {
    args.iter()
        .map(|w| w.text.as_str())
        .take_while(|t| *t != "--")
        .filter(|t| t.len() > 1 && t.starts_with('-'))
}

/// A long option is present (exactly, or as an unambiguous prefix of at
/// least `min` letters, as getopt_long accepts).
pub(super) fn has_long(args: &[Word], name: &str, min: usize) -> bool {
    options(args).any(|t| {
        long_name(t).is_some_and(|n| n.len() >= min.min(name.len()) && name.starts_with(n))
    })
}

/// A short option letter is present in some group.
pub(super) fn has_short(args: &[Word], letter: char) -> bool {
    options(args).any(|t| short_group(t).is_some_and(|g| g.contains(letter)))
}

/// The positional words, as text.
pub(super) fn texts<'w>(args: &'w [Word], indices: &[usize]) -> Vec<&'w str> {
    indices
        .iter()
        .filter_map(|&i| args.get(i))
        .map(|w| w.text.as_str())
        .collect()
}
