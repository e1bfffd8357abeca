//! Unit tests: captures built by hand, byte by byte.

use crate::*;
use std::io::{self, Read};

// ---------------------------------------------------------------- builders

/// Appends `v` as a u32 in the given byte order.
fn put32(out: &mut Vec<u8>, v: u32, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

fn put16(out: &mut Vec<u8>, v: u16, be: bool) {
    out.extend_from_slice(&if be { v.to_be_bytes() } else { v.to_le_bytes() });
}

/// A classic pcap file header.
fn pcap_header(be: bool, magic: u32, snaplen: u32, dlt: u32) -> Vec<u8> {
    let mut v = Vec::new();
    put32(&mut v, magic, be);
    put16(&mut v, 2, be);
    put16(&mut v, 4, be);
    put32(&mut v, 0, be);
    put32(&mut v, 0, be);
    put32(&mut v, snaplen, be);
    put32(&mut v, dlt, be);
    v
}

/// A classic pcap record.
fn pcap_rec(out: &mut Vec<u8>, be: bool, sec: u32, frac: u32, data: &[u8], orig: u32) {
    put32(out, sec, be);
    put32(out, frac, be);
    put32(out, data.len() as u32, be);
    put32(out, orig, be);
    out.extend_from_slice(data);
}

/// A pcapng writer, one section at a time.
struct Ng {
    be: bool,
    out: Vec<u8>,
}

impl Ng {
    fn new() -> Ng {
        Ng {
            be: false,
            out: Vec::new(),
        }
    }

    /// Appends a block of `btype` with `body` (padded to 4 bytes); returns
    /// its offset.
    fn block(&mut self, btype: u32, body: &[u8]) -> u64 {
        let off = self.out.len() as u64;
        let pad = (4 - body.len() % 4) % 4;
        let len = (12 + body.len() + pad) as u32;
        let be = self.be;
        put32(&mut self.out, btype, be);
        put32(&mut self.out, len, be);
        self.out.extend_from_slice(body);
        self.out.extend(std::iter::repeat_n(0u8, pad));
        put32(&mut self.out, len, be);
        off
    }

    fn shb(&mut self, be: bool) -> u64 {
        self.be = be;
        let mut b = Vec::new();
        put32(&mut b, 0x1a2b_3c4d, be);
        put16(&mut b, 1, be);
        put16(&mut b, 0, be);
        b.extend_from_slice(&(-1i64).to_le_bytes());
        // an shb_userappl option, then end of options
        self.options(&mut b, &[(4, b"vigil-test")]);
        self.block(0x0A0D_0D0A, &b)
    }

    fn options(&self, b: &mut Vec<u8>, opts: &[(u16, &[u8])]) {
        if opts.is_empty() {
            return;
        }
        for (code, val) in opts {
            put16(b, *code, self.be);
            put16(b, val.len() as u16, self.be);
            b.extend_from_slice(val);
            b.extend(std::iter::repeat_n(0u8, (4 - val.len() % 4) % 4));
        }
        put32(b, 0, self.be);
    }

    fn idb(&mut self, dlt: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> u64 {
        let mut b = Vec::new();
        put16(&mut b, dlt, self.be);
        put16(&mut b, 0, self.be);
        put32(&mut b, snaplen, self.be);
        self.options(&mut b, opts);
        self.block(1, &b)
    }

    fn epb(&mut self, if_id: u32, ts: u64, data: &[u8], orig: u32) -> u64 {
        let mut b = Vec::new();
        put32(&mut b, if_id, self.be);
        put32(&mut b, (ts >> 32) as u32, self.be);
        put32(&mut b, ts as u32, self.be);
        put32(&mut b, data.len() as u32, self.be);
        put32(&mut b, orig, self.be);
        b.extend_from_slice(data);
        b.extend(std::iter::repeat_n(0u8, (4 - data.len() % 4) % 4));
        // an epb_flags option
        self.options(&mut b, &[(2, &[1, 0, 0, 0])]);
        self.block(6, &b)
    }

    fn opb(&mut self, if_id: u16, ts: u64, data: &[u8], orig: u32) -> u64 {
        let mut b = Vec::new();
        put16(&mut b, if_id, self.be);
        put16(&mut b, 0, self.be);
        put32(&mut b, (ts >> 32) as u32, self.be);
        put32(&mut b, ts as u32, self.be);
        put32(&mut b, data.len() as u32, self.be);
        put32(&mut b, orig, self.be);
        b.extend_from_slice(data);
        self.block(2, &b)
    }

    fn spb(&mut self, orig: u32, data: &[u8]) -> u64 {
        let mut b = Vec::new();
        put32(&mut b, orig, self.be);
        b.extend_from_slice(data);
        self.block(3, &b)
    }
}

/// A reader that hands out one byte per `read` call, and an `Interrupted`
/// error every third call.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    calls: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls % 3 == 0 {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "again"));
        }
        match (buf.first_mut(), self.data.get(self.pos)) {
            (Some(slot), Some(b)) => {
                *slot = *b;
                self.pos += 1;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A reader that fails after `ok` bytes.
struct FailAfter {
    data: Vec<u8>,
    ok: usize,
    pos: usize,
}

impl Read for FailAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.ok {
            return Err(io::Error::other("disk on fire"));
        }
        let n = buf.len().min(self.ok - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn reader(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_read("test", Box::new(io::Cursor::new(bytes)))
}

fn trickle(bytes: Vec<u8>) -> Result<CaptureReader, CaptureError> {
    CaptureReader::from_read(
        "trickle",
        Box::new(Trickle {
            data: bytes,
            pos: 0,
            calls: 0,
        }),
    )
}

/// An owned copy of a packet, for comparing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Pkt {
    data: Vec<u8>,
    orig_len: u32,
    ts: Timestamp,
    link: LinkType,
    interface: u32,
    offset: u64,
}

fn ts(secs: i64, nanos: u32) -> Timestamp {
    Timestamp { secs, nanos }
}

/// Reads every packet, then the final error if any.
fn drain(r: &mut CaptureReader) -> (Vec<Pkt>, Option<CaptureError>) {
    let mut v = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => v.push(Pkt {
                data: p.data.to_vec(),
                orig_len: p.orig_len,
                ts: p.ts,
                link: p.link,
                interface: p.interface,
                offset: p.offset,
            }),
            Ok(None) => return (v, None),
            Err(e) => {
                // After an error the reader stays finished.
                assert!(matches!(r.next_packet(), Ok(None)));
                assert!(matches!(r.next_packet(), Ok(None)));
                return (v, Some(e));
            }
        }
    }
}

fn corrupt_reason(e: &CaptureError) -> &str {
    match &e.kind {
        CaptureErrorKind::Corrupt(s) => s,
        k => panic!("expected Corrupt, got {k:?} ({e})"),
    }
}

// ------------------------------------------------------------------- pcap

/// Two records in every classic pcap flavour: timestamps exact.
#[test]
fn pcap_byte_orders_and_resolutions() {
    for be in [false, true] {
        for (magic, nanos) in [(0xa1b2_c3d4u32, false), (0xa1b2_3c4d, true)] {
            let mut f = pcap_header(be, magic, 65535, 1);
            pcap_rec(&mut f, be, 1_700_000_000, 123_456, b"first", 60);
            pcap_rec(&mut f, be, 1_700_000_001, 999_999, b"second packet", 13);
            let len = f.len() as u64;
            for mut r in [reader(f.clone()).unwrap(), trickle(f).unwrap()] {
                assert_eq!(r.format(), CaptureFormat::Pcap { nanos });
                assert_eq!(r.bytes_read(), 24);
                let (pkts, err) = drain(&mut r);
                assert!(err.is_none());
                let m = if nanos { 1 } else { 1000 };
                assert_eq!(
                    pkts,
                    vec![
                        Pkt {
                            data: b"first".to_vec(),
                            orig_len: 60,
                            ts: ts(1_700_000_000, 123_456 * m),
                            link: LinkType::Ethernet,
                            interface: 0,
                            offset: 24,
                        },
                        Pkt {
                            data: b"second packet".to_vec(),
                            orig_len: 13,
                            ts: ts(1_700_000_001, 999_999 * m),
                            link: LinkType::Ethernet,
                            interface: 0,
                            offset: 24 + 16 + 5,
                        },
                    ],
                    "be={be} nanos={nanos}"
                );
                assert_eq!(r.bytes_read(), len);
                assert_eq!(r.total_len(), None);
                assert!(matches!(r.next_packet(), Ok(None)));
            }
        }
    }
}

/// The modified (Kuznetzov) pcap format has 24-byte record headers.
#[test]
fn pcap_modified_format() {
    for be in [false, true] {
        let mut f = pcap_header(be, 0xa1b2_cd34, 0, 101);
        for (i, data) in [&b"abc"[..], b"defgh"].iter().enumerate() {
            put32(&mut f, 10 + i as u32, be);
            put32(&mut f, 5, be);
            put32(&mut f, data.len() as u32, be);
            put32(&mut f, data.len() as u32, be);
            f.extend_from_slice(&[0; 8]); // ifindex, protocol, pkt_type, pad
            f.extend_from_slice(data);
        }
        let (pkts, err) = drain(&mut reader(f).unwrap());
        assert!(err.is_none());
        assert_eq!(pkts.len(), 2);
        assert_eq!(pkts[1].data, b"defgh");
        assert_eq!(pkts[1].ts, ts(11, 5000));
        assert_eq!(pkts[1].offset, 24 + 24 + 3);
        assert_eq!(pkts[0].link, LinkType::Raw);
    }
}

/// Microseconds >= 10^6 fold into seconds instead of breaking the invariant.
#[test]
fn pcap_fraction_overflow_folds() {
    let mut f = pcap_header(false, 0xa1b2_c3d4, 0, 1);
    pcap_rec(&mut f, false, 5, 2_500_000, b"x", 1);
    let (pkts, _) = drain(&mut reader(f).unwrap());
    assert_eq!(pkts[0].ts, ts(7, 500_000_000));
}

/// Zero-length records are packets with no bytes.
#[test]
fn zero_length_records() {
    let mut f = pcap_header(false, 0xa1b2_c3d4, 65535, 1);
    pcap_rec(&mut f, false, 1, 0, b"", 0);
    pcap_rec(&mut f, false, 2, 0, b"", 1500);
    let (pkts, err) = drain(&mut reader(f).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 2);
    assert!(pkts[0].data.is_empty() && pkts[1].data.is_empty());
    assert_eq!(pkts[1].orig_len, 1500);

    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 0, &[]);
    ng.epb(0, 7, b"", 0);
    ng.spb(0, b"");
    let (pkts, err) = drain(&mut reader(ng.out).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 2);
    assert!(pkts.iter().all(|p| p.data.is_empty()));
}

/// A header-only pcap is a valid, empty capture.
#[test]
fn pcap_header_only() {
    let f = pcap_header(false, 0xa1b2_c3d4, 65535, 1);
    let mut r = reader(f).unwrap();
    assert!(matches!(r.next_packet(), Ok(None)));
    assert!(matches!(r.next_packet(), Ok(None)));
    assert_eq!(r.bytes_read(), 24);
}

/// A truncated last record: earlier packets come out, then `Truncated` at the
/// record's offset, then nothing.
#[test]
fn pcap_truncated_record() {
    let mut f = pcap_header(true, 0xa1b2_c3d4, 65535, 1);
    pcap_rec(&mut f, true, 1, 0, &[1; 100], 100);
    pcap_rec(&mut f, true, 2, 0, &[2; 100], 100);
    let third = f.len() as u64;
    pcap_rec(&mut f, true, 3, 0, &[3; 100], 100);
    // cut inside the data, then inside the record header
    for cut in [50usize, 110] {
        let g = f[..f.len() - cut].to_vec();
        for mut r in [reader(g.clone()).unwrap(), trickle(g).unwrap()] {
            let (pkts, err) = drain(&mut r);
            assert_eq!(pkts.len(), 2);
            let err = err.expect("an error");
            assert!(matches!(err.kind, CaptureErrorKind::Truncated), "{err}");
            assert_eq!(err.offset, third);
            assert!(err.to_string().starts_with(&format!(
                "{}: byte offset {third}: truncated record (",
                r.name()
            )));
        }
    }
}

/// A pcap whose file header is cut short.
#[test]
fn pcap_truncated_header() {
    let f = pcap_header(false, 0xa1b2_c3d4, 65535, 1);
    let e = reader(f[..10].to_vec()).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::Truncated));
    assert_eq!(e.offset, 0);
}

/// Captured length above the snapshot length is read whole (the snaplen is
/// advisory, as libpcap and Wireshark treat it); an absurd one is corrupt.
#[test]
fn pcap_caplen_checks() {
    let mut f = pcap_header(false, 0xa1b2_c3d4, 64, 1);
    pcap_rec(&mut f, false, 1, 0, &[0; 64], 64);
    pcap_rec(&mut f, false, 1, 0, &[7; 65], 65);
    let (pkts, err) = drain(&mut reader(f).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 2);
    assert_eq!(pkts[1].data.len(), 65);

    // snaplen 0 means no snapshot limit, but 0xfffffff0 is still absurd
    // (and must not be allocated).
    let mut f = pcap_header(false, 0xa1b2_c3d4, 0, 1);
    put32(&mut f, 1, false);
    put32(&mut f, 0, false);
    put32(&mut f, 0xffff_fff0, false);
    put32(&mut f, 0xffff_fff0, false);
    let (pkts, err) = drain(&mut reader(f).unwrap());
    assert!(pkts.is_empty());
    let e = err.unwrap();
    assert_eq!(e.offset, 24);
    assert_eq!(
        corrupt_reason(&e),
        "captured length 4294967280 exceeds the maximum 262144"
    );
}

/// Unknown pcap link type: error when opening, at offset 20.
#[test]
fn pcap_unsupported_link_type() {
    let f = pcap_header(false, 0xa1b2_c3d4, 65535, 147);
    let e = reader(f).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::UnsupportedLinkType(147)));
    assert_eq!(e.offset, 20);
    assert_eq!(
        e.to_string(),
        "test: byte offset 20: unsupported link type 147"
    );
    // FCS bits in the link type field are ignored.
    let f = pcap_header(false, 0xa1b2_c3d4, 65535, 1 | (1 << 28));
    assert!(reader(f).is_ok());
}

/// Not a capture: garbage, empty, too short.
#[test]
fn not_a_capture() {
    let e = reader(b"GIF89a lots of garbage here".to_vec()).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::NotACapture));
    assert_eq!(e.offset, 0);
    assert_eq!(
        e.to_string(),
        "test: byte offset 0: not a pcap or pcapng file (magic 0x47494638)"
    );
    let e = reader(Vec::new()).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::NotACapture));
    assert_eq!(
        e.to_string(),
        "test: byte offset 0: not a pcap or pcapng file (empty input)"
    );
    let e = trickle(vec![0xd4, 0xc3]).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::NotACapture));
    assert_eq!(e.detail.as_deref(), Some("input is only 2 bytes long"));
}

/// Read errors carry the offset of the record being read.
#[test]
fn io_error_mid_stream() {
    let mut f = pcap_header(false, 0xa1b2_c3d4, 65535, 1);
    pcap_rec(&mut f, false, 1, 0, &[1; 10], 10);
    pcap_rec(&mut f, false, 2, 0, &[2; 10], 10);
    let r = FailAfter {
        ok: f.len() - 5,
        data: f,
        pos: 0,
    };
    let mut r = CaptureReader::from_read("flaky", Box::new(r)).unwrap();
    let (pkts, err) = drain(&mut r);
    assert_eq!(pkts.len(), 1);
    let e = err.unwrap();
    assert!(matches!(e.kind, CaptureErrorKind::Io(_)));
    assert_eq!(e.offset, 24 + 26);
    assert!(e.to_string().contains("read error: disk on fire"), "{e}");
}

// ----------------------------------------------------------------- pcapng

/// Two sections (little- then big-endian), interfaces of different link
/// types and resolutions (default 10^-6, 10^-9 with an offset, 2^-10),
/// EPB, SPB and OPB, and skipped NRB / ISB / custom / unknown blocks.
#[test]
fn pcapng_sections_interfaces_and_blocks() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 65535, &[(2, b"eth0")]); // if 0: Ethernet, micro
    ng.idb(101, 0, &[(9, &[9]), (14, &100i64.to_le_bytes())]); // if 1: raw, nano, +100 s
    ng.block(4, &[1, 0, 4, 0, 10, 0, 0, 1, 0, 0, 0, 0]); // NRB
    let e0 = ng.epb(0, 1_700_000_000_123_456, b"eth frame", 60);
    let e1 = ng.epb(1, 1_700_000_000_987_654_321, b"raw ip", 6);
    ng.block(5, &[0; 12]); // ISB
    ng.block(0x0000_0BAD, &[0, 0, 0, 0, 1, 2, 3]); // custom
    ng.block(0x4242_4242, &[]); // unknown type
    let s0 = ng.spb(9, b"simple!!!"); // interface 0, orig 9
    let o0 = ng.opb(1, 5_000_000_001, b"old", 3);
    // Section 2, big-endian: interfaces start again.
    ng.shb(true);
    ng.idb(113, 1500, &[(9, &[0x8a])]); // if 0: SLL, 2^-10
    ng.idb(276, 0, &[(9, &[3])]); // if 1: SLL2, 10^-3
    let e2 = ng.epb(0, 1024 * 1_700_000_000 + 256, b"cooked", 100);
    let e3 = ng.epb(1, 1_700_000_000_001, b"cooked2", 7);
    let s1 = ng.spb(3, b"abcdefgh"); // caplen = orig = 3
    let len = ng.out.len() as u64;

    let expect = vec![
        Pkt {
            data: b"eth frame".to_vec(),
            orig_len: 60,
            ts: ts(1_700_000_000, 123_456_000),
            link: LinkType::Ethernet,
            interface: 0,
            offset: e0,
        },
        Pkt {
            data: b"raw ip".to_vec(),
            orig_len: 6,
            ts: ts(1_700_000_100, 987_654_321),
            link: LinkType::Raw,
            interface: 1,
            offset: e1,
        },
        Pkt {
            data: b"simple!!!".to_vec(),
            orig_len: 9,
            ts: Timestamp::default(),
            link: LinkType::Ethernet,
            interface: 0,
            offset: s0,
        },
        Pkt {
            data: b"old".to_vec(),
            orig_len: 3,
            ts: ts(105, 1),
            link: LinkType::Raw,
            interface: 1,
            offset: o0,
        },
        Pkt {
            data: b"cooked".to_vec(),
            orig_len: 100,
            ts: ts(1_700_000_000, 250_000_000),
            link: LinkType::LinuxSll,
            interface: 0,
            offset: e2,
        },
        Pkt {
            data: b"cooked2".to_vec(),
            orig_len: 7,
            ts: ts(1_700_000_000, 1_000_000),
            link: LinkType::LinuxSll2,
            interface: 1,
            offset: e3,
        },
        Pkt {
            data: b"abc".to_vec(),
            orig_len: 3,
            ts: Timestamp::default(),
            link: LinkType::LinuxSll,
            interface: 0,
            offset: s1,
        },
    ];
    for mut r in [
        reader(ng.out.clone()).unwrap(),
        trickle(ng.out.clone()).unwrap(),
    ] {
        assert_eq!(r.format(), CaptureFormat::PcapNg);
        let (pkts, err) = drain(&mut r);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(pkts, expect);
        assert_eq!(r.bytes_read(), len);
    }
}

/// A big-endian if_tsoffset is read big-endian; a negative offset works.
#[test]
fn pcapng_big_endian_tsoffset() {
    let mut ng = Ng::new();
    ng.shb(true);
    ng.idb(1, 0, &[(14, &(-10i64).to_be_bytes()), (9, &[0])]);
    ng.epb(0, 1000, b"x", 1);
    let (pkts, err) = drain(&mut reader(ng.out).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts[0].ts, ts(990, 0));
}

/// SPB captured length is min(original length, snaplen, block room).
#[test]
fn pcapng_spb_caplen() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 4, &[]);
    ng.spb(10, b"0123456789");
    ng.spb(2, b"0123456789");
    ng.spb(100, b"");
    let (pkts, err) = drain(&mut reader(ng.out).unwrap());
    assert!(err.is_none());
    let lens: Vec<usize> = pkts.iter().map(|p| p.data.len()).collect();
    assert_eq!(lens, [4, 2, 0]);
    assert_eq!(pkts[0].data, b"0123");
    assert_eq!(pkts[2].orig_len, 100);
}

/// An SPB before any IDB, an EPB naming a missing interface: corrupt.
#[test]
fn pcapng_missing_interface() {
    let mut ng = Ng::new();
    ng.shb(false);
    let off = ng.spb(4, b"abcd");
    let (_, err) = drain(&mut reader(ng.out).unwrap());
    let e = err.unwrap();
    assert_eq!(e.offset, off);
    assert_eq!(
        corrupt_reason(&e),
        "simple packet block, but the section defines no interface"
    );

    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 0, &[]);
    ng.epb(0, 0, b"ok", 2);
    ng.shb(false); // a new section forgets interface 0
    let off = ng.epb(0, 0, b"bad", 3);
    let (pkts, err) = drain(&mut reader(ng.out).unwrap());
    assert_eq!(pkts.len(), 1);
    let e = err.unwrap();
    assert_eq!(e.offset, off);
    assert_eq!(
        corrupt_reason(&e),
        "packet on interface 0, but the section defines 0 interface(s)"
    );
}

/// Unknown pcapng link types fail lazily, at the first packet on them.
#[test]
fn pcapng_unsupported_link_type_is_lazy() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 0, &[]);
    ng.idb(147, 0, &[]);
    ng.epb(0, 0, b"fine", 4);
    let off = ng.epb(1, 0, b"user0", 5);
    let mut r = reader(ng.out).unwrap();
    let (pkts, err) = drain(&mut r);
    assert_eq!(pkts.len(), 1);
    let e = err.unwrap();
    assert!(matches!(e.kind, CaptureErrorKind::UnsupportedLinkType(147)));
    assert_eq!(e.offset, off);
}

/// Block lengths that are too small, unaligned, mismatched or too large.
#[test]
fn pcapng_bad_block_lengths() {
    let base = {
        let mut ng = Ng::new();
        ng.shb(false);
        ng.idb(1, 0, &[]);
        ng.epb(0, 0, b"good", 4);
        ng.out
    };
    let off = base.len() as u64;
    let case = |tail: &[u8]| -> CaptureError {
        let mut f = base.clone();
        f.extend_from_slice(tail);
        let (pkts, err) = drain(&mut reader(f).unwrap());
        assert_eq!(pkts.len(), 1);
        let e = err.expect("an error");
        assert_eq!(e.offset, off);
        e
    };
    let blk = |btype: u32, len: u32| -> Vec<u8> {
        let mut v = Vec::new();
        put32(&mut v, btype, false);
        put32(&mut v, len, false);
        v.extend_from_slice(&[0; 64]);
        v
    };
    assert_eq!(
        corrupt_reason(&case(&blk(6, 7))),
        "block length 7 is smaller than 12"
    );
    assert_eq!(
        corrupt_reason(&case(&blk(6, 30))),
        "block length 30 is not a multiple of 4"
    );
    assert_eq!(
        corrupt_reason(&case(&blk(4, 0))),
        "block length 0 is smaller than 12"
    );
    assert_eq!(
        corrupt_reason(&case(&blk(6, 16))),
        "block length 16 is too small for a enhanced packet block (minimum 32)"
    );
    assert_eq!(
        corrupt_reason(&case(&blk(6, 0xffff_fff0))),
        "block length 4294967280 of a enhanced packet block exceeds the maximum 1048576"
    );
    // trailing length differs (the block is 44 bytes, the zeros say 0)
    assert_eq!(
        corrupt_reason(&case(&blk(6, 44))),
        "trailing block length 0 does not match leading block length 44"
    );
    assert_eq!(
        corrupt_reason(&case(&blk(5, 44))),
        "trailing block length 0 does not match leading block length 44"
    );
    // EPB whose captured length does not fit its block
    let mut v = Vec::new();
    put32(&mut v, 6, false);
    put32(&mut v, 36, false);
    for x in [0u32, 0, 0, 9, 9] {
        put32(&mut v, x, false);
    }
    put32(&mut v, 0, false);
    put32(&mut v, 36, false);
    assert_eq!(
        corrupt_reason(&case(&v)),
        "captured length 9 does not fit in a block of length 36"
    );
    // a skipped block longer than the rest of the file: truncated
    let e = case(&blk(0x0BAD, 0x7fff_fff0));
    assert!(matches!(e.kind, CaptureErrorKind::Truncated), "{e}");
}

/// EPB captured length above the interface snapshot length (accepted) or the maximum (corrupt).
#[test]
fn pcapng_caplen_checks() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 8, &[]);
    ng.epb(0, 0, &[0; 8], 8);
    ng.epb(0, 0, &[0; 9], 9);
    let (pkts, err) = drain(&mut reader(ng.out).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 2);
    assert_eq!(pkts[1].data.len(), 9);

    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 0, &[]);
    let off = ng.out.len() as u64;
    let mut v = Vec::new();
    put32(&mut v, 6, false);
    put32(&mut v, 0x0008_0000, false);
    for x in [0u32, 0, 0, 0x0007_0000, 9] {
        put32(&mut v, x, false);
    }
    ng.out.extend_from_slice(&v);
    let (_, err) = drain(&mut reader(ng.out).unwrap());
    let e = err.unwrap();
    assert_eq!(e.offset, off);
    assert_eq!(
        corrupt_reason(&e),
        "captured length 458752 exceeds the maximum 262144"
    );
}

/// A truncated last block; also a cut inside its header.
#[test]
fn pcapng_truncated_block() {
    let mut ng = Ng::new();
    ng.shb(true);
    ng.idb(1, 0, &[]);
    ng.epb(0, 0, &[1; 40], 40);
    let last = ng.epb(0, 0, &[2; 40], 40);
    for cut in [4usize, 50, 60] {
        let f = ng.out[..ng.out.len() - cut].to_vec();
        for mut r in [reader(f.clone()).unwrap(), trickle(f).unwrap()] {
            let (pkts, err) = drain(&mut r);
            assert_eq!(pkts.len(), 1);
            let e = err.unwrap();
            assert!(matches!(e.kind, CaptureErrorKind::Truncated), "{e}");
            assert_eq!(e.offset, last);
        }
    }
    // a file that stops inside its first section header
    let e = reader(ng.out[..20].to_vec()).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::Truncated));
    assert_eq!(e.offset, 0);
}

/// Section header problems: bad byte-order magic, unknown major version.
#[test]
fn pcapng_bad_section_header() {
    let mut ng = Ng::new();
    ng.shb(false);
    let mut f = ng.out.clone();
    f[8..12].copy_from_slice(&[1, 2, 3, 4]);
    let e = reader(f).unwrap_err();
    assert_eq!(
        corrupt_reason(&e),
        "bad byte-order magic 0x01020304 in section header block"
    );

    let mut f = ng.out.clone();
    f[12..14].copy_from_slice(&2u16.to_le_bytes());
    let e = reader(f).unwrap_err();
    assert_eq!(corrupt_reason(&e), "unsupported pcapng version 2.0");

    // the same in a second section
    let mut f = ng.out.clone();
    let second = f.len() as u64;
    f.extend_from_slice(&ng.out);
    f[second as usize + 8] = 9;
    let (_, err) = drain(&mut reader(f).unwrap());
    let e = err.unwrap();
    assert_eq!(e.offset, second);
    assert!(corrupt_reason(&e).starts_with("bad byte-order magic"));
}

/// Blocks larger than the initial buffer, a big skipped block and many
/// packets across buffer refills, read whole and one byte at a time.
#[test]
fn large_records_and_refills() {
    let mut ng = Ng::new();
    ng.shb(false);
    ng.idb(1, 0, &[]);
    ng.block(0x0BAD, &vec![7u8; 3 << 20]); // 3 MiB custom block, skipped
    let big: Vec<u8> = (0..MAX_CAPLEN).map(|i| i as u8).collect();
    ng.epb(0, 1, &big, MAX_CAPLEN);
    for i in 0..3000u32 {
        let n = (i * 37 % 1500) as usize;
        ng.epb(0, u64::from(i), &big[..n], n as u32);
    }
    let (pkts, err) = drain(&mut reader(ng.out.clone()).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 3001);
    assert_eq!(pkts[0].data, big);
    for (i, p) in pkts[1..].iter().enumerate() {
        let n = i * 37 % 1500;
        assert_eq!(p.data, &big[..n]);
        assert_eq!(p.ts, ts(0, i as u32 * 1000));
    }

    let mut w = PcapWriter::new(Vec::new(), 1, 0).unwrap();
    w.write_packet(ts(1, 0), &big).unwrap();
    for i in 0..200u32 {
        w.write_packet(ts(2, i * 1000), &big[..(i as usize * 101) % 2000])
            .unwrap();
    }
    let f = w.into_inner();
    let (pkts, err) = drain(&mut trickle(f).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 201);
    assert_eq!(pkts[0].data, big);
}

// ----------------------------------------------------------------- others

/// The writer's output reads back exactly (microsecond timestamps).
#[test]
fn writer_round_trip() {
    let mut w = PcapWriter::new(Vec::new(), 1, 10).unwrap();
    w.write_packet(ts(1_600_000_000, 123_456_789), b"short")
        .unwrap();
    w.write_packet(ts(1_600_000_001, 0), b"longer than ten bytes")
        .unwrap();
    w.write_record(ts(1_600_000_002, 5_000), b"abc", 1000)
        .unwrap();
    assert!(w.write_packet(ts(-1, 0), b"x").is_err());
    let f = w.into_inner();
    assert_eq!(&f[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    let (pkts, err) = drain(&mut reader(f).unwrap());
    assert!(err.is_none());
    assert_eq!(pkts.len(), 3);
    assert_eq!(pkts[0].ts, ts(1_600_000_000, 123_456_000));
    assert_eq!(pkts[0].data, b"short");
    assert_eq!(pkts[1].data, b"longer tha");
    assert_eq!(pkts[1].orig_len, 21);
    assert_eq!(pkts[2].orig_len, 1000);
}

/// `open` reads files, knows their size; a missing file is an I/O error.
#[test]
fn open_file() {
    let mut w = PcapWriter::new(Vec::new(), 1, 0).unwrap();
    w.write_packet(ts(1, 0), b"hello").unwrap();
    let bytes = w.into_inner();
    let path = std::env::temp_dir().join(format!("vigil-capture-test-{}.pcap", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let mut r = CaptureReader::open(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    assert_eq!(r.total_len(), Some(bytes.len() as u64));
    assert_eq!(r.name(), path.display().to_string());
    let (pkts, err) = drain(&mut r);
    assert!(err.is_none());
    assert_eq!(pkts.len(), 1);
    assert_eq!(r.bytes_read(), bytes.len() as u64);

    let e = CaptureReader::open(std::path::Path::new("/nonexistent/x.pcap")).unwrap_err();
    assert!(matches!(e.kind, CaptureErrorKind::Io(_)));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.pcap: byte offset 0: read error: ")
    );
}

/// The reader can move to another thread.
#[test]
fn reader_is_send() {
    fn is_send<T: Send>() {}
    is_send::<CaptureReader>();
    is_send::<CaptureError>();
}
