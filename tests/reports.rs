//! Reports people read: CSV on stdout, the dated `--report DIR`, and
//! `report.html` rendered in a real browser (headless Chromium).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use trawl_tests::{artifact_dir, fixture, host, plugin};

/// The demo organisation with a volume tag that tries to run script
/// wherever it is shown, on a volume the EBS collector reports (an
/// unattached one).
const HOSTILE_TAG: &str = "<img src=x onerror=document.title='pwned'>";

fn hostile_demo() -> tempfile::NamedTempFile {
    let mut org: Value = serde_json::from_str(&host(&["sim", "export"]).stdout).unwrap();
    let volumes = org["accounts"][0]["regions"]["eu-west-1"]["volumes"].as_array_mut().unwrap();
    let volume = volumes.iter_mut().find(|v| v["state"] == "available").expect("an unattached volume");
    volume["tags"]["Name"] = HOSTILE_TAG.into();
    fixture(&org)
}

fn read_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

#[test]
fn csv_has_one_row_per_record_with_where_it_came_from_first() {
    let ebs = plugin("ebs");
    let json = host(&["run", ebs.to_str().unwrap(), "-o", "json"]).json();
    let run = host(&["run", ebs.to_str().unwrap(), "-o", "csv"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let (header, rows) = read_csv(&run.stdout);
    let columns: Vec<&str> =
        json["plugin"]["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    assert_eq!(header[..3], ["account_id", "account_name", "region"]);
    assert_eq!(header[3..3 + columns.len()], columns[..], "the plugin's columns come next");
    assert_eq!(rows.len() as u64, json["summary"]["records"].as_u64().unwrap());
    // Every record of the JSON report is a row, nested values as JSON.
    let tags = header.iter().position(|h| h == "tags").expect("a tags column");
    for result in json["results"].as_array().unwrap() {
        for record in result["records"].as_array().unwrap() {
            let row = rows
                .iter()
                .find(|r| r[3] == record[&header[3]].as_str().unwrap())
                .unwrap_or_else(|| panic!("{record} has no row"));
            assert_eq!(row[0], result["account_id"].as_str().unwrap());
            assert_eq!(row[2], result["region"].as_str().unwrap());
            let parsed: Value = serde_json::from_str(&row[tags]).unwrap();
            assert_eq!(parsed, record["tags"]);
        }
    }
}

#[test]
fn several_plugins_share_one_csv_with_a_plugin_column() {
    let (ebs, quotas) = (plugin("ebs"), plugin("quotas"));
    let run = host(&["run", ebs.to_str().unwrap(), quotas.to_str().unwrap(), "-o", "csv"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let (header, rows) = read_csv(&run.stdout);
    assert_eq!(header[..4], ["plugin", "account_id", "account_name", "region"]);
    let plugins: std::collections::BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(plugins.into_iter().collect::<Vec<_>>(), ["ebs", "quotas"]);
}

/// The one directory `--report` made under `parent`.
fn report_dir(parent: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(parent).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

#[test]
fn report_dir_holds_the_json_the_csvs_and_the_page_and_is_named_by_date() {
    let parent = tempfile::tempdir().unwrap();
    let ebs = plugin("ebs");
    let run = host(&[
        "run",
        ebs.to_str().unwrap(),
        "--sim-broken",
        "444444444444",
        "--report",
        parent.path().to_str().unwrap(),
        "-o",
        "jsonl",
    ]);
    assert_eq!(run.status, trawl_tests::EXIT_TARGETS_FAILED, "{}", run.stderr);
    let dir = report_dir(parent.path());
    let name = dir.file_name().unwrap().to_str().unwrap();
    assert!(
        name.len() == "trawl-20261202-010203".len() && name.starts_with("trawl-20") && name.as_bytes()[14] == b'-',
        "{name}"
    );
    assert!(run.stderr.contains(&format!("report: {}", dir.display())), "{}", run.stderr);
    let mut files: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, ["ebs.csv", "report.html", "report.json", "summary.csv"]);

    // The JSON has every record even though stdout streamed them (jsonl).
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let lines = run.stdout.lines().count() as u64;
    assert_eq!(doc["summary"]["records"].as_u64(), Some(lines));
    let records: usize =
        doc["results"].as_array().unwrap().iter().map(|r| r["records"].as_array().unwrap().len()).sum();
    assert_eq!(records as u64, lines);
    let (_, rows) = read_csv(&std::fs::read_to_string(dir.join("ebs.csv")).unwrap());
    assert_eq!(rows.len() as u64, lines);

    // summary.csv: one row per target, with its status and error code.
    let (header, rows) = read_csv(&std::fs::read_to_string(dir.join("summary.csv")).unwrap());
    assert_eq!(
        header[..8],
        ["plugin", "account_id", "account_name", "region", "status", "records", "error_code", "error_message"]
    );
    assert_eq!(rows.len() as u64, doc["summary"]["total"].as_u64().unwrap());
    let broken: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "444444444444").collect();
    assert!(!broken.is_empty() && broken.iter().all(|r| r[4] == "failed" && !r[6].is_empty()), "{broken:?}");
}

/// Headless Chromium, as .ci/run installs it (Debian's `chromium`).
fn chromium(args: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .expect("running chromium (Debian's `chromium` package; .ci/run installs it)")
}

/// Loads `page` in Chromium: the DOM after its script ran, and the log.
fn render(page: &Path, screenshot: &str) -> (String, String) {
    let url = format!("file://{}", page.display());
    let shot = artifact_dir().join(screenshot);
    let taken = chromium(&[&format!("--screenshot={}", shot.display()), "--window-size=1280,2400", &url]);
    assert!(taken.status.success(), "chromium: {}", String::from_utf8_lossy(&taken.stderr));
    assert!(std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000), "no screenshot at {}", shot.display());
    let dumped = chromium(&["--dump-dom", &url]);
    assert!(dumped.status.success(), "chromium: {}", String::from_utf8_lossy(&dumped.stderr));
    (String::from_utf8(dumped.stdout).unwrap(), String::from_utf8_lossy(&dumped.stderr).into_owned())
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn the_html_report_renders_charts_and_tables_in_a_browser_and_shows_hostile_text_as_text() {
    let parent = tempfile::tempdir().unwrap();
    let org = hostile_demo();
    let (ebs, quotas) = (plugin("ebs"), plugin("quotas"));
    let run = host(&[
        "run",
        ebs.to_str().unwrap(),
        quotas.to_str().unwrap(),
        "--fixture",
        org.path().to_str().unwrap(),
        "--sim-broken",
        "444444444444",
        "--report",
        parent.path().to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(run.status, trawl_tests::EXIT_TARGETS_FAILED, "{}", run.stderr);
    let page = report_dir(parent.path()).join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for loads in ["src=\"http", "href=\"http", "url(", "@import", "<link", "fetch(", "XMLHttpRequest"] {
        assert!(!html.contains(loads), "the page loads nothing from elsewhere, yet has {loads}");
    }
    assert!(!html.contains(HOSTILE_TAG), "record text is escaped in the embedded data");

    let (dom, log) = render(&page, "report.png");
    assert!(dom.contains(r#"data-rendered="true""#), "the page's script finished:\n{log}");
    assert!(!dom.contains("data-errors"), "script errors: {}", dom.split("trawl-errors").nth(1).unwrap_or(""));
    assert!(!log.contains("Uncaught"), "console errors:\n{log}");
    assert!(dom.contains("Simulated data"), "a simulated run says so");
    for plugin in ["ebs", "quotas"] {
        assert!(dom.contains(&format!(r#"id="plugin-{plugin}""#)), "a section for {plugin}");
    }
    // Charts per account (4 bars each plugin) and per region, a heat map
    // with a cell per account x region, the error summary and the tables.
    assert!(count(&dom, r#"data-chart="accounts""#) >= 2 && count(&dom, r#"data-chart="regions""#) >= 2);
    assert!(count(&dom, r#"class="bar"#) >= 2 * (4 + 3), "bars: {}", count(&dom, r#"class="bar"#));
    assert!(count(&dom, "data-region=") >= 4 * 3, "heat map cells");
    assert!(dom.contains(r#"class="errors""#), "the error summary");
    assert!(dom.contains("AuthFailure"), "the failure code is listed");
    assert!(dom.contains(r#"class="records""#) && dom.contains(r#"class="targets""#));
    // The hostile tag is text on the page, not an element.
    assert!(dom.contains("&lt;img src=x onerror="), "the hostile tag shows as text");
    assert!(!dom.contains("<img"), "no element came from a record");
    assert!(!dom.contains("<title>pwned"), "no record ran script");
}

#[test]
fn host_report_renders_a_saved_json_report_as_the_same_page() {
    let dir = tempfile::tempdir().unwrap();
    let ebs = plugin("ebs");
    let run = host(&["run", ebs.to_str().unwrap(), "-o", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let saved = dir.path().join("run.json");
    std::fs::write(&saved, &run.stdout).unwrap();
    let page = dir.path().join("page.html");
    let made = host(&["report", saved.to_str().unwrap(), "--html", page.to_str().unwrap()]);
    assert_eq!(made.status, 0, "{}", made.stderr);
    let (dom, log) = render(&page, "saved-report.png");
    assert!(dom.contains(r#"data-rendered="true""#), "{log}");
    let records = run.json()["summary"]["records"].as_u64().unwrap();
    assert!(dom.contains(&format!("of {records}")), "the records table counts every record");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"plugin\": 1}").unwrap();
    let refused = host(&["report", broken.to_str().unwrap(), "--html", page.to_str().unwrap()]);
    assert_eq!(refused.status, trawl_tests::EXIT_INPUT);
    assert_eq!(refused.stderr.lines().count(), 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("broken.json") && refused.stderr.contains("not a trawl JSON report"));
}
