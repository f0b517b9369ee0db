//! What pulling and verifying cost a cached run's start: loading the EBS
//! collector from its file against loading it from an `oci://` reference
//! pinned by digest (served from the component cache), with its SSHSIG
//! signature checked against a trusted key and its lock entry checked.
//! A real registry (Debian's `docker-registry`) receives the push first.
//!
//! Run with `cargo xtask bench` (builds the plugin, then this in release).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use trawl_host::distribution::registry::Registry;
use trawl_host::distribution::{LockFile, PluginPolicy, PluginSource, TrustedKey, digest_of, load_plugins, signing};
use trawl_host::runtime::RuntimeConfig;

const ROUNDS: usize = 21;

fn plugin_path() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/plugins/ebs.wasm");
    assert!(path.exists(), "{} missing: run `cargo xtask bench`", path.display());
    path
}

fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    if Command::new("docker-registry").arg("--version").output().is_err() {
        println!("distribution: skipped (no docker-registry; .ci/run installs Debian's package)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    // SAFETY: set before any thread of this process reads the environment.
    unsafe { std::env::set_var("TRAWL_CACHE_DIR", work.path().join("cache")) };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let address = format!("127.0.0.1:{port}");
    let config = work.path().join("registry.yml");
    std::fs::write(
        &config,
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
            work.path().join("data").display()
        ),
    )
    .unwrap();
    let mut registry_process = Command::new("docker-registry")
        .args(["serve", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let key = work.path().join("team");
    let made = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status().unwrap();
    assert!(made.success());

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let wasm = std::fs::read(plugin_path()).unwrap();
    let signature = signing::sign(&wasm, &key).unwrap();
    let reference = format!("{address}/bench/ebs:1").parse().unwrap();
    let registry = Registry::new(vec![address.clone()]).unwrap();
    let manifest = rt.block_on(async {
        for _ in 0..100 {
            if std::net::TcpStream::connect(&address).is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let annotations = BTreeMap::from([("org.opencontainers.image.title".to_owned(), "ebs".to_owned())]);
        let manifest =
            registry.push(&reference, wasm.clone(), "ebs.wasm", annotations, serde_json::json!({})).await.unwrap();
        registry.push_signature(&reference, &digest_of(&wasm), &signature).await.unwrap();
        manifest
    });
    let pinned = PluginSource::Oci(reference.at_digest(&manifest));

    // Each load builds its runtime (engine, pool) once its components are
    // fetched, file and cache alike.
    let config = RuntimeConfig { max_instances: 4, ..RuntimeConfig::default() };
    let lock = work.path().join("trawl.lock");
    let trust = vec![TrustedKey::read(&key.with_extension("pub")).unwrap()];
    let policy = PluginPolicy {
        lock: Some(lock.clone()),
        trust: trust.clone(),
        insecure_registries: vec![address.clone()],
        ..PluginPolicy::default()
    };
    rt.block_on(async {
        // The first pull fills the component cache; the lock is written from it.
        let first = PluginPolicy { update_lock: true, accept_permissions: true, ..policy.clone() };
        load_plugins(config.clone(), std::slice::from_ref(&pinned), &first).await.unwrap();
    });
    assert_eq!(LockFile::read(&lock).unwrap().plugins.len(), 1);
    // From here on nothing may reach the registry.
    let _ = registry_process.kill();
    let _ = registry_process.wait();

    let file = PluginSource::File(plugin_path());
    let (mut from_file, mut from_cache) = (Vec::new(), Vec::new());
    rt.block_on(async {
        for _ in 0..ROUNDS {
            let started = Instant::now();
            load_plugins(config.clone(), std::slice::from_ref(&file), &PluginPolicy::default()).await.unwrap();
            from_file.push(started.elapsed());
            let started = Instant::now();
            load_plugins(config.clone(), std::slice::from_ref(&pinned), &policy).await.unwrap();
            from_cache.push(started.elapsed());
        }
    });
    let (file_ms, cache_ms) = (median_ms(from_file), median_ms(from_cache));
    let added = cache_ms - file_ms;
    println!(
        "distribution: EBS collector ({} KiB), {ROUNDS} rounds, medians, registry stopped after the first pull",
        wasm.len() / 1024
    );
    println!("  load from the file, no policy                      {file_ms:7.2} ms");
    println!("  load oci://...@sha256 from the cache, signature");
    println!("    checked against a trusted key, lock entry held   {cache_ms:7.2} ms");
    println!(
        "  pulling (cached) and verifying add                 {added:7.2} ms   target <= 50 ms: {}",
        if added <= 50.0 { "met" } else { "MISSED" }
    );
}
