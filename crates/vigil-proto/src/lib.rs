//! Application layer: protocol detection and one parser per protocol.
//!
//! Each protocol is one module (`it::dns`, `ot::modbus`, ...) that owns
//! everything about it: probing, parsing into transactions, the named
//! buffers rules match on, and its EVE record. A module describes itself
//! with a [`ProtoInfo`] listed in [`registry::PROTOCOLS`]; adding a protocol
//! means adding one module and one line there.
//!
//! Per flow, an [`AppState`] first detects the protocol from the first bytes
//! in either direction (port hints first, then every prober), then feeds the
//! parser in-order stream data (TCP) or datagrams (UDP). Parsers hand back
//! finished transactions and anomalies through a [`ParseOutput`].

pub mod expect;
pub mod it;
pub mod keywords;
pub mod ot;
pub mod registry;
mod state;

pub use expect::{Claim, Expectation, ExpectationTable};
pub use state::{AppState, DetectionConfig, FlowProtos};
pub use vigil_flow::Direction;

use vigil_eve::JsonWriter;

/// An application protocol, named as Suricata names it in `app_proto`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AppProto {
    Http,
    Http2,
    Dns,
    Tls,
    Ssh,
    Smb,
    Dcerpc,
    Ftp,
    FtpData,
    Smtp,
    Dhcp,
    Modbus,
    Dnp3,
    Enip,
    Iec104,
    S7comm,
    Mms,
    Bacnet,
    Opcua,
    /// IEC 61850 GOOSE: Ethernet frames, no flow (rules and keywords only;
    /// not detected on flows).
    Goose,
}

impl AppProto {
    /// The `app_proto` string (Suricata's for the protocols it has).
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Http => "http",
            AppProto::Http2 => "http2",
            AppProto::Dns => "dns",
            AppProto::Tls => "tls",
            AppProto::Ssh => "ssh",
            AppProto::Smb => "smb",
            AppProto::Dcerpc => "dcerpc",
            AppProto::Ftp => "ftp",
            AppProto::FtpData => "ftp-data",
            AppProto::Smtp => "smtp",
            AppProto::Dhcp => "dhcp",
            AppProto::Modbus => "modbus",
            AppProto::Dnp3 => "dnp3",
            AppProto::Enip => "enip",
            AppProto::Iec104 => "iec104",
            AppProto::S7comm => "s7comm",
            AppProto::Mms => "mms",
            AppProto::Bacnet => "bacnet",
            AppProto::Opcua => "opcua",
            AppProto::Goose => "goose",
        }
    }

    /// Looks a protocol up by its `app_proto` name.
    pub fn from_name(name: &str) -> Option<AppProto> {
        registry::PROTOCOLS
            .iter()
            .map(|p| p.proto)
            .find(|p| p.name() == name)
    }
}

/// The transport a parser runs over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A reassembled, in-order byte stream per direction.
    Tcp,
    /// One datagram at a time.
    Udp,
}

/// What a prober says about the first bytes of a stream or datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Probe {
    /// This is the protocol.
    Match,
    /// Too few bytes to tell.
    NeedMore,
    /// Not this protocol.
    NoMatch,
}

/// A prober: looks at the first bytes seen in `dir`.
pub type ProbeFn = fn(dir: Direction, data: &[u8]) -> Probe;

/// How a protocol plugs in: ports, probers and its parser constructor.
pub struct ProtoInfo {
    pub proto: AppProto,
    /// Ports that make this protocol the first guess (either side).
    pub tcp_ports: &'static [u16],
    pub udp_ports: &'static [u16],
    /// Content probers; `None` when the protocol does not run on it.
    pub probe_tcp: Option<ProbeFn>,
    pub probe_udp: Option<ProbeFn>,
    /// Only detect this protocol on its ports (for protocols whose first
    /// bytes are too weak a signature to claim arbitrary traffic).
    pub port_only: bool,
    /// A new parser for one flow.
    pub new_parser: fn(Transport) -> Box<dyn AppParser>,
}

/// The per-flow parser of one protocol.
pub trait AppParser: Send {
    /// In-order stream data (TCP) or one whole datagram (UDP) in `dir`.
    fn parse(&mut self, dir: Direction, data: &[u8], out: &mut ParseOutput);
    /// `len` bytes are missing in `dir` (TCP only). The parser resyncs or
    /// gives up on the direction; the default ignores it.
    fn gap(&mut self, dir: Direction, len: u64, out: &mut ParseOutput) {
        let _ = (dir, len, out);
    }
    /// No more data will come in `dir` (FIN exchange, depth reached): a
    /// message delimited by the connection's close (an HTTP response
    /// without length) completes here. The default ignores it.
    fn close(&mut self, dir: Direction, out: &mut ParseOutput) {
        let _ = (dir, out);
    }
    /// End of the flow: emit transactions still open (incomplete ones
    /// included, as Suricata logs them at flow end).
    fn finish(&mut self, out: &mut ParseOutput) {
        let _ = out;
    }
    /// The id of the flow that announced this one (an FTP data connection's
    /// control connection), once known: EVE's `parent_id`. Default none.
    fn parent_flow_id(&self) -> Option<u64> {
        None
    }
    /// The protocol state as parsed so far, as a transaction for the rule
    /// keywords inspected on every packet
    /// ([`keywords::TxMatch::per_packet`]: Suricata's TLS state keywords).
    /// Default none.
    fn live_tx(&mut self) -> Option<&dyn Transaction> {
        None
    }
    /// An owned copy of the last [`AppParser::live_tx`] (for the alerts it
    /// raised). Default none.
    fn live_tx_owned(&self) -> Option<Box<dyn Transaction>> {
        None
    }
    /// The state parsed so far of transaction `tx_id`, while it is still
    /// being parsed, as a copy for the records written about a snapshot of
    /// it: Suricata logs a transaction as it is when the alert is written
    /// (an alert on a request carries the response headers parsed by
    /// then). Default none: the snapshot is logged.
    fn tx_state(&self, _tx_id: u64) -> Option<Box<dyn Transaction>> {
        None
    }
}

/// One application transaction (request and response, or a single message),
/// ready to log and to match rules against.
pub trait Transaction: Send {
    /// EVE `event_type` of its record (`dns`, `http`, `modbus`, ...).
    fn event_type(&self) -> &'static str;
    /// Orientation of its EVE record: `ToServer` writes the client as
    /// `src_ip` (most protocols), `ToClient` the server.
    fn log_direction(&self) -> Direction {
        Direction::ToServer
    }
    /// For a transaction that is one message (DNP3, IEC 104, MMS PDUs): the
    /// direction it was sent in. Rules then see its buffers and fields only
    /// when inspecting that direction, as Suricata's per-direction
    /// inspection of such transactions does. `None` (default): the
    /// transaction holds both sides.
    fn message_dir(&self) -> Option<Direction> {
        None
    }
    /// The transaction's concrete type, for the rule keywords of its module
    /// that need more than buffers and integer fields ([`keywords`]:
    /// `modbus`, `cip_service`). `None` (default) for the others.
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// Whether each side's rules are inspected on a packet of that side
    /// (the completing packet's side at once, the other side's on its next
    /// packet), as Suricata does for a request/response transaction whose
    /// two halves it parsed at different packets. `false` (default): the
    /// transaction is inspected whole when handed over.
    fn inspect_sides_separately(&self) -> bool {
        false
    }
    /// Whether a rule without a direction (no `flow` direction, no
    /// one-sided buffer) is inspected on each side of the transaction, on
    /// a packet of that side, and may alert once per side, as Suricata's
    /// per-direction inspection does (a `dcerpc.iface` rule alerts to the
    /// server and to the client). `false` (default): such a rule is tried
    /// on the packet's side, then the other, and alerts at most once.
    fn directionless_rules_per_side(&self) -> bool {
        false
    }
    /// A snapshot handed over for rule inspection only (no record is
    /// written): one side of a transaction whose other side is still to
    /// come, e.g. an HTTP request once complete. Only the rules of its
    /// [`Transaction::message_dir`] run on it, on a packet of that
    /// direction, as Suricata inspects a request before its response.
    fn inspect_only(&self) -> bool {
        false
    }
    /// The to-server rules already ran on an [`Transaction::inspect_only`]
    /// snapshot of this transaction: they are not run again.
    fn request_side_inspected(&self) -> bool {
        false
    }
    /// For an [`Transaction::inspect_only`] snapshot of a request still
    /// being parsed, how far it got: 1 while its headers are parsed (the
    /// request line and the headers so far are known), 2 once the headers
    /// are complete and a body follows. Rules that need no more than that
    /// run on it, as Suricata inspects an HTTP transaction at each
    /// progress step; a rule that matches does not run again on the same
    /// transaction. `None` (default): a complete message.
    fn partial_request(&self) -> Option<u8> {
        None
    }
    /// Whether a record is written for it (default yes; Suricata's HTTP/2
    /// logger skips a PING or WINDOW_UPDATE transaction, which rules still
    /// inspect).
    fn has_record(&self) -> bool {
        true
    }
    /// The EVE output type (`outputs.eve-log.types`) that writes its
    /// record; default its event type. Suricata's `http2` type writes
    /// HTTP/2's `http` records.
    fn output_type(&self) -> &'static str {
        self.event_type()
    }
    /// Whether rules inspect it. A `fileinfo` record that repeats a
    /// transaction inspected on its own says no (default: yes).
    fn inspected(&self) -> bool {
        true
    }
    /// Whether the record's header carries `tx_id`. Suricata's loggers
    /// omit it for some protocols (modbus, dnp3); default true.
    fn logs_tx_id(&self) -> bool {
        true
    }
    /// Whether an alert on this transaction carries `tx_id`. Default: as
    /// its record ([`Transaction::logs_tx_id`]).
    fn alert_logs_tx_id(&self) -> bool {
        self.logs_tx_id()
    }
    /// The transaction id of this record when the parser numbers its
    /// transactions itself (HTTP numbers them at request start, and a
    /// `fileinfo` record names the transaction it belongs to). `None`
    /// (default): the worker hands out the flow's next id. A record with its
    /// own id leaves the worker's counter alone.
    fn tx_id(&self) -> Option<u64> {
        None
    }
    /// Writes the protocol object of the record, e.g. `"dns":{...}`, into an
    /// open record object.
    fn write_eve(&self, w: &mut JsonWriter<'_>);
    /// The content of a named rule buffer (`dns.query`, `http.uri`, ...).
    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let _ = name;
        None
    }
    /// Every instance of a multi-valued rule buffer (e.g. each object name
    /// of an MMS request), in order. The default yields `buffer(name)`.
    fn buffers(&self, name: &str, f: &mut dyn FnMut(&[u8])) {
        if let Some(b) = self.buffer(name) {
            f(b);
        }
    }
    /// A rule buffer as inspected in direction `dir`, for the buffers whose
    /// content depends on it (Suricata's `ssh.proto` and `ssh.software` are
    /// the client's in the to-server direction and the server's in the
    /// to-client one; so are `tls.random*`). The default is
    /// [`Transaction::buffer`].
    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        let _ = dir;
        self.buffer(name)
    }
    /// Whether buffer `name` may be inspected in direction `dir` yet, for
    /// rules inspected on the live protocol state (Suricata runs a
    /// buffer's inspection only once the transaction reached the buffer's
    /// progress: TLS certificate buffers wait for the certificate to be
    /// ready). Default true.
    fn buffer_ready(&self, name: &str, dir: Direction) -> bool {
        let _ = (name, dir);
        true
    }
    /// The values of a named integer field for keywords (e.g.
    /// `s7comm.function`, `iec104.ioa`): `f` is called once per value
    /// (several for multi-valued fields), never when absent. The default
    /// has no fields.
    fn uints(&self, name: &str, f: &mut dyn FnMut(u64)) {
        let _ = (name, f);
    }
}

/// A protocol anomaly, logged as an `anomaly` record of type `applayer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppEvent {
    pub proto: AppProto,
    /// Suricata's event name where it has one (e.g. `INVALID_LENGTH`).
    pub name: &'static str,
    /// The transaction the event belongs to, when Suricata logs it with the
    /// transaction (the record then carries `tx_id`).
    pub tx_id: Option<u64>,
    /// Whether an `anomaly` record is written for it. Some events exist for
    /// rules (`app-layer-event:`) only: Suricata raises Modbus events on
    /// transactions but its default output logs no anomaly record for them.
    pub logged: bool,
}

/// An anomaly of protocol detection (Suricata's `proto_detect` layer, e.g.
/// `APPLAYER_DETECT_PROTOCOL_ONLY_ONE_DIRECTION`), raised on the packet
/// being processed and logged as an `anomaly` record without transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DetectEvent {
    /// The flow's protocol when raised (`None` when unknown or failed).
    pub proto: Option<AppProto>,
    /// Suricata's event name.
    pub name: &'static str,
}

/// A parser's request to hand the flow to another protocol (SMTP's
/// STARTTLS, HTTP's `Upgrade: h2c`): the flow's following data is
/// detected anew, Suricata's `AppLayerRequestProtocolChange`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolChange {
    /// The protocol expected next (`app_proto_expected`; `None`: any).
    pub to: Option<AppProto>,
    /// Bytes at the end of the data just parsed that the old parser left:
    /// they are the new protocol's first bytes (0 when it ends exactly at
    /// the end of the data, as after STARTTLS).
    pub unconsumed: usize,
    /// Client bytes the old parser held back, unparsed, from earlier data
    /// (what a client sent through a CONNECT tunnel before the proxy's
    /// answer was complete): detected first, as Suricata's stream keeps
    /// unconsumed data for the next protocol.
    pub held_to_server: Vec<u8>,
}

/// Where parsers put what they produce. Reused by the worker between
/// packets: it drains `txs`, `events` and `detect_events` after each call.
#[derive(Default)]
pub struct ParseOutput {
    pub txs: Vec<Box<dyn Transaction>>,
    pub events: Vec<AppEvent>,
    /// Protocol-detection anomalies (raised by [`AppState`], not parsers).
    pub detect_events: Vec<DetectEvent>,
    /// A protocol change the parser asked for; taken by [`AppState`].
    pub change: Option<ProtocolChange>,
    /// Data connections the parser announced; [`AppState`] moves them into
    /// [`ParseOutput::expectations`] with the flow's addresses.
    pub announced: Vec<Expectation>,
    /// The worker's table of expected flows, consulted by detection.
    pub expectations: ExpectationTable,
    /// What the old parser hands the new one with a protocol change (the
    /// HTTP/1 request of an `Upgrade: h2c`); taken by [`AppState`].
    pub handover: Option<Handover>,
}

/// State a parser passes to the parser of the protocol it changes to
/// (Suricata creates the new protocol's state from the old one's).
#[derive(Clone, Debug)]
pub enum Handover {
    /// The HTTP/1 request that asked for `Upgrade: h2c`: HTTP/2 makes it
    /// stream 1 (Suricata's `HTTP2MimicHttp1Request`).
    H2cUpgrade(it::http2::UpgradeRequest),
}

impl ParseOutput {
    /// Queues a finished transaction.
    pub fn tx(&mut self, tx: impl Transaction + 'static) {
        self.txs.push(Box::new(tx));
    }

    /// Raises an anomaly.
    pub fn event(&mut self, proto: AppProto, name: &'static str) {
        self.events.push(AppEvent {
            proto,
            name,
            tx_id: None,
            logged: true,
        });
    }

    /// Raises an anomaly that belongs to transaction `tx_id`.
    pub fn tx_event(&mut self, proto: AppProto, name: &'static str, tx_id: u64) {
        self.events.push(AppEvent {
            proto,
            name,
            tx_id: Some(tx_id),
            logged: true,
        });
    }

    /// Raises an event of transaction `tx_id` that rules can match but that
    /// is not written as an `anomaly` record (see [`AppEvent::logged`]).
    pub fn tx_event_unlogged(&mut self, proto: AppProto, name: &'static str, tx_id: u64) {
        self.events.push(AppEvent {
            proto,
            name,
            tx_id: Some(tx_id),
            logged: false,
        });
    }

    /// Asks for the flow to be handed to another protocol after this data
    /// (see [`ProtocolChange`]).
    pub fn change_protocol(&mut self, to: Option<AppProto>, unconsumed: usize) {
        self.change = Some(ProtocolChange {
            to,
            unconsumed,
            held_to_server: Vec::new(),
        });
    }

    /// As [`ParseOutput::change_protocol`], with client bytes held back by
    /// the old parser (see [`ProtocolChange::held_to_server`]).
    pub fn change_protocol_with_held(
        &mut self,
        to: Option<AppProto>,
        unconsumed: usize,
        held_to_server: Vec<u8>,
    ) {
        self.change = Some(ProtocolChange {
            to,
            unconsumed,
            held_to_server,
        });
    }

    /// Announces a data connection (see [`Expectation`]).
    pub fn expect(&mut self, exp: Expectation) {
        self.announced.push(exp);
    }

    /// True when nothing is queued for the worker.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty() && self.events.is_empty() && self.detect_events.is_empty()
    }
}
