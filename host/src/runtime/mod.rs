//! The sandbox: one wasmtime [`Engine`] for the process, each plugin
//! compiled once (with an on-disk cache) and linked once into an
//! `InstancePre`, and a fresh `Store` per task with a memory limit and an
//! epoch-based CPU deadline. A trapped instance is never reused: its store
//! is dropped with the task.

mod adapt;
mod bindings;
mod cache;
mod collection;
mod guest_output;
mod memory;
mod plugin;
mod pool;
pub mod settings;
mod task;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

pub use cache::{CompileCache, cache_root};
pub use collection::{DEFAULT_MAX_OUTPUT, MAX_REASON_BYTES, MAX_RECORD_DEPTH, MAX_TOTALS, OutputLimits, human_bytes};
pub use guest_output::OUTPUT_BUDGET;
pub use memory::{DEFAULT_LARGE_TASKS, DEFAULT_SMALL_GROWTH, MemoryBudget};
pub use plugin::{Collection, Plugin, PluginInfo, Reason, Scope, TaskOutcome, WORLD_VERSION};
pub use pool::PoolNeeds;
use pool::PoolRoom;
use task::TaskState;

/// How often the epoch advances: the granularity of CPU deadlines and of
/// yielding to other tasks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Settings for the sandbox.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Instances alive at once (tasks in flight plus loading); sizes the
    /// pooling allocator.
    pub max_instances: u32,
    /// Linear memory one instance may use, in bytes.
    pub memory_limit: usize,
    /// Where compiled components are kept; None compiles every time.
    pub cache: Option<CompileCache>,
    /// Try the pooling allocator (falls back to on-demand when the address
    /// space does not allow it). Off only to measure the difference.
    pub pooling: bool,
    /// Time a plugin's `info()` may take when it is loaded.
    pub info_timeout: Duration,
    /// Bounds on what one task may return.
    pub output_limits: OutputLimits,
    /// Growth a task may make past its initial memory without a permit.
    pub small_growth: usize,
    /// Tasks that may grow past that at once (see [`MemoryBudget`]).
    pub large_tasks: usize,
    /// Bytes at the start of each pooled linear memory restored in place
    /// between tasks rather than handed back to the kernel (see
    /// [`RuntimeConfig::fit`]).
    pub keep_resident: usize,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            max_instances: 64,
            memory_limit: 64 << 20,
            cache: CompileCache::from_env(),
            pooling: true,
            info_timeout: Duration::from_secs(5),
            output_limits: OutputLimits::default(),
            small_growth: DEFAULT_SMALL_GROWTH,
            large_tasks: DEFAULT_LARGE_TASKS,
            keep_resident: KEEP_RESIDENT,
        }
    }
}

impl RuntimeConfig {
    /// This config with the pooled memories' residency fitted to
    /// `components`. A guest with a large initialised memory (an
    /// interpreter: componentize-py's is 12 MiB, componentize-js's 9 MiB)
    /// dirties pages all over it in every task; handing those back to the
    /// kernel costs a fault, a copy and a TLB shootdown each on the next
    /// task, so its memory is kept and restored from the image in place
    /// instead (measured with `cargo xtask bench`: 4.3 -> 1.1 ms per Python
    /// target with 20 workers). A small guest keeps the default 256 KiB:
    /// restoring more than it touches would cost more than it saves.
    pub fn fit(mut self, components: &[&[u8]]) -> Self {
        let largest = components.iter().map(|c| pool::initial_memory(c)).max().unwrap_or(0);
        if largest > LARGE_IMAGE {
            // The image, and room for the growth a task adds to it.
            self.keep_resident = (largest as usize + self.small_growth).min(self.memory_limit);
        }
        self
    }
}

/// Why a plugin could not be loaded; every message names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("{path}: cannot read: {reason}")]
    Read {
        /// The plugin path.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The file does not start with the WebAssembly magic.
    #[error("{path}: not a WebAssembly file")]
    NotWasm {
        /// The plugin path.
        path: String,
    },
    /// A core module that cannot be made a component (not built with
    /// wit-bindgen for the collector world).
    #[error(
        "{path}: a core WebAssembly module that is not a collector ({reason}); build collectors with --target wasm32-wasip2, or wasm32-wasip1 with wit-bindgen"
    )]
    CoreModule {
        /// The plugin path.
        path: String,
        /// Why it could not be adapted.
        reason: String,
    },
    /// The component does not validate or compile.
    #[error("{path}: invalid component: {reason}")]
    Invalid {
        /// The plugin path.
        path: String,
        /// What the validator said.
        reason: String,
    },
    /// The component is not a trawl collector.
    #[error("{path}: not a trawl collector: it exports {found}, and a collector exports trawl:collector/plugin@0.1.x")]
    WrongWorld {
        /// The plugin path.
        path: String,
        /// What it exports instead.
        found: String,
    },
    /// A collector for a world version this host does not speak.
    #[error(
        "{path}: built for trawl:collector@{version}, but this host speaks 0.1.x; rebuild against trawl-plugin-sdk 0.1"
    )]
    IncompatibleWorld {
        /// The plugin path.
        path: String,
        /// The version it was built for.
        version: String,
    },
    /// It imports something the sandbox does not grant.
    #[error(
        "{path}: {reason} (collectors may import trawl:collector/cloud, /log and /settings, WASI 0.2 and wasi:http; nothing else)"
    )]
    Link {
        /// The plugin path.
        path: String,
        /// The unsatisfied import.
        reason: String,
    },
    /// One instance needs more of the instance pool than it has.
    #[error("{path}: {reason}")]
    TooLarge {
        /// The plugin path.
        path: String,
        /// What it needs and what the pool holds.
        reason: String,
    },
    /// `info` trapped or returned nonsense.
    #[error("{path}: bad plugin info: {reason}")]
    Info {
        /// The plugin path.
        path: String,
        /// What was wrong.
        reason: String,
    },
}

/// The engine, the linker and the sandbox limits; cheap to clone.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<TaskState>>,
    memory: Arc<MemoryBudget>,
    /// Room in the pooling allocator; None with on-demand allocation.
    room: Option<Arc<PoolRoom>>,
    cache: Option<CompileCache>,
    pooling: bool,
    info_timeout: Duration,
    output_limits: OutputLimits,
}

impl Runtime {
    /// Builds the engine (pooling allocator when the address space allows
    /// it, on-demand otherwise), the linker, and the epoch ticker.
    pub fn new(config: RuntimeConfig) -> anyhow::Result<Self> {
        let pooled = if config.pooling {
            Engine::new(&engine_config(&config, true))
        } else {
            Err(wasmtime::Error::msg("disabled"))
        };
        let (engine, pooling) = match pooled {
            Ok(engine) => (engine, true),
            Err(e) => {
                tracing::debug!("pooling allocator unavailable ({e}); using on-demand allocation");
                (Engine::new(&engine_config(&config, false)).map_err(anyhow::Error::from)?, false)
            }
        };
        let mut linker = Linker::new(&engine);
        task::add_to_linker(&mut linker).map_err(anyhow::Error::from)?;
        start_epoch_ticker(&engine);
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            memory: Arc::new(MemoryBudget::new(config.memory_limit, config.small_growth, config.large_tasks)),
            room: pooling.then(|| Arc::new(PoolRoom::new(pool_totals(config.max_instances)))),
            cache: config.cache,
            pooling,
            info_timeout: config.info_timeout,
            output_limits: config.output_limits,
        })
    }

    /// True when instances come from the pooling allocator.
    pub fn uses_pooling(&self) -> bool {
        self.pooling
    }

    /// Loads, checks, links and describes the plugin at `path`.
    pub async fn load(&self, path: &Path) -> Result<Plugin, LoadError> {
        let source = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| LoadError::Read { path: source.clone(), reason: e.to_string() })?;
        Plugin::load(self, source, &bytes).await
    }

    /// Checks, compiles and links a component already in memory; `source`
    /// names it in messages (a path, an `oci://` reference).
    pub async fn load_bytes(&self, source: &str, bytes: &[u8]) -> Result<Plugin, LoadError> {
        Plugin::load(self, source.to_owned(), bytes).await
    }

    /// What the pooling allocator has handed out right now.
    fn pool_in_use(&self) -> PoolNeeds {
        self.engine.pooling_allocator_metrics().map_or(PoolNeeds::default(), |m| PoolNeeds {
            core_instances: u32::try_from(m.core_instances()).unwrap_or(u32::MAX),
            memories: u32::try_from(m.memories()).unwrap_or(u32::MAX),
            tables: u32::try_from(m.tables()).unwrap_or(u32::MAX),
        })
    }

    fn compile(&self, wasm: &[u8]) -> wasmtime::Result<Component> {
        match &self.cache {
            Some(cache) => cache.load_or_compile(&self.engine, wasm),
            None => Component::new(&self.engine, wasm),
        }
    }

    /// Compiles a wasip1 core module adapted into a component; the cache
    /// keys it by the module, so a hit skips the adapting too. The outer
    /// error is the adapter's (the module is not a collector), the inner
    /// one the compiler's.
    fn compile_module(&self, module: &[u8]) -> Result<wasmtime::Result<Component>, String> {
        match &self.cache {
            Some(cache) => {
                let mut refused = None;
                let compiled = cache.load_or_build(&self.engine, module, || {
                    adapt::component_of(module).map(std::borrow::Cow::Owned).map_err(|why| {
                        refused = Some(why.clone());
                        wasmtime::Error::msg(why)
                    })
                });
                match refused {
                    Some(why) => Err(why),
                    None => Ok(compiled),
                }
            }
            None => Ok(Component::new(&self.engine, adapt::component_of(module)?)),
        }
    }
}

/// Bytes of a pooled memory, table or stack reset by memset rather than
/// given back to the kernel between tasks. With plugins built with a
/// 128 KiB stack (see .cargo/config.toml) this covers the stack top, data
/// and early heap. Measured with `cargo xtask bench`: 256 KiB beat 0
/// (page faults and TLB shootdowns on every task) and 1 MiB (memset cost).
const KEEP_RESIDENT: usize = 256 << 10;

/// An initial memory larger than this marks an interpreter-sized guest,
/// whose memory is kept resident whole (see [`RuntimeConfig::fit`]).
const LARGE_IMAGE: u64 = 4 << 20;

fn engine_config(config: &RuntimeConfig, pooling: bool) -> Config {
    let mut c = Config::new();
    c.wasm_component_model(true);
    c.epoch_interruption(true);
    if pooling {
        let n = config.max_instances.max(1);
        let totals = pool_totals(n);
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .total_core_instances(totals.core_instances)
            .total_memories(totals.memories)
            .total_tables(totals.tables)
            .total_stacks(n)
            .max_memory_size(config.memory_limit)
            .linear_memory_keep_resident(config.keep_resident)
            .table_keep_resident(KEEP_RESIDENT)
            .async_stack_keep_resident(KEEP_RESIDENT);
        c.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    c
}

/// The pool's totals for `instances` component instances alive at once.
/// A Rust collector takes 3 core instances, 1 memory and a few tables; a
/// componentize-py one 38 core instances and more memories and tables.
/// Core instances are only counted by the allocator, so they are given
/// generously; memories and tables are reserved address space, so those
/// are sized for a few per instance. Tasks take what their plugin really
/// needs (see [`pool`]), so a pool too small for every worker at once
/// makes tasks wait, never fail.
fn pool_totals(instances: u32) -> PoolNeeds {
    let n = instances.max(1);
    PoolNeeds { core_instances: n * 64, memories: n * 4, tables: n * 32 }
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until the engine is
/// dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("trawl-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the epoch thread");
}
