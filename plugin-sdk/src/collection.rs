//! What `collect` returns: records and per-target totals.

use serde::Serialize;

use crate::bindings::trawl::collector::types;
use crate::error::Error;

/// Records of one target plus named totals the host sums over the run.
#[derive(Debug, Default, Clone)]
pub struct Collection {
    records: Vec<String>,
    totals: Vec<(String, u64)>,
}

impl Collection {
    /// An empty collection.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one record; it must serialise to a JSON object.
    pub fn push(&mut self, record: &impl Serialize) -> Result<(), Error> {
        let json = serde_json::to_string(record)?;
        if !json.starts_with('{') {
            return Err(Error::failed(
                "trawl.RecordNotObject",
                format!("a record must be a JSON object, got {json:.40}"),
            ));
        }
        self.records.push(json);
        Ok(())
    }

    /// Sets a named total for this target (replacing an earlier value).
    pub fn total(&mut self, name: &str, value: u64) -> &mut Self {
        match self.totals.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.totals.push((name.to_owned(), value)),
        }
        self
    }

    /// Number of records so far.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no record was pushed.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    #[doc(hidden)]
    pub fn into_wit(self) -> types::Collection {
        types::Collection {
            records: self.records,
            totals: self.totals.into_iter().map(|(name, value)| types::Total { name, value }).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_must_be_objects_and_totals_replace() {
        let mut c = Collection::new();
        c.push(&serde_json::json!({"id": 1})).unwrap();
        assert_eq!(c.push(&42).unwrap_err().code(), "trawl.RecordNotObject");
        c.total("total", 1).total("unused", 2).total("total", 3);
        let wit = c.into_wit();
        assert_eq!(wit.records, vec![r#"{"id":1}"#.to_string()]);
        let totals: Vec<_> = wit.totals.iter().map(|t| (t.name.as_str(), t.value)).collect();
        assert_eq!(totals, vec![("total", 3), ("unused", 2)]);
    }
}
