//! A plugin's stdout and stderr, as lines in the host log.
//!
//! Each line becomes one `tracing` event carrying the plugin and target, so
//! interleaved output from concurrent tasks stays attributable. A task may
//! print at most [`OUTPUT_BUDGET`] bytes; past that its output is dropped
//! with one warning, so a chatty or hostile plugin cannot flood the log.
//! The last few lines of stderr are also kept, budget or not, so a task
//! that traps can say what the guest printed last (a Python traceback, a
//! Rust panic message).

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};

/// Bytes of stdout + stderr one task may print.
pub const OUTPUT_BUDGET: usize = 64 * 1024;

/// Bytes of the end of stderr kept for a trap's reason.
const STDERR_TAIL: usize = 2048;
/// Lines of it a reason quotes.
const STDERR_TAIL_LINES: usize = 12;

/// Who is speaking: attached to every line.
#[derive(Debug)]
pub struct Speaker {
    /// Plugin name.
    pub plugin: String,
    /// Account id of the task.
    pub account_id: String,
    /// Region of the task.
    pub region: String,
    remaining: AtomicUsize,
    warned: AtomicBool,
    stderr_tail: Mutex<VecDeque<u8>>,
}

impl Speaker {
    /// A speaker with a fresh output budget.
    pub fn new(plugin: &str, account_id: &str, region: &str) -> Arc<Self> {
        Arc::new(Self {
            plugin: plugin.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            remaining: AtomicUsize::new(OUTPUT_BUDGET),
            warned: AtomicBool::new(false),
            stderr_tail: Mutex::new(VecDeque::new()),
        })
    }

    /// The last lines the guest wrote to stderr, joined with ` | ` into
    /// one line (Rust's backtrace hint left out); None when it wrote
    /// nothing.
    pub fn stderr_tail(&self) -> Option<String> {
        let bytes: Vec<u8> = self.stderr_tail.lock().unwrap().iter().copied().collect();
        let text = String::from_utf8_lossy(&bytes);
        let mut lines: Vec<&str> = text
            .lines()
            .map(|l| l.trim_end_matches('\r').trim_end())
            .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
            .collect();
        // The first line may be the cut end of a longer one.
        if bytes.len() == STDERR_TAIL && lines.len() > 1 {
            lines.remove(0);
        }
        let start = lines.len().saturating_sub(STDERR_TAIL_LINES);
        (start < lines.len()).then(|| lines[start..].join(" | "))
    }

    fn remember_stderr(&self, bytes: &[u8]) {
        let mut tail = self.stderr_tail.lock().unwrap();
        let keep = &bytes[bytes.len().saturating_sub(STDERR_TAIL)..];
        tail.extend(keep);
        let excess = tail.len().saturating_sub(STDERR_TAIL);
        tail.drain(..excess);
    }

    /// Whether a log line of `len` bytes fits in the budget (it is
    /// charged); warns once when the budget runs out.
    pub fn admit(&self, len: usize) -> bool {
        let (granted, warn) = self.take(len.max(1));
        if warn {
            self.warn_dropped();
        }
        granted == len.max(1)
    }

    fn warn_dropped(&self) {
        tracing::warn!(target: "trawl::plugin", plugin = %self.plugin, account = %self.account_id, region = %self.region,
            "plugin output over {OUTPUT_BUDGET} bytes; the rest of this task's output is dropped");
    }

    /// Takes up to `len` bytes from the budget; returns how many were
    /// granted and whether the caller should warn that output is dropped
    /// (true once per task).
    fn take(&self, len: usize) -> (usize, bool) {
        let mut granted = 0;
        let _ = self.remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
            granted = left.min(len);
            Some(left - granted)
        });
        (granted, granted < len && !self.warned.swap(true, Ordering::Relaxed))
    }
}

/// One of a plugin's standard streams.
pub struct GuestOutput {
    speaker: Arc<Speaker>,
    stream: &'static str,
}

impl GuestOutput {
    /// The stream named `stream` (`stdout` or `stderr`) of `speaker`.
    pub fn new(speaker: Arc<Speaker>, stream: &'static str) -> Self {
        Self { speaker, stream }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(LineWriter { speaker: self.speaker.clone(), stream: self.stream, pending: Vec::new() })
    }
}

struct LineWriter {
    speaker: Arc<Speaker>,
    stream: &'static str,
    pending: Vec<u8>,
}

impl LineWriter {
    fn emit(&self, line: &[u8]) {
        let s = &self.speaker;
        let text = String::from_utf8_lossy(line);
        tracing::info!(target: "trawl::plugin", plugin = %s.plugin, account = %s.account_id, region = %s.region,
            stream = self.stream, "{}", text.trim_end_matches('\r'));
    }

    fn emit_complete_lines(&mut self) {
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.emit(&line[..line.len() - 1]);
        }
    }
}

impl AsyncWrite for LineWriter {
    fn poll_write(mut self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if self.stream == "stderr" {
            self.speaker.remember_stderr(buf);
        }
        let (granted, exhausted) = self.speaker.take(buf.len());
        self.pending.extend_from_slice(&buf[..granted]);
        self.emit_complete_lines();
        if exhausted {
            self.speaker.warn_dropped();
        }
        // Report everything as written: dropping is our policy, not an error
        // the guest should handle.
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.emit(&rest);
        }
        Poll::Ready(Ok(()))
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            self.emit(&self.pending);
        }
    }
}
