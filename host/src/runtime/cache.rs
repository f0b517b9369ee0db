//! Compiled components on disk, so a plugin is compiled once per machine.
//!
//! Entries are keyed by the SHA-256 of the component bytes and of the
//! engine's compatibility hash (wasmtime version, target, settings), so a
//! changed plugin or a changed engine never loads a stale artifact. Loading
//! an artifact is trusted by wasmtime, so the directory is created private
//! to the user and entries are written atomically.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// A directory of precompiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    /// The cache at `TRAWL_CACHE_DIR`, else `$XDG_CACHE_HOME/trawl`, else
    /// `~/.cache/trawl`; None when none of these can be determined.
    pub fn from_env() -> Option<Self> {
        let dir = std::env::var_os("TRAWL_CACHE_DIR").map(PathBuf::from).or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(|d| PathBuf::from(d).join("trawl"))
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/trawl")))
        })?;
        Some(Self::at(dir))
    }

    /// A cache in `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Loads the compiled form of `wasm`, compiling and storing it on a miss.
    /// Cache trouble (unwritable directory, corrupt entry) falls back to
    /// compiling; only a compile error is an error.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
        let path = self.entry(engine, wasm);
        if path.exists() {
            // SAFETY: entries are written only by `store` below, from
            // `Component::serialize` with an engine of the same compatibility
            // hash (part of the file name), into a directory private to us.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(e) => tracing::debug!(path = %path.display(), "discarding unusable cache entry: {e}"),
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::debug!(dir = %self.dir.display(), "cannot write the compile cache: {e}");
        }
        Ok(component)
    }

    fn entry(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut hasher = ShaHasher(Sha256::new());
        hasher.0.update(wasm);
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        self.dir.join(format!("{}.cwasm", hex::encode(hasher.0.finalize())))
    }

    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        create_private_dir(&self.dir)?;
        let bytes = component.serialize().map_err(anyhow::Error::from)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.persist(path)?;
        Ok(())
    }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Feeds `Hash` output into SHA-256, so the engine's compatibility hash
/// becomes part of a stable file name.
struct ShaHasher(Sha256);

impl Hasher for ShaHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        unreachable!("only used through `update`")
    }
}
