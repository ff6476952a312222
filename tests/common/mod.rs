//! Helpers shared by the integration tests: corpus paths and zone origins.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::str::FromStr;

use zonesign::zone::StoredName;

/// The shared corpus beside the repository (`../shared/corpus`).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

pub fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench")
}

/// Origin of a corpus zone: the first line's `; origin: X`, else the file stem.
pub fn origin_of(path: &Path) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let first = String::from_utf8_lossy(&text);
    let first = first.lines().next().unwrap_or("");
    if let Some(rest) = first.strip_prefix("; origin: ") {
        return rest.split_whitespace().next().unwrap_or("").to_string();
    }
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    format!("{stem}.")
}

pub fn name(s: &str) -> StoredName {
    StoredName::from_str(s).expect("test name")
}

/// Every `*.zone` directly in `dir`, sorted.
pub fn zones_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .collect();
    v.sort();
    v
}

/// Whether an external tool is on PATH.
pub fn have(tool: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}
