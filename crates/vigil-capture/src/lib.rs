//! Packet sources: pcap and pcapng files (and stdin), and a pcap writer.
