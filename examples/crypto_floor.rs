//! The crypto floor: how fast each backend built in signs real RRsets of a
//! zone on every core, per algorithm. `bin/bench` divides a zone's RRSIG
//! count by the default backend's rate to get the least time any signer
//! with that library could take; doc/crypto.md has the table this prints,
//! from which `zonesign::crypto::preference` was set.
//!
//! Usage: crypto_floor [--zone FILE --origin NAME] [--seconds S]
//!        [--threads N] [--rate ALG[:BITS]] [--verify]
//!
//! With `--rate`, prints only the default backend's signatures per second
//! on all threads for that algorithm. With `--verify`, every figure is of
//! verifications instead (a run verifies every signature it makes).

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use domain::base::Ttl;
use domain::base::iana::SecurityAlgorithm;
use domain::rdata::Rrsig;
use domain::rdata::dnssec::Timestamp;
use zonesign::crypto::{self, Backend, KeyPair};
use zonesign::zone::{Dnssec, StoredName, Zone};

const ALGORITHMS: &[(&str, u32)] = &[
    ("RSASHA256", 2048),
    ("RSASHA256", 3072),
    ("RSASHA256", 4096),
    ("RSASHA512", 2048),
    ("ECDSAP256SHA256", 256),
    ("ECDSAP384SHA384", 384),
    ("ED25519", 256),
    ("ED448", 456),
];

struct Args {
    zone: PathBuf,
    origin: String,
    seconds: f64,
    threads: usize,
    rate: Option<(SecurityAlgorithm, u32)>,
    verify: bool,
}

fn args() -> Result<Args, String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut a = Args {
        zone: root.join("testdata/zones/example.com.zone"),
        origin: "example.com.".into(),
        seconds: 2.0,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        rate: None,
        verify: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--zone" => a.zone = value()?.into(),
            "--origin" => a.origin = value()?,
            "--seconds" => a.seconds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--threads" => a.threads = value()?.parse().map_err(|e| format!("{e}"))?,
            "--verify" => a.verify = true,
            "--rate" => {
                let v = value()?;
                let (name, bits) = v.split_once(':').unwrap_or((&v, "2048"));
                let alg = zonesign::keys::parse_algorithm(name).ok_or("unknown algorithm")?;
                a.rate = Some((alg, bits.parse().map_err(|e| format!("{e}"))?));
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// The data each RRSIG of the zone signs (RFC 4034 s3.1.8.1), at most
/// `limit` of them: what the signer hands the crypto library.
fn signed_data(zone: &Zone, alg: SecurityAlgorithm, limit: usize) -> Vec<Vec<u8>> {
    let sets = zone.nodes.iter().flat_map(|n| n.rrsets.iter());
    sets.take(limit)
        .map(|set| {
            let sig = Rrsig::new(
                set.rtype,
                alg,
                zonesign::sign::rrsig::label_count(&set.owner),
                Ttl::from_secs(set.ttl),
                Timestamp::from(1_800_000_000),
                Timestamp::from(1_790_000_000),
                12345,
                zone.apex.clone(),
                Bytes::new(),
            )
            .expect("RRSIG fields");
            zonesign::sign::rrsig::signed_data(set, &sig)
        })
        .collect()
}

/// What is timed: signing with a key, or verifying its signatures.
enum Op<'a> {
    Sign(&'a KeyPair),
    /// The backend, the key, its public key, a signature over each datum.
    Verify(Backend, &'a KeyPair, &'a [u8], Vec<Vec<u8>>),
}

impl Op<'_> {
    fn run(&self, data: &[u8], i: usize) {
        match self {
            Op::Sign(key) => {
                key.sign(data).expect("sign");
            }
            Op::Verify(backend, key, public, sigs) => {
                let ok = crypto::verify_with(*backend, key.algorithm(), public, data, &sigs[i]);
                assert_eq!(ok, Some(true), "a signature does not verify");
            }
        }
    }
}

/// Operations per second of `op` over `data` on `threads` threads.
fn rate(op: &Op<'_>, data: &[Vec<u8>], threads: usize, seconds: f64) -> f64 {
    let count = AtomicU64::new(0);
    let start = Instant::now();
    let until = Duration::from_secs_f64(seconds);
    std::thread::scope(|s| {
        for t in 0..threads {
            let count = &count;
            s.spawn(move || {
                let mut i = t * data.len() / threads.max(1);
                let mut n = 0;
                while start.elapsed() < until {
                    for _ in 0..16 {
                        op.run(&data[i % data.len()], i % data.len());
                        i += 1;
                    }
                    n += 16;
                }
                count.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    count.into_inner() as f64 / start.elapsed().as_secs_f64()
}

/// A key of `alg` loaded into `backend`, and its public key.
fn key_in(backend: Backend, alg: SecurityAlgorithm, bits: u32) -> Option<(KeyPair, Vec<u8>)> {
    let (secret, public) = crypto::generate(alg, bits).ok()?;
    let key = KeyPair::load_with(backend, alg, &secret, &public).ok()?;
    Some((key, public))
}

/// Signing with `key`, or verifying its signatures with `backend`.
fn op<'a>(
    (key, public): &'a (KeyPair, Vec<u8>),
    backend: Backend,
    data: &[Vec<u8>],
    verify: bool,
) -> Op<'a> {
    match verify {
        false => Op::Sign(key),
        true => Op::Verify(
            backend,
            key,
            public,
            data.iter().map(|d| key.sign(d).expect("sign")).collect(),
        ),
    }
}

fn main() {
    let a = args().unwrap_or_else(|e| {
        eprintln!("crypto_floor: {e}");
        std::process::exit(2)
    });
    let apex = StoredName::from_str(&a.origin).expect("origin");
    let zone = Zone::load(&a.zone, &apex, Dnssec::Strip).unwrap_or_else(|e| {
        eprintln!("crypto_floor: {e}");
        std::process::exit(2)
    });
    if let Some((alg, bits)) = a.rate {
        let data = signed_data(&zone, alg, 20_000);
        let backend = crypto::preference(alg)
            .next()
            .expect("a backend for the algorithm");
        let key = key_in(backend, alg, bits).expect("a key of the default backend");
        let op = op(&key, backend, &data, a.verify);
        println!("{:.0}", rate(&op, &data, a.threads, a.seconds));
        return;
    }
    println!(
        "# {} threads, {:.0} s each; signed data of {}",
        a.threads,
        a.seconds,
        a.zone.display()
    );
    let what = if a.verify { "verif." } else { "sig" };
    println!(
        "algorithm        bits  backend  {what:>6}/s all threads  {what}/s per thread  default"
    );
    for &(name, bits) in ALGORITHMS {
        let alg = zonesign::keys::parse_algorithm(name).expect("algorithm");
        let data = signed_data(&zone, alg, 20_000);
        let default = crypto::preference(alg).next();
        for backend in Backend::compiled() {
            let Some(key) = key_in(backend, alg, bits) else {
                continue;
            };
            let r = rate(
                &op(&key, backend, &data, a.verify),
                &data,
                a.threads,
                a.seconds,
            );
            println!(
                "{name:16} {bits:>4}  {:10} {r:>18.0} {:>17.0}  {}",
                backend.name(),
                r / a.threads as f64,
                if Some(backend) == default { "*" } else { "" }
            );
        }
    }
}
