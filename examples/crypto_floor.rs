//! Measures ring's ECDSA P-256 signing rate per core, the unit of the
//! crypto floor in `bin/bench`: prints signatures per second on one thread.

use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

fn main() {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("generate a P-256 key");
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
        .expect("load the generated key");
    // A typical RRset's signed data: about 120 octets.
    let data = [0x5au8; 120];
    let mut n = 0u64;
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        for _ in 0..1000 {
            let _ = key.sign(&rng, &data).expect("sign");
        }
        n += 1000;
    }
    println!("{:.0}", n as f64 / start.elapsed().as_secs_f64());
}
