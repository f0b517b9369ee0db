//! The state of one task's sandbox, and the imports a plugin may call.
//!
//! A [`TaskState`] lives in a fresh `Store` for exactly one `collect` call.
//! It holds the WASI context (nothing granted: no files, no environment, no
//! sockets, output to the host log), its standing with the run's memory
//! budget, and the
//! [`Session`] through which the `cloud` import reaches the backend.

use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{ResourceLimiterAsync, Result as WasmResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::bindings::Collector;
use super::bindings::trawl::collector::{cloud, log, types};
use super::guest_output::{GuestOutput, Speaker};
use super::memory::TaskMemory;
use crate::cloud::{ApiError, Session};

/// Most random bytes one `get-random-bytes` call may ask for: plenty for
/// ids and nonces, and the host never allocates more on a guest's word.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// Everything one sandboxed task owns.
pub struct TaskState {
    wasi: WasiCtx,
    table: ResourceTable,
    session: Option<Session>,
    speaker: Arc<Speaker>,
    memory: TaskMemory,
    table_limit: usize,
}

impl TaskState {
    /// State for a task of `speaker.plugin`; `session` is None while the
    /// host only asks the plugin for its info.
    pub fn new(session: Option<Session>, speaker: Arc<Speaker>, memory: TaskMemory) -> Self {
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::new(speaker.clone(), "stdout"))
            .stderr(GuestOutput::new(speaker.clone(), "stderr"))
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        Self { wasi, table: ResourceTable::new(), session, speaker, memory, table_limit: 100_000 }
    }
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

#[async_trait::async_trait]
impl ResourceLimiterAsync for TaskState {
    async fn memory_growing(&mut self, current: usize, desired: usize, _maximum: Option<usize>) -> WasmResult<bool> {
        self.memory.grow(current, desired).await
    }

    async fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> WasmResult<bool> {
        Ok(desired <= self.table_limit)
    }
}

/// Marker for `add_to_linker`: the imports are implemented on the store
/// data itself.
struct Imports;

impl HasData for Imports {
    type Data<'a> = &'a mut TaskState;
}

/// Adds the collector world's imports and the part of WASI a plugin may
/// use: clocks, random, stdio (to the log), exit, environment (empty) and
/// filesystem types without any preopened directory. Sockets are not
/// linked at all: a component importing them fails to load, by name.
pub fn add_to_linker(linker: &mut Linker<TaskState>) -> WasmResult<()> {
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
    use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random};
    use wasmtime_wasi::random::WasiRandom;

    Collector::add_to_linker::<TaskState, Imports>(linker, |s| s)?;

    let l = linker;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<TaskState, Table>(l, |t| &mut t.table)?;
    wasmtime_wasi_io::bindings::wasi::io::poll::add_to_linker::<TaskState, Table>(l, |t| &mut t.table)?;
    wasmtime_wasi_io::bindings::wasi::io::streams::add_to_linker::<TaskState, Table>(l, |t| &mut t.table)?;
    clocks::wall_clock::add_to_linker::<TaskState, WasiClocks>(l, <TaskState as WasiClocksView>::clocks)?;
    clocks::monotonic_clock::add_to_linker::<TaskState, WasiClocks>(l, <TaskState as WasiClocksView>::clocks)?;
    random::random::add_to_linker::<TaskState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure::add_to_linker::<TaskState, WasiRandom>(l, |t| t.wasi.random())?;
    random::insecure_seed::add_to_linker::<TaskState, WasiRandom>(l, |t| t.wasi.random())?;
    cli::exit::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::environment::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::stdin::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::stdout::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::stderr::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::terminal_input::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::terminal_output::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::terminal_stdin::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::terminal_stdout::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    cli::terminal_stderr::add_to_linker::<TaskState, WasiCli>(l, <TaskState as WasiCliView>::cli)?;
    filesystem::preopens::add_to_linker::<TaskState, WasiFilesystem>(l, <TaskState as WasiFilesystemView>::filesystem)?;
    filesystem::types::add_to_linker::<TaskState, WasiFilesystem>(l, <TaskState as WasiFilesystemView>::filesystem)?;
    Ok(())
}

/// Marker for the `wasi:io` interfaces, implemented on the resource table.
struct Table;

impl HasData for Table {
    type Data<'a> = &'a mut ResourceTable;
}

impl From<ApiError> for types::ApiError {
    fn from(e: ApiError) -> Self {
        Self { code: e.code, message: e.message, status: e.status, request_id: e.request_id }
    }
}

/// The error a plugin gets when it calls the cloud from `info`.
fn no_session() -> types::ApiError {
    ApiError::new("trawl.NoTarget", 0, "cloud calls are only allowed inside collect").into()
}

impl types::Host for TaskState {}

impl cloud::Host for TaskState {
    async fn call(&mut self, service: String, operation: String, params: String) -> Result<String, types::ApiError> {
        let Some(session) = &self.session else { return Err(no_session()) };
        session.call(&service, &operation, &params).await.map_err(Into::into)
    }

    async fn call_many(&mut self, requests: Vec<types::Request>) -> Vec<Result<String, types::ApiError>> {
        let Some(session) = &self.session else { return requests.iter().map(|_| Err(no_session())).collect() };
        let requests: Vec<(String, String, String)> =
            requests.into_iter().map(|r| (r.service, r.operation, r.params)).collect();
        session.call_many(&requests).await.into_iter().map(|r| r.map_err(Into::into)).collect()
    }
}

impl log::Host for TaskState {
    async fn log(&mut self, level: log::Level, message: String) {
        let s = &self.speaker;
        if !s.admit(message.len()) {
            return;
        }
        macro_rules! emit {
            ($lvl:ident) => {
                tracing::$lvl!(target: "trawl::plugin", plugin = %s.plugin, account = %s.account_id,
                    region = %s.region, "{message}")
            };
        }
        match level {
            log::Level::Trace => emit!(trace),
            log::Level::Debug => emit!(debug),
            log::Level::Info => emit!(info),
            log::Level::Warn => emit!(warn),
            log::Level::Error => emit!(error),
        }
    }
}
