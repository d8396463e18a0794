//! Critical quantities (Q) and correction factors (β) of hazardous chemicals,
//! GB 18218-2018, keyed by CAS number with category fallbacks.
//!
//! The tables live in `data/substances.csv` and `data/substance-categories.csv`; each
//! row names its basis and how sure we are of it (\[S\] published, \[P\] secondary,
//! \[M\] commonly cited). They are compiled in, and a user may load their own.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A named substance (GB 18218-2018 Table 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Substance {
    /// CAS number.
    pub cas: String,
    /// 中文名
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Other names (`|`-separated in the file).
    pub aliases: Vec<String>,
    /// Critical quantity Q, tonnes (临界量).
    pub critical_tonnes: f64,
    /// Correction factor β (校正系数).
    pub beta: f64,
    /// Hazard category code (e.g. `J1`, `W2`).
    pub category: String,
    /// Where the numbers come from.
    pub basis: String,
}

/// Q and β for a hazard category (GB 18218-2018 Table 2), for unlisted substances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryRule {
    /// Category code, e.g. `W5.4`.
    pub category: String,
    /// What it covers.
    pub description: String,
    /// Critical quantity Q, tonnes.
    pub critical_tonnes: f64,
    /// Correction factor β.
    pub beta: f64,
    /// Where the numbers come from.
    pub basis: String,
}

/// A substance known to be outside GB 18218-2018 (neither in Table 1 nor in a hazard
/// class of Table 2): an inventory line naming it is kept and shown, and does not count
/// towards S or R.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutsideSubstance {
    /// CAS number.
    pub cas: String,
    /// 中文名
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Why it is outside the standard.
    pub why: String,
    /// Where that comes from.
    pub basis: String,
}

/// Errors reading a substance table.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SubstanceError {
    /// A row could not be read.
    #[error("substance table {file}, line {line}: {message}")]
    Row {
        /// File name.
        file: String,
        /// One-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
}

/// The substance and category tables.
#[derive(Debug, Clone, Default)]
pub struct SubstanceTable {
    substances: Vec<Substance>,
    by_cas: HashMap<String, usize>,
    by_name: HashMap<String, usize>,
    categories: HashMap<String, CategoryRule>,
    outside: Vec<OutsideSubstance>,
    outside_by_key: HashMap<String, usize>,
}

const BUILTIN_SUBSTANCES: &str = include_str!("../../data/substances.csv");
const BUILTIN_CATEGORIES: &str = include_str!("../../data/substance-categories.csv");
const BUILTIN_OUTSIDE: &str = include_str!("../../data/substances-outside.csv");

#[derive(Deserialize)]
struct OutsideRow {
    cas: String,
    name_zh: String,
    name_en: String,
    aliases: String,
    why: String,
    basis: String,
}

#[derive(Deserialize)]
struct SubstanceRow {
    cas: String,
    name_zh: String,
    name_en: String,
    aliases: String,
    critical_tonnes: f64,
    beta: f64,
    category: String,
    basis: String,
}

impl SubstanceTable {
    /// The tables shipped in `data/`.
    pub fn builtin() -> SubstanceTable {
        // The shipped tables are checked by a test; should they ever fail to parse the
        // table is empty and every inventory line is reported as unknown, never a panic.
        SubstanceTable::from_csv(BUILTIN_SUBSTANCES, BUILTIN_CATEGORIES)
            .and_then(|t| t.with_outside_csv(BUILTIN_OUTSIDE))
            .unwrap_or_default()
    }

    /// Adds a table of substances known to be outside GB 18218-2018, in the format of
    /// `data/substances-outside.csv`. A substance also in the main table stays there.
    pub fn with_outside_csv(mut self, csv_text: &str) -> Result<SubstanceTable, SubstanceError> {
        let mut rdr = csv::Reader::from_reader(csv_text.as_bytes());
        for (i, row) in rdr.deserialize::<OutsideRow>().enumerate() {
            let row = row.map_err(|e| SubstanceError::Row {
                file: "substances-outside.csv".into(),
                line: i as u64 + 2,
                message: e.to_string(),
            })?;
            let idx = self.outside.len();
            let cas = row.cas.trim().to_string();
            self.outside_by_key.insert(format!("cas:{cas}"), idx);
            for n in [&row.name_zh, &row.name_en]
                .into_iter()
                .map(String::as_str)
                .chain(row.aliases.split('|'))
            {
                let n = normalise_name(n);
                if !n.is_empty() {
                    self.outside_by_key.insert(format!("name:{n}"), idx);
                }
            }
            self.outside.push(OutsideSubstance {
                cas,
                name_zh: row.name_zh.trim().to_string(),
                name_en: row.name_en.trim().to_string(),
                why: row.why,
                basis: row.basis,
            });
        }
        Ok(self)
    }

    /// A substance known to be outside GB 18218-2018, by CAS number first, then by name;
    /// `None` for one the main table holds or nobody listed.
    pub fn outside(&self, cas: Option<&str>, name: Option<&str>) -> Option<&OutsideSubstance> {
        if self.lookup(cas, name).is_some() {
            return None;
        }
        cas.and_then(|c| self.outside_by_key.get(&format!("cas:{}", c.trim())))
            .or_else(|| {
                name.and_then(|n| {
                    self.outside_by_key
                        .get(&format!("name:{}", normalise_name(n)))
                })
            })
            .and_then(|&i| self.outside.get(i))
    }

    /// Reads tables in the format of `data/substances.csv` and
    /// `data/substance-categories.csv`.
    pub fn from_csv(substances: &str, categories: &str) -> Result<SubstanceTable, SubstanceError> {
        let mut table = SubstanceTable::default();
        let mut rdr = csv::Reader::from_reader(substances.as_bytes());
        for (i, row) in rdr.deserialize::<SubstanceRow>().enumerate() {
            let row = row.map_err(|e| SubstanceError::Row {
                file: "substances.csv".into(),
                line: i as u64 + 2,
                message: e.to_string(),
            })?;
            let positive = |v: f64| v.is_finite() && v > 0.0;
            if !positive(row.critical_tonnes) || !positive(row.beta) {
                return Err(SubstanceError::Row {
                    file: "substances.csv".into(),
                    line: i as u64 + 2,
                    message: "critical_tonnes and beta must be positive".into(),
                });
            }
            let s = Substance {
                cas: row.cas.trim().to_string(),
                name_zh: row.name_zh.trim().to_string(),
                name_en: row.name_en.trim().to_string(),
                aliases: row
                    .aliases
                    .split('|')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(String::from)
                    .collect(),
                critical_tonnes: row.critical_tonnes,
                beta: row.beta,
                category: row.category.trim().to_string(),
                basis: row.basis,
            };
            let idx = table.substances.len();
            table.by_cas.insert(s.cas.clone(), idx);
            for n in std::iter::once(&s.name_zh)
                .chain(std::iter::once(&s.name_en))
                .chain(s.aliases.iter())
            {
                table.by_name.insert(normalise_name(n), idx);
            }
            table.substances.push(s);
        }
        let mut rdr = csv::Reader::from_reader(categories.as_bytes());
        for (i, row) in rdr.deserialize::<CategoryRule>().enumerate() {
            let row = row.map_err(|e| SubstanceError::Row {
                file: "substance-categories.csv".into(),
                line: i as u64 + 2,
                message: e.to_string(),
            })?;
            table
                .categories
                .insert(row.category.to_ascii_uppercase(), row);
        }
        Ok(table)
    }

    /// Finds a substance by CAS number first, then by name or alias.
    pub fn lookup(&self, cas: Option<&str>, name: Option<&str>) -> Option<&Substance> {
        cas.and_then(|c| self.by_cas.get(c.trim()))
            .or_else(|| name.and_then(|n| self.by_name.get(&normalise_name(n))))
            .and_then(|&i| self.substances.get(i))
    }

    /// The rule for a hazard category code (case-insensitive).
    pub fn category(&self, code: &str) -> Option<&CategoryRule> {
        self.categories.get(&code.trim().to_ascii_uppercase())
    }

    /// All substances.
    pub fn substances(&self) -> &[Substance] {
        &self.substances
    }
}

fn normalise_name(n: &str) -> String {
    n.trim().to_lowercase().replace([' ', '　'], "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_tables_parse_and_hold_the_standard_values() {
        let t = SubstanceTable::from_csv(BUILTIN_SUBSTANCES, BUILTIN_CATEGORIES).expect("tables");
        // GB 18218-2018: chlorine Q 5 t, β 4; ammonia Q 10 t, β 2 (domain reference).
        let cl = t.lookup(Some("7782-50-5"), None).expect("chlorine");
        assert_eq!((cl.critical_tonnes, cl.beta), (5.0, 4.0));
        let nh3 = t.lookup(None, Some("液氨")).expect("ammonia by alias");
        assert_eq!((nh3.critical_tonnes, nh3.beta), (10.0, 2.0));
        assert_eq!(
            t.lookup(None, Some("Phosgene")).map(|s| s.critical_tonnes),
            Some(0.3)
        );
        assert_eq!(t.category("w5.4").map(|c| c.critical_tonnes), Some(5000.0));
        assert_eq!(
            t.category("J1").map(|c| (c.critical_tonnes, c.beta)),
            Some((5.0, 4.0))
        );
        assert!(t.lookup(Some("7664-93-9"), Some("硫酸")).is_none());
        assert!(
            t.outside(Some("7664-93-9"), None).is_none(),
            "not loaded yet"
        );
        let b = SubstanceTable::builtin();
        assert_eq!(
            b.outside(None, Some("硫酸")).map(|o| o.cas.as_str()),
            Some("7664-93-9")
        );
        assert_eq!(
            b.outside(Some("1310-73-2"), None)
                .map(|o| o.name_zh.as_str()),
            Some("氢氧化钠")
        );
        // A substance of the standard is never "outside", whatever the other table says.
        let wrong = SubstanceTable::builtin()
            .with_outside_csv("cas,name_zh,name_en,aliases,why,basis\n7782-50-5,氯,chlorine,,x,y\n")
            .expect("table");
        assert!(wrong.outside(Some("7782-50-5"), Some("氯")).is_none());
        assert!(wrong.outside(Some("7664-93-9"), None).is_some());
        assert_eq!(
            t.substances().len(),
            SubstanceTable::builtin().substances().len()
        );
    }
}
