//! Plugins from elsewhere, checked before they run: files or OCI registry
//! references, fetched into a content-addressed cache (a run pinned by
//! digest and fully cached asks no registry anything), verified against
//! trusted signing keys, and held to the digest and declared permissions
//! the lock file accepted.

pub mod lock;
pub mod registry;
pub mod signing;
pub mod source;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use lock::{LockEntry, LockFile};
pub use signing::TrustedKey;
pub use source::{OciReference, PluginSource};

use crate::runtime::{Plugin, Runtime, RuntimeConfig};
use registry::Registry;

/// How plugins are checked before they run.
#[derive(Debug, Clone, Default)]
pub struct PluginPolicy {
    /// The lock file to hold plugins to; none: no lock.
    pub lock: Option<PathBuf>,
    /// Accept new digests of locked plugins and write them to the lock
    /// instead of refusing (never new plugins or wider permissions).
    pub update_lock: bool,
    /// With `update_lock`, also accept new plugins, widened permissions
    /// and scopes (`host plugin lock`: an operator reviewing on purpose).
    pub accept_permissions: bool,
    /// Keys whose signatures are accepted; none: signatures not required.
    pub trust: Vec<TrustedKey>,
    /// Registries (`HOST:PORT`) spoken to over plain HTTP.
    pub insecure_registries: Vec<String>,
}

/// A component's bytes and where they came from.
pub struct Fetched {
    /// As the operator named it.
    pub source: PluginSource,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// `sha256:...` of the bytes.
    pub digest: String,
    /// For a registry reference, the manifest's digest.
    pub manifest: Option<String>,
    /// The SSHSIG signature found beside it, if asked for and present.
    pub signature: Option<String>,
}

/// `sha256:<hex>` of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Where pulled components live: `<cache>/oci/`, blobs and manifests by
/// digest, each blob's signature beside it.
struct Store {
    root: Option<PathBuf>,
}

impl Store {
    fn new() -> Self {
        Self { root: crate::runtime::cache_root().map(|dir| dir.join("oci")) }
    }

    fn path(&self, kind: &str, digest: &str, suffix: &str) -> Option<PathBuf> {
        // Digests come from registries and lock files: only 64 hex digits
        // name a file.
        let hex = digest.strip_prefix("sha256:")?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.as_ref()?.join(kind).join(format!("{hex}{suffix}")))
    }

    fn read(&self, kind: &str, digest: &str, suffix: &str) -> Option<Vec<u8>> {
        std::fs::read(self.path(kind, digest, suffix)?).ok()
    }

    /// Stores; trouble only costs the next run a pull.
    fn write(&self, kind: &str, digest: &str, suffix: &str, bytes: &[u8]) {
        let Some(path) = self.path(kind, digest, suffix) else { return };
        let stored = path.parent().map(std::fs::create_dir_all).transpose().and_then(|_| {
            let mut file = tempfile::NamedTempFile::new_in(path.parent().unwrap_or(Path::new(".")))?;
            std::io::Write::write_all(&mut file, bytes)?;
            file.persist(&path).map(|_| ()).map_err(|e| e.error)
        });
        if let Err(e) = stored {
            tracing::debug!(path = %path.display(), "cannot cache a pulled component: {e}");
        }
    }
}

/// Fetches plugins, lazily connecting to registries only when the cache
/// cannot answer.
pub struct Fetcher {
    store: Store,
    registry: Option<Registry>,
    insecure: Vec<String>,
    want_signatures: bool,
}

impl Fetcher {
    /// A fetcher for `policy`.
    pub fn new(policy: &PluginPolicy) -> Self {
        Self {
            store: Store::new(),
            registry: None,
            insecure: policy.insecure_registries.clone(),
            want_signatures: !policy.trust.is_empty(),
        }
    }

    fn registry(&mut self) -> Result<&Registry, String> {
        if self.registry.is_none() {
            self.registry = Some(Registry::new(self.insecure.clone())?);
        }
        Ok(self.registry.as_ref().expect("just set"))
    }

    /// The bytes of `source`. A registry reference pinned by digest (in
    /// the reference, or `pinned` from the lock) is served from the cache
    /// when it can be, without a network call.
    pub async fn fetch(&mut self, source: &PluginSource, pinned: Option<&str>) -> Result<Fetched, String> {
        match source {
            PluginSource::File(path) => {
                let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
                let signature = if self.want_signatures {
                    std::fs::read_to_string(signing::signature_path(path)).ok()
                } else {
                    None
                };
                Ok(Fetched { source: source.clone(), digest: digest_of(&bytes), bytes, manifest: None, signature })
            }
            PluginSource::Oci(reference) => self.fetch_oci(source, reference, pinned).await,
        }
    }

    async fn fetch_oci(
        &mut self,
        source: &PluginSource,
        reference: &OciReference,
        pinned: Option<&str>,
    ) -> Result<Fetched, String> {
        let want = reference.digest.as_deref().or(pinned);
        if let Some(manifest_digest) = want
            && let Some(found) = self.cached(source, manifest_digest)
        {
            tracing::debug!(%reference, "served from the cache");
            return Ok(found);
        }
        let target = match want {
            Some(digest) => reference.at_digest(digest),
            None => reference.clone(),
        };
        let want_signatures = self.want_signatures;
        let registry = self.registry()?;
        let (manifest, manifest_digest) = registry.manifest(&target).await?;
        let bytes = registry.blob(&target, &manifest.layers[0]).await?;
        let digest = digest_of(&bytes);
        let signature = if want_signatures { registry.signature(reference, &digest).await? } else { None };
        let manifest_json = serde_json::to_vec(&manifest).map_err(|e| e.to_string())?;
        self.store.write("blobs", &digest, "", &bytes);
        self.store.write("manifests", &manifest_digest, ".json", &manifest_json);
        // The signature is cached by `remember_signature`, once verified.
        Ok(Fetched { source: source.clone(), bytes, digest, manifest: Some(manifest_digest), signature })
    }

    /// Caches a signature that verified, for offline runs.
    fn remember_signature(&self, fetched: &Fetched) {
        if let (PluginSource::Oci(_), Some(signature)) = (&fetched.source, &fetched.signature) {
            self.store.write("blobs", &fetched.digest, ".sig", signature.as_bytes());
        }
    }

    /// A pinned component from the cache; its bytes are checked against the
    /// layer digest of the manifest stored under the pinned digest (that
    /// manifest was checked against the digest when it was pulled).
    fn cached(&self, source: &PluginSource, manifest_digest: &str) -> Option<Fetched> {
        let manifest: oci_client::manifest::OciImageManifest =
            serde_json::from_slice(&self.store.read("manifests", manifest_digest, ".json")?).ok()?;
        let layer = manifest.layers.first()?;
        let bytes = self.store.read("blobs", &layer.digest, "")?;
        let digest = digest_of(&bytes);
        if digest != layer.digest {
            tracing::warn!(%source, "a cached component does not match its digest; pulling it again");
            return None;
        }
        let signature = self.store.read("blobs", &digest, ".sig").and_then(|s| String::from_utf8(s).ok());
        if self.want_signatures && signature.is_none() {
            // Perhaps signed since it was cached: ask the registry.
            return None;
        }
        Some(Fetched { source: source.clone(), bytes, digest, manifest: Some(manifest_digest.to_owned()), signature })
    }
}

/// Fetches, verifies and loads `sources` under `policy`, in order; the
/// first refusal is the error, before anything runs. The runtime is built
/// from `config` once every component is fetched, so its instance pool
/// can fit them (see [`RuntimeConfig::fit`]). With `policy.update_lock`,
/// what was found is written to the lock instead.
pub async fn load_plugins(
    config: RuntimeConfig,
    sources: &[PluginSource],
    policy: &PluginPolicy,
) -> Result<(Runtime, Vec<Plugin>), String> {
    let mut lock = match &policy.lock {
        Some(path) => Some((path.clone(), LockFile::read(path)?)),
        None => None,
    };
    let mut fetcher = Fetcher::new(policy);
    let mut fetched_all = Vec::with_capacity(sources.len());
    for source in sources {
        let name = source.to_string();
        let entry = lock.as_ref().and_then(|(_, l)| l.entry(&name)).cloned();
        let pinned = if policy.update_lock { None } else { entry.as_ref().and_then(|e| e.manifest.clone()) };
        let fetched = fetcher.fetch(source, pinned.as_deref()).await?;
        if !policy.trust.is_empty() {
            signing::verify(&fetched.bytes, fetched.signature.as_deref(), &policy.trust)
                .map_err(|why| format!("{name}: refused: {why}"))?;
            fetcher.remember_signature(&fetched);
        }
        fetched_all.push((entry, fetched));
    }
    let components: Vec<&[u8]> = fetched_all.iter().map(|(_, f)| f.bytes.as_slice()).collect();
    let runtime = Runtime::new(config.fit(&components)).map_err(|e| format!("{e:#}"))?;
    let mut plugins: Vec<Plugin> = Vec::with_capacity(sources.len());
    let mut changed = false;
    for (i, (entry, fetched)) in fetched_all.into_iter().enumerate() {
        let name = fetched.source.to_string();
        let digest = fetched.digest.clone();
        let mut plugin = runtime.load_bytes(&name, &fetched.bytes).await.map_err(|e| e.to_string())?;
        plugin.digest = digest;
        if let Some(first) = plugins.iter().find(|p| p.info.name == plugin.info.name) {
            return Err(format!(
                "{} and {} are both plugin {:?}: give each plugin once (argument {})",
                plugin.source,
                first.source,
                plugin.info.name,
                i + 1
            ));
        }
        if let Some((path, file)) = &mut lock {
            match entry {
                // New bytes are accepted; new permissions never silently:
                // `host plugin lock` is the explicit review for those.
                Some(entry) if policy.update_lock && !policy.accept_permissions => {
                    entry.check(&entry.digest, &plugin.info, path).map_err(|e| e.to_string())?;
                    file.set(LockEntry::new(name, fetched.digest, fetched.manifest, &plugin.info));
                    changed = true;
                }
                _ if policy.update_lock && policy.accept_permissions => {
                    file.set(LockEntry::new(name, fetched.digest, fetched.manifest, &plugin.info));
                    changed = true;
                }
                Some(entry) => entry.check(&fetched.digest, &plugin.info, path).map_err(|e| e.to_string())?,
                // Not even --update-lock adds a plugin: a new reference
                // (another tag, another path) is a new review.
                None => {
                    return Err(format!(
                        "{name} is not in {}: review it, then add it with `host plugin lock {name}` or run with --update-lock",
                        path.display()
                    ));
                }
            }
        }
        plugins.push(plugin);
    }
    if changed && let Some((path, file)) = &lock {
        file.write(path)?;
        tracing::info!(lock = %path.display(), "lock file updated");
    }
    Ok((runtime, plugins))
}
