//! The process's memory as the kernel holds it: in small pages, and given back when freed.
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
//!
//! A command that runs once and exits (`analyze`, `tiles`, `import`…) also has mimalloc
//! give freed memory back to the kernel at once ([`purge_at_once`]), where mimalloc's
//! default waits a second for it to be used again. Such a command frees a stage's
//! scratch (a reader's parts, an analysis's lists) and allocates the next stage's, and
//! with the default both are resident together: `riskmap tiles` of the million-house
//! city peaked at about 800 MiB by default and 690 MiB with memory given back at once
//! (BENCHMARKS.md, "Freed memory given back at once").

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

/// mimalloc's `mi_option_purge_delay`: its place in the `mi_option_e` enum of mimalloc 3
/// (the version `libmimalloc-sys` builds without its `v2` feature; mimalloc 2 has it at
/// the same place), which the crate names no constant for. The test below checks it
/// against mimalloc 3's default.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Has mimalloc give freed memory back to the kernel at once rather than after its
/// delay (1 s), unless `MIMALLOC_PURGE_DELAY` (or its former name,
/// `MIMALLOC_RESET_DELAY`) decides; whether it was set. For commands
/// that run through their stages once: a server keeps the delay, since its requests
/// free and allocate the same sizes all the time, and gives nothing back for good.
pub fn purge_at_once() -> bool {
    if purge_delay_given() {
        return false;
    }
    set_purge_delay(0);
    true
}

/// Whether the environment sets the purge delay: mimalloc reads it under its name and
/// its former one.
fn purge_delay_given() -> bool {
    ["MIMALLOC_PURGE_DELAY", "MIMALLOC_RESET_DELAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some())
}

#[allow(unsafe_code)]
fn set_purge_delay(ms: std::os::raw::c_long) {
    // SAFETY: `mi_option_set` takes any option and value; it stores the value where
    // mimalloc reads it when it next frees pages, from any thread.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, ms) }
}

#[cfg(test)]
#[allow(unsafe_code)]
fn purge_delay() -> std::os::raw::c_long {
    // SAFETY: as above; reading an option has no precondition.
    unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn purge_delay_is_the_option_set() {
        // Whoever sets the variable decides, as for huge pages.
        if super::purge_delay_given() {
            assert!(!super::purge_at_once());
            return;
        }
        // The option at PURGE_DELAY starts at mimalloc 3's purge delay, 1,000 ms: no
        // other option of that version defaults to it.
        assert_eq!(super::purge_delay(), 1000);
        assert!(super::purge_at_once());
        assert_eq!(super::purge_delay(), 0);
        super::set_purge_delay(1000);
    }

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
