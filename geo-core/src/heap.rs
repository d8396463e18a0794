//! Estimates of what collections hold on the heap, from their capacities, for the parts
//! that `Live::heap_parts` and `TileSet::heap_parts` report (the allocator's own overhead
//! left out).

/// Bytes of a hash table (hashbrown's layout, which `std`'s maps use) of `capacity`
/// entries of `entry` bytes: its buckets, a power of two at least 8/7 of the capacity,
/// and a control byte each. What the entries point to is not counted.
pub(crate) fn table_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    (capacity * 8 / 7).next_power_of_two() * (entry + 1)
}
