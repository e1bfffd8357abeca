//! Feeds arbitrary bytes to `CaptureReader` and drains every packet.
//!
//! The first byte picks how the input is delivered (all at once, or in
//! short reads of 1..=8 bytes) so partial-read handling is fuzzed too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{self, Read};
use vigil_capture::CaptureReader;

/// Delivers `data` at most `chunk` bytes per `read` call.
struct Chunked {
    data: Vec<u8>,
    pos: usize,
    chunk: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = self.data.get(self.pos..).unwrap_or(&[]);
        let n = rest.len().min(buf.len()).min(self.chunk);
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos += n;
        Ok(n)
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, data)) = input.split_first() else {
        return;
    };
    let chunk = if mode & 0x80 == 0 {
        usize::MAX
    } else {
        usize::from(mode & 7) + 1
    };
    let src = Chunked {
        data: data.to_vec(),
        pos: 0,
        chunk,
    };
    let Ok(mut reader) = CaptureReader::from_read("fuzz", Box::new(src)) else {
        return;
    };
    let mut last_offset = None;
    loop {
        match reader.next_packet() {
            Ok(Some(p)) => {
                // Offsets strictly increase and stay inside the input.
                assert!(last_offset.is_none_or(|o| p.offset > o));
                assert!(p.offset < data.len() as u64);
                assert!(p.ts.nanos < 1_000_000_000);
                last_offset = Some(p.offset);
            }
            Ok(None) => break,
            Err(e) => {
                let _ = e.to_string();
                // A finished reader stays finished.
                assert!(matches!(reader.next_packet(), Ok(None)));
                break;
            }
        }
    }
    assert!(reader.bytes_read() <= data.len() as u64);
});
