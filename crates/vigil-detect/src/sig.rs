//! Compiling a parsed rule ([`vigil_rules::Rule`]) into the engine's form:
//! header matchers, flow requirements, per-buffer match programs, flowbits,
//! thresholds and the fast pattern.

use crate::program::{ContentOp, MAX_VARS, Op, PcreOp, Read, Val};
use crate::transform::CTransform;
use vigil_rules::{
    Action, BitsAction, BitsCombine, ChecksumLayer, FlowOpt, Flowint, FlowintOp, FragBits, IpSet,
    NumOrVar, PortSet, Protocol, Rule, RuleOption, TcpFlags, Threshold, Transform, UintMatch,
};

/// Which IP protocols a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtoSpec {
    /// Bit per bucket: tcp, udp, icmpv4, icmpv6, sctp, other.
    pub mask: u8,
    /// Only IPv4 (`ipv4`) / only IPv6 (`ipv6`).
    pub family: Option<u8>,
}

/// Protocol buckets.
pub mod bucket {
    /// TCP.
    pub const TCP: u8 = 1;
    /// UDP.
    pub const UDP: u8 = 2;
    /// ICMPv4.
    pub const ICMP4: u8 = 4;
    /// ICMPv6.
    pub const ICMP6: u8 = 8;
    /// SCTP.
    pub const SCTP: u8 = 16;
    /// Any other IP protocol.
    pub const OTHER: u8 = 32;
    /// All of them.
    pub const ALL: u8 = 63;
    /// The bucket index (0..6) of an IP protocol number.
    pub fn index(proto: u8) -> usize {
        match proto {
            6 => 0,
            17 => 1,
            1 => 2,
            58 => 3,
            132 => 4,
            _ => 5,
        }
    }
}

/// Flow requirements of the `flow` keyword.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowSpec {
    /// `to_server`.
    pub to_server: bool,
    /// `to_client`.
    pub to_client: bool,
    /// `established`.
    pub established: bool,
    /// `not_established`.
    pub not_established: bool,
    /// `only_stream`.
    pub only_stream: bool,
    /// `no_stream`.
    pub no_stream: bool,
    /// `only_frag`.
    pub only_frag: bool,
    /// `no_frag`.
    pub no_frag: bool,
    /// Any flow option other than stateless (needs a flow).
    pub needs_flow: bool,
}

/// A header check on the packet.
#[derive(Debug, Clone)]
pub enum HdrCheck {
    /// `ttl`.
    Ttl(UintMatch),
    /// `tos`.
    Tos(u8, bool),
    /// `ipopts`.
    IpOpts(u8),
    /// `fragbits`.
    FragBits(FragBits),
    /// `fragoffset`.
    FragOffset(Option<char>, u16),
    /// `id`.
    IpId(u16),
    /// `sameip`.
    SameIp,
    /// `decode-event`: the packet raised this decoder event.
    DecodeEvent(vigil_wire::DecodeEvent),
    /// `ipv4-csum` ... `icmpv6-csum`: (layer, valid).
    Checksum(ChecksumLayer, bool),
    /// `ip_proto`.
    IpProto(Option<char>, u8),
    /// `flags`.
    TcpFlags(TcpFlags),
    /// `seq`.
    Seq(u32),
    /// `ack`.
    Ack(u32),
    /// `window`.
    Window(u16, bool),
    /// `tcp.mss`.
    Mss(UintMatch),
    /// `itype`.
    Itype(UintMatch),
    /// `icode`.
    Icode(UintMatch),
    /// `icmp_id`.
    IcmpId(u16),
    /// `icmp_seq`.
    IcmpSeq(u16),
    /// `stream_size` (side, comparison).
    StreamSize(u8, UintMatch),
}

/// A flowbits condition (checked before the rule matches).
#[derive(Debug, Clone)]
pub struct BitCond {
    /// `isset` (else `isnotset`).
    pub isset: bool,
    /// Bit ids.
    pub bits: Vec<u32>,
    /// `&` (all) or `|` (any); single names use `And`.
    pub any: bool,
}

/// A flowbits action (applied when the rule matches).
#[derive(Debug, Clone, Copy)]
pub enum BitAct {
    /// `set`.
    Set(u32),
    /// `unset`.
    Unset(u32),
    /// `toggle`.
    Toggle(u32),
}

/// What an xbit / hostbit is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XTrack {
    /// The packet's source address.
    Src,
    /// The packet's destination address.
    Dst,
    /// The address pair (either order).
    Pair,
}

/// An `xbits` / `hostbits` operation.
#[derive(Debug, Clone)]
pub struct XBit {
    /// Action.
    pub action: BitsAction,
    /// Bit id.
    pub bit: u32,
    /// Tracking.
    pub track: XTrack,
    /// Lifetime in seconds after a set.
    pub expire: u32,
}

/// A compiled flowint operation.
#[derive(Debug, Clone)]
pub struct IntOp {
    /// Variable id.
    pub var: u32,
    /// Operator.
    pub op: FlowintOp,
    /// Operand: a number or another flowint.
    pub value: Option<IntOperand>,
}

/// A flowint operand.
#[derive(Debug, Clone, Copy)]
pub enum IntOperand {
    /// A literal.
    Num(u32),
    /// Another flowint.
    Var(u32),
}

/// A buffer's match program.
#[derive(Debug)]
pub struct BufProg {
    /// Canonical buffer name (`pkt_data`, `http.uri`, ...).
    pub name: &'static str,
    /// Transforms applied first.
    pub transforms: Vec<CTransform>,
    /// Matches in order.
    pub ops: Vec<Op>,
}

/// The fast pattern of a rule.
#[derive(Debug, Clone)]
pub struct FastPattern {
    /// Index into [`Sig::bufs`] (or `usize::MAX` for the payload).
    pub buf: usize,
    /// The bytes given to the prefilter.
    pub pattern: Vec<u8>,
}

/// What drives a rule's evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigKind {
    /// Addresses (and a few compatible keywords) only: once per flow
    /// direction.
    IpOnly,
    /// Protocol-detection only (`app-layer-protocol` and compatible
    /// keywords): once per direction when the protocol is known.
    PdOnly,
    /// Packet header keywords, no payload.
    Packet,
    /// Payload (packet data or reassembled stream).
    Payload,
    /// Application-layer buffers on transactions.
    App,
}

/// A rule compiled for the engine.
#[derive(Debug)]
pub struct Sig {
    /// Internal order (evaluation and alert order).
    pub num: u32,
    /// Action.
    pub action: Action,
    /// gid.
    pub gid: u32,
    /// sid.
    pub sid: u32,
    /// rev.
    pub rev: u32,
    /// msg.
    pub msg: String,
    /// The classtype's description (`category`).
    pub category: String,
    /// Priority (`severity`).
    pub priority: u32,
    /// metadata pairs.
    pub metadata: Vec<(String, String)>,
    /// `target:src_ip|dest_ip`.
    pub target: Option<bool>,
    /// Kind.
    pub kind: SigKind,
    /// IP protocols.
    pub proto: ProtoSpec,
    /// Header `src`.
    pub src: IpSet,
    /// Header `dst`.
    pub dst: IpSet,
    /// Source ports.
    pub sp: PortSet,
    /// Destination ports.
    pub dp: PortSet,
    /// `<>`.
    pub bidir: bool,
    /// Whether src/dst/ports are "any".
    pub any_addr: bool,
    /// Flow requirements.
    pub flow: FlowSpec,
    /// Header checks.
    pub hdr: Vec<HdrCheck>,
    /// `dsize`.
    pub dsize: Option<UintMatch>,
    /// Required application protocol (header or buffers).
    pub app_proto: Option<String>,
    /// `app-layer-protocol` conditions (name, negated).
    pub alp: Vec<(String, bool)>,
    /// `app-layer-event` names (`proto.event`).
    pub app_events: Vec<String>,
    /// Protocol keywords (`modbus`, `dnp3_func`, `iec104.type_id`, ...),
    /// checked on transactions.
    pub tx_kws: Vec<Box<dyn vigil_proto::keywords::TxMatch>>,
    /// Payload program (pkt_data / stream).
    pub payload: Option<BufProg>,
    /// Application buffer programs.
    pub bufs: Vec<BufProg>,
    /// Packet header buffer programs (`ipv4.hdr`, `tcp.hdr`, ...).
    pub hdr_bufs: Vec<BufProg>,
    /// `base64_data` program.
    pub b64: Option<BufProg>,
    /// Variables used by byte_extract/byte_math.
    pub nvars: usize,
    /// flowbits conditions.
    pub bit_conds: Vec<BitCond>,
    /// flowbits actions.
    pub bit_acts: Vec<BitAct>,
    /// flowint conditions and actions, in order.
    pub ints: Vec<IntOp>,
    /// xbits / hostbits conditions and actions.
    pub xbits: Vec<XBit>,
    /// `threshold` / `detection_filter`.
    pub threshold: Option<Threshold>,
    /// `detection_filter` in addition to a threshold.
    pub detection_filter: Option<Threshold>,
    /// `noalert`.
    pub noalert: bool,
    /// `tag`: what an alert of this rule starts logging.
    pub tags: Vec<crate::state::TagSpec>,
    /// Fast pattern.
    pub fast: Option<FastPattern>,
    /// Suricata's signature type for engine analysis (`rules.json`).
    pub analysis_type: &'static str,
    /// Requires the packet (dsize, no_stream).
    pub require_packet: bool,
    /// Requires the stream (only_stream).
    pub require_stream: bool,
    /// A TCP payload rule inspected on the reassembled stream and, when
    /// that does not match, on the packet payload too (Suricata sets both
    /// `SIG_FLAG_REQUIRE_STREAM` and `SIG_FLAG_REQUIRE_PACKET` for payload
    /// rules with a `depth`/`offset` content or `stream_size`).
    pub stream_and_packet: bool,
    /// The request progress an HTTP/1 request in progress needs for this
    /// rule to run on it (`Transaction::partial_request`): 1 for rules on
    /// the request line and headers only, 2 when they need the hostname
    /// (known once the headers are complete); 0: only complete requests.
    pub partial_level: u8,
    /// Uses a protocol keyword inspected on every packet
    /// (`TxMatch::per_packet`: `ssl_state`, `tls.version`, ...): the rule
    /// runs on the parser's live state, not on handed-over transactions.
    pub live: bool,
    /// The direction a live rule is inspected in (`Some(true)`: to the
    /// server), from `flow`, its buffers and its keywords.
    pub live_dir: Option<bool>,
    /// A live rule with keywords of both stages (`TxMatch::stage`): its
    /// stage-0 keywords, once matched in a direction, are not tested again.
    pub live_staged: bool,
}

/// Lifetime of an xbit / hostbit set without `expire` (seconds).
pub const XBITS_DEFAULT_EXPIRE: u32 = 30;

/// Registry of flowbit / flowint names (ids shared by all rules).
#[derive(Debug, Default)]
pub struct Names {
    map: std::collections::HashMap<String, u32>,
}

impl Names {
    /// The id of `name`, assigned on first use.
    pub fn id(&mut self, name: &str) -> u32 {
        let n = self.map.len() as u32;
        *self.map.entry(name.to_string()).or_insert(n)
    }
    /// Number of names.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

fn proto_spec(p: &Protocol) -> (ProtoSpec, Option<String>) {
    use bucket::*;
    let (mask, family, app) = match p {
        Protocol::Ip => (ALL, None, None),
        Protocol::Ipv4 => (ALL, Some(4), None),
        Protocol::Ipv6 => (ALL, Some(6), None),
        Protocol::Tcp | Protocol::TcpPkt | Protocol::TcpStream => (TCP, None, None),
        Protocol::Udp => (UDP, None, None),
        Protocol::Icmp => (ICMP4 | ICMP6, None, None),
        Protocol::Icmpv4 => (ICMP4, None, None),
        Protocol::Icmpv6 => (ICMP6, None, None),
        Protocol::Sctp => (SCTP, None, None),
        Protocol::Pkthdr => (ALL, None, None),
        Protocol::App(name) => {
            let mask = match name.as_str() {
                "dns" => TCP | UDP,
                "dhcp" | "ntp" | "tftp" | "snmp" | "ike" | "quic" | "sip" | "bittorrent-dht" => {
                    if name == "sip" {
                        TCP | UDP
                    } else {
                        UDP
                    }
                }
                "krb5" | "dnp3" | "enip" => TCP | UDP,
                "bacnet" => UDP,
                _ => TCP,
            };
            (mask, None, Some(name.clone()))
        }
    };
    (ProtoSpec { mask, family }, app)
}

fn val_u(v: &NumOrVar<u16>, vars: &[String]) -> Result<Val, String> {
    match v {
        NumOrVar::Num(n) => Ok(Val::Lit(i64::from(*n))),
        NumOrVar::Var(name) => var_slot(name, vars),
    }
}

fn val_i(v: &NumOrVar<i32>, vars: &[String]) -> Result<Val, String> {
    match v {
        NumOrVar::Num(n) => Ok(Val::Lit(i64::from(*n))),
        NumOrVar::Var(name) => var_slot(name, vars),
    }
}

/// The byte count of a byte_test/byte_jump: literal, or its variable.
fn nbytes_val(nbytes: u8, var: Option<&str>, vars: &[String]) -> Result<Val, String> {
    match var {
        Some(name) => var_slot(name, vars),
        None => Ok(Val::Lit(i64::from(nbytes))),
    }
}

fn var_slot(name: &str, vars: &[String]) -> Result<Val, String> {
    vars.iter()
        .position(|v| v == name)
        .map(|i| Val::Var(i as u8))
        .ok_or_else(|| format!("unknown variable '{name}'"))
}

fn ipopt_code(name: &str) -> Option<u8> {
    Some(match name {
        "eol" => 0,
        "nop" => 1,
        "rr" => 7,
        "ts" => 68,
        "sec" => 130,
        "esec" => 133,
        "lsrr" => 131,
        "ssrr" => 137,
        "satid" => 136,
        "any" => 255,
        _ => return None,
    })
}

/// Pattern strength as Suricata scores fast-pattern candidates: distinct
/// letters 3, other distinct printable (and 0x00, 0x01, 0xff) 4, other
/// distinct bytes 6, repeats 1.
pub fn pattern_strength(p: &[u8]) -> u32 {
    let mut seen = [false; 256];
    let mut s = 0;
    for &b in p {
        if seen[b as usize] {
            s += 1;
        } else {
            seen[b as usize] = true;
            s += if b.is_ascii_alphabetic() {
                3
            } else if b.is_ascii_graphic() || b == b' ' || b == 0 || b == 1 || b == 0xff {
                4
            } else {
                6
            };
        }
    }
    s
}

/// Multi-buffers whose repetition in a rule starts a new instance that may
/// match another entry than the previous one (Suricata 7: `http.request_header;
/// content:"a"; http.request_header; content:"b";` matches two headers).
pub const MULTI_INSTANCE_BUFFERS: &[&str] = &[
    "http.request_header",
    "http.response_header",
    "http2.header_name",
];

/// Packet header buffers (inspected on every packet, like header keywords).
pub const HEADER_BUFFERS: &[&str] = &[
    "ipv4.hdr",
    "ipv6.hdr",
    "tcp.hdr",
    "udp.hdr",
    "icmpv4.hdr",
    "icmpv6.hdr",
];

/// See [`Sig::partial_level`]: HTTP/1 to-server rules made of request line
/// and header buffers only (Suricata's inspection engines registered at
/// libhtp's request-line and request-headers progress).
fn partial_request_level(s: &Sig) -> u8 {
    const LINE_AND_HEADERS: &[&str] = &[
        "http.uri",
        "http.uri.raw",
        "http.method",
        "http.request_line",
        "http.protocol",
        "http.cookie",
        "http.user_agent",
        "http.accept",
        "http.accept_lang",
        "http.accept_enc",
        "http.referer",
        "http.request_header",
        "http.header",
        "http.header.raw",
        "http.header_names",
        "http.content_type",
        "http.content_len",
        "http.connection",
        "http.start",
    ];
    const AFTER_HEADERS: &[&str] = &["http.host", "http.host.raw"];
    let http = matches!(s.app_proto.as_deref(), Some("http" | "http1"));
    let to_server = if s.flow.to_server || s.flow.to_client {
        s.flow.to_server && !s.flow.to_client
    } else {
        s.bufs
            .iter()
            .any(|b| buffer_direction(b.name) == Some(true))
    };
    if !http
        || !to_server
        || s.bufs.is_empty()
        || !s.tx_kws.is_empty()
        || !s.app_events.is_empty()
        || s.payload.is_some()
        || s.b64.is_some()
        || !s.hdr_bufs.is_empty()
    {
        return 0;
    }
    let mut level = 1;
    for b in &s.bufs {
        if AFTER_HEADERS.contains(&b.name) {
            level = 2;
        } else if !LINE_AND_HEADERS.contains(&b.name) {
            return 0;
        }
    }
    level
}

/// Buffer names the engine can inspect on transactions map to a request
/// (to-server) or response (to-client) side; `None` for either.
pub fn buffer_direction(name: &str) -> Option<bool> {
    let to_server = [
        "http.uri",
        "http.uri.raw",
        "http.method",
        "http.request_line",
        "http.request_body",
        "http.cookie",
        "http.user_agent",
        "http.host",
        "http.host.raw",
        "http.accept",
        "http.accept_lang",
        "http.accept_enc",
        "http.referer",
        "http.request_header",
        "dns.query",
        "tls.sni",
        "ja3.hash",
        "ja3.string",
        "ja4.hash",
        "ssh.hassh",
        "ssh.hassh.string",
        "krb5.cname",
        "krb5.sname",
        "sip.method",
        "sip.uri",
        "sip.request_line",
    ];
    let to_client = [
        "http.stat_msg",
        "http.stat_code",
        "http.response_line",
        "http.response_body",
        "http.location",
        "http.server",
        "http.response_header",
        "tls.certs",
        "tls.cert_issuer",
        "tls.cert_subject",
        "tls.cert_serial",
        "tls.cert_fingerprint",
        "ja3s.hash",
        "ja3s.string",
        "ssh.hassh.server",
        "ssh.hassh.server.string",
        "sip.stat_code",
        "sip.stat_msg",
        "sip.response_line",
    ];
    if to_server.contains(&name) {
        Some(true)
    } else if to_client.contains(&name) {
        Some(false)
    } else {
        None
    }
}

/// The transforms of program `pi`.
fn ts_of(progs: &[(&'static str, Vec<Transform>, Vec<Op>)], pi: usize) -> Vec<Transform> {
    progs.get(pi).map(|p| p.1.clone()).unwrap_or_default()
}

/// An explicit fast pattern: (program, op index, chop).
type ExplicitFp = (usize, usize, Option<(u16, u16)>);

/// Compiles `rule` as internal number `num`. Returns the reason when the
/// rule cannot be evaluated (a keyword not supported yet, a bad regex).
pub fn compile(
    rule: &Rule,
    num: u32,
    category: &str,
    names: &mut Names,
    ints: &mut Names,
    address_vars: &vigil_rules::Vars,
) -> Result<Sig, String> {
    if let Some(k) = rule
        .unsupported_keywords()
        .find(|k| !matches!(*k, "bypass" | "filestore" | "asn1"))
    {
        return Err(format!("keyword '{k}' is not supported yet"));
    }
    let (proto, header_app) = proto_spec(&rule.protocol);
    let mut s = Sig {
        num,
        action: rule.action,
        gid: rule.gid,
        sid: rule.sid,
        rev: rule.rev,
        msg: rule.msg.clone(),
        category: category.to_string(),
        priority: rule.priority,
        metadata: rule.metadata.clone(),
        target: rule.target.as_deref().map(|t| t == "src_ip"),
        kind: SigKind::Packet,
        proto,
        src: rule.src_set.clone(),
        dst: rule.dst_set.clone(),
        sp: rule.src_port_set.clone(),
        dp: rule.dst_port_set.clone(),
        bidir: rule.direction == vigil_rules::Direction::Both,
        any_addr: false,
        flow: FlowSpec::default(),
        hdr: Vec::new(),
        dsize: None,
        app_proto: rule.app_proto.clone().or(header_app),
        alp: Vec::new(),
        app_events: Vec::new(),
        tx_kws: Vec::new(),
        payload: None,
        bufs: Vec::new(),
        hdr_bufs: Vec::new(),
        b64: None,
        nvars: 0,
        bit_conds: Vec::new(),
        bit_acts: Vec::new(),
        ints: Vec::new(),
        xbits: Vec::new(),
        threshold: None,
        detection_filter: None,
        noalert: rule.noalert,
        tags: Vec::new(),
        fast: None,
        analysis_type: "pkt",
        require_packet: false,
        require_stream: matches!(rule.protocol, Protocol::TcpStream),
        stream_and_packet: false,
        partial_level: 0,
        live: false,
        live_dir: None,
        live_staged: false,
    };
    if matches!(rule.protocol, Protocol::TcpPkt) {
        s.require_packet = true;
    }
    s.any_addr = s.src.is_any() && s.dst.is_any();
    let mut vars: Vec<String> = Vec::new();
    // (buffer name, transforms) of the current sticky buffer.
    let mut cur_transforms: Vec<Transform> = Vec::new();
    let mut cur_buffer: Option<&'static str> = None;
    let mut progs: Vec<(&'static str, Vec<Transform>, Vec<Op>)> = Vec::new();
    // Fast-pattern candidates: (prog index, content op index, explicit, chop).
    let mut explicit_fp: Option<ExplicitFp> = None;
    let mut only_flowbit_set = true;
    let mut other_match_keywords = false;
    let mut has_alp = false;
    let mut stream_size_seen = false;

    // A multi-instance buffer selected again after it has matches: its
    // next match starts a new instance (list).
    let mut new_instance: Option<&'static str> = None;
    let prog_for = |progs: &mut Vec<(&'static str, Vec<Transform>, Vec<Op>)>,
                    name: &'static str,
                    ts: &[Transform],
                    new_instance: &mut Option<&'static str>|
     -> usize {
        let fresh = *new_instance == Some(name);
        if fresh {
            *new_instance = None;
        } else if let Some(i) = progs
            .iter()
            .rposition(|(n, t, _)| *n == name && t.as_slice() == ts)
        {
            return i;
        }
        progs.push((name, ts.to_vec(), Vec::new()));
        progs.len() - 1
    };
    let transforms_for = |buffer: &'static str,
                          cur_buffer: Option<&'static str>,
                          cur_transforms: &Vec<Transform>|
     -> Vec<Transform> {
        if Some(buffer) == cur_buffer {
            cur_transforms.clone()
        } else {
            Vec::new()
        }
    };

    let mut last_pi: Option<usize> = None;
    // The list a match goes to: its buffer (with the sticky buffer's
    // transforms); a relative match without a sticky buffer follows the
    // previous match's list (e.g. after a legacy `http_uri` content).
    let pick = |progs: &mut Vec<(&'static str, Vec<Transform>, Vec<Op>)>,
                buffer: &'static str,
                relative: bool,
                cur_buffer: Option<&'static str>,
                cur_transforms: &Vec<Transform>,
                last_pi: Option<usize>,
                new_instance: &mut Option<&'static str>|
     -> usize {
        if relative
            && buffer == "pkt_data"
            && cur_buffer.is_none()
            && let Some(l) = last_pi
        {
            return l;
        }
        let ts = transforms_for(buffer, cur_buffer, cur_transforms);
        prog_for(progs, buffer, &ts, new_instance)
    };
    for opt in &rule.options {
        match opt {
            RuleOption::Buffer(b) => {
                if MULTI_INSTANCE_BUFFERS.contains(b)
                    && progs.iter().any(|(n, _, ops)| n == b && !ops.is_empty())
                {
                    new_instance = Some(b);
                }
                cur_buffer = Some(b);
                cur_transforms.clear();
            }
            RuleOption::Transform(t) => cur_transforms.push(t.clone()),
            RuleOption::Content(c) => {
                let pi = pick(
                    &mut progs,
                    c.buffer,
                    c.distance.is_some() || c.within.is_some(),
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                if !c.nocase && !c.negated {
                    for t in &ts_of(&progs, pi) {
                        match t {
                            Transform::ToLowercase
                                if c.pattern.iter().any(u8::is_ascii_uppercase) =>
                            {
                                return Err("signature can't match: content with upper case is incompatible with to_lowercase transform".into());
                            }
                            Transform::ToUppercase
                                if c.pattern.iter().any(u8::is_ascii_lowercase) =>
                            {
                                return Err("signature can't match: content with lower case is incompatible with to_uppercase transform".into());
                            }
                            Transform::CompressWhitespace
                                if c.pattern.windows(2).any(|w| {
                                    w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace()
                                }) =>
                            {
                                return Err("signature can't match: content with consecutive whitespace is incompatible with compress_whitespace transform".into());
                            }
                            _ => {}
                        }
                    }
                }
                let mut op = ContentOp::new(&c.pattern, c.nocase);
                op.negated = c.negated;
                op.offset = c.offset.as_ref().map(|v| val_u(v, &vars)).transpose()?;
                op.depth = c.depth.as_ref().map(|v| val_u(v, &vars)).transpose()?;
                op.distance = c.distance.as_ref().map(|v| val_i(v, &vars)).transpose()?;
                op.within = c.within.as_ref().map(|v| val_i(v, &vars)).transpose()?;
                op.relative = op.distance.is_some() || op.within.is_some();
                op.startswith = c.startswith;
                op.endswith = c.endswith;
                let ops = &mut progs[pi].2;
                if let Some(fp) = c.fast_pattern {
                    let chop = match fp {
                        vigil_rules::FastPattern::Chop { offset, length } => Some((offset, length)),
                        _ => None,
                    };
                    explicit_fp = Some((pi, ops.len(), chop));
                }
                ops.push(Op::Content(Box::new(op)));
            }
            RuleOption::Pcre(p) => {
                let pi = pick(
                    &mut progs,
                    p.buffer,
                    p.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                let re = crate::pcre::Regex::new(
                    &p.pattern,
                    crate::pcre::Options::from_flags(&p.pcre_flags),
                )
                .map_err(|e| format!("pcre: {e}"))?;
                progs[pi].2.push(Op::Pcre(PcreOp {
                    re,
                    negated: p.negated,
                    relative: p.relative,
                    relative_next: false,
                }));
            }
            RuleOption::ByteTest(b) => {
                let pi = pick(
                    &mut progs,
                    b.buffer,
                    b.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                let value = match &b.value {
                    NumOrVar::Num(n) => Val::Lit(*n as i64),
                    NumOrVar::Var(v) => var_slot(v, &vars)?,
                };
                progs[pi].2.push(Op::ByteTest {
                    read: Read {
                        nbytes: nbytes_val(b.nbytes, b.nbytes_var.as_deref(), &vars)?,
                        offset: val_i(&b.offset, &vars)?,
                        relative: b.relative,
                        endian: b.endian,
                        string: b.string,
                        bitmask: b.bitmask,
                    },
                    op: b.op,
                    negated: b.negated,
                    value,
                });
            }
            RuleOption::ByteJump(b) => {
                let pi = pick(
                    &mut progs,
                    b.buffer,
                    b.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::ByteJump {
                    read: Read {
                        nbytes: nbytes_val(b.nbytes, b.nbytes_var.as_deref(), &vars)?,
                        offset: val_i(&b.offset, &vars)?,
                        relative: b.relative,
                        endian: b.endian,
                        string: b.string,
                        bitmask: b.bitmask,
                    },
                    multiplier: b.multiplier.unwrap_or(1),
                    align: b.align,
                    from_beginning: b.from_beginning,
                    from_end: b.from_end,
                    post_offset: b.post_offset.unwrap_or(0),
                });
            }
            RuleOption::ByteExtract(b) => {
                if vars.len() >= MAX_VARS {
                    return Err("too many byte_extract/byte_math variables".into());
                }
                vars.push(b.name.clone());
                let pi = pick(
                    &mut progs,
                    b.buffer,
                    b.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::ByteExtract {
                    read: Read {
                        nbytes: Val::Lit(i64::from(b.nbytes)),
                        offset: Val::Lit(i64::from(b.offset)),
                        relative: b.relative,
                        endian: b.endian,
                        string: b.string,
                        bitmask: b.bitmask,
                    },
                    multiplier: b.multiplier.unwrap_or(1),
                    align: b.align.unwrap_or(0),
                    slot: (vars.len() - 1) as u8,
                });
            }
            RuleOption::ByteMath(b) => {
                let rvalue = match &b.rvalue {
                    NumOrVar::Num(n) => Val::Lit(i64::from(*n)),
                    NumOrVar::Var(v) => var_slot(v, &vars)?,
                };
                if vars.len() >= MAX_VARS {
                    return Err("too many byte_extract/byte_math variables".into());
                }
                vars.push(b.result.clone());
                let pi = pick(
                    &mut progs,
                    b.buffer,
                    b.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::ByteMath {
                    read: Read {
                        nbytes: Val::Lit(i64::from(b.nbytes)),
                        offset: Val::Lit(i64::from(b.offset)),
                        relative: b.relative,
                        endian: b.endian,
                        string: b.string,
                        bitmask: b.bitmask,
                    },
                    op: b.op,
                    rvalue,
                    slot: (vars.len() - 1) as u8,
                });
            }
            RuleOption::IsDataAt(d) => {
                let pi = pick(
                    &mut progs,
                    d.buffer,
                    d.relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::IsDataAt {
                    pos: val_u(&d.pos, &vars)?,
                    negated: d.negated,
                    relative: d.relative,
                });
            }
            RuleOption::Bsize { cmp, buffer } => {
                let pi = pick(
                    &mut progs,
                    buffer,
                    false,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::Bsize(*cmp));
            }
            RuleOption::Base64Decode {
                bytes,
                offset,
                relative,
                buffer,
            } => {
                let pi = pick(
                    &mut progs,
                    buffer,
                    *relative,
                    cur_buffer,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::Base64Decode {
                    bytes: *bytes,
                    offset: offset.unwrap_or(0),
                    relative: *relative,
                });
            }
            RuleOption::Dsize(m) => {
                s.dsize = Some(*m);
                s.require_packet = true;
                other_match_keywords = true;
            }
            RuleOption::Urilen { cmp, raw } => {
                let name = if *raw { "http.uri.raw" } else { "http.uri" };
                let pi = prog_for(&mut progs, name, &[], &mut new_instance);
                progs[pi].2.insert(0, Op::Bsize(*cmp));
            }
            RuleOption::Flow(opts) => {
                for o in opts {
                    match o {
                        FlowOpt::Established => s.flow.established = true,
                        FlowOpt::NotEstablished => s.flow.not_established = true,
                        FlowOpt::Stateless => {}
                        FlowOpt::ToServer => s.flow.to_server = true,
                        FlowOpt::ToClient => s.flow.to_client = true,
                        FlowOpt::OnlyStream => s.flow.only_stream = true,
                        FlowOpt::NoStream => s.flow.no_stream = true,
                        FlowOpt::OnlyFrag => s.flow.only_frag = true,
                        FlowOpt::NoFrag => s.flow.no_frag = true,
                    }
                    if *o != FlowOpt::Stateless {
                        s.flow.needs_flow = true;
                    }
                }
                if s.flow.no_stream {
                    s.require_packet = true;
                }
                if s.flow.only_stream {
                    s.require_stream = true;
                }
                if s.flow.established
                    || s.flow.not_established
                    || s.flow.only_stream
                    || s.flow.no_stream
                    || s.flow.only_frag
                    || s.flow.no_frag
                    || (s.flow.to_server != s.flow.to_client)
                {
                    other_match_keywords = true;
                }
            }
            RuleOption::Flowbits(fb) => {
                let ids: Vec<u32> = fb.names.iter().map(|n| names.id(n)).collect();
                match fb.action {
                    BitsAction::Set => {
                        s.bit_acts.extend(ids.iter().map(|i| BitAct::Set(*i)));
                    }
                    BitsAction::Unset => {
                        only_flowbit_set = false;
                        s.bit_acts.extend(ids.iter().map(|i| BitAct::Unset(*i)));
                    }
                    BitsAction::Toggle => {
                        only_flowbit_set = false;
                        s.bit_acts.extend(ids.iter().map(|i| BitAct::Toggle(*i)));
                    }
                    BitsAction::IsSet | BitsAction::IsNotSet => {
                        only_flowbit_set = false;
                        s.bit_conds.push(BitCond {
                            isset: fb.action == BitsAction::IsSet,
                            bits: ids,
                            any: fb.combine == BitsCombine::Or,
                        });
                    }
                    BitsAction::NoAlert => s.noalert = true,
                }
            }
            RuleOption::Flowint(fi) => {
                other_match_keywords = true;
                s.ints.push(compile_int(fi, ints));
            }
            RuleOption::Threshold(t) => {
                if t.kind == vigil_rules::ThresholdType::DetectionFilter {
                    s.detection_filter = Some(*t);
                } else {
                    s.threshold = Some(*t);
                }
            }
            RuleOption::NoAlert => s.noalert = true,
            RuleOption::AppLayerProtocol { proto, negated, .. } => {
                has_alp = true;
                s.alp.push((proto.clone(), *negated));
            }
            RuleOption::AppLayerEvent(e) => {
                other_match_keywords = true;
                s.app_events.push(e.clone());
            }
            RuleOption::Protocol { keyword, value } => {
                let (proto, m) =
                    vigil_proto::keywords::compile(keyword, value).unwrap_or_else(|| {
                        Err(format!("keyword '{keyword}' has no protocol module"))
                    })?;
                match &s.app_proto {
                    // DCERPC keywords in an `smb` rule: the rule stays on
                    // SMB (their transactions carry DCERPC too).
                    Some(p) if p == "smb" && proto.name() == "dcerpc" => {}
                    Some(p) if p != proto.name() => {
                        return Err(format!(
                            "keyword '{keyword}' is for {} but the rule is for {p}",
                            proto.name()
                        ));
                    }
                    _ => s.app_proto = Some(proto.name().to_string()),
                }
                other_match_keywords = true;
                s.tx_kws.push(m);
            }
            RuleOption::StreamSize(ss) => {
                other_match_keywords = true;
                // With payload: inspected on packets as well as the stream.
                stream_size_seen = true;
                let side = match ss.side.as_str() {
                    "server" => 0,
                    "client" => 1,
                    "both" => 2,
                    _ => 3,
                };
                s.hdr.push(HdrCheck::StreamSize(side, ss.cmp));
            }
            RuleOption::Ttl(m) => s.hdr.push(HdrCheck::Ttl(*m)),
            RuleOption::Tos { value, negated } => s.hdr.push(HdrCheck::Tos(*value, *negated)),
            RuleOption::IpOpts(name) => {
                let code = ipopt_code(name).ok_or_else(|| format!("ipopts: unknown '{name}'"))?;
                s.hdr.push(HdrCheck::IpOpts(code));
            }
            RuleOption::FragBits(f) => s.hdr.push(HdrCheck::FragBits(*f)),
            RuleOption::FragOffset { modifier, value } => {
                s.hdr.push(HdrCheck::FragOffset(*modifier, *value))
            }
            RuleOption::IpId(v) => s.hdr.push(HdrCheck::IpId(*v)),
            RuleOption::SameIp => s.hdr.push(HdrCheck::SameIp),
            RuleOption::DecodeEvent(name) => {
                let ev = vigil_wire::DecodeEvent::ALL
                    .iter()
                    .find(|e| e.name() == name)
                    .ok_or_else(|| format!("decode-event: unknown event '{name}'"))?;
                s.hdr.push(HdrCheck::DecodeEvent(*ev));
            }
            RuleOption::Checksum { layer, valid } => s.hdr.push(HdrCheck::Checksum(*layer, *valid)),
            RuleOption::IpProto { modifier, proto } => {
                s.hdr.push(HdrCheck::IpProto(*modifier, *proto))
            }
            RuleOption::TcpFlags(f) => s.hdr.push(HdrCheck::TcpFlags(*f)),
            RuleOption::TcpSeq(v) => s.hdr.push(HdrCheck::Seq(*v)),
            RuleOption::TcpAck(v) => s.hdr.push(HdrCheck::Ack(*v)),
            RuleOption::TcpWindow { value, negated } => {
                s.hdr.push(HdrCheck::Window(*value, *negated))
            }
            RuleOption::TcpMss(m) => s.hdr.push(HdrCheck::Mss(*m)),
            RuleOption::Itype(m) => s.hdr.push(HdrCheck::Itype(*m)),
            RuleOption::Icode(m) => s.hdr.push(HdrCheck::Icode(*m)),
            RuleOption::IcmpId(v) => s.hdr.push(HdrCheck::IcmpId(*v)),
            RuleOption::IcmpSeq(v) => s.hdr.push(HdrCheck::IcmpSeq(*v)),
            RuleOption::Frame(_) => return Err("frame buffers are not supported yet".into()),
            RuleOption::Xbits(x) => {
                let track = match x.track {
                    vigil_rules::XbitsTrack::IpSrc => XTrack::Src,
                    vigil_rules::XbitsTrack::IpDst => XTrack::Dst,
                    vigil_rules::XbitsTrack::IpPair => XTrack::Pair,
                    vigil_rules::XbitsTrack::Tx => {
                        return Err("xbits with track tx are not supported yet".into());
                    }
                };
                if x.action == BitsAction::NoAlert {
                    s.noalert = true;
                } else {
                    if !matches!(x.action, BitsAction::Set) {
                        only_flowbit_set = false;
                    }
                    other_match_keywords = true;
                    s.xbits.push(XBit {
                        action: x.action,
                        bit: names.id(&format!("xbits:{}", x.name)),
                        track,
                        expire: x.expire.unwrap_or(XBITS_DEFAULT_EXPIRE),
                    });
                }
            }
            RuleOption::Hostbits(h) => {
                if h.action == BitsAction::NoAlert {
                    s.noalert = true;
                } else {
                    other_match_keywords = true;
                    for name in &h.names {
                        let bit = names.id(&format!("hostbits:{name}"));
                        let tracks: &[XTrack] = match h.dir {
                            vigil_rules::HostbitsDir::Src => &[XTrack::Src],
                            vigil_rules::HostbitsDir::Dst => &[XTrack::Dst],
                            vigil_rules::HostbitsDir::Both => &[XTrack::Src, XTrack::Dst],
                        };
                        for &track in tracks {
                            s.xbits.push(XBit {
                                action: h.action,
                                bit,
                                track,
                                expire: XBITS_DEFAULT_EXPIRE,
                            });
                        }
                    }
                }
            }
            RuleOption::Msg(_)
            | RuleOption::Sid(_)
            | RuleOption::Rev(_)
            | RuleOption::Gid(_)
            | RuleOption::Classtype(_)
            | RuleOption::Priority(_)
            | RuleOption::Reference(_)
            | RuleOption::Metadata(_)
            | RuleOption::Target(_)
            | RuleOption::Requires(_)
            | RuleOption::Prefilter => {}
            RuleOption::Tag(t) => s.tags.push(crate::state::TagSpec::from_rule(t)),
            // Keywords without effect on whether a rule alerts.
            RuleOption::Unsupported { keyword, .. }
                if matches!(keyword.as_str(), "bypass" | "filestore") => {}
            // `asn1` checks the packet payload from the last match (a
            // packet-level keyword in Suricata, after the payload matches).
            RuleOption::Unsupported { keyword, value } if keyword == "asn1" => {
                let check = crate::asn1::Asn1Check::parse(value.as_deref().unwrap_or(""))?;
                let relative = check.relative_offset.is_some();
                let pi = pick(
                    &mut progs,
                    "pkt_data",
                    relative,
                    None,
                    &cur_transforms,
                    last_pi,
                    &mut new_instance,
                );
                last_pi = Some(pi);
                progs[pi].2.push(Op::Asn1(Box::new(check)));
            }
            RuleOption::Unsupported { keyword, .. } => {
                return Err(format!("keyword '{keyword}' is not supported yet"));
            }
        }
    }
    if !s.hdr.is_empty() {
        other_match_keywords = true;
    }
    s.nvars = vars.len();

    // Mark contents/pcres followed by a relative match.
    for (_, _, ops) in progs.iter_mut() {
        for i in 0..ops.len() {
            let next_rel = ops.get(i + 1).is_some_and(Op::is_relative);
            match &mut ops[i] {
                Op::Content(c) => c.relative_next = next_rel,
                Op::Pcre(p) => p.relative_next = next_rel,
                _ => {}
            }
        }
    }

    // Fast pattern: explicit, else the strongest non-negated content of the
    // payload or app buffers (longest on ties).
    let mut best: Option<(usize, usize, u32, usize)> = None;
    if explicit_fp.is_none() {
        for (pi, (name, ts, ops)) in progs.iter().enumerate() {
            // A transformed buffer's patterns cannot prefilter (see below).
            if *name == "base64_data" || !ts.is_empty() {
                continue;
            }
            for (oi, op) in ops.iter().enumerate() {
                if let Op::Content(c) = op
                    && !c.negated
                    && !c.pat.is_empty()
                {
                    let st = pattern_strength(&c.pat);
                    if best.is_none_or(|b| (st, c.pat.len()) > (b.2, b.3)) {
                        best = Some((pi, oi, st, c.pat.len()));
                    }
                }
            }
        }
    }
    let fp_sel = match explicit_fp {
        Some((pi, oi, chop)) => Some((pi, oi, chop)),
        None => best.map(|(pi, oi, _, _)| (pi, oi, None)),
    };

    let mut payload_idx = None;
    for (pi, (name, ts, ops)) in progs.into_iter().enumerate() {
        let transforms = ts
            .iter()
            .map(CTransform::new)
            .collect::<Result<Vec<_>, _>>()?;
        let prog = BufProg {
            name,
            transforms,
            ops,
        };
        let fast = fp_sel.and_then(|(fpi, oi, chop)| {
            // The prefilter scans buffers as they are, so a pattern that
            // must be found in a transformed buffer cannot prefilter the
            // rule: it is evaluated on every buffer instead.
            if fpi != pi || !prog.transforms.is_empty() {
                return None;
            }
            match prog.ops.get(oi) {
                Some(Op::Content(c)) if !c.negated => {
                    let pat = match chop {
                        Some((o, l)) => c
                            .pat
                            .get(usize::from(o)..usize::from(o) + usize::from(l))
                            .unwrap_or(&c.pat)
                            .to_vec(),
                        None => c.pat.clone(),
                    };
                    Some(pat)
                }
                _ => None,
            }
        });
        match name {
            "pkt_data" => {
                payload_idx = Some(());
                if let Some(p) = fast {
                    s.fast = Some(FastPattern {
                        buf: usize::MAX,
                        pattern: p,
                    });
                }
                s.payload = Some(prog);
            }
            "base64_data" => s.b64 = Some(prog),
            n if HEADER_BUFFERS.contains(&n) => s.hdr_bufs.push(prog),
            _ => {
                if let Some(p) = fast {
                    s.fast = Some(FastPattern {
                        buf: s.bufs.len(),
                        pattern: p,
                    });
                }
                s.bufs.push(prog);
            }
        }
    }
    let _ = payload_idx;
    // Suricata's rule validation: a TCP payload rule without an explicit
    // stream/packet choice is a stream rule, also inspected on each packet's
    // payload when a content is anchored (depth/offset: the anchor may be the
    // packet's start) or it uses stream_size.
    if let Some(prog) = &s.payload
        && proto.mask & bucket::TCP != 0
        && !s.require_packet
        && !s.require_stream
    {
        let anchored = prog
            .ops
            .iter()
            .any(|op| matches!(op, Op::Content(c) if c.depth.is_some() || c.offset.is_some()));
        if anchored || stream_size_seen {
            s.require_packet = true;
            s.stream_and_packet = true;
        }
    }
    // `app-layer-event:PROTO.EVENT` matches events of the transaction being
    // inspected (Suricata 7 keeps protocol events on transactions); without
    // payload the rule is a transaction rule of that protocol.
    let tx_events = s.payload.is_none()
        && !s.app_events.is_empty()
        && s.app_events.iter().all(|e| {
            e.split_once('.')
                .is_some_and(|(p, _)| vigil_proto::AppProto::from_name(p).is_some())
        });
    if tx_events && s.app_proto.is_none() {
        s.app_proto = s.app_events[0].split_once('.').map(|(p, _)| p.to_string());
    }
    if s.tx_kws.iter().any(|k| k.per_packet()) {
        s.live = true;
        s.live_dir = live_direction(&s)?;
        let live_kws = || s.tx_kws.iter().filter(|k| k.per_packet());
        s.live_staged = live_kws().any(|k| k.stage() == 0) && live_kws().any(|k| k.stage() > 0);
    }
    s.partial_level = partial_request_level(&s);
    if !s.bufs.is_empty() || !s.tx_kws.is_empty() || tx_events {
        s.kind = SigKind::App;
        if s.app_proto.is_none() {
            // Buffers imply their protocol (file.data, ...): keep it open.
            s.app_proto = None;
        }
    } else if s.payload.is_some() {
        s.kind = SigKind::Payload;
    } else if !s.hdr_bufs.is_empty() {
        s.kind = SigKind::Packet;
    } else if has_alp && !other_match_keywords && s.bit_conds.is_empty() {
        s.kind = SigKind::PdOnly;
    }
    let ip_only_keywords = s.app_proto.is_none()
        && !other_match_keywords
        && s.bit_conds.is_empty()
        && only_flowbit_set
        && !has_alp
        && s.app_events.is_empty();
    let has_app_layer_only = s.app_proto.is_some()
        && !other_match_keywords
        && s.bit_conds.is_empty()
        && s.bit_acts.is_empty()
        && !has_alp
        && s.app_events.is_empty();
    let negated_addresses =
        has_negation(&rule.src, address_vars, 0) || has_negation(&rule.dst, address_vars, 0);
    if s.kind == SigKind::Packet && ip_only_keywords && !negated_addresses {
        s.kind = SigKind::IpOnly;
    }
    let like_ip_only = s.kind == SigKind::Packet && ip_only_keywords && negated_addresses;
    s.analysis_type = analysis_type(&s, like_ip_only, has_app_layer_only);
    Ok(s)
}

/// Suricata's signature type as its engine analysis names it (`rules.json`
/// `type`), from what vigil compiled. `like_ip_only`: IP-only keywords with
/// negated addresses; `app_layer_only`: the rule names an application
/// protocol and has no other match.
fn analysis_type(s: &Sig, like_ip_only: bool, app_layer_only: bool) -> &'static str {
    let decode_events_only = !s.hdr.is_empty()
        && s.hdr.iter().all(|h| matches!(h, HdrCheck::DecodeEvent(_)))
        && s.payload.is_none()
        && s.bufs.is_empty()
        && s.hdr_bufs.is_empty();
    match s.kind {
        SigKind::PdOnly => "pd_only",
        SigKind::IpOnly => "ip_only",
        _ if like_ip_only => "like_ip_only",
        _ if decode_events_only => "de_only",
        _ if !s.hdr_bufs.is_empty() => "pkt",
        SigKind::App => "app_tx",
        SigKind::Payload => {
            // Suricata's flags: packet header keywords (not stream_size;
            // and dsize, tcp-pkt) require the packet, tcp-stream the stream; else a
            // rule that may see TCP requires the stream, and the packet
            // too when a content is anchored; else neither (pkt_stream).
            let anchored = s.payload.as_ref().is_some_and(|p| {
                p.ops.iter().any(
                    |op| matches!(op, Op::Content(c) if c.depth.is_some() || c.offset.is_some()),
                )
            });
            let header_keywords = s.hdr.iter().any(|h| !matches!(h, HdrCheck::StreamSize(..)));
            if (s.require_packet && !s.stream_and_packet) || header_keywords {
                "pkt"
            } else if s.require_stream {
                "stream"
            } else if s.proto.mask & bucket::TCP == 0 || s.stream_and_packet || anchored {
                "pkt_stream"
            } else {
                "stream"
            }
        }
        _ if app_layer_only => "app_layer",
        _ => "pkt",
    }
}

/// The direction of a rule with per-packet protocol keywords: its `flow`
/// direction, else the one its buffers and keywords agree on. Suricata
/// refuses a rule whose parts only exist in opposite directions.
fn live_direction(s: &Sig) -> Result<Option<bool>, String> {
    let flow = if s.flow.to_server && !s.flow.to_client {
        Some(true)
    } else if s.flow.to_client && !s.flow.to_server {
        Some(false)
    } else {
        None
    };
    let parts = s
        .bufs
        .iter()
        .filter_map(|b| buffer_direction(b.name))
        .chain(
            s.tx_kws
                .iter()
                .filter_map(|k| k.direction())
                .map(|d| d == vigil_proto::Direction::ToServer),
        );
    let mut dir = flow;
    for d in parts {
        match dir {
            Some(x) if x != d => {
                return Err("rule mixes keywords with conflicting directions".into());
            }
            _ => dir = Some(d),
        }
    }
    Ok(dir)
}

/// Addresses of an IP-only rule containing negation make it "like
/// IP-only" in Suricata: evaluated on every packet.
fn has_negation(e: &vigil_rules::AddressExpr, vars: &vigil_rules::Vars, depth: u32) -> bool {
    use vigil_rules::AddressExpr as A;
    if depth > 16 {
        return true;
    }
    match e {
        A::Not(_) => true,
        A::List(v) => v.iter().any(|x| has_negation(x, vars, depth + 1)),
        // Variables may hide negation ($EXTERNAL_NET is !$HOME_NET).
        A::Var(name) => match vars.address(name).map(vigil_rules::parse_address) {
            Some(Ok(inner)) => has_negation(&inner, vars, depth + 1),
            _ => true,
        },
        _ => false,
    }
}

fn compile_int(fi: &Flowint, ints: &mut Names) -> IntOp {
    IntOp {
        var: ints.id(&fi.name),
        op: fi.op,
        value: fi.value.as_ref().map(|v| match v {
            NumOrVar::Num(n) => IntOperand::Num(*n),
            NumOrVar::Var(name) => IntOperand::Var(ints.id(name)),
        }),
    }
}
