//! Shared by the tests: where the build tree and its tools are, the test
//! data, a small random generator and a small JSON reader (the tests parse
//! clql-probe's output; no crates).
#![allow(dead_code)]

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod json;

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..").canonicalize().unwrap()
}

/// $CLQL_BUILD_DIR, else the repository's build/.
pub fn build_dir() -> PathBuf {
    env::var_os("CLQL_BUILD_DIR").map(PathBuf::from).unwrap_or_else(|| repo().join("build"))
}

/// The device records of the bindings' tests and example: a 4 GiB and an
/// 80 GB card.
pub fn devices_file() -> PathBuf {
    repo().join("bindings/data/devices.json")
}

/// clql-probe of the build tree, with the budget knobs of the caller's
/// environment removed (plans compare at the defaults unless a test sets one).
pub fn probe(args: &[&str], env: &[(&str, &str)]) -> json::Json {
    let bin = build_dir().join("bin/clql-probe");
    let mut cmd = Command::new(&bin);
    cmd.args(args);
    for var in ["CLQL_MEM_FRACTION", "CLQL_MEM_LIMIT", "CLQL_MEM_RESERVE", "CLQL_MAX_BATCH"] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("{}: {}", bin.display(), e));
    assert!(
        out.status.success(),
        "clql-probe {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    json::parse(&String::from_utf8(out.stdout).unwrap())
}

/// xorshift64*: reproducible inputs without a crate. The seed is printed so
/// a failure can be repeated (CLQL_TEST_SEED).
pub struct Rng(u64);

impl Rng {
    pub fn new() -> Rng {
        let seed = env::var("CLQL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("seed {} (CLQL_TEST_SEED)", seed);
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in [-1, 1).
    pub fn float(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
    pub fn trit(&mut self) -> i8 {
        (self.next() % 3) as i8 - 1
    }
    pub fn floats(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.float() * scale).collect()
    }
    pub fn trits(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.trit()).collect()
    }
}

/// Bit-for-bit equality of float slices, naming the first difference.
pub fn assert_bits_eq(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{}: lengths", what);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{}: element {} is {} (want {})", what, i, g, w);
    }
}
