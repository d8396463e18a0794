//! The process's memory in the kernel's small pages.
//!
//! mimalloc asks Linux for transparent huge pages (`madvise(MADV_HUGEPAGE)`) on the
//! regions it reserves. Where the kernel's `transparent_hugepage/defrag` is `madvise` —
//! the default of Debian and most distributions — a fault in such a region compacts
//! memory on the spot to find 2 MiB of contiguous pages, and a server that shares its
//! machine with a page cache of many gigabytes (its own GeoPackage, the ledgers) waits for
//! it. Measured on the million-house store (BENCHMARKS.md, "Small pages"): loading and
//! analysing took 13.4 s with huge pages and 8.8 s without, and a past day that takes a
//! copy of the map 3.5 s and 1.2 s.
//!
//! So the program turns them off for itself, unless `MIMALLOC_ALLOW_THP` is set: that is
//! mimalloc's own switch (`1` keeps huge pages, `0` turns them off as here), and whoever
//! sets it has measured their machine.

/// Turns transparent huge pages off for this process (Linux), unless
/// `MIMALLOC_ALLOW_THP` decides; whether they were turned off.
pub fn small_pages() -> bool {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return false;
    }
    turn_off()
}

#[cfg(target_os = "linux")]
fn turn_off() -> bool {
    // The flag is the process's: the kernel checks it at every fault, so it also holds
    // for the regions mimalloc reserved (and advised) before `main`.
    rustix::thread::disable_transparent_huge_pages(true).is_ok()
}

#[cfg(not(target_os = "linux"))]
fn turn_off() -> bool {
    false
}

#[cfg(test)]
mod tests {
    #[cfg(target_os = "linux")]
    #[test]
    fn the_kernel_keeps_the_flag() {
        // Before: whatever the test runner inherited; after: set, as the kernel reports.
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            return;
        }
        assert!(super::small_pages());
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap_or(false));
    }
}
