//! Decoder anomalies, named as Suricata names them (`decoder.ipv4.trunc_pkt`),
//! so that rules using `decode-event:` and dashboards reading EVE `anomaly`
//! records keep working.

macro_rules! decode_events {
    ($( $variant:ident => $name:literal, )*) => {
        /// A decoder anomaly. [`DecodeEvent::name`] gives Suricata's name.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(u16)]
        pub enum DecodeEvent {
            $( #[doc = $name] $variant, )*
        }

        impl DecodeEvent {
            /// Every event, in declaration order (index = `as usize`).
            pub const ALL: &'static [DecodeEvent] = &[ $( DecodeEvent::$variant, )* ];

            /// Suricata's full event name, e.g. `decoder.ipv4.trunc_pkt`.
            pub fn name(self) -> &'static str {
                match self {
                    $( DecodeEvent::$variant => $name, )*
                }
            }
        }
    };
}

decode_events! {
    EthernetPktTooSmall => "decoder.ethernet.pkt_too_small",
    VlanHeaderTooSmall => "decoder.vlan.header_too_small",
    VlanUnknownType => "decoder.vlan.unknown_type",
    VlanTooManyLayers => "decoder.vlan.too_many_layers",
    SllPktTooSmall => "decoder.sll.pkt_too_small",
    NullPktTooSmall => "decoder.null.pkt_too_small",
    NullUnsupportedType => "decoder.null.unsupported_type",
    PppPktTooSmall => "decoder.ppp.pkt_too_small",
    PppUnsupProto => "decoder.ppp.unsup_proto",
    PppoePktTooSmall => "decoder.pppoe.pkt_too_small",
    PppoeWrongCode => "decoder.pppoe.wrong_code",
    PppoeMalformedTags => "decoder.pppoe.malformed_tags",
    ArpPktTooSmall => "decoder.arp.pkt_too_small",
    Ipv4PktTooSmall => "decoder.ipv4.pkt_too_small",
    Ipv4HlenTooSmall => "decoder.ipv4.hlen_too_small",
    Ipv4IplenSmallerThanHlen => "decoder.ipv4.iplen_smaller_than_hlen",
    Ipv4TruncPkt => "decoder.ipv4.trunc_pkt",
    Ipv4OptInvalid => "decoder.ipv4.opt_invalid",
    Ipv4OptInvalidLen => "decoder.ipv4.opt_invalid_len",
    Ipv4OptMalformed => "decoder.ipv4.opt_malformed",
    Ipv4OptPadRequired => "decoder.ipv4.opt_pad_required",
    Ipv4OptEolRequired => "decoder.ipv4.opt_eol_required",
    Ipv4OptDuplicate => "decoder.ipv4.opt_duplicate",
    Ipv4OptUnknown => "decoder.ipv4.opt_unknown",
    Ipv4WrongIpVersion => "decoder.ipv4.wrong_ip_version",
    Ipv4Icmpv6 => "decoder.ipv4.icmpv6",
    Ipv4FragPktTooLarge => "decoder.ipv4.frag_pkt_too_large",
    Ipv4FragOverlap => "decoder.ipv4.frag_overlap",
    Ipv4FragIgnored => "decoder.ipv4.frag_ignored",
    Ipv6PktTooSmall => "decoder.ipv6.pkt_too_small",
    Ipv6TruncPkt => "decoder.ipv6.trunc_pkt",
    Ipv6TruncExthdr => "decoder.ipv6.trunc_exthdr",
    Ipv6ExthdrDuplFh => "decoder.ipv6.exthdr_dupl_fh",
    Ipv6ExthdrUselessFh => "decoder.ipv6.exthdr_useless_fh",
    Ipv6ExthdrDuplRh => "decoder.ipv6.exthdr_dupl_rh",
    Ipv6ExthdrDuplHh => "decoder.ipv6.exthdr_dupl_hh",
    Ipv6ExthdrDuplDh => "decoder.ipv6.exthdr_dupl_dh",
    Ipv6ExthdrDuplAh => "decoder.ipv6.exthdr_dupl_ah",
    Ipv6ExthdrDuplEh => "decoder.ipv6.exthdr_dupl_eh",
    Ipv6ExthdrInvalidOptlen => "decoder.ipv6.exthdr_invalid_optlen",
    Ipv6WrongIpVersion => "decoder.ipv6.wrong_ip_version",
    Ipv6ExthdrAhResNotNull => "decoder.ipv6.exthdr_ah_res_not_null",
    Ipv6HopoptsUnknownOpt => "decoder.ipv6.hopopts_unknown_opt",
    Ipv6HopoptsOnlyPadding => "decoder.ipv6.hopopts_only_padding",
    Ipv6DstoptsUnknownOpt => "decoder.ipv6.dstopts_unknown_opt",
    Ipv6DstoptsOnlyPadding => "decoder.ipv6.dstopts_only_padding",
    Ipv6RhType0 => "decoder.ipv6.rh_type_0",
    Ipv6ZeroLenPadn => "decoder.ipv6.zero_len_padn",
    Ipv6FhNonZeroResField => "decoder.ipv6.fh_non_zero_reserved_field",
    Ipv6DataAfterNoneHeader => "decoder.ipv6.data_after_none_header",
    Ipv6UnknownNextHeader => "decoder.ipv6.unknown_next_header",
    Ipv6Icmpv4 => "decoder.ipv6.icmpv4",
    Ipv6FragPktTooLarge => "decoder.ipv6.frag_pkt_too_large",
    Ipv6FragOverlap => "decoder.ipv6.frag_overlap",
    Ipv6FragInvalidLength => "decoder.ipv6.frag_invalid_length",
    Ipv6FragIgnored => "decoder.ipv6.frag_ignored",
    Ipv6Ipv4InIpv6TooSmall => "decoder.ipv6.ipv4_in_ipv6_too_small",
    Ipv6Ipv4InIpv6WrongVersion => "decoder.ipv6.ipv4_in_ipv6_wrong_version",
    Ipv6Ipv6InIpv6TooSmall => "decoder.ipv6.ipv6_in_ipv6_too_small",
    Ipv6Ipv6InIpv6WrongVersion => "decoder.ipv6.ipv6_in_ipv6_wrong_version",
    TcpPktTooSmall => "decoder.tcp.pkt_too_small",
    TcpHlenTooSmall => "decoder.tcp.hlen_too_small",
    TcpInvalidOptlen => "decoder.tcp.invalid_optlen",
    TcpOptInvalidLen => "decoder.tcp.opt_invalid_len",
    TcpOptDuplicate => "decoder.tcp.opt_duplicate",
    UdpPktTooSmall => "decoder.udp.pkt_too_small",
    UdpHlenTooSmall => "decoder.udp.hlen_too_small",
    UdpHlenInvalid => "decoder.udp.hlen_invalid",
    UdpLenInvalid => "decoder.udp.len_invalid",
    Icmpv4PktTooSmall => "decoder.icmpv4.pkt_too_small",
    Icmpv4UnknownType => "decoder.icmpv4.unknown_type",
    Icmpv4UnknownCode => "decoder.icmpv4.unknown_code",
    Icmpv4Ipv4TruncPkt => "decoder.icmpv4.ipv4_trunc_pkt",
    Icmpv4Ipv4UnknownVer => "decoder.icmpv4.ipv4_unknown_ver",
    Icmpv6UnknownType => "decoder.icmpv6.unknown_type",
    Icmpv6UnknownCode => "decoder.icmpv6.unknown_code",
    Icmpv6PktTooSmall => "decoder.icmpv6.pkt_too_small",
    Icmpv6Ipv6UnknownVer => "decoder.icmpv6.ipv6_unknown_version",
    Icmpv6Ipv6TruncPkt => "decoder.icmpv6.ipv6_trunc_pkt",
    Icmpv6MldMessageWithInvalidHl => "decoder.icmpv6.mld_message_with_invalid_hl",
    Icmpv6UnassignedType => "decoder.icmpv6.unassigned_type",
    Icmpv6ExperimentationType => "decoder.icmpv6.experimentation_type",
    SctpPktTooSmall => "decoder.sctp.pkt_too_small",
    EspPktTooSmall => "decoder.esp.pkt_too_small",
    GrePktTooSmall => "decoder.gre.pkt_too_small",
    GreWrongVersion => "decoder.gre.wrong_version",
    GreVersion0Recur => "decoder.gre.version0_recur",
    GreVersion0Flags => "decoder.gre.version0_flags",
    GreVersion0HdrTooBig => "decoder.gre.version0_hdr_too_big",
    GreVersion0MalformedSreHdr => "decoder.gre.version0_malformed_sre_hdr",
    GreVersion1Chksum => "decoder.gre.version1_chksum",
    GreVersion1Route => "decoder.gre.version1_route",
    GreVersion1Ssr => "decoder.gre.version1_ssr",
    GreVersion1Recur => "decoder.gre.version1_recur",
    GreVersion1Flags => "decoder.gre.version1_flags",
    GreVersion1NoKey => "decoder.gre.version1_no_key",
    GreVersion1WrongProtocol => "decoder.gre.version1_wrong_protocol",
    GreVersion1MalformedSreHdr => "decoder.gre.version1_malformed_sre_hdr",
    GreVersion1HdrTooBig => "decoder.gre.version1_hdr_too_big",
    MplsHeaderTooSmall => "decoder.mpls.header_too_small",
    MplsPktTooSmall => "decoder.mpls.pkt_too_small",
    MplsBadLabelRouterAlert => "decoder.mpls.bad_label_router_alert",
    MplsBadLabelImplicitNull => "decoder.mpls.bad_label_implicit_null",
    MplsBadLabelReserved => "decoder.mpls.bad_label_reserved",
    MplsUnknownPayloadType => "decoder.mpls.unknown_payload_type",
    VxlanUnknownPayloadType => "decoder.vxlan.unknown_payload_type",
    IprawInvalidIpv => "decoder.ipraw.invalid_ip_version",
    ErspanHeaderTooSmall => "decoder.erspan.header_too_small",
    ErspanUnsupportedVersion => "decoder.erspan.unsupported_version",
    ErspanTooManyVlanLayers => "decoder.erspan.too_many_vlan_layers",
    TooManyLayers => "decoder.too_many_layers",
    UnknownEthertype => "decoder.unknown_ethertype",
    PppWrongType => "decoder.ppp.wrong_type",
    PppVjuPktTooSmall => "decoder.ppp.vju_pkt_too_small",
    PppIpv4PktTooSmall => "decoder.ppp.ip4_pkt_too_small",
    PppIpv6PktTooSmall => "decoder.ppp.ip6_pkt_too_small",
    GeneveUnknownPayloadType => "decoder.geneve.unknown_payload_type",
    Ieee8021ahHeaderTooSmall => "decoder.ieee8021ah.header_too_small",
}

impl DecodeEvent {
    /// True for the anomalies that make Suricata treat the packet as invalid
    /// (its `ENGINE_SET_INVALID_EVENT` class: headers too short, truncated,
    /// wrong versions, impossible lengths), which `decoder.invalid` counts.
    /// Other anomalies (odd options, unknown types, fragment oddities) only
    /// raise their own counter.
    pub fn is_invalid(self) -> bool {
        let name = self.name();
        if name == "decoder.vlan.unknown_type" || name == "decoder.too_many_layers" {
            return true;
        }
        let tail = name.rsplit('.').next().unwrap_or("");
        matches!(
            tail,
            "pkt_too_small"
                | "header_too_small"
                | "hlen_too_small"
                | "trunc_pkt"
                | "trunc_exthdr"
                | "iplen_smaller_than_hlen"
                | "wrong_ip_version"
                | "invalid_optlen"
                | "len_invalid"
                | "hlen_invalid"
                | "opt_invalid_len"
                | "opt_malformed"
                | "ipv4_trunc_pkt"
                | "ipv4_unknown_ver"
                | "ipv6_trunc_pkt"
                | "ipv6_unknown_version"
                | "invalid_ip_version"
                | "unsupported_version"
                | "too_many_layers"
                | "too_many_vlan_layers"
                | "wrong_version"
                | "wrong_code"
                | "malformed_tags"
                | "unsup_proto"
                | "wrong_type"
                | "vju_pkt_too_small"
                | "ip4_pkt_too_small"
                | "ip6_pkt_too_small"
                | "ipv4_in_ipv6_too_small"
                | "ipv6_in_ipv6_too_small"
                | "ipv4_in_ipv6_wrong_version"
                | "ipv6_in_ipv6_wrong_version"
                | "unsupported_type"
        )
    }
}

/// Most anomalies one packet can carry; further ones are dropped (counted).
pub const MAX_EVENTS_PER_PACKET: usize = 8;

/// A fixed-capacity list of anomalies (no allocation on the hot path).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventList {
    events: [Option<DecodeEvent>; MAX_EVENTS_PER_PACKET],
    len: u8,
    /// Events that did not fit.
    pub overflow: u8,
}

impl EventList {
    /// Appends an event. Repeats are kept: Suricata logs an anomaly record
    /// for each occurrence (e.g. two bad IPv4 options in one header).
    pub fn push(&mut self, event: DecodeEvent) {
        match self.events.get_mut(usize::from(self.len)) {
            Some(slot) => {
                *slot = Some(event);
                self.len += 1;
            }
            None => self.overflow = self.overflow.saturating_add(1),
        }
    }

    /// True when `event` was recorded.
    pub fn contains(&self, event: DecodeEvent) -> bool {
        self.iter().any(|e| e == event)
    }

    /// The recorded events in order.
    pub fn iter(&self) -> impl Iterator<Item = DecodeEvent> + '_ {
        self.events
            .iter()
            .take(usize::from(self.len))
            .flatten()
            .copied()
    }

    /// Number of recorded events.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod invalid_tests {
    use super::DecodeEvent;

    #[test]
    fn invalid_class_matches_suricata() {
        // Seen as invalid by Suricata 7 on the benchmark capture.
        for e in [
            DecodeEvent::VlanUnknownType,
            DecodeEvent::Ipv4TruncPkt,
            DecodeEvent::Ipv4WrongIpVersion,
            DecodeEvent::Ipv4OptInvalidLen,
            DecodeEvent::Ipv6TruncExthdr,
            DecodeEvent::TcpHlenTooSmall,
            DecodeEvent::TcpInvalidOptlen,
            DecodeEvent::UdpLenInvalid,
        ] {
            assert!(e.is_invalid(), "{}", e.name());
        }
        // Counted, but the packet stays valid.
        for e in [
            DecodeEvent::Ipv4OptPadRequired,
            DecodeEvent::Ipv6FragInvalidLength,
            DecodeEvent::Ipv6ZeroLenPadn,
            DecodeEvent::Icmpv4UnknownType,
            DecodeEvent::Ipv6ExthdrDuplFh,
            DecodeEvent::UnknownEthertype,
        ] {
            assert!(!e.is_invalid(), "{}", e.name());
        }
    }
}
