//! `zonesign run`: the main job (rules §1) over every zone of a
//! configuration. Zones are independent: one that fails is reported and the
//! others are still signed. Children are signed before their parents, so a
//! parent in the same configuration publishes its children's current DS.

mod commit;
mod last;
mod listing;
mod orphans;
pub mod parent;
mod quiet;
mod tree;
mod trust;
pub mod zone;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::lifecycle::{Action, ActionKind};
use crate::report::{RunReport, ZoneReport};

pub use tree::ZoneTree;
pub use trust::head_dnskeys;
pub use zone::run_zone;

/// What `zonesign run` was asked to do.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Zones to run (default: all).
    pub zones: Vec<String>,
    pub now: u64,
    /// `--shard I/N`: only zones in shard I (1-based) of N.
    pub shard: Option<(u32, u32)>,
    /// `--parent-ds FILE`: the DS records observed at the parents.
    pub parent_ds: Option<PathBuf>,
    /// No message when a zone waits for another run's lock.
    pub quiet: bool,
    /// `--allow-clock-behind`: sign although the clock is behind a zone's
    /// last run (the clock of that run was wrong).
    pub allow_clock_behind: bool,
}

/// A zone of the configuration and its unsigned file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneEntry {
    /// Lower case, no final dot.
    pub name: String,
    pub file: PathBuf,
}

/// Every zone: `*.zone` files below `paths.zones` (origin = file stem) and
/// `[zone."name"]` tables, by name.
pub fn discover(cfg: &Config) -> Result<BTreeMap<String, ZoneEntry>> {
    let mut zones = BTreeMap::new();
    if cfg.paths.zones.is_dir() {
        // Links are followed: a zone file may be a link into a checkout.
        let walk = walkdir::WalkDir::new(&cfg.paths.zones)
            .follow_links(true)
            .sort_by_file_name();
        for entry in walk {
            let entry = entry.map_err(|e| Error::Config {
                file: cfg.paths.zones.clone(),
                reason: e.to_string(),
            })?;
            let path = entry.path();
            if entry.file_type().is_dir() || !path.to_string_lossy().ends_with(".zone") {
                continue;
            }
            // A file that looks like a zone but cannot be one is an error,
            // never a silent skip.
            let bad = |reason: &str| Error::Config {
                file: path.to_path_buf(),
                reason: reason.to_string(),
            };
            if !path.is_file() {
                return Err(bad(
                    "not a regular file (a dangling link, a device, a pipe)",
                ));
            }
            let Some(file_name) = path.file_name().and_then(|s| s.to_str()) else {
                return Err(bad("the file name is not UTF-8, so it names no zone"));
            };
            let stem = &file_name[..file_name.len() - ".zone".len()];
            let name = zone_name(stem).map_err(|e| bad(&e.to_string()))?;
            if let Some(old) = zones.insert(
                name.clone(),
                ZoneEntry {
                    name: name.clone(),
                    file: path.to_path_buf(),
                },
            ) {
                return Err(Error::Config {
                    file: cfg.file.clone(),
                    reason: format!(
                        "zone {name} has two files: {} and {} (set [zone.\"{name}\"] file)",
                        old.file.display(),
                        path.display()
                    ),
                });
            }
        }
    }
    for (name, settings) in &cfg.zones {
        if settings.file.is_some() || !zones.contains_key(name) {
            zones.insert(
                name.clone(),
                ZoneEntry {
                    name: name.clone(),
                    file: cfg.zone_file(name),
                },
            );
        }
    }
    Ok(zones)
}

/// Zone names as files and states use them: lower case, no final dot.
pub fn zone_key(z: &str) -> String {
    z.trim_end_matches('.').to_ascii_lowercase()
}

/// [`zone_key`] of a name given by a user or found in a file name,
/// checked before any path is built from it: a domain name whose text can
/// only name a file inside the site (no `/`, `\\`, NUL, empty label or
/// leading dot).
pub fn zone_name(z: &str) -> Result<String> {
    let key = zone_key(z);
    let unsafe_name = key.is_empty()
        || key.contains(['/', '\\', '\0'])
        || key.split('.').any(|label| label.is_empty());
    if unsafe_name {
        return Err(Error::Usage(format!(
            "'{}' is not a zone name (a domain name without '/', '\\', empty labels or a \
             leading dot)",
            z.escape_debug()
        )));
    }
    crate::zone::parse_origin(&key)?;
    Ok(key)
}

/// Is `zone` in shard `i` of `n`? A stable hash of the name, so adding a
/// zone never moves the others.
pub fn in_shard(zone: &str, (i, n): (u32, u32)) -> bool {
    let d = crate::crypto::digest::digest(&crate::crypto::digest::SHA256, zone.as_bytes());
    let mut b = [0u8; 4];
    b.copy_from_slice(&d.as_ref()[..4]);
    u32::from_be_bytes(b) % n == i - 1
}

/// Parses `I/N` with 1 ≤ I ≤ N.
pub fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("--shard '{text}': expected I/N with 1 <= I <= N, e.g. 2/4");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: u32 = i.trim().parse().map_err(|_| bad())?;
    let n: u32 = n.trim().parse().map_err(|_| bad())?;
    if i == 0 || n == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The zones a run works on (of `all`, the discovered ones), children
/// before parents.
pub fn select(
    cfg: &Config,
    all: &BTreeMap<String, ZoneEntry>,
    opts: &RunOptions,
) -> Result<Vec<ZoneEntry>> {
    let mut chosen: Vec<ZoneEntry> = if opts.zones.is_empty() {
        all.values().cloned().collect()
    } else {
        let mut v = Vec::new();
        for z in &opts.zones {
            let key = zone_name(z)?;
            match all.get(&key) {
                Some(e) => v.push(e.clone()),
                None => {
                    return Err(Error::Usage(format!(
                        "zone {z}: no {key}.zone below {} and no [zone.\"{key}\"] in {}",
                        cfg.paths.zones.display(),
                        cfg.file.display()
                    )));
                }
            }
        }
        v
    };
    if let Some(shard) = opts.shard {
        chosen.retain(|z| in_shard(family(&z.name, all), shard));
    }
    chosen.sort_by(|a, b| {
        depth(&b.name)
            .cmp(&depth(&a.name))
            .then(a.name.cmp(&b.name))
    });
    chosen.dedup();
    Ok(chosen)
}

/// The topmost zone of the configuration at or above `zone`. A zone and
/// the zones below it share a shard: the parent is signed in the process
/// that wrote its children's DS files, after them.
fn family<'a>(zone: &'a str, all: &BTreeMap<String, ZoneEntry>) -> &'a str {
    let mut top = zone;
    let mut rest = zone;
    while let Some((_, up)) = rest.split_once('.') {
        if all.contains_key(up) {
            top = up;
        }
        rest = up;
    }
    top
}

fn depth(zone: &str) -> usize {
    zone.split('.').filter(|l| !l.is_empty()).count()
}

/// The actions an operator must take. When the parent zone is in the same
/// configuration, DS changes are not theirs: the parent's next run
/// publishes the DS and this zone's runs confirm it.
pub fn operator_actions(actions: Vec<Action>, parent_is_ours: bool) -> Vec<Action> {
    if !parent_is_ours {
        return actions;
    }
    actions
        .into_iter()
        .filter(|a| !matches!(a.kind, ActionKind::SubmitDs | ActionKind::WithdrawDs))
        .collect()
}

/// The zones of the configuration and their parent relations.
pub fn zone_tree(cfg: &Config) -> Result<ZoneTree> {
    Ok(ZoneTree::new(discover(cfg)?.into_keys()))
}

/// Runs every selected zone; a zone's failure is in its report.
pub fn run(cfg: &Config, opts: &RunOptions) -> Result<RunReport> {
    let all = discover(cfg)?;
    let zones = select(cfg, &all, opts)?;
    if !opts.allow_clock_behind {
        refuse_clock_behind(cfg, &zones, opts.now)?;
    }
    let tree = ZoneTree::new(all.into_keys());
    let listing = listing::Listing::read(cfg);
    // Zones of one depth in parallel, deepest first: a child's DS is in
    // place before its parent is signed. Each zone signs on every core
    // too; the reports keep the order of `zones`.
    let mut reports = Vec::with_capacity(zones.len());
    for wave in zones.chunk_by(|a, b| depth(&a.name) == depth(&b.name)) {
        let done = in_parallel(
            wave,
            |z, alone| {
                let work = || match run_zone(cfg, z, &tree, opts, &listing) {
                    Ok((report, mut changes)) => {
                        if changes.is_empty() {
                            changes.release();
                        }
                        (report, changes)
                    }
                    Err(e) => (
                        ZoneReport::failed(&z.name, with_expiry(cfg, &z.name, e, opts.now)),
                        commit::Changes::default(),
                    ),
                };
                // A small zone is worked on by its worker alone: waking every
                // core for a few dozen signatures cost more than it saved.
                match alone {
                    Some(pool) if wave.len() > 1 && is_small(z) => pool.install(work),
                    _ => work(),
                }
            },
            |group| settle(cfg, opts.now, group),
        );
        reports.extend(done.into_iter().map(|(report, _)| report));
    }
    Ok(RunReport::new(opts.now, reports))
}

/// Puts a worker's last zones' files in place together; a zone whose files
/// could not be put in place has failed.
fn settle(cfg: &Config, now: u64, group: &mut [(ZoneReport, commit::Changes)]) {
    let mut changes: Vec<&mut commit::Changes> = group.iter_mut().map(|(_, c)| c).collect();
    let errors = commit::commit(cfg, &mut changes);
    for ((report, changes), error) in group.iter_mut().zip(errors) {
        changes.release();
        if let Some(e) = error {
            let e = Error::Zone {
                file: cfg.state_file(&report.zone),
                reason: format!("its files could not be put in place: {e}"),
            };
            *report = ZoneReport::failed(&report.zone, with_expiry(cfg, &report.zone, e, now));
        }
    }
}

/// `work` on every item, one item per worker thread at a time (as many
/// workers as signing threads), in the items' order; `work` is also given
/// a pool of one thread of the worker's own, for work not worth spreading
/// over every core. Each worker hands its results over [`group_size`] at a
/// time (and the last few when it runs out of items) to a thread that
/// `settle`s them, and goes on with its next items meanwhile. Not rayon's
/// own iterators: a worker waiting for a zone's parallel signing would take
/// up other zones on the same stack, without bound.
fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T, Option<&rayon::ThreadPool>) -> R + Sync,
    settle: impl Fn(&mut [R]) + Sync,
) -> Vec<R> {
    let workers = rayon::current_num_threads().clamp(1, items.len().max(1));
    let size = group_size(workers);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (work, settle, next) = (&work, &settle, &next);
    // A group settled here; its items with their indices.
    let settled = |at: Vec<usize>, mut group: Vec<R>| -> Vec<(usize, R)> {
        settle(&mut group);
        at.into_iter().zip(group).collect()
    };
    let mut all: Vec<(usize, R)> = std::thread::scope(|s| {
        // At most one group per worker waits: a worker that gets ahead of
        // the disk waits too, with the locks it holds.
        let (tx, rx) = std::sync::mpsc::sync_channel::<(Vec<usize>, Vec<R>)>(workers);
        let settler = std::thread::Builder::new().spawn_scoped(s, move || {
            rx.into_iter()
                .flat_map(|(at, group)| settled(at, group))
                .collect::<Vec<_>>()
        });
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let tx = tx.clone();
                std::thread::Builder::new()
                    .stack_size(STACK)
                    .spawn_scoped(s, move || {
                        let alone = rayon::ThreadPoolBuilder::new()
                            .num_threads(1)
                            .stack_size(STACK)
                            .build()
                            .ok();
                        // Groups settled here: the settling thread is gone.
                        let mut done = Vec::new();
                        let (mut at, mut group) = (Vec::new(), Vec::new());
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let item = items.get(i);
                            if let Some(item) = item {
                                group.push(work(item, alone.as_ref()));
                                at.push(i);
                            }
                            if group.len() == size || (item.is_none() && !group.is_empty()) {
                                let full = (std::mem::take(&mut at), std::mem::take(&mut group));
                                if let Err(std::sync::mpsc::SendError((a, g))) = tx.send(full) {
                                    done.extend(settled(a, g));
                                }
                            }
                            if item.is_none() {
                                return done;
                            }
                        }
                    })
            })
            .collect();
        drop(tx);
        let mut all: Vec<(usize, R)> = handles
            .into_iter()
            .flat_map(|h| match h {
                Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                // No thread for this worker: the others take its share.
                Err(_) => Vec::new(),
            })
            .collect();
        if let Ok(h) = settler {
            all.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        all
    });
    // Items no worker took (no thread could be started) are done here.
    let taken = next
        .load(std::sync::atomic::Ordering::Relaxed)
        .min(items.len());
    for (i, item) in items.iter().enumerate().skip(taken) {
        all.extend(settled(vec![i], vec![work(item, None)]));
    }
    all.sort_unstable_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Zones a worker puts in place together (see [`commit`]): the syncs of a
/// commit are shared by this many zones, whose locks are held until then.
const GROUP: usize = 64;

/// [`GROUP`], or fewer when the open files allowed could not hold the
/// locks of every group in flight (half of them at most, the rest for the
/// work): one being filled per worker, one waiting per worker, one being
/// settled.
fn group_size(workers: usize) -> usize {
    #[cfg(unix)]
    let open_files = {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes the struct it is given, which lives here.
        match unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } {
            0 => usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX),
            _ => 1024,
        }
    };
    #[cfg(not(unix))]
    let open_files = 1024;
    (open_files / 2 / (2 * workers + 1)).clamp(1, GROUP)
}

/// The stack of a zone's worker: what the main thread has.
const STACK: usize = 8 << 20;

/// Is the zone's file small enough (1 MiB, some 15,000 records) to be
/// signed by one thread while other threads sign other zones?
fn is_small(z: &ZoneEntry) -> bool {
    std::fs::metadata(&z.file).is_ok_and(|m| m.len() < 1 << 20)
}

/// A clock behind a zone's last run would sign with signatures that
/// expire earlier and move the lifecycle's record of time backwards:
/// refused before anything is touched (exit 2), unless told otherwise.
fn refuse_clock_behind(cfg: &Config, zones: &[ZoneEntry], now: u64) -> Result<()> {
    let behind: Vec<String> = zones
        .iter()
        .filter_map(|z| {
            let state = crate::state::ZoneState::load(&cfg.state_file(&z.name), &z.name).ok()?;
            let last = state.history.run_after(now)?;
            Some(format!("{} ({})", z.name, crate::time::rfc3339(last)))
        })
        .collect();
    if behind.is_empty() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "the clock ({}) is behind the last run of {}: nothing done. Fix the clock; if that \
         run's clock was the wrong one, pass --allow-clock-behind",
        crate::time::rfc3339(now),
        behind.join(", ")
    )))
}

/// A zone's error, with the instant the zone published last starts to
/// fail if no run succeeds before: said on every failing run, so that the
/// alert that repeats says how long is left.
fn with_expiry(cfg: &Config, zone: &str, e: Error, now: u64) -> String {
    let expires = crate::state::ZoneState::load(&cfg.state_file(zone), zone)
        .ok()
        .and_then(|s| s.history.expires);
    match expires {
        Some(at) if at > now => format!(
            "{e}\n  the published {zone} keeps its signatures until {} ({} from now); a run must succeed before",
            crate::time::rfc3339(at),
            crate::duration::Duration(at - now)
        ),
        Some(at) => format!(
            "{e}\n  the published {zone} has failed validation since {}: its signatures expired",
            crate::time::rfc3339(at)
        ),
        None => e.to_string(),
    }
}

/// Where a zone's outputs go.
pub fn signed_file(cfg: &Config, zone: &str) -> PathBuf {
    cfg.paths.signed.join(format!("{zone}.zone"))
}

pub fn ds_file(cfg: &Config, zone: &str) -> PathBuf {
    cfg.paths.ds.join(format!("{zone}.ds"))
}

/// Does the file at `path` hold exactly `data`? Then it is not written
/// again, so that `make` and rsync see nothing new.
pub fn holds(path: &Path, data: &[u8]) -> bool {
    std::fs::read(path).is_ok_and(|old| old == data)
}

/// Text in pieces written beside `path`, unsynced, for a group commit to
/// put in place. Each piece is freed once written.
pub fn stage_pieces(path: &Path, pieces: Vec<String>) -> Result<crate::atomic::Staged> {
    crate::atomic::stage_with(path, false, |w| {
        pieces
            .into_iter()
            .try_for_each(|p| w.write_all(p.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_zones() {
        let zones: Vec<String> = (0..300).map(|i| format!("z{i}.example")).collect();
        let mut seen = 0;
        for i in 1..=4 {
            let part = zones.iter().filter(|z| in_shard(z, (i, 4))).count();
            assert!(part > 40, "shard {i} has {part}");
            seen += part;
        }
        assert_eq!(seen, 300);
        assert!(parse_shard("0/3").is_err() && parse_shard("4/3").is_err());
        assert_eq!(parse_shard("2/3"), Ok((2, 3)));
    }
}
