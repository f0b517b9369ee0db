//! `host diff` and `host run --diff`, end to end: the demo organisation
//! exported and edited (volumes removed, added and changed, one target
//! denied, one no longer denied), the EBS collector run over both into
//! SQLite and PostgreSQL, and every way of comparing the two runs checked
//! against a diff computed here, independently, from their JSON reports.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Value, json};
use trawl_tests::{EXIT_INPUT, PostgresServer, fixture, host, plugin, stored_run_id};

fn ebs() -> String {
    plugin("ebs").to_str().unwrap().to_owned()
}

/// The demo organisation, as `host sim export` prints it.
fn demo() -> Value {
    let export = host(&["sim", "export"]);
    assert_eq!(export.status, 0, "{}", export.stderr);
    export.json()
}

fn account<'a>(org: &'a mut Value, name: &str) -> &'a mut Value {
    org["accounts"].as_array_mut().unwrap().iter_mut().find(|a| a["name"] == name).unwrap()
}

fn volumes<'a>(org: &'a mut Value, name: &str, region: &str) -> &'a mut Vec<Value> {
    account(org, name)["regions"][region]["volumes"].as_array_mut().unwrap()
}

fn available(volumes: &[Value]) -> Vec<usize> {
    (0..volumes.len()).filter(|&i| volumes[i]["state"] == "available").collect()
}

/// The demo a week later: in management eu-west-1 an unattached volume
/// deleted, one grown and retagged, one new; in staging us-east-1 an
/// attached volume detached (a record added) and an unattached one
/// deleted; production us-east-1 now denied (its volumes changed too,
/// which must not count), and sandbox ap-northeast-2 no longer denied (its
/// volumes are not "added").
fn edited(demo: &Value) -> Value {
    let mut org = demo.clone();
    let management = volumes(&mut org, "management", "eu-west-1");
    let free = available(management);
    assert!(free.len() >= 3, "the demo changed: {management:?}");
    management[free[1]]["size"] = json!(management[free[1]]["size"].as_u64().unwrap() + 100);
    management[free[1]]["tags"]["team"] = json!("archive");
    management[free[2]]["volume_type"] = json!("gp3");
    management.remove(free[0]);
    management.push(json!({
        "id": "vol-0feedfacefeedface", "size": 64, "volume_type": "gp3", "state": "available",
        "availability_zone": "eu-west-1a", "create_time": "2026-12-01T09:00:00.000Z", "encrypted": true,
        "tags": {"Name": "scratch"}
    }));
    let staging = volumes(&mut org, "staging", "us-east-1");
    let attached = staging.iter().position(|v| v["state"] == "in-use").unwrap();
    staging[attached]["state"] = json!("available");
    staging[attached].as_object_mut().unwrap().remove("attached_to");
    let free = available(staging);
    let gone = *free.iter().find(|&&i| i != attached).unwrap();
    staging.remove(gone);
    let production = volumes(&mut org, "production", "us-east-1");
    let free = available(production);
    production.remove(free[0]);
    account(&mut org, "production")["denied"] = json!([{"region": "us-east-1"}]);
    account(&mut org, "sandbox")["denied"] = json!([]);
    org
}

/// A diff of two JSON reports computed here: per change kind, the
/// (account, region, volume id) of each record, and the targets that did
/// not succeed in both.
#[derive(Debug, Default, PartialEq)]
struct Expected {
    added: BTreeSet<(String, String, String)>,
    removed: BTreeSet<(String, String, String)>,
    changed: BTreeSet<(String, String, String)>,
    not_compared: BTreeSet<(String, String)>,
}

fn expected(old: &Value, new: &Value) -> Expected {
    let by_place = |doc: &Value| -> BTreeMap<(String, String), Value> {
        doc["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| ((r["account_id"].as_str().unwrap().into(), r["region"].as_str().unwrap().into()), r.clone()))
            .collect()
    };
    let (old, new) = (by_place(old), by_place(new));
    let mut out = Expected::default();
    let places: BTreeSet<&(String, String)> = old.keys().chain(new.keys()).collect();
    for place in places {
        let (o, n) = (old.get(place), new.get(place));
        let succeeded = |r: Option<&Value>| r.is_some_and(|r| r["status"] == "succeeded");
        if !(succeeded(o) && succeeded(n)) {
            out.not_compared.insert(place.clone());
            continue;
        }
        let records = |r: &Value| -> BTreeMap<String, Value> {
            r["records"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| (v["volume_id"].as_str().unwrap().to_owned(), v.clone()))
                .collect()
        };
        let (before, after) = (records(o.unwrap()), records(n.unwrap()));
        let at = |id: &String| (place.0.clone(), place.1.clone(), id.clone());
        for (id, record) in &after {
            match before.get(id) {
                None => out.added.insert(at(id)),
                Some(old) if old != record => out.changed.insert(at(id)),
                Some(_) => false,
            };
        }
        out.removed.extend(before.keys().filter(|id| !after.contains_key(*id)).map(at));
    }
    out
}

/// The same sets from `host diff -o json` (one plugin).
fn reported(doc: &Value) -> Expected {
    let plugin = &doc["plugins"][0];
    assert_eq!(plugin["plugin"], "ebs", "{doc}");
    assert_eq!(plugin["key"], json!(["volume_id"]));
    let mut out = Expected::default();
    for change in plugin["changes"].as_array().unwrap() {
        let s = |k: &str| change[k].as_str().unwrap_or_else(|| panic!("{k} in {change}")).to_owned();
        let record = || (s("account_id"), s("region"), change["key"]["volume_id"].as_str().unwrap().to_owned());
        match change["change"].as_str().unwrap() {
            "added" => assert!(out.added.insert(record())),
            "removed" => assert!(out.removed.insert(record())),
            "changed" => assert!(out.changed.insert(record())),
            "appeared" | "vanished" | "status_changed" | "not_compared" => {
                assert!(out.not_compared.insert((s("account_id"), s("region"))))
            }
            other => panic!("unknown change {other}"),
        }
    }
    let counts = &plugin["counts"];
    assert_eq!(counts["added"], out.added.len());
    assert_eq!(counts["removed"], out.removed.len());
    assert_eq!(counts["changed"], out.changed.len());
    assert_eq!(counts["targets_not_compared"], out.not_compared.len());
    out
}

/// `host run ebs --fixture ORG` with `args`, JSON on stdout: (report,
/// stderr). Exit 0 expected.
fn run(org: &Path, args: &[&str]) -> (Value, String) {
    let ebs = ebs();
    let mut all = vec!["run", ebs.as_str(), "--fixture", org.to_str().unwrap(), "-o", "json"];
    all.extend_from_slice(args);
    let run = host(&all);
    assert_eq!(run.status, 0, "{}", run.stderr);
    (run.json(), run.stderr)
}

/// `host diff ARGS` as JSON, exit 0.
fn diff_json(args: &[&str]) -> Value {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "json"]);
    let out = host(&all);
    assert_eq!(out.status, 0, "{args:?}: {}", out.stderr);
    out.json()
}

/// A target's entry among `doc`'s changes.
fn target<'a>(doc: &'a Value, account: &str, region: &str) -> &'a Value {
    doc["plugins"][0]["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account_id"] == account && c["region"] == region && c.get("key").is_none())
        .unwrap_or_else(|| panic!("{account}/{region} is not listed in {doc}"))
}

#[test]
fn host_diff_says_what_changed_in_sqlite_postgres_and_saved_reports_alike() {
    let pg = PostgresServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db");
    let sqlite = format!("sqlite:{}", db.display());
    let before = demo();
    let after = edited(&before);
    let (org_a, org_b) = (fixture(&before), fixture(&after));

    // The first run: nothing earlier to compare it with.
    let (doc_a, stderr) = run(org_a.path(), &["--into", &sqlite, "--into", &pg.url, "--diff"]);
    assert!(stderr.contains(&format!("diff: no earlier complete run of ebs in {sqlite} to compare with")), "{stderr}");
    let id_a = stored_run_id(&stderr);
    // The second, over the edited organisation, says what changed.
    let pages = dir.path().join("pages");
    let (doc_b, stderr) =
        run(org_b.path(), &["--into", &sqlite, "--into", &pg.url, "--diff", "--report", pages.to_str().unwrap()]);
    let id_b = stored_run_id(&stderr);
    let want = expected(&doc_a, &doc_b);
    assert_eq!(
        (want.added.len(), want.removed.len(), want.changed.len(), want.not_compared.len()),
        (2, 2, 2, 2),
        "the edit is what this test means: {want:?}"
    );
    let line = format!("ebs: 2 added, 2 removed, 2 changed records since run {id_a} (");
    let said: Vec<&str> = stderr.lines().filter(|l| l.starts_with("ebs: ")).collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(said[0].starts_with(&line), "{}", said[0]);
    assert!(said[0].ends_with(" UTC); 2 targets not compared"), "{}", said[0]);
    assert!(!stderr.contains(PostgresServer::PASSWORD), "{stderr}");
    // Its report shows the counts: in the JSON, and on the page, in a browser.
    assert_eq!(doc_b["run"]["changes"]["plugins"]["ebs"]["removed"], 2, "{}", doc_b["run"]);
    let page = std::fs::read_dir(&pages).unwrap().next().unwrap().unwrap().path().join("report.html");
    let dom = rendered(&page);
    assert!(dom.contains(r#"data-rendered="true""#), "the page's script failed: {dom}");
    let shown = &dom[dom.find(r#"id="changes-ebs""#).expect("the page shows the changes")..];
    for (key, n) in [("added", 2), ("removed", 2), ("changed", 2), ("targets_not_compared", 2)] {
        assert!(shown.contains(&format!(r#"data-key="{key}"><b>{n}</b>"#)), "{key}: {shown:.600}");
    }

    // Every way of comparing gives the diff computed here.
    let saved_a = dir.path().join("a.json");
    let saved_b = dir.path().join("b.json");
    std::fs::write(&saved_a, serde_json::to_vec_pretty(&doc_a).unwrap()).unwrap();
    std::fs::write(&saved_b, serde_json::to_vec_pretty(&doc_b).unwrap()).unwrap();
    let prefix = |id: &str| id[..id.len() - 4].to_owned();
    let ways: Vec<Vec<String>> = vec![
        vec!["--into".into(), sqlite.clone()],
        vec!["--into".into(), pg.url.clone()],
        vec!["--into".into(), sqlite.clone(), id_a.clone(), id_b.clone()],
        vec!["--into".into(), pg.url.clone(), prefix(&id_a), prefix(&id_b)],
        vec!["--into".into(), sqlite.clone(), prefix(&id_a)],
        vec![saved_a.to_str().unwrap().into(), saved_b.to_str().unwrap().into()],
    ];
    for way in &ways {
        let args: Vec<&str> = way.iter().map(String::as_str).collect();
        let doc = diff_json(&args);
        assert_eq!(reported(&doc), want, "host diff {args:?}");
        assert_eq!(doc["changed"], true);
        // The denied target is listed, never its records "removed"; the
        // target no longer denied is listed, never its records "added".
        let denied = target(&doc, "222222222222", "us-east-1");
        assert_eq!(
            (denied["change"].as_str(), denied["old_status"].as_str()),
            (Some("status_changed"), Some("succeeded"))
        );
        assert_eq!(denied["new_status"], "skipped");
        let allowed = target(&doc, "444444444444", "ap-northeast-2");
        assert_eq!(
            (allowed["old_status"].as_str(), allowed["new_status"].as_str()),
            (Some("skipped"), Some("succeeded"))
        );
        if way[0] == "--into" {
            assert_eq!(doc["old"]["run_id"], id_a, "{args:?}");
            assert_eq!(doc["new"]["run_id"], id_b, "{args:?}");
        }
        assert!(!doc.to_string().contains(PostgresServer::PASSWORD));
    }

    // jsonl: one change a line, the same changes.
    let lines = host(&["diff", "--into", &pg.url, "-o", "jsonl"]);
    assert_eq!(lines.status, 0, "{}", lines.stderr);
    let changes: Vec<Value> = lines.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(changes.len(), 2 + 2 + 2 + 2);
    assert!(changes.iter().all(|c| c["plugin"] == "ebs"));
    let volume = |c: &Value| c["key"]["volume_id"].as_str().map(str::to_owned);
    let changed: BTreeSet<String> = changes.iter().filter(|c| c["change"] == "changed").filter_map(volume).collect();
    assert_eq!(changed, want.changed.iter().map(|(_, _, v)| v.clone()).collect());
    let grown =
        changes.iter().find(|c| c["change"] == "changed" && c["fields"].as_array().unwrap().len() == 2).unwrap();
    let fields: Vec<&str> = grown["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["size_gib", "tags"], "{grown}");
    assert_eq!(grown["fields"][1]["new"]["team"], "archive");

    // The table: counts first, then the targets not compared and records.
    let table = host(&["diff", "--into", &sqlite, "-o", "table"]);
    assert_eq!(table.status, 0, "{}", table.stderr);
    let text = &table.stdout;
    let row = text.lines().find(|l| l.contains("│ ebs")).unwrap_or_else(|| panic!("{text}"));
    let numbers: Vec<&str> = row.split(['│', '┆']).map(str::trim).filter(|c| !c.is_empty()).collect();
    assert_eq!(&numbers[..4], ["ebs", "2", "2", "2"], "{text}");
    assert!(
        text.contains("not compared") && text.contains("skipped (") && text.contains("vol-0feedfacefeedface"),
        "{text}"
    );
    assert!(text.find("│ ebs").unwrap() < text.find("ebs: records").unwrap(), "{text}");

    // --exit-code: 1 when something changed; 0 for the same runs, and for
    // a run of an unchanged organisation.
    let exit = |args: &[&str]| {
        let mut all = vec!["diff", "--exit-code", "-o", "json"];
        all.extend_from_slice(args);
        host(&all).status
    };
    assert_eq!(exit(&["--into", &sqlite]), 1);
    assert_eq!(exit(&[saved_a.to_str().unwrap(), saved_b.to_str().unwrap()]), 1);
    assert_eq!(exit(&[saved_b.to_str().unwrap(), saved_b.to_str().unwrap()]), 0);
    assert_eq!(exit(&["--into", &pg.url, &id_b, &id_b]), 0);
    assert_eq!(host(&["diff", "--into", &sqlite, "-o", "json"]).status, 0, "without --exit-code: 0");
    let reports = dir.path().join("reports");
    let (doc_c, stderr) =
        run(org_b.path(), &["--into", &pg.url, "--into", &sqlite, "--diff", "--report", reports.to_str().unwrap()]);
    assert!(stderr.contains(&format!("ebs: 0 added, 0 removed, 0 changed records since run {id_b} (")), "{stderr}");
    assert_eq!(exit(&["--into", &sqlite]), 0);
    assert_eq!(exit(&["--into", &pg.url]), 0);
    let unchanged = diff_json(&["--into", &pg.url]);
    assert_eq!(unchanged["plugins"][0]["counts"]["unchanged"], doc_c["summary"]["records"]);
    // The reports of that run carry the counts (`run.changes`).
    let changes = &doc_c["run"]["changes"];
    assert_eq!(changes["since"]["run_id"], id_b, "{changes}");
    assert_eq!(changes["plugins"]["ebs"]["added"], 0);
    let page = std::fs::read_dir(&reports).unwrap().next().unwrap().unwrap().path();
    let saved: Value = serde_json::from_slice(&std::fs::read(page.join("report.json")).unwrap()).unwrap();
    assert_eq!(saved["run"]["changes"], *changes);
    let html = std::fs::read_to_string(page.join("report.html")).unwrap();
    assert!(html.contains("\"changes\":") && html.contains(&id_b), "the page's data has run.changes");
}

/// The DOM of `page` after its script ran in headless Chromium (Debian's
/// `chromium`, which `cargo xtask setup` installs).
fn rendered(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"])
        .args(["--disable-component-update", "--disable-sync", "--virtual-time-budget=10000", "--dump-dom"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("running chromium");
    assert!(out.status.success(), "chromium: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// One `host diff` that must fail with one line on stderr naming `says`.
fn refused(args: &[&str], says: &str) {
    let out = host(&[&["diff"], args].concat());
    assert_eq!(out.status, EXIT_INPUT, "{args:?}: {}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{args:?}: {}", out.stderr);
    assert!(lines[0].contains(says), "{args:?}: {}", lines[0]);
    assert!(!lines[0].contains("hunter2"), "{}", lines[0]);
    assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
}

#[test]
fn every_bad_input_to_host_diff_is_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db");
    let sqlite = format!("sqlite:{}", db.display());
    let org = fixture(&demo());
    let (doc, _) = run(org.path(), &["--into", &sqlite, "--run-id", "audit-2026-12-06"]);
    // One run: nothing earlier.
    refused(&["--into", &sqlite], "nothing to compare it with");
    run(org.path(), &["--into", &sqlite, "--run-id", "audit-2026-12-13"]);
    let quotas = plugin("quotas");
    let other =
        host(&["run", quotas.to_str().unwrap(), "--into", &sqlite, "--run-id", "quotas-2026-12-13", "-o", "json"]);
    assert_eq!(other.status, 0, "{}", other.stderr);
    // Prefixes and ids.
    let ok = host(&["diff", "--into", &sqlite, "audit-2026-12-06", "audit-2026-12-1", "-o", "json"]);
    assert_eq!(ok.status, 0, "{}", ok.stderr);
    assert_eq!(ok.json()["new"]["run_id"], "audit-2026-12-13");
    refused(&["--into", &sqlite, "audit-2026-12-0", "nope-nope-nope"], "no run \"nope-nope-nope\"");
    refused(&["--into", &sqlite, "audit-2026-12", "audit-2026-12-13"], "ambiguous");
    refused(&["--into", &sqlite, "audit"], "at least 8 characters");
    refused(&["--into", &sqlite, "audit-2026-12-06", "quotas-2026-12-13"], "no plugin in common");
    // The newest run is the quotas one, alone of its plugins.
    refused(&["--into", &sqlite], "no complete run of quotas before the newest");
    refused(&["--into", &sqlite, "audit-2026-12-13"], "no complete run of ebs newer than run audit-2026-12-13");
    // Databases.
    refused(&["--into", &format!("sqlite:{}", dir.path().join("none.db").display())], "no such database file");
    assert!(!dir.path().join("none.db").exists(), "host diff created a database");
    let text = dir.path().join("text.db");
    std::fs::write(&text, "not a database ".repeat(100)).unwrap();
    refused(&["--into", &format!("sqlite:{}", text.display())], "not an SQLite database");
    let closed = format!("postgres://trawl:hunter2@127.0.0.1:{}/postgres", trawl_tests::free_port());
    refused(&["--into", &closed], "127.0.0.1");
    refused(&["--into", "mysql://root:hunter2@db/x"], "not a database URL");
    // Files.
    let saved = dir.path().join("a.json");
    std::fs::write(&saved, serde_json::to_vec(&doc).unwrap()).unwrap();
    let not_a_report = dir.path().join("org.json");
    std::fs::write(&not_a_report, serde_json::to_vec(&demo()).unwrap()).unwrap();
    refused(&[saved.to_str().unwrap(), not_a_report.to_str().unwrap()], "org.json: not a trawl JSON report");
    refused(&[saved.to_str().unwrap(), "missing.json"], "missing.json: no such file");
    refused(&[saved.to_str().unwrap()], "give a second JSON report");
    refused(&[], "--into");
    refused(&["--into", &sqlite, "-o", "csv"], "csv");
    // --diff is about a database.
    let out = host(&["run", &ebs(), "--diff"]);
    assert_eq!(out.status, EXIT_INPUT, "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(out.stderr.contains("--diff") && out.stderr.contains("--into"), "{}", out.stderr);
}
