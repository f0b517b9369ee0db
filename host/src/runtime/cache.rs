//! Compiled components on disk, so a plugin is compiled once per machine.
//!
//! Entries are keyed by the SHA-256 of the component bytes and of the
//! engine's compatibility hash (wasmtime version, target, settings), so a
//! changed plugin or a changed engine never loads a stale artifact. Loading
//! an artifact is trusted by wasmtime, so the directory is created private
//! to the user and entries are written atomically: to a temporary file in
//! the same directory, then renamed over the entry, so two hosts compiling
//! the same plugin at once each replace it whole and a reader sees one
//! complete file or the other. An entry wasmtime refuses (truncated,
//! garbage) is deleted and compiled again.
//!
//! The directory stays under a cap, [`DEFAULT_MAX_BYTES`] or
//! `TRAWL_CACHE_MAX_MB`: after each store the least recently used entries
//! (by modification time, which a load refreshes) are deleted until the
//! `*.cwasm` files fit, never the entry just written.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// The default cap on the entries' total size: 512 MiB, some hundred
/// compiled plugins.
pub const DEFAULT_MAX_BYTES: u64 = 512 << 20;

/// Temporary files older than this are left by a host that died while
/// storing, and are removed with the evicted entries.
const STALE_TEMP: Duration = Duration::from_secs(3600);

/// trawl's cache directory: `TRAWL_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/trawl`, else `~/.cache/trawl`.
pub fn cache_root() -> Option<PathBuf> {
    std::env::var_os("TRAWL_CACHE_DIR").map(PathBuf::from).or_else(|| {
        std::env::var_os("XDG_CACHE_HOME")
            .map(|d| PathBuf::from(d).join("trawl"))
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/trawl")))
    })
}

/// A directory of precompiled components.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl CompileCache {
    /// The cache at `TRAWL_CACHE_DIR`, else `$XDG_CACHE_HOME/trawl`, else
    /// `~/.cache/trawl`; None when none of these can be determined. Its cap
    /// is `TRAWL_CACHE_MAX_MB` mebibytes, else 512 MiB.
    pub fn from_env() -> Option<Self> {
        let cache = Self::at(cache_root()?);
        Some(match std::env::var("TRAWL_CACHE_MAX_MB") {
            Ok(mb) => match mb.trim().parse::<u64>() {
                Ok(mb) => cache.with_max_bytes(mb.saturating_mul(1 << 20)),
                Err(e) => {
                    tracing::warn!("ignoring TRAWL_CACHE_MAX_MB={mb:?} ({e}): the cap stays 512 MiB");
                    cache
                }
            },
            Err(_) => cache,
        })
    }

    /// A cache in `dir`, capped at 512 MiB.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into(), max_bytes: DEFAULT_MAX_BYTES }
    }

    /// The same cache with another cap on its entries' total size (0 keeps
    /// only the newest entry).
    pub fn with_max_bytes(self, max_bytes: u64) -> Self {
        Self { max_bytes, ..self }
    }

    /// Loads the compiled form of `wasm`, compiling and storing it on a miss.
    /// Cache trouble (unwritable directory, corrupt entry) falls back to
    /// compiling; only a compile error is an error.
    pub fn load_or_compile(&self, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
        self.load_or_build(engine, wasm, || Ok(std::borrow::Cow::Borrowed(wasm)))
    }

    /// Like [`CompileCache::load_or_compile`] for a component made from
    /// `source` by `build` (a core module adapted into a component): the
    /// entry is keyed by `source`, so a hit skips `build` too.
    pub fn load_or_build<'a>(
        &self,
        engine: &Engine,
        source: &[u8],
        build: impl FnOnce() -> wasmtime::Result<std::borrow::Cow<'a, [u8]>>,
    ) -> wasmtime::Result<Component> {
        let path = self.entry(engine, source);
        if path.exists() {
            // SAFETY: entries are written only by `store` below, from
            // `Component::serialize` with an engine of the same compatibility
            // hash (part of the file name), into a directory private to us,
            // and wasmtime checks the file's structure before using it.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => {
                    touch(&path);
                    return Ok(component);
                }
                Err(e) => {
                    tracing::debug!(path = %path.display(), "discarding unusable cache entry: {e:#}");
                    // The store below replaces it too; removing it first means a
                    // store that fails cannot leave it for the next run.
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, &build()?)?;
        if let Err(e) = self.store(&path, &component) {
            tracing::debug!(dir = %self.dir.display(), "cannot write the compile cache: {e:#}");
        }
        Ok(component)
    }

    fn entry(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut hasher = ShaHasher(Sha256::new());
        hasher.0.update(wasm);
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        self.dir.join(format!("{}.cwasm", hex::encode(hasher.0.finalize())))
    }

    /// Writes `component` to `path` atomically, then evicts.
    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        create_private_dir(&self.dir)?;
        let bytes = component.serialize().map_err(anyhow::Error::from)?;
        // In the same directory, so the rename cannot cross file systems;
        // `persist` renames over an entry another host wrote meanwhile.
        let mut tmp = tempfile::Builder::new().prefix(".tmp").tempfile_in(&self.dir)?;
        tmp.write_all(&bytes)?;
        tmp.persist(path)?;
        self.evict(path);
        Ok(())
    }

    /// Deletes the least recently used entries, never `keep`, until the
    /// rest fit under the cap; and temporary files a dead host left.
    fn evict(&self, keep: &Path) {
        let Ok(listing) = std::fs::read_dir(&self.dir) else { return };
        let now = SystemTime::now();
        let mut entries = Vec::new();
        for file in listing.flatten() {
            let path = file.path();
            let Ok(meta) = file.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            if !meta.is_file() {
                continue;
            }
            if path.extension().is_some_and(|e| e == "cwasm") {
                entries.push((modified, meta.len(), path));
            } else if file.file_name().to_string_lossy().starts_with(".tmp")
                && now.duration_since(modified).is_ok_and(|age| age > STALE_TEMP)
            {
                let _ = std::fs::remove_file(&path);
            }
        }
        let mut total: u64 = entries.iter().map(|(_, len, _)| len).sum();
        entries.sort();
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if path == keep {
                continue;
            }
            // Another host may have evicted it first; on Unix a host that has
            // it loaded keeps its mapping.
            match std::fs::remove_file(&path) {
                Ok(()) => tracing::debug!(path = %path.display(), "evicted from the compile cache"),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    tracing::debug!(path = %path.display(), "cannot evict: {e}");
                    continue;
                }
            }
            total -= len;
        }
    }
}

/// Marks an entry used now, for eviction by least recent use.
fn touch(path: &Path) {
    let touched = std::fs::File::options().write(true).open(path).and_then(|f| f.set_modified(SystemTime::now()));
    if let Err(e) = touched {
        tracing::debug!(path = %path.display(), "cannot refresh the entry's time: {e}");
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Barrier};

    use super::*;

    /// A tiny component whose text, and so whose entry, differs by `n`.
    fn wat(n: usize) -> Vec<u8> {
        format!("(component) ;; {n}").into_bytes()
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|f| f.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    fn valid(engine: &Engine, path: &Path) -> bool {
        // SAFETY: written by the cache under test with this engine.
        unsafe { Component::deserialize_file(engine, path) }.is_ok()
    }

    fn set_age(path: &Path, seconds: u64) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(SystemTime::now() - Duration::from_secs(seconds)).unwrap();
    }

    #[test]
    fn a_miss_stores_and_a_hit_loads_and_refreshes() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = CompileCache::at(dir.path());
        cache.load_or_compile(&engine, &wat(0)).unwrap();
        let path = cache.entry(&engine, &wat(0));
        assert!(valid(&engine, &path));
        set_age(&path, 1000);
        cache.load_or_compile(&engine, &wat(0)).unwrap();
        let age = SystemTime::now().duration_since(std::fs::metadata(&path).unwrap().modified().unwrap());
        assert!(age.unwrap_or_default() < Duration::from_secs(500), "a load makes the entry recent");
        assert_eq!(entries(dir.path()), [path.file_name().unwrap().to_string_lossy()], "no temporary files");
    }

    #[test]
    fn corrupt_entries_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = CompileCache::at(dir.path());
        cache.load_or_compile(&engine, &wat(0)).unwrap();
        let path = cache.entry(&engine, &wat(0));
        let good = std::fs::read(&path).unwrap();
        let garbage = b"garbage, not an ELF file at all".repeat(100);
        for bad in [&good[..good.len() / 2], &good[..16], &garbage[..], &[][..]] {
            std::fs::write(&path, bad).unwrap();
            assert!(!valid(&engine, &path), "wasmtime refuses it");
            cache.load_or_compile(&engine, &wat(0)).unwrap();
            assert!(valid(&engine, &path), "the entry is whole again");
        }
    }

    #[test]
    fn least_recently_used_entries_are_evicted_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let unbounded = CompileCache::at(dir.path());
        let paths: Vec<PathBuf> = (0..4).map(|n| unbounded.entry(&engine, &wat(n))).collect();
        for (n, path) in paths.iter().enumerate().take(3) {
            unbounded.load_or_compile(&engine, &wat(n)).unwrap();
            set_age(path, 1000 - 100 * n as u64);
        }
        let size = std::fs::metadata(&paths[0]).unwrap().len();
        // Room for three and a half entries; the oldest is used again.
        let cache = CompileCache::at(dir.path()).with_max_bytes(size * 7 / 2);
        cache.load_or_compile(&engine, &wat(0)).unwrap();
        // A stale temporary file from a host that died while storing.
        let stale = dir.path().join(".tmpdead");
        std::fs::write(&stale, b"x").unwrap();
        set_age(&stale, 2 * STALE_TEMP.as_secs());
        cache.load_or_compile(&engine, &wat(3)).unwrap();
        let kept: Vec<bool> = paths.iter().map(|p| p.exists()).collect();
        assert_eq!(kept, [true, false, true, true], "entry 1 was the least recently used");
        assert!(!stale.exists());

        // An entry over the cap by itself is still kept, alone.
        let tiny = CompileCache::at(dir.path()).with_max_bytes(0);
        tiny.load_or_compile(&engine, &wat(9)).unwrap();
        assert_eq!(entries(dir.path()), [tiny.entry(&engine, &wat(9)).file_name().unwrap().to_string_lossy()]);
    }

    #[test]
    fn concurrent_stores_of_one_entry_leave_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = CompileCache::at(dir.path());
        let component = Component::new(&engine, wat(0)).unwrap();
        let path = cache.entry(&engine, &wat(0));
        let start = Arc::new(Barrier::new(2));
        std::thread::scope(|s| {
            for _ in 0..2 {
                let (cache, component, path, start) = (&cache, &component, &path, start.clone());
                s.spawn(move || {
                    start.wait();
                    for _ in 0..10 {
                        cache.store(path, component).unwrap();
                    }
                });
            }
            // Meanwhile, every load finds a whole entry or none.
            for _ in 0..20 {
                if path.exists() {
                    cache.load_or_compile(&engine, &wat(0)).unwrap();
                }
            }
        });
        assert!(valid(&engine, &path));
        assert_eq!(entries(dir.path()).len(), 1, "no temporary files left: {:?}", entries(dir.path()));
    }
}
