//! `host new`: a collector to start from, in Rust, Python or JavaScript,
//! and the SDK it builds against.
//!
//! The templates and the SDKs of every language are embedded in the
//! binary (see `build.rs`), so `host new` works wherever the binary is.
//! The SDKs are unpacked once per SDK version into a data folder
//! (`$TRAWL_SDK_DIR`, else `$XDG_DATA_HOME/trawl`, else
//! `~/.local/share/trawl`), and the new collector refers to them there.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::runtime::Scope;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// The language of a new collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    /// A Rust crate built for wasm32-wasip2.
    Rust,
    /// A Python app built with componentize-py.
    Python,
    /// A JavaScript module built with componentize-js.
    Js,
}

impl Language {
    fn template(self) -> &'static str {
        match self {
            Self::Rust => "rust/",
            Self::Python => "python/",
            Self::Js => "js/",
        }
    }
}

/// What `host new` made: where, and the commands that build and run it.
#[derive(Debug)]
pub struct Created {
    /// The new collector's folder.
    pub dir: PathBuf,
    /// The command that builds it (run in `dir`).
    pub build: String,
    /// The command that runs it over the demo cloud (run in `dir`).
    pub run: String,
    /// The command that runs its tests natively (run in `dir`).
    pub test: String,
}

/// Writes a new collector named `name` into `dir` (which must not exist,
/// or be empty), against the SDK unpacked under `sdk_base` (see
/// [`sdk_base`]). `host` is how the operator calls the host, for the
/// commands shown.
pub fn create(
    dir: &Path,
    name: &str,
    language: Language,
    scope: Scope,
    host: &str,
    sdk_base: &Path,
) -> Result<Created, String> {
    let name_ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        return Err(format!(
            "{name:?} cannot name a collector: use 1-64 characters of a-z, 0-9, - and _, starting with a letter"
        ));
    }
    if dir.exists() && std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_some()) {
        return Err(format!("{} already exists and is not empty", dir.display()));
    }
    let sdk = unpack_sdk(sdk_base)?;
    let language_sdk = match language {
        Language::Rust => sdk.clone(),
        Language::Python => sdk.join("plugin-sdk-python"),
        Language::Js => sdk.join("plugin-sdk-js"),
    };
    let crate_name = name.replace('-', "_");
    let (scope_camel, scope_upper) = match scope {
        Scope::Regional => ("Regional", "REGIONAL"),
        Scope::Account => ("Account", "ACCOUNT"),
        Scope::Organization => ("Organization", "ORGANIZATION"),
    };
    let type_name: String = name
        .split(['-', '_'])
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect();
    let values = [
        ("{{name}}", name),
        ("{{crate_name}}", &crate_name),
        ("{{type_name}}", &type_name),
        ("{{scope_camel}}", scope_camel),
        ("{{scope_upper}}", scope_upper),
        ("{{sdk_path}}", &language_sdk.display().to_string()),
        ("{{host}}", host),
    ];
    let prefix = language.template();
    for (path, contents) in embedded::TEMPLATE_FILES.iter().filter(|(p, _)| p.starts_with(prefix)) {
        let mut text = String::from_utf8(contents.to_vec()).map_err(|_| format!("template {path} is not text"))?;
        for (placeholder, value) in values {
            text = text.replace(placeholder, value);
        }
        let dest = dir.join(&path[prefix.len()..]);
        write(&dest, text.as_bytes())?;
    }
    let wasm = format!("{name}.wasm");
    let (build, run, test) = match language {
        Language::Rust => (
            "cargo build --target wasm32-wasip2 --release".to_owned(),
            format!("{host} run target/wasm32-wasip2/release/{crate_name}.wasm"),
            "cargo test".to_owned(),
        ),
        Language::Python => (
            format!(
                "python3 -m pip install -q {} && python3 -m trawl_sdk build app.py -o {wasm}",
                language_sdk.display()
            ),
            format!("{host} run {wasm}"),
            "python3 -m unittest".to_owned(),
        ),
        Language::Js => {
            ("npm install && npm run build".to_owned(), format!("{host} run {wasm}"), "npm test".to_owned())
        }
    };
    Ok(Created { dir: dir.to_owned(), build, run, test })
}

/// Where SDKs are unpacked: `$TRAWL_SDK_DIR`, else `$XDG_DATA_HOME/trawl`,
/// else `~/.local/share/trawl`.
pub fn sdk_base() -> Result<PathBuf, String> {
    match std::env::var_os("TRAWL_SDK_DIR") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(data_home().ok_or("no home folder to unpack the SDK into: set TRAWL_SDK_DIR")?.join("trawl")),
    }
}

/// Where the embedded SDKs of this binary are under `base` (unpacking
/// them the first time): one folder per content, so binaries of different
/// versions never share one.
pub fn unpack_sdk(base: &Path) -> Result<PathBuf, String> {
    let mut hash = Sha256::new();
    for (path, contents) in embedded::SDK_FILES {
        hash.update(path.as_bytes());
        hash.update((contents.len() as u64).to_le_bytes());
        hash.update(contents);
    }
    let dir = base.join(format!("sdk-{}-{}", env!("CARGO_PKG_VERSION"), &hex::encode(hash.finalize())[..12]));
    if dir.join(".complete").exists() {
        return Ok(dir);
    }
    // Written beside, then renamed: a folder is whole or absent.
    std::fs::create_dir_all(base).map_err(|e| format!("{}: {e}", base.display()))?;
    let staging =
        tempfile::Builder::new().prefix(".sdk-").tempdir_in(base).map_err(|e| format!("{}: {e}", base.display()))?;
    for (path, contents) in embedded::SDK_FILES {
        write(&staging.path().join(path), contents)?;
    }
    write(&staging.path().join(".complete"), b"")?;
    match std::fs::rename(staging.path(), &dir) {
        Ok(()) => {
            // The folder is in place: nothing left for the guard to delete.
            std::mem::forget(staging);
            Ok(dir)
        }
        // Another `host new` unpacked the same SDK meanwhile.
        Err(_) if dir.join(".complete").exists() => Ok(dir),
        Err(e) => Err(format!("{}: {e}", dir.display())),
    }
}

fn data_home() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
}

fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, contents).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_gets_its_files_with_no_placeholder_left() {
        let sdk = tempfile::tempdir().unwrap();
        for language in [Language::Rust, Language::Python, Language::Js] {
            let place = tempfile::tempdir().unwrap();
            let dir = place.path().join("my-collector");
            let created = create(&dir, "my-collector", language, Scope::Account, "host", sdk.path()).unwrap();
            let mut files = 0;
            for entry in walk(&dir) {
                let text = std::fs::read_to_string(&entry).unwrap();
                assert!(!text.contains("{{"), "{} keeps a placeholder", entry.display());
                files += 1;
            }
            assert!(files >= 3, "{language:?}: {files} files");
            assert!(created.run.contains("my-collector.wasm") || created.run.contains("my_collector.wasm"));
        }
        let unpacked = unpack_sdk(sdk.path()).unwrap();
        let manifest = std::fs::read_to_string(unpacked.join("plugin-sdk/Cargo.toml")).unwrap();
        assert!(!manifest.contains("workspace = true"), "{manifest}");
        assert!(manifest.contains("../error-codes"), "{manifest}");
        assert!(unpacked.join("wit/collector.wit").exists() && unpacked.join("plugin-sdk-python/trawl_sdk").is_dir());
        let bad =
            create(&sdk.path().join("x"), "Bad Name", Language::Rust, Scope::Regional, "host", sdk.path()).unwrap_err();
        assert!(bad.contains("cannot name a collector"), "{bad}");
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { out.extend(walk(&path)) } else { out.push(path) }
        }
        out
    }
}
