//! A thin, bounded wrapper over PCRE2 (the bundled C library of `pcre2-sys`,
//! JIT-compiled): Suricata's `pcre` keyword semantics need PCRE2 itself
//! (lookaround, backreferences, possessive quantifiers), and hostile
//! expressions must be bounded in time, which the safe `pcre2` crate cannot
//! do (it has no match/depth limits). Everything unsafe in the crate is here.

use pcre2_sys as ffi;
use std::ffi::c_int;
use std::ptr;

/// Suricata's default `pcre.match-limit`.
pub const DEFAULT_MATCH_LIMIT: u32 = 3500;
/// Suricata's default `pcre.match-limit-recursion` (PCRE2's depth limit).
pub const DEFAULT_DEPTH_LIMIT: u32 = 1500;

/// Capture pairs kept per match (whole match + 15 groups).
const OVECTOR_PAIRS: u32 = 16;

/// A match stopped by the match or depth limit (or another PCRE2 error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitHit;

/// A compiled regular expression. Shared read-only between workers.
pub struct Regex {
    code: *mut ffi::pcre2_code_8,
}

// SAFETY: a compiled pcre2_code (JIT code included) is immutable after
// compilation and documented by PCRE2 as safe to use from several threads
// at once; all per-match state lives in `Scratch`.
unsafe impl Send for Regex {}
// SAFETY: see above.
unsafe impl Sync for Regex {}

impl std::fmt::Debug for Regex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Regex")
    }
}

impl Drop for Regex {
    fn drop(&mut self) {
        // SAFETY: `code` came from pcre2_compile_8 and is freed once.
        unsafe { ffi::pcre2_code_free_8(self.code) }
    }
}

/// Compile options from Suricata's standard PCRE flag letters.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// `i`.
    pub caseless: bool,
    /// `s`.
    pub dotall: bool,
    /// `m`.
    pub multiline: bool,
    /// `x`.
    pub extended: bool,
    /// `A`.
    pub anchored: bool,
    /// `E`.
    pub dollar_endonly: bool,
    /// `G`.
    pub ungreedy: bool,
}

impl Options {
    /// Options from a flag string such as `"smi"` (letters other than the
    /// standard ones are ignored).
    pub fn from_flags(flags: &str) -> Options {
        let mut o = Options::default();
        for c in flags.chars() {
            match c {
                'i' => o.caseless = true,
                's' => o.dotall = true,
                'm' => o.multiline = true,
                'x' => o.extended = true,
                'A' => o.anchored = true,
                'E' => o.dollar_endonly = true,
                'G' => o.ungreedy = true,
                _ => {}
            }
        }
        o
    }

    fn bits(self) -> u32 {
        let mut b = 0;
        for (on, bit) in [
            (self.caseless, ffi::PCRE2_CASELESS),
            (self.dotall, ffi::PCRE2_DOTALL),
            (self.multiline, ffi::PCRE2_MULTILINE),
            (self.extended, ffi::PCRE2_EXTENDED),
            (self.anchored, ffi::PCRE2_ANCHORED),
            (self.dollar_endonly, ffi::PCRE2_DOLLAR_ENDONLY),
            (self.ungreedy, ffi::PCRE2_UNGREEDY),
        ] {
            if on {
                b |= bit;
            }
        }
        b
    }
}

impl Regex {
    /// Compiles `pattern` (JIT when the platform supports it).
    pub fn new(pattern: &str, options: Options) -> Result<Regex, String> {
        let mut err: c_int = 0;
        let mut off: usize = 0;
        // SAFETY: pattern pointer/length describe a live byte slice; the
        // out-pointers are valid locals; a null context means defaults.
        let code = unsafe {
            ffi::pcre2_compile_8(
                pattern.as_ptr(),
                pattern.len(),
                options.bits(),
                &mut err,
                &mut off,
                ptr::null_mut(),
            )
        };
        if code.is_null() {
            return Err(format!("{} at offset {off}", error_message(err)));
        }
        // JIT failure is not fatal: the interpreter is used then.
        // SAFETY: `code` is a valid compiled pattern.
        unsafe {
            ffi::pcre2_jit_compile_8(code, ffi::PCRE2_JIT_COMPLETE);
        }
        Ok(Regex { code })
    }

    /// Searches `subject` from `start`. `Ok(Some((s, e)))` is the match
    /// span; `Err(LimitHit)` means the match or depth limit was hit (treated
    /// as no match, as Suricata does).
    pub fn find_at(
        &self,
        subject: &[u8],
        start: usize,
        scratch: &mut Scratch,
    ) -> Result<Option<(usize, usize)>, LimitHit> {
        if start > subject.len() {
            return Ok(None);
        }
        // SAFETY: code, match data and match context are valid; subject
        // pointer/length describe a live slice; start <= len.
        let rc = unsafe {
            ffi::pcre2_match_8(
                self.code,
                subject.as_ptr(),
                subject.len(),
                start,
                0,
                scratch.md,
                scratch.mctx,
            )
        };
        if rc == ffi::PCRE2_ERROR_NOMATCH {
            return Ok(None);
        }
        if rc < 0 {
            return Err(LimitHit);
        }
        // SAFETY: after a successful match the ovector holds at least one
        // pair.
        let (s, e) = unsafe {
            let ov = ffi::pcre2_get_ovector_pointer_8(scratch.md);
            (*ov, *ov.add(1))
        };
        if s > e || e > subject.len() {
            // \K can report a start after the end; treat as empty at end.
            return Ok(Some((e.min(subject.len()), e.min(subject.len()))));
        }
        Ok(Some((s, e)))
    }
}

impl Regex {
    /// The span of capture group 1 of the first match (the whole match
    /// when the expression has no group); `None` when nothing matches or a
    /// limit was hit.
    pub fn find_capture1(&self, subject: &[u8], scratch: &mut Scratch) -> Option<(usize, usize)> {
        let (s, e) = self.find_at(subject, 0, scratch).ok()??;
        // SAFETY: the match data was just filled by a successful match;
        // it holds OVECTOR_PAIRS pairs, unset groups are PCRE2_UNSET.
        let g = unsafe {
            let ov = ffi::pcre2_get_ovector_pointer_8(scratch.md);
            (*ov.add(2), *ov.add(3))
        };
        let n = self.capture_count();
        if n >= 1 && g.0 <= g.1 && g.1 <= subject.len() {
            Some(g)
        } else {
            Some((s, e))
        }
    }

    fn capture_count(&self) -> u32 {
        let mut n: u32 = 0;
        // SAFETY: PCRE2_INFO_CAPTURECOUNT writes a uint32_t.
        unsafe {
            ffi::pcre2_pattern_info_8(
                self.code,
                ffi::PCRE2_INFO_CAPTURECOUNT,
                (&mut n as *mut u32).cast(),
            );
        }
        n
    }
}

/// Per-worker match state (match data and limits). Not shared.
pub struct Scratch {
    md: *mut ffi::pcre2_match_data_8,
    mctx: *mut ffi::pcre2_match_context_8,
}

// SAFETY: the scratch is owned by one worker and moved with it; PCRE2
// match data and contexts have no thread affinity.
unsafe impl Send for Scratch {}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("pcre::Scratch")
    }
}

impl Scratch {
    /// Match state with the given match and depth limits.
    pub fn new(match_limit: u32, depth_limit: u32) -> Scratch {
        // SAFETY: null general context means default allocators; the
        // returned pointers are checked before use.
        unsafe {
            let md = ffi::pcre2_match_data_create_8(OVECTOR_PAIRS, ptr::null_mut());
            let mctx = ffi::pcre2_match_context_create_8(ptr::null_mut());
            assert!(!md.is_null() && !mctx.is_null(), "pcre2: out of memory");
            ffi::pcre2_set_match_limit_8(mctx, match_limit);
            ffi::pcre2_set_depth_limit_8(mctx, depth_limit);
            Scratch { md, mctx }
        }
    }
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new(DEFAULT_MATCH_LIMIT, DEFAULT_DEPTH_LIMIT)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: both were created in `new` and are freed once.
        unsafe {
            ffi::pcre2_match_data_free_8(self.md);
            ffi::pcre2_match_context_free_8(self.mctx);
        }
    }
}

fn error_message(code: c_int) -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buffer pointer/length describe a live local array.
    let n = unsafe { ffi::pcre2_get_error_message_8(code, buf.as_mut_ptr(), buf.len()) };
    if n < 0 {
        return format!("pcre2 error {code}");
    }
    String::from_utf8_lossy(&buf[..n as usize]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_match_and_flags() {
        let mut s = Scratch::default();
        let r = Regex::new("a(b+)c", Options::default()).unwrap();
        assert_eq!(r.find_at(b"xxabbbc", 0, &mut s), Ok(Some((2, 7))));
        assert_eq!(r.find_at(b"xxabbbc", 3, &mut s), Ok(None));
        let r = Regex::new("^abc", Options::from_flags("i")).unwrap();
        assert_eq!(r.find_at(b"ABCd", 0, &mut s), Ok(Some((0, 3))));
        assert!(Regex::new("a(", Options::default()).is_err());
    }

    #[test]
    fn lookaround_and_backrefs() {
        let mut s = Scratch::default();
        let r = Regex::new(r"(\w)\1(?=z)", Options::default()).unwrap();
        assert_eq!(r.find_at(b"aab ccz", 0, &mut s), Ok(Some((4, 6))));
    }

    #[test]
    fn catastrophic_pattern_is_bounded() {
        let mut s = Scratch::new(3500, 1500);
        let r = Regex::new("(a+)+$", Options::default()).unwrap();
        let mut subj = vec![b'a'; 40];
        subj.push(b'b');
        let t = std::time::Instant::now();
        let res = r.find_at(&subj, 0, &mut s);
        assert!(res.is_err() || res == Ok(None));
        assert!(t.elapsed().as_secs() < 2);
    }
}
