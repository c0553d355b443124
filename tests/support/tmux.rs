//! A real terminal for end-to-end tests: a tmux server of the test's own,
//! driven with send-keys and read with capture-pane. Use it from a test
//! module with `use crate::support::tmux;`.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

const SESSION: &str = "main";

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server on a socket of its own; killed when dropped.
    pub fn new(name: &str) -> Tmux {
        Tmux {
            socket: format!("runsheet-{name}-{}", std::process::id()),
        }
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("tmux is needed for the end-to-end tests ({e}); .ci/run installs it")
            })
    }

    /// Runs the shell command line `cmd` in a 120x40 terminal, kept open
    /// after it ends so that its last screen can be read.
    pub fn start(&self, cmd: &str) {
        let out = self.tmux(&[
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            "120",
            "-y",
            "40",
            &format!("{cmd}; sleep 600"),
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    /// Presses each key (tmux names: `Enter`, `Space`, `Escape`, `q` …),
    /// leaving the UI a moment between them, as a person would.
    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", SESSION, k]);
            std::thread::sleep(Duration::from_millis(120));
        }
    }

    /// Types `text` literally.
    pub fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", SESSION, "-l", text]);
        std::thread::sleep(Duration::from_millis(120));
    }

    pub fn wait_screen(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if s.contains(needle) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` never appeared on screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Closes the terminal: what runs in it gets SIGHUP.
    pub fn hang_up(&self) {
        self.tmux(&["kill-session", "-t", SESSION]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
