//! Sharing collectors between teams, against a real OCI registry
//! (Debian's `docker-registry`): push, inspect, pull by tag and digest,
//! run from the cache with the registry gone, the lock file's refusals
//! (new bytes, widened permissions) and signatures (OpenSSH ed25519 keys,
//! checked by `ssh-keygen` too): unsigned, wrong key, tampered bytes;
//! credentials from the docker config; and another OCI client (the `oras`
//! SDK) reading what trawl pushes and the other way round.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trawl_tests::{EXIT_INPUT, OciRegistry, host, host_command, plugin, run_command};

/// `host` with its own, empty compile and component cache.
fn run_uncached(args: &[&str], cache: &Path) -> trawl_tests::Run {
    run_command(host_command(args).env("TRAWL_CACHE_DIR", cache))
}

fn assert_refused(r: &trawl_tests::Run, needles: &[&str]) {
    assert_eq!(r.status, EXIT_INPUT, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "one line: {}", r.stderr);
    for needle in needles {
        assert!(r.stderr.contains(needle), "{needle:?} not in {}", r.stderr);
    }
    assert!(r.stdout.is_empty(), "nothing collected: {}", r.stdout);
}

/// The records of a JSON report, sorted, with where they came from.
fn records(doc: &Value) -> Vec<Value> {
    let mut all: Vec<Value> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["records"].as_array().unwrap().iter().map(|x| serde_json::json!([r["account_id"], r["region"], x]))
        })
        .collect();
    all.sort_by_key(|v| v.to_string());
    all
}

/// A copy of a component with different bytes but the same behaviour: a
/// custom section appended (valid at the top level of a component).
fn rebuilt(from: &Path, to: &Path) {
    let mut bytes = std::fs::read(from).unwrap();
    bytes.extend_from_slice(&[0x00, 0x08, 0x07]);
    bytes.extend_from_slice(b"rebuilt");
    std::fs::write(to, bytes).unwrap();
}

fn push(registry: &OciRegistry, file: &Path, path: &str) -> String {
    let pushed = host(&["plugin", "push", file.to_str().unwrap(), &registry.reference(path), "--registry-insecure"]);
    assert_eq!(pushed.status, 0, "{}", pushed.stderr);
    let pinned = pushed.stdout.trim().to_owned();
    assert!(
        pinned.starts_with(&registry.reference(path.split(':').next().unwrap())) && pinned.contains("@sha256:"),
        "{pinned}"
    );
    pinned
}

#[test]
fn a_pushed_collector_runs_by_tag_and_by_digest_and_from_the_cache_when_the_registry_is_gone() {
    let mut registry = OciRegistry::start();
    let ebs = plugin("ebs");
    let pinned = push(&registry, &ebs, "collectors/ebs:0.1.0");
    let tag = registry.reference("collectors/ebs:0.1.0");

    // What the registry says, without running anything.
    let shown = host(&["inspect", &tag, "--registry-insecure", "--json"]);
    assert_eq!(shown.status, 0, "{}", shown.stderr);
    let shown: Value = serde_json::from_str(&shown.stdout).unwrap();
    assert_eq!(shown["annotations"]["org.opencontainers.image.title"], "ebs");
    assert_eq!(shown["annotations"]["dev.trawl.plugin.permissions"], "ec2:DescribeVolumes");
    assert_eq!(format!("{}@{}", registry.reference("collectors/ebs"), shown["manifest"].as_str().unwrap()), pinned);

    let local = host(&["run", ebs.to_str().unwrap(), "-o", "json"]).json();
    for reference in [&tag, &pinned] {
        let pulled = host(&["run", reference, "--registry-insecure", "-o", "json"]);
        assert_eq!(pulled.status, 0, "{reference}: {}", pulled.stderr);
        assert_eq!(records(&pulled.json()), records(&local), "{reference} collects what the file does");
    }

    registry.stop();
    // Pinned and cached: no registry needed, not even a connection.
    let offline = host(&["run", &pinned, "-o", "json"]);
    assert_eq!(offline.status, 0, "{}", offline.stderr);
    assert_eq!(records(&offline.json()), records(&local));
    // Not cached: one line naming the registry.
    let cache = tempfile::tempdir().unwrap();
    let missing = run_uncached(&["run", &pinned, "--registry-insecure"], cache.path());
    assert_refused(&missing, &[&registry.address, "cannot reach registry"]);
    // A tag always asks the registry (tags move).
    let by_tag = host(&["run", &tag, "--registry-insecure"]);
    assert_refused(&by_tag, &[&registry.address]);
}

#[test]
fn the_lock_file_refuses_new_bytes_and_widened_permissions_until_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("trawl.lock");
    let collector = dir.path().join("collector.wasm");
    std::fs::copy(plugin("ebs"), &collector).unwrap();
    let c = collector.to_str().unwrap();
    let l = lock.to_str().unwrap();

    let locked = host(&["plugin", "lock", c, "--lock", l]);
    assert_eq!(locked.status, 0, "{}", locked.stderr);
    let text = std::fs::read_to_string(&lock).unwrap();
    assert!(
        text.contains("permissions = [\"ec2:DescribeVolumes\"]") && text.contains("scope = \"regional\""),
        "{text}"
    );
    assert_eq!(host(&["run", c, "--lock", l, "-o", "json"]).status, 0);

    // Not in the lock: refused.
    let other = plugin("quotas");
    assert_refused(&host(&["run", other.to_str().unwrap(), "--lock", l]), &["is not in", "host plugin lock"]);

    // New bytes, same permissions: refused, then accepted by --update-lock.
    rebuilt(&plugin("ebs"), &collector);
    assert_refused(&host(&["run", c, "--lock", l]), &[c, "--update-lock", "sha256:"]);
    let accepted = host(&["run", c, "--lock", l, "--update-lock", "-o", "json"]);
    assert_eq!(accepted.status, 0, "{}", accepted.stderr);
    assert_eq!(host(&["run", c, "--lock", l, "-o", "json"]).status, 0, "the lock now holds the new digest");

    // Wider permissions: refused even with --update-lock, naming what was
    // added, until `host plugin lock` accepts them on purpose.
    std::fs::copy(&other, &collector).unwrap();
    for flags in [&[][..], &["--update-lock"][..]] {
        let mut args = vec!["run", c, "--lock", l];
        args.extend(flags);
        let refused = host(&args);
        assert_refused(&refused, &["+servicequotas:ListServiceQuotas", "host plugin lock"]);
    }
    assert_eq!(host(&["plugin", "lock", c, "--lock", l]).status, 0);
    assert_eq!(host(&["run", c, "--lock", l, "-o", "json"]).status, 0);

    // trawl.lock beside --config is used without --lock.
    let config = dir.path().join("run.toml");
    std::fs::write(&config, "plugins = [\"collector.wasm\"]\n").unwrap();
    std::fs::copy(plugin("ebs"), &collector).unwrap();
    assert_refused(&host(&["run", "--config", config.to_str().unwrap()]), &["trawl.lock"]);
}

#[test]
fn a_registry_reference_is_held_to_its_lock_entry() {
    let registry = OciRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let l = dir.path().join("trawl.lock");
    let l = l.to_str().unwrap();
    push(&registry, &plugin("ebs"), "team/collector:stable");
    let tag = registry.reference("team/collector:stable");
    assert_eq!(host(&["plugin", "lock", &tag, "--lock", l, "--registry-insecure"]).status, 0);
    // The tag moves to a plugin that asks for more: the lock keeps the
    // run on the reviewed digest; accepting the move is refused.
    push(&registry, &plugin("quotas"), "team/collector:stable");
    let pinned = host(&["run", &tag, "--lock", l, "--registry-insecure", "-o", "json"]);
    assert_eq!(pinned.status, 0, "{}", pinned.stderr);
    assert_eq!(pinned.json()["plugin"]["name"], "ebs", "the locked digest ran, not the moved tag");
    let moved = host(&["run", &tag, "--lock", l, "--registry-insecure", "--update-lock"]);
    assert_refused(&moved, &["+servicequotas:ListServiceQuotas"]);
}

fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(name);
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key.to_str().unwrap()])
        .status()
        .expect("ssh-keygen");
    assert!(made.success());
    let public = key.with_extension("pub");
    std::fs::rename(dir.join(format!("{name}.pub")), &public).unwrap();
    (key, public)
}

#[test]
fn signatures_are_checked_before_anything_runs_and_ssh_keygen_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "team");
    let (_, stranger) = keygen(dir.path(), "stranger");
    let collector = dir.path().join("ebs.wasm");
    std::fs::copy(plugin("ebs"), &collector).unwrap();
    let c = collector.to_str().unwrap();

    let signed = host(&["plugin", "sign", c, "--key", key.to_str().unwrap()]);
    assert_eq!(signed.status, 0, "{}", signed.stderr);
    let signature = dir.path().join("ebs.wasm.sig");
    // The signature is SSHSIG: ssh-keygen verifies it as it would its own.
    let allowed = dir.path().join("allowed_signers");
    std::fs::write(&allowed, format!("team {}", std::fs::read_to_string(&public).unwrap())).unwrap();
    let verified = Command::new("ssh-keygen")
        .args(["-Y", "verify", "-f", allowed.to_str().unwrap(), "-I", "team", "-n", "trawl-plugin", "-s"])
        .arg(&signature)
        .stdin(std::fs::File::open(&collector).unwrap())
        .output()
        .unwrap();
    assert!(verified.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&verified.stderr));

    let trust = public.to_str().unwrap();
    assert_eq!(host(&["run", c, "--trust", trust, "-o", "json"]).status, 0);
    // `[trust] keys` in the config does the same.
    let config = dir.path().join("run.toml");
    std::fs::write(&config, "plugins = [\"ebs.wasm\"]\n[trust]\nkeys = [\"team.pub\"]\n").unwrap();
    assert_eq!(host(&["run", "--config", config.to_str().unwrap(), "-o", "json"]).status, 0);

    // Before any cloud call: AWS at an endpoint nobody listens on would
    // fail differently if anything were asked of it first.
    let dead = "http://127.0.0.1:9";
    let aws = ["--aws", "--endpoint-url", dead];
    let refuse = |args: &[&str], needles: &[&str]| {
        let mut all = vec!["run"];
        all.extend(args);
        all.extend(aws);
        let r = run_command(
            host_command(&all)
                .env("AWS_ACCESS_KEY_ID", "AKIA111111111111AAAA")
                .env("AWS_SECRET_ACCESS_KEY", "secret")
                .env("AWS_REGION", "us-east-1"),
        );
        assert_refused(&r, needles);
    };
    refuse(&[c, "--trust", stranger.to_str().unwrap()], &[c, "not a trusted key", "SHA256:"]);
    let unsigned = plugin("quotas");
    refuse(&[unsigned.to_str().unwrap(), "--trust", trust], &["quotas.wasm", "not signed"]);
    rebuilt(&plugin("ebs"), &collector);
    refuse(&[c, "--trust", trust], &[c, "does not match its bytes"]);
    // A signature made for something else is not a plugin signature.
    std::fs::remove_file(&signature).unwrap();
    let other =
        Command::new("ssh-keygen").args(["-Y", "sign", "-n", "git", "-f", key.to_str().unwrap(), c]).output().unwrap();
    assert!(other.status.success());
    refuse(&[c, "--trust", trust], &["\"git\"", "not a trawl plugin"]);
}

#[test]
fn signatures_travel_with_the_component_through_the_registry() {
    let registry = OciRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let (key, public) = keygen(dir.path(), "team");
    let collector = dir.path().join("ebs.wasm");
    std::fs::copy(plugin("ebs"), &collector).unwrap();
    assert_eq!(host(&["plugin", "sign", collector.to_str().unwrap(), "--key", key.to_str().unwrap()]).status, 0);
    let pinned = push(&registry, &collector, "signed/ebs:1");
    let trust = public.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let ok = run_uncached(&["run", &pinned, "--trust", trust, "--registry-insecure", "-o", "json"], cache.path());
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    push(&registry, &plugin("quotas"), "unsigned/quotas:1");
    let unsigned = host(&["run", &registry.reference("unsigned/quotas:1"), "--trust", trust, "--registry-insecure"]);
    assert_refused(&unsigned, &["unsigned/quotas:1", "not signed"]);
}

#[test]
fn bad_references_are_one_line_errors() {
    for (bad, why) in [
        ("oci://127.0.0.1:5000/collectors/ebs", "give a tag"),
        ("oci://127.0.0.1:5000/Collectors/ebs:1", "lowercase"),
        ("https://example.com/ebs.wasm", "oci://"),
    ] {
        let r = host(&["run", bad]);
        assert_refused(&r, &[why]);
    }
}

#[test]
fn credentials_come_from_the_docker_config() {
    let password_hash = bcrypt::hash("s3cret", 4).unwrap();
    let registry = OciRegistry::start_with_users(&format!("alice:{password_hash}"));
    let docker = |user_pass: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        if let Some(user_pass) = user_pass {
            use base64::Engine as _;
            let auth = base64::engine::general_purpose::STANDARD.encode(user_pass);
            let config = serde_json::json!({"auths": {registry.address.as_str(): {"auth": auth}}});
            std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();
        }
        dir
    };
    let (none, wrong, right) = (docker(None), docker(Some("alice:nope")), docker(Some("alice:s3cret")));
    let ebs = plugin("ebs");
    let reference = registry.reference("private/ebs:1");
    let push = |config: &Path| {
        run_command(
            host_command(&["plugin", "push", ebs.to_str().unwrap(), &reference, "--registry-insecure"])
                .env("DOCKER_CONFIG", config),
        )
    };
    for config in [none.path(), wrong.path()] {
        assert_refused(&push(config), &[&registry.address, "docker login"]);
    }
    assert_eq!(push(right.path()).status, 0);
    let pull = |config: &Path| {
        let cache = tempfile::tempdir().unwrap();
        run_command(
            host_command(&["run", &reference, "--registry-insecure", "-o", "json"])
                .env("DOCKER_CONFIG", config)
                .env("TRAWL_CACHE_DIR", cache.path()),
        )
    };
    assert_refused(&pull(none.path()), &[&registry.address, "docker login"]);
    let pulled = pull(right.path());
    assert_eq!(pulled.status, 0, "{}", pulled.stderr);
    assert_eq!(pulled.json()["plugin"]["name"], "ebs");
}

/// Runs a Python snippet with the `oras` SDK (PyPI), another OCI client.
fn oras(script: &str, args: &[&str]) -> String {
    let output = Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3");
    assert!(output.status.success(), "oras: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn other_oci_tools_read_what_trawl_pushes_and_trawl_runs_what_they_push() {
    let registry = OciRegistry::start();
    let dir = tempfile::tempdir().unwrap();
    let ebs = plugin("ebs");
    // trawl pushes, oras pulls the component back byte for byte.
    push(&registry, &ebs, "mine/ebs:1");
    let pulled = oras(
        "import sys, oras.client\n\
         print('\\n'.join(oras.client.OrasClient(insecure=True).pull(target=sys.argv[1], outdir=sys.argv[2])))",
        &[&format!("{}/mine/ebs:1", registry.address), dir.path().to_str().unwrap()],
    );
    let file = PathBuf::from(pulled.trim());
    assert_eq!(file.file_name().unwrap(), "ebs.wasm", "the layer carries its file name");
    assert_eq!(std::fs::read(&file).unwrap(), std::fs::read(&ebs).unwrap());
    // oras pushes in the Wasm OCI Artifact layout; trawl runs it.
    let config = dir.path().join("config.json");
    std::fs::write(&config, r#"{"architecture": "wasm", "os": "wasip2", "layerDigests": []}"#).unwrap();
    oras(
        "import sys, oras.client\n\
         oras.client.OrasClient(insecure=True).push(target=sys.argv[1], files=[sys.argv[2] + ':application/wasm'], \
         manifest_config=sys.argv[3] + ':application/vnd.wasm.config.v0+json', disable_path_validation=True)",
        &[&format!("{}/theirs/ebs:1", registry.address), ebs.to_str().unwrap(), config.to_str().unwrap()],
    );
    let theirs = host(&["run", &registry.reference("theirs/ebs:1"), "--registry-insecure", "-o", "json"]);
    assert_eq!(theirs.status, 0, "{}", theirs.stderr);
    assert_eq!(records(&theirs.json()), records(&host(&["run", ebs.to_str().unwrap(), "-o", "json"]).json()));
    // Something that is not a component artifact is refused by name.
    let image_config = dir.path().join("image.json");
    std::fs::write(&image_config, "{}").unwrap();
    oras(
        "import sys, oras.client\n\
         oras.client.OrasClient(insecure=True).push(target=sys.argv[1], files=[sys.argv[2] + ':application/wasm'], \
         manifest_config=sys.argv[3] + ':application/vnd.oci.image.config.v1+json', disable_path_validation=True)",
        &[&format!("{}/image/ebs:1", registry.address), ebs.to_str().unwrap(), image_config.to_str().unwrap()],
    );
    let refused = host(&["run", &registry.reference("image/ebs:1"), "--registry-insecure"]);
    assert_refused(&refused, &["image/ebs:1", "not a WebAssembly component artifact"]);
}
