//! What an operator sees: which cloud a run used, the README against
//! `host run --help`, and tables in a real terminal of 80 and 160 columns.

use std::collections::BTreeSet;
use std::process::Command;

use trawl_tests::{host, host_command, plugin};

#[test]
fn the_demo_cloud_says_so_and_the_report_records_it() {
    let ebs = plugin("ebs");
    let run = host(&["run", ebs.to_str().unwrap(), "--output", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("demo cloud: 4 simulated accounts") && run.stderr.contains("--aws"), "{}", run.stderr);
    assert_eq!(run.json()["run"]["backend"], "sim");
    let quiet = host(&["-q", "run", ebs.to_str().unwrap(), "--output", "json"]);
    assert!(quiet.stderr.is_empty(), "-q: {}", quiet.stderr);

    let org = trawl_tests::fixture(
        &serde_json::json!({"accounts": [{"id": "123456789012", "name": "x", "regions": {"us-east-1": {}}}]}),
    );
    let run = host(&["run", ebs.to_str().unwrap(), "--output", "json", "--fixture", org.path().to_str().unwrap()]);
    let doc = run.json();
    assert_eq!(doc["run"]["backend"], "sim-fixture");
    assert_eq!(doc["run"]["fixture"], org.path().to_str().unwrap());
    assert!(run.stderr.contains("simulated cloud from"), "{}", run.stderr);
}

/// The `--flags` of `host run` in `text`.
fn flags(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_readme_documents_every_flag_of_host_run_and_invents_none() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let section = readme.split("## For operators").nth(1).unwrap();
    let synopsis = section.split("```sh").nth(1).unwrap().split("host inspect").next().unwrap();
    let documented = flags(synopsis);
    let help = host(&["run", "--help"]);
    let options = help.stdout.split("Examples:").next().unwrap();
    let mut real = flags(options);
    real.remove("--help");
    assert_eq!(documented, real, "README's `host run` synopsis and `host run --help` disagree");
}

/// `host run` in a pseudo-terminal `columns` wide, through util-linux
/// `script`; what the terminal showed.
fn in_terminal(columns: u16, args: &str) -> String {
    let host = host_command(&[]).get_program().to_owned();
    let command = format!("stty cols {columns} rows 50; {} {args}", host.to_str().unwrap());
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    // The same isolated environment the other tests give the host.
    for (key, value) in host_command(&[]).get_envs() {
        match value {
            Some(v) => script.env(key, v),
            None => script.env_remove(key),
        };
    }
    script.env_remove("COLUMNS").env("TERM", "xterm");
    let out = script.output().expect("script (util-linux) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Columns a terminal line takes: characters, less colour sequences
/// (`ESC [ ... m`) and the carriage return.
fn visible_width(line: &str) -> usize {
    let mut width = 0;
    let mut chars = line.trim_end_matches('\r').chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|c| c.is_ascii_alphabetic());
        } else {
            width += 1;
        }
    }
    width
}

#[test]
fn tables_fit_an_80_and_a_160_column_terminal() {
    let ebs = plugin("ebs");
    for columns in [80u16, 160] {
        // Latency makes the run last long enough for the bar to draw.
        let screen = in_terminal(columns, &format!("run {} --regions all --sim-latency 150ms", ebs.display()));
        assert!(screen.contains(" eta ") && screen.contains("throttled 0"), "no progress bar:\n{screen}");
        let rows: Vec<&str> = screen.lines().filter(|l| l.trim_start().starts_with(['┌', '│', '╞', '└'])).collect();
        assert!(rows.len() > 5, "no table on the screen:\n{screen}");
        for row in &rows {
            let width = visible_width(row);
            assert!(width <= columns as usize, "{width} > {columns}: {row}");
        }
        assert!(screen.contains("ebs 0.1.0: 12 targets"), "the summary line:\n{screen}");
        assert!(screen.contains("run: the join policy held"), "{screen}");
        assert!(screen.contains("demo cloud"), "{screen}");
    }
}

#[test]
fn logs_say_each_target_at_v_and_carry_no_colour_when_redirected() {
    let ebs = plugin("ebs");
    let ebs = ebs.to_str().unwrap();
    let run = host(&["-v", "run", ebs, "-o", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let finished = run.stderr.lines().filter(|l| l.contains("target finished")).count();
    assert_eq!(finished, 12, "one line per target at -v:\n{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "colour codes in a redirected stderr:\n{}", run.stderr);
    // Library internals only from -vv.
    assert!(!run.stderr.contains("wasmtime") && !run.stderr.contains("cranelift"), "{}", run.stderr);

    let jsonl = host(&["-q", "run", ebs, "-o", "jsonl"]);
    assert_eq!(jsonl.status, 0);
    assert!(jsonl.stderr.is_empty(), "-q hides the jsonl summary too: {}", jsonl.stderr);
}

#[test]
fn a_person_at_a_terminal_gets_one_outcome_line_when_output_goes_to_a_file() {
    let ebs = plugin("ebs");
    let out = tempfile::NamedTempFile::new().unwrap();
    let screen = in_terminal(100, &format!("run {} -o json --no-progress > {}", ebs.display(), out.path().display()));
    assert!(screen.contains("run: the join policy held; 11 of 12 targets succeeded"), "{screen}");
    assert!(screen.contains("as json on stdout"), "{screen}");
    assert!(!screen.contains("eta"), "--no-progress: {screen}");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(out.path()).unwrap()).unwrap();
    assert_eq!(doc["summary"]["total"], 12);
}

#[test]
fn completions_a_man_page_and_examples_are_there() {
    let bash = host(&["completions", "bash"]);
    assert_eq!(bash.status, 0);
    assert!(bash.stdout.contains("_host()") && bash.stdout.contains("--max-workers"), "{}", bash.stdout);
    for shell in ["zsh", "fish"] {
        assert!(host(&["completions", shell]).stdout.contains("max-workers"), "{shell}");
    }
    let man = host(&["man"]);
    assert!(man.stdout.starts_with(".ie") || man.stdout.contains(".TH host 1"), "{}", man.stdout);
    let help = host(&["run", "--help"]);
    assert!(help.stdout.contains("Examples:") && help.stdout.contains("-o, --output"), "{}", help.stdout);
    let screen = in_terminal(80, "run --help");
    let wide: Vec<&str> = screen.lines().filter(|l| visible_width(l) > 80).collect();
    assert!(wide.is_empty(), "help fits an 80-column terminal: {wide:?}");
}
