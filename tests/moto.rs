//! The AWS backend against moto_server, an AWS emulator nobody here wrote
//! (`pip install 'moto[server]'`, done by the README's test command):
//! SigV4, assume-role into member accounts, EC2 and awsQuery protocols,
//! IAM pagination, and error mapping. moto answers some unsupported calls
//! with HTML 500s, so these runs use one attempt per call.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use std::sync::Arc;

use trawl_host::cloud::aws::sign::Credentials;
use trawl_host::cloud::aws::{AwsBackend, CredentialStore};
use trawl_host::cloud::{ApiCall, CloudClient, RetryPolicy, Target};
use trawl_tests::{host_command, plugin};

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server on a free loopback port, seeded by tests/seed_moto.py;
/// returns it and the volumes created per "account/region".
fn moto() -> (Moto, Value) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server runs (python3 -m pip install 'moto[server]')");
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let seed = Command::new("python3")
        .args([concat!(env!("CARGO_MANIFEST_DIR"), "/seed_moto.py"), &moto.url])
        .output()
        .unwrap();
    assert!(seed.status.success(), "seeding moto failed: {}", String::from_utf8_lossy(&seed.stderr));
    let created = serde_json::from_slice(&seed.stdout).unwrap();
    (moto, created)
}

fn run_against(moto: &Moto, args: &[&str]) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--aws", "--endpoint-url", &moto.url, "--max-attempts", "1", "--output", "json"]);
    let out = host_command(&all)
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "x")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}\n{stdout}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(&stdout).unwrap()
}

#[test]
fn moto_ebs_identity_pagination_and_errors() {
    let (moto, created) = moto();
    let ebs = plugin("ebs");

    // EBS over two accounts reached by assume-role and two regions.
    let doc = run_against(
        &moto,
        &[
            ebs.to_str().unwrap(),
            "--role-name",
            "OrganizationAccountAccessRole",
            "--accounts",
            "111122223333,444455556666",
            "--regions",
            "us-east-1,eu-west-1",
        ],
    );
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    for r in results {
        let place = format!("{}/{}", r["account_id"].as_str().unwrap(), r["region"].as_str().unwrap());
        assert_eq!(r["status"], "succeeded", "{place}: {r}");
        // moto creates volumes `available`: all of them are records.
        assert_eq!(r["totals"]["total"], created[&place], "{place}");
        assert_eq!(r["records"].as_array().unwrap().len() as u64, created[&place].as_u64().unwrap(), "{place}");
        assert_eq!(r["records"][0]["volume_type"], "gp3");
    }

    // GetCallerIdentity through an assumed role: the member account answers.
    let whoami = plugin("whoami");
    let doc = run_against(
        &moto,
        &[
            whoami.to_str().unwrap(),
            "--role-name",
            "OrganizationAccountAccessRole",
            "--accounts",
            "444455556666",
            "--regions",
            "us-east-1",
        ],
    );
    assert_eq!(doc["results"][0]["records"][0]["account"], "444455556666");

    // Web identity, the CI and Kubernetes path through aws-config's chain:
    // no keys anywhere, a token file and a role, STS at AWS_ENDPOINT_URL.
    let token = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(token.path(), "an-oidc-token-moto-accepts").unwrap();
    let out = host_command(&["run", whoami.to_str().unwrap(), "--aws", "--max-attempts", "1", "--output", "json"])
        .env("AWS_ENDPOINT_URL", &moto.url)
        .env("AWS_WEB_IDENTITY_TOKEN_FILE", token.path())
        .env("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ci-collector")
        .env("AWS_ROLE_SESSION_NAME", "ci")
        .env("AWS_REGION", "us-east-1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["results"][0]["records"][0]["account"], "111122223333", "the web identity role's account");

    // IAM pagination and an error mapped to an api-error, through the
    // backend itself.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut store = CredentialStore::new(Credentials::from_keys("AKIAIOSFODNN7EXAMPLE", "x", None));
        store.set_default_role("OrganizationAccountAccessRole".into(), None);
        let aws = AwsBackend::new(store, Some(moto.url.clone())).unwrap();
        let one_attempt = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
        let aws = CloudClient::new(Arc::new(aws), Default::default(), one_attempt);
        let target =
            Target { account_id: "111122223333".into(), account_name: String::new(), region: "us-east-1".into() };
        let mut params = json!({"MaxItems": 3});
        let mut names = Vec::new();
        let mut pages = 0;
        loop {
            let call = ApiCall {
                service: "iam".into(),
                operation: "ListRoles".into(),
                params: params.as_object().unwrap().clone(),
            };
            let page: Value = serde_json::from_str(&aws.call(&target, &call).await.unwrap()).unwrap();
            pages += 1;
            names.extend(
                page["Roles"].as_array().into_iter().flatten().map(|r| r["RoleName"].as_str().unwrap().to_owned()),
            );
            if page["IsTruncated"] != "true" {
                break;
            }
            params["Marker"] = page["Marker"].clone();
        }
        let seeded = names.iter().filter(|n| n.starts_with("seeded-")).count();
        assert_eq!(seeded, 7, "{names:?}");
        assert!(pages >= 3, "7+ roles in pages of 3: {pages} pages");

        let call = ApiCall {
            service: "ec2".into(),
            operation: "DescribeVolumes".into(),
            params: json!({"VolumeId": ["vol-00000000000000000"]}).as_object().unwrap().clone(),
        };
        let e = aws.call(&target, &call).await.unwrap_err();
        assert_eq!((e.code.as_str(), e.status), ("InvalidVolume.NotFound", 400), "{e:?}");
        assert!(e.request_id.is_some(), "{e:?}");
    });
}

#[test]
fn org_with_no_accounts_is_one_line_naming_the_account() {
    let (moto, _) = moto();
    let ebs = plugin("ebs");
    let out = host_command(&[
        "run",
        ebs.to_str().unwrap(),
        "--aws",
        "--endpoint-url",
        &moto.url,
        "--org",
        "--role-name",
        "OrganizationAccountAccessRole",
        "--max-attempts",
        "1",
    ])
    .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    .env("AWS_SECRET_ACCESS_KEY", "x")
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(trawl_tests::EXIT_INPUT), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    // moto answers an empty list where AWS says the account is not in an
    // organisation; both are one line naming the account.
    let empty = stderr.contains("has no active accounts") || stderr.contains("not in an organisation");
    assert!(stderr.contains("--org") && stderr.contains("123456789012") && empty, "{stderr}");
}

/// A JSON document's shape: its keys and nesting, every string leaf
/// `"string"` and any other leaf named (the JSON convention makes every
/// leaf of a query answer a string), a list as the shape of its first item.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect()),
        Value::Array(items) => Value::Array(items.first().map(shape).into_iter().collect()),
        Value::String(_) => json!("string"),
        other => json!(format!("not a string: {other}")),
    }
}

#[test]
fn moto_answers_iam_credentials_and_get_metric_data_in_the_simulators_shapes() {
    use trawl_host::cloud::sim::{SimCloud, demo};

    let (moto, _) = moto();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut store = CredentialStore::new(Credentials::from_keys("AKIAIOSFODNN7EXAMPLE", "x", None));
        store.set_default_role("OrganizationAccountAccessRole".into(), None);
        let aws = AwsBackend::new(store, Some(moto.url.clone())).unwrap();
        let one_attempt = RetryPolicy { max_attempts: 1, ..RetryPolicy::default() };
        let aws = CloudClient::new(Arc::new(aws), Default::default(), one_attempt);
        let target =
            Target { account_id: "555566667777".into(), account_name: String::new(), region: "us-east-1".into() };
        let call = |service: &str, operation: &str, params: Value| ApiCall {
            service: service.into(),
            operation: operation.into(),
            params: params.as_object().unwrap().clone(),
        };
        let at_moto = |c: ApiCall| {
            let (aws, target) = (&aws, &target);
            async move {
                let answer = aws.call(target, &c).await.unwrap_or_else(|e| panic!("{}: {e:?}", c.operation));
                serde_json::from_str::<Value>(&answer).unwrap()
            }
        };

        // Equivalent data in moto, made through trawl's AWS backend: a user
        // with an MFA device and a never-used key, and a usage datapoint.
        at_moto(call("iam", "CreateUser", json!({"UserName": "alice"}))).await;
        let key = at_moto(call("iam", "CreateAccessKey", json!({"UserName": "alice"}))).await;
        let key_id = key["AccessKey"]["AccessKeyId"].as_str().unwrap().to_owned();
        let device = at_moto(call("iam", "CreateVirtualMFADevice", json!({"VirtualMFADeviceName": "alice"}))).await;
        let serial = device["VirtualMFADevice"]["SerialNumber"].clone();
        let enable = json!({"UserName": "alice", "SerialNumber": serial, "AuthenticationCode1": "123456", "AuthenticationCode2": "654321"});
        at_moto(call("iam", "EnableMFADevice", enable)).await;
        let now = std::time::SystemTime::now();
        let ago = |minutes: u64| humantime::format_rfc3339_seconds(now - Duration::from_secs(minutes * 60)).to_string();
        let dimensions = json!([
            {"Name": "Class", "Value": "Standard/OnDemand"},
            {"Name": "Resource", "Value": "vCPU"},
            {"Name": "Service", "Value": "EC2"},
            {"Name": "Type", "Value": "Resource"},
        ]);
        let datum = json!({"MetricName": "ResourceCount", "Dimensions": dimensions, "Timestamp": ago(10), "Value": 240, "Unit": "None"});
        at_moto(call("monitoring", "PutMetricData", json!({"Namespace": "Trawl/Usage", "MetricData": [datum]}))).await;

        let sim = SimCloud::new(demo());
        let management =
            Target { account_id: "111111111111".into(), account_name: String::new(), region: "us-east-1".into() };
        let at_sim = |c: ApiCall| serde_json::from_str::<Value>(&sim.answer(&management, &c).unwrap()).unwrap();
        let query = |namespace: &str, start: String, end: String| {
            json!({
                "MetricDataQueries": [{
                    "Id": "usage",
                    "MetricStat": {
                        "Metric": {"Namespace": namespace, "MetricName": "ResourceCount", "Dimensions": dimensions},
                        "Period": 60,
                        "Stat": "Maximum",
                    },
                    "ReturnData": true,
                }],
                "StartTime": start,
                "EndTime": end,
            })
        };

        let moto_metrics = at_moto(call("monitoring", "GetMetricData", query("Trawl/Usage", ago(60), ago(0)))).await;
        // moto found the datapoint: it read the nested form lists trawl wrote.
        assert_eq!(moto_metrics["MetricDataResults"][0]["Values"], json!(["240.0"]), "{moto_metrics}");
        let sim_metrics = at_sim(call("monitoring", "GetMetricData", query("AWS/Usage", ago(60), ago(0))));
        let users = at_sim(call("iam", "ListUsers", json!({})));
        let pairs = [
            (
                "ListMFADevices",
                at_moto(call("iam", "ListMFADevices", json!({"UserName": "alice"}))).await,
                at_sim(call("iam", "ListMFADevices", json!({"UserName": "user-000"}))),
            ),
            (
                "ListAccessKeys",
                at_moto(call("iam", "ListAccessKeys", json!({"UserName": "alice"}))).await,
                at_sim(call("iam", "ListAccessKeys", json!({"UserName": "user-000"}))),
            ),
            (
                "GetAccessKeyLastUsed (never used)",
                at_moto(call("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": key_id}))).await,
                at_sim(call("iam", "GetAccessKeyLastUsed", json!({"AccessKeyId": "AKIADEMO0USER002KEY1"}))),
            ),
            (
                "ListUsers (a user who never signed in)",
                at_moto(call("iam", "ListUsers", json!({}))).await,
                json!({"Users": [users["Users"][2].clone()], "IsTruncated": users["IsTruncated"].clone()}),
            ),
            ("GetMetricData", moto_metrics, sim_metrics),
        ];
        for (what, from_moto, from_sim) in pairs {
            // moto leaves IsTruncated out where it does not paginate
            // (ListAccessKeys); AWS's documented answers carry it.
            let without_paging = |doc: &Value| {
                let mut doc = shape(doc);
                for key in ["IsTruncated", "Marker", "NextToken"] {
                    doc.as_object_mut().unwrap().remove(key);
                }
                doc
            };
            assert_eq!(without_paging(&from_moto), without_paging(&from_sim), "{what}:\nmoto {from_moto}\nsim  {from_sim}");
        }
    });
}
