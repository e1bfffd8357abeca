//! IEC 61850 GOOSE: the input is a run of frames from a few publishers. Each
//! frame: one control byte (bits 0-1: which of four source MACs; bits 2-7:
//! time since the previous frame, in 50 ms steps), a big-endian 16-bit
//! length, then that many bytes of GOOSE payload (APPID onwards; the length
//! is cut to what is left). Every payload is decoded; a decoded PDU is
//! written as EVE (checked to be UTF-8), its rule fields read, its values
//! iterated, and it goes through a small tracker (capacity 8, so eviction
//! runs too) whose anomaly names are read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil_eve::JsonWriter;
use vigil_proto::Transaction;
use vigil_proto::ot::goose::{self, Data, DataList, GooseTracker};
use vigil_wire::Timestamp;

const UINTS: &[&str] = &[
    "goose.appid",
    "goose.reserved1",
    "goose.reserved2",
    "goose.time_allowed_to_live",
    "goose.st_num",
    "goose.sq_num",
    "goose.simulation",
    "goose.conf_rev",
    "goose.nds_com",
    "goose.num_dat_set_entries",
    "goose.data_count",
];
const BUFFERS: &[&str] = &["goose.gocb_ref", "goose.dat_set", "goose.go_id"];

fuzz_target!(|data: &[u8]| {
    let mut tracker = GooseTracker::new(8);
    let mut events = Vec::new();
    let mut buf = Vec::new();
    let mut now = Timestamp::new(1_700_000_000, 0);
    let mut rest = data;
    while let Some((&ctrl, tail)) = rest.split_first() {
        let (len, tail) = match tail {
            [a, b, t @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), t),
            _ => (tail.len(), &[][..]),
        };
        let (payload, next) = tail.split_at(len.min(tail.len()));
        rest = next;
        now = Timestamp::new(
            now.secs,
            u64::from(now.nanos) + u64::from(ctrl >> 2) * 50_000_000,
        );
        let mac = [2, 0, 0, 0, 0, ctrl & 3];
        events.clear();
        match goose::decode(payload) {
            Ok(pdu) => {
                buf.clear();
                let mut w = JsonWriter::new(&mut buf);
                w.open_object();
                pdu.write_eve(&mut w);
                w.close_object();
                assert!(std::str::from_utf8(&buf).is_ok());
                for name in UINTS {
                    pdu.uints(name, &mut |_| {});
                }
                for name in BUFFERS {
                    let _ = pdu.buffer(name);
                }
                let mut n = 0;
                walk(pdu.all_data, 0, &mut n);
                if pdu.data_error.is_none() {
                    assert!(n >= pdu.data_count as usize);
                }
                tracker.observe(mac, &pdu, now, &mut events);
            }
            Err(e) => events.push(e.event()),
        }
        for e in &events {
            assert!(e.name().starts_with("GOOSE_"));
        }
        assert!(tracker.len() <= 8);
    }
});

/// Iterates every value (bounded like the decoder's own walk).
fn walk(list: DataList<'_>, depth: usize, n: &mut usize) {
    if depth > goose::data::MAX_DEPTH {
        return;
    }
    for d in list.iter() {
        let Ok(d) = d else { return };
        *n += 1;
        match d {
            Data::Array(l) | Data::Structure(l) => walk(l, depth + 1, n),
            Data::FloatingPoint(raw) => {
                let _ = Data::float_value(raw);
            }
            _ => {}
        }
    }
}
