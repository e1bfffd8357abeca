//! SSH over suricata-verify captures, against the records and anomalies
//! Suricata 7.0.10 writes for them, with HASSH off (its default) and on
//! (skips when the shared corpus is absent).

mod ot_corpus;

use std::path::PathBuf;

/// A suricata-verify capture, or `None` (with a message) when the shared
/// corpus is absent.
fn sv_capture(rel: &str) -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/suricata-verify/tests")
        .join(rel);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipping: corpus capture {} not present", p.display());
        None
    }
}

/// Runs every case: the records of `event_type` must be the reference's
/// (as a multiset: flows may end in another order), and so must the
/// application-layer anomalies.
fn check(event_type: &str, cases: &[Case]) -> usize {
    let mut checked = 0;
    for (rel, want, want_events) in cases {
        let Some(path) = sv_capture(rel) else {
            continue;
        };
        let out = ot_corpus::run(&path);
        let mut got: Vec<&str> = out
            .records
            .iter()
            .filter(|(t, _)| *t == event_type)
            .map(|(_, j)| j.as_str())
            .collect();
        got.sort_unstable();
        let mut want: Vec<&str> = want.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{rel}");
        let mut ev = out.events.clone();
        ev.sort_unstable();
        let mut want_ev = want_events.to_vec();
        want_ev.sort_unstable();
        assert_eq!(ev, want_ev, "{rel}: anomalies");
        checked += 1;
    }
    checked
}

type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// (capture, the reference's `ssh` objects, its `ssh` anomalies), default
/// configuration.
const SSH_CASES: &[Case] = &[
    (
        "ssh-banner-only/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-incomplete/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_6.7p1"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4p1"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-only/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-reassembled/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"1.99","software_version":"Cisco-1.25"},"server":{"proto_version":"2.0","software_version":"Cisco-1.25"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-newkeys/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"libssh-0.7.2"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4"}}}"#,
        ],
        &[],
    ),
];

/// The same with `app-layer.protocols.ssh.hassh: yes`.
const SSH_HASSH_CASES: &[Case] = &[
    (
        "ssh-banner-only/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7"},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-incomplete/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_6.7p1","hassh":{"hash":"46c5bd9748882f1a5d75753fb7d47a61","string":"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group14-sha1,diffie-hellman-group-exchange-sha1,diffie-hellman-group1-sha1;aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,arcfour256,arcfour128,aes128-cbc,3des-cbc,blowfish-cbc,cast128-cbc,aes192-cbc,aes256-cbc,arcfour,rijndael-cbc@lysator.liu.se;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-md5-etm@openssh.com,hmac-ripemd160-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-md5-96-etm@openssh.com,hmac-md5,hmac-ripemd160,hmac-ripemd160@openssh.com,hmac-sha1-96,hmac-md5-96;none,zlib@openssh.com,zlib"}},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4p1"}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-only/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7","hassh":{"hash":"2dd6531c7e89d3c925db9214711be76a","string":"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,ext-info-c;chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none"}},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4","hassh":{"hash":"6832f1ce43d4397c2c0a3e2f8c94334e","string":"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1;chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,3des-cbc;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none,zlib@openssh.com"}}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh-reassembled/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"1.99","software_version":"Cisco-1.25","hassh":{"hash":"3cc67862bceac0f334c62ad1b76895b4","string":"diffie-hellman-group1-sha1;aes128-cbc,3des-cbc,aes192-cbc,aes256-cbc;hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96;none"}},"server":{"proto_version":"2.0","software_version":"Cisco-1.25","hassh":{"hash":"3cc67862bceac0f334c62ad1b76895b4","string":"diffie-hellman-group1-sha1;aes128-cbc,3des-cbc,aes192-cbc,aes256-cbc;hmac-sha1,hmac-sha1-96,hmac-md5,hmac-md5-96;none"}}}}"#,
        ],
        &[],
    ),
    (
        "ssh-hassh/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"OpenSSH_for_Windows_7.7","hassh":{"hash":"2dd6531c7e89d3c925db9214711be76a","string":"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,ext-info-c;chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none"}},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4","hassh":{"hash":"6832f1ce43d4397c2c0a3e2f8c94334e","string":"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1;chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,3des-cbc;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none,zlib@openssh.com"}}}}"#,
        ],
        &[],
    ),
    (
        "ssh-newkeys/input.pcap",
        &[
            r#"{"ssh":{"client":{"proto_version":"2.0","software_version":"libssh-0.7.2","hassh":{"hash":"c8c5fbf80b7b0a1b0e4de5e683f3c5ad","string":"curve25519-sha256@libssh.org,ecdh-sha2-nistp256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1;aes256-ctr,aes192-ctr,aes128-ctr,aes256-cbc,aes192-cbc,aes128-cbc,blowfish-cbc,3des-cbc;hmac-sha2-256,hmac-sha2-512,hmac-sha1;none"}},"server":{"proto_version":"2.0","software_version":"OpenSSH_7.4","hassh":{"hash":"6832f1ce43d4397c2c0a3e2f8c94334e","string":"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1;chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-cbc,aes192-cbc,aes256-cbc,blowfish-cbc,cast128-cbc,3des-cbc;umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1;none,zlib@openssh.com"}}}}"#,
        ],
        &[],
    ),
];

// One test: HASSH is a process-wide setting read when a parser is created.
#[test]
fn corpus_ssh_like_reference() {
    vigil_proto::it::ssh::set_hassh(false);
    let n = check("ssh", SSH_CASES);
    vigil_proto::it::ssh::set_hassh(true);
    let m = check("ssh", SSH_HASSH_CASES);
    vigil_proto::it::ssh::set_hassh(false);
    if n > 0 {
        assert_eq!((n, m), (SSH_CASES.len(), SSH_HASSH_CASES.len()));
    }
}
