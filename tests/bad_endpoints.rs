//! Endpoints that are not what an operator meant: nothing listening, a
//! listener that never answers, a server that answers HTML. Each run ends
//! well inside a generous bound with one line that says what happened.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use trawl_tests::{EXIT_INPUT, RecordingProxy, plugin, run_against};

/// Runs the EBS collector against `url` with `args`; returns the exit
/// status, stderr and the wall time.
fn run_at(url: &str, args: &[&str]) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let out = run_against(url, "ebs", "AKIA111111111111DEMO", args).output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), started.elapsed())
}

/// A loopback listener that accepts connections and never answers.
fn silent_listener() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    url
}

/// A loopback server answering every request with `status` and an HTML
/// page, as a proxy or a web server in the way would.
fn html_server(status: &str) -> String {
    let body = "<!DOCTYPE html>\n<html>\n<head>\n  <title>501 Not Implemented</title>\n</head>\n<body>\n\
                <h1>Not Implemented</h1>\n<p>The proxy cannot do that.</p>\n</body>\n</html>\n";
    fixed_server(status, body.to_owned())
}

/// A loopback server answering every request with `status` and `body`.
fn fixed_server(status: &str, body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let status = status.to_owned();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 65536];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn a_listener_that_never_answers_is_given_up_on_after_two_silent_attempts() {
    let url = silent_listener();
    let (status, stderr, wall) = run_at(&url, &["--call-timeout", "2s"]);
    assert_eq!(status, Some(EXIT_INPUT), "{stderr}");
    // 8 attempts would be 16 s of timeouts alone; two are about 4 s.
    assert!(wall < Duration::from_secs(60), "took {wall:?}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains(&url) && last.contains("has not answered"), "{stderr}");
    assert!(last.contains("2 attempts got no answer"), "{stderr}");
    let told = stderr.lines().filter(|l| l.contains("has not answered")).count();
    assert!(told <= 2, "said once as a warning and once as the error:\n{stderr}");
}

#[test]
fn nothing_listening_fails_fast_in_one_line() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let url = format!("http://{free}");
    let (status, stderr, wall) = run_at(&url, &[]);
    assert_eq!(status, Some(EXIT_INPUT), "{stderr}");
    assert!(wall < Duration::from_secs(60), "took {wall:?}");
    let last = stderr.lines().last().unwrap_or_default();
    assert!(last.contains("has not answered") && last.contains(&url), "{stderr}");
}

#[test]
fn an_html_answer_is_one_line_with_its_status_and_title() {
    let url = html_server("501 Not Implemented");
    let (status, stderr, _) = run_at(&url, &["--max-attempts", "1"]);
    assert_eq!(status, Some(EXIT_INPUT), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("501") && stderr.contains("Not Implemented"), "{stderr}");
    assert!(!stderr.contains("<html") && !stderr.contains("<body"), "{stderr}");
}

#[test]
fn an_endpoint_that_sends_too_much_is_cut_off() {
    let url = fixed_server("200 OK", "x".repeat(40 << 20));
    let (status, stderr, _) = run_at(&url, &["--max-attempts", "1"]);
    assert_eq!(status, Some(EXIT_INPUT), "{stderr}");
    assert!(stderr.contains("trawl.ResponseTooLarge") && stderr.contains("larger than 32 MiB"), "{stderr}");
}

#[test]
fn an_endpoint_without_a_scheme_is_refused_before_anything_runs() {
    let proxy = RecordingProxy::start("127.0.0.1:9");
    let bare = proxy.url.trim_start_matches("http://");
    let ebs = plugin("ebs");
    let run = trawl_tests::host(&["run", ebs.to_str().unwrap(), "--aws", "--endpoint-url", bare]);
    assert_eq!(run.status, EXIT_INPUT, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains(bare) && run.stderr.contains("http://"), "{}", run.stderr);
    assert!(proxy.received().is_empty(), "nothing was sent");
}
