//! Unknown keys of configuration files, found the same way in every file.
//!
//! RiskMap reads three TOML files: the server configuration, the data manifest
//! (`riskmap.toml`) and the rules file. Each of their tables is a serde struct that keeps the
//! keys it does not know in one field,
//!
//! ```text
//! #[serde(flatten, skip_serializing)]
//! pub unknown: UnknownKeys,
//! ```
//!
//! and implements [`CollectUnknown`]: it lists its own unknown keys and asks each nested table
//! for theirs, so that every unknown key comes out with its full dotted path
//! (`layers.houses.deny_feilds`, `hazard.alpha[0].alfa`). What happens to them is the
//! caller's policy: the server configuration and the manifest warn and go on, the rules
//! refuse the file (a misspelt rule must not be silently ignored).
//!
//! ```
//! use std::collections::BTreeMap;
//! use riskmap_core::config_keys::{key_path, CollectUnknown, UnknownKeys};
//!
//! #[derive(serde::Deserialize, Default)]
//! #[serde(default)]
//! struct Layer {
//!     deny_fields: Vec<String>,
//!     #[serde(flatten)]
//!     unknown: UnknownKeys,
//! }
//!
//! impl CollectUnknown for Layer {
//!     fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
//!         self.unknown.collect_unknown(path, out);
//!     }
//! }
//!
//! #[derive(serde::Deserialize, Default)]
//! #[serde(default)]
//! struct Config {
//!     port: u16,
//!     layers: BTreeMap<String, Layer>,
//!     #[serde(flatten)]
//!     unknown: UnknownKeys,
//! }
//!
//! impl CollectUnknown for Config {
//!     fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
//!         self.unknown.collect_unknown(path, out);
//!         self.layers.collect_unknown(&key_path(path, "layers"), out);
//!     }
//! }
//!
//! let c: Config = toml::from_str("prot = 1\n[layers.houses]\ndeny_feilds = []\n").unwrap();
//! assert_eq!(c.unknown_keys(), ["prot", "layers.houses.deny_feilds"]);
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

/// The keys of one table that its struct does not know, with their values, in the order
/// the table gives them (the file's order when toml keeps it).
///
/// Used as a `#[serde(flatten)]` field: serde hands it every key the struct's other fields
/// do not take. Add `skip_serializing` where the struct is also serialized, so that its
/// output does not change.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct UnknownKeys(pub toml::Table);

impl UnknownKeys {
    /// True when the table had no unknown key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `key` is one of the unknown keys.
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// The unknown keys of this table alone, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

/// A configuration table that can list its unknown keys and those of its nested tables.
pub trait CollectUnknown {
    /// Appends the full path of every unknown key of `self` and of its nested tables to
    /// `out`; `path` is the path of `self` itself (empty at the file's root).
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>);

    /// The full paths of all unknown keys, starting at the file's root.
    fn unknown_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_unknown("", &mut out);
        out
    }
}

/// The dotted path of `key` inside the table at `parent` (`parent.key`, or `key` at the
/// root).
pub fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path of element `index` of the array at `parent` (`parent[index]`).
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

impl CollectUnknown for UnknownKeys {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        out.extend(self.keys().map(|k| key_path(path, k)));
    }
}

impl<T: CollectUnknown> CollectUnknown for Option<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        if let Some(t) = self {
            t.collect_unknown(path, out);
        }
    }
}

impl<T: CollectUnknown> CollectUnknown for [T] {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        for (i, t) in self.iter().enumerate() {
            t.collect_unknown(&index_path(path, i), out);
        }
    }
}

impl<T: CollectUnknown> CollectUnknown for Vec<T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        self.as_slice().collect_unknown(path, out);
    }
}

impl<T: CollectUnknown> CollectUnknown for BTreeMap<String, T> {
    fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
        for (k, t) in self {
            t.collect_unknown(&key_path(path, k), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Item {
        name: String,
        #[serde(flatten)]
        unknown: UnknownKeys,
    }

    impl CollectUnknown for Item {
        fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
            self.unknown.collect_unknown(path, out);
        }
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Root {
        items: Vec<Item>,
        one: Option<Item>,
        #[serde(flatten)]
        unknown: UnknownKeys,
    }

    impl CollectUnknown for Root {
        fn collect_unknown(&self, path: &str, out: &mut Vec<String>) {
            self.unknown.collect_unknown(path, out);
            self.items.collect_unknown(&key_path(path, "items"), out);
            self.one.collect_unknown(&key_path(path, "one"), out);
        }
    }

    #[test]
    fn paths_name_tables_and_array_elements() {
        let r: Root = toml::from_str(
            "colour = 1\n[[items]]\nname = 'a'\n[[items]]\nnmae = 'b'\n[one]\nx = { y = 1 }\n",
        )
        .expect("parses");
        assert_eq!(r.items[0].name, "a");
        assert_eq!(r.unknown_keys(), ["colour", "items[1].nmae", "one.x"]);
        let clean: Root = toml::from_str("[one]\nname = 'n'\n").expect("parses");
        assert!(clean.unknown_keys().is_empty());
    }
}
