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

use std::fmt::{self, Display};
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, DeserializeOwned, Deserializer, IntoDeserializer, Visitor};

/// Reads a number given as a JSON number or as a string.
pub fn number<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + DeserializeOwned,
    T::Err: Display,
{
    deserializer.deserialize_any(NumberVisitor(PhantomData))
}

/// Reads a boolean given as a JSON boolean or as `"true"`/`"false"`.
pub fn boolean<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    deserializer.deserialize_any(BoolVisitor)
}

struct NumberVisitor<T>(PhantomData<T>);

impl<T> Visitor<'_> for NumberVisitor<T>
where
    T: FromStr + DeserializeOwned,
    T::Err: Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number or a numeric string")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        s.trim().parse().map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        T::deserialize(v.into_deserializer())
    }
}

struct BoolVisitor;

impl Visitor<'_> for BoolVisitor {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
        Ok(v)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<bool, E> {
        match s {
            "true" => Ok(true),
            "false" => Ok(false),
            other => Err(E::custom(format!("expected a boolean, got {other:?}"))),
        }
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
