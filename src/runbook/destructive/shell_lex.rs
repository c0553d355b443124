//! Bash-ish lexer: splits text into simple commands made of unquoted words,
//! each word remembering where every byte of its text came from so that a
//! finding inside a quoted argument can point back at the source.
//!
//! Command substitutions (`$(...)`, backticks, `<(...)`) are lexed as
//! commands of their own; heredoc bodies are kept aside, not lexed.
//! Arithmetic (`$((...))`, `((...))`) is not code: only the substitutions
//! inside it are lexed. Each word says whether the shell will expand it
//! (a variable, a substitution) or match it as a pattern (a glob, braces),
//! so that the rules can tell a command they can read from one they cannot.

use std::ops::Range;

/// Substitutions nest; deeper than this is treated as opaque text.
const MAX_NESTING: usize = 48;

#[derive(Debug, Default)]
pub(in crate::runbook) struct Word {
    /// The word with quotes and escapes removed.
    pub text: String,
    /// The word as written.
    pub span: Range<usize>,
    /// A parameter, command, arithmetic or process substitution appears in
    /// it (quoted or not): its value is only known when the shell runs it.
    pub expanded: bool,
    /// An unquoted `*`, `?`, `[` or `{`: the shell may turn it into other
    /// words (glob, brace expansion).
    pub glob: bool,
    /// Where each byte of `text` came from.
    map: SourceMap,
}

/// Most words are their source bytes as written (`rm`, `-rf`, `/data`):
/// they keep one offset, not two per byte, so a long line costs little
/// memory per word.
#[derive(Debug, Default)]
enum SourceMap {
    #[default]
    Empty,
    /// Byte `k` of the text is the source byte at `origin + k`.
    Verbatim(usize),
    /// The source range each byte of the text came from (boxed: the
    /// common case stays small).
    Mapped(Box<PerByte>),
}

#[derive(Debug, Default)]
struct PerByte {
    starts: Vec<usize>,
    ends: Vec<usize>,
}

impl Word {
    fn start_of(&self, k: usize) -> Option<usize> {
        match &self.map {
            SourceMap::Empty => None,
            SourceMap::Verbatim(origin) => (k < self.text.len()).then_some(origin + k),
            SourceMap::Mapped(m) => m.starts.get(k).copied(),
        }
    }

    fn end_of(&self, k: usize) -> Option<usize> {
        match &self.map {
            SourceMap::Empty => None,
            SourceMap::Verbatim(origin) => (k < self.text.len()).then_some(origin + k + 1),
            SourceMap::Mapped(m) => m.ends.get(k).copied(),
        }
    }

    /// Maps a range of `text` (on char boundaries) back to the source.
    pub(in crate::runbook) fn source_span(&self, range: Range<usize>) -> Range<usize> {
        if range.start >= range.end {
            let at = self.start_of(range.start).unwrap_or(self.span.end);
            return at..at;
        }
        match (self.start_of(range.start), self.end_of(range.end - 1)) {
            (Some(start), Some(end)) if start <= end => start..end,
            _ => self.span.clone(),
        }
    }

    /// The words joined with spaces, as `ssh` and `eval` join their
    /// arguments before a shell runs them.
    pub(in crate::runbook) fn joined(words: &[Word]) -> Word {
        let (mut starts, mut ends) = (Vec::new(), Vec::new());
        let mut out = Word::default();
        for (i, w) in words.iter().enumerate() {
            if let Some(prev) = i.checked_sub(1).and_then(|k| words.get(k)) {
                starts.push(prev.span.end);
                ends.push(w.span.start);
                out.text.push(' ');
            }
            out.text.push_str(&w.text);
            out.expanded |= w.expanded;
            out.glob |= w.glob;
            for k in 0..w.text.len() {
                starts.push(w.start_of(k).unwrap_or(w.span.start));
                ends.push(w.end_of(k).unwrap_or(w.span.end));
            }
        }
        out.map = SourceMap::Mapped(Box::new(PerByte { starts, ends }));
        let start = words.first().map_or(0, |w| w.span.start);
        out.span = start..words.last().map_or(start, |w| w.span.end);
        out
    }

    /// Records where the next text byte came from, building the per-byte
    /// map from the verbatim offset the first time it is needed.
    fn record(&mut self, start: usize, end: usize) {
        if let SourceMap::Empty | SourceMap::Verbatim(_) = self.map {
            let len = self.text.len();
            let (starts, ends) = match self.map {
                SourceMap::Verbatim(origin) => (
                    (0..len).map(|k| origin + k).collect(),
                    (0..len).map(|k| origin + k + 1).collect(),
                ),
                _ => (Vec::new(), Vec::new()),
            };
            self.map = SourceMap::Mapped(Box::new(PerByte { starts, ends }));
        }
        if let SourceMap::Mapped(m) = &mut self.map {
            m.starts.push(start);
            m.ends.push(end);
        }
    }

    /// Whether bytes copied from `at` continue the text verbatim.
    fn continues_verbatim(&mut self, at: usize) -> bool {
        match self.map {
            SourceMap::Empty if self.text.is_empty() => {
                self.map = SourceMap::Verbatim(at);
                true
            }
            SourceMap::Verbatim(origin) => origin + self.text.len() == at,
            _ => false,
        }
    }

    fn push(&mut self, c: char, source: Range<usize>) {
        let verbatim = source.len() == c.len_utf8();
        if !(verbatim && self.continues_verbatim(source.start)) {
            for k in 0..c.len_utf8() {
                if verbatim {
                    self.record(source.start + k, source.start + k + 1);
                } else {
                    self.record(source.start, source.end);
                }
            }
        }
        self.text.push(c);
    }

    fn push_verbatim(&mut self, s: &str, at: usize) {
        if !self.continues_verbatim(at) {
            for k in 0..s.len() {
                self.record(at + k, at + k + 1);
            }
        }
        self.text.push_str(s);
    }
}

#[derive(Debug)]
pub(in crate::runbook) struct Heredoc {
    /// The body lines, without the terminator line.
    pub body: Range<usize>,
    delimiter: String,
    strip_tabs: bool,
    /// A quoted delimiter turns off expansion in the body.
    pub quoted: bool,
}

#[derive(Debug, Default)]
pub(in crate::runbook) struct Command {
    /// Words in order, leading assignments included; redirections excluded.
    pub words: Vec<Word>,
    pub heredocs: Vec<Heredoc>,
    /// `<<< word` arguments.
    pub herestrings: Vec<Word>,
    /// Targets of `<` and `<>`: files (or process substitutions) read on
    /// standard input.
    pub stdin_files: Vec<Word>,
    /// Commands joined by `|` share this id.
    pub pipeline: usize,
    /// The first command of a `>(…)` process substitution: its stdin is
    /// whatever the outer command writes there.
    pub piped_in: bool,
}

pub(in crate::runbook) fn lex(src: &str) -> Vec<Command> {
    let mut lexer = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        end: src.len(),
        commands: Vec::new(),
        pending: Vec::new(),
        pipelines: 0,
        nesting: 0,
    };
    lexer.list(Stop::Eof);
    lexer.commands
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stop {
    Eof,
    /// Closing `)` of `$(`, `<(` or `>(`.
    Paren,
    Backtick,
}

enum Redirect {
    File,
    Heredoc { strip_tabs: bool },
    HereString,
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Lexing never reads at or past this (the text end, or a heredoc
    /// body's end while its substitutions are lexed).
    end: usize,
    commands: Vec<Command>,
    /// Heredocs (command index, heredoc index) whose bodies start after the
    /// next newline.
    pending: Vec<(usize, usize)>,
    pipelines: usize,
    nesting: usize,
}

impl Lexer<'_> {
    fn at(&self, k: usize) -> Option<u8> {
        let i = self.pos + k;
        (i < self.end).then(|| self.b[i])
    }

    fn starts_with(&self, s: &[u8]) -> bool {
        self.b[self.pos..self.end].starts_with(s)
    }

    fn char_here(&self) -> Option<char> {
        self.src.get(self.pos..self.end)?.chars().next()
    }

    fn new_pipeline(&mut self) -> usize {
        self.pipelines += 1;
        self.pipelines
    }

    fn command(&mut self, cur: &mut Option<usize>, pipeline: usize) -> usize {
        if let Some(index) = *cur {
            return index;
        }
        self.commands.push(Command {
            pipeline,
            ..Command::default()
        });
        let index = self.commands.len() - 1;
        *cur = Some(index);
        index
    }

    /// Lexes commands until the end or the `stop` delimiter (consumed).
    fn list(&mut self, stop: Stop) {
        let mut cur: Option<usize> = None;
        let mut pipeline = self.new_pipeline();
        let mut pipeline_start = self.commands.len();
        let mut parens = 0usize;
        while let Some(c) = self.at(0) {
            let mut ends_command = true;
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.pos += 1;
                    ends_command = false;
                }
                b'\\' if self.at(1) == Some(b'\n') => {
                    self.pos += 2;
                    ends_command = false;
                }
                b'#' => {
                    while self.at(0).is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                    ends_command = false;
                }
                b'\n' => {
                    self.pos += 1;
                    self.read_heredoc_bodies();
                }
                b';' => {
                    self.pos += 1;
                    if matches!(self.at(0), Some(b';' | b'&')) {
                        self.pos += 1;
                    }
                }
                b'&' if self.at(1) == Some(b'>') => {
                    self.redirect(&mut cur, pipeline, stop);
                    ends_command = false;
                }
                b'&' | b'|' if self.at(1) == Some(c) => self.pos += 2,
                b'&' => self.pos += 1,
                b'|' => {
                    self.pos += if self.at(1) == Some(b'&') { 2 } else { 1 };
                    cur = None;
                    ends_command = false;
                }
                // `(( ... ))` is arithmetic: only its substitutions run.
                b'(' if self.at(1) == Some(b'(') => self.skip_balanced(b'(', b')', true),
                b'(' => {
                    self.pos += 1;
                    parens += 1;
                }
                b')' => {
                    self.pos += 1;
                    if stop == Stop::Paren && parens == 0 {
                        return;
                    }
                    if parens == 0 {
                        // An unmatched `)` closes a `case` pattern (`start)`,
                        // `*.log|*.tmp)`): those words are patterns, not commands.
                        for c in &mut self.commands[pipeline_start..] {
                            if c.pipeline == pipeline {
                                c.words.clear();
                            }
                        }
                    }
                    parens = parens.saturating_sub(1);
                }
                b'`' if stop == Stop::Backtick => {
                    self.pos += 1;
                    return;
                }
                b'<' | b'>' if self.at(1) != Some(b'(') => {
                    self.redirect(&mut cur, pipeline, stop);
                    ends_command = false;
                }
                b'{' | b'}' if self.is_reserved_brace() => self.pos += 1,
                _ => {
                    let start = self.pos;
                    let word = self.word(stop);
                    if self.pos == start {
                        // Never loop on a byte the word lexer refuses.
                        self.pos += self.char_here().map_or(1, char::len_utf8);
                    }
                    let raw = &self.src[word.span.clone()];
                    let fd_number = !raw.is_empty()
                        && raw.bytes().all(|b| b.is_ascii_digit())
                        && matches!(self.at(0), Some(b'<' | b'>'));
                    if !fd_number && !word.span.is_empty() {
                        let index = self.command(&mut cur, pipeline);
                        self.commands[index].words.push(word);
                    }
                    ends_command = false;
                }
            }
            if ends_command {
                cur = None;
                pipeline = self.new_pipeline();
                pipeline_start = self.commands.len();
            }
        }
    }

    /// `{` and `}` are reserved words only when they stand alone.
    fn is_reserved_brace(&self) -> bool {
        match self.at(1) {
            None => true,
            Some(next) => {
                let alone = matches!(next, b' ' | b'\t' | b'\r' | b'\n');
                alone || (self.at(0) == Some(b'}') && matches!(next, b';' | b')' | b'&' | b'|'))
            }
        }
    }

    fn redirect(&mut self, cur: &mut Option<usize>, pipeline: usize, stop: Stop) {
        let reads_file =
            self.starts_with(b"<") && !self.starts_with(b"<&") && !self.starts_with(b"<<");
        let (len, kind) = if self.starts_with(b"<<<") {
            (3, Redirect::HereString)
        } else if self.starts_with(b"<<-") {
            (3, Redirect::Heredoc { strip_tabs: true })
        } else if self.starts_with(b"<<") {
            (2, Redirect::Heredoc { strip_tabs: false })
        } else if self.starts_with(b"&>>") {
            (3, Redirect::File)
        } else if [&b">>"[..], b">|", b">&", b"<&", b"<>", b"&>"]
            .iter()
            .any(|op| self.starts_with(op))
        {
            (2, Redirect::File)
        } else {
            (1, Redirect::File)
        };
        self.pos += len;
        loop {
            match self.at(0) {
                Some(b' ' | b'\t') => self.pos += 1,
                Some(b'\\') if self.at(1) == Some(b'\n') => self.pos += 2,
                _ => break,
            }
        }
        let target_missing = match self.at(0) {
            None => true,
            Some(b'`') => stop == Stop::Backtick,
            Some(c) => {
                matches!(c, b'\n' | b'\r' | b';' | b'&' | b'|' | b'(' | b')')
                    || (matches!(c, b'<' | b'>') && self.at(1) != Some(b'('))
            }
        };
        if target_missing {
            return;
        }
        let target = self.word(stop);
        let index = self.command(cur, pipeline);
        match kind {
            Redirect::File if reads_file => self.commands[index].stdin_files.push(target),
            Redirect::File => {}
            Redirect::HereString => self.commands[index].herestrings.push(target),
            Redirect::Heredoc { strip_tabs } => {
                let raw = &self.src[target.span.clone()];
                let heredocs = &mut self.commands[index].heredocs;
                heredocs.push(Heredoc {
                    body: self.src.len()..self.src.len(),
                    quoted: raw.contains(['\'', '"', '\\']),
                    delimiter: target.text,
                    strip_tabs,
                });
                self.pending.push((index, heredocs.len() - 1));
            }
        }
    }

    /// Called just after a newline: consumes the bodies of the heredocs
    /// opened on the line that ended.
    fn read_heredoc_bodies(&mut self) {
        for (command, heredoc) in std::mem::take(&mut self.pending) {
            let Some(doc) = self
                .commands
                .get(command)
                .and_then(|c| c.heredocs.get(heredoc))
            else {
                continue;
            };
            let (strip_tabs, quoted) = (doc.strip_tabs, doc.quoted);
            let start = self.pos;
            let mut line_start = start;
            let (body_end, next) = loop {
                if line_start >= self.end {
                    break (self.end, self.end);
                }
                let line_end = self.b[line_start..self.end]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(self.end, |k| line_start + k);
                let mut line = &self.src[line_start..line_end];
                if strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                let line = line.strip_suffix('\r').unwrap_or(line);
                if line == doc.delimiter {
                    break (line_start, (line_end + 1).min(self.end));
                }
                line_start = line_end + 1;
            };
            self.commands[command].heredocs[heredoc].body = start..body_end;
            self.pos = next;
            if !quoted {
                self.body_substitutions(start..body_end);
            }
        }
    }

    /// An unquoted heredoc body is expanded, so its substitutions run.
    fn body_substitutions(&mut self, body: Range<usize>) {
        let (saved_pos, saved_end) = (self.pos, self.end);
        self.pos = body.start;
        self.end = body.end;
        while let Some(c) = self.at(0) {
            match c {
                b'\\' => self.pos = (self.pos + 2).min(self.end),
                b'$' if self.at(1) == Some(b'(') => {
                    self.substitution(2, Stop::Paren);
                }
                b'`' => {
                    self.substitution(1, Stop::Backtick);
                }
                _ => self.pos += 1,
            }
        }
        self.pos = saved_pos;
        self.end = saved_end;
    }

    /// Lexes a substitution opened by the `open_len` bytes at `pos` and
    /// returns its source range.
    fn substitution(&mut self, open_len: usize, stop: Stop) -> Range<usize> {
        let start = self.pos;
        self.pos += open_len;
        if self.nesting >= MAX_NESTING {
            match stop {
                Stop::Backtick => {
                    while self.at(0).is_some_and(|c| c != b'`') {
                        self.pos += 1;
                    }
                    self.pos = (self.pos + 1).min(self.end);
                }
                _ => {
                    self.pos -= 1;
                    self.skip_balanced(b'(', b')', false);
                }
            }
        } else {
            self.nesting += 1;
            self.list(stop);
            self.nesting -= 1;
        }
        start..self.pos
    }

    /// Skips from an `open` byte past its matching `close`, minding quotes;
    /// with `run_substitutions`, the `$(...)` and backticks inside are lexed
    /// as commands (they run: `${x:-$(cmd)}`, `a=($(cmd))`).
    fn skip_balanced(&mut self, open: u8, close: u8, run_substitutions: bool) {
        let mut depth = 0usize;
        while let Some(c) = self.at(0) {
            match c {
                b'$' if run_substitutions && self.at(1) == Some(b'(') => {
                    self.substitution(2, Stop::Paren);
                    continue;
                }
                b'`' if run_substitutions => {
                    self.substitution(1, Stop::Backtick);
                    continue;
                }
                b'\\' => {
                    self.pos = (self.pos + 2).min(self.end);
                    continue;
                }
                b'\'' | b'"' => {
                    self.pos += 1;
                    while self.at(0).is_some_and(|q| q != c) {
                        let step = if c == b'"' && self.at(0) == Some(b'\\') {
                            2
                        } else {
                            1
                        };
                        self.pos = (self.pos + step).min(self.end);
                    }
                }
                _ if c == open => depth += 1,
                _ if c == close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.pos += 1;
                        return;
                    }
                }
                _ => {}
            }
            self.pos = (self.pos + 1).min(self.end);
        }
    }

    fn push_source(&self, word: &mut Word, range: Range<usize>) {
        word.push_verbatim(&self.src[range.clone()], range.start);
    }

    fn push_char_here(&mut self, word: &mut Word) {
        match self.char_here() {
            Some(c) => {
                let len = c.len_utf8();
                word.push(c, self.pos..self.pos + len);
                self.pos += len;
            }
            // Unreachable on char boundaries; still guarantees progress.
            None => self.pos += 1,
        }
    }

    fn word(&mut self, stop: Stop) -> Word {
        let start = self.pos;
        let mut word = Word::default();
        while let Some(c) = self.at(0) {
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b')' => break,
                b'(' => {
                    // `name=(a b c)` assigns an array; anything else ends the word.
                    if !is_assignment(&self.src[start..self.pos]) {
                        break;
                    }
                    let from = self.pos;
                    self.skip_balanced(b'(', b')', true);
                    self.push_source(&mut word, from..self.pos);
                }
                b'<' | b'>' => {
                    if self.pos != start || self.at(1) != Some(b'(') {
                        break;
                    }
                    let (writes_in, first) = (c == b'>', self.commands.len());
                    let range = self.substitution(2, Stop::Paren);
                    if writes_in && let Some(cmd) = self.commands.get_mut(first) {
                        cmd.piped_in = true;
                    }
                    self.push_source(&mut word, range);
                    word.expanded = true;
                }
                b'`' => {
                    if stop == Stop::Backtick {
                        break;
                    }
                    let range = self.substitution(1, Stop::Backtick);
                    self.push_source(&mut word, range);
                    word.expanded = true;
                }
                b'\\' => match self.at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(_) => {
                        let at = self.pos;
                        self.pos += 1;
                        if let Some(c) = self.char_here() {
                            word.push(c, at..self.pos + c.len_utf8());
                            self.pos += c.len_utf8();
                        }
                    }
                    None => self.push_char_here(&mut word),
                },
                b'\'' => self.single_quoted(&mut word),
                b'"' => self.double_quoted(&mut word, stop),
                b'$' => self.dollar(&mut word, stop, false),
                b'*' | b'?' | b'[' | b'{' => {
                    word.glob = true;
                    self.push_char_here(&mut word);
                }
                _ => self.push_char_here(&mut word),
            }
        }
        word.span = start..self.pos;
        word
    }

    fn single_quoted(&mut self, word: &mut Word) {
        let from = self.pos + 1;
        let to = self.b[from..self.end]
            .iter()
            .position(|&c| c == b'\'')
            .map_or(self.end, |k| from + k);
        self.push_source(word, from..to);
        self.pos = (to + 1).min(self.end);
    }

    fn double_quoted(&mut self, word: &mut Word, stop: Stop) {
        self.pos += 1;
        while let Some(c) = self.at(0) {
            match c {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.at(1) {
                    Some(b'\n') => self.pos += 2,
                    Some(e @ (b'$' | b'`' | b'"' | b'\\')) => {
                        word.push(char::from(e), self.pos..self.pos + 2);
                        self.pos += 2;
                    }
                    _ => self.push_char_here(word),
                },
                b'$' => self.dollar(word, stop, true),
                b'`' => {
                    if stop == Stop::Backtick {
                        return;
                    }
                    let range = self.substitution(1, Stop::Backtick);
                    self.push_source(word, range);
                    word.expanded = true;
                }
                _ => self.push_char_here(word),
            }
        }
    }

    fn dollar(&mut self, word: &mut Word, stop: Stop, in_double_quotes: bool) {
        match self.at(1) {
            Some(b'(') if self.at(2) == Some(b'(') => {
                // `$((...))` is arithmetic, not a command list.
                let from = self.pos;
                self.pos += 1;
                self.skip_balanced(b'(', b')', true);
                self.push_source(word, from..self.pos);
                word.expanded = true;
            }
            Some(b'(') => {
                let range = self.substitution(2, Stop::Paren);
                self.push_source(word, range);
                word.expanded = true;
            }
            Some(b'{') => {
                let from = self.pos;
                self.pos += 1;
                self.skip_balanced(b'{', b'}', true);
                self.push_source(word, from..self.pos);
                word.expanded = true;
            }
            Some(b'\'') if !in_double_quotes => self.ansi_c_quoted(word),
            Some(b'"') if !in_double_quotes => {
                self.pos += 1;
                self.double_quoted(word, stop);
            }
            Some(c) if is_parameter_start(c) => {
                word.expanded = true;
                self.push_char_here(word);
            }
            _ => self.push_char_here(word),
        }
    }

    /// `$'...'`: only the common escapes are decoded; others stay as written.
    fn ansi_c_quoted(&mut self, word: &mut Word) {
        self.pos += 2;
        while let Some(c) = self.at(0) {
            match c {
                b'\'' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => match self.ansi_c_escape() {
                    Some((d, len)) => {
                        word.push(d, self.pos..self.pos + len);
                        self.pos += len;
                    }
                    None => self.push_char_here(word),
                },
                _ => self.push_char_here(word),
            }
        }
    }

    /// The character an ANSI-C escape at `pos` stands for, and the escape's
    /// length: `$'\x72m'` is `rm`, and must read as `rm`.
    fn ansi_c_escape(&self) -> Option<(char, usize)> {
        let e = self.at(1)?;
        let simple = match e {
            b'n' => Some('\n'),
            b't' => Some('\t'),
            b'r' => Some('\r'),
            b'a' => Some('\u{7}'),
            b'b' => Some('\u{8}'),
            b'e' | b'E' => Some('\u{1b}'),
            b'f' => Some('\u{c}'),
            b'v' => Some('\u{b}'),
            b'\\' | b'\'' | b'"' | b'?' => Some(char::from(e)),
            _ => None,
        };
        if let Some(c) = simple {
            return Some((c, 2));
        }
        let (radix, skip, max) = match e {
            b'x' => (16, 2, 2),
            b'u' => (16, 2, 4),
            b'U' => (16, 2, 8),
            b'0'..=b'7' => (8, 1, 3),
            b'c' => {
                let c = self.at(2).filter(u8::is_ascii)?;
                return Some((char::from(c.to_ascii_uppercase() ^ 0x40), 3));
            }
            _ => return None,
        };
        let digits = (0..max)
            .map_while(|k| self.at(skip + k).filter(|d| char::from(*d).is_digit(radix)))
            .count();
        if digits == 0 {
            return None;
        }
        let from = self.pos + skip;
        let value = u32::from_str_radix(&self.src[from..from + digits], radix).ok()?;
        Some((char::from_u32(value)?, skip + digits))
    }
}

/// A byte after `$` that starts a parameter expansion: a name, a digit or
/// one of the special parameters.
fn is_parameter_start(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'@' | b'*' | b'#' | b'?' | b'$' | b'!' | b'-')
}

/// Whether an unquoted heredoc body (or any text the shell expands) holds
/// an expansion: `$name`, `${…}`, `$(…)`, a backtick.
pub(super) fn expands(raw: &str) -> bool {
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'`' => return true,
            b'$' if b
                .get(i + 1)
                .is_some_and(|&c| is_parameter_start(c) || c == b'{' || c == b'(') =>
            {
                return true;
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// `NAME=` or `NAME+=` at the start of a word as written.
pub(super) fn is_assignment(raw: &str) -> bool {
    let name_len = raw
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(raw.len());
    let name_ok = name_len > 0 && !raw.starts_with(|c: char| c.is_ascii_digit());
    name_ok && (raw[name_len..].starts_with('=') || raw[name_len..].starts_with("+="))
}
