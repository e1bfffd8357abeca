//! The keyword registry: every Suricata 7.0 rule keyword, its aliases, whether
//! this crate parses it into a typed option, and the sticky-buffer table.

use std::collections::HashMap;
use std::sync::OnceLock;

/// How far vigil handles a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeywordStatus {
    /// Parsed into a typed [`crate::RuleOption`] (and meant to be evaluated).
    Supported,
    /// A valid Suricata keyword kept as [`crate::RuleOption::Unsupported`]:
    /// the rule loads, the engine reports the keyword as not evaluated yet.
    NotYetEvaluated,
    /// A protocol keyword (`modbus`, `dnp3_func`, `iec104.type_id`, ...),
    /// kept as text in [`crate::RuleOption::Protocol`] and compiled by the
    /// module of its protocol (`vigil_proto::keywords`).
    Protocol,
    /// Not a Suricata 7 keyword: a rule using it fails to load.
    Unknown,
}

/// Whether a keyword takes a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueReq {
    /// `keyword;` only.
    None,
    /// `keyword:value;` only.
    Required,
    /// Either.
    Optional,
}

/// One keyword of the registry.
#[derive(Debug, Clone, Copy)]
pub struct KeywordInfo {
    /// Canonical name.
    pub name: &'static str,
    /// Status.
    pub status: KeywordStatus,
    /// Value requirement.
    pub value: ValueReq,
    /// Value must be double-quoted (`msg`, `content`, ...).
    pub quotes_required: bool,
}

/// A sticky buffer.
#[derive(Debug, Clone, Copy)]
pub struct BufferInfo {
    /// Canonical name (`http.uri`).
    pub name: &'static str,
    /// Other keywords selecting it (`http_uri` is a content modifier, listed
    /// in [`LEGACY_MODIFIERS`]; aliases here are sticky forms like `file_data`).
    pub aliases: &'static [&'static str],
    /// Application protocols it implies (empty: any / packet level).
    pub protos: &'static [&'static str],
}

const HTTP: &[&str] = &["http"];
const HTTP2: &[&str] = &["http2"];
const TLS: &[&str] = &["tls"];
const TLS_QUIC: &[&str] = &["tls", "quic"];
const SSH: &[&str] = &["ssh"];
const DNS: &[&str] = &["dns"];
const SMB: &[&str] = &["smb"];
const DCERPC: &[&str] = &["dcerpc", "smb"];
const KRB5: &[&str] = &["krb5"];
const SIP: &[&str] = &["sip"];
const SNMP: &[&str] = &["snmp"];
const MQTT: &[&str] = &["mqtt"];
const QUIC: &[&str] = &["quic"];
const IKE: &[&str] = &["ike"];
const RFB: &[&str] = &["rfb"];
const DNP3: &[&str] = &["dnp3"];
const ENIP: &[&str] = &["enip"];
const IEC104: &[&str] = &["iec104"];
const S7COMM: &[&str] = &["s7comm"];
const MMS: &[&str] = &["mms"];
const BACNET: &[&str] = &["bacnet"];
const OPCUA: &[&str] = &["opcua"];
const GOOSE: &[&str] = &["goose"];
const NONE: &[&str] = &[];

macro_rules! buf {
    ($name:expr, [$($a:expr),*], $p:expr) => {
        BufferInfo { name: $name, aliases: &[$($a),*], protos: $p }
    };
}

/// Every sticky buffer of Suricata 7.0 (plus `pkt_data` and `base64_data`).
pub const BUFFERS: &[BufferInfo] = &[
    buf!("pkt_data", [], NONE),
    buf!("base64_data", [], NONE),
    buf!("file.data", ["file_data"], NONE),
    buf!("file.name", [], NONE),
    buf!("file.magic", [], NONE),
    buf!("http.uri", [], HTTP),
    buf!("http.uri.raw", [], HTTP),
    buf!("http.method", [], HTTP),
    buf!("http.request_line", ["http_request_line"], HTTP),
    buf!("http.request_body", [], HTTP),
    buf!("http.response_body", [], HTTP),
    buf!("http.header", [], HTTP),
    buf!("http.header.raw", [], HTTP),
    buf!("http.cookie", [], HTTP),
    buf!("http.user_agent", [], HTTP),
    buf!("http.host", [], HTTP),
    buf!("http.host.raw", [], HTTP),
    buf!("http.stat_msg", [], HTTP),
    buf!("http.stat_code", [], HTTP),
    buf!("http.response_line", ["http_response_line"], HTTP),
    buf!("http.protocol", ["http_protocol"], HTTP),
    buf!("http.start", ["http_start"], HTTP),
    buf!("http.header_names", ["http_header_names"], HTTP),
    buf!("http.accept", ["http_accept"], HTTP),
    buf!("http.accept_lang", ["http_accept_lang"], HTTP),
    buf!("http.accept_enc", ["http_accept_enc"], HTTP),
    buf!("http.connection", ["http_connection"], HTTP),
    buf!("http.content_len", ["http_content_len"], HTTP),
    buf!("http.content_type", ["http_content_type"], HTTP),
    buf!("http.location", [], HTTP),
    buf!("http.server", [], HTTP),
    buf!("http.referer", ["http_referer"], HTTP),
    buf!("http.request_header", [], HTTP),
    buf!("http.response_header", [], HTTP),
    buf!("http2.header_name", [], HTTP2),
    buf!("dns.query", ["dns_query"], DNS),
    buf!("tls.sni", ["tls_sni"], TLS),
    buf!("tls.certs", [], TLS),
    buf!("tls.cert_issuer", ["tls_cert_issuer"], TLS),
    buf!("tls.cert_subject", ["tls_cert_subject"], TLS),
    buf!("tls.cert_serial", ["tls_cert_serial"], TLS),
    buf!("tls.cert_fingerprint", ["tls_cert_fingerprint"], TLS),
    buf!("tls.random", [], TLS),
    buf!("tls.random_time", [], TLS),
    buf!("tls.random_bytes", [], TLS),
    buf!("ja3.hash", ["ja3_hash"], TLS_QUIC),
    buf!("ja3.string", ["ja3_string"], TLS_QUIC),
    buf!("ja3s.hash", [], TLS_QUIC),
    buf!("ja3s.string", [], TLS_QUIC),
    buf!("ja4.hash", ["ja4_hash"], TLS_QUIC),
    buf!("ssh.proto", ["ssh_proto"], SSH),
    buf!("ssh.software", ["ssh_software"], SSH),
    buf!("ssh.hassh", ["ssh-hassh"], SSH),
    buf!("ssh.hassh.server", ["ssh-hassh-server"], SSH),
    buf!("ssh.hassh.string", ["ssh-hassh-string"], SSH),
    buf!("ssh.hassh.server.string", ["ssh-hassh-server-string"], SSH),
    buf!("dcerpc.stub_data", ["dce_stub_data"], DCERPC),
    buf!("smb.named_pipe", ["smb_named_pipe"], SMB),
    buf!("smb.share", ["smb_share"], SMB),
    buf!("smb.ntlmssp_user", [], SMB),
    buf!("smb.ntlmssp_domain", [], SMB),
    buf!("krb5.cname", ["krb5_cname"], KRB5),
    buf!("krb5.sname", ["krb5_sname"], KRB5),
    buf!("sip.method", [], SIP),
    buf!("sip.uri", [], SIP),
    buf!("sip.protocol", [], SIP),
    buf!("sip.stat_code", [], SIP),
    buf!("sip.stat_msg", [], SIP),
    buf!("sip.request_line", [], SIP),
    buf!("sip.response_line", [], SIP),
    buf!("rfb.name", [], RFB),
    buf!("snmp.usm", [], SNMP),
    buf!("snmp.community", [], SNMP),
    buf!("mqtt.connect.clientid", [], MQTT),
    buf!("mqtt.connect.username", [], MQTT),
    buf!("mqtt.connect.password", [], MQTT),
    buf!("mqtt.connect.willtopic", [], MQTT),
    buf!("mqtt.connect.willmessage", [], MQTT),
    buf!("mqtt.publish.topic", [], MQTT),
    buf!("mqtt.publish.message", [], MQTT),
    buf!("mqtt.subscribe.topic", [], MQTT),
    buf!("mqtt.unsubscribe.topic", [], MQTT),
    buf!("quic.version", [], QUIC),
    buf!("quic.sni", [], QUIC),
    buf!("quic.ua", [], QUIC),
    buf!("quic.cyu.hash", [], QUIC),
    buf!("quic.cyu.string", [], QUIC),
    buf!("ike.init_spi", [], IKE),
    buf!("ike.resp_spi", [], IKE),
    buf!("ike.vendor", [], IKE),
    buf!("ike.nonce_payload", [], IKE),
    buf!("ike.key_exchange_payload", [], IKE),
    buf!("dnp3.data", ["dnp3_data"], DNP3),
    // vigil's OT buffers (Suricata 8's `enip.product_name`; the rest are
    // vigil's, see docs/detection.md).
    buf!("enip.product_name", [], ENIP),
    buf!("iec104.apci_name", [], IEC104),
    buf!("iec104.type", [], IEC104),
    buf!("iec104.cause_name", [], IEC104),
    buf!("iec104.u_function_name", [], IEC104),
    buf!("s7comm.function_name", [], S7COMM),
    buf!("s7comm.subfunction_name", [], S7COMM),
    buf!("s7comm.pi_service", [], S7COMM),
    buf!("s7comm.block", [], S7COMM),
    buf!("mms.service_name", [], MMS),
    buf!("mms.object_name", [], MMS),
    buf!("mms.domain", [], MMS),
    buf!("mms.identifier", [], MMS),
    buf!("mms.file_name", [], MMS),
    buf!("bacnet.service_name", [], BACNET),
    buf!("bacnet.object_name", [], BACNET),
    buf!("bacnet.password", [], BACNET),
    buf!("opcua.service_name", [], OPCUA),
    buf!("opcua.security_policy", [], OPCUA),
    buf!("opcua.node_id", [], OPCUA),
    buf!("goose.gocb_ref", [], GOOSE),
    buf!("goose.dat_set", [], GOOSE),
    buf!("goose.go_id", [], GOOSE),
    buf!("ipv4.hdr", [], NONE),
    buf!("ipv6.hdr", [], NONE),
    buf!("icmpv4.hdr", [], NONE),
    buf!("icmpv6.hdr", [], NONE),
    buf!("tcp.hdr", [], NONE),
    buf!("udp.hdr", [], NONE),
    buf!("ip.src", [], NONE),
    buf!("ip.dst", [], NONE),
];

/// Legacy content modifiers (`content:"x"; http_uri;`) and the buffer each
/// moves the preceding content to.
pub const LEGACY_MODIFIERS: &[(&str, &str)] = &[
    ("http_uri", "http.uri"),
    ("http_raw_uri", "http.uri.raw"),
    ("http_method", "http.method"),
    ("http_client_body", "http.request_body"),
    ("http_server_body", "http.response_body"),
    ("http_header", "http.header"),
    ("http_raw_header", "http.header.raw"),
    ("http_cookie", "http.cookie"),
    ("http_user_agent", "http.user_agent"),
    ("http_host", "http.host"),
    ("http_raw_host", "http.host.raw"),
    ("http_stat_msg", "http.stat_msg"),
    ("http_stat_code", "http.stat_code"),
];

use KeywordStatus::{NotYetEvaluated as N, Protocol as P, Supported as S};
use ValueReq::{None as NO, Optional as OPT, Required as REQ};

macro_rules! kw {
    ($name:expr, $st:expr, $v:expr) => {
        KeywordInfo {
            name: $name,
            status: $st,
            value: $v,
            quotes_required: false,
        }
    };
    ($name:expr, $st:expr, $v:expr, quoted) => {
        KeywordInfo {
            name: $name,
            status: $st,
            value: $v,
            quotes_required: true,
        }
    };
}

/// Every non-buffer keyword of Suricata 7.0 (sticky buffers are in
/// [`BUFFERS`], legacy modifiers in [`LEGACY_MODIFIERS`]).
pub const KEYWORDS: &[KeywordInfo] = &[
    // meta
    kw!("msg", S, REQ, quoted),
    kw!("sid", S, REQ),
    kw!("rev", S, REQ),
    kw!("gid", S, REQ),
    kw!("classtype", S, REQ),
    kw!("priority", S, REQ),
    kw!("reference", S, REQ),
    kw!("metadata", S, REQ),
    kw!("target", S, REQ),
    // payload
    kw!("content", S, REQ, quoted),
    kw!("uricontent", S, REQ, quoted),
    kw!("nocase", S, NO),
    kw!("depth", S, REQ),
    kw!("offset", S, REQ),
    kw!("distance", S, REQ),
    kw!("within", S, REQ),
    kw!("startswith", S, NO),
    kw!("endswith", S, NO),
    kw!("rawbytes", S, NO),
    kw!("fast_pattern", S, OPT),
    kw!("replace", S, REQ, quoted),
    kw!("pcre", S, REQ),
    kw!("byte_test", S, REQ),
    kw!("byte_jump", S, REQ),
    kw!("byte_extract", S, REQ),
    kw!("byte_math", S, REQ),
    kw!("isdataat", S, REQ),
    kw!("bsize", S, REQ),
    kw!("dsize", S, REQ),
    kw!("urilen", S, REQ),
    kw!("base64_decode", S, OPT),
    kw!("prefilter", S, NO),
    // transforms
    kw!("to_lowercase", S, NO),
    kw!("to_uppercase", S, NO),
    kw!("strip_whitespace", S, NO),
    kw!("compress_whitespace", S, NO),
    kw!("url_decode", S, NO),
    kw!("dotprefix", S, NO),
    kw!("to_md5", S, NO),
    kw!("to_sha1", S, NO),
    kw!("to_sha256", S, NO),
    kw!("header_lowercase", S, NO),
    kw!("strip_pseudo_headers", S, NO),
    kw!("pcrexform", S, REQ, quoted),
    kw!("xor", S, REQ),
    // flow
    kw!("frame", S, REQ),
    kw!("requires", S, REQ),
    kw!("flow", S, REQ),
    kw!("flowbits", S, REQ),
    kw!("flowint", S, REQ),
    kw!("xbits", S, REQ),
    kw!("hostbits", S, REQ),
    kw!("threshold", S, REQ),
    kw!("detection_filter", S, REQ),
    kw!("noalert", S, NO),
    kw!("tag", S, REQ),
    kw!("app-layer-protocol", S, REQ),
    kw!("app-layer-event", S, REQ),
    kw!("stream_size", S, REQ),
    // ip / tcp / icmp headers
    kw!("ttl", S, REQ),
    kw!("tos", S, REQ),
    kw!("ipopts", S, REQ),
    kw!("fragbits", S, REQ),
    kw!("fragoffset", S, REQ),
    kw!("id", S, REQ),
    kw!("sameip", S, NO),
    kw!("ip_proto", S, REQ),
    kw!("tcp.flags", S, REQ),
    kw!("tcp.seq", S, REQ),
    kw!("tcp.ack", S, REQ),
    kw!("tcp.window", S, REQ),
    kw!("tcp.mss", S, REQ),
    kw!("itype", S, REQ),
    kw!("icode", S, REQ),
    kw!("icmp_id", S, REQ),
    kw!("icmp_seq", S, REQ),
    // known, kept unparsed
    kw!("geoip", N, REQ),
    kw!("ftpbounce", P, NO),
    kw!("rpc", N, REQ),
    kw!("flowvar", N, REQ),
    kw!("pktvar", N, REQ),
    kw!("alert", N, NO),
    kw!("ipv4-csum", S, REQ),
    kw!("tcpv4-csum", S, REQ),
    kw!("tcpv6-csum", S, REQ),
    kw!("udpv4-csum", S, REQ),
    kw!("udpv6-csum", S, REQ),
    kw!("icmpv4-csum", S, REQ),
    kw!("icmpv6-csum", S, REQ),
    kw!("dataset", N, REQ),
    kw!("datarep", N, REQ),
    kw!("decode-event", S, REQ),
    kw!("nfq_set_mark", N, REQ),
    kw!("flow.age", N, REQ),
    kw!("tls_store", N, NO),
    // `tls.fingerprint:"..."` is content on `tls.cert_fingerprint`.
    kw!("tls.fingerprint", S, REQ, quoted),
    kw!("nfs_procedure", N, REQ),
    kw!("nfs.version", N, REQ),
    kw!("ssh.protoversion", N, REQ),
    kw!("ssh.softwareversion", N, REQ),
    kw!("http2.frametype", P, REQ),
    kw!("http2.errorcode", P, REQ),
    kw!("http2.priority", P, REQ),
    kw!("http2.window", P, REQ),
    kw!("http2.size_update", P, REQ),
    kw!("http2.settings", P, REQ),
    kw!("asn1", N, REQ),
    kw!("engine-event", N, REQ),
    kw!("stream-event", N, REQ),
    kw!("config", N, REQ),
    kw!("filename", N, REQ),
    kw!("fileext", N, REQ),
    kw!("filestore", N, OPT),
    kw!("filemagic", N, REQ),
    kw!("filemd5", N, REQ),
    kw!("filesha1", N, REQ),
    kw!("filesha256", N, REQ),
    kw!("filesize", N, REQ),
    kw!("l3_proto", N, REQ),
    kw!("lua", N, REQ),
    kw!("luajit", N, REQ),
    kw!("iprep", N, REQ),
    kw!("dns.opcode", N, REQ),
    kw!("krb5_err_code", N, REQ),
    kw!("krb5_msg_type", N, REQ),
    kw!("krb5.ticket_encryption", N, REQ),
    kw!("rfb.secresult", N, REQ),
    kw!("rfb.sectype", N, REQ),
    kw!("template2", N, REQ),
    kw!("icmpv6.mtu", N, REQ),
    kw!("ftpdata_command", P, REQ),
    kw!("dhcp.leasetime", N, REQ),
    kw!("dhcp.rebinding_time", N, REQ),
    kw!("dhcp.renewal_time", N, REQ),
    kw!("snmp.version", N, REQ),
    kw!("snmp.pdu_type", N, REQ),
    kw!("mqtt.type", N, REQ),
    kw!("mqtt.flags", N, REQ),
    kw!("mqtt.qos", N, REQ),
    kw!("mqtt.protocol_version", N, REQ),
    kw!("mqtt.reason_code", N, REQ),
    kw!("mqtt.connect.flags", N, REQ),
    kw!("mqtt.connack.session_present", N, REQ),
    kw!("ike.exchtype", N, REQ),
    kw!("ike.chosen_sa_attribute", N, REQ),
    kw!("ike.key_exchange_payload_length", N, REQ),
    kw!("ike.nonce_payload_length", N, REQ),
    kw!("bypass", N, NO),
    // Protocol keywords (Suricata's OT keywords, then vigil's own for the
    // protocols Suricata lacks); the list must equal vigil_proto::keywords.
    kw!("modbus", P, REQ),
    kw!("dnp3_func", P, REQ),
    kw!("dnp3_ind", P, REQ),
    kw!("dnp3_obj", P, REQ),
    kw!("enip_command", P, REQ),
    kw!("cip_service", P, REQ),
    kw!("dcerpc.iface", P, REQ),
    kw!("dcerpc.opnum", P, REQ),
    kw!("modbus.function", P, REQ),
    kw!("modbus.unit", P, REQ),
    kw!("enip.status", P, REQ),
    kw!("enip.vendor_id", P, REQ),
    kw!("enip.device_type", P, REQ),
    kw!("enip.product_code", P, REQ),
    kw!("enip.serial", P, REQ),
    kw!("enip.state", P, REQ),
    kw!("cip.service", P, REQ),
    kw!("cip.class", P, REQ),
    kw!("cip.instance", P, REQ),
    kw!("cip.attribute", P, REQ),
    kw!("cip.status", P, REQ),
    kw!("iec104_apci_type", P, REQ),
    kw!("iec104_asdu_func", P, REQ),
    kw!("iec104.apci_type", P, REQ),
    kw!("iec104.u_function", P, REQ),
    kw!("iec104.tx", P, REQ),
    kw!("iec104.rx", P, REQ),
    kw!("iec104.type_id", P, REQ),
    kw!("iec104.num_ix", P, REQ),
    kw!("iec104.cause", P, REQ),
    kw!("iec104.negative", P, REQ),
    kw!("iec104.test", P, REQ),
    kw!("iec104.originator", P, REQ),
    kw!("iec104.common_address", P, REQ),
    kw!("iec104.ioa", P, REQ),
    kw!("s7comm.plus", P, REQ),
    kw!("s7comm.rosctr", P, REQ),
    kw!("s7comm.pdu_ref", P, REQ),
    kw!("s7comm.function", P, REQ),
    kw!("s7comm.function_group", P, REQ),
    kw!("s7comm.subfunction", P, REQ),
    kw!("s7comm.error_class", P, REQ),
    kw!("s7comm.error_code", P, REQ),
    kw!("s7comm.item.area", P, REQ),
    kw!("s7comm.item.db", P, REQ),
    kw!("s7comm.item.address", P, REQ),
    kw!("s7comm.szl_id", P, REQ),
    kw!("s7comm.szl_index", P, REQ),
    kw!("s7comm.plus.version", P, REQ),
    kw!("s7comm.plus.opcode", P, REQ),
    kw!("s7comm.plus.function", P, REQ),
    kw!("s7comm.plus.sequence", P, REQ),
    kw!("mms_func", P, REQ),
    kw!("mms.service", P, REQ),
    kw!("mms.pdu_type", P, REQ),
    kw!("mms.invoke_id", P, REQ),
    kw!("mms.error_class", P, REQ),
    kw!("mms.object_class", P, REQ),
    kw!("bacnet.bvlc_function", P, REQ),
    kw!("bacnet.apdu_type", P, REQ),
    kw!("bacnet.confirmed_service", P, REQ),
    kw!("bacnet.unconfirmed_service", P, REQ),
    kw!("bacnet.invoke_id", P, REQ),
    kw!("bacnet.object_type", P, REQ),
    kw!("bacnet.instance", P, REQ),
    kw!("bacnet.property", P, REQ),
    kw!("bacnet.priority", P, REQ),
    kw!("bacnet.vendor_id", P, REQ),
    kw!("bacnet.reinitialized_state", P, REQ),
    kw!("bacnet.enable_disable", P, REQ),
    kw!("bacnet.error_class", P, REQ),
    kw!("bacnet.error_code", P, REQ),
    kw!("bacnet.reject_reason", P, REQ),
    kw!("bacnet.abort_reason", P, REQ),
    kw!("bacnet.network_message_type", P, REQ),
    kw!("bacnet.dnet", P, REQ),
    kw!("bacnet.snet", P, REQ),
    kw!("opcua.msg_type", P, REQ),
    kw!("opcua.service", P, REQ),
    kw!("opcua.status_code", P, REQ),
    kw!("opcua.security_mode", P, REQ),
    kw!("opcua.request_id", P, REQ),
    kw!("opcua.secure_channel_id", P, REQ),
    kw!("opcua.attribute_id", P, REQ),
    kw!("goose.appid", P, REQ),
    kw!("goose.time_allowed_to_live", P, REQ),
    kw!("goose.st_num", P, REQ),
    kw!("goose.sq_num", P, REQ),
    kw!("goose.simulation", P, REQ),
    kw!("goose.conf_rev", P, REQ),
    kw!("goose.nds_com", P, REQ),
    kw!("goose.num_dat_set_entries", P, REQ),
    kw!("goose.data_count", P, REQ),
    kw!("ssl_state", P, REQ),
    kw!("ssl_version", P, REQ),
    kw!("tls.version", P, REQ),
    kw!("tls_cert_notbefore", P, REQ),
    kw!("tls_cert_notafter", P, REQ),
    kw!("tls_cert_expired", P, NO),
    kw!("tls_cert_valid", P, NO),
    kw!("tls.subject", P, REQ, quoted),
    kw!("tls.issuerdn", P, REQ, quoted),
    kw!("tls.cert_chain_len", P, REQ),
];

/// Protocol keywords whose value Suricata refuses in quotes ("quotes on
/// ... keyword that doesn't support them").
pub const QUOTES_REFUSED: &[&str] = &[
    "ssl_state",
    "ssl_version",
    "tls.version",
    "tls_cert_notbefore",
    "tls_cert_notafter",
    "tls.cert_chain_len",
];

/// Alternative names of non-buffer keywords.
pub const ALIASES: &[(&str, &str)] = &[
    ("flags", "tcp.flags"),
    ("seq", "tcp.seq"),
    ("ack", "tcp.ack"),
    ("window", "tcp.window"),
    ("dce_iface", "dcerpc.iface"),
    ("dce_opnum", "dcerpc.opnum"),
    ("nfs_version", "nfs.version"),
    ("tls.store", "tls_store"),
];

/// What a keyword name resolves to.
#[derive(Debug, Clone, Copy)]
pub enum KeywordKind {
    /// A regular keyword.
    Keyword(&'static KeywordInfo),
    /// A sticky buffer (canonical name).
    Buffer(&'static BufferInfo),
    /// A legacy content modifier moving the preceding content to a buffer.
    LegacyModifier(&'static str),
}

fn table() -> &'static HashMap<&'static str, KeywordKind> {
    static T: OnceLock<HashMap<&'static str, KeywordKind>> = OnceLock::new();
    T.get_or_init(|| {
        let mut m = HashMap::new();
        for k in KEYWORDS {
            m.insert(k.name, KeywordKind::Keyword(k));
        }
        for (alias, canon) in ALIASES {
            if let Some(KeywordKind::Keyword(k)) = m.get(canon).copied() {
                m.insert(*alias, KeywordKind::Keyword(k));
            }
        }
        for b in BUFFERS {
            m.insert(b.name, KeywordKind::Buffer(b));
            for a in b.aliases {
                m.insert(*a, KeywordKind::Buffer(b));
            }
        }
        for (name, buf) in LEGACY_MODIFIERS {
            m.insert(*name, KeywordKind::LegacyModifier(buf));
        }
        m
    })
}

/// Resolve a keyword name (canonical or alias).
pub fn lookup(name: &str) -> Option<KeywordKind> {
    table().get(name).copied()
}

/// The registry entry of a sticky buffer by canonical name.
pub fn buffer_info(name: &str) -> Option<&'static BufferInfo> {
    match lookup(name) {
        Some(KeywordKind::Buffer(b)) => Some(b),
        _ => None,
    }
}

/// How vigil handles keyword `name` (canonical name or alias).
pub fn keyword_status(name: &str) -> KeywordStatus {
    match lookup(name) {
        Some(KeywordKind::Keyword(k)) => k.status,
        Some(KeywordKind::Buffer(_)) | Some(KeywordKind::LegacyModifier(_)) => {
            KeywordStatus::Supported
        }
        None => KeywordStatus::Unknown,
    }
}

/// Application-layer protocol names usable in a rule header or
/// `app-layer-protocol` (Suricata 7.0; `ssl` is an alias of `tls`, `ikev2` of `ike`).
pub const APP_PROTOCOLS: &[&str] = &[
    "http",
    "http1",
    "http2",
    "ftp",
    "ftp-data",
    "smtp",
    "tls",
    "ssh",
    "imap",
    "pop3",
    "jabber",
    "irc",
    "smb",
    "dcerpc",
    "dns",
    "modbus",
    "enip",
    "dnp3",
    "nfs",
    "ntp",
    "tftp",
    "ike",
    "krb5",
    "quic",
    "dhcp",
    "snmp",
    "sip",
    "rfb",
    "mqtt",
    "pgsql",
    "telnet",
    "template",
    "rdp",
    "bittorrent-dht",
    // vigil's own OT protocols (not in Suricata 7).
    "iec104",
    "s7comm",
    "mms",
    "bacnet",
    "opcua",
    // IEC 61850 GOOSE, on Ethernet (rules inspect each frame; addresses
    // and ports are written `any`).
    "goose",
];

/// Canonical app-layer protocol name for `s` (`ssl` → `tls`, `ikev2` → `ike`).
pub fn app_protocol(s: &str) -> Option<&'static str> {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "ssl" => return Some("tls"),
        "ikev2" => return Some("ike"),
        _ => {}
    }
    APP_PROTOCOLS.iter().copied().find(|p| *p == l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(keyword_status("content"), KeywordStatus::Supported);
        assert_eq!(keyword_status("http_uri"), KeywordStatus::Supported);
        assert_eq!(keyword_status("file_data"), KeywordStatus::Supported);
        assert_eq!(keyword_status("flags"), KeywordStatus::Supported);
        assert_eq!(keyword_status("ssl_state"), KeywordStatus::Protocol);
        assert_eq!(keyword_status("geoip"), KeywordStatus::NotYetEvaluated);
        assert_eq!(keyword_status("foobar"), KeywordStatus::Unknown);
        assert_eq!(buffer_info("dns_query").map(|b| b.name), Some("dns.query"));
    }

    #[test]
    fn no_duplicate_names() {
        let mut seen = std::collections::HashSet::new();
        for k in KEYWORDS {
            assert!(seen.insert(k.name), "{}", k.name);
        }
        for b in BUFFERS {
            assert!(seen.insert(b.name), "{}", b.name);
            for a in b.aliases {
                assert!(seen.insert(a), "{a}");
            }
        }
        for (a, _) in ALIASES.iter().chain(LEGACY_MODIFIERS) {
            assert!(seen.insert(a), "{a}");
        }
    }
}
