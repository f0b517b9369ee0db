use serde_json::json;

use super::*;

/// Records every change as one JSON line.
#[derive(Default)]
struct Lines(Vec<Value>);

impl Changes for Lines {
    fn target(&mut self, _: &PluginPlan, change: &TargetChange<'_>) -> io::Result<()> {
        self.0.push(serde_json::to_value(change).unwrap());
        Ok(())
    }
    fn record(&mut self, _: &PluginPlan, change: &RecordChange<'_>) -> io::Result<()> {
        self.0.push(serde_json::to_value(change).unwrap());
        Ok(())
    }
}

fn plan_with(key: &[&str]) -> PluginPlan {
    PluginPlan { plugin: "p".into(), key: key.iter().map(|k| k.to_string()).collect(), only_in: None }
}

fn diff(key: &[&str], old: Vec<Value>, new: Vec<Value>) -> (Counts, Vec<Value>) {
    let mut lines = Lines::default();
    let mut counts = Counts::default();
    let place = ("111111111111".to_owned(), "eu-west-1".to_owned());
    compare_records(&plan_with(key), &place, "prod", old, new, &mut lines, &mut counts).unwrap();
    (counts, lines.0)
}

#[test]
fn canonical_text_ignores_key_order_whitespace_and_number_spelling() {
    let a: Value = serde_json::from_str(r#"{"b": [1, {"y": 2, "x": 1.0}], "a": "t\"\n"}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a":"t\"\n","b":[1,{"x":1,"y":2.0}]}"#).unwrap();
    assert_eq!(canonical(&a), canonical(&b));
    assert_eq!(canonical(&a), r#"{"a":"t\"\u000a","b":[1,{"x":1,"y":2}]}"#);
    assert_ne!(canonical(&json!([1, 2])), canonical(&json!([2, 1])), "array order matters");
    assert_ne!(canonical(&json!({"a": "1"})), canonical(&json!({"a": 1})), "types matter");
    assert_eq!(canonical(&json!(0.5)), "0.5");
    assert_eq!(identity(&["id".into()], &json!({"id": "v-1", "size": 3})), r#"["v-1"]"#);
    assert_eq!(identity(&["id".into(), "n".into()], &json!({"id": "v-1"})), r#"["v-1",null]"#);
    assert_eq!(identity(&[], &json!({"b": 1, "a": 2})), r#"{"a":2,"b":1}"#);
}

#[test]
fn records_are_added_removed_and_changed_by_key_with_the_fields_named() {
    let old = vec![
        json!({"id": "a", "size": 8, "tags": {"team": "ml"}}),
        json!({"id": "b", "size": 8}),
        json!({"id": "c", "size": 1, "gone": true}),
    ];
    let new = vec![
        json!({"tags": {"team": "ml"}, "size": 8, "id": "a"}),
        json!({"id": "c", "size": 2}),
        json!({"id": "d", "size": 4}),
    ];
    let (counts, lines) = diff(&["id"], old, new);
    assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 1, 1));
    let changed = lines.iter().find(|l| l["change"] == "changed").unwrap();
    assert_eq!(changed["key"], json!({"id": "c"}));
    assert_eq!(
        changed["fields"],
        json!([{"field": "gone", "old": true, "new": null}, {"field": "size", "old": 1, "new": 2}])
    );
    let added = lines.iter().find(|l| l["change"] == "added").unwrap();
    assert_eq!(added["record"], json!({"id": "d", "size": 4}));
    assert_eq!(added["account_name"], "prod");
    assert_eq!(lines.iter().find(|l| l["change"] == "removed").unwrap()["key"], json!({"id": "b"}));
}

#[test]
fn without_a_key_a_record_is_its_content_in_any_key_order() {
    let (counts, lines) =
        diff(&[], vec![json!({"a": 1, "b": 2}), json!({"a": 3})], vec![json!({"b": 2, "a": 1}), json!({"a": 4})]);
    assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 0, 1));
    assert!(lines.iter().all(|l| l.get("key").is_none() && l["record"].is_object()), "{lines:?}");
}

#[test]
fn duplicate_identities_are_a_multiset_not_a_crash_nor_a_double_count() {
    // Keyless: the same record twice, then three times.
    let r = json!({"a": 1});
    let (counts, _) = diff(&[], vec![r.clone(), r.clone()], vec![r.clone(), r.clone(), r.clone()]);
    assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 0, 0, 2));
    // Keyed: two records with key "x" before, two after, one the same.
    let (counts, lines) = diff(
        &["id"],
        vec![json!({"id": "x", "v": 1}), json!({"id": "x", "v": 2}), json!({"id": "y"})],
        vec![json!({"id": "x", "v": 2}), json!({"id": "x", "v": 3}), json!({"id": "x", "v": 3})],
    );
    assert_eq!((counts.added, counts.removed, counts.changed, counts.unchanged), (1, 1, 1, 1), "{lines:?}");
    let changed = lines.iter().find(|l| l["change"] == "changed").unwrap();
    assert_eq!(changed["fields"], json!([{"field": "v", "old": 1, "new": 3}]));
    // The same multiset in another order: nothing changed.
    let many = vec![json!({"id": "x", "v": 1}), json!({"id": "x", "v": 2}), json!({"id": "x", "v": 1})];
    let mut shuffled = many.clone();
    shuffled.reverse();
    let (counts, lines) = diff(&["id"], many, shuffled);
    assert!(!counts.any() && counts.unchanged == 3 && lines.is_empty(), "{counts:?} {lines:?}");
}

#[test]
fn records_that_are_not_objects_still_compare() {
    let (counts, lines) = diff(&["id"], vec![json!([1]), json!("s")], vec![json!([2]), json!("s")]);
    assert_eq!((counts.changed, counts.unchanged), (1, 1), "{lines:?}");
    assert_eq!(lines[0]["fields"], json!([{"field": "", "old": [1], "new": [2]}]));
}

fn state(status: &str) -> TargetState {
    TargetState { account_name: "n".into(), status: status.into(), error: None }
}

#[test]
fn only_targets_that_succeeded_twice_are_compared_the_rest_are_listed() {
    let place = |a: &str| (a.to_owned(), "r".to_owned());
    let old: BTreeMap<Place, TargetState> = [
        (place("1"), state("succeeded")),
        (place("2"), state("succeeded")),
        (place("3"), state("skipped")),
        (place("4"), state("failed")),
    ]
    .into();
    let new: BTreeMap<Place, TargetState> = [
        (place("1"), state("succeeded")),
        (place("2"), state("failed")),
        (place("3"), state("skipped")),
        (place("5"), state("succeeded")),
    ]
    .into();
    let mut lines = Lines::default();
    let mut counts = Counts::default();
    let compared = compare_targets(&plan_with(&["id"]), &old, &new, &mut lines, &mut counts).unwrap();
    assert_eq!(compared, [place("1")].into());
    let kinds: Vec<(&str, &str)> =
        lines.0.iter().map(|l| (l["account_id"].as_str().unwrap(), l["change"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("2", "status_changed"), ("3", "not_compared"), ("4", "vanished"), ("5", "appeared")]);
    assert_eq!(lines.0[0]["old_status"], "succeeded");
    assert_eq!(lines.0[0]["new_status"], "failed");
    assert_eq!(lines.0[3]["old_status"], Value::Null);
    assert_eq!(
        (counts.targets_compared, counts.targets_not_compared, counts.targets_appeared, counts.targets_vanished),
        (1, 4, 1, 1)
    );
    assert_eq!(counts.targets_status_changed, 1);
    assert!(counts.any());
}

#[test]
fn plugins_in_one_run_only_are_listed_not_compared() {
    let key = |n: &str| PluginKey { name: n.into(), key: vec![] };
    let plans = plan(&[key("ebs"), key("iam")], &[key("quotas"), key("ebs")]);
    let shown: Vec<(&str, Option<&str>)> = plans.iter().map(|p| (p.plugin.as_str(), p.only_in)).collect();
    assert_eq!(shown, [("quotas", Some("new")), ("ebs", None), ("iam", Some("old"))]);
}
