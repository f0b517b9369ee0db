//! Helpers for the end-to-end tests: build the real `host` binary and the
//! plugins once per test binary (through `cargo xtask plugins`, the same
//! command plugin authors use), run them, and parse what they print.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

/// Exit status for input errors, as `host --help` documents.
pub const EXIT_INPUT: i32 = 2;
/// Exit status when some targets failed.
pub const EXIT_TARGETS_FAILED: i32 = 3;

struct Artifacts {
    host: PathBuf,
    plugins: PathBuf,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

fn cargo(args: &[&str]) {
    let status = Command::new(env!("CARGO")).args(args).current_dir(root()).status().expect("running cargo");
    assert!(status.success(), "cargo {} failed", args.join(" "));
}

/// Cargo's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

fn artifacts() -> &'static Artifacts {
    static BUILT: OnceLock<Artifacts> = OnceLock::new();
    BUILT.get_or_init(|| {
        // Cheap when up to date: cargo releases its lock once the tests
        // are compiled, and these are no-ops after the first test binary.
        cargo(&["build", "--quiet", "--package", "trawl-host", "--bin", "host"]);
        cargo(&["xtask", "plugins"]);
        let target = target_dir();
        Artifacts { host: target.join("debug/host"), plugins: target.join("plugins") }
    })
}

/// The built component of plugin `name` (e.g. `ebs`, `hostile`).
pub fn plugin(name: &str) -> PathBuf {
    let path = artifacts().plugins.join(format!("{name}.wasm"));
    assert!(path.exists(), "{} was not built", path.display());
    path
}

/// What one `host` invocation did.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub status: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Stdout as one JSON document.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// The real `host` binary with `args`, ready to spawn: a compile cache
/// shared by every test process of the run (under the target directory,
/// so a Python component is compiled once, not once per test binary), no
/// inherited log settings, and none of the machine's AWS settings (no
/// credentials, profiles, endpoint, or instance metadata to wait for); a
/// test sets what it means to use.
pub fn host_command(args: &[&str]) -> Command {
    static CACHE: OnceLock<PathBuf> = OnceLock::new();
    let cache = CACHE.get_or_init(|| {
        let dir = target_dir().join("test-compile-cache");
        std::fs::create_dir_all(&dir).unwrap();
        dir
    });
    let mut command = Command::new(&artifacts().host);
    command.args(args).env("TRAWL_CACHE_DIR", cache).env_remove("TRAWL_LOG");
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(|n| n.starts_with("AWS_")) {
            command.env_remove(name);
        }
    }
    let empty = target_dir().join("test-empty-aws-file");
    if !empty.exists() {
        std::fs::write(&empty, "").unwrap();
    }
    command
        .env("AWS_CONFIG_FILE", &empty)
        .env("AWS_SHARED_CREDENTIALS_FILE", &empty)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// Runs the real `host` binary with `args` (no terminal: output is JSON
/// unless asked otherwise).
pub fn host(args: &[&str]) -> Run {
    run_command(&mut host_command(args))
}

/// Runs `command` (a [`host_command`] with more settings) to the end.
pub fn run_command(command: &mut Command) -> Run {
    let Output { status, stdout, stderr } = command.output().expect("running host");
    Run {
        status: status.code().expect("host was killed by a signal"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// The results of a JSON report keyed by `account_name/region`.
pub fn results_by_place(doc: &Value) -> std::collections::BTreeMap<String, Value> {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| (format!("{}/{}", r["account_name"].as_str().unwrap(), r["region"].as_str().unwrap()), r.clone()))
        .collect()
}

/// A fixture organisation written to a temporary file.
pub fn fixture(org: &Value) -> tempfile::NamedTempFile {
    let file = tempfile::Builder::new().suffix(".json").tempfile().unwrap();
    std::fs::write(file.path(), serde_json::to_vec_pretty(org).unwrap()).unwrap();
    file
}

/// `host sim serve` on a free port with extra simulator flags, stopped
/// when dropped.
pub struct SimServer {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
}

impl SimServer {
    /// Starts a server with `args` (simulator flags).
    pub fn start(args: &[&str]) -> Self {
        let mut all = vec!["sim", "serve", "--port", "0"];
        all.extend_from_slice(args);
        let mut child = host_command(&all).stdout(Stdio::piped()).spawn().unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut url).unwrap();
        Self { child, url: url.trim().to_owned() }
    }

    /// `host run PLUGIN --aws` against this server, signed with
    /// `access_key` (the simulator picks the account from it), with `args`.
    pub fn run(&self, plugin: &str, access_key: &str, args: &[&str]) -> Command {
        run_against(&self.url, plugin, access_key, args)
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `host run PLUGIN --aws --endpoint-url URL`, JSON output, signed with
/// `access_key`, with `args`.
pub fn run_against(url: &str, plugin: &str, access_key: &str, args: &[&str]) -> Command {
    let plugin = self::plugin(plugin);
    let mut all = vec!["run", plugin.to_str().unwrap(), "--aws", "--endpoint-url", url, "--output", "json"];
    all.extend_from_slice(args);
    let mut command = host_command(&all);
    command.env("AWS_ACCESS_KEY_ID", access_key).env("AWS_SECRET_ACCESS_KEY", "any");
    command
}

/// A TCP proxy on loopback that forwards every connection to `upstream`
/// and keeps every byte the clients sent: what a server really received,
/// headers and bodies, whatever the client meant to send.
pub struct RecordingProxy {
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub url: String,
    received: Arc<Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    /// A proxy in front of `upstream` (`http://HOST:PORT`).
    pub fn start(upstream: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received: Arc<Mutex<Vec<u8>>> = Arc::default();
        let log = received.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                let (mut from_client, mut to_server) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let log = log.clone();
                std::thread::spawn(move || {
                    let mut buf = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = from_client.read(&mut buf) {
                        log.lock().unwrap().extend_from_slice(&buf[..n]);
                        if to_server.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = to_server.shutdown(std::net::Shutdown::Write);
                });
                let (mut from_server, mut to_client) = (server, client);
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from_server, &mut to_client);
                    let _ = to_client.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Self { url, received }
    }

    /// Everything received so far, as text (bodies here are text).
    pub fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

/// Runs `cargo run --example NAME -p trawl-host -- ARGS` from the
/// workspace root (the examples a user copies from).
pub fn example(name: &str, args: &[&str]) -> Run {
    artifacts();
    let Output { status, stdout, stderr } = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--package", "trawl-host", "--example", name, "--"])
        .args(args)
        .current_dir(root())
        .output()
        .expect("running cargo");
    Run {
        status: status.code().expect("the example was killed by a signal"),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

/// Where tests keep what a person may want to look at afterwards
/// (screenshots): `target/test-artifacts/`.
pub fn artifact_dir() -> PathBuf {
    let target = target_dir();
    let dir = target.join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The repository's root (for files a test checks: manifests, README).
pub fn repository() -> PathBuf {
    root()
}

/// A real OCI registry (Debian's `docker-registry`, the CNCF distribution
/// registry) on a free loopback port with its own storage, stopped when
/// dropped.
pub struct OciRegistry {
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub address: String,
    storage: tempfile::TempDir,
    /// htpasswd lines (`user:bcrypt`); none: anonymous access.
    users: Option<String>,
}

impl OciRegistry {
    /// Starts one and waits until it answers `GET /v2/`.
    pub fn start() -> Self {
        Self::with_users(None)
    }

    /// One that wants HTTP basic credentials: `htpasswd` lines
    /// (`user:bcrypt-hash`).
    pub fn start_with_users(htpasswd: &str) -> Self {
        Self::with_users(Some(htpasswd.to_owned()))
    }

    fn with_users(users: Option<String>) -> Self {
        let storage = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let mut registry = Self { child: None, address, storage, users };
        registry.resume();
        registry
    }

    /// Starts it (again) on the same port and storage.
    pub fn resume(&mut self) {
        let config = self.storage.path().join("config.yml");
        let data = self.storage.path().join("data");
        let mut yaml = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {}\n",
            data.display(),
            self.address
        );
        if let Some(users) = &self.users {
            let htpasswd = self.storage.path().join("htpasswd");
            std::fs::write(&htpasswd, format!("{users}\n")).unwrap();
            yaml += &format!("auth:\n  htpasswd:\n    realm: trawl-test\n    path: {}\n", htpasswd.display());
        }
        std::fs::write(&config, yaml).unwrap();
        let child = Command::new("docker-registry")
            .args(["serve", config.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting docker-registry (Debian's `docker-registry` package; .ci/run installs it)");
        self.child = Some(child);
        // Up to 20 s: a loaded CI machine starts it slowly.
        for _ in 0..400 {
            if let Ok(mut stream) = TcpStream::connect(&self.address) {
                let _ = stream.write_all(b"GET /v2/ HTTP/1.0\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.") {
                    return;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("docker-registry did not start on {}", self.address);
    }

    /// Stops it (its storage stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `oci://ADDRESS/PATH`.
    pub fn reference(&self, path: &str) -> String {
        format!("oci://{}/{path}", self.address)
    }
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A real PostgreSQL server (Debian's `postgresql` package) in a
/// temporary directory on a free loopback port, initialised for the test
/// and stopped when dropped. As root (CI) it runs as the `postgres` user,
/// which initdb requires. The superuser is `trawl`, password
/// [`PostgresServer::PASSWORD`], over TCP with SCRAM.
pub struct PostgresServer {
    child: Child,
    _dir: tempfile::TempDir,
    /// `postgres://trawl:PASSWORD@127.0.0.1:PORT/postgres`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
}

impl PostgresServer {
    /// The superuser's password.
    pub const PASSWORD: &'static str = "s3cret-pg";

    /// Initialises and starts a server.
    pub fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| {
                versions.flatten().map(|v| v.path().join("bin")).filter(|b| b.join("initdb").exists()).max()
            })
            .expect("PostgreSQL's server (Debian's `postgresql` package; `cargo xtask setup` installs it)");
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, Self::PASSWORD).unwrap();
        let as_root =
            Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if as_root {
            // initdb refuses root: the server's files belong to `postgres`.
            let status = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status().unwrap();
            assert!(status.success(), "chown of the PostgreSQL directory failed");
        }
        let run = |program: &Path, args: &[&str]| {
            let mut command = if as_root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(program);
                c
            } else {
                Command::new(program)
            };
            command.args(args);
            command
        };
        let init = run(
            &bin.join("initdb"),
            &["-D", data.to_str().unwrap(), "-U", "trawl", "--auth-local=trust", "--auth-host=scram-sha-256"],
        )
        .arg(format!("--pwfile={}", pwfile.display()))
        .output()
        .unwrap();
        assert!(init.status.success(), "initdb failed: {}", String::from_utf8_lossy(&init.stderr));
        let port = free_port();
        let child = run(
            &bin.join("postgres"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-p",
                &port.to_string(),
                "-k",
                dir.path().to_str().unwrap(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ],
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting postgres");
        let server = Self {
            child,
            _dir: dir,
            url: format!("postgres://trawl:{}@127.0.0.1:{port}/postgres", Self::PASSWORD),
            port,
        };
        let ready = std::time::Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(ready.elapsed() < std::time::Duration::from_secs(30), "postgres did not start");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        // Accepting connections is not yet accepting logins.
        while server.psql("SELECT 1").is_err() {
            assert!(ready.elapsed() < std::time::Duration::from_secs(30), "postgres did not accept logins");
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        server
    }

    /// Runs `sql` with Debian's `psql` (unaligned, tuples only) and returns
    /// what it printed.
    pub fn psql(&self, sql: &str) -> Result<String, String> {
        let out = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "trawl",
                "-d",
                "postgres",
                "-c",
                sql,
            ])
            .env("PGPASSWORD", Self::PASSWORD)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The run id `host run --into` printed on stderr (`stored: run ID in URL
/// (STATE)`).
pub fn stored_run_id(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("stored: run "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no `stored:` line in {stderr}"))
        .to_owned()
}
