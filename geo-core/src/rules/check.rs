//! Range and order checks of rule values, shared by the tables.
//!
//! Each table checks its own values in a `validate(&self, path, problems)` beside its
//! definition; [`super::Rules::problems`] asks every table and reports all problems at once,
//! each with the full dotted path of its key.

use std::fmt::Display;

/// One value of a rules file that is out of range or out of order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Dotted path of the key (`protection.hazchem_enterprise.general_3`).
    pub path: String,
    /// What is wrong, with the value (`-50 is negative; a distance must be ≥ 0`).
    pub message: String,
}

impl std::fmt::Display for RuleProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The largest distance a rule may give, metres. No screening distance or influence radius
/// comes near it; a larger value is a slip of the keyboard (and would make every feature
/// of a province interact).
pub const MAX_DISTANCE_M: f64 = 100_000.0;

pub(crate) fn push(out: &mut Vec<RuleProblem>, path: &str, message: String) {
    out.push(RuleProblem {
        path: path.to_string(),
        message,
    });
}

/// A distance or radius in metres: finite, ≥ 0 and at most [`MAX_DISTANCE_M`].
pub(crate) fn distance(out: &mut Vec<RuleProblem>, path: &str, v: f64) {
    if !v.is_finite() {
        push(
            out,
            path,
            format!("{v} is not a finite number; a distance must be a finite number ≥ 0"),
        );
    } else if v < 0.0 {
        push(
            out,
            path,
            format!("{v} is negative; a distance must be ≥ 0"),
        );
    } else if v > MAX_DISTANCE_M {
        push(
            out,
            path,
            format!("{v} is more than {MAX_DISTANCE_M} m; a distance must be ≤ {MAX_DISTANCE_M}"),
        );
    }
}

/// A weight or multiplier: finite and ≥ 0.
pub(crate) fn weight(out: &mut Vec<RuleProblem>, path: &str, v: f64) {
    if !v.is_finite() {
        push(
            out,
            path,
            format!("{v} is not a finite number; a weight must be a finite number ≥ 0"),
        );
    } else if v < 0.0 {
        push(out, path, format!("{v} is negative; a weight must be ≥ 0"));
    }
}

/// A count threshold that must be at least 1 (0 would make the rule apply to everything).
pub(crate) fn at_least_one(out: &mut Vec<RuleProblem>, path: &str, v: u64) {
    if v < 1 {
        push(
            out,
            path,
            format!("{v} would apply to every feature; it must be ≥ 1"),
        );
    }
}

fn list<T: Display>(values: &[T]) -> String {
    let items: Vec<String> = values.iter().map(ToString::to_string).collect();
    format!("[{}]", items.join(", "))
}

/// Values that must strictly increase in the order given.
pub(crate) fn increasing<T: Display + PartialOrd>(
    out: &mut Vec<RuleProblem>,
    path: &str,
    values: &[T],
) {
    if values
        .windows(2)
        .any(|w| w[0].partial_cmp(&w[1]) != Some(std::cmp::Ordering::Less))
    {
        push(out, path, format!("{} must increase", list(values)));
    }
}

/// Named values that must not increase in the order given (`names` and `values` pair up).
pub(crate) fn not_increasing(
    out: &mut Vec<RuleProblem>,
    path: &str,
    names: &[&str],
    values: &[f64],
    why: &str,
) {
    for (i, w) in values.windows(2).enumerate() {
        if w[1] > w[0] {
            push(
                out,
                path,
                format!(
                    "{} = {} is more than {} = {}; {why}",
                    names[i + 1],
                    w[1],
                    names[i],
                    w[0]
                ),
            );
        }
    }
}
