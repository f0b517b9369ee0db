//! trawl as a library: `host/examples/embed.rs`, the example a user
//! copies, runs the EBS collector over the demo cloud, streams results
//! and cancels the run part way.

use trawl_tests::{example, plugin};

#[test]
fn the_embedding_example_streams_results_and_cancels_after_n() {
    let ebs = plugin("ebs");
    let run = example("embed", &[ebs.to_str().unwrap(), "3"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(run.stderr.contains("demo cloud"), "the example says where its data comes from: {}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    let cancel_at = lines.iter().position(|l| *l == "cancelling after 3 results").expect(&run.stdout);
    assert_eq!(cancel_at, 3, "three results, then the cancel:\n{}", run.stdout);
    // The demo has 12 targets; each gets exactly one result, streamed.
    let results: Vec<&&str> = lines.iter().filter(|l| l.contains(" records") && !l.contains(':')).collect();
    assert_eq!(results.len(), 12, "{}", run.stdout);
    assert!(results[..3].iter().all(|l| !l.contains("Cancelled")), "{}", run.stdout);
    // Results that finished while the first three were being read still
    // arrive after the cancel (in any order with the cancelled ones);
    // what had not started is cancelled, and every target is there once.
    let cancelled = results.iter().filter(|l| l.contains("Cancelled")).count();
    assert!(cancelled > 0, "the cancel stopped the run:\n{}", run.stdout);
    let places: std::collections::BTreeSet<String> =
        results.iter().map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" ")).collect();
    assert_eq!(places.len(), 12, "each target once:\n{}", run.stdout);
    let summary = lines.last().unwrap();
    assert!(summary.starts_with("ebs: 12 targets,") && summary.ends_with("run: interrupted"), "{summary}");
    assert!(summary.contains(&format!("{cancelled} cancelled")), "{summary}");
}
