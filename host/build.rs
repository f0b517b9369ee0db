//! Embeds what `host new` writes: the collector templates (`templates/`)
//! and the plugin SDKs in every language (the Rust SDK with its error
//! codes, the Python and JavaScript SDKs, the WIT contract), so a host
//! binary far from this checkout can still start a collector that builds.
//!
//! The Rust SDK's manifests inherit from this workspace; they are written
//! out standalone (versions, edition, dependencies resolved) so the
//! unpacked SDK builds on its own.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What goes into the embedded SDK, relative to the workspace root.
const SDK_DIRS: &[&str] = &[
    "wit",
    "error-codes/src",
    "plugin-sdk/src",
    "plugin-sdk-python/trawl_sdk",
    "plugin-sdk-js/src",
    "plugin-sdk-js/wit",
];
const SDK_FILES: &[&str] = &[
    "plugin-sdk-python/pyproject.toml",
    "plugin-sdk-python/README.md",
    "plugin-sdk-js/package.json",
    "plugin-sdk-js/package-lock.json",
    "plugin-sdk-js/README.md",
    "plugin-sdk-js/build.mjs",
];
/// Manifests that inherit from the workspace, written out standalone.
const RUST_MANIFESTS: &[&str] = &["plugin-sdk/Cargo.toml", "error-codes/Cargo.toml"];

fn main() {
    let host = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = host.parent().unwrap().to_owned();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let workspace: toml::Table = read(&root.join("Cargo.toml")).parse().expect("the workspace manifest parses");

    let mut sdk = Vec::new();
    for dir in SDK_DIRS {
        collect(&root, &root.join(dir), &mut sdk);
        println!("cargo:rerun-if-changed={}", root.join(dir).display());
    }
    for file in SDK_FILES {
        sdk.push((file.to_string(), root.join(file)));
        println!("cargo:rerun-if-changed={}", root.join(file).display());
    }
    for manifest in RUST_MANIFESTS {
        let standalone = standalone_manifest(&workspace, &read(&root.join(manifest)));
        let written = out.join(manifest.replace('/', "-"));
        std::fs::write(&written, standalone).unwrap();
        sdk.push((manifest.to_string(), written));
        println!("cargo:rerun-if-changed={}", root.join(manifest).display());
    }
    println!("cargo:rerun-if-changed={}", root.join("Cargo.toml").display());

    let templates_dir = host.join("templates");
    let mut templates = Vec::new();
    collect(&templates_dir, &templates_dir, &mut templates);
    println!("cargo:rerun-if-changed={}", templates_dir.display());

    let mut code = String::new();
    for (name, files) in [("SDK_FILES", &mut sdk), ("TEMPLATE_FILES", &mut templates)] {
        files.sort();
        writeln!(code, "/// Embedded files: path, contents.").unwrap();
        writeln!(code, "pub static {name}: &[(&str, &[u8])] = &[").unwrap();
        for (path, source) in files.iter() {
            writeln!(code, "    ({path:?}, include_bytes!({:?})),", source.display().to_string()).unwrap();
        }
        writeln!(code, "];").unwrap();
    }
    std::fs::write(out.join("embedded.rs"), code).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every file under `dir`, named relative to `base`, leaving out what
/// tools leave behind (caches, builds, dependencies, components).
fn collect(base: &Path, dir: &Path, into: &mut Vec<(String, PathBuf)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let generated = ["node_modules", "__pycache__", "target", "build", ".pytest_cache"].contains(&name.as_str())
            || [".pyc", ".wasm", ".egg-info"].iter().any(|ext| name.ends_with(ext));
        if generated {
            continue;
        }
        if path.is_dir() {
            collect(base, &path, into);
        } else {
            let relative = path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/");
            into.push((relative, path));
        }
    }
}

/// `manifest` with every `x.workspace = true` replaced by the
/// workspace's value; path dependencies stay relative to the workspace
/// root's layout, which the unpacked SDK keeps.
fn standalone_manifest(workspace: &toml::Table, manifest: &str) -> String {
    let mut doc: toml::Table = manifest.parse().expect("a member manifest parses");
    let ws = workspace["workspace"].as_table().unwrap();
    let package_defaults = ws["package"].as_table().unwrap();
    let dependency_defaults = ws["dependencies"].as_table().unwrap();
    if let Some(toml::Value::Table(package)) = doc.get_mut("package") {
        for (key, value) in package.iter_mut() {
            if is_inherited(value) {
                *value = package_defaults[key].clone();
            }
        }
    }
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(toml::Value::Table(dependencies)) = doc.get_mut(section) else { continue };
        for (name, value) in dependencies.iter_mut() {
            if !is_inherited(value) {
                continue;
            }
            let mut resolved = dependency_defaults[name].clone();
            // `path = "error-codes"` is relative to the workspace root; the
            // member sits one folder down.
            if let Some(toml::Value::String(path)) = resolved.get_mut("path") {
                *path = format!("../{path}");
            }
            *value = resolved;
        }
    }
    // Standalone: never taken for a member of whatever workspace it lands in.
    doc.insert("workspace".into(), toml::Value::Table(toml::Table::new()));
    doc.to_string()
}

fn is_inherited(value: &toml::Value) -> bool {
    value.get("workspace").and_then(toml::Value::as_bool) == Some(true)
}
