//! Typed properties of each layer, built from resolved cells, with every value problem
//! reported.
//!
//! `Build` is implemented per layer in `layers`; the cell readers they share (text,
//! numbers, counts, vocabularies, names) are in `cells`, and the two structured fields
//! in `inventory` (hazard-source inventories) and `qra` (QRA distances).

mod cells;
mod hidden;
mod inventory;
mod layers;
mod qra;

use crate::model::{
    Area, Enterprise, GasPipeline, HazardSource, HiddenHazard, House, LayerKind, ProtectionTarget,
};
use crate::substances::SubstanceTable;

use super::LoadError;
use super::fields::Value;
use super::report::{Issue, IssueCode, Position, Severity, Sink};

/// One resolved cell: the value, the column name as the file wrote it, and the factor
/// for a unit given in the header.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'r> {
    pub value: &'r Value<'r>,
    pub column: &'r str,
    pub scale: f64,
}

/// The cells of one feature, indexed like the layer's field list.
pub type Record<'r> = [Option<Cell<'r>>];

/// Where a feature is, to attach issues to it.
pub struct FeatureCx<'c> {
    pub file: &'c str,
    pub layer: LayerKind,
    pub position: Position,
    pub id: &'c str,
    pub substances: &'c SubstanceTable,
    /// Words of this data for the stages of the hidden hazards' loop, beside the
    /// standard ones (a manifest's `[statuses]`).
    pub statuses: &'c [(String, crate::model::HiddenHazardStatus)],
    /// Fields the file has no column for at all (tables): a missing value there was
    /// reported once for the file, not for every row.
    pub absent: &'c [bool],
    pub sink: &'c mut Sink,
    /// The texts of this chunk of the file's rows (2,048) so far: a ledger's texts that
    /// recur are held once ([`crate::model::Text`]).
    pub(crate) texts: &'c mut crate::heap::Shared<str>,
}

impl FeatureCx<'_> {
    /// Records an issue about this feature.
    pub(crate) fn issue(
        &mut self,
        severity: Severity,
        code: IssueCode,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Result<(), LoadError> {
        let issue = Issue {
            severity,
            code,
            file: self.file.to_string(),
            layer: Some(self.layer),
            position: Some(self.position),
            feature_id: Some(self.id.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        };
        self.sink.push(issue)
    }

    fn warn(
        &mut self,
        code: IssueCode,
        field: &str,
        message: impl Into<String>,
    ) -> Result<(), LoadError> {
        self.issue(Severity::Warning, code, Some(field), message)
    }
}

mod sealed {
    use super::{FeatureCx, Record};
    use crate::io::LoadError;

    /// How a layer's properties are built; implemented for the seven model types only.
    pub trait Build: Sized + Send + Sync + 'static {
        /// Builds the properties; `Ok(None)` when the feature is skipped (the issue has
        /// been recorded).
        fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError>;
    }
}

pub(crate) use sealed::Build;

/// The properties type of a layer: [`Enterprise`], [`HazardSource`], [`GasPipeline`],
/// [`House`], [`ProtectionTarget`], [`Area`] or [`HiddenHazard`]. Sealed: only those
/// seven implement it.
pub trait LayerProps: sealed::Build + PartialEq {
    /// The layer these properties belong to.
    const KIND: LayerKind;
}

impl LayerProps for Enterprise {
    const KIND: LayerKind = LayerKind::Enterprises;
}
impl LayerProps for HazardSource {
    const KIND: LayerKind = LayerKind::HazardSources;
}
impl LayerProps for GasPipeline {
    const KIND: LayerKind = LayerKind::GasPipelines;
}
impl LayerProps for House {
    const KIND: LayerKind = LayerKind::Houses;
}
impl LayerProps for ProtectionTarget {
    const KIND: LayerKind = LayerKind::ProtectionTargets;
}
impl LayerProps for Area {
    const KIND: LayerKind = LayerKind::Areas;
}
impl LayerProps for HiddenHazard {
    const KIND: LayerKind = LayerKind::HiddenHazards;
}

pub use hidden::LINKABLE;

#[cfg(test)]
mod tests;
