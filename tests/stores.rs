//! Runs that outlive the terminal: `host run --into` SQLite and
//! PostgreSQL, the schema, what is stored, and what happens when things
//! go wrong.

use trawl_tests::{PostgresServer, host, plugin};

#[test]
fn a_demo_run_lands_in_postgres() {
    let pg = PostgresServer::start();
    let ebs = plugin("ebs");
    let run = host(&["run", ebs.to_str().unwrap(), "--into", &pg.url, "-o", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let doc = run.json();
    let stored = pg.psql("SELECT count(*) FROM ebs").unwrap();
    assert_eq!(stored.trim(), doc["summary"]["records"].to_string());
    assert!(!run.stderr.contains(PostgresServer::PASSWORD), "{}", run.stderr);
}
