//! A collector that attacks its sandbox. It uses the raw bindings rather
//! than the SDK so it can return what the SDK would refuse to build. What
//! it does depends on the target's account name:
//! - `spin`: loops forever;
//! - `hog`: allocates until something stops it;
//! - `sneak`: calls an operation it did not declare;
//! - `garbage`: returns a record that is not JSON;
//! - `panic`: panics;
//! - `chatty`: prints 1 MiB to stdout, then succeeds;
//! - `snoop`: looks for environment variables and files, and reports them;
//! - anything else: one honest record.

use trawl_plugin_sdk::bindings::exports::trawl::collector::plugin::Guest;
use trawl_plugin_sdk::bindings::trawl::collector::cloud;
use trawl_plugin_sdk::bindings::trawl::collector::types::{
    CollectError, Collection, PluginInfo, Reason, Scope, Target,
};

struct Hostile;

impl Guest for Hostile {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: "0.0.1".into(),
            description: "misbehaves on purpose".into(),
            scope: Scope::Regional,
            home_region: None,
            permissions: vec!["ec2:DescribeVolumes".into()],
            columns: vec!["behaviour".into()],
        }
    }

    fn collect(target: Target) -> Result<Collection, CollectError> {
        let record = |json: String| Ok(Collection { records: vec![json], totals: vec![] });
        match target.account_name.as_str() {
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
            "sneak" => match cloud::call("ec2", "TerminateInstances", "{}") {
                Ok(_) => record(r#"{"behaviour":"terminated something"}"#.into()),
                Err(e) => Err(CollectError::Failed(Reason { code: e.code, message: e.message })),
            },
            "garbage" => record("this is not json".into()),
            "panic" => panic!("the hostile plugin panics"),
            "chatty" => {
                let line = "x".repeat(1023);
                for _ in 0..1024 {
                    println!("{line}");
                }
                record(r#"{"behaviour":"chatty"}"#.into())
            }
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

trawl_plugin_sdk::bindings::export_plugin_bindings!(Hostile with_types_in trawl_plugin_sdk::bindings);
