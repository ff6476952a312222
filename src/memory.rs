//! Handing freed memory back to the system between phases.
//!
//! mimalloc keeps freed pages committed for a while in case they are
//! wanted again; when a phase frees a few hundred MiB of one kind of block
//! (the parsed pieces of a large zone) and the next allocates blocks of
//! other sizes, that memory stays resident beside the new and sets the
//! peak. Collecting on every thread at such a point returns it at once.

/// Returns the memory freed so far on every thread of rayon's pool and on
/// this one. Costs a few milliseconds; call it after a phase that freed
/// much, not in a loop.
pub fn release_freed() {
    let collect = || {
        // SAFETY: mi_collect takes no pointers; mimalloc allows it on any
        // thread at any time (it collects that thread's heap and purges
        // what is free).
        unsafe { libmimalloc_sys::mi_collect(true) }
    };
    rayon::broadcast(|_| collect());
    collect();
}
