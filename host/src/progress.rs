//! The progress bar on stderr while a run is going (terminals only):
//! done/total, succeeded, skipped, failed, throttled calls, ETA. Log lines
//! go through [`LogWriter`], which prints them above the bar instead of
//! through it.

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cloud::CallStats;
use crate::report::Status;

/// The bar of the current run, for [`LogWriter`] to print around.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Progress of one run.
pub struct Progress {
    bar: Option<ProgressBar>,
    stats: Arc<CallStats>,
    counts: [AtomicU64; 3],
}

impl Progress {
    /// A bar over `total` targets, drawn only when `visible` (stderr is a
    /// terminal); `stats` supplies the throttled-call count.
    pub fn new(total: usize, visible: bool, stats: Arc<CallStats>) -> Self {
        let bar = visible.then(|| {
            let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:30}] {pos}/{len} {msg} eta {eta}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.enable_steady_tick(Duration::from_millis(200));
            *ACTIVE.lock().unwrap() = Some(bar.clone());
            bar
        });
        Self { bar, stats, counts: Default::default() }
    }

    /// Counts one finished target.
    pub fn record(&self, status: Status) {
        let slot = match status {
            Status::Succeeded => 0,
            Status::Skipped => 1,
            _ => 2,
        };
        self.counts[slot].fetch_add(1, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            let [ok, skipped, failed] = self.counts.each_ref().map(|c| c.load(Ordering::Relaxed));
            let throttled = self.stats.snapshot().throttled;
            bar.inc(1);
            bar.set_message(format!("ok {ok} skipped {skipped} failed {failed} throttled {throttled}"));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
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
