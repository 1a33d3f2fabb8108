//! How guessable a secret or password is: shared by the password policy and the
//! production check of the signing secret. Imports nothing of the crate.

use std::collections::{HashMap, HashSet};

/// The least entropy a production signing secret must show.
pub const MIN_SECRET_ENTROPY_BITS: f64 = 128.0;

/// An estimate of a secret's entropy: its length times the Shannon entropy of its
/// characters. A repeated letter scores 0, 32 random base64 characters about 150,
/// 64 random hex digits about 250.
pub fn estimated_entropy_bits(secret: &str) -> f64 {
    let mut counts = HashMap::new();
    let mut len = 0usize;
    for c in secret.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        len += 1;
    }
    if len == 0 {
        return 0.0;
    }
    let per_char: f64 = counts
        .values()
        .map(|&n| {
            let p = n as f64 / len as f64;
            -p * p.log2()
        })
        .sum();
    per_char * len as f64
}

/// Whether a text is a run of a few characters or a straight sequence
/// (`aaaaaaaaaaaa`, `abababababab`, `123456789012`, `abcdefghijkl`).
pub fn is_trivial(text: &str) -> bool {
    let chars: Vec<char> = text.chars().collect();
    let distinct: HashSet<char> = chars.iter().copied().collect();
    if distinct.len() <= 3 {
        return true;
    }
    let steps: Vec<i64> = chars.windows(2).map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]))).collect();
    let straight = steps.iter().filter(|s| s.abs() == 1 || **s == -9).count();
    straight * 10 >= steps.len() * 8
}
