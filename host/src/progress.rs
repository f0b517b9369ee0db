//! The progress bar on stderr while a run is going (terminals only):
//! done/total, succeeded, skipped, failed, throttled calls, ETA; with
//! several plugins, one line more per plugin (the seed's multi-step
//! progress), each with its own done/total, ok, skipped and failed. Log
//! lines go through [`LogWriter`], which prints them above the bars
//! instead of through them.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cloud::CallStats;
use crate::run::ProgressWatch;

/// The bars of the current run, for [`LogWriter`] to print around.
static ACTIVE: Mutex<Option<MultiProgress>> = Mutex::new(None);

/// How often the bar reads the run's counters.
const TICK: Duration = Duration::from_millis(100);

/// Progress of one run.
pub struct Progress {
    bars: Vec<ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// Bars over the run `watch` follows, drawn only when `visible`
    /// (stderr is a terminal): the whole run, and one per plugin when
    /// there are several (`plugins` names them); `stats` supplies the
    /// throttled-call count.
    pub fn new(watch: ProgressWatch, plugins: &[String], visible: bool, stats: Arc<CallStats>) -> Self {
        if !visible {
            return Self { bars: Vec::new(), ticker: None };
        }
        let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = bars.add(ProgressBar::new(watch.now().total as u64));
        overall.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        overall.enable_steady_tick(Duration::from_millis(200));
        // One line per plugin only when there is more than one.
        let width = plugins.iter().map(|p| p.chars().count()).max().unwrap_or(0).min(24);
        let steps: Vec<ProgressBar> = match plugins.len() {
            0 | 1 => Vec::new(),
            _ => plugins
                .iter()
                .zip(watch.by_plugin())
                .map(|(name, now)| {
                    let bar = bars.add(ProgressBar::new(now.total as u64));
                    let template = format!("  {{prefix:{width}}} [{{bar:20}}] {{pos}}/{{len}} {{msg}}");
                    bar.set_style(
                        ProgressStyle::with_template(&template).expect("a valid template").progress_chars("=> "),
                    );
                    bar.set_prefix(crate::report::terminal::clip(name, width));
                    bar
                })
                .collect(),
        };
        *ACTIVE.lock().unwrap() = Some(bars);
        let all: Vec<ProgressBar> = std::iter::once(overall.clone()).chain(steps.iter().cloned()).collect();
        let ticker = tokio::spawn(async move {
            loop {
                let now = watch.now();
                let throttled = stats.snapshot().throttled;
                overall.set_position(now.done as u64);
                overall.set_message(format!(
                    "ok {} skipped {} failed {} throttled {throttled}",
                    now.succeeded, now.skipped, now.failed
                ));
                for (bar, now) in steps.iter().zip(watch.by_plugin()) {
                    bar.set_position(now.done as u64);
                    bar.set_message(format!("ok {} skipped {} failed {}", now.succeeded, now.skipped, now.failed));
                }
                tokio::time::sleep(TICK).await;
            }
        });
        Self { bars: all, ticker: Some(ticker) }
    }

    /// Removes the bars.
    pub fn finish(&self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        for bar in &self.bars {
            bar.finish_and_clear();
        }
        if !self.bars.is_empty() {
            *ACTIVE.lock().unwrap() = None;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A `tracing` writer to stderr that suspends the bar while it writes.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let bars = ACTIVE.lock().unwrap().clone();
        match bars {
            Some(bars) => bars.suspend(|| io::stderr().write_all(buf)).map(|()| buf.len()),
            None => io::stderr().write_all(buf).map(|()| buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        *self
    }
}
