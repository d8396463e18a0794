//! The rules a tile can break and the violations reported against them.

use std::fmt;

/// The rule a [`Violation`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Malformed protobuf: truncated data, bad varint, invalid wire type or field number.
    Wire,
    /// A known field with the wrong wire type or an out-of-range value for its type.
    FieldType,
    /// A field outside the schema and its extension ranges.
    UnknownField,
    /// A required field is missing (layer version or name, feature type or geometry).
    MissingField,
    /// A field that may appear once appears more than once.
    DuplicateField,
    /// Layer version not among the accepted ones.
    Version,
    /// Two layers with the same name.
    DuplicateLayerName,
    /// Extent of 0.
    Extent,
    /// Invalid UTF-8 in a string.
    Utf8,
    /// A `Value` without exactly one value field.
    Value,
    /// Odd tag count, index out of range, or a key index repeated within a feature.
    Tags,
    /// Geometry type not in the enum.
    GeomType,
    /// Command sequence that does not match the geometry type, unknown command, wrong
    /// count, or missing parameters.
    Commands,
    /// A LineTo with `dX = dY = 0`.
    ZeroLengthSegment,
    /// A ring with fewer than 4 points including the closing one.
    RingTooShort,
    /// A ring whose last point repeats its first before ClosePath.
    RingClosingPointRepeated,
    /// A ring with zero area.
    ZeroAreaRing,
    /// A polygon geometry whose first ring is not exterior (positive area).
    FirstRingNotExterior,
    /// A ring intersecting or touching itself.
    RingSelfIntersection,
    /// A hole not enclosed by its exterior, or holes overlapping each other.
    HoleOutsideExterior,
    // --- RiskMap's own rules (`check_riskmap_rules`) ---
    /// Layer version is not 2.
    NotVersion2,
    /// Layer extent differs from the expected one.
    UnexpectedExtent,
    /// A layer without features.
    EmptyLayer,
    /// A feature of UNKNOWN geometry type.
    UnknownGeometry,
    /// A feature without id.
    MissingId,
    /// Two features of a layer with the same id.
    DuplicateId,
    /// Two consecutive equal points.
    RepeatedPoint,
    /// A coordinate outside `[-buffer, extent + buffer]`.
    CoordinateOutOfRange,
    /// Two polygons of one multipolygon overlap.
    OverlappingPolygons,
    /// A layer's keys or values contain duplicates.
    DuplicateKeyOrValue,
}

/// One problem found in a tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// Where: layer and feature.
    pub at: String,
    /// What exactly.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} at {}: {}", self.rule, self.at, self.detail)
    }
}

/// A tile rejected by the decoder or a checker: every violation found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MvtError {
    /// The violations, at least one.
    pub violations: Vec<Violation>,
}

impl MvtError {
    /// Whether some violation breaks `rule`.
    pub fn has(&self, rule: Rule) -> bool {
        self.violations.iter().any(|v| v.rule == rule)
    }

    /// The distinct rules broken.
    pub fn rules(&self) -> Vec<Rule> {
        let mut out: Vec<Rule> = Vec::new();
        for v in &self.violations {
            if !out.contains(&v.rule) {
                out.push(v.rule);
            }
        }
        out
    }
}

impl fmt::Display for MvtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} violation(s)", self.violations.len())?;
        for v in self.violations.iter().take(20) {
            write!(f, "\n  {v}")?;
        }
        if self.violations.len() > 20 {
            write!(f, "\n  ...")?;
        }
        Ok(())
    }
}

impl std::error::Error for MvtError {}

/// Collected violations.
#[derive(Debug, Default)]
pub(super) struct Violations(pub(super) Vec<Violation>);

impl Violations {
    pub(super) fn push(&mut self, rule: Rule, at: &str, detail: impl Into<String>) {
        self.0.push(Violation {
            rule,
            at: at.to_owned(),
            detail: detail.into(),
        });
    }
}
