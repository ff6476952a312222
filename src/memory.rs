//! Handing freed memory back to the system between phases.
//!
//! mimalloc keeps freed pages committed for a while in case they are
//! wanted again; when a phase frees a few hundred MiB of one kind of block
//! (the parsed pieces of a large zone) and the next allocates blocks of
//! other sizes, that memory stays resident beside the new and sets the
//! peak. Collecting on every thread at such a point returns it at once.

/// Below this many records (or RRsets, or owners) a phase frees too little to matter, and
/// collecting on every thread would cost more than the phase (10,000 small
/// zones collected after every phase: 0.9 s of a 6 s run).
const RELEASE_MIN_RECORDS: usize = 100_000;

/// Returns the memory freed so far on every thread of rayon's pool and on
/// this one, after a phase over `records` records; nothing for a small
/// zone. Costs a few milliseconds; call it after a phase that freed much,
/// not in a loop.
pub fn release_freed(records: usize) {
    if records < RELEASE_MIN_RECORDS {
        return;
    }
    let collect = || {
        // SAFETY: mi_collect takes no pointers; mimalloc allows it on any
        // thread at any time (it collects that thread's heap and purges
        // what is free).
        unsafe { libmimalloc_sys::mi_collect(true) }
    };
    rayon::broadcast(|_| collect());
    collect();
}

/// Asks the CPU to start loading the cache line at `at`, for a loop that
/// will read it a few steps on: owners are walked in canonical order, and
/// their names and RRsets lie wherever they were parsed or built, so each
/// first read of them is otherwise a wait on memory.
#[inline(always)]
pub fn prefetch<T>(at: *const T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: SSE is part of every x86_64 CPU, and a prefetch is a
        // hint that never faults or reads for the program, whatever the
        // address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(at.cast()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}
