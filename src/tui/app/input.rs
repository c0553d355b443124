//! A one-line text input: typing, Backspace, Ctrl-U, Enter, Esc.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub(super) fn is_ctrl(key: &KeyEvent, c: char) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char(c)
}

/// The Ctrl chords the App binds (cancel or quit, half-page scrolls, clear
/// an input); see `is_ctrl`'s callers.
const CHORDS: [char; 3] = ['c', 'u', 'd'];

/// What a key means once the terminal's spellings are undone. A terminal
/// in raw mode reads a line feed as Ctrl-J and a carriage return as Ctrl-M,
/// so an Enter typed before the screen took the terminal arrives as Ctrl-J:
/// both are Enter. Any other Ctrl or Alt letter is a chord, never the bare
/// letter (Ctrl-R must not run a step, Ctrl-S must not skip one): kept only
/// if the App binds it, dropped otherwise.
pub(super) fn normalize(key: KeyEvent) -> Option<KeyEvent> {
    let KeyCode::Char(c) = key.code else {
        return Some(key);
    };
    let lower = c.to_ascii_lowercase();
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match lower {
            'j' | 'm' => Some(KeyEvent::new_with_kind(
                KeyCode::Enter,
                KeyModifiers::NONE,
                key.kind,
            )),
            _ if CHORDS.contains(&lower) => Some(key),
            _ => None,
        };
    }
    if key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    Some(key)
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
