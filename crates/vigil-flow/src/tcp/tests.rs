//! Session and reassembly tests with hand-made TCP headers.

use super::reassembly::SEGMENT_OVERHEAD;
use super::*;
use crate::Direction::{self, ToClient, ToServer};
use vigil_wire::tcp_flags::{ACK, FIN, PSH, RST, SYN};
use vigil_wire::{TcpInfo, TcpOptions, Timestamp};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ev {
    Data(Direction, Vec<u8>),
    Gap(Direction, u64),
    Close(Direction),
}

#[derive(Default)]
struct Rec {
    evs: Vec<Ev>,
}

impl StreamSink for Rec {
    fn on_data(&mut self, dir: Direction, data: &[u8]) {
        assert!(!data.is_empty(), "empty on_data");
        self.evs.push(Ev::Data(dir, data.to_vec()));
    }
    fn on_gap(&mut self, dir: Direction, len: u64) {
        assert!(len > 0, "empty on_gap");
        self.evs.push(Ev::Gap(dir, len));
    }
    fn on_close(&mut self, dir: Direction) {
        self.evs.push(Ev::Close(dir));
    }
}

impl Rec {
    /// The stream of `dir` as text: data, gaps as `[gap N]`, close as `|`.
    fn stream(&self, dir: Direction) -> String {
        let mut s = String::new();
        for ev in &self.evs {
            match ev {
                Ev::Data(d, data) if *d == dir => s.push_str(&String::from_utf8_lossy(data)),
                Ev::Gap(d, n) if *d == dir => s.push_str(&format!("[gap {n}]")),
                Ev::Close(d) if *d == dir => s.push('|'),
                _ => {}
            }
        }
        s
    }

    fn closes(&self, dir: Direction) -> usize {
        self.evs.iter().filter(|e| **e == Ev::Close(dir)).count()
    }
}

struct Harness {
    s: TcpSession,
    mem: StreamMemory,
    rec: Rec,
    t: i64,
}

fn tcp(flags: u8, seq: u32, ack: u32, window: u16, options: TcpOptions) -> TcpInfo {
    TcpInfo {
        src_port: 40000,
        dst_port: 80,
        seq,
        ack,
        flags,
        window,
        header_len: 20,
        urgent: 0,
        options,
    }
}

impl Harness {
    fn new(config: TcpConfig) -> Harness {
        Harness::with_memcap(config, 0)
    }

    fn with_memcap(config: TcpConfig, memcap: usize) -> Harness {
        Harness {
            s: TcpSession::new(&config),
            mem: StreamMemory::new(memcap),
            rec: Rec::default(),
            t: 1_700_000_000,
        }
    }

    fn full(&mut self, dir: Direction, info: TcpInfo, payload: &[u8]) -> StreamEvents {
        let mut events = StreamEvents::default();
        self.t += 1;
        let ts = Timestamp {
            secs: self.t,
            nanos: 0,
        };
        self.s.on_packet(
            ts,
            dir,
            &info,
            payload,
            &mut self.mem,
            &mut self.rec,
            &mut events,
        );
        assert_eq!(
            self.s.memory_used(),
            self.mem.used,
            "session and worker memory agree"
        );
        events
    }

    fn pkt(
        &mut self,
        dir: Direction,
        flags: u8,
        seq: u32,
        ack: u32,
        payload: &[u8],
    ) -> StreamEvents {
        self.full(
            dir,
            tcp(flags, seq, ack, 65535, TcpOptions::default()),
            payload,
        )
    }

    fn finish(&mut self) {
        self.s.finish(&mut self.mem, &mut self.rec);
        assert_eq!(self.mem.used, 0);
    }

    /// SYN, SYN/ACK, ACK with the given ISNs.
    fn handshake(&mut self, cisn: u32, sisn: u32) {
        assert!(self.pkt(ToServer, SYN, cisn, 0, b"").is_empty());
        assert_eq!(self.s.state(), TcpState::SynSent);
        assert!(
            self.pkt(ToClient, SYN | ACK, sisn, cisn.wrapping_add(1), b"")
                .is_empty()
        );
        assert_eq!(self.s.state(), TcpState::SynRecv);
        let ev = self.pkt(
            ToServer,
            ACK,
            cisn.wrapping_add(1),
            sisn.wrapping_add(1),
            b"",
        );
        assert!(ev.is_empty(), "{ev:?}");
        assert_eq!(self.s.state(), TcpState::Established);
    }
}

/// Immediate delivery (the tests written before acknowledged delivery).
fn imm() -> TcpConfig {
    TcpConfig {
        delivery: Delivery::Immediate,
        ..TcpConfig::default()
    }
}

/// Suricata's IDS mode, the default.
fn acked() -> TcpConfig {
    TcpConfig::default()
}

const C: u32 = 1000;
const S: u32 = 5000;

#[test]
fn handshake_data_both_ways_and_fin_close() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let req = b"GET / HTTP/1.0\r\n\r\n";
    let resp = b"HTTP/1.0 200 OK\r\n\r\nhello";
    let (c1, s1) = (C + 1, S + 1);
    let c_end = c1 + req.len() as u32;
    let s_end = s1 + resp.len() as u32;
    assert!(h.pkt(ToServer, PSH | ACK, c1, s1, req).is_empty());
    assert!(h.pkt(ToClient, PSH | ACK, s1, c_end, resp).is_empty());
    assert_eq!(h.s.state(), TcpState::Established);

    // The client closes first: close_wait, then the server's FIN: last_ack.
    assert!(h.pkt(ToServer, FIN | ACK, c_end, s_end, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::CloseWait);
    assert_eq!(h.rec.closes(ToServer), 1);
    assert!(h.pkt(ToClient, ACK, s_end, c_end + 1, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::CloseWait);
    assert!(h.pkt(ToClient, FIN | ACK, s_end, c_end + 1, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::LastAck);
    assert_eq!(h.rec.closes(ToClient), 1);
    assert!(h.pkt(ToServer, ACK, c_end + 1, s_end + 1, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::Closed);

    assert_eq!(
        h.rec.evs,
        vec![
            Ev::Data(ToServer, req.to_vec()),
            Ev::Data(ToClient, resp.to_vec()),
            Ev::Close(ToServer),
            Ev::Close(ToClient),
        ]
    );
    h.finish();
    assert_eq!(h.rec.evs.len(), 4, "finish after close adds nothing");
    let st = h.mem.stats();
    assert_eq!((st.sessions, st.syn, st.synack, st.rst), (1, 1, 1, 0));
    assert_eq!(st.invalid_packets, 0);
}

#[test]
fn server_closes_first() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let (c1, s1) = (C + 1, S + 1);
    h.pkt(ToServer, PSH | ACK, c1, s1, b"ping");
    h.pkt(ToClient, PSH | ACK, s1, c1 + 4, b"pong");
    h.pkt(ToClient, FIN | ACK, s1 + 4, c1 + 4, b"");
    assert_eq!(h.s.state(), TcpState::FinWait1);
    h.pkt(ToServer, ACK, c1 + 4, s1 + 5, b"");
    assert_eq!(h.s.state(), TcpState::FinWait2);
    h.pkt(ToServer, FIN | ACK, c1 + 4, s1 + 5, b"");
    assert_eq!(h.s.state(), TcpState::TimeWait);
    assert!(!h.s.is_reuse(ToServer, &tcp(SYN, 9, 0, 1, TcpOptions::default())));
    h.pkt(ToClient, ACK, s1 + 5, c1 + 5, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    assert_eq!(h.rec.stream(ToServer), "ping|");
    assert_eq!(h.rec.stream(ToClient), "pong|");
}

#[test]
fn fin_ack_in_fin_wait1_goes_to_time_wait() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToClient, FIN | ACK, S + 1, C + 1, b"bye");
    assert_eq!(h.s.state(), TcpState::FinWait1);
    h.pkt(ToServer, FIN | ACK, C + 1, S + 5, b"");
    assert_eq!(h.s.state(), TcpState::TimeWait);
    h.pkt(ToClient, ACK, S + 5, C + 2, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    assert_eq!(h.rec.stream(ToClient), "bye|");
    assert_eq!(h.rec.stream(ToServer), "|");
}

#[test]
fn out_of_order_segments_delivered_in_order() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base + 10, S + 1, b"KLMNO");
    h.pkt(ToServer, ACK, base + 5, S + 1, b"FGHIJ");
    assert!(h.rec.evs.is_empty());
    assert!(h.mem.used > 0);
    h.pkt(ToServer, ACK, base, S + 1, b"ABCDE");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGHIJKLMNO");
    assert_eq!(h.mem.used, 0);
    // Delivered as the in-order packet, then the buffered (merged) data.
    assert_eq!(h.rec.evs.len(), 2);
    h.pkt(ToServer, ACK, base + 15, S + 1, b"P");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGHIJKLMNOP");
    assert_eq!(h.mem.stats().reassembly_gap, 0);
}

#[test]
fn retransmission_not_delivered_twice() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base, S + 1, b"hello");
    let ev = h.pkt(ToServer, ACK, base, S + 1, b"hello");
    assert!(ev.contains(StreamEvent::PktRetransmission));
    assert_eq!(h.mem.stats().pkt_retransmission, 1);
    // Partly old: only the new bytes are delivered.
    h.pkt(ToServer, ACK, base + 3, S + 1, b"loworld");
    assert_eq!(h.rec.stream(ToServer), "helloworld");
    // A keep-alive (one old byte) is not data.
    let ev = h.pkt(ToServer, ACK, base + 9, S + 1, b"d");
    assert!(ev.is_empty());
    assert_eq!(h.rec.stream(ToServer), "helloworld");
}

#[test]
fn overlap_with_same_data() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
    let ev = h.pkt(ToServer, ACK, base, S + 1, b"ABCDEFGH");
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGH");
    assert_eq!(h.mem.stats().overlap, 1);
    assert_eq!(h.mem.stats().overlap_diff_data, 0);
}

#[test]
fn overlap_with_different_data_bsd_policy() {
    // Suricata's default (bsd) target policy: a segment that starts before
    // a buffered one replaces its bytes; one starting at or after it does not.
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
    let ev = h.pkt(ToServer, ACK, base, S + 1, b"ABCDXXXXIJ");
    assert!(ev.contains(StreamEvent::ReassemblyOverlapDifferentData));
    assert_eq!(h.rec.stream(ToServer), "ABCDXXXXIJ");
    assert_eq!(h.mem.stats().overlap_diff_data, 1);

    // Same start: the buffered copy stays.
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
    let ev = h.pkt(ToServer, ACK, base + 4, S + 1, b"WXYZ");
    assert!(ev.contains(StreamEvent::ReassemblyOverlapDifferentData));
    h.pkt(ToServer, ACK, base, S + 1, b"ABCD");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGH");

    // Between buffered segments: the earlier-starting one wins.
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
    let ev = h.pkt(ToServer, ACK, base + 2, S + 1, b"CDxxxxKL");
    assert!(ev.contains(StreamEvent::ReassemblyOverlapDifferentData));
    let ev = h.pkt(ToServer, ACK, base + 2, S + 1, b"CD");
    assert!(!ev.contains(StreamEvent::ReassemblyOverlapDifferentData));
    h.pkt(ToServer, ACK, base, S + 1, b"AB");
    assert_eq!(h.rec.stream(ToServer), "ABCDxxxxKL");
    assert_eq!(h.mem.used, 0);
}

#[test]
fn overlap_first_and_last_policies() {
    let base = C + 1;
    for (policy, expected) in [
        (OsPolicy::First, "ABCDEFGHIJ"),
        (OsPolicy::Last, "ABCDXXXXIJ"),
    ] {
        let mut h = Harness::new(imm());
        h.s.set_host_policies(OsPolicy::Bsd, policy);
        h.handshake(C, S);
        h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
        h.pkt(ToServer, ACK, base, S + 1, b"ABCDXXXXIJ");
        assert_eq!(h.rec.stream(ToServer), expected, "{policy:?}");
    }
    // Same start: only some hosts take the new copy.
    for (policy, expected) in [
        (OsPolicy::Solaris, "ABCDWXYZ"),
        (OsPolicy::Windows, "ABCDEFGH"),
    ] {
        let mut h = Harness::new(imm());
        h.s.set_host_policies(OsPolicy::Bsd, policy);
        h.handshake(C, S);
        h.pkt(ToServer, ACK, base + 4, S + 1, b"EFGH");
        h.pkt(ToServer, ACK, base + 4, S + 1, b"WXYZ");
        h.pkt(ToServer, ACK, base, S + 1, b"ABCD");
        assert_eq!(h.rec.stream(ToServer), expected, "{policy:?}");
    }
    assert_eq!(OsPolicy::from_name("vista"), Some(OsPolicy::Vista));
    assert_eq!(OsPolicy::Windows2k3.name(), "windows2k3");
}

#[test]
fn rst_accepted_after_data_loss() {
    // As Suricata: once a gap was seen, RSTs are not checked.
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, ACK, C + 1, S + 1, b"aaaa");
    h.pkt(ToServer, ACK, C + 9, S + 1, b"cccc");
    h.pkt(ToClient, ACK, S + 1, C + 13, b"");
    assert_eq!(h.mem.stats().reassembly_gap, 1);
    h.pkt(ToServer, RST | ACK, C + 5000, S + 1, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
}

#[test]
fn linux_host_accepts_rst_in_window() {
    let mut h = Harness::new(imm());
    h.s.set_host_policies(OsPolicy::Bsd, OsPolicy::Linux);
    h.handshake(C, S);
    // Not the next sequence number, but within the server's window.
    h.pkt(ToServer, RST, C + 100, 0, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, RST, C + 100, 0, b"");
    assert_eq!(
        h.s.state(),
        TcpState::Established,
        "bsd wants the exact number"
    );
}

#[test]
fn sequence_wraparound() {
    let mut h = Harness::new(imm());
    let cisn = 0xffff_fff0u32;
    h.handshake(cisn, S);
    let base = cisn.wrapping_add(1);
    let data: Vec<u8> = (0..40u8).map(|i| b'a' + (i % 26)).collect();
    // The second half (past 2^32) first.
    h.pkt(ToServer, ACK, base.wrapping_add(20), S + 1, &data[20..]);
    assert!(
        base.wrapping_add(20) < base,
        "segment starts after the wrap"
    );
    h.pkt(ToServer, ACK, base, S + 1, &data[..20]);
    assert_eq!(h.rec.stream(ToServer).as_bytes(), &data[..]);
    // FIN after the wrap.
    h.pkt(ToServer, FIN | ACK, base.wrapping_add(40), S + 1, b"");
    assert_eq!(h.s.state(), TcpState::CloseWait);
    assert_eq!(h.rec.closes(ToServer), 1);
}

#[test]
fn gap_reported_at_finish() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base, S + 1, b"aaaa");
    h.pkt(ToServer, ACK, base + 8, S + 1, b"cccc");
    assert_eq!(h.rec.stream(ToServer), "aaaa");
    h.finish();
    assert_eq!(h.rec.stream(ToServer), "aaaa[gap 4]cccc|");
    assert_eq!(h.rec.stream(ToClient), "|");
    assert_eq!(h.mem.stats().reassembly_gap, 1);
}

#[test]
fn gap_when_receiver_acks_past_hole() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base, S + 1, b"aaaa");
    h.pkt(ToServer, ACK, base + 8, S + 1, b"cccc");
    // The server acknowledges everything: it got the bytes we missed.
    let ev = h.pkt(ToClient, ACK, S + 1, base + 12, b"");
    assert!(ev.contains(StreamEvent::ReassemblySeqGap));
    assert_eq!(h.rec.stream(ToServer), "aaaa[gap 4]cccc");
    assert_eq!(h.mem.used, 0);
    // A late copy of the missing data is old now.
    h.pkt(ToServer, ACK, base + 4, S + 1, b"bbbb");
    assert_eq!(h.rec.stream(ToServer), "aaaa[gap 4]cccc");
}

#[test]
fn depth_limit() {
    let mut h = Harness::new(TcpConfig {
        reassembly_depth: 10,
        ..imm()
    });
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base + 8, S + 1, b"IJKLMNOP");
    h.pkt(ToServer, ACK, base, S + 1, b"ABCDEFGH");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGHIJ");
    assert_eq!(h.mem.stats().stream_depth_reached, 1);
    assert_eq!(h.mem.used, 0);
    h.pkt(ToServer, ACK, base + 16, S + 1, b"QRST");
    h.pkt(ToClient, ACK, S + 1, base + 20, b"0123456789abc");
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGHIJ");
    assert_eq!(h.rec.stream(ToClient), "0123456789");
    assert_eq!(h.mem.stats().stream_depth_reached, 2, "once per direction");
    h.finish();
    assert_eq!(h.rec.stream(ToServer), "ABCDEFGHIJ|");
}

#[test]
fn memcap_drop_becomes_gap() {
    let mut h = Harness::with_memcap(imm(), 200);
    h.handshake(C, S);
    let base = C + 1;
    h.pkt(ToServer, ACK, base + 150, S + 1, &[b'x'; 300]);
    assert_eq!(h.mem.stats().segment_memcap_drop, 1);
    assert_eq!(h.mem.used, 0);
    // In-order data needs no memory.
    h.pkt(ToServer, ACK, base, S + 1, &[b'a'; 100]);
    assert_eq!(h.rec.stream(ToServer).len(), 100);
    h.finish();
    let expected = format!("{}[gap 350]|", "a".repeat(100));
    assert_eq!(h.rec.stream(ToServer), expected);
}

#[test]
fn rst_closes_session() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"data");
    h.pkt(ToServer, ACK, C + 9, S + 1, b"late");
    // A RST with the wrong sequence number is ignored.
    h.pkt(ToClient, RST | ACK, S + 100, C + 5, b"");
    assert_eq!(h.s.state(), TcpState::Established);
    assert_eq!(h.mem.stats().invalid_packets, 1);
    h.pkt(ToClient, RST | ACK, S + 1, C + 5, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    assert_eq!(h.mem.stats().rst, 2);
    // The side that received the RST is not heard any more.
    h.pkt(ToServer, ACK, C + 13, S + 1, b"more");
    assert_eq!(h.rec.stream(ToServer), "data");
    // At flow end buffered data is flushed with its gap, then both close.
    h.finish();
    assert_eq!(h.rec.stream(ToServer), "data[gap 4]late|");
    assert_eq!(h.rec.stream(ToClient), "|");
}

#[test]
fn injected_rst_resumes_session() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"GET /");
    // A RST "from the server" with the right numbers...
    h.pkt(ToClient, RST | ACK, S + 1, C + 6, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    // ...but the server goes on: the RST was injected.
    let ev = h.pkt(ToClient, PSH | ACK, S + 1, C + 6, b"200 OK");
    assert!(ev.contains(StreamEvent::SuspectedRstInject));
    assert_eq!(h.s.state(), TcpState::Established);
    h.pkt(ToServer, PSH | ACK, C + 6, S + 7, b" more");
    assert_eq!(h.rec.stream(ToServer), "GET / more");
    assert_eq!(h.rec.stream(ToClient), "200 OK");
}

#[test]
fn rst_at_the_fin_sequence_number() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, FIN | ACK, C + 1, S + 1, b"");
    assert_eq!(h.s.state(), TcpState::CloseWait);
    h.pkt(ToServer, RST, C + 1, 0, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
}

fn ts_opts(tsval: u32, tsecr: u32) -> TcpOptions {
    TcpOptions {
        timestamp: Some((tsval, tsecr)),
        ..TcpOptions::default()
    }
}

#[test]
fn syn_sent_answer_with_foreign_timestamp_echo() {
    // The client's SYN carries no timestamp: a RST echoing one is forged.
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    let ev = h.full(
        ToClient,
        tcp(RST | ACK, 0, C + 1, 0, ts_opts(100, 100)),
        b"",
    );
    assert!(ev.contains(StreamEvent::PktInvalidTimestamp));
    assert_eq!(h.s.state(), TcpState::SynSent);
    // The SYN carries one: the echo must match it.
    let mut h = Harness::new(imm());
    h.full(ToServer, tcp(SYN, C, 0, 1000, ts_opts(500, 0)), b"");
    let ev = h.full(
        ToClient,
        tcp(SYN | ACK, S, C + 1, 1000, ts_opts(9, 499)),
        b"",
    );
    assert!(ev.contains(StreamEvent::PktInvalidTimestamp));
    assert_eq!(h.s.state(), TcpState::SynSent);
    h.full(
        ToClient,
        tcp(SYN | ACK, S, C + 1, 1000, ts_opts(9, 500)),
        b"",
    );
    assert_eq!(h.s.state(), TcpState::SynRecv);
}

#[test]
fn paws_rejects_old_and_zero_timestamps() {
    let mut h = Harness::new(imm());
    h.full(ToServer, tcp(SYN, C, 0, 1000, ts_opts(500, 0)), b"");
    h.full(
        ToClient,
        tcp(SYN | ACK, S, C + 1, 1000, ts_opts(9000, 500)),
        b"",
    );
    h.full(
        ToServer,
        tcp(ACK, C + 1, S + 1, 1000, ts_opts(501, 9000)),
        b"",
    );
    assert_eq!(h.s.state(), TcpState::Established);
    h.full(
        ToServer,
        tcp(PSH | ACK, C + 1, S + 1, 1000, ts_opts(502, 9000)),
        b"good",
    );
    // An older timestamp than the client's last one: rejected.
    let ev = h.full(
        ToServer,
        tcp(PSH | ACK, C + 5, S + 1, 1000, ts_opts(400, 9000)),
        b"evil",
    );
    assert!(ev.contains(StreamEvent::PktInvalidTimestamp));
    // A zero timestamp, on a RST too: rejected.
    let ev = h.full(
        ToClient,
        tcp(RST | ACK, S + 1, C + 5, 0, ts_opts(0, 502)),
        b"",
    );
    assert!(ev.contains(StreamEvent::PktInvalidTimestamp));
    assert_eq!(h.s.state(), TcpState::Established);
    h.full(
        ToServer,
        tcp(PSH | ACK, C + 5, S + 1, 1000, ts_opts(503, 9000)),
        b"!",
    );
    assert_eq!(h.rec.stream(ToServer), "good!");
}

#[test]
fn rst_in_syn_sent_refuses() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    h.pkt(ToClient, RST | ACK, 0, C + 1, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
}

#[test]
fn syn_reuse_after_close() {
    let syn = |seq| tcp(SYN, seq, 0, 1024, TcpOptions::default());
    let mut h = Harness::new(imm());
    assert!(h.s.is_reuse(ToServer, &syn(1)), "untracked session");
    h.handshake(C, S);
    assert!(!h.s.is_reuse(ToServer, &syn(77)));
    h.pkt(ToServer, FIN | ACK, C + 1, S + 1, b"");
    assert_eq!(h.s.state(), TcpState::CloseWait);
    assert!(
        h.s.is_reuse(ToServer, &syn(77)),
        "close_wait ranks above last_ack"
    );
    h.pkt(ToClient, FIN | ACK, S + 1, C + 2, b"");
    h.pkt(ToServer, ACK, C + 2, S + 2, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    assert!(h.s.is_reuse(ToServer, &syn(77)));
    assert!(h.s.is_reuse(ToClient, &syn(77)));
    assert!(
        !h.s.is_reuse(ToServer, &syn(C)),
        "same ISN: a retransmission"
    );
    let synack = tcp(SYN | ACK, 8, 78, 1024, TcpOptions::default());
    assert!(
        !h.s.is_reuse(ToClient, &synack),
        "SYN/ACK only with midstream"
    );
    let ack = tcp(ACK, 8, 78, 1024, TcpOptions::default());
    assert!(!h.s.is_reuse(ToServer, &ack));
}

#[test]
fn midstream_off_ignores_session() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, PSH | ACK, 100, 200, b"hello");
    h.pkt(ToClient, PSH | ACK, 200, 105, b"world");
    assert_eq!(h.s.state(), TcpState::None);
    assert!(h.rec.evs.is_empty());
    assert_eq!(h.mem.stats().sessions, 0);
    h.finish();
    assert!(h.rec.evs.is_empty());
}

#[test]
fn midstream_on_picks_up() {
    let mut h = Harness::new(TcpConfig {
        midstream: true,
        ..imm()
    });
    h.pkt(ToServer, PSH | ACK, 100, 200, b"hello");
    assert_eq!(h.s.state(), TcpState::Established);
    assert!(h.s.is_midstream());
    h.pkt(ToClient, PSH | ACK, 200, 105, b"world");
    h.pkt(ToServer, PSH | ACK, 105, 205, b"!");
    assert_eq!(h.rec.stream(ToServer), "hello!");
    assert_eq!(h.rec.stream(ToClient), "world");
    assert_eq!(h.mem.stats().midstream_pickups, 1);
    assert_eq!(h.mem.stats().sessions, 1);
}

#[test]
fn midstream_synack_pickup_reverses() {
    let mut h = Harness::new(TcpConfig {
        midstream: true,
        ..imm()
    });
    // The flow saw the SYN/ACK first, so calls its sender the client.
    h.pkt(ToServer, SYN | ACK, S, C + 1, b"");
    assert_eq!(h.s.state(), TcpState::SynRecv);
    assert!(h.s.reversed());
    h.pkt(ToClient, ACK, C + 1, S + 1, b"");
    assert_eq!(h.s.state(), TcpState::Established);
    h.pkt(ToClient, PSH | ACK, C + 1, S + 1, b"request");
    h.pkt(ToServer, PSH | ACK, S + 1, C + 8, b"response");
    assert_eq!(h.rec.stream(ToServer), "request");
    assert_eq!(h.rec.stream(ToClient), "response");
}

#[test]
fn midstream_fin_pickup() {
    let mut h = Harness::new(TcpConfig {
        midstream: true,
        ..imm()
    });
    h.pkt(ToServer, FIN | ACK, 100, 200, b"last words");
    assert_eq!(h.s.state(), TcpState::FinWait1);
    assert_eq!(h.rec.stream(ToServer), "last words|");
}

#[test]
fn packets_without_session() {
    let mut h = Harness::new(imm());
    let ev = h.pkt(ToServer, RST, 1, 0, b"");
    assert!(ev.contains(StreamEvent::RstButNoSession));
    let ev = h.pkt(ToServer, FIN | ACK, 1, 1, b"");
    assert!(ev.contains(StreamEvent::FinButNoSession));
    assert_eq!(h.s.state(), TcpState::None);
}

#[test]
fn synack_in_wrong_direction() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    let ev = h.pkt(ToServer, SYN | ACK, S, C + 1, b"");
    assert!(ev.contains(StreamEvent::ThreeWhsSynackInWrongDirection));
    let ev = h.pkt(ToClient, SYN | ACK, S, C + 7, b"");
    assert!(ev.contains(StreamEvent::ThreeWhsSynackWithWrongAck));
    assert_eq!(h.s.state(), TcpState::SynSent);
    assert_eq!(h.mem.stats().invalid_packets, 2);
}

#[test]
fn wrong_handshake_ack() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    h.pkt(ToClient, SYN | ACK, S, C + 1, b"");
    let ev = h.pkt(ToServer, ACK, C + 1, S + 9, b"");
    assert!(ev.contains(StreamEvent::ThreeWhsRightSeqWrongAckEvasion));
    let ev = h.pkt(ToServer, ACK, C + 50_000, S + 9, b"");
    assert!(ev.contains(StreamEvent::ThreeWhsWrongSeqWrongAck));
    assert_eq!(h.s.state(), TcpState::SynRecv);
}

#[test]
fn four_way_handshake() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    h.pkt(ToClient, SYN, S, 0, b"");
    let ev = h.pkt(ToServer, SYN | ACK, C, S + 1, b"");
    assert!(ev.is_empty(), "{ev:?}");
    assert_eq!(h.s.state(), TcpState::SynRecv);
    h.pkt(ToClient, ACK, S + 1, C + 1, b"");
    assert_eq!(h.s.state(), TcpState::Established);
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"hi");
    assert_eq!(h.rec.stream(ToServer), "hi");
}

#[test]
fn queued_synack_answered_by_ack() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    h.pkt(ToClient, SYN | ACK, S, C + 1, b"");
    assert!(h.pkt(ToClient, SYN | ACK, 7000, C + 1, b"").is_empty());
    h.pkt(ToServer, ACK, C + 1, 7001, b"");
    assert_eq!(h.s.state(), TcpState::Established);
    assert_eq!(h.s.stream_info(ToClient).isn, 7000);
    h.pkt(ToClient, PSH | ACK, 7001, C + 1, b"from 7000");
    assert_eq!(h.rec.stream(ToClient), "from 7000");
}

#[test]
fn out_of_window_and_invalid_ack() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"");
    // The server's receive window is 100 bytes.
    h.full(
        ToClient,
        tcp(SYN | ACK, S, C + 1, 100, TcpOptions::default()),
        b"",
    );
    h.pkt(ToServer, ACK, C + 1, S + 1, b"");
    let ev = h.pkt(ToServer, ACK, C + 1 + 90, S + 1, &[b'z'; 20]);
    assert!(ev.contains(StreamEvent::EstPacketOutOfWindow));
    let ev = h.pkt(ToServer, ACK, C + 1, S + 1, &[b'y'; 50]);
    assert!(ev.is_empty());
    // The client acknowledges far beyond anything the server could send.
    let ev = h.pkt(ToServer, ACK, C + 51, S + 1_000_000, b"");
    assert!(ev.contains(StreamEvent::PktInvalidAck));
    assert!(ev.contains(StreamEvent::EstInvalidAck));
    assert_eq!(h.rec.stream(ToServer), "y".repeat(50));
}

#[test]
fn syn_after_handshake_is_anomalous() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    assert!(
        h.pkt(ToServer, SYN, C, 0, b"")
            .contains(StreamEvent::EstSynResend)
    );
    assert!(
        h.pkt(ToServer, SYN, C + 5, 0, b"")
            .contains(StreamEvent::EstSynResendDiffSeq)
    );
    assert!(
        h.pkt(ToClient, SYN, S, 0, b"")
            .contains(StreamEvent::EstSynToclient)
    );
    assert!(
        h.pkt(ToServer, SYN | ACK, C, S + 1, b"")
            .contains(StreamEvent::EstSynackToserver)
    );
    // The server resending its SYN/ACK before confirming is fine.
    assert!(h.pkt(ToClient, SYN | ACK, S, C + 1, b"").is_empty());
    h.pkt(ToClient, ACK, S + 1, C + 1, b"");
    assert!(
        h.pkt(ToClient, SYN | ACK, S, C + 1, b"")
            .contains(StreamEvent::EstSynackResend)
    );
    assert_eq!(h.s.state(), TcpState::Established);
}

#[test]
fn options_recorded() {
    let mut h = Harness::new(imm());
    let syn_opts = TcpOptions {
        mss: Some(1460),
        window_scale: Some(7),
        sack_permitted: true,
        sack_blocks: 0,
        timestamp: Some((111, 0)),
        tfo: false,
    };
    let synack_opts = TcpOptions {
        window_scale: Some(8),
        timestamp: Some((222, 111)),
        ..syn_opts
    };
    h.full(ToServer, tcp(SYN, C, 0, 1000, syn_opts), b"");
    h.full(ToClient, tcp(SYN | ACK, S, C + 1, 1000, synack_opts), b"");
    h.full(
        ToServer,
        tcp(
            ACK,
            C + 1,
            S + 1,
            10,
            TcpOptions {
                timestamp: Some((112, 222)),
                ..TcpOptions::default()
            },
        ),
        b"",
    );
    let client = h.s.stream_info(ToServer);
    let server = h.s.stream_info(ToClient);
    assert_eq!((client.wscale, server.wscale), (7, 8));
    assert_eq!(
        (client.last_tsval, server.last_tsval),
        (Some(112), Some(222))
    );
    assert!(client.sack_permitted && server.sack_permitted);
    // The client's window of 10 is scaled by its shift of 7.
    assert_eq!(server.window, 10 << 7);

    // Scaling applies only when both sides offer it.
    let mut h = Harness::new(imm());
    h.full(ToServer, tcp(SYN, C, 0, 1000, syn_opts), b"");
    h.full(
        ToClient,
        tcp(SYN | ACK, S, C + 1, 1000, TcpOptions::default()),
        b"",
    );
    assert_eq!(h.s.stream_info(ToServer).wscale, 0);
    assert_eq!(h.s.stream_info(ToClient).wscale, 0);
}

/// Deterministic pseudo-random numbers for the hostile tests.
fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

#[test]
fn hostile_tiny_segments_stay_bounded() {
    let memcap = 256 * 1024;
    let mut h = Harness::with_memcap(imm(), memcap);
    h.handshake(C, S);
    let base = C + 1;
    let mut rng = 7u64;
    let mut max_used = 0;
    // 100k one-byte segments, none at the next expected offset, scattered
    // over 64 KiB (within the window) so holes stay everywhere.
    for _ in 0..100_000 {
        let off = 1 + (lcg(&mut rng) % 65_000) as u32;
        h.pkt(ToServer, ACK, base + off, S + 1, b"x");
        max_used = max_used.max(h.mem.used);
        assert!(h.mem.used <= memcap);
    }
    assert!(max_used > 0);
    h.finish();
    assert_eq!(h.mem.used, 0);
    // Everything reported adds up to a consistent stream.
    let total: u64 = h
        .rec
        .evs
        .iter()
        .map(|e| match e {
            Ev::Data(_, d) => d.len() as u64,
            Ev::Gap(_, n) => *n,
            Ev::Close(_) => 0,
        })
        .sum();
    assert!(total <= 65_001);
}

#[test]
fn hostile_segment_patterns_bounded_by_limits() {
    // Odd offsets only (a hole before every byte), far more than the
    // segment limit, then descending adjacent segments (merge path).
    let config = TcpConfig {
        max_queued_segments: 1000,
        ..imm()
    };
    let mut h = Harness::with_memcap(config, 64 * 1024 * 1024);
    h.s = TcpSession::new(&TcpConfig {
        max_queued_segments: 1000,
        midstream: true,
        reassembly_depth: 0,
        ..imm()
    });
    h.pkt(ToServer, ACK, 1, 1, b"");
    for i in 0..20_000u32 {
        h.pkt(ToServer, ACK, 1 + 2 * i + 1, 1, b"o");
        assert!(h.s.memory_used() <= 1000 * (64 + 4097));
    }
    let start = 1 + 50_000u32;
    for i in (0..20_000u32).rev() {
        h.pkt(ToServer, ACK, start + i, 1, b"d");
    }
    assert!(h.s.memory_used() <= 1000 * (64 + 4097) + 20_000);
    h.finish();
    let data: usize = h
        .rec
        .evs
        .iter()
        .map(|e| if let Ev::Data(_, d) = e { d.len() } else { 0 })
        .sum();
    assert_eq!(data, 40_000, "every byte delivered once");
}

#[test]
fn hostile_overlapping_retransmissions() {
    // Many overlapping copies of the same range with varying data: the
    // first copy wins, memory stays bounded.
    let mut h = Harness::with_memcap(imm(), 1024 * 1024);
    h.handshake(C, S);
    let base = C + 1;
    let mut rng = 3u64;
    for _ in 0..5_000 {
        let off = 1 + (lcg(&mut rng) % 1000) as u32;
        let len = 1 + (lcg(&mut rng) % 200) as usize;
        let byte = b'a' + (lcg(&mut rng) % 26) as u8;
        h.pkt(ToServer, ACK, base + off, S + 1, &vec![byte; len]);
    }
    assert!(h.mem.used <= 1024 + 64 * 1200);
    h.pkt(ToServer, ACK, base, S + 1, b"0");
    h.finish();
    assert_eq!(h.mem.used, 0);
}

#[test]
fn state_names() {
    let all = [
        (TcpState::None, "none"),
        (TcpState::SynSent, "syn_sent"),
        (TcpState::SynRecv, "syn_recv"),
        (TcpState::Established, "established"),
        (TcpState::FinWait1, "fin_wait1"),
        (TcpState::FinWait2, "fin_wait2"),
        (TcpState::TimeWait, "time_wait"),
        (TcpState::LastAck, "last_ack"),
        (TcpState::CloseWait, "close_wait"),
        (TcpState::Closing, "closing"),
        (TcpState::Closed, "closed"),
    ];
    for (state, name) in all {
        assert_eq!(state.name(), name);
    }
    for e in StreamEvent::ALL {
        assert!(e.name().starts_with("stream."));
    }
    assert_eq!(StreamEvent::PktInvalidAck.name(), "stream.pkt_invalid_ack");
}

#[test]
fn stream_events_list() {
    let mut ev = StreamEvents::default();
    for e in StreamEvent::ALL.iter().take(10) {
        ev.push(*e);
        ev.push(*e);
    }
    assert_eq!(ev.len(), MAX_STREAM_EVENTS);
    assert_eq!(ev.overflow, 4, "each push that did not fit");
    ev.clear();
    assert!(ev.is_empty());
}

#[test]
fn syn_with_data_fast_open() {
    let tfo = TcpOptions {
        tfo: true,
        ..TcpOptions::default()
    };
    let mut h = Harness::new(imm());
    h.full(
        ToServer,
        tcp(SYN, C, 0, 1000, tfo),
        b"GET / HTTP/1.1\r\n\r\n",
    );
    assert_eq!(h.rec.stream(ToServer), "GET / HTTP/1.1\r\n\r\n");
    // The server accepts the data: its SYN/ACK acknowledges it.
    assert!(h.pkt(ToClient, SYN | ACK, S, C + 19, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::SynRecv);
    // It answers before the client's ACK was seen.
    h.pkt(ToClient, PSH | ACK, S + 1, C + 19, b"HTTP/1.1 200 OK");
    assert_eq!(h.s.state(), TcpState::Established);
    assert_eq!(h.rec.stream(ToClient), "HTTP/1.1 200 OK");

    // A server ignoring the data acknowledges the SYN only; the client
    // resends the data after the handshake.
    let mut h = Harness::new(imm());
    h.full(ToServer, tcp(SYN, C, 0, 1000, tfo), b"data");
    h.pkt(ToClient, SYN | ACK, S, C + 1, b"");
    h.pkt(ToServer, ACK, C + 1, S + 1, b"");
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"data");
    assert_eq!(h.s.state(), TcpState::Established);
    assert_eq!(h.rec.stream(ToServer), "data");
}

#[test]
fn syn_data_without_fast_open_is_not_stream_data() {
    let mut h = Harness::new(imm());
    h.pkt(ToServer, SYN, C, 0, b"hidden");
    h.pkt(ToClient, SYN | ACK, S, C + 1, b"");
    h.pkt(ToServer, ACK, C + 1, S + 1, b"");
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"seen");
    assert_eq!(h.rec.stream(ToServer), "seen");
}

#[test]
fn last_ack_waits_for_the_clients_ack() {
    let mut h = Harness::new(imm());
    h.handshake(C, S);
    h.pkt(ToServer, FIN | ACK, C + 1, S + 1, b"");
    // The server's FIN does not acknowledge the client's FIN yet.
    h.pkt(ToClient, FIN | ACK | PSH, S + 1, C + 1, b"bye");
    assert_eq!(h.s.state(), TcpState::LastAck);
    // The server acknowledging the client's FIN, or resending its FIN,
    // does not end the session; the client's ACK does.
    h.pkt(ToClient, ACK, S + 5, C + 2, b"");
    h.pkt(ToClient, FIN | ACK | PSH, S + 1, C + 2, b"bye");
    assert_eq!(h.s.state(), TcpState::LastAck);
    h.pkt(ToServer, ACK, C + 2, S + 5, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    assert_eq!(h.rec.stream(ToClient), "bye|");
}

#[test]
fn random_packets_never_panic_and_account_memory() {
    // Random flags, numbers near the session's and payloads, in both
    // directions, under every policy and with midstream on and off.
    let policies = [
        OsPolicy::Bsd,
        OsPolicy::Linux,
        OsPolicy::Solaris,
        OsPolicy::Last,
        OsPolicy::Hpux11,
    ];
    let mut rng = 11u64;
    for round in 0..200u32 {
        let config = TcpConfig {
            midstream: round % 2 == 0,
            async_oneside: round % 3 == 0,
            reassembly_depth: if round % 5 == 0 { 300 } else { 0 },
            max_queued_segments: 16,
            ..imm()
        };
        let mut h = Harness::with_memcap(config, 4096);
        let p = policies[(round as usize) % policies.len()];
        h.s.set_host_policies(p, policies[(round as usize + 1) % policies.len()]);
        let (c, s) = (lcg(&mut rng) as u32, lcg(&mut rng) as u32);
        for _ in 0..300 {
            let dir = if lcg(&mut rng).is_multiple_of(2) {
                ToServer
            } else {
                ToClient
            };
            let flags = [
                SYN,
                SYN | ACK,
                ACK,
                ACK | PSH,
                FIN | ACK,
                RST,
                RST | ACK,
                FIN,
                0,
            ][(lcg(&mut rng) % 9) as usize];
            let base = if dir == ToServer { c } else { s };
            let other = if dir == ToServer { s } else { c };
            let seq = base.wrapping_add((lcg(&mut rng) % 2000) as u32);
            let ack = other.wrapping_add((lcg(&mut rng) % 2000) as u32);
            let len = (lcg(&mut rng) % 300) as usize;
            let byte = (lcg(&mut rng) % 256) as u8;
            let opts = if lcg(&mut rng).is_multiple_of(4) {
                ts_opts(lcg(&mut rng) as u32 % 50, lcg(&mut rng) as u32 % 50)
            } else {
                TcpOptions::default()
            };
            let window = (lcg(&mut rng) % 70_000) as u16;
            h.full(dir, tcp(flags, seq, ack, window, opts), &vec![byte; len]);
            assert!(h.mem.used <= 4096 + 300 + SEGMENT_OVERHEAD);
        }
        h.finish();
    }
}

// ---------------------------------------------------------------------------
// Acknowledged delivery (Suricata IDS mode, the default). Each expectation
// on which packet delivers was checked against Suricata 7.0.10 on captures
// built the same way (DNS over TCP, app-layer record pcap_cnt).

impl Harness {
    /// Sends a packet and returns what the sink received while processing
    /// it (the "delivery point" of that data).
    fn step(&mut self, dir: Direction, flags: u8, seq: u32, ack: u32, payload: &[u8]) -> Vec<Ev> {
        let before = self.rec.evs.len();
        self.pkt(dir, flags, seq, ack, payload);
        self.rec
            .evs
            .split_off(before)
            .into_iter()
            .fold(Vec::new(), |mut v, e| {
                self.rec.evs.push(e.clone());
                v.push(e);
                v
            })
    }

    /// Flow end; returns what it delivered.
    fn finish_step(&mut self) -> Vec<Ev> {
        let before = self.rec.evs.len();
        self.finish();
        self.rec.evs.get(before..).unwrap_or_default().to_vec()
    }
}

fn data(dir: Direction, bytes: &[u8]) -> Ev {
    Ev::Data(dir, bytes.to_vec())
}

#[test]
fn acked_is_the_default() {
    assert_eq!(TcpConfig::default().delivery, Delivery::Acked);
}

#[test]
fn acked_request_response_delivery_points() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let (req, resp) = (&b"request"[..], &b"response!"[..]);
    let (c1, s1) = (C + 1, S + 1);
    let (c2, s2) = (c1 + req.len() as u32, s1 + resp.len() as u32);
    // The request waits for the server's ACK, which delivers it.
    assert!(h.step(ToServer, PSH | ACK, c1, s1, req).is_empty());
    assert!(h.mem.used >= req.len());
    assert_eq!(
        h.step(ToClient, ACK, s1, c2, b""),
        vec![data(ToServer, req)]
    );
    // The response, sent with an ACK, waits for the client's ACK.
    assert!(h.step(ToClient, PSH | ACK, s1, c2, resp).is_empty());
    // The client's own packets never release the client's data, and the
    // client's ACK releases the response.
    assert_eq!(
        h.step(ToServer, ACK, c2, s2, b""),
        vec![data(ToClient, resp)]
    );
    assert_eq!(h.mem.used, 0);
    // The FIN exchange: the end of both streams is signalled when the
    // session closes (Suricata's app-layer EOF), at the last ACK.
    assert!(h.step(ToServer, FIN | ACK, c2, s2, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::CloseWait);
    assert!(h.step(ToClient, ACK, s2, c2 + 1, b"").is_empty());
    assert!(h.step(ToClient, FIN | ACK, s2, c2 + 1, b"").is_empty());
    assert_eq!(h.s.state(), TcpState::LastAck);
    assert_eq!(
        h.step(ToServer, ACK, c2 + 1, s2 + 1, b""),
        vec![Ev::Close(ToClient), Ev::Close(ToServer)]
    );
    assert_eq!(h.s.state(), TcpState::Closed);
    assert!(h.finish_step().is_empty());
}

#[test]
fn acked_response_in_the_acking_packet() {
    // Request at packet 4; the server's response also acknowledges it: the
    // request is delivered while processing the response packet, before the
    // response is taken.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, C + 1, S + 1, b"req");
    assert_eq!(
        h.step(ToClient, PSH | ACK, S + 1, C + 4, b"resp"),
        vec![data(ToServer, b"req")]
    );
    // Never acknowledged: the response comes out at flow end.
    assert_eq!(
        h.finish_step(),
        vec![
            Ev::Close(ToServer),
            data(ToClient, b"resp"),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_pipelined_requests() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, b"one;");
    h.step(ToServer, PSH | ACK, b + 4, S + 1, b"two;");
    h.step(ToServer, PSH | ACK, b + 8, S + 1, b"three;");
    // The server acknowledges the first, then the other two at once.
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 4, b""),
        vec![data(ToServer, b"one;")]
    );
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 14, b""),
        vec![data(ToServer, b"two;three;")]
    );
    // A duplicate ACK delivers nothing.
    assert!(h.step(ToClient, ACK, S + 1, b + 14, b"").is_empty());
}

#[test]
fn acked_ack_covering_part_of_the_data() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, b"0123456789");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 3, b""),
        vec![data(ToServer, b"012")]
    );
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 7, b""),
        vec![data(ToServer, b"3456")]
    );
    // An older ACK (reordered) changes nothing.
    assert!(h.step(ToClient, ACK, S + 1, b + 5, b"").is_empty());
    assert_eq!(
        h.finish_step(),
        vec![
            data(ToServer, b"789"),
            Ev::Close(ToServer),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_never_acknowledged_data_comes_out_at_finish() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, C + 1, S + 1, b"hello");
    // More packets from the sender do not release it.
    assert!(h.step(ToServer, ACK, C + 6, S + 1, b"").is_empty());
    assert!(
        h.step(ToServer, PSH | ACK, C + 6, S + 1, b" world")
            .is_empty()
    );
    assert_eq!(h.rec.evs, vec![]);
    assert_eq!(
        h.finish_step(),
        vec![
            data(ToServer, b"hello world"),
            Ev::Close(ToServer),
            Ev::Close(ToClient)
        ]
    );
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_data_seen_after_its_ack() {
    // Capture reordering: the server's ACK comes before the data. As
    // Suricata, the data waits for the next packet from the server; the
    // client's own packets do not release it.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    assert!(h.step(ToClient, ACK, S + 1, C + 5, b"").is_empty());
    assert!(
        h.step(ToServer, PSH | ACK, C + 1, S + 1, b"data")
            .is_empty()
    );
    assert!(h.step(ToServer, ACK, C + 5, S + 1, b"").is_empty());
    assert_eq!(
        h.step(ToClient, ACK, S + 1, C + 5, b""),
        vec![data(ToServer, b"data")]
    );
}

#[test]
fn acked_retransmissions_delivered_once() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, b"hello");
    // Retransmitted before its ACK, and partly overlapping new data.
    let ev = h.full(
        ToServer,
        tcp(ACK, b, S + 1, 65535, TcpOptions::default()),
        b"hello",
    );
    assert!(ev.contains(StreamEvent::PktRetransmission));
    h.step(ToServer, PSH | ACK, b + 3, S + 1, b"lo world");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 11, b""),
        vec![data(ToServer, b"hello world")]
    );
    // Retransmitted after its ACK: nothing.
    assert!(h.step(ToServer, PSH | ACK, b, S + 1, b"hello").is_empty());
    assert!(h.step(ToClient, ACK, S + 1, b + 11, b"").is_empty());
    assert_eq!(h.rec.stream(ToServer), "hello world");
}

#[test]
fn acked_out_of_order_then_acked() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, ACK, b + 5, S + 1, b"FGHIJ");
    h.step(ToServer, ACK, b, S + 1, b"ABCDE");
    assert!(h.rec.evs.is_empty());
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 10, b""),
        vec![data(ToServer, b"ABCDEFGHIJ")]
    );
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_gap_when_the_hole_is_acknowledged() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, b"aaaa");
    h.step(ToServer, PSH | ACK, b + 8, S + 1, b"cccc");
    h.step(ToServer, PSH | ACK, b + 16, S + 1, b"eeee");
    let before = h.rec.evs.len();
    // One ACK past two holes: both gaps and the data between, in order.
    let ev = h.full(
        ToClient,
        tcp(ACK, S + 1, b + 20, 65535, TcpOptions::default()),
        b"",
    );
    assert!(ev.contains(StreamEvent::ReassemblySeqGap));
    assert_eq!(
        h.rec.evs[before..].to_vec(),
        vec![
            data(ToServer, b"aaaa"),
            Ev::Gap(ToServer, 4),
            data(ToServer, b"cccc"),
            Ev::Gap(ToServer, 4),
            data(ToServer, b"eeee"),
        ]
    );
    assert_eq!(h.mem.stats().reassembly_gap, 2);
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_hole_nobody_acknowledged_stops_the_flush() {
    // As Suricata at flow end: data after a hole the receiver did not
    // acknowledge is not delivered.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, b"aaaa");
    h.step(ToServer, PSH | ACK, b + 8, S + 1, b"cccc");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 4, b""),
        vec![data(ToServer, b"aaaa")]
    );
    assert_eq!(
        h.finish_step(),
        vec![Ev::Close(ToServer), Ev::Close(ToClient)]
    );
    assert_eq!(h.mem.stats().reassembly_gap, 0);

    // Acknowledged up to the data after the hole: the gap at that ACK, the
    // data (not acknowledged) at flow end.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, b, S + 1, b"aaaa");
    h.step(ToServer, PSH | ACK, b + 8, S + 1, b"cccc");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 8, b""),
        vec![data(ToServer, b"aaaa"), Ev::Gap(ToServer, 4)]
    );
    assert_eq!(
        h.finish_step(),
        vec![
            data(ToServer, b"cccc"),
            Ev::Close(ToServer),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_depth_refuses_crossing_segments_and_stops() {
    let depth = |d| TcpConfig {
        reassembly_depth: d,
        ..acked()
    };
    let b = C + 1;
    // Acknowledged before the depth was reached: delivered; the segment
    // crossing the depth is refused whole.
    let mut h = Harness::new(depth(10));
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, b, S + 1, b"12345678");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 8, b""),
        vec![data(ToServer, b"12345678")]
    );
    assert_eq!(
        h.step(ToServer, PSH | ACK, b + 8, S + 1, b"9abc"),
        vec![Ev::Close(ToServer)]
    );
    assert_eq!(h.mem.stats().stream_depth_reached, 1);
    assert!(h.step(ToClient, ACK, S + 1, b + 12, b"").is_empty());
    assert_eq!(h.rec.stream(ToServer), "12345678|");

    // Not acknowledged when the depth is reached: never delivered, not
    // even at flow end (Suricata stops reassembling the direction).
    let mut h = Harness::new(depth(10));
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, b, S + 1, b"12345678");
    assert_eq!(
        h.step(ToServer, PSH | ACK, b + 8, S + 1, b"9abc"),
        vec![Ev::Close(ToServer)]
    );
    assert_eq!(h.mem.used, 0);
    assert!(h.step(ToClient, ACK, S + 1, b + 12, b"").is_empty());
    assert_eq!(h.finish_step(), vec![Ev::Close(ToClient)]);
    assert_eq!(h.rec.stream(ToServer), "|");

    // A segment ending exactly at the depth is taken.
    let mut h = Harness::new(depth(8));
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, b, S + 1, b"12345678");
    assert_eq!(
        h.step(ToClient, ACK, S + 1, b + 8, b""),
        vec![data(ToServer, b"12345678")]
    );
    assert_eq!(h.mem.stats().stream_depth_reached, 0);

    // Partly acknowledged: what was acknowledged is released when the
    // depth is reached, at that packet.
    let mut h = Harness::new(depth(10));
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, b, S + 1, b"1234");
    h.step(ToServer, PSH | ACK, b + 4, S + 1, b"5678");
    h.step(ToClient, ACK, S + 1, b + 2, b"");
    assert_eq!(h.rec.stream(ToServer), "12");
    assert_eq!(
        h.step(ToServer, PSH | ACK, b + 8, S + 1, b"9abc"),
        vec![Ev::Close(ToServer)]
    );
    assert_eq!(h.rec.stream(ToServer), "12|");
}

#[test]
fn acked_client_rst_releases_its_own_data() {
    // As Suricata: the RST counts its sender's data as received and
    // delivers it; the other direction waits for flow end.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, C + 1, S + 1, b"query");
    h.step(ToClient, PSH | ACK, S + 1, C + 1, b"answer");
    assert_eq!(
        h.step(ToServer, RST, C + 6, 0, b""),
        vec![data(ToServer, b"query")]
    );
    assert_eq!(h.s.state(), TcpState::Closed);
    assert_eq!(
        h.finish_step(),
        vec![
            Ev::Close(ToServer),
            data(ToClient, b"answer"),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_server_rst_with_ack_waits_for_flow_end() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, C + 1, S + 1, b"query");
    // The RST acknowledges the query but releases only the server's side.
    assert!(h.step(ToClient, RST | ACK, S + 1, C + 6, b"").is_empty());
    // Packets of the side that got the RST are not heard.
    assert!(h.step(ToServer, ACK, C + 6, S + 1, b"").is_empty());
    assert_eq!(
        h.finish_step(),
        vec![
            data(ToServer, b"query"),
            Ev::Close(ToServer),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_rst_counts_a_hole_as_acknowledged() {
    // The RST's ACK, raised to the highest byte seen, covers the hole: at
    // flow end it is a gap and the data after it comes out.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, PSH | ACK, C + 1, S + 1, b"data");
    h.step(ToServer, ACK, C + 9, S + 1, b"late");
    h.step(ToClient, RST | ACK, S + 1, C + 5, b"");
    assert_eq!(h.s.state(), TcpState::Closed);
    h.finish();
    assert_eq!(h.rec.stream(ToServer), "data[gap 4]late|");
}

#[test]
fn acked_fin_with_data() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    // Data and FIN together, acknowledged (FIN included) by the server.
    assert!(
        h.step(ToServer, FIN | PSH | ACK, C + 1, S + 1, b"bye")
            .is_empty()
    );
    assert_eq!(
        h.step(ToClient, ACK, S + 1, C + 5, b""),
        vec![data(ToServer, b"bye")]
    );
    // Never acknowledged: at flow end.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, FIN | PSH | ACK, C + 1, S + 1, b"bye");
    assert_eq!(
        h.finish_step(),
        vec![
            data(ToServer, b"bye"),
            Ev::Close(ToServer),
            Ev::Close(ToClient)
        ]
    );
}

#[test]
fn acked_closing_packet_releases_its_own_direction() {
    // In last_ack, the server's data is acknowledged by a client ACK seen
    // before the data (reordering); the server's FIN in last_ack releases
    // its own direction, and the client's final ACK closes the session and
    // ends both streams.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, FIN | ACK, C + 1, S + 1, b"");
    h.step(ToClient, ACK, S + 1, C + 2, b"");
    h.step(ToServer, ACK, C + 2, S + 5, b"");
    h.step(ToClient, FIN | PSH | ACK, S + 1, C + 2, b"done");
    assert_eq!(h.s.state(), TcpState::LastAck);
    // The server's FIN in last_ack releases its own acknowledged data.
    assert_eq!(h.rec.stream(ToClient), "done");
    assert_eq!(
        h.step(ToServer, ACK, C + 2, S + 6, b""),
        vec![Ev::Close(ToClient), Ev::Close(ToServer)]
    );
    assert_eq!(h.s.state(), TcpState::Closed);

    // Without the reordering the server's data is released by the client's
    // ACK as usual, and the last ACK (state closed) releases nothing new.
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    h.step(ToServer, FIN | ACK, C + 1, S + 1, b"");
    assert!(
        h.step(ToClient, FIN | PSH | ACK, S + 1, C + 2, b"done")
            .is_empty()
    );
    assert_eq!(
        h.step(ToServer, ACK, C + 2, S + 6, b""),
        vec![
            data(ToClient, b"done"),
            Ev::Close(ToClient),
            Ev::Close(ToServer)
        ]
    );
    assert_eq!(h.s.state(), TcpState::Closed);
}

#[test]
fn acked_memcap_turns_unacknowledged_data_into_a_gap() {
    let mut h = Harness::with_memcap(acked(), 100);
    h.handshake(C, S);
    let b = C + 1;
    h.step(ToServer, PSH | ACK, b, S + 1, &[b'a'; 60]);
    // Does not fit next to the 60 waiting bytes: dropped, a gap.
    h.step(ToServer, PSH | ACK, b + 60, S + 1, &[b'b'; 60]);
    assert_eq!(h.mem.stats().segment_memcap_drop, 1);
    assert!(h.mem.used <= 100);
    h.step(ToServer, PSH | ACK, b + 120, S + 1, b"cc");
    let ev = h.full(
        ToClient,
        tcp(ACK, S + 1, b + 122, 65535, TcpOptions::default()),
        b"",
    );
    assert!(ev.contains(StreamEvent::ReassemblySeqGap));
    assert_eq!(
        h.rec.stream(ToServer),
        format!("{}[gap 60]cc", "a".repeat(60))
    );
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_async_oneside_flushes_at_finish() {
    let mut h = Harness::new(TcpConfig {
        async_oneside: true,
        ..acked()
    });
    h.pkt(ToServer, SYN, C, 0, b"");
    h.pkt(ToServer, ACK, C + 1, S + 1, b"");
    assert_eq!(h.s.state(), TcpState::Established);
    h.pkt(ToServer, PSH | ACK, C + 1, S + 1, b"one");
    h.pkt(ToServer, PSH | ACK, C + 4, S + 1, b"two");
    assert!(h.rec.evs.is_empty());
    h.finish();
    assert_eq!(h.rec.stream(ToServer), "onetwo|");
}

#[test]
fn acked_midstream_pickup() {
    let mut h = Harness::new(TcpConfig {
        midstream: true,
        ..acked()
    });
    assert!(
        h.step(ToServer, PSH | ACK, C + 1, S + 1, b"query")
            .is_empty()
    );
    assert_eq!(
        h.step(ToClient, PSH | ACK, S + 1, C + 6, b"answer"),
        vec![data(ToServer, b"query")]
    );
    assert_eq!(
        h.step(ToServer, ACK, C + 6, S + 7, b""),
        vec![data(ToClient, b"answer")]
    );
}

#[test]
fn acked_large_transfer_with_partial_acks() {
    // 300 KB in 1000-byte segments, acknowledged every few segments at odd
    // points: every byte once, in order; memory back to zero.
    let mut h = Harness::with_memcap(acked(), 1 << 20);
    h.s = TcpSession::new(&TcpConfig {
        reassembly_depth: 0,
        ..acked()
    });
    h.handshake(C, S);
    let b = C + 1;
    let all: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let mut peak = 0;
    for (i, chunk) in all.chunks(1000).enumerate() {
        let off = (i * 1000) as u32;
        h.pkt(ToServer, ACK, b + off, S + 1, chunk);
        if i % 3 == 2 {
            h.pkt(ToClient, ACK, S + 1, b + off + 500, b"");
        }
        peak = peak.max(h.mem.used);
    }
    assert!(peak < 8000, "{peak}");
    h.pkt(ToClient, ACK, S + 1, b + 300_000, b"");
    let got: Vec<u8> = h
        .rec
        .evs
        .iter()
        .flat_map(|e| match e {
            Ev::Data(ToServer, d) => d.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert!(got == all);
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_pending_compaction_keeps_the_stream() {
    // ACKs that trail the data by much leave a long pending buffer that is
    // consumed in small steps (compaction path).
    let mut h = Harness::with_memcap(acked(), 0);
    h.s = TcpSession::new(&TcpConfig {
        reassembly_depth: 0,
        ..acked()
    });
    h.handshake(C, S);
    let b = C + 1;
    let all: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 256) as u8).collect();
    // Up to 60 KB ahead of the ACKs (the receiver's window is 64 KB).
    let (mut sent, mut acked_to) = (0usize, 0usize);
    while acked_to < all.len() {
        while sent < all.len() && sent - acked_to < 60_000 {
            let end = (sent + 1400).min(all.len());
            h.pkt(ToServer, ACK, b + sent as u32, S + 1, &all[sent..end]);
            sent = end;
        }
        acked_to = (acked_to + 333).min(sent);
        h.pkt(ToClient, ACK, S + 1, b + acked_to as u32, b"");
        assert_eq!(h.s.memory_used(), sent - acked_to);
    }
    let got: Vec<u8> = h
        .rec
        .evs
        .iter()
        .flat_map(|e| match e {
            Ev::Data(_, d) => d.clone(),
            _ => Vec::new(),
        })
        .collect();
    assert!(got == all);
}

#[test]
fn acked_hostile_tiny_segments_with_acks_stay_bounded() {
    // One-byte segments at scattered offsets, each followed by an ACK past
    // it: holes, gaps and pending markers everywhere; memory stays within
    // the memcap and accounting returns to zero.
    let memcap = 64 * 1024;
    let mut h = Harness::with_memcap(acked(), memcap);
    h.handshake(C, S);
    let b = C + 1;
    let mut rng = 5u64;
    for i in 0..50_000u32 {
        let off = (lcg(&mut rng) % 60_000) as u32;
        h.pkt(ToServer, ACK, b + off, S + 1, b"x");
        if i % 7 == 0 {
            let ack = (lcg(&mut rng) % 60_000) as u32;
            h.pkt(ToClient, ACK, S + 1, b + ack, b"");
        }
        assert!(h.mem.used <= memcap + 64);
    }
    h.finish();
    assert_eq!(h.mem.used, 0);
}

#[test]
fn acked_random_packets_never_panic_and_account_memory() {
    let mut rng = 23u64;
    for round in 0..200u32 {
        let config = TcpConfig {
            midstream: round % 2 == 0,
            async_oneside: round % 3 == 0,
            reassembly_depth: if round % 5 == 0 { 300 } else { 0 },
            max_queued_segments: 16,
            ..acked()
        };
        let mut h = Harness::with_memcap(config, 4096);
        let (c, s) = (lcg(&mut rng) as u32, lcg(&mut rng) as u32);
        for _ in 0..300 {
            let dir = if lcg(&mut rng).is_multiple_of(2) {
                ToServer
            } else {
                ToClient
            };
            let flags = [
                SYN,
                SYN | ACK,
                ACK,
                ACK | PSH,
                FIN | ACK,
                RST,
                RST | ACK,
                FIN,
                0,
            ][(lcg(&mut rng) % 9) as usize];
            let base = if dir == ToServer { c } else { s };
            let other = if dir == ToServer { s } else { c };
            let seq = base.wrapping_add((lcg(&mut rng) % 2000) as u32);
            let ack = other.wrapping_add((lcg(&mut rng) % 2000) as u32);
            let len = (lcg(&mut rng) % 300) as usize;
            let byte = (lcg(&mut rng) % 256) as u8;
            let window = (lcg(&mut rng) % 70_000) as u16;
            h.full(
                dir,
                tcp(flags, seq, ack, window, TcpOptions::default()),
                &vec![byte; len],
            );
            assert!(h.mem.used <= 4096 + 300 + SEGMENT_OVERHEAD);
        }
        h.finish();
        // Each direction closed exactly once.
        for d in [ToServer, ToClient] {
            assert!(h.rec.closes(d) <= 1);
        }
    }
}

#[test]
fn acked_buffers_are_reused() {
    let mut h = Harness::new(acked());
    h.handshake(C, S);
    let b = C + 1;
    for i in 0..100u32 {
        h.pkt(ToServer, PSH | ACK, b + i * 10, S + 1, b"0123456789");
        h.pkt(ToClient, ACK, S + 1, b + i * 10 + 10, b"");
    }
    assert_eq!(h.rec.stream(ToServer).len(), 1000);
    assert_eq!(h.mem.used, 0);
}
