//! Typed reads of wire values.
//!
//! EC2 and query services answer in XML, where every leaf is text: the host
//! keeps those values as strings (`"size": "100"`, `"encrypted": "false"`).
//! These `deserialize_with` helpers accept the string form and the native
//! JSON form alike, so one struct reads both protocols.
//!
//! ```
//! #[derive(serde::Deserialize)]
//! struct Volume {
//!     #[serde(deserialize_with = "trawl_plugin_sdk::wire::number")]
//!     size: u64,
//!     #[serde(deserialize_with = "trawl_plugin_sdk::wire::boolean")]
//!     encrypted: bool,
//! }
//! let v: Volume = serde_json::from_str(r#"{"size": "100", "encrypted": "false"}"#).unwrap();
//! assert_eq!((v.size, v.encrypted), (100, false));
//! ```

use std::fmt::Display;
use std::str::FromStr;

use serde::de::{self, Deserialize, DeserializeOwned, Deserializer};

/// Reads a number given as a JSON number or as a string.
pub fn number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + DeserializeOwned,
    T::Err: Display,
{
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(s) => s.trim().parse().map_err(de::Error::custom),
        other => T::deserialize(other).map_err(de::Error::custom),
    }
}

/// Reads a boolean given as a JSON boolean or as `"true"`/`"false"`.
pub fn boolean<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Bool(b) => Ok(b),
        serde_json::Value::String(s) if s == "true" => Ok(true),
        serde_json::Value::String(s) if s == "false" => Ok(false),
        other => Err(de::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    struct Sample {
        #[serde(deserialize_with = "super::number")]
        n: i64,
        #[serde(deserialize_with = "super::number")]
        f: f64,
        #[serde(deserialize_with = "super::boolean")]
        b: bool,
    }

    #[test]
    fn reads_string_and_native_forms() {
        let a: Sample = serde_json::from_str(r#"{"n":"-3","f":"1.5","b":"true"}"#).unwrap();
        let b: Sample = serde_json::from_str(r#"{"n":-3,"f":1.5,"b":true}"#).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn rejects_garbage_with_a_message() {
        let e = serde_json::from_str::<Sample>(r#"{"n":"x","f":1,"b":true}"#).unwrap_err();
        assert!(e.to_string().contains("invalid digit"), "{e}");
        let e = serde_json::from_str::<Sample>(r#"{"n":1,"f":1,"b":"yes"}"#).unwrap_err();
        assert!(e.to_string().contains("expected a boolean"), "{e}");
    }
}
