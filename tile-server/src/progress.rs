//! Progress display: spinners on a terminal, nothing when quiet or piped.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// How the command talks to the person running it.
pub struct Ui {
    quiet: bool,
    tty: bool,
}

impl Ui {
    /// A UI; `quiet` silences everything but errors.
    pub fn new(quiet: bool) -> Ui {
        Ui {
            quiet,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// A step that shows a spinner while it runs and a line with its time when done.
    pub fn step(&self, msg: &str) -> Step {
        let bar = if !self.quiet && self.tty {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            b.set_message(msg.to_string());
            b.enable_steady_tick(Duration::from_millis(120));
            Some(b)
        } else {
            None
        };
        Step {
            bar,
            msg: msg.to_string(),
            start: Instant::now(),
            quiet: self.quiet,
        }
    }

    /// Whether only errors are printed.
    pub fn is_quiet(&self) -> bool {
        self.quiet
    }

    /// A line of output (stderr), unless quiet.
    pub fn say(&self, line: &str) {
        if !self.quiet {
            eprintln!("{line}");
        }
    }
}

/// A running step.
pub struct Step {
    bar: Option<ProgressBar>,
    msg: String,
    start: Instant,
    quiet: bool,
}

impl Step {
    /// A handle that can change the message from other threads (a no-op when quiet or
    /// not on a terminal).
    pub fn handle(&self) -> StepHandle {
        StepHandle(self.bar.clone())
    }

    /// Changes the message.
    pub fn set(&self, msg: &str) {
        if let Some(b) = &self.bar {
            b.set_message(msg.to_string());
        }
    }

    /// Ends the step with a result line.
    pub fn done(self, result: &str) {
        let secs = self.start.elapsed().as_secs_f64();
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if !self.quiet {
            eprintln!("✓ {} — {result} ({secs:.2} s)", self.msg);
        }
    }
}

/// Changes a step's message from any thread.
#[derive(Clone)]
pub struct StepHandle(Option<ProgressBar>);

impl StepHandle {
    /// Changes the message.
    pub fn set(&self, msg: String) {
        if let Some(b) = &self.0 {
            b.set_message(msg);
        }
    }
}
