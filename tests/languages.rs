//! Collectors in every language the host takes: Rust for wasm32-wasip2,
//! Rust for wasm32-wasip1 (a core module the host adapts), Python through
//! componentize-py and JavaScript through componentize-js. The same EBS
//! collector in each gives the same report; each SDK's own tests pass;
//! what the SDKs copy from the Rust side (the WIT, the AccessDenied
//! family) has not drifted; and `host new` gives, in each language, a
//! collector that builds, runs and tests as its README says.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use trawl_tests::{host, plugin, repository, target_dir};

/// The parts of a JSON report that must not depend on the language:
/// per target its status, error code, totals and records (as a set).
fn outcome(doc: &Value) -> Value {
    let mut results: Vec<Value> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut records: Vec<String> = r["records"].as_array().unwrap().iter().map(Value::to_string).collect();
            records.sort();
            json!([r["account_id"], r["region"], r["status"], r["error"]["code"], r["totals"], records])
        })
        .collect();
    results.sort_by_key(Value::to_string);
    json!({"results": results, "totals": doc["summary"]["totals"], "records": doc["summary"]["records"]})
}

/// A collector a language's toolchain built (`cargo xtask setup` installs
/// them, `cargo xtask plugins` builds them).
fn built(name: &str) -> PathBuf {
    let path = target_dir().join("plugins").join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} was not built: install the Python and JavaScript toolchains with `cargo xtask setup`",
        path.display()
    );
    plugin(name)
}

fn run_json(plugin: &Path, args: &[&str]) -> Value {
    let mut all = vec!["run", plugin.to_str().unwrap(), "-o", "json"];
    all.extend_from_slice(args);
    let run = host(&all);
    assert_eq!(run.status, 0, "{}: {}", plugin.display(), run.stderr);
    run.json()
}

#[test]
fn the_ebs_collector_gives_one_report_in_every_language() {
    let rust = plugin("ebs");
    let others = [plugin("ebs.wasip1"), built("ebs-py"), built("ebs-js")];
    // The demo cloud, then 400 generated targets at the default 20
    // workers: every target succeeds in every language.
    for args in [&[][..], &["--sim-generate", "accounts=100,regions=4,volumes=12"]] {
        let expected = run_json(&rust, args);
        for other in &others {
            let doc = run_json(other, args);
            assert_eq!(doc["summary"]["failed"], 0, "{}: {}", other.display(), doc["summary"]);
            assert_eq!(outcome(&doc), outcome(&expected), "{} differs from the Rust collector", other.display());
        }
        assert!(expected["summary"]["total"].as_u64().unwrap() >= if args.is_empty() { 12 } else { 400 });
    }
}

/// Runs `program args` in `dir`; fails the test with its output.
fn succeeds(program: &str, args: &[&str], dir: &Path, env: &[(&str, &Path)]) -> String {
    let mut command = Command::new(program);
    command.args(args).current_dir(dir);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = command.output().unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{program} {args:?} in {}:\n{text}", dir.display());
    text
}

#[test]
fn the_python_and_javascript_sdks_pass_their_own_tests() {
    let root = repository();
    let python_sdk = root.join("plugin-sdk-python");
    let sdk_path = [("PYTHONPATH", python_sdk.as_path())];
    succeeds("python3", &["-m", "unittest", "discover", "-s", "tests"], &python_sdk, &sdk_path);
    succeeds("python3", &["-m", "unittest", "discover", "-s", "."], &root.join("plugins/python/ebs"), &sdk_path);
    succeeds("node", &["--test", "test/"], &root.join("plugin-sdk-js"), &[]);
    succeeds("node", &["--test", "test/"], &root.join("plugins/js/ebs"), &[]);
}

/// The SDKs carry copies of what the Rust side defines; a change there
/// without them fails here.
#[test]
fn what_the_sdks_copy_from_the_rust_side_has_not_drifted() {
    let root = repository();
    let wit = std::fs::read(root.join("wit/collector.wit")).unwrap();
    for copy in ["plugin-sdk-python/trawl_sdk/wit/collector.wit", "plugin-sdk-js/wit/collector.wit"] {
        assert!(std::fs::read(root.join(copy)).unwrap() == wit, "{copy} differs from wit/collector.wit");
    }
    succeeds("python3", &["plugin-sdk-python/generate_error_codes.py", "--check"], &root, &[]);
    succeeds("node", &["plugin-sdk-js/generate_error_codes.mjs", "--check"], &root, &[]);
}

/// `host new` in each language, then the commands it printed, as a new
/// author would type them: records on the screen, and the template's own
/// tests passing.
#[test]
fn host_new_gives_collectors_that_build_run_and_test() {
    let place = tempfile::tempdir().unwrap();
    let sdk = place.path().join("sdk");
    // Rust builds share a target directory across runs of this test.
    let rust_target = target_dir().join("host-new-test");
    for (language, name) in [("rust", "rusty-volumes"), ("python", "py-volumes"), ("js", "js-volumes")] {
        let mut new = trawl_tests::host_command(&["new", name, "--lang", language]);
        new.current_dir(place.path()).env("TRAWL_SDK_DIR", &sdk);
        let made = trawl_tests::run_command(&mut new);
        assert_eq!(made.status, 0, "{}", made.stderr);
        // The printed commands: `cd NAME`, build, run; then the test command.
        let commands: Vec<&str> = made.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        let build = commands[2];
        let test = made.stdout.lines().find_map(|l| l.strip_prefix("test it without building: ")).unwrap();
        let dir = place.path().join(name);
        let env = [("CARGO_TARGET_DIR", rust_target.as_path())];
        succeeds("sh", &["-c", build], &dir, &env);
        succeeds("sh", &["-c", test], &dir, &env);
        let wasm = match language {
            "rust" => rust_target.join("wasm32-wasip2/release/rusty_volumes.wasm"),
            _ => dir.join(format!("{name}.wasm")),
        };
        let doc = run_json(&wasm, &[]);
        assert_eq!(doc["plugin"]["name"], name);
        assert!(doc["summary"]["records"].as_u64().unwrap() > 0, "{language}: {}", doc["summary"]);
        assert_eq!(doc["summary"]["succeeded"], 11, "{language}: {}", doc["summary"]);
        // Its setting works as its README says.
        let bigger = run_json(&wasm, &["--set", &format!("{name}.min_size_gib=500")]);
        assert!(bigger["summary"]["records"].as_u64() < doc["summary"]["records"].as_u64(), "{language}");
    }
}
