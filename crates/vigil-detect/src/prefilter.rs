//! The multi-pattern prefilter: one automaton per rule group and buffer
//! over the rules' fast patterns. Behind [`MultiPattern`] so a faster
//! backend (Hyperscan/Vectorscan) can replace the pure-Rust default.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// A multi-pattern matcher: reports the ids of the patterns occurring in a
/// buffer (each id at least once; duplicates allowed).
pub trait MultiPattern: Send + Sync + std::fmt::Debug {
    /// Calls `hit` with the id of each pattern found in `hay`.
    fn scan(&self, hay: &[u8], hit: &mut dyn FnMut(u32));
}

/// Name of the prefilter backend in use (for `--build-info`).
#[cfg(not(vigil_hyperscan))]
pub const BACKEND: &str = "aho-corasick (pure Rust, ASCII case-insensitive)";
#[cfg(vigil_hyperscan)]
pub use crate::prefilter_hs::BACKEND;

/// The default backend: `aho-corasick`, ASCII case-insensitive (patterns
/// that are case-sensitive are verified by the full match).
#[derive(Debug)]
pub struct AcMatcher {
    ac: AhoCorasick,
}

impl AcMatcher {
    /// Builds a matcher over `patterns` (ids are indexes).
    pub fn new(patterns: &[Vec<u8>]) -> Result<AcMatcher, String> {
        let ac = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .map_err(|e| e.to_string())?;
        Ok(AcMatcher { ac })
    }
}

impl MultiPattern for AcMatcher {
    fn scan(&self, hay: &[u8], hit: &mut dyn FnMut(u32)) {
        for m in self.ac.find_overlapping_iter(hay) {
            hit(m.pattern().as_u32());
        }
    }
}

/// Pattern sets smaller than this stay with aho-corasick.
#[cfg(vigil_hyperscan)]
const HS_MIN_PATTERNS: usize = 100;

/// The matcher of the backend built in (Hyperscan/Vectorscan when the
/// build found it, with aho-corasick as the fallback should it refuse a
/// pattern set).
fn new_matcher(patterns: &[Vec<u8>]) -> Result<Box<dyn MultiPattern>, String> {
    // Small sets scan fast enough with aho-corasick and cost less memory.
    #[cfg(vigil_hyperscan)]
    if patterns.len() >= HS_MIN_PATTERNS
        && let Ok(m) = crate::prefilter_hs::HsMatcher::new(patterns)
    {
        return Ok(Box::new(m));
    }
    Ok(Box::new(AcMatcher::new(patterns)?))
}

/// A prefilter: distinct patterns and, per pattern, the rules using it.
#[derive(Debug)]
pub struct Prefilter {
    matcher: Box<dyn MultiPattern>,
    /// Rule numbers per pattern id.
    pub rules: Vec<Vec<u32>>,
}

impl Prefilter {
    /// Builds a prefilter from (pattern, rule) pairs.
    pub fn build(entries: &[(Vec<u8>, u32)]) -> Result<Option<Prefilter>, String> {
        if entries.is_empty() {
            return Ok(None);
        }
        let mut ids: std::collections::HashMap<Vec<u8>, usize> = Default::default();
        let mut pats: Vec<Vec<u8>> = Vec::new();
        let mut rules: Vec<Vec<u32>> = Vec::new();
        for (p, r) in entries {
            let key = p.to_ascii_lowercase();
            let id = *ids.entry(key.clone()).or_insert_with(|| {
                pats.push(key);
                rules.push(Vec::new());
                pats.len() - 1
            });
            rules[id].push(*r);
        }
        Ok(Some(Prefilter {
            matcher: new_matcher(&pats)?,
            rules,
        }))
    }

    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Calls `hit` with the pattern ids found in `hay`.
    pub fn scan(&self, hay: &[u8], hit: &mut dyn FnMut(u32)) {
        self.matcher.scan(hay, hit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_overlapping_case_insensitive() {
        let pf = Prefilter::build(&[
            (b"abc".to_vec(), 1),
            (b"BC".to_vec(), 2),
            (b"abc".to_vec(), 3),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(pf.len(), 2);
        let mut hits = Vec::new();
        pf.scan(b"xxABCxx", &mut |id| {
            hits.extend(pf.rules[id as usize].clone())
        });
        hits.sort();
        assert_eq!(hits, vec![1, 2, 3]);
    }

    /// Both backends report the same pattern ids (case-insensitive, NUL
    /// bytes, overlapping and repeated occurrences).
    #[cfg(vigil_hyperscan)]
    #[test]
    fn hyperscan_and_aho_corasick_agree() {
        let pats: Vec<Vec<u8>> = vec![
            b"\0\x01\0\0".to_vec(),
            b"smb".to_vec(),
            b"SMB\xff".to_vec(),
            b"a".to_vec(),
            b"aa".to_vec(),
            b"|".to_vec(),
        ];
        let hs = crate::prefilter_hs::HsMatcher::new(&pats).expect("compile");
        let ac = AcMatcher::new(&pats).expect("build");
        for hay in [
            &b"xx\0\x01\0\0 SmB\xff aaa |"[..],
            b"",
            b"nothing here",
            b"\0\x01\0",
        ] {
            let mut a = Vec::new();
            ac.scan(hay, &mut |id| a.push(id));
            a.sort_unstable();
            a.dedup();
            let mut h = Vec::new();
            hs.scan(hay, &mut |id| h.push(id));
            h.sort_unstable();
            h.dedup();
            assert_eq!(a, h, "{hay:?}");
        }
    }
}
