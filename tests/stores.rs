//! Runs that outlive the terminal: `host run --into` SQLite files and a
//! real PostgreSQL server, checked with their own shells (`sqlite3`,
//! `psql`): what lands equals the JSON report, names from plugins cannot
//! break the SQL, interrupted and killed runs leave whole targets only,
//! shards of one run write one run together, retention, and every bad
//! database is one line before any cloud call.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use trawl_tests::{EXIT_INPUT, PostgresServer, host, host_command, plugin, run_command, stored_run_id};

/// Runs `sql` with the `sqlite3` shell (Debian's `sqlite3`) and returns
/// its output, one row a line, columns `|`-separated.
fn sqlite3(db: &Path, sql: &str) -> String {
    let out =
        Command::new("sqlite3").arg(db).arg(sql).output().expect("the sqlite3 shell (`cargo xtask setup` installs it)");
    assert!(out.status.success(), "sqlite3 {sql}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn path(name: &str) -> String {
    plugin(name).to_str().unwrap().to_owned()
}

/// A run of `plugins` into `into` (and JSON on stdout) that must exit 0.
fn run_into(plugins: &[&str], into: &[&str], extra: &[&str]) -> (Value, String) {
    let mut args: Vec<String> = vec!["run".into()];
    args.extend(plugins.iter().map(|p| path(p)));
    for url in into {
        args.extend(["--into".into(), (*url).to_owned()]);
    }
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.extend(["-o".into(), "json".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = host(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    (run.json(), run.stderr)
}

/// Unattached volumes per account in the newest run, the README's first
/// question, from the JSON report.
fn unattached_per_account(doc: &Value) -> Vec<String> {
    let ebs = doc["plugins"].as_array().map_or(doc, |plugins| &plugins[0]);
    let mut counts = std::collections::BTreeMap::new();
    for result in ebs["results"].as_array().unwrap() {
        *counts.entry(result["account_name"].as_str().unwrap().to_owned()).or_insert(0) +=
            result["records"].as_array().unwrap().len();
    }
    counts.into_iter().filter(|(_, n)| *n > 0).map(|(a, n)| format!("{a}|{n}")).collect()
}

const README_QUESTION: &str = "SELECT account_name, count(*) FROM ebs \
     WHERE run_id = (SELECT run_id FROM trawl_runs WHERE state = 'complete' AND plugin_set LIKE '%ebs%' ORDER BY started_at DESC LIMIT 1) \
     GROUP BY account_name ORDER BY account_name";

#[test]
fn a_run_lands_in_sqlite_and_postgres_as_its_json_report_says() {
    let pg = PostgresServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("runs.db");
    let sqlite = format!("sqlite:{}", db.display());
    let (doc, stderr) = run_into(&["ebs", "quotas"], &[&sqlite, &pg.url], &[]);
    assert!(!stderr.contains(PostgresServer::PASSWORD), "a password reached stderr: {stderr}");
    let run_id = stored_run_id(&stderr);
    assert_eq!(doc["run"]["run_id"], run_id);
    for (plugin_doc, table) in doc["plugins"].as_array().unwrap().iter().zip(["ebs", "quotas"]) {
        let records = plugin_doc["summary"]["records"].as_u64().unwrap();
        let targets = plugin_doc["summary"]["total"].as_u64().unwrap();
        let count = format!("SELECT count(*) FROM {table} WHERE run_id = '{run_id}'");
        assert_eq!(sqlite3(&db, &count).trim(), records.to_string(), "{table} in SQLite");
        assert_eq!(pg.psql(&count).unwrap().trim(), records.to_string(), "{table} in PostgreSQL");
        let stored_targets = format!(
            "SELECT count(*), sum(records) FROM trawl_targets WHERE run_id = '{run_id}' AND plugin = '{table}'"
        );
        assert_eq!(sqlite3(&db, &stored_targets).trim(), format!("{targets}|{records}"));
        assert_eq!(pg.psql(&stored_targets).unwrap().trim(), format!("{targets}|{records}"));
    }
    let state = "SELECT state, shard_count, plugin_set FROM trawl_runs";
    assert_eq!(sqlite3(&db, state).trim(), "complete|1|ebs,quotas");
    assert_eq!(pg.psql(state).unwrap().trim(), "complete|1|ebs,quotas");
    // The README's question, answered by each database's own shell.
    let expected = unattached_per_account(&doc).join("\n");
    assert_eq!(sqlite3(&db, README_QUESTION).trim(), expected);
    assert_eq!(pg.psql(README_QUESTION).unwrap().trim(), expected);
    // Typed columns: sizes are numbers, creation times timestamps.
    assert_eq!(
        pg.psql(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'ebs' AND column_name = 'size_gib'"
        )
        .unwrap()
        .trim(),
        "bigint"
    );
    assert_eq!(
        pg.psql(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'ebs' AND column_name = 'created'"
        )
        .unwrap()
        .trim(),
        "timestamp with time zone"
    );
    assert_eq!(
        pg.psql("SELECT count(*) FROM ebs WHERE record->>'volume_id' = volume_id").unwrap().trim(),
        doc["plugins"][0]["summary"]["records"].to_string()
    );
}

#[test]
fn names_from_a_plugin_cannot_break_the_sql_and_a_type_change_is_text() {
    let pg = PostgresServer::start();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("names.db");
    let sqlite = format!("sqlite:{}", db.display());
    // First only eu-west-1, where `size` is a number; then everywhere,
    // where it is also text: the column becomes text, with one warning.
    run_into(&["sql-names"], &[&sqlite, &pg.url], &["--regions", "eu-west-1"]);
    let (doc, stderr) = run_into(&["sql-names"], &[&sqlite, &pg.url], &[]);
    assert!(
        stderr.contains("\"size\"") || stderr.contains("sql-names.size"),
        "no warning about the changed column: {stderr}"
    );
    let records = doc["summary"]["records"].as_u64().unwrap();
    for out in [
        sqlite3(&db, "SELECT count(*) FROM trawl_runs; SELECT count(*) FROM \"sql-names\";"),
        pg.psql("SELECT count(*) FROM trawl_runs").unwrap() + &pg.psql("SELECT count(*) FROM \"sql-names\"").unwrap(),
    ] {
        let counts: Vec<u64> = out.split_whitespace().map(|n| n.parse().unwrap()).collect();
        assert_eq!(counts[0], 2, "trawl_runs is still there, with both runs");
        assert!(counts[1] > records, "every record of both runs is stored: {counts:?}");
    }
    let injected = r#"SELECT count(*) FROM "sql-names" WHERE "x""); DROP TABLE trawl_runs; --" LIKE '%-1'"#;
    assert!(sqlite3(&db, injected).trim().parse::<u64>().unwrap() > 0);
    assert_eq!(
        pg.psql(
            "SELECT data_type FROM information_schema.columns WHERE table_name = 'sql-names' AND column_name = 'size'"
        )
        .unwrap()
        .trim(),
        "text"
    );
    // The plugin's own `region` is kept apart from the target's.
    assert_eq!(sqlite3(&db, r#"SELECT DISTINCT value_region FROM "sql-names""#).trim(), "the record's own region");
}

/// A slow run (simulated latency) into `db`, stopped by `stop` once some
/// targets are stored; returns the run's id.
fn stopped_run(db: &Path, stop: impl FnOnce(u32)) -> String {
    let mut command = host_command(&[
        "run",
        &path("ebs"),
        "--into",
        &format!("sqlite:{}", db.display()),
        "--sim-generate",
        "accounts=40,regions=4",
        "--sim-latency",
        "300ms",
        "--max-workers",
        "4",
        "-o",
        "json",
    ]);
    let mut child = command.stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    let waited = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let stored =
            db.exists() && sqlite3(db, "SELECT count(*) FROM trawl_targets").trim().parse::<u32>().unwrap_or(0) >= 4;
        if stored {
            break;
        }
        assert!(waited.elapsed() < Duration::from_secs(60), "nothing was stored");
    }
    stop(child.id());
    let _ = child.wait();
    sqlite3(db, "SELECT run_id FROM trawl_runs ORDER BY started_at DESC LIMIT 1").trim().to_owned()
}

/// Every stored target has exactly the records it says it has.
fn only_whole_targets(db: &Path, run_id: &str) {
    let partial = sqlite3(
        db,
        &format!(
            "SELECT count(*) FROM trawl_targets t WHERE t.run_id = '{run_id}' AND t.records != \
             (SELECT count(*) FROM ebs e WHERE e.run_id = t.run_id AND e.account_id = t.account_id AND e.region = t.region)"
        ),
    );
    assert_eq!(partial.trim(), "0", "a target was stored without all its records");
}

#[test]
fn an_interrupted_or_killed_run_leaves_whole_targets_and_the_next_run_is_unaffected() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("stopped.db");
    // Ctrl-C: the run stops, what finished is written, the run is cancelled.
    let cancelled = stopped_run(&db, |pid| {
        Command::new("kill").args(["-INT", &pid.to_string()]).status().unwrap();
    });
    only_whole_targets(&db, &cancelled);
    assert_eq!(sqlite3(&db, &format!("SELECT state FROM trawl_runs WHERE run_id = '{cancelled}'")).trim(), "cancelled");
    // kill -9: nothing is finished; the next open marks the run failed.
    let killed = stopped_run(&db, |pid| {
        Command::new("kill").args(["-KILL", &pid.to_string()]).status().unwrap();
    });
    only_whole_targets(&db, &killed);
    assert_eq!(sqlite3(&db, &format!("SELECT state FROM trawl_runs WHERE run_id = '{killed}'")).trim(), "running");
    let (doc, stderr) = run_into(&["ebs"], &[&format!("sqlite:{}", db.display())], &[]);
    let next = stored_run_id(&stderr);
    let states = sqlite3(
        &db,
        &format!("SELECT run_id, state FROM trawl_runs WHERE run_id IN ('{killed}', '{next}') ORDER BY started_at"),
    );
    assert_eq!(states.trim(), format!("{killed}|failed\n{next}|complete"));
    let stored = sqlite3(&db, &format!("SELECT count(*) FROM ebs WHERE run_id = '{next}'"));
    assert_eq!(stored.trim(), doc["summary"]["records"].to_string());
}

#[test]
fn three_shards_write_one_run_into_postgres_equal_to_an_unsharded_run() {
    let pg = PostgresServer::start();
    let org = ["--sim-generate", "accounts=30,regions=3,volumes=10,seed=5"];
    let ebs = path("ebs");
    let shards: Vec<_> = (1..=3)
        .map(|i| {
            let shard = format!("{i}/3");
            let mut args =
                vec!["run", &ebs, "--shard", &shard, "--run-id", "sharded-run", "--into", &pg.url, "-o", "json"];
            args.extend(org);
            host_command(&args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    for shard in shards {
        let out = shard.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let mut full = vec!["run", &ebs, "--run-id", "whole-run", "--into", &pg.url, "-o", "json"];
    full.extend(org);
    let whole = run_command(&mut host_command(&full));
    assert_eq!(whole.status, 0, "{}", whole.stderr);
    assert_eq!(
        pg.psql("SELECT run_id, state, shard_count FROM trawl_runs ORDER BY run_id").unwrap().trim(),
        "sharded-run|complete|3\nwhole-run|complete|1"
    );
    let rows = |run: &str| {
        pg.psql(&format!("SELECT account_id, region, record::text FROM ebs WHERE run_id = '{run}' ORDER BY account_id, region, volume_id")).unwrap()
    };
    let targets = |run: &str| {
        pg.psql(&format!("SELECT account_id, region, status, records, totals::text FROM trawl_targets WHERE run_id = '{run}' ORDER BY account_id, region")).unwrap()
    };
    assert!(rows("whole-run").lines().count() > 100);
    assert_eq!(rows("sharded-run"), rows("whole-run"), "the shards' records differ from one run's");
    assert_eq!(targets("sharded-run"), targets("whole-run"), "the shards' targets differ from one run's");
}

#[test]
fn retention_keeps_the_newest_complete_runs_of_the_same_plugins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kept.db");
    let sqlite = format!("sqlite:{}", db.display());
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (_, stderr) = run_into(&["ebs"], &[&sqlite], &["--keep", "2"]);
        ids.push(stored_run_id(&stderr));
    }
    // Another plugin set is not counted against ebs's.
    run_into(&["quotas"], &[&sqlite], &["--keep", "1"]);
    let kept = sqlite3(&db, "SELECT run_id FROM trawl_runs WHERE plugin_set = 'ebs' ORDER BY started_at");
    assert_eq!(kept.trim(), format!("{}\n{}", ids[1], ids[2]));
    let orphans = sqlite3(
        &db,
        &format!(
            "SELECT (SELECT count(*) FROM ebs WHERE run_id = '{0}') + (SELECT count(*) FROM trawl_targets WHERE run_id = '{0}')",
            ids[0]
        ),
    );
    assert_eq!(orphans.trim(), "0", "the deleted run's rows are gone too");
    assert_eq!(sqlite3(&db, "SELECT count(*) FROM trawl_runs WHERE plugin_set = 'quotas'").trim(), "1");
}

#[test]
fn a_bad_database_is_one_line_before_any_cloud_call() {
    let pg = PostgresServer::start();
    let dir = tempfile::tempdir().unwrap();
    let closed = format!("postgres://trawl:hunter2@127.0.0.1:{}/postgres", trawl_tests::free_port());
    let wrong_password = pg.url.replace(PostgresServer::PASSWORD, "not-the-password");
    let read_only = dir.path().join("ro");
    std::fs::create_dir(&read_only).unwrap();
    let ro_db = read_only.join("runs.db");
    std::fs::write(&ro_db, "").unwrap();
    Command::new("chmod").args(["0555", read_only.to_str().unwrap()]).status().unwrap();
    Command::new("chmod").args(["0444", ro_db.to_str().unwrap()]).status().unwrap();
    let newer = dir.path().join("newer.db");
    run_into(&["ebs"], &[&format!("sqlite:{}", newer.display())], &[]);
    sqlite3(&newer, "UPDATE trawl_schema SET version = 99");
    let not_a_database = dir.path().join("text.db");
    std::fs::write(&not_a_database, "this is not a database, it is text ".repeat(200)).unwrap();
    let as_root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cases = vec![
        (closed.clone(), "127.0.0.1"),
        (wrong_password.clone(), "password authentication failed"),
        (format!("sqlite:{}", newer.display()), "newer than this host"),
        (format!("sqlite:{}", not_a_database.display()), "not a database"),
        ("mysql://root@db/x".to_owned(), "not a database URL"),
    ];
    // Root writes through file permissions; the check means something
    // only for the operators trawl is run as.
    if !as_root {
        cases.push((format!("sqlite:{}", ro_db.display()), "runs.db"));
    }
    for (url, says) in cases {
        let started = Instant::now();
        // An AWS run at a dead endpoint: the database must fail first.
        let run =
            host(&["run", &path("ebs"), "--into", &url, "--aws", "--endpoint-url", "http://127.0.0.1:9", "-o", "json"]);
        assert_eq!(run.status, EXIT_INPUT, "{url}: {}", run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{url}: {}", run.stderr);
        assert!(lines[0].contains(says), "{url}: {}", lines[0]);
        assert!(
            !lines[0].contains("hunter2")
                && !lines[0].contains(PostgresServer::PASSWORD)
                && !lines[0].contains("not-the-password"),
            "{}",
            lines[0]
        );
        assert!(run.stdout.is_empty());
        assert!(started.elapsed() < Duration::from_secs(30), "{url} took {:?}", started.elapsed());
    }
    // Flags that need a database.
    for (flag, value) in [("--keep", "3"), ("--run-id", "r1")] {
        let run = host(&["run", &path("ebs"), flag, value]);
        assert_eq!(run.status, EXIT_INPUT, "{}", run.stderr);
        assert!(run.stderr.contains("--into"), "{}", run.stderr);
    }
}

#[test]
fn a_database_lost_mid_run_is_said_in_one_line_and_stdout_stays_whole() {
    let pg = PostgresServer::start();
    let child = host_command(&[
        "run",
        &path("ebs"),
        "--into",
        &pg.url,
        "--sim-generate",
        "accounts=30,regions=4",
        "--sim-latency",
        "200ms",
        "--max-workers",
        "4",
        "-o",
        "json",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let waited = Instant::now();
    while pg.psql("SELECT count(*) FROM trawl_targets").map(|n| n.trim().parse::<u32>().unwrap_or(0)).unwrap_or(0) < 4 {
        assert!(waited.elapsed() < Duration::from_secs(60), "nothing was stored");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The server drops trawl's connection, as a restart or failover would.
    pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'trawl'").unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(7), "{stderr}");
    let doc: Value = serde_json::from_slice(&out.stdout).expect("stdout is the whole JSON report");
    assert_eq!(doc["summary"]["total"], 120);
    assert_eq!(doc["summary"]["failed"], 0);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).collect();
    assert!(!errors.is_empty() && errors.iter().all(|l| !l.contains(PostgresServer::PASSWORD)), "{stderr}");
}
