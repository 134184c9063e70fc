//! A progress bar on stderr for `nrqc check`: layers loaded, then rules run.
//!
//! Hand-written (one line redrawn with `\r`) rather than a crate: it needs no more, and costs no
//! compile time.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nrqc::progress::{Observer, Stage};

/// Redraws at most this often; rules finish by the thousand per second on small packages.
const REDRAW: Duration = Duration::from_millis(100);
const WIDTH: usize = 30;

struct State {
    stage: Stage,
    total: usize,
    done: usize,
    drawn: Instant,
}

pub struct Bar {
    state: Mutex<State>,
}

impl Bar {
    /// A bar when a person watches stderr: not with `--quiet`, not when stderr is a file or a
    /// pipe, not in CI (which sets `CI`, and whose logs would keep every redraw), not on a dumb
    /// terminal.
    pub fn for_stderr(quiet: bool) -> Option<Bar> {
        let shown = !quiet
            && std::io::stderr().is_terminal()
            && std::env::var_os("CI").is_none()
            && std::env::var("TERM").map_or(true, |t| t != "dumb");
        shown.then(|| Bar {
            state: Mutex::new(State {
                stage: Stage::Layers,
                total: 0,
                done: 0,
                drawn: Instant::now(),
            }),
        })
    }

    /// Removes the bar, so the summary that follows starts on a clean line.
    pub fn clear(&self) {
        eprint!("\r\x1b[K");
    }
}

fn line(s: &State) -> String {
    let label = match (s.stage, super::lang()) {
        (Stage::Layers, nrqc::report::Lang::Zh) => "读取图层",
        (Stage::Rules, nrqc::report::Lang::Zh) => "运行规则",
        (Stage::Layers, nrqc::report::Lang::En) => "reading layers",
        (Stage::Rules, nrqc::report::Lang::En) => "running rules",
    };
    let filled = (s.done * WIDTH).checked_div(s.total).unwrap_or(0);
    format!(
        "\r\x1b[K{label} [{}{}] {}/{}",
        "#".repeat(filled),
        "-".repeat(WIDTH - filled),
        s.done,
        s.total
    )
}

impl Observer for Bar {
    fn start(&self, stage: Stage, total: usize) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *s = State {
            stage,
            total,
            done: 0,
            drawn: Instant::now(),
        };
        eprint!("{}", line(&s));
    }

    fn step(&self, stage: Stage) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if s.stage != stage {
            return;
        }
        s.done += 1;
        if s.drawn.elapsed() >= REDRAW || s.done == s.total {
            s.drawn = Instant::now();
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(line(&s).as_bytes());
            let _ = err.flush();
        }
    }
}
