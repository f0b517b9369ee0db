//! A loaded plugin: checked, compiled, linked once, described by its info,
//! and ready to run `collect` in a fresh sandbox per task.

use std::sync::Arc;
use std::time::Instant;

use serde_json::value::RawValue;
use wasmtime::component::InstancePre;
use wasmtime::component::types::ComponentItem;
use wasmtime::{Store, UpdateDeadline};

use super::bindings::exports::trawl::collector::{details, plugin as plugin_export};
use super::bindings::trawl::collector::types as wit;
use super::collection::{self, human_bytes};
use super::guest_output::Speaker;
use super::memory::{MemoryLimitExceeded, TaskMemory};
use super::pool::PoolNeeds;
use super::settings::{self, SettingArg, SettingSpec, Settings};
use super::task::TaskState;
use super::{LoadError, Runtime};
use crate::cloud::{CloudClient, Permissions, Session};
use crate::targets::Target;

/// The package and interface every collector exports, without a version.
pub const PLUGIN_INTERFACE: &str = "trawl:collector/plugin";
/// The export 0.1.1 added: declared settings and record key.
const DETAILS_INTERFACE_0_1_1: &str = "trawl:collector/details@0.1.1";
/// The world version this host implements.
pub const WORLD_VERSION: (u64, u64, u64) = (0, 1, 1);

/// How many times a plugin runs in one collection (see the WIT `scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Once per (account, region).
    Regional,
    /// Once per account, in the home region.
    Account,
    /// Once for the whole run; first success wins.
    Organization,
}

/// What a plugin says about itself, checked by the host.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PluginInfo {
    /// Short name.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// One line for operators.
    pub description: String,
    /// How often it runs.
    pub scope: Scope,
    /// Region for account- and organization-scoped runs.
    pub home_region: String,
    /// Declared `service:Operation` patterns.
    pub permissions: Vec<String>,
    /// Record fields for the table output.
    pub columns: Vec<String>,
    /// Record fields that identify a record within its target; empty
    /// when the plugin declares none (0.1.0 plugins).
    pub key: Vec<String>,
    /// The settings it accepts (none for 0.1.0 plugins).
    pub settings: Vec<SettingSpec>,
}

/// How one task ended, as the runtime sees it (the scheduler adds
/// timeouts measured from outside).
#[derive(Debug, Clone)]
pub enum TaskOutcome {
    /// `collect` returned records.
    Succeeded(Collection),
    /// The plugin said there is nothing to collect here.
    Skipped(Reason),
    /// The plugin failed, trapped, or returned something unusable.
    Failed(Reason),
    /// The plugin used up its CPU deadline.
    TimedOut(Reason),
}

/// A code and a message: why a task did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    /// Machine-readable code, e.g. `UnauthorizedOperation`, `trawl.Trap`.
    pub code: String,
    /// A sentence for operators.
    pub message: String,
}

impl Reason {
    /// A reason with this code and message.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.to_owned(), message: message.into() }
    }
}

/// Records and totals of one successful task.
#[derive(Debug, Clone, Default)]
pub struct Collection {
    /// One JSON object per record, kept as the validated text the plugin
    /// produced: parsing into trees would multiply a large run's memory.
    pub records: Vec<Box<RawValue>>,
    /// Named totals, in the plugin's order.
    pub totals: Vec<(String, u64)>,
}

/// A plugin ready to run.
pub struct Plugin {
    /// The file it was loaded from, as given.
    pub source: String,
    /// `sha256:...` of the component's bytes (set by whoever fetched them;
    /// empty when loaded straight from bytes).
    pub digest: String,
    /// The `trawl:collector` version it was built for.
    pub world_version: String,
    /// What it says about itself.
    pub info: PluginInfo,
    permissions: Arc<Permissions>,
    settings: Arc<Settings>,
    pre: InstancePre<TaskState>,
    exports: plugin_export::GuestIndices,
    /// What one instance takes from the instance pool.
    needs: PoolNeeds,
    runtime: Runtime,
}

impl Plugin {
    pub(super) async fn load(runtime: &Runtime, source: String, bytes: &[u8]) -> Result<Self, LoadError> {
        let compiled = match check_header(&source, bytes)? {
            Layer::Component => runtime.compile(bytes),
            Layer::CoreModule => runtime
                .compile_module(bytes)
                .map_err(|reason| LoadError::CoreModule { path: source.clone(), reason })?,
        };
        let component =
            compiled.map_err(|e| LoadError::Invalid { path: source.clone(), reason: first_line(&e.to_string()) })?;
        let world_version = exported_world_version(runtime, &source, &component)?;
        let pre = runtime
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link { path: source.clone(), reason: first_line(&e.to_string()) })?;
        let wrong_shape = |what: &str, e: wasmtime::Error| LoadError::WrongWorld {
            path: source.clone(),
            found: format!("a `{what}` export of the wrong shape ({})", first_line(&e.to_string())),
        };
        let exports = plugin_export::GuestIndices::new(&pre).map_err(|e| wrong_shape(PLUGIN_INTERFACE, e))?;
        // `details` is 0.1.1's: a component without it is a 0.1.0 one.
        let has_details = component.get_export_index(None, DETAILS_INTERFACE_0_1_1).is_some();
        let details = match has_details {
            true => Some(details::GuestIndices::new(&pre).map_err(|e| wrong_shape(DETAILS_INTERFACE_0_1_1, e))?),
            false => None,
        };

        let speaker = Speaker::new(&source, "-", "-");
        let budget = runtime.info_timeout;
        let state = TaskState::new(None, Arc::default(), speaker.clone(), TaskMemory::new(runtime.memory.clone()));
        let mut store = runtime.store(state, Instant::now() + budget);
        let before = runtime.pool_in_use();
        let mut needs = PoolNeeds::default();
        let describe = async {
            let instance = pre.instantiate_async(&mut store).await?;
            // The allocator's counters while this one instance lives.
            let during = runtime.pool_in_use();
            needs = PoolNeeds {
                core_instances: during.core_instances.saturating_sub(before.core_instances),
                memories: during.memories.saturating_sub(before.memories),
                tables: during.tables.saturating_sub(before.tables),
            };
            let info = exports.load(&mut store, &instance)?.call_info(&mut store).await?;
            let details = match &details {
                Some(indices) => Some(indices.load(&mut store, &instance)?.call_details(&mut store).await?),
                None => None,
            };
            Ok::<_, wasmtime::Error>((info, details))
        };
        // The epoch deadline stops a spinning guest; the wall-clock one
        // also stops an `info` that waits on a host call.
        let (raw, raw_details) = match tokio::time::timeout(budget, describe).await {
            Ok(Ok(described)) => described,
            Ok(Err(e)) if e.downcast_ref::<CpuDeadline>().is_none() => {
                let reason = describe_trap(&e, speaker.stderr_tail()).message;
                return Err(LoadError::Info { path: source.clone(), reason });
            }
            _ => {
                let reason = format!("info() did not return within {}", seconds(budget));
                return Err(LoadError::Info { path: source.clone(), reason });
            }
        };
        let info = check_info(raw, raw_details).map_err(|reason| LoadError::Info { path: source.clone(), reason })?;
        let permissions = Permissions::parse(&info.permissions)
            .map_err(|e| LoadError::Info { path: source.clone(), reason: e.to_string() })?;
        let defaults = Settings::resolve(&info.name, &info.settings, &[])
            .map_err(|reason| LoadError::Info { path: source.clone(), reason })?;
        if let Some(reason) = runtime.room.as_ref().and_then(|room| room.refusal(needs)) {
            return Err(LoadError::TooLarge { path: source, reason });
        }
        Ok(Self {
            source,
            digest: String::new(),
            world_version,
            info,
            permissions: Arc::new(permissions),
            settings: Arc::new(defaults),
            pre,
            exports,
            needs,
            runtime: runtime.clone(),
        })
    }

    /// Applies the operator's settings for this plugin (those naming it),
    /// checked against what it declares; the error is one line.
    pub fn configure(&mut self, given: &[SettingArg]) -> Result<(), String> {
        let mine: Vec<SettingArg> = given.iter().filter(|s| s.plugin == self.info.name).cloned().collect();
        self.settings = Arc::new(Settings::resolve(&self.info.name, &self.info.settings, &mine)?);
        Ok(())
    }

    /// What one instance of this plugin takes from the instance pool (all
    /// zero with on-demand allocation).
    pub fn pool_needs(&self) -> PoolNeeds {
        self.needs
    }

    /// The settings tasks of this plugin read.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Runs `collect` for `target` in a fresh sandbox whose cloud calls go
    /// through `client`. The instance is dropped afterwards, whatever
    /// happened.
    pub async fn collect(&self, target: &Target, client: Arc<CloudClient>, cpu_deadline: Instant) -> TaskOutcome {
        let session = Session::new(client, target.clone(), self.permissions.clone());
        let speaker = Speaker::new(&self.info.name, &target.account_id, &target.region);
        let memory = TaskMemory::new(self.runtime.memory.clone());
        let state = TaskState::new(Some(session), self.settings.clone(), speaker.clone(), memory);
        // Declared before the store, so it is given back after the store
        // (and its instance's pool slots) is dropped.
        let _lease = match &self.runtime.room {
            Some(room) => Some(room.lease(self.needs).await),
            None => None,
        };
        let mut store = self.runtime.store(state, cpu_deadline);
        let wit_target = wit::Target {
            account_id: target.account_id.clone(),
            account_name: target.account_name.clone(),
            region: target.region.clone(),
        };
        let result = async {
            let instance = self.pre.instantiate_async(&mut store).await?;
            self.exports.load(&mut store, &instance)?.call_collect(&mut store, &wit_target).await
        }
        .await;
        match result {
            Ok(Ok(raw)) => match collection::check(raw, self.runtime.output_limits) {
                Ok(collection) => TaskOutcome::Succeeded(collection),
                Err(reason) => TaskOutcome::Failed(reason),
            },
            Ok(Err(wit::CollectError::Skipped(r))) => TaskOutcome::Skipped(collection::reason(r)),
            Ok(Err(wit::CollectError::Failed(r))) => TaskOutcome::Failed(collection::reason(r)),
            Err(e) if e.downcast_ref::<CpuDeadline>().is_some() => {
                TaskOutcome::TimedOut(Reason::new("trawl.CpuDeadline", "plugin used up its CPU time"))
            }
            Err(e) => TaskOutcome::Failed(describe_trap(&e, speaker.stderr_tail())),
        }
    }
}

/// The trap raised when a task's CPU deadline passes.
#[derive(Debug, thiserror::Error)]
#[error("plugin ran past its CPU deadline")]
pub(super) struct CpuDeadline;

impl Runtime {
    /// A store for one task: limiter, and an epoch deadline that yields to
    /// the executor every tick (so timeouts and other tasks get their turn)
    /// and traps once `cpu_deadline` has passed.
    fn store(&self, state: TaskState, cpu_deadline: Instant) -> Store<TaskState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter_async(|s| s);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= cpu_deadline { Err(CpuDeadline.into()) } else { Ok(UpdateDeadline::Yield(1)) }
        });
        store
    }
}

/// What a `.wasm` file holds.
enum Layer {
    /// A component.
    Component,
    /// A core module (wasm32-wasip1), to be adapted.
    CoreModule,
}

fn check_header(path: &str, bytes: &[u8]) -> Result<Layer, LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    const COMPONENT: [u8; 4] = [0x0d, 0, 1, 0];
    if bytes.len() < 8 || &bytes[..4] != MAGIC {
        return Err(LoadError::NotWasm { path: path.to_owned() });
    }
    match bytes[4..8].try_into().unwrap_or_default() {
        COMPONENT => Ok(Layer::Component),
        CORE_MODULE => Ok(Layer::CoreModule),
        other => Err(LoadError::Invalid {
            path: path.to_owned(),
            reason: format!("unsupported WebAssembly version/layer {other:02x?}"),
        }),
    }
}

/// Finds `trawl:collector/plugin@VERSION` among the exports and checks
/// the version is one this host speaks (same major; for 0.x, same minor).
fn exported_world_version(
    runtime: &Runtime,
    path: &str,
    component: &wasmtime::component::Component,
) -> Result<String, LoadError> {
    let ty = component.component_type();
    let exports: Vec<String> = ty.exports(&runtime.engine).map(|(name, _)| name.to_owned()).collect();
    let prefix = format!("{PLUGIN_INTERFACE}@");
    let Some(version) = exports.iter().find_map(|n| n.strip_prefix(&prefix)) else {
        let found = if exports.is_empty() { "no exports".to_owned() } else { exports.join(", ") };
        return Err(LoadError::WrongWorld { path: path.to_owned(), found });
    };
    let parts: Vec<u64> = version.split(['.', '-', '+']).take(3).filter_map(|p| p.parse().ok()).collect();
    let (major, minor, _) = WORLD_VERSION;
    let compatible = match parts.as_slice() {
        [0, m, _] => major == 0 && *m == minor,
        [other_major, _, _] => *other_major == major && major > 0,
        _ => false,
    };
    if !compatible {
        return Err(LoadError::IncompatibleWorld { path: path.to_owned(), version: version.to_owned() });
    }
    // The export must be an instance (an interface), not a lone function.
    let is_instance = ty
        .exports(&runtime.engine)
        .any(|(n, item)| n.starts_with(&prefix) && matches!(item.ty, ComponentItem::ComponentInstance(_)));
    if !is_instance {
        return Err(LoadError::WrongWorld {
            path: path.to_owned(),
            found: format!("{prefix}{version} as a non-interface"),
        });
    }
    Ok(version.to_owned())
}

fn check_info(raw: wit::PluginInfo, details: Option<wit::PluginDetails>) -> Result<PluginInfo, String> {
    let name_ok = !raw.name.is_empty()
        && raw.name.len() <= 64
        && raw.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(format!("plugin name {:?} must be 1-64 characters of a-z, 0-9, - and _", raw.name));
    }
    let scope = match raw.scope {
        wit::Scope::Regional => Scope::Regional,
        wit::Scope::Account => Scope::Account,
        wit::Scope::Organization => Scope::Organization,
    };
    let (key, settings) = match details {
        Some(d) => {
            let specs = d.settings.into_iter().map(SettingSpec::from_wit).collect::<Result<Vec<_>, _>>()?;
            settings::check_declarations(&specs)?;
            (d.key, specs)
        }
        None => (Vec::new(), Vec::new()),
    };
    if let Some(bad) = key.iter().find(|k| k.is_empty() || k.len() > 128) {
        return Err(format!("record key field {bad:?} must be 1-128 characters"));
    }
    Ok(PluginInfo {
        name: raw.name,
        version: raw.version,
        description: raw.description,
        scope,
        home_region: raw.home_region.unwrap_or_else(|| "us-east-1".to_owned()),
        permissions: raw.permissions,
        columns: raw.columns,
        key,
        settings,
    })
}

/// A trap or host error as a reason that names the cause (see
/// [`trap_reason`]), followed by the last lines the guest wrote to stderr,
/// where a Python traceback or a Rust panic message is.
fn describe_trap(e: &wasmtime::Error, stderr: Option<String>) -> Reason {
    let mut reason = trap_reason(e);
    if let Some(tail) = stderr {
        reason.message = format!("{}; stderr: {tail}", reason.message);
    }
    reason
}

/// A trap or host error as a reason that names the cause: the memory
/// limit, a stack overflow, an oversized request to a host import, or the
/// innermost error (wasmtime wraps host errors in a backtrace context
/// whose first line says nothing).
fn trap_reason(e: &wasmtime::Error) -> Reason {
    if let Some(m) = e.downcast_ref::<MemoryLimitExceeded>() {
        return Reason::new("trawl.MemoryLimit", m.to_string());
    }
    if let Some(trap) = e.downcast_ref::<wasmtime::Trap>() {
        let message = match trap {
            wasmtime::Trap::StackOverflow => "plugin trapped: stack overflow".to_owned(),
            // Rust and C guests keep their stack in linear memory below
            // the data: overflowing it is an access below address 0.
            wasmtime::Trap::MemoryOutOfBounds => {
                "plugin trapped: out of bounds memory access (a stack overflow in the plugin ends this way too)"
                    .to_owned()
            }
            other => format!("plugin trapped: {other}"),
        };
        return Reason::new("trawl.Trap", message);
    }
    let root = e.root_cause().to_string();
    if let Some(asked) = oversized_random(&root) {
        return Reason::new(
            "trawl.Trap",
            format!(
                "plugin asked for {} of random bytes at once (at most {})",
                human_bytes(asked.0),
                human_bytes(asked.1)
            ),
        );
    }
    Reason::new("trawl.Trap", format!("plugin failed: {}", first_line(&root)))
}

/// wasmtime-wasi's refusal of an oversized `get-random-bytes`:
/// `requested len N exceeds limit M`.
fn oversized_random(message: &str) -> Option<(u64, u64)> {
    let rest = message.strip_prefix("requested len ")?;
    let (asked, rest) = rest.split_once(" exceeds limit ")?;
    Some((asked.parse().ok()?, rest.trim().parse().ok()?))
}

fn seconds(d: std::time::Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_owned()
}
