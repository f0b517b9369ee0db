//! Comparing two saved JSON reports (`host diff OLD.json NEW.json`).

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use super::{
    Changes, Comparison, DiffError, EachTarget, Outcome, Place, PluginKey, RecordSource, RunSide, TargetState, names,
    plan, run_comparison,
};
use crate::report::json::SavedRun;

/// Compares two saved JSON reports (`host run -o json`): `old` and `new`
/// are (file name, report).
pub fn compare_saved(
    old: (&str, &SavedRun),
    new: (&str, &SavedRun),
    sink: &mut dyn Changes,
) -> Result<Outcome, DiffError> {
    let plugins = |saved: &SavedRun| -> Vec<PluginKey> {
        saved.reports.iter().map(|r| PluginKey { name: r.plugin.name.clone(), key: r.plugin.key.clone() }).collect()
    };
    let (old_plugins, new_plugins) = (plugins(old.1), plugins(new.1));
    let side = |(file, saved): (&str, &SavedRun)| RunSide {
        run_id: saved.run.get("run_id").and_then(Value::as_str).map(str::to_owned),
        started_at: None,
        state: None,
        source: file.to_owned(),
    };
    let comparison = Comparison { old: side(old), new: side(new), plugins: plan(&old_plugins, &new_plugins) };
    if comparison.plugins.iter().all(|p| p.only_in.is_some()) {
        return Err(DiffError::Input(format!(
            "{} ({}) and {} ({}) have no plugin in common: nothing to compare",
            old.0,
            names(&old_plugins),
            new.0,
            names(&new_plugins)
        )));
    }
    run_comparison(comparison, &mut Saved { old: old.1, new: new.1 }, sink)
}

struct Saved<'a> {
    old: &'a SavedRun,
    new: &'a SavedRun,
}

impl Saved<'_> {
    fn report<'r>(run: &'r SavedRun, plugin: &str) -> Option<&'r crate::report::Report> {
        run.reports.iter().find(|r| r.plugin.name == plugin)
    }
}

impl RecordSource for Saved<'_> {
    fn targets(&mut self, plugin: &str) -> Result<[BTreeMap<Place, TargetState>; 2], DiffError> {
        let of = |run: &SavedRun| {
            Self::report(run, plugin)
                .map(|r| {
                    r.results
                        .iter()
                        .map(|t| {
                            let place = (t.target.account_id.clone(), t.target.region.clone());
                            let state = TargetState {
                                account_name: t.target.account_name.clone(),
                                status: t.status.as_str().to_owned(),
                                error: t.error.as_ref().map(|e| e.code.clone()),
                            };
                            (place, state)
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok([of(self.old), of(self.new)])
    }

    fn records(&mut self, plugin: &str, compared: &HashSet<Place>, each: &mut EachTarget<'_>) -> Result<(), DiffError> {
        let of = |run: &SavedRun| -> Result<BTreeMap<Place, Vec<Value>>, DiffError> {
            let mut out: BTreeMap<Place, Vec<Value>> = BTreeMap::new();
            for result in Self::report(run, plugin).map(|r| r.results.as_slice()).unwrap_or_default() {
                let place = (result.target.account_id.clone(), result.target.region.clone());
                if !compared.contains(&place) {
                    continue;
                }
                let records = out.entry(place).or_default();
                for raw in &result.records {
                    records.push(serde_json::from_str(raw.get()).map_err(|e| DiffError::Input(e.to_string()))?);
                }
            }
            Ok(out)
        };
        let (mut old, mut new) = (of(self.old)?, of(self.new)?);
        let mut places: Vec<&Place> = compared.iter().collect();
        places.sort();
        for place in places {
            each(place, old.remove(place).unwrap_or_default(), new.remove(place).unwrap_or_default())?;
        }
        Ok(())
    }
}
