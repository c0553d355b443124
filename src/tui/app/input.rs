//! A one-line text input: typing, Backspace, Ctrl-U, Enter, Esc.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(super) fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

pub(super) enum Edit {
    Changed,
    Submit,
    Cancel,
    Ignored,
}

/// One key in a one-line text input.
pub(super) fn edit(input: &mut String, key: &KeyEvent) -> Edit {
    if is_ctrl(key, 'c') {
        return Edit::Cancel;
    }
    if is_ctrl(key, 'u') {
        input.clear();
        return Edit::Changed;
    }
    match key.code {
        KeyCode::Esc => Edit::Cancel,
        KeyCode::Enter => Edit::Submit,
        KeyCode::Backspace => {
            input.pop();
            Edit::Changed
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            input.push(c);
            Edit::Changed
        }
        _ => Edit::Ignored,
    }
}
