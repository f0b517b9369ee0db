//! The state of one task's sandbox, and the imports a plugin may call.
//!
//! A [`TaskState`] lives in a fresh `Store` for exactly one `collect` call.
//! It holds the WASI context, its standing with the run's memory budget,
//! the plugin's settings, and the [`Session`] through which the `cloud`
//! import reaches the backend.
//!
//! Every WASI 0.2 interface a toolchain may import is linked (Python's
//! libc imports all of `wasi:sockets`, JavaScript's runtime `wasi:http`),
//! and every use of the outside world is denied at the host: no preopened
//! directory, no environment, no network address (TCP, UDP and name
//! lookup are off, and every address check says no), and an outgoing
//! HTTP handler that refuses every request. Only clocks, randomness and
//! stdio (to the host log) work.

use std::sync::Arc;

use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{ResourceLimiterAsync, Result as WasmResult};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use super::bindings::Collector;
use super::bindings::trawl::collector::{cloud, log, settings, types};
use super::guest_output::{GuestOutput, Speaker};
use super::memory::TaskMemory;
use super::settings::Settings;
use crate::cloud::{ApiError, Session};

/// Most random bytes one `get-random-bytes` call may ask for: plenty for
/// ids and nonces, and the host never allocates more on a guest's word.
const MAX_RANDOM_BYTES: u64 = 1 << 20;

/// Everything one sandboxed task owns.
pub struct TaskState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    deny_http: DenyHttp,
    table: ResourceTable,
    session: Option<Session>,
    settings: Arc<Settings>,
    speaker: Arc<Speaker>,
    memory: TaskMemory,
    table_limit: usize,
}

impl TaskState {
    /// State for a task of `speaker.plugin`; `session` is None while the
    /// host only asks the plugin for its info.
    pub fn new(session: Option<Session>, settings: Arc<Settings>, speaker: Arc<Speaker>, memory: TaskMemory) -> Self {
        // WasiCtx's defaults deny the network: TCP, UDP and name lookup
        // off, no address allowed. Nothing here turns any of them on.
        let wasi = WasiCtx::builder()
            .stdout(GuestOutput::new(speaker.clone(), "stdout"))
            .stderr(GuestOutput::new(speaker.clone(), "stderr"))
            .max_random_size(MAX_RANDOM_BYTES)
            .build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            deny_http: DenyHttp,
            table: ResourceTable::new(),
            session,
            settings,
            speaker,
            memory,
            table_limit: 100_000,
        }
    }
}

impl WasiView for TaskState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

/// `wasi:http` with every outgoing request refused: JavaScript's `fetch()`
/// rejects with `HTTP-request-denied`, which the guest can catch.
struct DenyHttp;

impl WasiHttpHooks for DenyHttp {
    fn send_request(
        &mut self,
        _request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn std::future::Future<
                Output = Result<
                    (
                        http::Response<wasmtime_wasi_http::WasiBody>,
                        Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                    ),
                    wasmtime_wasi_http::Error,
                >,
            > + Send,
    > {
        Box::new(std::future::ready(Err(wasmtime_wasi_http::Error::HttpRequestDenied)))
    }
}

impl WasiHttpView for TaskState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: &mut self.deny_http }
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

/// Adds the collector world's imports, all of WASI 0.2 and `wasi:http`;
/// what the outside world would give is denied in [`TaskState::new`] and
/// by [`DenyHttp`].
pub fn add_to_linker(linker: &mut Linker<TaskState>) -> WasmResult<()> {
    Collector::add_to_linker::<TaskState, Imports>(linker, |s| s)?;
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    Ok(())
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

impl settings::Host for TaskState {
    async fn get(&mut self, name: String) -> Option<types::SettingValue> {
        self.settings.get(&name).map(Into::into)
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
