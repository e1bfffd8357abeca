//! Whole TCP sessions and UDP exchanges as timestamped frames.

use std::net::IpAddr;

use crate::packet::{EtherBuilder, MacAddr, Packet, TcpBuilder, UdpBuilder, VlanTag};
use crate::pcap::Timestamp;
use crate::tcp_flags::{ACK, FIN, PSH, RST, SYN};

/// Which way a frame travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client (the connection's initiator) to the server.
    ToServer,
    /// From the server to the client.
    ToClient,
}

impl Direction {
    /// The opposite direction.
    pub fn reverse(self) -> Self {
        match self {
            Direction::ToServer => Direction::ToClient,
            Direction::ToClient => Direction::ToServer,
        }
    }
}

/// One side of a flow: MAC, IP address and port.
///
/// For a peer on another subnet, use the MAC of the router it is reached
/// through, as a capture on the local segment would show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Link-layer address used for frames to/from this side.
    pub mac: MacAddr,
    /// IPv4 or IPv6 address (both sides must use the same family).
    pub ip: IpAddr,
    /// TCP/UDP port.
    pub port: u16,
}

impl Endpoint {
    /// An endpoint.
    pub fn new(mac: MacAddr, ip: impl Into<IpAddr>, port: u16) -> Self {
        Self {
            mac,
            ip: ip.into(),
            port,
        }
    }
}

/// A generated frame with its capture time and direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Capture time.
    pub ts: Timestamp,
    /// Direction relative to the flow's client.
    pub dir: Direction,
    /// The Ethernet frame.
    pub data: Vec<u8>,
}

/// How a [`TcpConversation`] ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Graceful close started by the given side: FIN/ACK, FIN/ACK, ACK.
    Fin(Direction),
    /// The given side aborts with RST/ACK.
    Rst(Direction),
    /// The session is left open.
    None,
}

#[derive(Clone, Debug)]
enum Step {
    Data(Direction, Vec<u8>),
    Pause(u64),
}

/// Per-side IP-level settings.
#[derive(Clone, Copy, Debug)]
struct Side {
    ep: Endpoint,
    ttl: u8,
    ip_id: u16,
    isn: u32,
    window: u16,
}

/// Generates the frames of a complete TCP session.
///
/// Sequence numbers follow the ISNs (defaults 0x1000_0000 for the client,
/// 0x2000_0000 for the server), SYN and FIN each consume one number, and
/// every segment's acknowledgement number is the peer's next expected byte.
///
/// Produced frames, each `gap` microseconds apart (default 1000) plus any
/// [`pause`](Self::pause):
/// 1. the 3-way handshake (SYN with MSS 1460, NOP, WS 8, NOP, NOP,
///    SACK-permitted; SYN/ACK with MSS, NOP, WS 7, SACK-permitted padded with
///    NOPs; ACK) unless disabled with [`no_handshake`](Self::no_handshake);
/// 2. each message as PSH/ACK data segments of at most `mss` bytes (default
///    1460; PSH only on the last); the receiver then sends a pure ACK, unless
///    its next segment (the next message, or the FIN/RST of the close) is
///    sent right after and acknowledges the data itself;
/// 3. the [`Close`] (default `Fin(ToServer)`).
///
/// IPv4 packets carry DF and per-side incrementing identifications
/// (defaults 0x1000 client, 0x2000 server) and TTL 64 (client) / 128
/// (server) unless changed.
///
/// ```
/// use vigil_testkit::{Close, Direction, Endpoint, TcpConversation, Timestamp};
/// let c = Endpoint::new([2, 0, 0, 0, 0, 1], [10, 0, 0, 1], 50000);
/// let s = Endpoint::new([2, 0, 0, 0, 0, 2], [10, 0, 0, 2], 80);
/// let frames = TcpConversation::new(c, s)
///     .start(Timestamp::new(1_700_000_000, 0))
///     .client(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
///     .server(b"HTTP/1.1 204 No Content\r\n\r\n")
///     .close(Close::Fin(Direction::ToServer))
///     .frames();
/// // handshake, request, response (acks the request), FIN (acks the response),
/// // FIN, ACK
/// assert_eq!(frames.len(), 3 + 2 + 3);
/// ```
#[derive(Clone, Debug)]
pub struct TcpConversation {
    client: Side,
    server: Side,
    tags: Vec<VlanTag>,
    start: Timestamp,
    gap: u64,
    mss: usize,
    handshake: bool,
    close: Close,
    steps: Vec<Step>,
}

impl TcpConversation {
    /// A conversation between `client` (the initiator) and `server`.
    ///
    /// Panics later, in [`frames`](Self::frames), if the two addresses are
    /// not of the same IP family.
    pub fn new(client: Endpoint, server: Endpoint) -> Self {
        Self {
            client: Side {
                ep: client,
                ttl: 64,
                ip_id: 0x1000,
                isn: 0x1000_0000,
                window: 64240,
            },
            server: Side {
                ep: server,
                ttl: 128,
                ip_id: 0x2000,
                isn: 0x2000_0000,
                window: 65535,
            },
            tags: Vec::new(),
            start: Timestamp::default(),
            gap: 1000,
            mss: 1460,
            handshake: true,
            close: Close::Fin(Direction::ToServer),
            steps: Vec::new(),
        }
    }

    /// Time of the first frame.
    pub fn start(mut self, ts: Timestamp) -> Self {
        self.start = ts;
        self
    }
    /// Microseconds between consecutive frames.
    pub fn gap_micros(mut self, gap: u64) -> Self {
        self.gap = gap;
        self
    }
    /// Initial sequence numbers of client and server.
    pub fn isn(mut self, client: u32, server: u32) -> Self {
        self.client.isn = client;
        self.server.isn = server;
        self
    }
    /// Starting IPv4 identifications of client and server.
    pub fn ip_ids(mut self, client: u16, server: u16) -> Self {
        self.client.ip_id = client;
        self.server.ip_id = server;
        self
    }
    /// TTL / hop limit of client and server packets.
    pub fn ttls(mut self, client: u8, server: u8) -> Self {
        self.client.ttl = client;
        self.server.ttl = server;
        self
    }
    /// Receive windows of client and server in bytes (defaults 64240 and
    /// 65535). SYNs carry them as is; once the handshake has negotiated
    /// window scaling, segments carry them shifted right by the scale (8
    /// client, 7 server) so the effective window stays the same.
    pub fn windows(mut self, client: u16, server: u16) -> Self {
        self.client.window = client;
        self.server.window = server;
        self
    }
    /// Maximum payload bytes per data segment.
    pub fn mss(mut self, mss: usize) -> Self {
        assert!(mss > 0, "mss must be positive");
        self.mss = mss;
        self
    }
    /// Puts every frame on 802.1Q VLAN `vid` (call again for a second tag).
    pub fn vlan(mut self, vid: u16) -> Self {
        self.tags.push(VlanTag::dot1q(vid));
        self
    }
    /// Starts mid-stream: no handshake, the first segments use the ISNs as
    /// their sequence numbers.
    pub fn no_handshake(mut self) -> Self {
        self.handshake = false;
        self
    }
    /// How the session ends.
    pub fn close(mut self, close: Close) -> Self {
        self.close = close;
        self
    }
    /// Queues a message sent in direction `dir`.
    pub fn send(mut self, dir: Direction, payload: &[u8]) -> Self {
        self.steps.push(Step::Data(dir, payload.to_vec()));
        self
    }
    /// Queues a message from the client.
    pub fn client(self, payload: &[u8]) -> Self {
        self.send(Direction::ToServer, payload)
    }
    /// Queues a message from the server.
    pub fn server(self, payload: &[u8]) -> Self {
        self.send(Direction::ToClient, payload)
    }
    /// Adds `micros` of idle time before the next frame.
    pub fn pause(mut self, micros: u64) -> Self {
        self.steps.push(Step::Pause(micros));
        self
    }

    /// Generates the frames.
    pub fn frames(&self) -> Vec<Frame> {
        let mut st = TcpState {
            conv: self,
            t: self.start,
            next_seq: [self.client.isn, self.server.isn],
            ip_id: [self.client.ip_id, self.server.ip_id],
            out: Vec::new(),
        };
        if self.handshake {
            st.emit(Direction::ToServer, SYN, b"", false);
            st.emit(Direction::ToClient, SYN | ACK, b"", false);
            st.emit(Direction::ToServer, ACK, b"", false);
        }
        let data_steps: Vec<usize> = self
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Step::Data(..)))
            .map(|(i, _)| i)
            .collect();
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Pause(us) => st.t = st.t.add_micros(*us),
                Step::Data(dir, payload) => {
                    let chunks: Vec<&[u8]> = if payload.is_empty() {
                        vec![&[][..]]
                    } else {
                        payload.chunks(self.mss).collect()
                    };
                    let n = chunks.len();
                    for (k, c) in chunks.into_iter().enumerate() {
                        let flags = if k + 1 == n { PSH | ACK } else { ACK };
                        st.emit(*dir, flags, c, false);
                    }
                    // Does the receiver's next segment carry the ACK?
                    let next_data = data_steps.iter().find(|&&j| j > i).map(|&j| &self.steps[j]);
                    let piggyback = match next_data {
                        Some(Step::Data(d, _)) => *d != *dir,
                        _ => match self.close {
                            Close::Fin(d) | Close::Rst(d) => d != *dir,
                            Close::None => false,
                        },
                    };
                    if !piggyback {
                        st.emit(dir.reverse(), ACK, b"", false);
                    }
                }
            }
        }
        match self.close {
            Close::Fin(d) => {
                st.emit(d, FIN | ACK, b"", false);
                st.emit(d.reverse(), FIN | ACK, b"", false);
                st.emit(d, ACK, b"", false);
            }
            Close::Rst(d) => st.emit(d, RST | ACK, b"", true),
            Close::None => {}
        }
        st.out
    }
}

const CLIENT_WSCALE: u8 = 8;
const SERVER_WSCALE: u8 = 7;

struct TcpState<'a> {
    conv: &'a TcpConversation,
    t: Timestamp,
    /// Next sequence number to send, [client, server].
    next_seq: [u32; 2],
    ip_id: [u16; 2],
    out: Vec<Frame>,
}

impl TcpState<'_> {
    fn emit(&mut self, dir: Direction, flags: u8, payload: &[u8], rst: bool) {
        let (me, peer, i) = match dir {
            Direction::ToServer => (&self.conv.client, &self.conv.server, 0),
            Direction::ToClient => (&self.conv.server, &self.conv.client, 1),
        };
        let seq = self.next_seq[i];
        let ack = if flags & ACK != 0 {
            self.next_seq[1 - i]
        } else {
            0
        };
        // Window scaling is negotiated in the handshake (shift 8 client,
        // 7 server): later segments carry the window scaled down.
        let shift = if i == 0 { CLIENT_WSCALE } else { SERVER_WSCALE };
        let window = if rst {
            0
        } else if self.conv.handshake && flags & SYN == 0 {
            (me.window >> shift).max(1)
        } else {
            me.window
        };
        let mut tcp = ip_layer(&self.conv.tags, me, peer, self.ip_id[i], true)
            .tcp_for(me.ep.port, peer.ep.port)
            .seq(seq)
            .ack(ack)
            .flags(flags)
            .window(window)
            .payload(payload);
        if flags & SYN != 0 {
            tcp = if flags & ACK == 0 {
                tcp.mss(1460)
                    .nop()
                    .wscale(CLIENT_WSCALE)
                    .nop()
                    .nop()
                    .sack_permitted()
            } else {
                tcp.mss(1460)
                    .nop()
                    .wscale(SERVER_WSCALE)
                    .sack_permitted()
                    .nop()
                    .nop()
            };
        }
        self.out.push(Frame {
            ts: self.t,
            dir,
            data: tcp.build(),
        });
        self.t = self.t.add_micros(self.conv.gap);
        self.ip_id[i] = self.ip_id[i].wrapping_add(1);
        let consumed = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        self.next_seq[i] = seq.wrapping_add(consumed);
    }
}

/// The IP layer for a packet from `me` to `peer`, before its transport.
enum IpLayer {
    V4(crate::packet::Ipv4Builder),
    V6(crate::packet::Ipv6Builder),
}

impl IpLayer {
    fn tcp_for(self, sport: u16, dport: u16) -> TcpBuilder {
        match self {
            IpLayer::V4(b) => b.tcp(sport, dport),
            IpLayer::V6(b) => b.tcp(sport, dport),
        }
    }
    fn udp_for(self, sport: u16, dport: u16) -> UdpBuilder {
        match self {
            IpLayer::V4(b) => b.udp(sport, dport),
            IpLayer::V6(b) => b.udp(sport, dport),
        }
    }
}

fn ip_layer(tags: &[VlanTag], me: &Side, peer: &Side, ip_id: u16, df: bool) -> IpLayer {
    let eth: EtherBuilder = tags
        .iter()
        .fold(Packet::ether(me.ep.mac, peer.ep.mac), |e, t| e.tag(*t));
    match (me.ep.ip, peer.ep.ip) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            IpLayer::V4(eth.ipv4(s, d).id(ip_id).ttl(me.ttl).dont_fragment(df))
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => IpLayer::V6(eth.ipv6(s, d).hop_limit(me.ttl)),
        _ => panic!("client and server must both be IPv4 or both IPv6"),
    }
}

/// Generates a UDP request/response exchange (DNS, syslog, DNP3 over UDP, ...).
///
/// Frames are `gap` microseconds apart (default 1000) plus any pauses; IPv4
/// packets have per-side incrementing identifications (defaults 0x3000
/// client, 0x4000 server), no DF, TTL 64 (client) / 128 (server).
#[derive(Clone, Debug)]
pub struct UdpExchange {
    client: Side,
    server: Side,
    tags: Vec<VlanTag>,
    start: Timestamp,
    gap: u64,
    steps: Vec<Step>,
}

impl UdpExchange {
    /// An exchange between `client` and `server`.
    pub fn new(client: Endpoint, server: Endpoint) -> Self {
        Self {
            client: Side {
                ep: client,
                ttl: 64,
                ip_id: 0x3000,
                isn: 0,
                window: 0,
            },
            server: Side {
                ep: server,
                ttl: 128,
                ip_id: 0x4000,
                isn: 0,
                window: 0,
            },
            tags: Vec::new(),
            start: Timestamp::default(),
            gap: 1000,
            steps: Vec::new(),
        }
    }
    /// Time of the first frame.
    pub fn start(mut self, ts: Timestamp) -> Self {
        self.start = ts;
        self
    }
    /// Microseconds between consecutive frames.
    pub fn gap_micros(mut self, gap: u64) -> Self {
        self.gap = gap;
        self
    }
    /// Starting IPv4 identifications of client and server.
    pub fn ip_ids(mut self, client: u16, server: u16) -> Self {
        self.client.ip_id = client;
        self.server.ip_id = server;
        self
    }
    /// TTL / hop limit of client and server packets.
    pub fn ttls(mut self, client: u8, server: u8) -> Self {
        self.client.ttl = client;
        self.server.ttl = server;
        self
    }
    /// Puts every frame on 802.1Q VLAN `vid`.
    pub fn vlan(mut self, vid: u16) -> Self {
        self.tags.push(VlanTag::dot1q(vid));
        self
    }
    /// Queues a datagram in direction `dir`.
    pub fn send(mut self, dir: Direction, payload: &[u8]) -> Self {
        self.steps.push(Step::Data(dir, payload.to_vec()));
        self
    }
    /// Adds `micros` of idle time before the next datagram.
    pub fn pause(mut self, micros: u64) -> Self {
        self.steps.push(Step::Pause(micros));
        self
    }

    /// Generates the frames.
    pub fn frames(&self) -> Vec<Frame> {
        let mut t = self.start;
        let mut ids = [self.client.ip_id, self.server.ip_id];
        let mut out = Vec::new();
        for step in &self.steps {
            match step {
                Step::Pause(us) => t = t.add_micros(*us),
                Step::Data(dir, payload) => {
                    let (me, peer, i) = match dir {
                        Direction::ToServer => (&self.client, &self.server, 0),
                        Direction::ToClient => (&self.server, &self.client, 1),
                    };
                    let data = ip_layer(&self.tags, me, peer, ids[i], false)
                        .udp_for(me.ep.port, peer.ep.port)
                        .payload(payload)
                        .build();
                    out.push(Frame {
                        ts: t,
                        dir: *dir,
                        data,
                    });
                    ids[i] = ids[i].wrapping_add(1);
                    t = t.add_micros(self.gap);
                }
            }
        }
        out
    }
}

/// Shorthand for a [`UdpExchange`] starting at `start` with 1 ms between
/// datagrams.
pub fn udp_exchange(
    client: Endpoint,
    server: Endpoint,
    start: Timestamp,
    messages: &[(Direction, &[u8])],
) -> Vec<Frame> {
    messages
        .iter()
        .fold(
            UdpExchange::new(client, server).start(start),
            |u, (d, p)| u.send(*d, p),
        )
        .frames()
}
