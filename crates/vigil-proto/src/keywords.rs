//! Protocol rule keywords: the non-buffer keywords rules apply to a
//! transaction (`modbus: function 3`, `dnp3_func:21`, `iec104.type_id:45`,
//! `s7comm.function:0x28`, ...).
//!
//! The rule parser keeps such a keyword's value as text; the detection
//! engine asks [`compile`] for a [`TxMatch`] and calls it on every
//! transaction of the keyword's protocol. Most keywords are integer fields
//! read through [`Transaction::uints`] with Suricata's integer syntax
//! ([`UintCond`]); the others (`modbus`, `dnp3_ind`, `cip_service`, ...)
//! have their own argument syntax, parsed by the module that owns the
//! protocol's transaction type.
//!
//! Keywords named like Suricata's (`modbus`, `dnp3_func`, `dnp3_ind`,
//! `dnp3_obj`, `enip_command`, `cip_service`) keep Suricata 7's semantics;
//! the others are vigil's, modelled on Snort 3 where it has them
//! (`iec104_apci_type`, `iec104_asdu_func`). Every keyword is listed in
//! [`KEYWORDS`] and documented in `docs/detection.md`.

use std::fmt;
use std::net::IpAddr;

use crate::it::tls::detect as tls;
use crate::ot::{dnp3, enip, iec104, modbus};
use crate::{AppProto, Direction, Transaction};

/// What a keyword may need besides the transaction: the packet being
/// inspected and its flow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatchCtx {
    /// The address of the flow's client (the side that opened it), for
    /// keywords that compare a field with it (`ftpbounce`).
    pub client: Option<IpAddr>,
    /// The packet's time, Unix seconds (Suricata's flow `lastts`), for
    /// keywords that compare a field with the time (`tls_cert_expired`).
    pub now_secs: i64,
}

/// A compiled protocol keyword.
pub trait TxMatch: Send + Sync + fmt::Debug {
    /// Whether transaction `tx` matches when inspected in direction `dir`.
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool;
    /// As [`TxMatch::matches`], with the packet's context ([`MatchCtx`])
    /// for the keywords that need it. The default ignores it.
    fn matches_in(&self, tx: &dyn Transaction, dir: Direction, ctx: &MatchCtx) -> bool {
        let _ = ctx;
        self.matches(tx, dir)
    }
    /// Whether the keyword reads the protocol state as it progresses
    /// (Suricata's TLS keywords `ssl_state`, `tls.version`, ...): a rule
    /// using it is inspected on every packet of the flow against the
    /// parser's current state (`AppParser::live_tx`), matching at most once
    /// per direction, instead of on handed-over transactions. Default false.
    fn per_packet(&self) -> bool {
        false
    }
    /// The only direction the keyword is inspected in, when it has one
    /// (`tls_cert_expired`: to the client). Default none (both).
    fn direction(&self) -> Option<Direction> {
        None
    }
    /// For a per-packet keyword: the inspection stage it belongs to, as
    /// Suricata orders a transaction's inspection lists by progress. 0 (the
    /// default): from the first message (`ssl_state`, `tls.version`); 1:
    /// once the certificate is ready (`tls.subject`, `tls_cert_valid`). A
    /// rule with keywords of both stages remembers, per direction, that its
    /// stage-0 keywords matched and does not test them again.
    fn stage(&self) -> u8 {
        0
    }
}

/// How a keyword's argument is compiled.
#[derive(Clone, Copy)]
pub enum KeywordArg {
    /// An integer condition on every value of the named
    /// [`Transaction::uints`] field: matches when one value satisfies it.
    Uint(&'static str),
    /// A keyword with its own syntax.
    Custom(fn(&str) -> Result<Box<dyn TxMatch>, String>),
}

/// One protocol keyword.
#[derive(Clone, Copy)]
pub struct KeywordDef {
    /// The keyword as written in rules.
    pub name: &'static str,
    /// The protocol whose transactions it inspects (a rule using it is a
    /// rule on this protocol).
    pub proto: AppProto,
    /// How its argument compiles.
    pub arg: KeywordArg,
}

impl fmt::Debug for KeywordDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeywordDef")
            .field("name", &self.name)
            .field("proto", &self.proto)
            .finish()
    }
}

const fn uint(name: &'static str, proto: AppProto) -> KeywordDef {
    KeywordDef {
        name,
        proto,
        arg: KeywordArg::Uint(name),
    }
}

const fn uint_field(name: &'static str, proto: AppProto, field: &'static str) -> KeywordDef {
    KeywordDef {
        name,
        proto,
        arg: KeywordArg::Uint(field),
    }
}

const fn custom(
    name: &'static str,
    proto: AppProto,
    f: fn(&str) -> Result<Box<dyn TxMatch>, String>,
) -> KeywordDef {
    KeywordDef {
        name,
        proto,
        arg: KeywordArg::Custom(f),
    }
}

use crate::it::http2::keywords as h2;
use AppProto::{
    Bacnet, Dcerpc, Dnp3, Enip, Ftp, FtpData, Goose, Http2, Iec104, Mms, Modbus, Opcua, S7comm, Tls,
};

/// Every protocol keyword.
pub static KEYWORDS: &[KeywordDef] = &[
    // Suricata 7.
    custom("modbus", Modbus, compile_modbus),
    custom("dnp3_func", Dnp3, compile_dnp3_func),
    custom("dnp3_ind", Dnp3, compile_dnp3_ind),
    custom("dnp3_obj", Dnp3, compile_dnp3_obj),
    uint_field("enip_command", Enip, "enip.command"),
    custom("cip_service", Enip, compile_cip_service),
    custom("ftpbounce", Ftp, compile_ftpbounce),
    custom("ftpdata_command", FtpData, compile_ftpdata_command),
    // TLS state and certificate keywords (inspected per packet).
    custom("ssl_state", Tls, tls::compile_ssl_state),
    custom("ssl_version", Tls, tls::compile_ssl_version),
    custom("tls.version", Tls, tls::compile_tls_version),
    custom("tls_cert_notbefore", Tls, tls::compile_notbefore),
    custom("tls_cert_notafter", Tls, tls::compile_notafter),
    custom("tls_cert_expired", Tls, tls::compile_expired),
    custom("tls_cert_valid", Tls, tls::compile_valid),
    custom("tls.subject", Tls, tls::compile_subject),
    custom("tls.issuerdn", Tls, tls::compile_issuerdn),
    custom("tls.cert_chain_len", Tls, tls::compile_chain_len),
    custom("http2.frametype", Http2, h2::compile_frametype),
    custom("http2.errorcode", Http2, h2::compile_errorcode),
    custom("http2.priority", Http2, h2::compile_priority),
    custom("http2.window", Http2, h2::compile_window),
    custom("http2.size_update", Http2, h2::compile_size_update),
    custom("http2.settings", Http2, h2::compile_settings),
    // DCERPC (a `dcerpc` rule also runs on SMB: DCERPC over named pipes).
    custom("dcerpc.iface", Dcerpc, compile_dcerpc_iface),
    custom("dcerpc.opnum", Dcerpc, compile_dcerpc_opnum),
    // Modbus fields (request).
    uint("modbus.function", Modbus),
    uint("modbus.unit", Modbus),
    // ENIP / CIP fields (Suricata 8's names where it has them).
    uint("enip.status", Enip),
    uint("enip.vendor_id", Enip),
    uint("enip.device_type", Enip),
    uint("enip.product_code", Enip),
    uint("enip.serial", Enip),
    uint("enip.state", Enip),
    uint("cip.service", Enip),
    uint("cip.class", Enip),
    uint("cip.instance", Enip),
    uint("cip.attribute", Enip),
    uint("cip.status", Enip),
    // IEC 60870-5-104: Snort 3's two keywords, then every field.
    custom("iec104_apci_type", Iec104, compile_iec104_apci_type),
    custom("iec104_asdu_func", Iec104, compile_iec104_asdu_func),
    uint("iec104.apci_type", Iec104),
    uint("iec104.u_function", Iec104),
    uint("iec104.tx", Iec104),
    uint("iec104.rx", Iec104),
    uint("iec104.type_id", Iec104),
    uint("iec104.num_ix", Iec104),
    uint("iec104.cause", Iec104),
    uint("iec104.negative", Iec104),
    uint("iec104.test", Iec104),
    uint("iec104.originator", Iec104),
    uint("iec104.common_address", Iec104),
    uint("iec104.ioa", Iec104),
    // S7comm and S7comm-plus.
    uint("s7comm.plus", S7comm),
    uint("s7comm.rosctr", S7comm),
    uint("s7comm.pdu_ref", S7comm),
    uint("s7comm.function", S7comm),
    uint("s7comm.function_group", S7comm),
    uint("s7comm.subfunction", S7comm),
    uint("s7comm.error_class", S7comm),
    uint("s7comm.error_code", S7comm),
    uint("s7comm.item.area", S7comm),
    uint("s7comm.item.db", S7comm),
    uint("s7comm.item.address", S7comm),
    uint("s7comm.szl_id", S7comm),
    uint("s7comm.szl_index", S7comm),
    uint("s7comm.plus.version", S7comm),
    uint("s7comm.plus.opcode", S7comm),
    uint("s7comm.plus.function", S7comm),
    uint("s7comm.plus.sequence", S7comm),
    // MMS (IEC 61850 client/server).
    custom("mms_func", Mms, compile_mms_func),
    uint("mms.service", Mms),
    uint("mms.pdu_type", Mms),
    uint("mms.invoke_id", Mms),
    uint("mms.error_class", Mms),
    uint("mms.object_class", Mms),
    // BACnet/IP (bacnet.service alone is ambiguous: confirmed and
    // unconfirmed choices overlap).
    uint("bacnet.bvlc_function", Bacnet),
    uint("bacnet.apdu_type", Bacnet),
    uint("bacnet.confirmed_service", Bacnet),
    uint("bacnet.unconfirmed_service", Bacnet),
    uint("bacnet.invoke_id", Bacnet),
    uint("bacnet.object_type", Bacnet),
    uint("bacnet.instance", Bacnet),
    uint("bacnet.property", Bacnet),
    uint("bacnet.priority", Bacnet),
    uint("bacnet.vendor_id", Bacnet),
    uint("bacnet.reinitialized_state", Bacnet),
    uint("bacnet.enable_disable", Bacnet),
    uint("bacnet.error_class", Bacnet),
    uint("bacnet.error_code", Bacnet),
    uint("bacnet.reject_reason", Bacnet),
    uint("bacnet.abort_reason", Bacnet),
    uint("bacnet.network_message_type", Bacnet),
    uint("bacnet.dnet", Bacnet),
    uint("bacnet.snet", Bacnet),
    // OPC UA binary (Snort 3's message type numbering).
    uint("opcua.msg_type", Opcua),
    uint("opcua.service", Opcua),
    uint("opcua.status_code", Opcua),
    uint("opcua.security_mode", Opcua),
    uint("opcua.request_id", Opcua),
    uint("opcua.secure_channel_id", Opcua),
    uint("opcua.attribute_id", Opcua),
    // IEC 61850 GOOSE (per frame; names of the standard's PDU fields).
    uint("goose.appid", Goose),
    uint("goose.time_allowed_to_live", Goose),
    uint("goose.st_num", Goose),
    uint("goose.sq_num", Goose),
    uint("goose.simulation", Goose),
    uint("goose.conf_rev", Goose),
    uint("goose.nds_com", Goose),
    uint("goose.num_dat_set_entries", Goose),
    uint("goose.data_count", Goose),
];

/// Sticky buffers of vigil's OT protocols whose rule name differs from the
/// transaction's buffer name (the transaction name is also an integer
/// keyword): (rule buffer, transaction buffer).
pub const BUFFER_ALIASES: &[(&str, &str)] = &[
    ("iec104.apci_name", "iec104.apci_type"),
    ("iec104.cause_name", "iec104.cause"),
    ("iec104.u_function_name", "iec104.u_function"),
    ("s7comm.function_name", "s7comm.function"),
    ("s7comm.subfunction_name", "s7comm.subfunction"),
    ("mms.service_name", "mms.service"),
    ("bacnet.service_name", "bacnet.service"),
];

/// The transaction buffer a rule buffer reads.
pub fn tx_buffer_name(rule_buffer: &str) -> &str {
    BUFFER_ALIASES
        .iter()
        .find(|(r, _)| *r == rule_buffer)
        .map_or(rule_buffer, |(_, t)| t)
}

/// The definition of protocol keyword `name`.
pub fn lookup(name: &str) -> Option<&'static KeywordDef> {
    KEYWORDS.iter().find(|k| k.name == name)
}

/// A compiled keyword: the protocol it applies to and its matcher.
pub type Compiled = (AppProto, Box<dyn TxMatch>);

/// Compiles keyword `name` with argument `value`.
/// `None` when `name` is not a protocol keyword.
pub fn compile(name: &str, value: &str) -> Option<Result<Compiled, String>> {
    let def = lookup(name)?;
    let m = match def.arg {
        KeywordArg::Uint(field) => UintCond::parse(value)
            .map(|cond| Box::new(UintKeyword { field, cond }) as Box<dyn TxMatch>)
            .ok_or_else(|| format!("{name}: invalid integer condition '{}'", value.trim())),
        KeywordArg::Custom(f) => f(value).map_err(|e| format!("{name}: {e}")),
    };
    Some(m.map(|m| (def.proto, m)))
}

/// Suricata's integer condition (`detect-engine-uint`): `N`, `=N`, `!N`,
/// `<N`, `<=N`, `>N`, `>=N`, `N-M` and `N<>M` (strictly between). Numbers
/// are decimal or `0x` hexadecimal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UintCond {
    /// Equal.
    Eq(u64),
    /// Not equal.
    Ne(u64),
    /// Less than.
    Lt(u64),
    /// Less or equal.
    Le(u64),
    /// Greater than.
    Gt(u64),
    /// Greater or equal.
    Ge(u64),
    /// Strictly between.
    Between(u64, u64),
}

fn parse_num(s: &str) -> Option<u64> {
    let s = s.trim();
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl UintCond {
    /// Parses a condition; `None` when malformed.
    pub fn parse(s: &str) -> Option<UintCond> {
        let s = s.trim();
        let s = s
            .strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .unwrap_or(s)
            .trim();
        if let Some(r) = s.strip_prefix("<=") {
            return parse_num(r).map(UintCond::Le);
        }
        if let Some(r) = s.strip_prefix(">=") {
            return parse_num(r).map(UintCond::Ge);
        }
        if let Some(r) = s.strip_prefix("!=").or_else(|| s.strip_prefix('!')) {
            return parse_num(r).map(UintCond::Ne);
        }
        if let Some(r) = s.strip_prefix('<') {
            return parse_num(r).map(UintCond::Lt);
        }
        if let Some(r) = s.strip_prefix('>') {
            return parse_num(r).map(UintCond::Gt);
        }
        if let Some(r) = s.strip_prefix('=') {
            return parse_num(r).map(UintCond::Eq);
        }
        // `N-M`: the dash is searched after the first character so that a
        // leading `-` (a negative number) is rejected, not taken as a range.
        let range = s.split_once("<>").or_else(|| {
            let (a, b) = s.get(1..)?.split_once('-')?;
            Some((s.get(..1 + a.len())?, b))
        });
        if let Some((a, b)) = range {
            let (a, b) = (parse_num(a)?, parse_num(b)?);
            return (a < b).then_some(UintCond::Between(a, b));
        }
        parse_num(s).map(UintCond::Eq)
    }

    /// Whether `v` satisfies the condition.
    pub fn matches(self, v: u64) -> bool {
        match self {
            UintCond::Eq(n) => v == n,
            UintCond::Ne(n) => v != n,
            UintCond::Lt(n) => v < n,
            UintCond::Le(n) => v <= n,
            UintCond::Gt(n) => v > n,
            UintCond::Ge(n) => v >= n,
            UintCond::Between(a, b) => a < v && v < b,
        }
    }
}

/// An integer keyword on one transaction field.
#[derive(Debug)]
struct UintKeyword {
    field: &'static str,
    cond: UintCond,
}

impl TxMatch for UintKeyword {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let mut hit = false;
        tx.uints(self.field, &mut |v| hit |= self.cond.matches(v));
        hit
    }
}

/// Equality with any value of a field (names resolved at compile time).
#[derive(Debug)]
struct FieldEq {
    field: &'static str,
    value: u64,
}

impl TxMatch for FieldEq {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let mut hit = false;
        tx.uints(self.field, &mut |v| hit |= v == self.value);
        hit
    }
}

/// Any value of a field sharing a bit with `mask`.
#[derive(Debug)]
struct FieldMask {
    field: &'static str,
    mask: u64,
}

impl TxMatch for FieldMask {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let mut hit = false;
        tx.uints(self.field, &mut |v| hit |= v & self.mask != 0);
        hit
    }
}

#[derive(Debug)]
struct ModbusMatch(modbus::ModbusKeyword);

impl TxMatch for ModbusMatch {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        tx.as_any()
            .and_then(|a| a.downcast_ref::<modbus::ModbusTx>())
            .is_some_and(|t| self.0.matches(t))
    }
}

fn compile_modbus(v: &str) -> Result<Box<dyn TxMatch>, String> {
    modbus::ModbusKeyword::parse(v)
        .map(|k| Box::new(ModbusMatch(k)) as Box<dyn TxMatch>)
        .ok_or_else(|| format!("invalid argument '{}'", v.trim()))
}

/// Suricata's `ftpbounce` (no argument): a PORT command announcing an
/// IPv4 address other than the client's own (an FTP bounce: the server is
/// told to connect to a third host).
fn compile_ftpbounce(v: &str) -> Result<Box<dyn TxMatch>, String> {
    if !v.trim().is_empty() {
        return Err("takes no argument".into());
    }
    Ok(Box::new(FtpBounce))
}

#[derive(Debug)]
struct FtpBounce;

impl TxMatch for FtpBounce {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        self.matches_in(tx, dir, &MatchCtx::default())
    }

    fn matches_in(&self, tx: &dyn Transaction, _dir: Direction, ctx: &MatchCtx) -> bool {
        let Some(IpAddr::V4(client)) = ctx.client else {
            // Suricata compares with the flow's IPv4 source only.
            return false;
        };
        let mut bounce = false;
        tx.uints("ftp.port_ip", &mut |ip| {
            bounce |= ip != u64::from(u32::from(client))
        });
        bounce
    }
}

/// Suricata's `ftpdata_command:retr|stor`: the FTP command that opened the
/// data connection.
fn compile_ftpdata_command(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let command: &'static str = match v.trim().to_ascii_lowercase().as_str() {
        "retr" => "RETR",
        "stor" => "STOR",
        other => return Err(format!("'{other}' is not retr or stor")),
    };
    Ok(Box::new(BufferEq {
        buffer: "ftp_data.command",
        value: command,
    }))
}

/// A buffer equal to a fixed value.
#[derive(Debug)]
struct BufferEq {
    buffer: &'static str,
    value: &'static str,
}

impl TxMatch for BufferEq {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        tx.buffer(self.buffer)
            .is_some_and(|b| b.eq_ignore_ascii_case(self.value.as_bytes()))
    }
}

fn compile_dnp3_func(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let code = dnp3::function_code_by_name(v)
        .ok_or_else(|| format!("unknown function code '{}'", v.trim()))?;
    Ok(Box::new(FieldEq {
        field: "dnp3.func",
        value: u64::from(code),
    }))
}

/// Suricata's `dnp3_ind`: a comma-separated list of indicator names; the
/// response matches when any of them is set.
fn compile_dnp3_ind(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let mut mask = 0u64;
    for name in v.split(',') {
        let bit = dnp3::indicator_by_name(name)
            .ok_or_else(|| format!("unknown indicator '{}'", name.trim()))?;
        mask |= u64::from(bit);
    }
    Ok(Box::new(FieldMask {
        field: "dnp3.ind",
        mask,
    }))
}

/// Suricata's `dnp3_obj:GROUP,VARIATION`.
fn compile_dnp3_obj(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let (g, var) = v
        .split_once(',')
        .ok_or_else(|| format!("expected GROUP,VARIATION, got '{}'", v.trim()))?;
    let g: u8 = g
        .trim()
        .parse()
        .map_err(|_| format!("invalid group '{}'", g.trim()))?;
    let var: u8 = var
        .trim()
        .parse()
        .map_err(|_| format!("invalid variation '{}'", var.trim()))?;
    Ok(Box::new(FieldEq {
        field: "dnp3.obj",
        value: u64::from(g) << 8 | u64::from(var),
    }))
}

/// Suricata's `cip_service:SERVICE[,CLASS[,ATTRIBUTE]]`: one CIP message
/// of the transaction has this service and, when given, this class and
/// attribute in its request path.
#[derive(Debug)]
struct CipService {
    service: u8,
    class: Option<u32>,
    attribute: Option<u32>,
}

impl TxMatch for CipService {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let Some(t) = tx.as_any().and_then(|a| a.downcast_ref::<enip::EnipTx>()) else {
            return false;
        };
        t.cip().iter().any(|c| {
            c.service == self.service
                && self.class.is_none_or(|k| c.class == Some(k))
                && self.attribute.is_none_or(|a| c.attribute == Some(a))
        })
    }
}

fn compile_cip_service(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err(format!(
            "expected SERVICE[,CLASS[,ATTRIBUTE]], got '{}'",
            v.trim()
        ));
    }
    let num = |i: usize| -> Result<Option<u64>, String> {
        match parts.get(i) {
            None => Ok(None),
            Some(s) => parse_num(s)
                .map(Some)
                .ok_or_else(|| format!("invalid number '{s}'")),
        }
    };
    let service = num(0)?
        .and_then(|s| u8::try_from(s).ok())
        .ok_or_else(|| format!("invalid service '{}'", v.trim()))?;
    let class = num(1)?.map(|c| u32::try_from(c).unwrap_or(u32::MAX));
    let attribute = num(2)?.map(|a| u32::try_from(a).unwrap_or(u32::MAX));
    Ok(Box::new(CipService {
        service,
        class,
        attribute,
    }))
}

/// Suricata's `dcerpc.iface:UUID[,<VER|>VER|=VER|!VER][,any_frag]`: a
/// bound interface (transaction buffer `dcerpc.iface`, one
/// `uuid:major-version` per accepted interface) with this UUID and version.
/// An interface bound by a BIND that was not a first fragment (its
/// buffer value ends in `:any`) matches only with `any_frag`.
#[derive(Debug)]
struct DcerpcIface {
    uuid: String,
    version: Option<(char, u16)>,
    any_frag: bool,
}

impl TxMatch for DcerpcIface {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let mut hit = false;
        tx.buffers("dcerpc.iface", &mut |b| {
            let Ok(text) = std::str::from_utf8(b) else {
                return;
            };
            let (uuid, ver) = text.split_once(':').unwrap_or((text, ""));
            let (ver, later_frag) = match ver.strip_suffix(":any") {
                Some(v) => (v, true),
                None => (ver, false),
            };
            if later_frag && !self.any_frag {
                return;
            }
            if !uuid.eq_ignore_ascii_case(&self.uuid) {
                return;
            }
            let ok = match (self.version, ver.parse::<u16>()) {
                (None, _) => true,
                (Some((op, want)), Ok(v)) => match op {
                    '<' => v < want,
                    '>' => v > want,
                    '!' => v != want,
                    _ => v == want,
                },
                (Some(_), Err(_)) => false,
            };
            hit |= ok;
        });
        hit
    }
}

fn compile_dcerpc_iface(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let mut parts = v.split(',').map(str::trim);
    let uuid = parts.next().unwrap_or_default().to_ascii_lowercase();
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    if groups != [8, 4, 4, 4, 12] || !uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit()) {
        return Err(format!("invalid interface uuid '{uuid}'"));
    }
    let mut version = None;
    let mut any_frag = false;
    for p in parts {
        if p == "any_frag" {
            any_frag = true;
            continue;
        }
        let mut chars = p.chars();
        let op = chars.next().ok_or("empty option")?;
        if !matches!(op, '<' | '>' | '=' | '!') {
            return Err(format!("invalid option '{p}'"));
        }
        let n: u16 = chars
            .as_str()
            .trim()
            .parse()
            .map_err(|_| format!("invalid version '{p}'"))?;
        version = Some((op, n));
    }
    Ok(Box::new(DcerpcIface {
        uuid,
        version,
        any_frag,
    }))
}

/// Suricata's `dcerpc.opnum:N[,N|A-B...]` (ranges inclusive).
#[derive(Debug)]
struct DcerpcOpnum(Vec<(u64, u64)>);

impl TxMatch for DcerpcOpnum {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        let mut hit = false;
        tx.uints("dcerpc.opnum", &mut |v| {
            hit |= self.0.iter().any(|&(a, b)| a <= v && v <= b)
        });
        hit
    }
}

fn compile_dcerpc_opnum(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let mut ranges = Vec::new();
    for p in v.split(',').map(str::trim) {
        let (a, b) = p.split_once('-').unwrap_or((p, p));
        let (a, b) = (
            parse_num(a).ok_or_else(|| format!("invalid opnum '{p}'"))?,
            parse_num(b).ok_or_else(|| format!("invalid opnum '{p}'"))?,
        );
        if a > b || b > u64::from(u16::MAX) {
            return Err(format!("invalid opnum range '{p}'"));
        }
        ranges.push((a, b));
    }
    Ok(Box::new(DcerpcOpnum(ranges)))
}

/// Snort 3's `iec104_apci_type`: `I`/`S`/`U` or the long names.
fn compile_iec104_apci_type(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let code = match v.trim().to_ascii_lowercase().as_str() {
        "i" | "i-format" | "information_transfer_format" => 0,
        "s" | "s-format" | "numbered_supervisory_function" | "supervisory_function" => 1,
        "u" | "u-format" | "unnumbered_control_function" => 3,
        other => return Err(format!("unknown APCI type '{other}' (I, S or U)")),
    };
    Ok(Box::new(FieldEq {
        field: "iec104.apci_type",
        value: code,
    }))
}

/// Snort 3's `iec104_asdu_func`: an ASDU type mnemonic (`C_SC_NA_1`, any
/// case) or its number.
fn compile_iec104_asdu_func(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let v = v.trim();
    let id = match parse_num(v) {
        Some(n) => u8::try_from(n).map_err(|_| format!("invalid type id '{v}'"))?,
        None => iec104::TYPES
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(v))
            .map(|t| t.id)
            .ok_or_else(|| format!("unknown ASDU type '{v}'"))?,
    };
    Ok(Box::new(FieldEq {
        field: "iec104.type_id",
        value: u64::from(id),
    }))
}

/// `mms_func`: an MMS service by name as logged (`read`, `write`,
/// `get_name_list`, `information_report`, `initiate`, ...) or by its
/// confirmed / unconfirmed service tag number.
#[derive(Debug)]
enum MmsFunc {
    Name(String),
    Tag(u64),
}

impl TxMatch for MmsFunc {
    fn matches(&self, tx: &dyn Transaction, _dir: Direction) -> bool {
        match self {
            MmsFunc::Name(n) => tx.buffer("mms.service") == Some(n.as_bytes()),
            MmsFunc::Tag(t) => {
                let mut hit = false;
                tx.uints("mms.service", &mut |v| hit |= v == *t);
                hit
            }
        }
    }
}

fn compile_mms_func(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err("empty service".into());
    }
    Ok(Box::new(match parse_num(v) {
        Some(n) => MmsFunc::Tag(n),
        None => MmsFunc::Name(v.to_ascii_lowercase().replace('-', "_")),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uint_conditions() {
        assert_eq!(UintCond::parse("5"), Some(UintCond::Eq(5)));
        assert_eq!(UintCond::parse(" >= 0x10 "), Some(UintCond::Ge(16)));
        assert_eq!(UintCond::parse("!3"), Some(UintCond::Ne(3)));
        assert_eq!(UintCond::parse("2-9"), Some(UintCond::Between(2, 9)));
        assert_eq!(UintCond::parse("2<>9"), Some(UintCond::Between(2, 9)));
        assert_eq!(UintCond::parse("9-2"), None);
        assert_eq!(UintCond::parse("x"), None);
        assert_eq!(UintCond::parse("-1"), None);
        assert!(UintCond::Between(2, 9).matches(3));
        assert!(!UintCond::Between(2, 9).matches(9));
    }

    #[test]
    fn every_keyword_compiles_a_sample() {
        for k in KEYWORDS {
            let sample = match k.name {
                "modbus" => "function 3",
                "dnp3_func" => "write",
                "dnp3_ind" => "device_restart,need_time",
                "dnp3_obj" => "12,1",
                "cip_service" => "0x4c,2,1",
                "iec104_apci_type" => "U",
                "iec104_asdu_func" => "c_sc_na_1",
                "mms_func" => "read",
                "dcerpc.iface" => "12345678-1234-ABCD-ef00-0123456789ab,>1,any_frag",
                "dcerpc.opnum" => "1,3-5",
                "ftpbounce" => "",
                "ftpdata_command" => "RETR",
                "ssl_state" => "client_hello|!server_hello",
                "ssl_version" => "tls1.2,sslv3",
                "tls.version" => "1.2",
                "tls_cert_notbefore" | "tls_cert_notafter" => "2015-01-01<>2020-02-29T10:00",
                "tls_cert_expired" | "tls_cert_valid" => "",
                "tls.subject" | "tls.issuerdn" => "CN=*.example.com",
                "http2.frametype" => "GOAWAY",
                "http2.errorcode" => "NO_ERROR",
                "http2.settings" => "SETTINGS_HEADER_TABLE_SIZE>1000",
                _ => ">1",
            };
            assert!(
                matches!(compile(k.name, sample), Some(Ok(_))),
                "{}: {sample}",
                k.name
            );
        }
        assert!(compile("nope", "1").is_none());
        assert!(matches!(compile("dnp3_obj", "12"), Some(Err(_))));
        assert!(matches!(compile("iec104_asdu_func", "X_YZ"), Some(Err(_))));
    }

    /// A transaction with one buffer and one integer field.
    struct Fake {
        buffer: (&'static str, &'static [u8]),
        uint: (&'static str, u64),
    }

    impl Transaction for Fake {
        fn event_type(&self) -> &'static str {
            "fake"
        }
        fn write_eve(&self, _: &mut vigil_eve::JsonWriter<'_>) {}
        fn buffer(&self, name: &str) -> Option<&[u8]> {
            (name == self.buffer.0).then_some(self.buffer.1)
        }
        fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
            if name == self.uint.0 {
                f(self.uint.1);
            }
        }
    }

    #[test]
    fn ftpbounce_compares_the_port_address_with_the_client() {
        let Some(Ok((proto, m))) = compile("ftpbounce", "") else {
            panic!("ftpbounce compiles");
        };
        assert_eq!(proto, AppProto::Ftp);
        // PORT 192,168,0,1,... from client 192.168.0.1: no bounce.
        let tx = Fake {
            buffer: ("", b""),
            uint: ("ftp.port_ip", 0xc0a8_0001),
        };
        let client = |a: [u8; 4]| MatchCtx {
            client: Some(IpAddr::from(a)),
            now_secs: 0,
        };
        let d = Direction::ToServer;
        assert!(!m.matches_in(&tx, d, &client([192, 168, 0, 1])));
        assert!(m.matches_in(&tx, d, &client([10, 0, 0, 7])));
        assert!(
            !m.matches_in(&tx, d, &MatchCtx::default()),
            "needs the client address"
        );
        assert!(!m.matches(&tx, d));
        assert!(matches!(compile("ftpbounce", "x"), Some(Err(_))));
    }

    #[test]
    fn ftpdata_command_reads_the_data_connection_command() {
        let Some(Ok((proto, m))) = compile("ftpdata_command", "retr") else {
            panic!("ftpdata_command compiles");
        };
        assert_eq!(proto, AppProto::FtpData);
        let retr = Fake {
            buffer: ("ftp_data.command", b"RETR"),
            uint: ("", 0),
        };
        let stor = Fake {
            buffer: ("ftp_data.command", b"STOR"),
            uint: ("", 0),
        };
        assert!(m.matches(&retr, Direction::ToClient));
        assert!(!m.matches(&stor, Direction::ToClient));
        assert!(matches!(compile("ftpdata_command", "list"), Some(Err(_))));
    }

    #[test]
    fn no_duplicate_names() {
        let mut seen = std::collections::HashSet::new();
        for k in KEYWORDS {
            assert!(seen.insert(k.name), "{}", k.name);
        }
        for (r, _) in BUFFER_ALIASES {
            assert!(seen.insert(r), "{r}");
        }
    }
}
