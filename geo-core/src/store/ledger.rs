//! The ledger form of the structured fields: what a store writes for an inventory or a
//! table of QRA distances is the text a ledger cell holds (`液氨=35;氯(7782-50-5)=2`,
//! `high_sensitivity=500;important=300`), which a person reads in GIS software and the
//! loaders parse back to the same value.

use serde_json::{Map, Value};

use crate::model::{InventoryItem, QraDistances, TargetClass};

/// Replaces the JSON form of the structured fields of a row's props by their ledger text.
pub(super) fn to_ledger_form(fields: &mut Map<String, Value>) {
    for (k, v) in fields.iter_mut() {
        let text = match k.as_str() {
            "inventory" => serde_json::from_value::<Vec<InventoryItem>>(v.clone())
                .ok()
                .map(|items| inventory_text(&items)),
            "qra_distances" => serde_json::from_value::<Option<QraDistances>>(v.clone())
                .ok()
                .map(|q| q.map(|q| qra_text(&q)).unwrap_or_default()),
            _ => None,
        };
        if let Some(t) = text {
            *v = if t.is_empty() {
                Value::Null
            } else {
                Value::String(t)
            };
        }
    }
}

/// `name(CAS,category)=tonnes` per line, lines joined by `;`.
pub fn inventory_text(items: &[InventoryItem]) -> String {
    items
        .iter()
        .map(|i| {
            let inner: Vec<&str> = [i.cas.as_deref(), i.category.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let substance = match (&i.name, inner.as_slice()) {
                (Some(n), []) => n.clone(),
                (Some(n), inner) => format!("{n}({})", inner.join(",")),
                (None, [one]) => (*one).to_string(),
                (None, [cas, category]) => format!("{cas}({category})"),
                (None, _) => String::new(),
            };
            format!("{substance}={}", i.tonnes)
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `class=metres` per class given, joined by `;`.
pub fn qra_text(q: &QraDistances) -> String {
    TargetClass::ALL
        .iter()
        .filter_map(|c| q.for_class(*c).map(|m| format!("{}={m}", c.key())))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_text_of_inventories_and_distances() {
        let item =
            |name: Option<&str>, cas: Option<&str>, category: Option<&str>, t| InventoryItem {
                name: name.map(Into::into),
                cas: cas.map(Into::into),
                category: category.map(Into::into),
                tonnes: t,
            };
        assert_eq!(
            inventory_text(&[
                item(Some("液氨"), None, None, 35.0),
                item(Some("氯"), Some("7782-50-5"), None, 2.5),
                item(Some("某溶剂"), Some("64-17-5"), Some("W5.3"), 0.125),
                item(None, None, Some("W3"), 10.0),
            ]),
            "液氨=35;氯(7782-50-5)=2.5;某溶剂(64-17-5,W5.3)=0.125;W3=10"
        );
        let q = QraDistances {
            high_sensitivity: Some(500.0),
            general_2: Some(42.5),
            ..QraDistances::default()
        };
        assert_eq!(qra_text(&q), "high_sensitivity=500;general_2=42.5");
    }
}
