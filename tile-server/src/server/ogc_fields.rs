//! The fields of each layer as the OGC API gives them to every feature (empty ones as
//! null): clients such as GDAL and QGIS set up a layer's table from its first page, so a
//! field that only later features have would otherwise be lost. Found by one pass over
//! the layer, once per layer and data generation, with what each field's values are (the
//! collection's JSON Schema, from which GDAL types its fields).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use riskmap_core::export::FieldSpec;
use riskmap_core::model::LayerKind;

/// The fields of each layer, by layer.
type ByLayer = HashMap<LayerKind, Arc<Vec<FieldSpec>>>;

/// The field lists of the generation served, by layer.
#[derive(Debug, Default)]
pub struct FieldLists(Mutex<(u64, ByLayer)>);

impl FieldLists {
    /// The list of `kind` in `generation`, made by `make` if not known yet.
    pub fn get(
        &self,
        generation: u64,
        kind: LayerKind,
        make: impl FnOnce() -> Vec<FieldSpec>,
    ) -> Arc<Vec<FieldSpec>> {
        if let Ok(g) = self.0.lock()
            && g.0 == generation
            && let Some(l) = g.1.get(&kind)
        {
            return Arc::clone(l);
        }
        let list = Arc::new(make());
        if let Ok(mut g) = self.0.lock() {
            if g.0 != generation {
                *g = (generation, HashMap::new());
            }
            g.1.insert(kind, Arc::clone(&list));
        }
        list
    }
}
