//! Counters and the final EVE `stats` record, with Suricata's counter names.

use vigil_eve::{EveHeader, JsonWriter};
use vigil_wire::{DecodeEvent, Decoded, Layer, Timestamp};

/// Decoder counters of one worker (`decoder.*`).
#[derive(Clone, Debug)]
pub struct DecoderCounters {
    pub pkts: u64,
    pub bytes: u64,
    pub invalid: u64,
    pub max_pkt_size: u64,
    /// Per [`Layer`] discriminant.
    pub layers: [u64; 32],
    /// Per [`DecodeEvent`] discriminant.
    pub events: Vec<u64>,
}

impl Default for DecoderCounters {
    fn default() -> Self {
        DecoderCounters {
            pkts: 0,
            bytes: 0,
            invalid: 0,
            max_pkt_size: 0,
            layers: [0; 32],
            events: vec![0; DecodeEvent::ALL.len()],
        }
    }
}

/// Layers in the order and with the names of Suricata's `decoder.*` counters.
const LAYER_COUNTERS: &[(&str, Layer)] = &[
    ("ipv4", Layer::Ipv4),
    ("ipv6", Layer::Ipv6),
    ("ethernet", Layer::Ethernet),
    ("arp", Layer::Arp),
    ("raw", Layer::Raw),
    ("null", Layer::Null),
    ("sll", Layer::Sll),
    ("tcp", Layer::Tcp),
    ("udp", Layer::Udp),
    ("sctp", Layer::Sctp),
    ("esp", Layer::Esp),
    ("icmpv4", Layer::Icmpv4),
    ("icmpv6", Layer::Icmpv6),
    ("ppp", Layer::Ppp),
    ("pppoe", Layer::Pppoe),
    ("geneve", Layer::Geneve),
    ("gre", Layer::Gre),
    ("vlan", Layer::Vlan),
    ("vlan_qinq", Layer::VlanQinq),
    ("vxlan", Layer::Vxlan),
    ("teredo", Layer::Teredo),
    ("ipv4_in_ipv6", Layer::Ipv4InIpv6),
    ("ipv6_in_ipv6", Layer::Ipv6InIpv6),
    ("mpls", Layer::Mpls),
    ("erspan", Layer::Erspan),
    // vigil's own: frames with the IEC 61850 GOOSE EtherType.
    ("goose", Layer::Goose),
];

impl DecoderCounters {
    /// Accounts one decoded frame of `len` bytes.
    pub fn count(&mut self, decoded: &Decoded, len: usize) {
        self.pkts += 1;
        self.bytes += len as u64;
        self.max_pkt_size = self.max_pkt_size.max(len as u64);
        let mut bits = decoded.layers.0;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            if let Some(c) = self.layers.get_mut(i) {
                *c += 1;
            }
            bits &= bits - 1;
        }
        if decoded.events.iter().any(|e| e.is_invalid()) {
            self.invalid += 1;
        }
        for e in decoded.events.iter() {
            if let Some(c) = self.events.get_mut(e as usize) {
                *c += 1;
            }
        }
    }

    /// Accounts the layers of a packet vigil made itself (a reassembled IP
    /// datagram): Suricata counts its layers (`decoder.ipv4`, `decoder.udp`,
    /// ...) but not a packet or bytes read.
    pub fn count_pseudo(&mut self, decoded: &Decoded) {
        // It is decoded from its IP header: not a raw-IP link packet.
        let mut bits = decoded.layers.0 & !(1u32 << Layer::Raw as u32);
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            if let Some(c) = self.layers.get_mut(i) {
                *c += 1;
            }
            bits &= bits - 1;
        }
    }

    /// Adds another worker's counters.
    pub fn merge(&mut self, other: &DecoderCounters) {
        self.pkts += other.pkts;
        self.bytes += other.bytes;
        self.invalid += other.invalid;
        self.max_pkt_size = self.max_pkt_size.max(other.max_pkt_size);
        for (a, b) in self.layers.iter_mut().zip(other.layers.iter()) {
            *a += b;
        }
        for (a, b) in self.events.iter_mut().zip(other.events.iter()) {
            *a += b;
        }
    }

    /// Total anomalies counted.
    pub fn total_events(&self) -> u64 {
        self.events.iter().sum()
    }
}

/// An ordered tree of counters built from dotted names, written as nested
/// JSON objects (Suricata's `stats` layout).
#[derive(Default)]
pub struct CounterTree {
    children: Vec<(String, CounterNode)>,
}

enum CounterNode {
    Value(u64),
    Tree(CounterTree),
}

impl CounterTree {
    /// Sets `path` (dot-separated) to `value`, creating objects on the way.
    pub fn set(&mut self, path: &str, value: u64) {
        let mut node = self;
        let mut parts = path.split('.').peekable();
        while let Some(part) = parts.next() {
            let last = parts.peek().is_none();
            let pos = node.children.iter().position(|(k, _)| k == part);
            let idx = match pos {
                Some(i) => i,
                None => {
                    let child = if last {
                        CounterNode::Value(0)
                    } else {
                        CounterNode::Tree(CounterTree::default())
                    };
                    node.children.push((part.to_string(), child));
                    node.children.len() - 1
                }
            };
            let Some((_, child)) = node.children.get_mut(idx) else {
                return;
            };
            if last {
                *child = CounterNode::Value(value);
                return;
            }
            if let CounterNode::Value(_) = child {
                *child = CounterNode::Tree(CounterTree::default());
            }
            match child {
                CounterNode::Tree(t) => node = t,
                CounterNode::Value(_) => return,
            }
        }
    }

    fn write(&self, w: &mut JsonWriter<'_>) {
        for (k, v) in &self.children {
            match v {
                CounterNode::Value(n) => w.uint(k, *n),
                CounterNode::Tree(t) => {
                    w.open_object_key(k);
                    t.write(w);
                    w.close_object();
                }
            }
        }
    }

    /// Appends the `stats` record line.
    pub fn write_record(&self, out: &mut Vec<u8>, now: Timestamp, uptime_secs: u64) {
        let mut w = JsonWriter::new(out);
        EveHeader {
            timestamp: now,
            flow_id: None,
            pcap_cnt: None,
            event_type: "stats",
            vlan: &[],
            endpoints: None,
        }
        .write_open(&mut w);
        w.open_object_key("stats");
        w.uint("uptime", uptime_secs);
        self.write(&mut w);
        w.close_object();
        w.close_object();
        out.push(b'\n');
    }
}

/// Adds the decoder counters to a tree under `decoder.`.
pub fn decoder_tree(tree: &mut CounterTree, d: &DecoderCounters) {
    tree.set("decoder.pkts", d.pkts);
    tree.set("decoder.bytes", d.bytes);
    tree.set("decoder.invalid", d.invalid);
    for (name, layer) in LAYER_COUNTERS {
        let v = d.layers.get(*layer as usize).copied().unwrap_or(0);
        tree.set(&format!("decoder.{name}"), v);
    }
    tree.set(
        "decoder.avg_pkt_size",
        d.bytes.checked_div(d.pkts).unwrap_or(0),
    );
    tree.set("decoder.max_pkt_size", d.max_pkt_size);
    for (i, event) in DecodeEvent::ALL.iter().enumerate() {
        let v = d.events.get(i).copied().unwrap_or(0);
        let name = event.name();
        // "decoder.ipv4.trunc_pkt" -> "decoder.event.ipv4.trunc_pkt";
        // top-level ones ("decoder.too_many_layers") stay where they are.
        let path = match name.strip_prefix("decoder.") {
            Some(rest) if rest.contains('.') => format!("decoder.event.{rest}"),
            _ => name.to_string(),
        };
        tree.set(&path, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_tree_nests_in_insertion_order() {
        let mut t = CounterTree::default();
        t.set("decoder.pkts", 3);
        t.set("decoder.event.ipv4.trunc_pkt", 1);
        t.set("flow.total", 2);
        t.set("decoder.bytes", 9);
        let mut out = Vec::new();
        t.write_record(&mut out, Timestamp::new(0, 0), 5);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"timestamp\":\"1970-01-01T00:00:00.000000+0000\",\"event_type\":\"stats\",\"stats\":{\"uptime\":5,\"decoder\":{\"pkts\":3,\"event\":{\"ipv4\":{\"trunc_pkt\":1}},\"bytes\":9},\"flow\":{\"total\":2}}}\n"
        );
    }
}
