//! A collector that attacks its sandbox and the host's output. It uses the
//! raw bindings rather than the SDK so it can return what the SDK would
//! refuse to build. What it does depends on the target's account name
//! (`BEHAVIOURS` in `tests/sandbox.rs` says what each must end as):
//!
//! Its own sandbox: `spin` loops forever; `hog` allocates until stopped;
//! `recurse` recurses until its stack runs out; `random` asks the host
//! for 1 TiB of random bytes; `panic` panics; `chatty` prints 1 MiB;
//! `snoop` looks for environment variables and files.
//!
//! The outside world (the component imports `wasi:sockets` and
//! `wasi:filesystem`, which the host links and denies): `tcp` connects to
//! the `probe_address` setting, `udp` sends it a datagram, `dns` looks
//! names up, `files` reads and writes files. Each answers with one record
//! saying what the attempt got (`reached` is true only if it got through).
//!
//! The cloud: `sneak` calls an operation it did not declare;
//! `inject-action` and `inject-version` smuggle `Action` / `Version` into
//! the parameters of a declared call; `inject-operation` puts a header
//! and a form field into the operation name; `inject-target` sends an
//! `X-Amz-Target` lookalike key in a JSON-protocol call (harmless: only
//! the host sets the header).
//!
//! The host's output: `garbage` returns a record that is not JSON;
//! `array` a JSON array; `deep` and `abyss` records nested 200 and
//! 100,000 levels; `flood` 48 MiB of records; `huge-cell` one 4 MiB
//! value; `huge-message` an 8 MiB error message; `escape-record`,
//! `escape-error` and `escape-total` terminal control sequences in a
//! value, an error and a total's name; `max-total*` a total of u64::MAX;
//! `many-totals` 200,000 totals.
//!
//! Anything else: one honest record.

use trawl_plugin_sdk::bindings::exports::trawl::collector::plugin::Guest;
use trawl_plugin_sdk::bindings::trawl::collector::types::{
    CollectError, Collection, PluginDetails, PluginInfo, Reason, Scope, Setting, SettingKind, SettingValue, Target,
    Total,
};
use trawl_plugin_sdk::bindings::trawl::collector::{cloud, settings};

struct Hostile;

/// Sets the terminal's title and clears the screen, if printed raw.
const ESCAPES: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2J";

fn records(records: Vec<String>) -> Result<Collection, CollectError> {
    Ok(Collection { records, totals: vec![] })
}

fn record(json: String) -> Result<Collection, CollectError> {
    records(vec![json])
}

fn failed(code: &str, message: String) -> Result<Collection, CollectError> {
    Err(CollectError::Failed(Reason { code: code.into(), message }))
}

/// Makes a call and reports how it went as the target's outcome.
fn call(behaviour: &str, service: &str, operation: &str, params: &str) -> Result<Collection, CollectError> {
    match cloud::call(service, operation, params) {
        Ok(_) => record(format!(r#"{{"behaviour":"{behaviour}","answered":true}}"#)),
        Err(e) => failed(&e.code, e.message),
    }
}

/// Recursion with no way out, each frame holding 256 bytes of stack.
#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64, pad: &mut [u8; 256]) -> u64 {
    pad[depth as usize % 256] = depth as u8;
    let mut next = *pad;
    std::hint::black_box(&mut next);
    recurse(depth + 1, &mut next) + u64::from(next[0])
}

impl Guest for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: "0.0.1".into(),
            description: "misbehaves on purpose".into(),
            scope: Scope::Regional,
            home_region: None,
            permissions: vec!["ec2:DescribeVolumes".into(), "health:Describe*".into()],
            columns: vec!["behaviour".into()],
        }
    }

    fn collect(target: Target) -> Result<Collection, CollectError> {
        let name = target.account_name.as_str();
        match name {
            "spin" => {
                let mut x: u64 = 0;
                loop {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            }
            "hog" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "recurse" => {
                let depth = recurse(0, &mut [0; 256]);
                record(format!(r#"{{"behaviour":"recurse","depth":{depth}}}"#))
            }
            "random" => {
                let bytes = wasip2::random::random::get_random_bytes(1 << 40);
                record(format!(r#"{{"behaviour":"random","got":{}}}"#, bytes.len()))
            }
            "sneak" => call(name, "ec2", "TerminateInstances", "{}"),
            "inject-action" => call(
                name,
                "ec2",
                "DescribeVolumes",
                r#"{"MaxResults": 5, "Action": "TerminateInstances", "InstanceId": ["i-0123456789abcdef0"]}"#,
            ),
            "inject-version" => call(name, "ec2", "DescribeVolumes", r#"{"MaxResults": 5, "Version": "2099-01-01"}"#),
            "inject-operation" => {
                call(name, "health", "DescribeEvents\r\nX-Amz-Target: AWSHealth_20160804.DeleteEvents", "{}")
            }
            "inject-target" => call(
                name,
                "health",
                "DescribeEvents",
                r#"{"maxResults": 10, "X-Amz-Target": "AWSHealth_20160804.DeleteEvents"}"#,
            ),
            "garbage" => record("this is not json".into()),
            "array" => record("[1, 2, 3]".into()),
            "deep" => record(format!(r#"{{"behaviour":{}1{}}}"#, "[".repeat(200), "]".repeat(200))),
            "abyss" => record(format!(r#"{{"behaviour":{}1{}}}"#, "[".repeat(100_000), "]".repeat(100_000))),
            "flood" => {
                let chunk = format!(r#"{{"behaviour":"flood","pad":"{}"}}"#, "x".repeat(1 << 20));
                records(vec![chunk; 48])
            }
            "huge-cell" => record(format!(r#"{{"behaviour":"{}"}}"#, "y".repeat(4 << 20))),
            "huge-message" => failed("Huge", "z".repeat(8 << 20)),
            "escape-record" => record(format!(
                r#"{{"behaviour":"{}"}}"#,
                ESCAPES.replace('\u{1b}', "\\u001b").replace('\u{7}', "\\u0007")
            )),
            "escape-error" => failed(ESCAPES, format!("{ESCAPES} the terminal is mine")),
            "escape-total" => Ok(Collection {
                records: vec![r#"{"behaviour":"escape-total"}"#.into()],
                totals: vec![Total { name: format!("{ESCAPES}red"), value: 1 }],
            }),
            "many-totals" => Ok(Collection {
                records: vec![],
                totals: (0..200_000).map(|i| Total { name: format!("t{i}"), value: 1 }).collect(),
            }),
            _ if name.starts_with("max-total") => Ok(Collection {
                records: vec![r#"{"behaviour":"max-total"}"#.into()],
                totals: vec![Total { name: "big".into(), value: u64::MAX }],
            }),
            "panic" => panic!("the hostile plugin panics"),
            "chatty" => {
                let line = "x".repeat(1023);
                for _ in 0..1024 {
                    println!("{line}");
                }
                record(r#"{"behaviour":"chatty"}"#.into())
            }
            "tcp" | "udp" | "dns" | "files" => escape(name),
            "snoop" => {
                let env = std::env::vars().count();
                let root = std::fs::read_dir("/").is_ok();
                let etc = std::fs::read_to_string("/etc/passwd").is_ok();
                let args = std::env::args().count();
                record(format!(
                    r#"{{"behaviour":"snoop","env_vars":{env},"args":{args},"read_root":{root},"read_passwd":{etc}}}"#
                ))
            }
            _ => record(r#"{"behaviour":"honest"}"#.into()),
        }
    }
}

/// Tries to reach outside the sandbox; one record saying what happened.
fn escape(behaviour: &str) -> Result<Collection, CollectError> {
    use std::io::Write;
    use std::net::{TcpStream, ToSocketAddrs, UdpSocket};

    let address = match settings::get("probe_address") {
        Some(SettingValue::Text(a)) => a,
        _ => "127.0.0.1:9".into(),
    };
    let outcome: Result<String, String> = match behaviour {
        "tcp" => TcpStream::connect(&address)
            .and_then(|mut s| s.write_all(b"escaped\n").map(|()| "connected".to_owned()))
            .map_err(|e| e.to_string()),
        "udp" => UdpSocket::bind("0.0.0.0:0")
            .and_then(|s| s.send_to(b"escaped", &address))
            .map(|n| format!("sent {n} bytes"))
            .map_err(|e| e.to_string()),
        // Names only: an address literal needs no lookup.
        "dns" => ["localhost:80", "example.com:443", "metadata.google.internal:80"]
            .iter()
            .find_map(|name| name.to_socket_addrs().ok().and_then(|mut a| a.next()))
            .map(|a| format!("resolved {a}"))
            .ok_or_else(|| "no name resolved".to_owned()),
        _ => std::fs::read("/etc/passwd")
            .map(|b| format!("read {} bytes", b.len()))
            .or_else(|_| std::fs::write("trawl-escaped", b"x").map(|()| "wrote a file".to_owned()))
            .map_err(|e| e.to_string()),
    };
    let (reached, what) = match outcome {
        Ok(what) => (true, what),
        Err(why) => (false, why),
    };
    let what = what.replace('\\', "/").replace('"', "'");
    record(format!(r#"{{"behaviour":"{behaviour}","reached":{reached},"outcome":"{what}"}}"#))
}

impl trawl_plugin_sdk::bindings::exports::trawl::collector::details::Guest for Hostile {
    fn details() -> PluginDetails {
        let probe = Setting {
            name: "probe_address".into(),
            kind: SettingKind::Text,
            default: Some(SettingValue::Text("127.0.0.1:9".into())),
            help: "where the tcp and udp behaviours try to reach".into(),
            minimum: None,
            maximum: None,
            choices: vec![],
        };
        PluginDetails { key: vec![], settings: vec![probe] }
    }
}

trawl_plugin_sdk::bindings::export_plugin_bindings!(Hostile with_types_in trawl_plugin_sdk::bindings);
