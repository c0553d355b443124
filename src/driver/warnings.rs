//! Warnings the driver gives every front end alike.

use std::io::IsTerminal;

/// An SSH drop ends a session run outside tmux or screen: say so, when a
/// person is at a terminal to hear it.
pub(super) fn outside_multiplexer(auto: bool) -> Option<&'static str> {
    if auto || !std::io::stdin().is_terminal() {
        return None;
    }
    let inside = std::env::var_os("TMUX").is_some() || std::env::var_os("STY").is_some();
    (!inside).then_some(
        "not inside tmux or screen: if your SSH connection drops, the session stops (resumable with `runsheet resume`); start it inside `tmux` to keep it running",
    )
}
