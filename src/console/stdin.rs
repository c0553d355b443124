//! Standard input, read without reading ahead: the session's questions,
//! the variables asked before it starts and an `interactive` command all
//! read the same fd 0, so nothing may be taken that was typed for another.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::mpsc;

/// Stdin is read on its own thread: a blocking read must not stall the
/// runtime that supervises the running command. It reads a line only
/// while one is wanted, a byte at a time (as the shell's `read` does on a
/// pipe): nothing is read ahead, and nothing is read once a question is
/// over, so the lines typed for an `interactive` command (psql's queries,
/// `\q`) reach it instead of being taken as answers.
pub(super) fn spawn_stdin_reader() -> (mpsc::UnboundedReceiver<String>, Arc<AtomicBool>) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let (tx, rx) = mpsc::unbounded_channel();
    let want = Arc::new(AtomicBool::new(false));
    let wanted = Arc::clone(&want);
    std::thread::spawn(move || {
        // fd 0 itself, not `Stdin`, which reads ahead into its buffer.
        let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
            return;
        };
        let mut stdin = std::fs::File::from(fd);
        while !tx.is_closed() {
            if !wanted.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            // Wait for input without committing to a read that may no
            // longer be wanted when it comes.
            let mut fds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(50u8)) {
                Ok(0) | Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => break,
                Ok(_) => {}
            }
            if !wanted.load(Ordering::Acquire) {
                continue;
            }
            let line = read_line_from(&mut stdin);
            wanted.store(false, Ordering::Release);
            let Some((line, ended)) = line else { break };
            if tx.send(line).is_err() || ended {
                break;
            }
        }
    });
    (rx, want)
}

/// One line from standard input, read a byte at a time so that nothing
/// after it is taken from whoever reads next (a command, the session's
/// questions). None at end of input.
pub fn read_stdin_line() -> Option<String> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    read_line_from(&mut std::fs::File::from(fd)).map(|(line, _)| line)
}

/// The line, and whether input ended with it; None when it ended before.
fn read_line_from(input: &mut std::fs::File) -> Option<(String, bool)> {
    use std::io::Read;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let ended = loop {
        match input.read(&mut byte) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Ok(0) | Err(_) => break true,
            Ok(_) if byte[0] == b'\n' => break false,
            Ok(_) => line.push(byte[0]),
        }
    };
    if ended && line.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&line);
    Some((text.trim_end_matches(['\n', '\r']).to_string(), ended))
}
