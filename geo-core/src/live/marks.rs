//! A set of (layer, position) as one bit per feature: a batch's changed features are
//! looked up for each of 10⁵ conflicts, which a bit answers without hashing or
//! comparing.

use crate::model::LayerKind;

/// Features marked by layer and position.
#[derive(Debug, Default)]
pub(super) struct Marks {
    layers: Vec<(LayerKind, Vec<u64>)>,
}

impl Marks {
    /// Marks every feature of `set`.
    pub(super) fn of(set: impl IntoIterator<Item = (LayerKind, usize)>) -> Marks {
        let mut m = Marks::default();
        for (layer, pos) in set {
            let bits = match m.layers.iter_mut().position(|(l, _)| *l == layer) {
                Some(i) => &mut m.layers[i].1,
                None => {
                    m.layers.push((layer, Vec::new()));
                    let last = m.layers.len() - 1;
                    &mut m.layers[last].1
                }
            };
            if bits.len() <= pos / 64 {
                bits.resize(pos / 64 + 1, 0);
            }
            bits[pos / 64] |= 1 << (pos % 64);
        }
        m
    }

    /// Whether the feature is marked.
    pub(super) fn has(&self, layer: LayerKind, pos: usize) -> bool {
        self.layers.iter().any(|(l, bits)| {
            *l == layer
                && bits
                    .get(pos / 64)
                    .is_some_and(|w| w & (1 << (pos % 64)) != 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_answer_for_their_layer_and_position_only() {
        let set = [
            (LayerKind::Houses, 0),
            (LayerKind::Houses, 64),
            (LayerKind::Houses, 999_999),
            (LayerKind::HazardSources, 3),
        ];
        let m = Marks::of(set);
        for (l, p) in set {
            assert!(m.has(l, p), "{l:?} {p}");
        }
        assert!(!m.has(LayerKind::Houses, 1));
        assert!(!m.has(LayerKind::Houses, 63));
        assert!(!m.has(LayerKind::Houses, 1_000_000));
        assert!(!m.has(LayerKind::HazardSources, 0));
        assert!(!m.has(LayerKind::Enterprises, 3));
    }
}
