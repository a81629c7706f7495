//! Replays the fuzz corpora (fuzz/seeds, and fuzz/corpus when a fuzzing run left one) through
//! every fuzz target, then a few thousand cheap mutations of each seed: no input may panic.
//! The long runs (10 million executions a target) are `cargo fuzz`'s job: see BENCHMARKS.md.

use std::path::Path;
use videokit_core::fuzz_targets::TARGETS;

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                out.push(b);
            }
        }
    }
    out
}

#[test]
fn corpora_and_mutations_never_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut total = 0usize;
    for (name, target) in TARGETS {
        let mut inputs = files(&fuzz.join("seeds").join(name));
        assert!(!inputs.is_empty(), "no seeds for {name}");
        inputs.extend(files(&fuzz.join("corpus").join(name)));
        for input in &inputs {
            target(input);
            for _ in 0..300 {
                let mut m = input.clone();
                match rng.u8(0..4) {
                    0 if !m.is_empty() => {
                        let i = rng.usize(0..m.len());
                        m[i] = rng.u8(..);
                    }
                    1 if !m.is_empty() => m.truncate(rng.usize(0..m.len())),
                    2 => {
                        let i = rng.usize(0..=m.len());
                        m.insert(i, *b"\"{}[]:,.|=\\\x00\xff".get(rng.usize(0..14)).unwrap_or(&b'x'));
                    }
                    _ => m.extend_from_slice(&m.clone()),
                }
                target(&m);
                total += 1;
            }
        }
    }
    assert!(total > 20_000, "{total} mutated inputs");
}
