//! A step's Markdown as styled lines: emphasis, strong, inline code, lists,
//! headings, quotes, tables, links as text plus URL. Task items show the
//! session's ticks, and the blocks runsheet runs are drawn as actions (with
//! their target and timeout) where the author put them.

use super::text::{portable, width as text_width};
use super::wrap::{Break, wrap};
use crate::runbook::action::kind_of;
use crate::tui::theme::Theme;
use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// What the step's state adds to its text.
pub struct Embeds<'a> {
    /// Ticks of the step's checklist, in document order.
    pub ticked: &'a [bool],
    /// The lines above the n-th runnable block (None: not an action after all).
    pub action: &'a dyn Fn(usize) -> Option<Vec<Line<'static>>>,
}

struct Builder<'a> {
    theme: &'a Theme,
    embeds: &'a Embeds<'a>,
    lines: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    styles: Vec<Style>,
    lists: Vec<Option<u64>>,
    bullet: Option<String>,
    quote: usize,
    tasks: usize,
    actions: usize,
    code: Option<(String, String)>,
    links: Vec<(String, usize)>,
    table: Option<Table>,
    /// The pane's inner width: code rows and tables are laid out to it
    /// (0: no limit).
    width: usize,
}

/// A table being read: its cells are laid out once all are known, so the
/// columns line up.
struct Table {
    aligns: Vec<Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    head: usize,
}

/// `md` as lines for a pane `width` columns wide (0: no limit). Prose is
/// left for the pane to wrap; code rows and tables are fitted here.
pub fn render(md: &str, theme: &Theme, embeds: &Embeds, width: usize) -> Vec<Line<'static>> {
    let md = portable(md);
    let mut b = Builder {
        theme,
        embeds,
        lines: Vec::new(),
        cur: Vec::new(),
        styles: Vec::new(),
        lists: Vec::new(),
        bullet: None,
        quote: 0,
        tasks: 0,
        actions: 0,
        code: None,
        links: Vec::new(),
        table: None,
        width,
    };
    let opts = Options::ENABLE_TASKLISTS | Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for event in Parser::new_ext(&md, opts) {
        b.event(event);
    }
    b.flush();
    while b.lines.last().is_some_and(|l| l.spans.is_empty()) {
        b.lines.pop();
    }
    b.lines
}

impl Builder<'_> {
    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    fn flush(&mut self) {
        if self.cur.is_empty() {
            return;
        }
        let mut spans = Vec::new();
        if self.quote > 0 {
            spans.push(Span::styled("▌ ".repeat(self.quote), self.theme.dim()));
        }
        spans.append(&mut self.cur);
        self.lines.push(Line::from(spans));
    }

    /// A new block: a blank line after the previous one, except inside lists.
    fn block(&mut self) {
        self.flush();
        if self.lists.is_empty() && self.lines.last().is_some_and(|l| !l.spans.is_empty()) {
            self.lines.push(Line::default());
        }
    }

    fn indent(&self) -> String {
        "  ".repeat(self.lists.len().saturating_sub(1))
    }

    fn put(&mut self, text: String, style: Style) {
        if let Some(bullet) = self.bullet.take() {
            self.cur.push(Span::styled(bullet, self.theme.dim()));
        }
        self.cur.push(Span::styled(text, style));
    }

    fn event(&mut self, event: Event) {
        if let Some((_, code)) = &mut self.code {
            match event {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.code_block(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                let style = self.style();
                self.put(t.replace('\t', "    "), style);
            }
            Event::Code(t) => {
                let style = self.style().patch(self.theme.inline_code());
                self.put(t.to_string(), style);
            }
            Event::SoftBreak => {
                let style = self.style();
                self.put(" ".into(), style);
            }
            Event::HardBreak => {
                self.flush();
                let pad = format!("{}  ", self.indent());
                self.cur.push(Span::raw(pad));
            }
            Event::Rule => {
                self.block();
                self.cur
                    .push(Span::styled("─".repeat(24), self.theme.dim()));
                self.flush();
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let text = t.trim_end_matches('\n').to_string();
                self.put(text, self.theme.dim());
            }
            Event::TaskListMarker(_) => {
                self.bullet = None;
                let n = self.tasks;
                self.tasks += 1;
                let ticked = self.embeds.ticked.get(n).copied().unwrap_or(false);
                let indent = self.indent();
                self.cur.push(Span::styled(
                    format!("{indent}{} ", n + 1),
                    self.theme.dim(),
                ));
                let (mark, style) = if ticked {
                    ("[x] ", self.theme.ok().add_modifier(Modifier::BOLD))
                } else {
                    ("[ ] ", self.theme.bold())
                };
                self.cur.push(Span::styled(mark, style));
            }
            Event::FootnoteReference(_) | Event::InlineMath(_) | Event::DisplayMath(_) => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        match tag {
            Tag::Paragraph if self.bullet.is_none() && self.cur.is_empty() => self.block(),
            Tag::Heading { level, .. } => {
                self.block();
                let mut style = self.theme.bold();
                if level <= pulldown_cmark::HeadingLevel::H2 {
                    style = style.add_modifier(Modifier::UNDERLINED);
                }
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.block();
                self.quote += 1;
            }
            Tag::CodeBlock(kind) => {
                self.block();
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((info, String::new()));
            }
            Tag::List(start) => {
                if self.lists.is_empty() {
                    self.block();
                } else {
                    self.flush();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush();
                let indent = self.indent();
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let b = format!("{indent}{n}. ");
                        *n += 1;
                        b
                    }
                    _ => format!("{indent}• "),
                };
                self.bullet = Some(bullet);
            }
            Tag::Emphasis => self.styles.push(self.theme.italic()),
            Tag::Strong => self.styles.push(self.theme.bold()),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.styles.push(self.theme.link());
                self.links.push((dest_url.to_string(), self.cur.len()));
            }
            Tag::Image { dest_url, .. } => {
                self.styles.push(self.theme.link());
                self.links.push((dest_url.to_string(), self.cur.len()));
            }
            Tag::Table(aligns) => {
                self.block();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    head: 0,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                self.cur.clear();
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => self.cur.clear(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.flush(),
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.flush();
            }
            TagEnd::BlockQuote(_) => {
                self.flush();
                self.quote = self.quote.saturating_sub(1);
            }
            TagEnd::List(_) => {
                self.flush();
                self.lists.pop();
            }
            TagEnd::Item => {
                self.bullet = None;
                self.flush();
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                if let Some((url, from)) = self.links.pop() {
                    let text: String = self
                        .cur
                        .get(from..)
                        .unwrap_or_default()
                        .iter()
                        .map(|s| s.content.as_ref())
                        .collect();
                    if !url.is_empty() && text.trim() != url {
                        self.put(format!(" <{url}>"), self.theme.dim());
                    }
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.cur);
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(cell);
                }
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.head = t.rows.len();
                }
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    let lines = table_lines(&t, self.width, self.theme);
                    self.lines.extend(lines);
                }
            }
            _ => {}
        }
    }

    fn code_block(&mut self) {
        let Some((info, code)) = self.code.take() else {
            return;
        };
        let lang = info
            .split(|c: char| c.is_whitespace() || c == '{')
            .next()
            .unwrap_or_default();
        let action = kind_of(lang).and_then(|_| {
            let n = self.actions;
            self.actions += 1;
            (self.embeds.action)(n)
        });
        let is_action = action.is_some();
        if let Some(header) = action {
            self.lines.extend(header);
        }
        let (bar, bar_style) = if is_action {
            ("┃ ", self.theme.code())
        } else {
            ("│ ", self.theme.dim())
        };
        let code_style = self.theme.code();
        let indent = self.indent();
        let gutter = [Span::raw(indent.clone()), Span::styled(bar, bar_style)];
        for line in code.trim_end_matches('\n').split('\n') {
            let line = Line::from(vec![
                Span::raw(indent.clone()),
                Span::styled(bar, bar_style),
                Span::styled(line.replace('\t', "    "), code_style),
            ]);
            // Every row of a long command keeps the gutter: a continuation
            // must not read as prose.
            self.lines
                .extend(wrap(&line, self.width, &gutter, Break::Anywhere));
        }
    }
}

/// A table's rows with its columns lined up, each as wide as its widest
/// cell; when they do not fit in `max` columns the widest give way and
/// their cells wrap inside the column (nothing is cut).
fn table_lines(t: &Table, max: usize, theme: &Theme) -> Vec<Line<'static>> {
    const SEP: usize = 3;
    let cols = t.rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return Vec::new();
    }
    let cell_w = |c: &[Span]| c.iter().map(|s| text_width(&s.content)).sum::<usize>();
    let mut widths: Vec<usize> = (0..cols)
        .map(|i| {
            t.rows
                .iter()
                .filter_map(|r| r.get(i))
                .map(|c| cell_w(c))
                .max()
                .unwrap_or(0)
                .max(1)
        })
        .collect();
    let room = max.saturating_sub(SEP * (cols - 1));
    if max > 0 && widths.iter().sum::<usize>() > room {
        // Narrow columns keep their width; the rest share what is left.
        let mut order: Vec<usize> = (0..cols).collect();
        order.sort_by_key(|&i| widths[i]);
        let mut left = room;
        for (n, &i) in order.iter().enumerate() {
            let share = (left / (cols - n)).max(1);
            widths[i] = widths[i].min(share);
            left = left.saturating_sub(widths[i]);
        }
    }
    let sep = Span::styled(" │ ", theme.dim());
    let mut out = Vec::new();
    for (r, row) in t.rows.iter().enumerate() {
        let head = r < t.head;
        let cells: Vec<Vec<Line<'static>>> = (0..cols)
            .map(|i| {
                let mut spans = row.get(i).cloned().unwrap_or_default();
                if head {
                    for s in &mut spans {
                        s.style = s.style.patch(theme.bold());
                    }
                }
                wrap(&Line::from(spans), widths[i], &[], Break::Words)
            })
            .collect();
        let height = cells.iter().map(Vec::len).max().unwrap_or(1);
        for k in 0..height {
            let mut spans = Vec::new();
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    spans.push(sep.clone());
                }
                let line = cell.get(k).cloned().unwrap_or_default();
                let gap = widths[i].saturating_sub(cell_w(&line.spans));
                let align = t.aligns.get(i).copied().unwrap_or(Alignment::None);
                let (before, after) = match align {
                    Alignment::Right => (gap, 0),
                    Alignment::Center => (gap / 2, gap - gap / 2),
                    Alignment::Left | Alignment::None => (0, gap),
                };
                spans.push(Span::raw(" ".repeat(before)));
                spans.extend(line.spans);
                // The last column is not padded: no trailing blanks to wrap.
                if i + 1 < cols {
                    spans.push(Span::raw(" ".repeat(after)));
                }
            }
            out.push(Line::from(spans));
        }
        if head && r + 1 == t.head {
            let rule: Vec<String> = widths.iter().map(|&w| "─".repeat(w)).collect();
            out.push(Line::from(Span::styled(rule.join("─┼─"), theme.dim())));
        }
    }
    out
}
