//! The Hyperscan/Vectorscan prefilter backend, compiled in when the build
//! finds the system library (`libhs` through pkg-config; see build.rs).
//! Literal patterns (as escaped-byte expressions), ASCII case-insensitive,
//! each reported at most once
//! per scan: the same answers as the aho-corasick backend, faster on large
//! pattern sets.
//!
//! The library is C: this module is the only place that calls it, through
//! a minimal hand-written binding of the functions used.

use std::cell::RefCell;
use std::ffi::{CStr, c_char, c_int, c_uint, c_ulonglong, c_void};
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::prefilter::MultiPattern;

/// Opaque library types.
#[repr(C)]
struct HsDatabase {
    _private: [u8; 0],
}
#[repr(C)]
struct HsScratch {
    _private: [u8; 0],
}
#[repr(C)]
struct HsCompileError {
    message: *mut c_char,
    expression: c_int,
}

type MatchHandler = unsafe extern "C" fn(
    id: c_uint,
    from: c_ulonglong,
    to: c_ulonglong,
    flags: c_uint,
    context: *mut c_void,
) -> c_int;

const HS_SUCCESS: c_int = 0;
const HS_FLAG_CASELESS: c_uint = 1;
const HS_FLAG_SINGLEMATCH: c_uint = 8;
const HS_MODE_BLOCK: c_uint = 1;

unsafe extern "C" {
    fn hs_compile_multi(
        expressions: *const *const c_char,
        flags: *const c_uint,
        ids: *const c_uint,
        elements: c_uint,
        mode: c_uint,
        platform: *const c_void,
        db: *mut *mut HsDatabase,
        error: *mut *mut HsCompileError,
    ) -> c_int;
    fn hs_free_compile_error(error: *mut HsCompileError) -> c_int;
    fn hs_free_database(db: *mut HsDatabase) -> c_int;
    fn hs_alloc_scratch(db: *const HsDatabase, scratch: *mut *mut HsScratch) -> c_int;
    fn hs_free_scratch(scratch: *mut HsScratch) -> c_int;
    fn hs_scan(
        db: *const HsDatabase,
        data: *const c_char,
        length: c_uint,
        flags: c_uint,
        scratch: *mut HsScratch,
        on_event: MatchHandler,
        context: *mut c_void,
    ) -> c_int;
}

/// Name of this backend (for `--build-info`).
pub const BACKEND: &str = "hyperscan/vectorscan (system libhs), ASCII case-insensitive";

/// Matchers get a number so each thread knows which databases its
/// scratch space was sized for.
static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// A compiled pattern database.
#[derive(Debug)]
pub struct HsMatcher {
    db: *mut HsDatabase,
    id: usize,
}

// SAFETY: a compiled database is immutable; Hyperscan documents that one
// database may be scanned from many threads at once, each with its own
// scratch space (which this module keeps per thread).
unsafe impl Send for HsMatcher {}
// SAFETY: as above: `scan` only reads the database.
unsafe impl Sync for HsMatcher {}

impl HsMatcher {
    /// Compiles `patterns` (ids are indexes).
    pub fn new(patterns: &[Vec<u8>]) -> Result<HsMatcher, String> {
        let n = c_uint::try_from(patterns.len()).map_err(|_| "too many patterns".to_string())?;
        if n == 0 {
            return Err("no patterns".into());
        }
        // Each literal as a regular expression of escaped bytes (the
        // literal API of Vectorscan 5.4 refuses literals that start with a
        // NUL byte).
        let exprs: Vec<std::ffi::CString> = patterns
            .iter()
            .map(|p| {
                use std::fmt::Write as _;
                let mut e = String::with_capacity(p.len() * 4);
                for b in p {
                    let _ = write!(e, "\\x{b:02x}");
                }
                std::ffi::CString::new(e).map_err(|_| "pattern".to_string())
            })
            .collect::<Result<_, _>>()?;
        let ptrs: Vec<*const c_char> = exprs.iter().map(|e| e.as_ptr()).collect();
        let flags: Vec<c_uint> = vec![HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH; patterns.len()];
        let ids: Vec<c_uint> = (0..n).collect();
        let mut db: *mut HsDatabase = std::ptr::null_mut();
        let mut err: *mut HsCompileError = std::ptr::null_mut();
        // SAFETY: every array has `n` elements and lives across the call;
        // the expressions are NUL-terminated; the library writes the two
        // out-pointers.
        let rc = unsafe {
            hs_compile_multi(
                ptrs.as_ptr(),
                flags.as_ptr(),
                ids.as_ptr(),
                n,
                HS_MODE_BLOCK,
                std::ptr::null(),
                &mut db,
                &mut err,
            )
        };
        if rc != HS_SUCCESS {
            let msg = if err.is_null() {
                format!("hyperscan compile error {rc}")
            } else {
                // SAFETY: on failure `err` points to the library's error
                // record with a NUL-terminated message; it is freed once.
                unsafe {
                    let m = CStr::from_ptr((*err).message)
                        .to_string_lossy()
                        .into_owned();
                    hs_free_compile_error(err);
                    m
                }
            };
            return Err(msg);
        }
        Ok(HsMatcher {
            db,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        })
    }
}

impl Drop for HsMatcher {
    fn drop(&mut self) {
        // SAFETY: the database was allocated by the compile call and is
        // freed exactly once, here.
        unsafe {
            hs_free_database(self.db);
        }
    }
}

/// The scratch space of one thread, grown for each database it scanned.
struct ThreadScratch {
    scratch: *mut HsScratch,
    sized_for: Vec<bool>,
}

impl Drop for ThreadScratch {
    fn drop(&mut self) {
        if !self.scratch.is_null() {
            // SAFETY: allocated by hs_alloc_scratch for this thread only,
            // freed once when the thread ends.
            unsafe {
                hs_free_scratch(self.scratch);
            }
        }
    }
}

thread_local! {
    static SCRATCH: RefCell<ThreadScratch> = const {
        RefCell::new(ThreadScratch { scratch: std::ptr::null_mut(), sized_for: Vec::new() })
    };
}

/// Passes each match to the caller's closure.
unsafe extern "C" fn on_match(
    id: c_uint,
    _from: c_ulonglong,
    _to: c_ulonglong,
    _flags: c_uint,
    context: *mut c_void,
) -> c_int {
    // SAFETY: `context` is the `&mut &mut dyn FnMut(u32)` `scan` passed to
    // hs_scan, alive for the whole (synchronous) scan.
    let hit = unsafe { &mut *context.cast::<&mut dyn FnMut(u32)>() };
    hit(id);
    0
}

impl MultiPattern for HsMatcher {
    fn scan(&self, hay: &[u8], hit: &mut dyn FnMut(u32)) {
        // Hyperscan takes a 32-bit length: longer buffers are scanned in
        // overlapping pieces (patterns are far shorter than the overlap).
        const PIECE: usize = 1 << 30;
        const OVERLAP: usize = 1 << 16;
        SCRATCH.with(|cell| {
            let mut ts = cell.borrow_mut();
            if ts.sized_for.get(self.id).copied() != Some(true) {
                // SAFETY: grows (or allocates) this thread's scratch so it
                // can be used with this database.
                let rc = unsafe { hs_alloc_scratch(self.db, &mut ts.scratch) };
                if rc != HS_SUCCESS {
                    return;
                }
                if ts.sized_for.len() <= self.id {
                    ts.sized_for.resize(self.id + 1, false);
                }
                if let Some(s) = ts.sized_for.get_mut(self.id) {
                    *s = true;
                }
            }
            let mut start = 0;
            loop {
                let end = (start + PIECE).min(hay.len());
                let piece = hay.get(start..end).unwrap_or(&[]);
                let mut cb: &mut dyn FnMut(u32) = &mut *hit;
                // SAFETY: `piece` is valid for its length (< 2^32); the
                // scratch belongs to this thread and fits the database; the
                // callback context outlives the synchronous call.
                unsafe {
                    hs_scan(
                        self.db,
                        piece.as_ptr().cast(),
                        piece.len() as c_uint,
                        0,
                        ts.scratch,
                        on_match,
                        (&mut cb as *mut &mut dyn FnMut(u32)).cast(),
                    );
                }
                if end >= hay.len() {
                    break;
                }
                start = end - OVERLAP;
            }
        });
    }
}
