//! Task items as the parser meets them: every `- [ ]` (`* [x]`, `+ [X]`,
//! `1. [ ]`) is an item of its own, nested ones included, in document
//! order; a parent keeps its own tick. An item's label is its own words up
//! to its first nested block (a sub-list, a fence), never its children's or
//! its code; a runnable fence inside an item, at any depth, is one of the
//! step's actions and the innermost task item holding it records it, so
//! items and actions keep the order they were written in.

use super::model::ChecklistItem;
use super::span::Span;

/// The list items open around the parser's position, outermost first.
#[derive(Default)]
pub(super) struct OpenItems {
    frames: Vec<Frame>,
}

struct Frame {
    /// Its index in the step's checklist, for a task item.
    task: Option<usize>,
    /// Its words are still being read (no nested block yet).
    collecting: bool,
}

impl OpenItems {
    /// A list item starts (task or not: its marker comes next, if any).
    pub fn item_start(&mut self) {
        self.frames.push(Frame {
            task: None,
            collecting: false,
        });
    }

    /// The innermost open item is a task item: it is added to `checklist`
    /// now, before its children, with `actions_before` actions written
    /// before it. None when no step holds it (the caller reports it).
    pub fn marker(
        &mut self,
        checklist: Option<&mut Vec<ChecklistItem>>,
        actions_before: usize,
        span: Span,
    ) {
        let parent = self.innermost_task();
        let depth = self.frames.iter().filter(|f| f.task.is_some()).count();
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        let Some(checklist) = checklist else {
            return;
        };
        checklist.push(ChecklistItem {
            text: String::new(),
            span,
            depth,
            parent,
            actions: Vec::new(),
            before_action: actions_before,
        });
        frame.task = Some(checklist.len() - 1);
        frame.collecting = true;
    }

    /// A sub-list or a code block starts: the open item's label is complete.
    pub fn nested_block(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            f.collecting = false;
        }
    }

    /// Inline text: part of the innermost item's label while it reads one.
    pub fn text(&self, checklist: &mut [ChecklistItem], text: &str) {
        if let Some(Frame {
            task: Some(i),
            collecting: true,
        }) = self.frames.last()
            && let Some(item) = checklist.get_mut(*i)
        {
            item.text.push_str(text);
        }
    }

    /// Whether inline text now belongs to an item's label (not to prose).
    pub fn reading_label(&self) -> bool {
        self.frames
            .last()
            .is_some_and(|f| f.task.is_some() && f.collecting)
    }

    /// Action `action` of the step was just written: the innermost task item
    /// around it holds it, and is ticked by its success.
    pub fn action(&self, checklist: &mut [ChecklistItem], action: usize) {
        if let Some(item) = self.innermost_task().and_then(|i| checklist.get_mut(i)) {
            item.actions.push(action);
            item.before_action = action + 1;
        }
    }

    /// The innermost open item ends at `end`.
    pub fn item_end(&mut self, checklist: &mut [ChecklistItem], end: usize) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if let Some(item) = frame.task.and_then(|i| checklist.get_mut(i)) {
            item.text = tidy(&item.text);
            item.span = Span::new(item.span.start, end);
        }
    }

    fn innermost_task(&self) -> Option<usize> {
        self.frames.iter().rev().find_map(|f| f.task)
    }
}

/// A label on one line: the line breaks of a wrapped item are spaces, and
/// a trailing colon introducing its block stays as written.
fn tidy(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::runbook::model::ChecklistItem;
    use crate::runbook::parse::parse;

    /// (label, depth, parent, actions, before_action) of an item.
    type Item = (String, usize, Option<usize>, Vec<usize>, usize);

    fn items(md: &str) -> Vec<Item> {
        let p = parse("t.md", md);
        let step = &p.runbook.phases[0].steps[0];
        step.checklist
            .iter()
            .map(|c: &ChecklistItem| {
                (
                    c.text.clone(),
                    c.depth,
                    c.parent,
                    c.actions.clone(),
                    c.before_action,
                )
            })
            .collect()
    }

    fn it(
        text: &str,
        depth: usize,
        parent: Option<usize>,
        actions: &[usize],
        before: usize,
    ) -> Item {
        (text.to_string(), depth, parent, actions.to_vec(), before)
    }

    #[test]
    fn nested_items_keep_their_own_tick_and_blocks_their_place() {
        let md = "# T\n\n## P\n\n### Migrate\n\n\
- [ ] Pre-flight\n  - [ ] Backups verified\n  - [ ] Team notified\n\
- [ ] Run the dry run:\n  ```bash\n  ./migrate --dry-run\n  ```\n\
- [ ] Confirm the dry run shows no errors\n\
- [ ] Run it for real:\n  ```bash\n  ./migrate\n  ```\n";
        assert_eq!(
            items(md),
            [
                it("Pre-flight", 0, None, &[], 0),
                it("Backups verified", 1, Some(0), &[], 0),
                it("Team notified", 1, Some(0), &[], 0),
                it("Run the dry run:", 0, None, &[0], 1),
                it("Confirm the dry run shows no errors", 0, None, &[], 1),
                it("Run it for real:", 0, None, &[1], 2),
            ]
        );
        let p = parse("t.md", md);
        let step = &p.runbook.phases[0].steps[0];
        let code: Vec<&str> = step.actions.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(code, ["./migrate --dry-run\n", "./migrate\n"]);
    }

    #[test]
    fn a_block_at_depth_two_belongs_to_the_innermost_task_item() {
        let md = "# T\n\n## P\n\n### Deploy\n\n\
* [x] Deploy\n    + [X] Scale down ✅\n        ```bash\n        kubectl scale --replicas=0 deploy/app\n        ```\n\n        Wait for the pods to stop.\n    + [ ] Check\n\
1. [ ] Ordered one\n   - plain sub-item with a block:\n\n     ```bash\n     echo plain\n     ```\n\
2. [ ] Ordered two\n";
        assert_eq!(
            items(md),
            [
                it("Deploy", 0, None, &[], 0),
                it("Scale down ✅", 1, Some(0), &[0], 1),
                it("Check", 1, Some(0), &[], 1),
                it("Ordered one", 0, None, &[1], 2),
                it("Ordered two", 0, None, &[], 2),
            ]
        );
    }

    #[test]
    fn plain_items_with_blocks_are_actions_and_their_text_stays_prose() {
        let md = "# T\n\n## P\n\n### S\n\n\
- Stop the service:\n  ```bash\n  systemctl stop app\n  ```\n- [ ] Service stopped\n";
        let p = parse("t.md", md);
        let step = &p.runbook.phases[0].steps[0];
        assert_eq!(step.actions.len(), 1);
        assert_eq!(items(md), [it("Service stopped", 0, None, &[], 1)]);
        assert!(step.body.contains("Stop the service:"));
    }

    #[test]
    fn a_label_is_the_items_own_words_on_one_line() {
        let md = "# T\n\n## P\n\n### S\n\n\
- [ ] Drain the node\n  `kubectl drain $NODE`\n  - [ ] child\n- [ ]\n";
        assert_eq!(
            items(md),
            [
                it("Drain the node kubectl drain $NODE", 0, None, &[], 0),
                it("child", 1, Some(0), &[], 0),
                it("", 0, None, &[], 0),
            ]
        );
    }
}
