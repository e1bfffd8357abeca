//! DHCP (BOOTP over UDP 67/68), logged as Suricata 7 logs it.
//!
//! Every datagram with a whole BOOTP header is one transaction. Suricata's
//! default logger (`extended: no`) writes a `dhcp` record only for DHCPACK
//! messages, with the message's type, id, client MAC, assigned address,
//! client id, hostname and renewal time; the extended logger writes every
//! message with more fields ([`DhcpParser::extended`]).
//!
//! Options are read as Suricata reads them: PAD (0) is not special (it is
//! read as an option with a length byte), the time options are always read
//! as 4 bytes whatever their length byte says, a client id needs a length
//! above 1, and options that run out of data, or end without END, raise
//! `truncated_options` and end the list.

use vigil_eve::JsonWriter;

use crate::it::dns::{append_addr, write_addr, write_bytes, write_hex_colon};
use crate::{
    AppParser, AppProto, Direction, ParseOutput, Probe, ProtoInfo, Transaction, Transport,
};

/// Registration of DHCP: UDP 67 and 68 only (any 240 bytes would pass the
/// probe, as in Suricata).
pub static INFO: ProtoInfo = ProtoInfo {
    proto: AppProto::Dhcp,
    tcp_ports: &[],
    udp_ports: &[67, 68],
    probe_tcp: None,
    probe_udp: Some(probe),
    port_only: true,
    new_parser,
};

/// The BOOTP header up to and including the magic cookie.
const HEADER_LEN: usize = 240;

/// Anomaly names (`app-layer-event:dhcp.<name>`).
const TRUNCATED_OPTIONS: &str = "truncated_options";

/// Options kept per message. A 64 KiB datagram holds at most ~32 K options
/// of two bytes; Suricata keeps them all, vigil stops reading past this.
const MAX_OPTIONS: usize = 4096;

const BOOTP_REQUEST: u8 = 1;
const BOOTP_REPLY: u8 = 2;

const OPT_SUBNET_MASK: u8 = 1;
const OPT_ROUTERS: u8 = 3;
const OPT_DNS_SERVER: u8 = 6;
const OPT_HOSTNAME: u8 = 12;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_ADDRESS_TIME: u8 = 51;
const OPT_TYPE: u8 = 53;
const OPT_PARAMETER_LIST: u8 = 55;
const OPT_RENEWAL_TIME: u8 = 58;
const OPT_REBINDING_TIME: u8 = 59;
const OPT_VENDOR_CLASS_ID: u8 = 60;
const OPT_CLIENT_ID: u8 = 61;
const OPT_END: u8 = 255;

const TYPE_ACK: u8 = 5;

fn probe(_dir: Direction, data: &[u8]) -> Probe {
    if data.len() >= HEADER_LEN {
        Probe::Match
    } else {
        Probe::NoMatch
    }
}

/// Whether new parsers log as Suricata's extended DHCP logger: a
/// process-wide setting, set once from the configuration.
static EXTENDED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Sets the eve-log `dhcp: extended:` option for new parsers.
pub fn set_extended(extended: bool) {
    EXTENDED.store(extended, std::sync::atomic::Ordering::Relaxed);
}

fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(DhcpParser::new(
        EXTENDED.load(std::sync::atomic::Ordering::Relaxed),
    ))
}

/// The DHCP state of one flow: a message counter.
pub struct DhcpParser {
    tx_count: u64,
    extended: bool,
}

impl DhcpParser {
    /// A parser; `extended` logs every message with Suricata's extended
    /// fields (its `dhcp: extended: yes`), otherwise only DHCPACKs with the
    /// default fields.
    pub fn new(extended: bool) -> Self {
        DhcpParser {
            tx_count: 0,
            extended,
        }
    }

    /// Whether this parser logs as Suricata's extended DHCP logger.
    pub fn extended(&self) -> bool {
        self.extended
    }
}

impl AppParser for DhcpParser {
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput) {
        let Some(msg) = DhcpMessage::parse(data) else {
            return;
        };
        let tx_id = self.tx_count;
        self.tx_count += 1;
        if msg.truncated_options {
            out.tx_event(AppProto::Dhcp, TRUNCATED_OPTIONS, tx_id);
        }
        if self.extended || msg.message_type() == Some(TYPE_ACK) {
            out.tx(DhcpTx {
                msg,
                tx_id,
                dir,
                extended: self.extended,
            });
        }
    }
}

/// One option as Suricata classifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum DhcpOption {
    /// Client identifier (61): the bytes after the hardware type.
    ClientId(Vec<u8>),
    /// Lease (51), renewal (58) or rebinding (59) time.
    Time(u8, u32),
    /// Any other option but END.
    Generic(u8, Vec<u8>),
    End,
}

/// A parsed BOOTP/DHCP message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpMessage {
    op: u8,
    xid: u32,
    ciaddr: [u8; 4],
    yiaddr: [u8; 4],
    siaddr: [u8; 4],
    giaddr: [u8; 4],
    /// The first `min(hlen, 16)` bytes of chaddr.
    chaddr: Vec<u8>,
    options: Vec<DhcpOption>,
    truncated_options: bool,
}

fn addr4(b: &[u8], at: usize) -> [u8; 4] {
    match b.get(at..at + 4) {
        Some(&[a, b, c, d]) => [a, b, c, d],
        _ => [0; 4],
    }
}

impl DhcpMessage {
    /// Parses a datagram; `None` without a whole 240-byte header.
    pub fn parse(data: &[u8]) -> Option<DhcpMessage> {
        let header = data.get(..HEADER_LEN)?;
        let op = *header.first()?;
        let hlen = usize::from(*header.get(2)?);
        let xid = u32::from_be_bytes(addr4(header, 4));
        let chaddr = header.get(28..28 + hlen.min(16))?.to_vec();
        let mut msg = DhcpMessage {
            op,
            xid,
            ciaddr: addr4(header, 12),
            yiaddr: addr4(header, 16),
            siaddr: addr4(header, 20),
            giaddr: addr4(header, 24),
            chaddr,
            options: Vec::new(),
            truncated_options: false,
        };
        let mut rest = data.get(HEADER_LEN..).unwrap_or(&[]);
        loop {
            if msg.options.len() >= MAX_OPTIONS {
                break;
            }
            match parse_option(rest) {
                Some((opt, next)) => {
                    let end = opt == DhcpOption::End;
                    msg.options.push(opt);
                    rest = next;
                    if end {
                        break;
                    }
                }
                None => {
                    msg.truncated_options = true;
                    break;
                }
            }
        }
        Some(msg)
    }

    /// The DHCP message type: the first non-empty option 53.
    fn message_type(&self) -> Option<u8> {
        self.options.iter().find_map(|o| match o {
            DhcpOption::Generic(OPT_TYPE, d) => d.first().copied(),
            _ => None,
        })
    }
}

/// One option from the start of `b` and the rest; `None` when it is cut
/// short (or a client id is too short).
fn parse_option(b: &[u8]) -> Option<(DhcpOption, &[u8])> {
    let code = *b.first()?;
    match code {
        OPT_END => Some((DhcpOption::End, &[])),
        OPT_CLIENT_ID => {
            let len = usize::from(*b.get(1)?);
            if len <= 1 {
                return None;
            }
            // One byte of hardware type, then len - 1 bytes of id.
            let data = b.get(3..2 + len)?;
            Some((DhcpOption::ClientId(data.to_vec()), b.get(2 + len..)?))
        }
        OPT_ADDRESS_TIME | OPT_RENEWAL_TIME | OPT_REBINDING_TIME => {
            // The length byte is not looked at: always four bytes.
            let v = b.get(2..6)?;
            let secs = u32::from_be_bytes(addr4(v, 0));
            Some((DhcpOption::Time(code, secs), b.get(6..)?))
        }
        _ => {
            let len = usize::from(*b.get(1)?);
            let data = b.get(2..2 + len)?;
            Some((DhcpOption::Generic(code, data.to_vec()), b.get(2 + len..)?))
        }
    }
}

/// One logged DHCP message.
pub struct DhcpTx {
    msg: DhcpMessage,
    tx_id: u64,
    dir: Direction,
    extended: bool,
}

impl Transaction for DhcpTx {
    fn event_type(&self) -> &'static str {
        "dhcp"
    }

    /// Suricata orients DHCP records by the packet.
    fn log_direction(&self) -> Direction {
        self.dir
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(self.tx_id)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        let m = &self.msg;
        let ext = self.extended;
        w.open_object_key("dhcp");
        w.string(
            "type",
            match m.op {
                BOOTP_REQUEST => "request",
                BOOTP_REPLY => "reply",
                _ => "<unknown>",
            },
        );
        w.uint("id", u64::from(m.xid));
        write_hex_colon(w, "client_mac", &m.chaddr);
        write_addr(w, "assigned_ip", &m.yiaddr);
        if ext {
            write_addr(w, "client_ip", &m.ciaddr);
            if m.op == BOOTP_REPLY {
                write_addr(w, "relay_ip", &m.giaddr);
                write_addr(w, "next_server_ip", &m.siaddr);
            }
        }
        for opt in &m.options {
            match opt {
                DhcpOption::ClientId(id) => write_hex_colon(w, "client_id", id),
                DhcpOption::Time(OPT_ADDRESS_TIME, s) if ext => w.uint("lease_time", u64::from(*s)),
                DhcpOption::Time(OPT_REBINDING_TIME, s) if ext => {
                    w.uint("rebinding_time", u64::from(*s))
                }
                DhcpOption::Time(OPT_RENEWAL_TIME, s) => w.uint("renewal_time", u64::from(*s)),
                DhcpOption::Generic(code, data) => write_generic(w, *code, data, ext),
                DhcpOption::Time(..) | DhcpOption::End => {}
            }
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let opt = match name {
            "dhcp.hostname" => OPT_HOSTNAME,
            "dhcp.vendor_class_identifier" => OPT_VENDOR_CLASS_ID,
            _ => return None,
        };
        self.msg.options.iter().find_map(|o| match o {
            DhcpOption::Generic(c, d) if *c == opt => Some(d.as_slice()),
            _ => None,
        })
    }

    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        for o in &self.msg.options {
            match (name, o) {
                ("dhcp.leasetime", DhcpOption::Time(OPT_ADDRESS_TIME, s))
                | ("dhcp.renewal_time", DhcpOption::Time(OPT_RENEWAL_TIME, s))
                | ("dhcp.rebinding_time", DhcpOption::Time(OPT_REBINDING_TIME, s)) => {
                    f(u64::from(*s))
                }
                _ => {}
            }
        }
    }
}

fn write_generic(w: &mut JsonWriter<'_>, code: u8, data: &[u8], ext: bool) {
    match code {
        OPT_HOSTNAME if !data.is_empty() => write_bytes(w, "hostname", data),
        OPT_TYPE => {
            if let Some(&t) = data.first() {
                w.string("dhcp_type", type_name(t));
            }
        }
        OPT_SUBNET_MASK if ext => write_addr(w, "subnet_mask", data),
        OPT_REQUESTED_IP if ext => write_addr(w, "requested_ip", data),
        OPT_PARAMETER_LIST if ext => {
            w.open_array_key("params");
            for &p in data {
                if let Some(n) = param_name(p) {
                    w.array_string(n);
                }
            }
            w.close_array();
        }
        OPT_DNS_SERVER if ext => {
            w.open_array_key("dns_servers");
            for a in data.chunks_exact(4) {
                append_addr(w, a);
            }
            w.close_array();
        }
        OPT_ROUTERS if ext => {
            w.open_array_key("routers");
            for a in data.chunks_exact(4) {
                append_addr(w, a);
            }
            w.close_array();
        }
        OPT_VENDOR_CLASS_ID if ext && !data.is_empty() => {
            write_bytes(w, "vendor_class_identifier", data)
        }
        _ => {}
    }
}

fn type_name(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "unknown",
    }
}

/// Names of requested parameters Suricata logs (others are left out).
fn param_name(p: u8) -> Option<&'static str> {
    Some(match p {
        1 => "subnet_mask",
        3 => "router",
        6 => "dns_server",
        15 => "domain",
        35 => "arp_timeout",
        42 => "ntp_server",
        66 => "tftp_server_name",
        150 => "tftp_server_ip",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A BOOTP header (op, xid, yiaddr, chaddr of hlen bytes) + options.
    pub(crate) fn message(op: u8, xid: u32, yiaddr: [u8; 4], hlen: u8, opts: &[u8]) -> Vec<u8> {
        let mut v = vec![op, 1, hlen, 0];
        v.extend_from_slice(&xid.to_be_bytes());
        v.extend_from_slice(&[0; 4]); // secs, flags
        v.extend_from_slice(&[0; 4]); // ciaddr
        v.extend_from_slice(&yiaddr);
        v.extend_from_slice(&[10, 0, 0, 1]); // siaddr
        v.extend_from_slice(&[0; 4]); // giaddr
        let mut chaddr = [0u8; 16];
        for (i, b) in chaddr.iter_mut().enumerate() {
            *b = 0xa0 + i as u8;
        }
        v.extend_from_slice(&chaddr);
        v.extend_from_slice(&[0; 64 + 128]);
        v.extend_from_slice(&[0x63, 0x82, 0x53, 0x63]);
        v.extend_from_slice(opts);
        v
    }

    fn eve(tx: &dyn Transaction) -> String {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        String::from_utf8(buf).unwrap()
    }

    fn run(p: &mut DhcpParser, dir: Direction, data: &[u8]) -> ParseOutput {
        let mut out = ParseOutput::default();
        p.parse(dir, data, &mut out);
        out
    }

    const ACK_OPTS: &[u8] = &[
        53, 1, 5, // ack
        54, 4, 10, 0, 0, 1, // server id
        51, 4, 0, 0, 0x0e, 0x10, // lease 3600
        58, 4, 0, 0, 0x07, 0x08, // renewal 1800
        59, 4, 0, 0, 0x0c, 0x4e, // rebinding 3150
        1, 4, 255, 255, 255, 0, // subnet
        3, 8, 10, 0, 0, 1, 10, 0, 0, 2, // routers
        6, 4, 8, 8, 8, 8, // dns
        12, 5, b'h', b'o', b's', b't', 0xff, // hostname, not UTF-8
        61, 7, 1, 0, 0x11, 0x32, 0x17, 0x4a, 0xa0, // client id
        55, 5, 1, 3, 6, 15, 99, // params
        60, 8, b'M', b'S', b'F', b'T', b' ', b'5', b'.', b'0', // vendor class
        255,
    ];

    #[test]
    fn ack_default_record() {
        let mut p = DhcpParser::new(false);
        let out = run(
            &mut p,
            Direction::ToClient,
            &message(2, 0xef64_5244, [10, 0, 0, 5], 6, ACK_OPTS),
        );
        assert!(out.events.is_empty());
        assert_eq!(out.txs.len(), 1);
        let tx = &out.txs[0];
        assert_eq!(tx.log_direction(), Direction::ToClient);
        assert!(!tx.logs_tx_id());
        assert_eq!(
            eve(tx.as_ref()),
            r#"{"dhcp":{"type":"reply","id":4016329284,"client_mac":"a0:a1:a2:a3:a4:a5","assigned_ip":"10.0.0.5","dhcp_type":"ack","renewal_time":1800,"hostname":"host\\xff","client_id":"00:11:32:17:4a:a0"}}"#
        );
        assert_eq!(tx.buffer("dhcp.hostname"), Some(&b"host\xff"[..]));
        let mut v = Vec::new();
        tx.uints("dhcp.leasetime", &mut |x| v.push(x));
        assert_eq!(v, [3600]);
    }

    #[test]
    fn ack_extended_record() {
        let mut p = DhcpParser::new(true);
        assert!(p.extended());
        let out = run(
            &mut p,
            Direction::ToClient,
            &message(2, 7, [10, 0, 0, 5], 6, ACK_OPTS),
        );
        assert_eq!(
            eve(out.txs[0].as_ref()),
            concat!(
                r#"{"dhcp":{"type":"reply","id":7,"client_mac":"a0:a1:a2:a3:a4:a5","assigned_ip":"10.0.0.5","#,
                r#""client_ip":"0.0.0.0","relay_ip":"0.0.0.0","next_server_ip":"10.0.0.1","#,
                r#""dhcp_type":"ack","lease_time":3600,"renewal_time":1800,"rebinding_time":3150,"#,
                r#""subnet_mask":"255.255.255.0","routers":["10.0.0.1","10.0.0.2"],"dns_servers":["8.8.8.8"],"#,
                r#""hostname":"host\\xff","client_id":"00:11:32:17:4a:a0","#,
                r#""params":["subnet_mask","router","dns_server","domain"],"vendor_class_identifier":"MSFT 5.0"}}"#
            )
        );
    }

    #[test]
    fn only_acks_by_default() {
        let mut p = DhcpParser::new(false);
        let req = message(1, 9, [0; 4], 6, &[53, 1, 3, 50, 4, 10, 0, 0, 5, 255]);
        assert!(run(&mut p, Direction::ToServer, &req).txs.is_empty());
        // Extended: logged, with the request's fields.
        let mut p = DhcpParser::new(true);
        let out = run(&mut p, Direction::ToServer, &req);
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"dhcp":{"type":"request","id":9,"client_mac":"a0:a1:a2:a3:a4:a5","assigned_ip":"0.0.0.0","client_ip":"0.0.0.0","dhcp_type":"request","requested_ip":"10.0.0.5"}}"#
        );
        assert_eq!(out.txs[0].tx_id(), Some(0));
    }

    #[test]
    fn suricata_option_quirks() {
        let mut p = DhcpParser::new(false);
        // Two type options (both logged; the first decides), hlen 20 (16
        // bytes kept), an empty hostname (not logged), a client id of
        // length 1 (invalid: truncated_options).
        let m = message(
            2,
            3,
            [1, 2, 3, 4],
            20,
            &[53, 1, 5, 53, 1, 2, 12, 0, 61, 1, 1, 255],
        );
        let out = run(&mut p, Direction::ToClient, &m);
        assert_eq!(out.events.len(), 1);
        assert_eq!(out.events[0].name, TRUNCATED_OPTIONS);
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"dhcp":{"type":"reply","id":3,"client_mac":"a0:a1:a2:a3:a4:a5:a6:a7:a8:a9:aa:ab:ac:ad:ae:af","assigned_ip":"1.2.3.4","dhcp_type":"ack","dhcp_type":"offer"}}"#
        );
        // PAD is read as an option with a length; a time option reads 4
        // bytes whatever its length; no END: truncated.
        let m = message(
            2,
            4,
            [1, 2, 3, 4],
            0,
            &[53, 1, 5, 58, 2, 0, 0, 1, 0, 0, 2, 9, 9],
        );
        let out = run(&mut p, Direction::ToClient, &m);
        assert_eq!(out.events.len(), 1);
        assert_eq!(
            eve(out.txs[0].as_ref()),
            r#"{"dhcp":{"type":"reply","id":4,"client_mac":"","assigned_ip":"1.2.3.4","dhcp_type":"ack","renewal_time":256}}"#
        );
    }

    #[test]
    fn short_and_hostile_input() {
        let mut p = DhcpParser::new(true);
        for n in 0..HEADER_LEN {
            assert!(run(&mut p, Direction::ToServer, &vec![0xff; n]).is_empty());
        }
        assert_eq!(probe(Direction::ToServer, &[0; 239]), Probe::NoMatch);
        assert_eq!(probe(Direction::ToServer, &[0; 240]), Probe::Match);
        // Every truncation of a full message parses without panic.
        let full = message(2, 1, [1, 1, 1, 1], 255, ACK_OPTS);
        for n in HEADER_LEN..full.len() {
            let out = run(&mut p, Direction::ToClient, &full[..n]);
            assert_eq!(out.txs.len(), 1);
            assert_eq!(out.events.len(), 1, "cut at {n}");
        }
        // 64 KiB of two-byte options: bounded.
        let mut opts = Vec::new();
        while opts.len() < 65000 {
            opts.extend_from_slice(&[7, 0]);
        }
        let m = DhcpMessage::parse(&message(1, 1, [0; 4], 6, &opts)).unwrap();
        assert_eq!(m.options.len(), MAX_OPTIONS);
    }
}
