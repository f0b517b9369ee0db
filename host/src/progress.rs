//! The progress bar on stderr while a run is going (terminals only):
//! done/total, succeeded, skipped, failed, throttled calls, ETA. Log lines
//! go through [`LogWriter`], which prints them above the bar instead of
//! through it.

use std::io::{self, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cloud::CallStats;
use crate::run::ProgressWatch;

/// The bar of the current run, for [`LogWriter`] to print around.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// How often the bar reads the run's counters.
const TICK: Duration = Duration::from_millis(100);

/// Progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    /// A bar over the run `watch` follows, drawn only when `visible`
    /// (stderr is a terminal); `stats` supplies the throttled-call count.
    pub fn new(watch: ProgressWatch, visible: bool, stats: Arc<CallStats>) -> Self {
        if !visible {
            return Self { bar: None, ticker: None };
        }
        let bar = ProgressBar::with_draw_target(Some(watch.now().total as u64), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        *ACTIVE.lock().unwrap() = Some(bar.clone());
        let ticker = tokio::spawn({
            let bar = bar.clone();
            async move {
                loop {
                    let now = watch.now();
                    let throttled = stats.snapshot().throttled;
                    bar.set_position(now.done as u64);
                    bar.set_message(format!(
                        "ok {} skipped {} failed {} throttled {throttled}",
                        now.succeeded, now.skipped, now.failed
                    ));
                    tokio::time::sleep(TICK).await;
                }
            }
        });
        Self { bar: Some(bar), ticker: Some(ticker) }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
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
        let bar = ACTIVE.lock().unwrap().clone();
        match bar {
            Some(bar) => bar.suspend(|| io::stderr().write_all(buf)).map(|()| buf.len()),
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
