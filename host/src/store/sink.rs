//! A database as a consumer of the result stream: a writer thread per
//! database, fed through a bounded channel, writing whole targets per
//! transaction (several when they queue up), saying it is alive while the
//! run is quiet, and finishing the run with its report.
//!
//! The channel is bounded, so a database slower than the run holds the
//! run back instead of piling results up in memory. A database that fails
//! mid-run stops being written (its error is kept for the end of the run)
//! while everything else goes on: nothing is dropped silently.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

use super::postgres::Postgres;
use super::sqlite::Sqlite;
use super::writer::{Db, Opened, STALE_AFTER_SECONDS, Writer};
use super::{RunMeta, RunState, StoreError, StoreUrl};
use crate::report::TargetResult;

/// Targets waiting for the writer at most; a full channel makes the
/// sender wait.
const QUEUE: usize = 32;
/// Records written in one transaction at most (whole targets always).
const BATCH_RECORDS: usize = 5_000;
/// How long a transaction waits for more targets to join it: each commit
/// costs a round of page writes (SQLite's WAL) or a round trip
/// (PostgreSQL), so targets finishing together are written together.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// How often a quiet run says it is alive: well inside
/// [`STALE_AFTER_SECONDS`].
const HEARTBEAT: Duration = Duration::from_secs(STALE_AFTER_SECONDS as u64 / 4);

enum Message {
    Begin(RunMeta, oneshot::Sender<Result<(), StoreError>>),
    Target(usize, TargetResult),
    Finish {
        state: RunState,
        verdict: String,
        summary: Value,
        keep: Option<usize>,
        reply: oneshot::Sender<Result<RunState, StoreError>>,
    },
}

/// One database a run is written into.
pub struct StoreSink {
    shown: String,
    send: Option<mpsc::Sender<Message>>,
    thread: Option<JoinHandle<()>>,
    /// The writer's first error, once it has one.
    failure: Arc<Mutex<Option<StoreError>>>,
}

impl StoreSink {
    /// Connects to `url`, migrates its schema and marks runs left running
    /// by dead processes `failed`: every database problem is found here,
    /// before the run makes a cloud call.
    pub async fn open(url: &StoreUrl) -> Result<Self, StoreError> {
        let shown = url.to_string();
        let (send, receive) = mpsc::channel(QUEUE);
        let (ready, opened) = oneshot::channel();
        let rt = tokio::runtime::Handle::current();
        let failure = Arc::new(Mutex::new(None));
        let thread = {
            let (url, name, slot) = (url.clone(), shown.clone(), failure.clone());
            std::thread::Builder::new()
                .name("trawl-store".into())
                .spawn(move || match url {
                    StoreUrl::Sqlite(path) => serve(Sqlite::open(&path, &name), &name, ready, receive, &rt, &slot),
                    StoreUrl::Postgres(url) => serve(Postgres::connect(&url, &name), &name, ready, receive, &rt, &slot),
                })
                .map_err(|e| StoreError::new(&shown, e))?
        };
        opened.await.map_err(|_| StoreError::new(&shown, "the writer stopped"))??;
        Ok(Self { shown, send: Some(send), thread: Some(thread), failure })
    }

    /// The database, as it may be shown.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// Records the run (or this shard of it).
    pub async fn begin(&self, run: RunMeta) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Begin(run, reply)).await?;
        answer.await.map_err(|_| self.stopped())?
    }

    /// Hands over one finished target (with its records); waits while the
    /// writer is behind. After a database failure this returns it at once.
    pub async fn write(&self, plugin: usize, result: TargetResult) -> Result<(), StoreError> {
        self.send(Message::Target(plugin, result)).await
    }

    /// Ends the run's (shard's) writing: its state, verdict and summary;
    /// `keep` runs of the same plugins are kept. Returns the run's state
    /// (`running` while other shards have not reported).
    pub async fn finish(
        mut self,
        state: RunState,
        verdict: &str,
        summary: Value,
        keep: Option<usize>,
    ) -> Result<RunState, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.send(Message::Finish { state, verdict: verdict.to_owned(), summary, keep, reply }).await?;
        let outcome = answer.await.map_err(|_| self.stopped())?;
        self.send = None;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
        outcome
    }

    async fn send(&self, message: Message) -> Result<(), StoreError> {
        if let Some(e) = self.failure.lock().unwrap().clone() {
            return Err(e);
        }
        let send = self.send.as_ref().ok_or_else(|| self.stopped())?;
        send.send(message).await.map_err(|_| self.stopped())
    }

    /// The writer's own error, or that it is gone.
    fn stopped(&self) -> StoreError {
        self.failure
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(|| StoreError::new(&self.shown, "the database writer stopped"))
    }
}

/// The writer thread: opens the database, then writes what it is sent
/// until the run finishes or is dropped.
fn serve<D: Db>(
    connected: Result<D, StoreError>,
    shown: &str,
    ready: oneshot::Sender<Result<(), StoreError>>,
    mut receive: mpsc::Receiver<Message>,
    rt: &tokio::runtime::Handle,
    failure: &Mutex<Option<StoreError>>,
) {
    // Timers need the runtime's context, even from this thread.
    let _entered = rt.enter();
    let opened = match connected.and_then(|db| Opened::open(db, shown)) {
        Ok(opened) => {
            let _ = ready.send(Ok(()));
            opened
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let Some(Message::Begin(run, reply)) = rt.block_on(receive.recv()) else { return };
    let mut writer = match opened.begin(run) {
        Ok(writer) => {
            let _ = reply.send(Ok(()));
            writer
        }
        Err(e) => {
            let _ = reply.send(Err(e));
            return;
        }
    };
    let mut failed = false;
    let mut pending: Option<Message> = None;
    loop {
        let message = match pending.take() {
            Some(m) => Some(m),
            None => match rt.block_on(tokio::time::timeout(HEARTBEAT, receive.recv())) {
                Ok(message) => message,
                Err(_) => {
                    if !failed && let Err(e) = writer.heartbeat() {
                        failed = true;
                        fail(failure, e);
                    }
                    continue;
                }
            },
        };
        match message {
            Some(Message::Target(plugin, result)) => {
                // Whole targets finishing within the batch window go in
                // the same transaction.
                let mut records = result.records.len();
                let mut batch = vec![(plugin, result)];
                let closes = tokio::time::Instant::now() + BATCH_WINDOW;
                while records < BATCH_RECORDS {
                    match rt.block_on(tokio::time::timeout_at(closes, receive.recv())) {
                        Ok(Some(Message::Target(plugin, result))) => {
                            records += result.records.len();
                            batch.push((plugin, result));
                        }
                        Ok(other) => {
                            pending = other;
                            break;
                        }
                        Err(_) => break,
                    }
                }
                if !failed && let Err(e) = writer.write(&batch) {
                    failed = true;
                    fail(failure, e);
                }
            }
            Some(Message::Finish { state, verdict, summary, keep, reply }) => {
                let outcome = match failure.lock().unwrap().clone() {
                    Some(e) => {
                        // Say what it could: this shard failed.
                        let _ = writer.finish(RunState::Failed, &verdict, &summary, None);
                        Err(e)
                    }
                    None => writer.finish(state, &verdict, &summary, keep),
                };
                let _ = reply.send(outcome);
                return;
            }
            Some(Message::Begin(_, reply)) => {
                let _ = reply.send(Err(StoreError::new(shown, "a run was begun twice")));
            }
            // The run was dropped without finishing: it did not complete.
            None => {
                let _ = finish_dropped(&mut writer);
                return;
            }
        }
    }
}

/// Keeps the first failure for whoever sends next, and says it once.
fn fail(slot: &Mutex<Option<StoreError>>, e: StoreError) {
    tracing::error!("{e}; the rest of the run is not written there");
    slot.lock().unwrap().get_or_insert(e);
}

fn finish_dropped<D: Db>(writer: &mut Writer<D>) -> Result<RunState, StoreError> {
    writer.finish(RunState::Failed, "", &Value::Null, None)
}
