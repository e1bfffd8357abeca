//! The rule AST: header, typed options per keyword family, metadata.

use crate::address::{AddressExpr, IpSet};
use crate::port::{PortExpr, PortSet};
use std::fmt;
use std::sync::Arc;

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `alert`.
    Alert,
    /// `drop` (IPS).
    Drop,
    /// `pass`.
    Pass,
    /// `reject` (reset/ICMP unreachable to the source).
    Reject,
    /// `rejectsrc` (same as reject).
    RejectSrc,
    /// `rejectdst`.
    RejectDst,
    /// `rejectboth`.
    RejectBoth,
    /// `config` (Suricata 7 config rules).
    Config,
}

impl Action {
    /// Parse an action word.
    pub fn from_name(s: &str) -> Option<Action> {
        Some(match s {
            "alert" => Action::Alert,
            "drop" => Action::Drop,
            "pass" => Action::Pass,
            "reject" => Action::Reject,
            "rejectsrc" => Action::RejectSrc,
            "rejectdst" => Action::RejectDst,
            "rejectboth" => Action::RejectBoth,
            "config" => Action::Config,
            _ => return None,
        })
    }
    /// The action word.
    pub fn name(self) -> &'static str {
        match self {
            Action::Alert => "alert",
            Action::Drop => "drop",
            Action::Pass => "pass",
            Action::Reject => "reject",
            Action::RejectSrc => "rejectsrc",
            Action::RejectDst => "rejectdst",
            Action::RejectBoth => "rejectboth",
            Action::Config => "config",
        }
    }
}

/// The protocol field of a rule header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `ip` (any IP packet; `ipv4`/`ip4` and `ipv6`/`ip6` restrict the family).
    Ip,
    /// `ipv4` / `ip4`.
    Ipv4,
    /// `ipv6` / `ip6`.
    Ipv6,
    /// `tcp` (packets and stream).
    Tcp,
    /// `tcp-pkt` (packets only).
    TcpPkt,
    /// `tcp-stream` (reassembled stream only).
    TcpStream,
    /// `udp`.
    Udp,
    /// `icmp` (ICMPv4 and ICMPv6).
    Icmp,
    /// `icmpv4`.
    Icmpv4,
    /// `icmpv6`.
    Icmpv6,
    /// `sctp`.
    Sctp,
    /// `pkthdr` (decoder-event rules).
    Pkthdr,
    /// An application-layer protocol (canonical name, e.g. `http`, `tls`,
    /// `dns`, `modbus`; `ssl` is stored as `tls`).
    App(String),
}

impl Protocol {
    /// The protocol as Suricata names it.
    pub fn name(&self) -> &str {
        match self {
            Protocol::Ip => "ip",
            Protocol::Ipv4 => "ipv4",
            Protocol::Ipv6 => "ipv6",
            Protocol::Tcp => "tcp",
            Protocol::TcpPkt => "tcp-pkt",
            Protocol::TcpStream => "tcp-stream",
            Protocol::Udp => "udp",
            Protocol::Icmp => "icmp",
            Protocol::Icmpv4 => "icmpv4",
            Protocol::Icmpv6 => "icmpv6",
            Protocol::Sctp => "sctp",
            Protocol::Pkthdr => "pkthdr",
            Protocol::App(s) => s,
        }
    }
}

/// `->` or `<>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `->`: source to destination.
    To,
    /// `<>`: either way.
    Both,
}

/// One `reference:type,value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The system (`url`, `cve`, ...), lower-cased.
    pub kind: String,
    /// The identifier.
    pub value: String,
}

/// Where the detection looks: the packet/stream payload or a named buffer.
///
/// Buffer names are canonical (`http.uri`, `dns.query`, `file.data`, ...; see
/// [`crate::keywords::BUFFERS`]); `base64_data` names the decoded data of
/// the preceding `base64_decode`.
pub type BufferName = &'static str;

/// The payload (no sticky buffer): packet data / reassembled stream.
pub const PAYLOAD: BufferName = "pkt_data";

/// A number or a variable from `byte_extract` / `byte_math`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumOrVar<T> {
    /// A literal.
    Num(T),
    /// A byte_extract/byte_math variable name.
    Var(String),
}

/// `content` (and `uricontent`) with all its modifiers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Content {
    /// The bytes to find, with `|hex|` and `\;` `\"` `\\` `\:` decoded.
    pub pattern: Vec<u8>,
    /// `content:!"..."`.
    pub negated: bool,
    /// The buffer inspected (sticky buffer, legacy modifier or payload).
    pub buffer: BufferName,
    /// `nocase`.
    pub nocase: bool,
    /// `depth`.
    pub depth: Option<NumOrVar<u16>>,
    /// `offset`.
    pub offset: Option<NumOrVar<u16>>,
    /// `distance` (relative to the previous match in the buffer).
    pub distance: Option<NumOrVar<i32>>,
    /// `within` (relative).
    pub within: Option<NumOrVar<i32>>,
    /// `startswith` (implies depth = pattern length, offset 0).
    pub startswith: bool,
    /// `endswith`.
    pub endswith: bool,
    /// `rawbytes`.
    pub rawbytes: bool,
    /// `fast_pattern` and its form.
    pub fast_pattern: Option<FastPattern>,
    /// `replace:"..."` (IPS).
    pub replace: Option<Vec<u8>>,
}

/// `fast_pattern` forms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FastPattern {
    /// `fast_pattern;`.
    Whole,
    /// `fast_pattern:only;` (deprecated in Suricata 7, still accepted).
    Only,
    /// `fast_pattern:offset,length;` (chop).
    Chop {
        /// Start within the pattern.
        offset: u16,
        /// Length used.
        length: u16,
    },
}

/// `pcre:"/regex/flags"`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pcre {
    /// The regex between the delimiters, as written (not unescaped).
    pub pattern: String,
    /// `pcre:!"..."`.
    pub negated: bool,
    /// Standard PCRE flags: `i s m x A E G` in the order written.
    pub pcre_flags: String,
    /// `R`: relative to the previous match.
    pub relative: bool,
    /// `B`: rawbytes.
    pub rawbytes: bool,
    /// `O`: override the configured match limits.
    pub override_limits: bool,
    /// The buffer: sticky buffer, or from a Suricata flag (`U` http.uri,
    /// `I` http.uri.raw, `P` http.request_body, `Q` file.data,
    /// `H` http.header, `D` http.header.raw, `M` http.method, `C` http.cookie,
    /// `S` http.stat_code, `Y` http.stat_msg, `V` http.user_agent,
    /// `W` http.host, `Z` http.host.raw), or the payload.
    pub buffer: BufferName,
    /// Capture targets given after the flags (`, flow:name` / `pkt:name`).
    pub captures: Option<String>,
}

/// Byte order for byte_* keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Endian {
    /// Big endian (default).
    #[default]
    Big,
    /// Little endian.
    Little,
    /// From the DCE/RPC header.
    Dce,
}

/// Base of a number read as text (`string,hex|dec|oct`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumBase {
    /// `hex`.
    Hex,
    /// `dec` (the default for `string`).
    Dec,
    /// `oct`.
    Oct,
}

/// Operators of byte_test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteTestOp {
    /// `<`.
    Lt,
    /// `>`.
    Gt,
    /// `=`.
    Eq,
    /// `<=`.
    Le,
    /// `>=`.
    Ge,
    /// `&` (bitwise and, nonzero).
    And,
    /// `^` (bitwise xor, nonzero).
    Xor,
}

/// `byte_test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteTest {
    /// Bytes read (1-8, or up to 32 with `string`).
    pub nbytes: u8,
    /// The byte_extract/byte_math variable giving the byte count instead of
    /// `nbytes` (Suricata 7 accepts a variable there).
    pub nbytes_var: Option<String>,
    /// `!` before the operator.
    pub negated: bool,
    /// Comparison.
    pub op: ByteTestOp,
    /// Value compared against.
    pub value: NumOrVar<u64>,
    /// Offset of the read.
    pub offset: NumOrVar<i32>,
    /// `relative`.
    pub relative: bool,
    /// Byte order.
    pub endian: Endian,
    /// `string` with its base.
    pub string: Option<NumBase>,
    /// `bitmask N`.
    pub bitmask: Option<u32>,
    /// Buffer inspected.
    pub buffer: BufferName,
}

/// `byte_jump`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteJump {
    /// Bytes read.
    pub nbytes: u8,
    /// The byte_extract/byte_math variable giving the byte count instead of
    /// `nbytes` (Suricata 7 accepts a variable there).
    pub nbytes_var: Option<String>,
    /// Offset of the read.
    pub offset: NumOrVar<i32>,
    /// `relative`.
    pub relative: bool,
    /// `multiplier N`.
    pub multiplier: Option<u32>,
    /// Byte order.
    pub endian: Endian,
    /// `string` with its base.
    pub string: Option<NumBase>,
    /// `align` (round up to 4).
    pub align: bool,
    /// `from_beginning`.
    pub from_beginning: bool,
    /// `from_end`.
    pub from_end: bool,
    /// `post_offset N`.
    pub post_offset: Option<i32>,
    /// `bitmask N`.
    pub bitmask: Option<u32>,
    /// Buffer inspected.
    pub buffer: BufferName,
}

/// `byte_extract`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteExtract {
    /// Bytes read.
    pub nbytes: u8,
    /// Offset of the read.
    pub offset: i32,
    /// Variable defined.
    pub name: String,
    /// `relative`.
    pub relative: bool,
    /// `multiplier N`.
    pub multiplier: Option<u32>,
    /// Byte order.
    pub endian: Endian,
    /// `string` with its base.
    pub string: Option<NumBase>,
    /// `align N` (2 or 4).
    pub align: Option<u8>,
    /// `bitmask N`.
    pub bitmask: Option<u32>,
    /// Buffer inspected.
    pub buffer: BufferName,
}

/// Operators of byte_math.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteMathOp {
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `*`.
    Mul,
    /// `/`.
    Div,
    /// `<<`.
    Shl,
    /// `>>`.
    Shr,
}

/// `byte_math`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteMath {
    /// `bytes N`.
    pub nbytes: u8,
    /// `offset N`.
    pub offset: i32,
    /// `oper`.
    pub op: ByteMathOp,
    /// `rvalue`.
    pub rvalue: NumOrVar<u32>,
    /// `result` variable defined.
    pub result: String,
    /// `relative`.
    pub relative: bool,
    /// `endian`.
    pub endian: Endian,
    /// `string`.
    pub string: Option<NumBase>,
    /// `bitmask N`.
    pub bitmask: Option<u32>,
    /// Buffer inspected.
    pub buffer: BufferName,
}

/// `isdataat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsDataAt {
    /// Position.
    pub pos: NumOrVar<u16>,
    /// `!`.
    pub negated: bool,
    /// `relative`.
    pub relative: bool,
    /// `rawbytes`.
    pub rawbytes: bool,
    /// Buffer inspected.
    pub buffer: BufferName,
}

/// Comparison of the generic unsigned-integer keywords (dsize, ttl, bsize,
/// urilen, itype, icode, tcp.mss, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UintMatch {
    /// `N` / `=N`.
    Eq(u64),
    /// `!N`.
    Ne(u64),
    /// `<N`.
    Lt(u64),
    /// `<=N`.
    Le(u64),
    /// `>N`.
    Gt(u64),
    /// `>=N`.
    Ge(u64),
    /// `N<>M` or `N-M`: strictly between.
    Range(u64, u64),
}

/// Transforms applied to a sticky buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    /// `to_lowercase`.
    ToLowercase,
    /// `to_uppercase`.
    ToUppercase,
    /// `strip_whitespace`.
    StripWhitespace,
    /// `compress_whitespace`.
    CompressWhitespace,
    /// `url_decode`.
    UrlDecode,
    /// `dotprefix`.
    DotPrefix,
    /// `to_md5`.
    ToMd5,
    /// `to_sha1`.
    ToSha1,
    /// `to_sha256`.
    ToSha256,
    /// `header_lowercase`.
    HeaderLowercase,
    /// `strip_pseudo_headers`.
    StripPseudoHeaders,
    /// `pcrexform:"regex"`.
    PcreXform(String),
    /// `xor:"hexkey"`.
    Xor(Vec<u8>),
}

/// One `flow` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowOpt {
    /// `established`.
    Established,
    /// `not_established`.
    NotEstablished,
    /// `stateless`.
    Stateless,
    /// `to_server` / `from_client`.
    ToServer,
    /// `to_client` / `from_server`.
    ToClient,
    /// `only_stream`.
    OnlyStream,
    /// `no_stream`.
    NoStream,
    /// `only_frag`.
    OnlyFrag,
    /// `no_frag`.
    NoFrag,
}

impl FlowOpt {
    /// The option as written in rules (canonical spelling).
    pub fn name(self) -> &'static str {
        match self {
            FlowOpt::Established => "established",
            FlowOpt::NotEstablished => "not_established",
            FlowOpt::Stateless => "stateless",
            FlowOpt::ToServer => "to_server",
            FlowOpt::ToClient => "to_client",
            FlowOpt::OnlyStream => "only_stream",
            FlowOpt::NoStream => "no_stream",
            FlowOpt::OnlyFrag => "only_frag",
            FlowOpt::NoFrag => "no_frag",
        }
    }
}

/// flowbits/xbits/hostbits actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitsAction {
    /// `set`.
    Set,
    /// `unset`.
    Unset,
    /// `toggle`.
    Toggle,
    /// `isset`.
    IsSet,
    /// `isnotset`.
    IsNotSet,
    /// `noalert`.
    NoAlert,
}

/// How several names in one flowbits option combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitsCombine {
    /// One name.
    Single,
    /// `a|b`: any of them.
    Or,
    /// `a&b`: all of them.
    And,
}

/// `flowbits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flowbits {
    /// Action.
    pub action: BitsAction,
    /// Names (empty for noalert).
    pub names: Vec<String>,
    /// How names combine.
    pub combine: BitsCombine,
}

/// `flowint` operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowintOp {
    /// `=`.
    Set,
    /// `+`.
    Add,
    /// `-`.
    Sub,
    /// `==`.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
    /// `isset`.
    IsSet,
    /// `notset` / `isnotset`.
    NotSet,
}

/// `flowint`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flowint {
    /// Variable name.
    pub name: String,
    /// Operator.
    pub op: FlowintOp,
    /// Operand (absent for isset/notset): a number or another flowint.
    pub value: Option<NumOrVar<u32>>,
}

/// Tracking of xbits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XbitsTrack {
    /// `track ip_src`.
    IpSrc,
    /// `track ip_dst`.
    IpDst,
    /// `track ip_pair`.
    IpPair,
    /// `track tx`.
    Tx,
}

/// `xbits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xbits {
    /// Action.
    pub action: BitsAction,
    /// Name.
    pub name: String,
    /// Tracking.
    pub track: XbitsTrack,
    /// `expire N` seconds.
    pub expire: Option<u32>,
}

/// Direction of hostbits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostbitsDir {
    /// `src` (default).
    Src,
    /// `dst`.
    Dst,
    /// `both`.
    Both,
}

/// `hostbits`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hostbits {
    /// Action.
    pub action: BitsAction,
    /// Names.
    pub names: Vec<String>,
    /// Which host.
    pub dir: HostbitsDir,
}

/// `threshold` type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdType {
    /// `limit`.
    Limit,
    /// `threshold`.
    Threshold,
    /// `both`.
    Both,
    /// `detection_filter` (from the keyword of that name).
    DetectionFilter,
}

/// What thresholds track.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    /// `by_src`.
    BySrc,
    /// `by_dst`.
    ByDst,
    /// `by_rule`.
    ByRule,
    /// `by_both`.
    ByBoth,
    /// `by_flow`.
    ByFlow,
    /// `by_either` (suppress entries of threshold.config).
    ByEither,
}

/// `threshold` / `detection_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// Type.
    pub kind: ThresholdType,
    /// Tracking.
    pub track: Track,
    /// `count N`.
    pub count: u32,
    /// `seconds N`.
    pub seconds: u32,
}

/// `tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// `host` (else `session`).
    pub host: bool,
    /// Count and unit (`packets`, `seconds`, `bytes`).
    pub count: Option<(u32, String)>,
    /// `src` / `dst` for host tags.
    pub direction: Option<String>,
}

/// `stream_size`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSize {
    /// `server`, `client`, `both` or `either`.
    pub side: String,
    /// Comparison.
    pub cmp: UintMatch,
}

/// TCP flags (`flags` / `tcp.flags`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFlags {
    /// Flags required (bit values FIN=1 SYN=2 RST=4 PSH=8 ACK=16 URG=32
    /// ECE=64 CWR=128); 0 with `none` means no flags set.
    pub flags: u8,
    /// Flags ignored (`,mask`).
    pub mask: u8,
    /// Modifier: `+` (these and any others), `*` (any of these), `!` (not these), or none (exactly).
    pub modifier: Option<char>,
}

/// `fragbits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragBits {
    /// Bits: M=more fragments 1, D=don't fragment 2, R=reserved 4.
    pub bits: u8,
    /// Modifier `+`, `*` or `!`.
    pub modifier: Option<char>,
}

/// The header a checksum keyword checks (`ipv4-csum` ... `icmpv6-csum`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumLayer {
    /// `ipv4-csum`: the IPv4 header.
    Ipv4,
    /// `tcpv4-csum`.
    Tcpv4,
    /// `tcpv6-csum`.
    Tcpv6,
    /// `udpv4-csum` (a zero checksum, "none", never matches).
    Udpv4,
    /// `udpv6-csum`.
    Udpv6,
    /// `icmpv4-csum`.
    Icmpv4,
    /// `icmpv6-csum`.
    Icmpv6,
}

/// A keyword option of a rule, in rule order.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleOption {
    /// `msg`.
    Msg(String),
    /// `sid`.
    Sid(u32),
    /// `rev`.
    Rev(u32),
    /// `gid`.
    Gid(u32),
    /// `classtype`.
    Classtype(String),
    /// `priority`.
    Priority(u32),
    /// `reference`.
    Reference(Reference),
    /// `metadata` (key, value) pairs.
    Metadata(Vec<(String, String)>),
    /// `target:src_ip|dest_ip`.
    Target(String),
    /// A sticky buffer keyword (`http.uri`, `file_data`, `pkt_data`, ...): later
    /// matches inspect it. Holds the canonical buffer name.
    Buffer(BufferName),
    /// `frame:NAME`: a sticky buffer over an app-layer frame (buffer name
    /// `frame`); holds the frame name as written (e.g. `http1.request`).
    Frame(String),
    /// A transform applied to the current sticky buffer.
    Transform(Transform),
    /// `content` / `uricontent` and its modifiers.
    Content(Content),
    /// `pcre`.
    Pcre(Pcre),
    /// `byte_test`.
    ByteTest(ByteTest),
    /// `byte_jump`.
    ByteJump(ByteJump),
    /// `byte_extract`.
    ByteExtract(ByteExtract),
    /// `byte_math`.
    ByteMath(ByteMath),
    /// `isdataat`.
    IsDataAt(IsDataAt),
    /// `bsize` on the current buffer.
    Bsize {
        /// Comparison.
        cmp: UintMatch,
        /// Buffer.
        buffer: BufferName,
    },
    /// `dsize`.
    Dsize(UintMatch),
    /// `urilen` with `raw` (else normalized).
    Urilen {
        /// Comparison.
        cmp: UintMatch,
        /// `,raw`.
        raw: bool,
    },
    /// `base64_decode`.
    Base64Decode {
        /// `bytes N`.
        bytes: Option<u32>,
        /// `offset N`.
        offset: Option<u32>,
        /// `relative`.
        relative: bool,
        /// Buffer decoded from.
        buffer: BufferName,
    },
    /// `flow`.
    Flow(Vec<FlowOpt>),
    /// `flowbits`.
    Flowbits(Flowbits),
    /// `flowint`.
    Flowint(Flowint),
    /// `xbits`.
    Xbits(Xbits),
    /// `hostbits`.
    Hostbits(Hostbits),
    /// `threshold` / `detection_filter`.
    Threshold(Threshold),
    /// `noalert`.
    NoAlert,
    /// `tag`.
    Tag(Tag),
    /// `app-layer-protocol`.
    AppLayerProtocol {
        /// Protocol name.
        proto: String,
        /// `!`.
        negated: bool,
        /// Extra mode after a comma (e.g. `final`), if any.
        mode: Option<String>,
    },
    /// `app-layer-event:proto.event`.
    AppLayerEvent(String),
    /// `stream_size`.
    StreamSize(StreamSize),
    /// `ttl`.
    Ttl(UintMatch),
    /// `tos:[!]N`.
    Tos {
        /// Value.
        value: u8,
        /// `!`.
        negated: bool,
    },
    /// `ipopts`.
    IpOpts(String),
    /// `fragbits`.
    FragBits(FragBits),
    /// `fragoffset` with an optional `!`, `<` or `>`.
    FragOffset {
        /// Modifier.
        modifier: Option<char>,
        /// Offset (in 8-byte units, as the header field).
        value: u16,
    },
    /// `id` (IPv4 ID).
    IpId(u16),
    /// `sameip`.
    SameIp,
    /// `ipv4-csum`, `tcpv4-csum`, ... : the packet's checksum of that layer
    /// is valid (`valid`) or not (`invalid`).
    Checksum {
        /// The header whose checksum is checked.
        layer: ChecksumLayer,
        /// `valid` (true) or `invalid`.
        valid: bool,
    },
    /// `decode-event:NAME`: the packet raised decoder event
    /// `decoder.NAME` (Suricata's full name, resolved by the engine).
    DecodeEvent(String),
    /// `ip_proto` with `!`, `<`, `>` or none.
    IpProto {
        /// Modifier.
        modifier: Option<char>,
        /// Protocol number.
        proto: u8,
    },
    /// `flags` / `tcp.flags`.
    TcpFlags(TcpFlags),
    /// `seq` / `tcp.seq`.
    TcpSeq(u32),
    /// `ack` / `tcp.ack`.
    TcpAck(u32),
    /// `window` / `tcp.window`.
    TcpWindow {
        /// Size.
        value: u16,
        /// `!`.
        negated: bool,
    },
    /// `tcp.mss`.
    TcpMss(UintMatch),
    /// `itype`.
    Itype(UintMatch),
    /// `icode`.
    Icode(UintMatch),
    /// `icmp_id`.
    IcmpId(u16),
    /// `icmp_seq`.
    IcmpSeq(u16),
    /// `requires` (already checked: the rule loads only when met).
    Requires(String),
    /// `prefilter` (use the preceding keyword as prefilter).
    Prefilter,
    /// A keyword known to Suricata that this crate keeps unparsed
    /// ([`crate::keywords::KeywordStatus::NotYetEvaluated`]). The value has
    /// surrounding quotes removed; `negated` tells a leading `!`.
    Unsupported {
        /// Canonical keyword name.
        keyword: String,
        /// Value, if any.
        value: Option<String>,
    },
    /// A protocol keyword ([`crate::keywords::KeywordStatus::Protocol`]):
    /// the value (quotes removed) is compiled by the protocol's module.
    Protocol {
        /// Keyword name.
        keyword: String,
        /// Value.
        value: String,
    },
}

/// A parsed, validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Action.
    pub action: Action,
    /// Protocol.
    pub protocol: Protocol,
    /// Source addresses as written.
    pub src: AddressExpr,
    /// Source ports as written.
    pub src_ports: PortExpr,
    /// `->` or `<>`.
    pub direction: Direction,
    /// Destination addresses as written.
    pub dst: AddressExpr,
    /// Destination ports as written.
    pub dst_ports: PortExpr,
    /// Source addresses resolved with the variables.
    pub src_set: IpSet,
    /// Source ports resolved.
    pub src_port_set: PortSet,
    /// Destination addresses resolved.
    pub dst_set: IpSet,
    /// Destination ports resolved.
    pub dst_port_set: PortSet,
    /// All options in rule order.
    pub options: Vec<RuleOption>,
    /// `sid`.
    pub sid: u32,
    /// `rev` (0 when absent).
    pub rev: u32,
    /// `gid` (1 when absent).
    pub gid: u32,
    /// `msg` (unescaped; empty when absent).
    pub msg: String,
    /// `classtype`.
    pub classtype: Option<String>,
    /// Effective priority: `priority`, else the classtype's, else 3.
    pub priority: u32,
    /// `reference`s.
    pub references: Vec<Reference>,
    /// All `metadata` pairs.
    pub metadata: Vec<(String, String)>,
    /// `target`.
    pub target: Option<String>,
    /// The application-layer protocol the rule needs (from the header or its
    /// buffers), e.g. `http`, `dns`, `tls`.
    pub app_proto: Option<String>,
    /// `noalert` or `flowbits:noalert`.
    pub noalert: bool,
    /// The file the rule came from (empty for rules parsed from a string).
    pub file: Arc<str>,
    /// 1-based line of the rule's first physical line (0 when parsed from a string).
    pub line: usize,
    /// The rule text (continuation lines joined).
    pub text: String,
}

impl Rule {
    /// Contents of the rule, in order.
    pub fn contents(&self) -> impl Iterator<Item = &Content> {
        self.options.iter().filter_map(|o| match o {
            RuleOption::Content(c) => Some(c),
            _ => None,
        })
    }

    /// Keywords of the rule kept unparsed (not evaluated yet), in order.
    pub fn unsupported_keywords(&self) -> impl Iterator<Item = &str> {
        self.options.iter().filter_map(|o| match o {
            RuleOption::Unsupported { keyword, .. } => Some(keyword.as_str()),
            _ => None,
        })
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.text)
    }
}
