//! `--report DIR`: the seed's dated report directory,
//! `DIR/trawl-YYYYMMDD-HHMMSS/` with `report.json`, one `PLUGIN.csv` per
//! plugin, `summary.csv` and `report.html`.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use super::{Report, columns, csv, html, json};

/// Writes a run's report directory under `parent` (created if need be),
/// named by `now` in UTC, and returns its path. A second report in the
/// same second gets `-2`, `-3`, ... rather than overwriting the first.
pub fn write(parent: &Path, reports: &[Report], run: &Value, now: SystemTime) -> io::Result<PathBuf> {
    let stamp = humantime::format_rfc3339_seconds(now).to_string();
    let name: String = stamp.chars().filter(|c| c.is_ascii_digit() || *c == 'T').collect::<String>().replace('T', "-");
    std::fs::create_dir_all(parent)?;
    let mut n = 1;
    let dir = loop {
        let dir = parent.join(if n == 1 { format!("trawl-{name}") } else { format!("trawl-{name}-{n}") });
        match std::fs::create_dir(&dir) {
            Ok(()) => break dir,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(e),
        }
    };
    let create = |name: &str| File::create(dir.join(name)).map(BufWriter::new);
    let columns: Vec<Vec<String>> = reports.iter().map(columns::record_columns).collect();
    let mut used = Vec::new();
    let csv_names: Vec<String> =
        reports.iter().map(|r| format!("{}.csv", unique(file_name(&r.plugin.name), &mut used))).collect();
    // The page on one thread, the rest on another: each reads every
    // record once, and the run is over, so both cores are free.
    std::thread::scope(|scope| {
        let page = scope.spawn(|| -> io::Result<()> {
            let mut page = create("report.html")?;
            html::write_in(&mut page, reports, &columns, run, &stamp)?;
            page.flush()
        });
        json::write_run(reports, run, &mut create("report.json")?)?;
        for ((report, columns), name) in reports.iter().zip(&columns).zip(&csv_names) {
            csv::write_records_in(create(name)?, std::slice::from_ref(report), std::slice::from_ref(columns))
                .map_err(io::Error::other)?;
        }
        csv::write_summary(create("summary.csv")?, reports).map_err(io::Error::other)?;
        page.join().expect("the page writer does not panic")
    })?;
    Ok(dir)
}

/// A plugin name as a file name: letters, digits, `.`, `_` and `-`
/// kept, anything else `_`, never `summary` or `report` (those are taken).
fn file_name(plugin: &str) -> String {
    let name: String =
        plugin.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    match name.trim_start_matches('.') {
        "" => "plugin".into(),
        reserved @ ("summary" | "report") => format!("{reserved}-records"),
        name => name.to_owned(),
    }
}

fn unique(name: String, used: &mut Vec<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while used.contains(&candidate) {
        candidate = format!("{name}-{n}");
        n += 1;
    }
    used.push(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_become_safe_distinct_file_names() {
        assert_eq!(file_name("ebs"), "ebs");
        assert_eq!(file_name("../etc/passwd"), "_etc_passwd");
        assert_eq!(file_name("summary"), "summary-records");
        let mut used = Vec::new();
        assert_eq!(unique("a_b".into(), &mut used), "a_b");
        assert_eq!(unique("a_b".into(), &mut used), "a_b-2");
    }
}
