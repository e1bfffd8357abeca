//! The bundled sample capture `examples/sample-ot-it.pcap`: a small,
//! deterministic capture of a utility substation network (see
//! `examples/README.md` for the flow list).
//!
//! Everything is fixed (addresses, ports, sequence numbers, timestamps
//! starting at [`START`]), so regenerating always gives the same bytes.

use std::net::Ipv4Addr;

use crate::conversation::{Close, Direction, Endpoint, Frame, TcpConversation, UdpExchange};
use crate::packet::{BROADCAST_MAC, MacAddr, Packet};
use crate::pcap::{PcapFile, Timestamp};
use crate::proto::{dnp3, dns, iec104, modbus, s7comm, tls};

/// 2026-01-15T08:00:00Z, the time of the first packet.
pub const START: u32 = 1_768_464_000;

/// A host of the sample network.
#[derive(Clone, Copy, Debug)]
pub struct Host {
    /// Short name used in `examples/README.md`.
    pub name: &'static str,
    /// MAC address (locally administered).
    pub mac: MacAddr,
    /// IPv4 address.
    pub ip: Ipv4Addr,
}

const fn host(name: &'static str, last_mac: [u8; 2], ip: [u8; 4]) -> Host {
    Host {
        name,
        mac: [0x02, 0x00, 0x5e, 0x10, last_mac[0], last_mac[1]],
        ip: Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]),
    }
}

/// Substation LAN router / firewall (gateway to the IT services subnet).
pub const GATEWAY: Host = host("gw", [0x01, 0x01], [10, 10, 1, 1]);
/// SCADA HMI: Modbus, DNP3 and IEC 104 master.
pub const HMI: Host = host("hmi-01", [0x01, 0x0a], [10, 10, 1, 10]);
/// Engineering workstation: S7 programming, updates.
pub const EWS: Host = host("ews-01", [0x01, 0x14], [10, 10, 1, 20]);
/// Modbus/TCP PLC (unit 1).
pub const PLC_MODBUS: Host = host("plc-modbus", [0x01, 0x65], [10, 10, 1, 101]);
/// DNP3 outstation RTU (link address 10), reached on VLAN 10.
pub const RTU_DNP3: Host = host("rtu-dnp3", [0x01, 0x66], [10, 10, 1, 102]);
/// IEC 60870-5-104 RTU (common address 1).
pub const RTU_IEC104: Host = host("rtu-iec104", [0x01, 0x67], [10, 10, 1, 103]);
/// Siemens S7 PLC (rack 0, slot 2).
pub const PLC_S7: Host = host("plc-s7", [0x01, 0x68], [10, 10, 1, 104]);
/// DNS server on the IT services subnet.
pub const DNS_SERVER: Host = host("dns", [0x00, 0x35], [10, 10, 0, 53]);
/// Syslog collector on the IT services subnet.
pub const SYSLOG: Host = host("syslog", [0x00, 0x32], [10, 10, 0, 50]);
/// Web proxy / update mirror on the IT services subnet
/// (`updates.example.com` resolves to it).
pub const PROXY: Host = host("proxy", [0x00, 0x50], [10, 10, 0, 80]);

/// The VLAN carrying the DNP3 flow.
pub const DNP3_VLAN: u16 = 10;

fn ep(h: Host, port: u16) -> Endpoint {
    Endpoint::new(h.mac, h.ip, port)
}

/// Endpoint for a host on the IT subnet as seen on the substation LAN:
/// its frames carry the gateway's MAC.
fn remote(h: Host, port: u16) -> Endpoint {
    Endpoint::new(GATEWAY.mac, h.ip, port)
}

fn at(secs: u32, millis: u64) -> Timestamp {
    Timestamp::new(START + secs, 0).add_millis(millis)
}

fn frame(ts: Timestamp, dir: Direction, data: Vec<u8>) -> Frame {
    Frame { ts, dir, data }
}

/// ARP request/reply: hmi-01 resolves the gateway.
fn arp() -> Vec<Frame> {
    let req = Packet::ether(HMI.mac, BROADCAST_MAC)
        .pad_to(60)
        .arp_request(HMI.mac, HMI.ip, GATEWAY.ip)
        .build();
    let rep = Packet::ether(GATEWAY.mac, HMI.mac)
        .pad_to(60)
        .arp_reply(GATEWAY.mac, GATEWAY.ip, HMI.mac, HMI.ip)
        .build();
    vec![
        frame(at(0, 0), Direction::ToServer, req),
        frame(at(0, 0).add_micros(412), Direction::ToClient, rep),
    ]
}

/// ICMP echo request/reply: hmi-01 pings the gateway.
fn ping() -> Vec<Frame> {
    let data = b"abcdefghijklmnopqrstuvwabcdefghi";
    let req = Packet::ether(HMI.mac, GATEWAY.mac)
        .ipv4(HMI.ip, GATEWAY.ip)
        .id(0x5c01)
        .ttl(128)
        .icmp_echo_request(1, 1)
        .payload(data)
        .build();
    let rep = Packet::ether(GATEWAY.mac, HMI.mac)
        .ipv4(GATEWAY.ip, HMI.ip)
        .id(0xa411)
        .ttl(255)
        .icmp_echo_reply(1, 1)
        .payload(data)
        .build();
    vec![
        frame(at(0, 100), Direction::ToServer, req),
        frame(at(0, 100).add_micros(650), Direction::ToClient, rep),
    ]
}

/// DNS A query/response: ews-01 resolves updates.example.com.
fn dns_lookup() -> Vec<Frame> {
    let name = "updates.example.com";
    UdpExchange::new(ep(EWS, 53124), remote(DNS_SERVER, 53))
        .start(at(1, 0))
        .gap_micros(1800)
        .ttls(128, 127)
        .ip_ids(0x5d10, 0x0c21)
        .send(Direction::ToServer, &dns::query(0x4a2f, name, dns::TYPE_A))
        .send(
            Direction::ToClient,
            &dns::response_a(0x4a2f, name, 300, &[PROXY.ip]),
        )
        .frames()
}

/// HTTP/1.1 GET and 200 response: ews-01 fetches an update manifest.
fn http() -> Vec<Frame> {
    let body = b"{\"product\":\"substation-hmi\",\"channel\":\"stable\",\"latest\":\"4.2.1\",\"sha256\":\"9f2c4e1a7b3d5f60a8c9e2d4b6f8a0c1e3d5f7a9b1c3e5d7f9a1b3c5d7e9f1a3\"}\n";
    let req = b"GET /hmi/manifest.json HTTP/1.1\r\n\
Host: updates.example.com\r\n\
User-Agent: SubstationUpdater/2.3 (Windows NT 10.0; Win64; x64)\r\n\
Accept: application/json\r\n\
Connection: close\r\n\r\n";
    let mut rsp = format!(
        "HTTP/1.1 200 OK\r\n\
Date: Thu, 15 Jan 2026 08:00:01 GMT\r\n\
Server: nginx\r\n\
Content-Type: application/json\r\n\
Content-Length: {}\r\n\
Connection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    rsp.extend_from_slice(body);
    TcpConversation::new(ep(EWS, 49732), remote(PROXY, 80))
        .start(at(1, 200))
        .gap_micros(700)
        .isn(0x6b2e_11a0, 0x91c4_7f02)
        .ttls(128, 63)
        .ip_ids(0x5d11, 0xe301)
        .windows(64240, 64240)
        .client(req)
        .pause(2_500)
        .server(&rsp)
        .close(Close::Fin(Direction::ToClient))
        .frames()
}

/// TLS 1.2 ClientHello with SNI updates.example.com, answered by a RST.
fn tls_hello() -> Vec<Frame> {
    let mut random = [0u8; 32];
    for (i, b) in random.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37).wrapping_add(0x5a);
    }
    let hello = tls::client_hello("updates.example.com", random, &[]);
    TcpConversation::new(ep(EWS, 49733), remote(PROXY, 443))
        .start(at(2, 0))
        .gap_micros(700)
        .isn(0x0c7d_55e1, 0x44a1_9b30)
        .ttls(128, 63)
        .ip_ids(0x5d20, 0xe340)
        .windows(64240, 64240)
        .client(&hello)
        .close(Close::Rst(Direction::ToClient))
        .frames()
}

/// Modbus/TCP: hmi-01 polls plc-modbus (unit 1).
fn modbus_poll() -> Vec<Frame> {
    let regs = [2301, 2298, 2305, 412, 409, 415, 5000, 998, 1, 0];
    TcpConversation::new(ep(HMI, 50210), ep(PLC_MODBUS, 502))
        .start(at(3, 0))
        .gap_micros(400)
        .isn(0x3a10_0001, 0x0001_e240)
        .ttls(128, 64)
        .ip_ids(0x5c10, 0x0101)
        .windows(64240, 4096)
        .client(&modbus::adu(
            1,
            1,
            &modbus::read_holding_registers_request(0, 10),
        ))
        .server(&modbus::adu(
            1,
            1,
            &modbus::read_holding_registers_response(&regs),
        ))
        .pause(250_000)
        .client(&modbus::adu(2, 1, &modbus::write_single_coil(5, true)))
        .server(&modbus::adu(2, 1, &modbus::write_single_coil(5, true)))
        .pause(250_000)
        .client(&modbus::adu(
            3,
            1,
            &modbus::read_holding_registers_request(200, 10),
        ))
        .server(&modbus::adu(
            3,
            1,
            &modbus::exception(modbus::READ_HOLDING_REGISTERS, modbus::ILLEGAL_DATA_ADDRESS),
        ))
        .close(Close::Fin(Direction::ToServer))
        .frames()
}

/// DNP3: hmi-01 (master, address 1) class 0 poll of rtu-dnp3 (outstation
/// 10) on VLAN 10.
fn dnp3_poll() -> Vec<Frame> {
    let (master, outstation) = (1u16, 10u16);
    let request = dnp3::frame(true, outstation, master, 0, &dnp3::read_class0(0));
    let analogs = [(0x01, 13_215), (0x01, 13_198), (0x01, 412), (0x01, -37)];
    let response = dnp3::frame(
        false,
        master,
        outstation,
        0,
        &dnp3::response_analog_g30v1(0, 0x0000, 0, &analogs),
    );
    TcpConversation::new(ep(HMI, 50211), ep(RTU_DNP3, 20000))
        .vlan(DNP3_VLAN)
        .start(at(5, 0))
        .gap_micros(600)
        .isn(0x5e77_0100, 0x0a0b_0c0d)
        .ttls(128, 64)
        .ip_ids(0x5c20, 0x0201)
        .windows(64240, 8192)
        .client(&request)
        .server(&response)
        .close(Close::Fin(Direction::ToServer))
        .frames()
}

/// IEC 60870-5-104: hmi-01 starts data transfer with rtu-iec104 (common
/// address 1), runs a general interrogation and receives measurements.
fn iec104_session() -> Vec<Frame> {
    use iec104::*;
    let ca = 1;
    let gi_values = [
        (1001, 231.4_f32, 0x00),
        (1002, 230.9, 0x00),
        (1003, 49.98, 0x00),
    ];
    let spont = [(1003, 50.02_f32, 0x00)];
    TcpConversation::new(ep(HMI, 50212), ep(RTU_IEC104, 2404))
        .start(at(7, 0))
        .gap_micros(500)
        .isn(0x7710_0000, 0x00c0_ffee)
        .ttls(128, 64)
        .ip_ids(0x5c30, 0x0301)
        .windows(64240, 5840)
        .client(&u_frame(STARTDT_ACT))
        .server(&u_frame(STARTDT_CON))
        .client(&i_frame(
            0,
            0,
            &interrogation(COT_ACTIVATION, 0, ca, QOI_STATION),
        ))
        .server(&i_frame(
            0,
            1,
            &interrogation(COT_ACTIVATION_CON, 0, ca, QOI_STATION),
        ))
        .server(&i_frame(
            1,
            1,
            &measured_short_floats(COT_INTERROGATED_BY_STATION, 0, ca, &gi_values),
        ))
        .server(&i_frame(
            2,
            1,
            &interrogation(COT_ACTIVATION_TERM, 0, ca, QOI_STATION),
        ))
        .client(&s_frame(3))
        .pause(1_500_000)
        .server(&i_frame(
            3,
            1,
            &measured_short_floats(COT_SPONTANEOUS, 0, ca, &spont),
        ))
        .client(&s_frame(4))
        .close(Close::None)
        .frames()
}

/// S7comm: ews-01 connects to plc-s7 (rack 0 slot 2) and reads DB1.DBB0..3.
fn s7_session() -> Vec<Frame> {
    use s7comm::*;
    let (ews_tsap, plc_tsap) = (0x0100, 0x0102);
    TcpConversation::new(ep(EWS, 49734), ep(PLC_S7, 102))
        .start(at(9, 0))
        .gap_micros(800)
        .isn(0x1c2d_3e4f, 0x0000_7a00)
        .ttls(128, 30)
        .ip_ids(0x5d30, 0x0401)
        .windows(64240, 8192)
        .client(&tpkt(&cotp_connection_request(
            0x0001,
            ews_tsap,
            plc_tsap,
            TPDU_SIZE_1024,
        )))
        .server(&tpkt(&cotp_connection_confirm(
            0x0001,
            0x0044,
            ews_tsap,
            plc_tsap,
            TPDU_SIZE_1024,
        )))
        .client(&job(0x0100, &setup_communication_params(1, 1, 480), &[]))
        .server(&ack_data(
            0x0100,
            &setup_communication_params(1, 1, 240),
            &[],
        ))
        .client(&job(0x0200, &read_var_db_params(1, 0, 4), &[]))
        .server(&ack_data(
            0x0200,
            &read_var_response_params(1),
            &read_var_response_item(&[0x42, 0xc8, 0x00, 0x00]),
        ))
        .close(Close::Fin(Direction::ToServer))
        .frames()
}

/// The syslog message sent fragmented: an RFC 5424 audit record of about
/// 1.2 KB.
fn syslog_message() -> Vec<u8> {
    let mut msg = String::from(
        "<134>1 2026-01-15T08:00:11.000Z hmi-01 scada-audit 2240 ALARMACK \
[audit@32473 user=\"operator1\" console=\"HMI-A\" count=\"16\"] \
operator1 acknowledged 16 alarms:",
    );
    let points = [
        "52-CB1 trip circuit supervision",
        "52-CB2 SF6 density low stage 1",
        "T1 winding temperature high",
        "T1 oil level low",
        "BUS-A undervoltage phase B",
        "BUS-B frequency deviation",
        "BATT-110V charger fault",
        "RTU-DNP3 comms degraded",
    ];
    for i in 0..16 {
        // Raised between 07:23:28 and 07:57:43, oldest first.
        let raised = 7 * 3600 + 23 * 60 + 28 + i * 137;
        msg.push_str(&format!(
            " ALM-{:04} BAY{} {} (raised 2026-01-15T{:02}:{:02}:{:02}Z);",
            1040 + i * 7,
            1 + i % 4,
            points[i % points.len()],
            raised / 3600,
            raised / 60 % 60,
            raised % 60
        ));
    }
    msg.into_bytes()
}

/// One syslog datagram from hmi-01 to the collector, sent as 3 IPv4
/// fragments of at most 512 payload bytes.
fn syslog_fragments() -> Vec<Frame> {
    let msg = syslog_message();
    let frags = Packet::ether(HMI.mac, GATEWAY.mac)
        .ipv4(HMI.ip, SYSLOG.ip)
        .id(0x5c40)
        .ttl(128)
        .udp(51514, 514)
        .payload(&msg)
        .build_fragments(512);
    assert_eq!(frags.len(), 3, "syslog sample must be 3 fragments");
    frags
        .into_iter()
        .enumerate()
        .map(|(i, f)| frame(at(11, 0).add_micros(60 * i as u64), Direction::ToServer, f))
        .collect()
}

/// All flows of the sample, in capture order, each as frames.
pub fn flows() -> Vec<(&'static str, Vec<Frame>)> {
    vec![
        ("arp", arp()),
        ("icmp-echo", ping()),
        ("dns", dns_lookup()),
        ("http", http()),
        ("tls", tls_hello()),
        ("modbus", modbus_poll()),
        ("dnp3", dnp3_poll()),
        ("iec104", iec104_session()),
        ("s7comm", s7_session()),
        ("syslog-fragments", syslog_fragments()),
    ]
}

/// The complete sample capture, records sorted by time.
pub fn sample_ot_it() -> PcapFile {
    let mut pcap = PcapFile::new();
    for (_, frames) in flows() {
        pcap.extend(&frames);
    }
    pcap.sort_by_time();
    pcap
}
