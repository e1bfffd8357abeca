//! TLS over suricata-verify captures, against the records and anomalies
//! Suricata 7.0.10 writes for them with its default configuration (skips
//! when the shared corpus is absent).

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

/// (capture, the reference's `tls` objects, its `tls` anomalies).
const TLS_CASES: &[Case] = &[
    (
        "ja4-tls/input.pcap",
        &[
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-bypass-missing-event/tor_bl.pcap",
        &[
            r#"{"tls":{"sni":"www.4gk67zpn3brh7qxg.com","version":"TLS 1.3"}}"#,
            r#"{"tls":{"sni":"www.e4od3hnssyu6g.com","version":"TLS 1.3"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-cert-issuer/tls.pcap",
        &[
            r#"{"tls":{"session_resumed":true,"version":"TLS 1.2"}}"#,
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-cert-noissuer/tls.pcap",
        &[
            r#"{"tls":{"subject":"C=US, ST=Arizona, L=Scottsdale, streetAddress=, postalCode=6565, CN=localhost","issuerdn":"","serial":"00:99:EB:86:2A:01:F8:48:DD:B2:A6:39:F2:1A:FC:03:54","fingerprint":"fa:5f:67:f7:3e:6e:24:53:e8:17:5d:7f:bc:a6:bc:20:66:fb:62:12","version":"TLS 1.2","notbefore":"2021-12-26T00:39:18","notafter":"2024-12-25T00:39:18"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-certs-alert/input.pcap",
        &[
            r#"{"tls":{"subject":"C=US, ST=California, L=Los Angeles, O=Internet Corporation for Assigned Names and Numbers, OU=Technology, CN=www.example.org","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA","serial":"0F:D0:78:DD:48:F1:A2:BD:4D:0F:2B:A9:6B:60:38:FE","fingerprint":"7b:b6:98:38:69:70:36:3d:29:19:cc:57:72:84:69:84:ff:d4:a8:89","sni":"example.com","version":"TLS 1.2","notbefore":"2018-11-28T00:00:00","notafter":"2020-12-02T12:00:00"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-client-hello-frag-01/dump_mtu300.pcap",
        &[
            r#"{"tls":{"subject":"CN=www.google.com","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"00:BB:2A:80:CC:14:FC:DD:BC:12:02:B2:A0:86:BD:1D:17","fingerprint":"27:2e:56:1b:56:00:b7:8d:84:07:c7:62:41:02:94:f3:9a:a0:c3:5e","sni":"www.google.com","version":"TLS 1.2","notbefore":"2022-07-18T08:25:34","notafter":"2022-10-10T08:25:33"}}"#,
        ],
        &[],
    ),
    (
        "tls-duplicate-hello/input.pcap",
        &[r#"{"tls":{"sni":"localhost","version":"TLS 1.3"}}"#],
        &["MULTIPLE_SNI_EXTENSIONS"],
    ),
    ("tls-extra-alert/input.pcap", &[], &[]),
    (
        "tls/tls-fin-close-data-01/debug-s13.pcap",
        &[r#"{"tls":{"sni":"rr4---sn-5hne6nzy.googlevideo.com","version":"TLS 1.3"}}"#],
        &[],
    ),
    (
        "tls/tls-fingerprint-alert/input.pcap",
        &[
            r#"{"tls":{"subject":"C=US, ST=California, L=Mountain View, O=Google Inc, CN=www.google.com","issuerdn":"C=US, O=Google Inc, CN=Google Internet Authority G2","serial":"2B:A2:F5:3B:B5:85:83:75","fingerprint":"90:86:a4:3b:f5:cf:1b:2e:4e:f7:97:96:f9:de:ba:b9:66:35:86:3f","sni":"www.google.com","version":"TLS 1.2","notbefore":"2016-09-14T08:20:40","notafter":"2016-12-07T08:19:00"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-pre-1970/input.pcap",
        &[
            r#"{"tls":{"subject":"OU=vd, CN=fkp.samsungcloudsolution.com","issuerdn":"C=KR, ST=Kyunggido, L=Suwon, O=Samsung Electronics, OU=SW2 SISC, CN=ROOT CA SISC FKP2_PLUS","serial":"32","fingerprint":"71:cd:fe:08:7f:3d:2a:18:32:69:38:fa:bd:64:7b:c6:cf:cc:44:8e","sni":"fkp.samsungcloudsolution.com","version":"TLSv1","notbefore":"1969-12-31T00:00:00","notafter":"2038-12-31T00:10:03"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-random-6989/input.pcap",
        &[
            r#"{"tls":{"subject":"O=INetSim, OU=Development, CN=inetsim.org","issuerdn":"O=INetSim, OU=Development, CN=inetsim.org","serial":"00:97:51:3E:C7:C1:E5:8A:90","fingerprint":"e8:89:b9:c0:b3:2b:8e:8d:e1:ce:32:73:4c:95:5b:df:5a:f7:7d:53","sni":"www.apple.com","version":"TLSv1","notbefore":"2014-07-15T17:04:39","notafter":"2024-07-12T17:04:39"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-random/input.pcap",
        &[
            r#"{"tls":{"subject":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","issuerdn":"C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS","serial":"00:97:E6:47:09:8E:EA:C9:B4","fingerprint":"3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b","version":"TLS 1.2","notbefore":"2015-02-12T18:07:27","notafter":"2025-02-09T18:07:27"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-store-02/tls-client-auth.pcap",
        &[
            r#"{"tls":{"subject":"C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleServer, CN=SampleServer","issuerdn":"C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleCA, CN=SampleRoot","serial":"00:C7:D4:28:8B:80:E0:1E:25","fingerprint":"06:39:f9:5d:fe:81:53:c4:9d:f0:ac:80:3e:2d:42:07:e8:96:de:09","sni":"localhost","version":"TLS 1.2","notbefore":"2018-04-14T20:55:27","notafter":"2018-05-14T20:55:27","client":{"subject":"C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleClient, CN=SampleClientJane","issuerdn":"C=HU, ST=Budapest, L=Budapest, O=TLSClientAuthSampleCA, CN=SampleRoot","fingerprint":"32:56:41:d0:6a:ff:47:cb:21:e4:89:c5:ae:2a:a2:d8:1b:c9:70:0c","serial":"00:C7:D4:28:8B:80:E0:1E:27","notbefore":"2018-04-14T20:55:27","notafter":"2018-05-14T20:55:27"}}}"#,
        ],
        &[],
    ),
    (
        "tls/tls-subjectaltname/input.pcap",
        &[
            r#"{"tls":{"session_resumed":true,"sni":"pagead2.googlesyndication.com","version":"TLS 1.2"}}"#,
            r#"{"tls":{"subject":"C=RU, L=Moscow, OU=ITO, O=Yandex LLC, CN=mc.yandex.ru","issuerdn":"C=RU, O=Yandex LLC, OU=Yandex Certification Authority, CN=Yandex CA","serial":"69:53:28:83:EE:87:4D:7C:4C:92:7D:33:72:7C:41:7C","fingerprint":"a9:96:96:2d:a2:de:1c:64:b5:0a:db:4d:37:70:d3:21:a1:19:21:03","sni":"mc.yandex.ru","version":"TLS 1.2","notbefore":"2021-12-22T08:59:46","notafter":"2022-06-03T00:00:00"}}"#,
            r#"{"tls":{"subject":"C=RU, L=Moscow, OU=ITO, O=Yandex LLC, CN=mc.yandex.ru","issuerdn":"C=RU, O=Yandex LLC, OU=Yandex Certification Authority, CN=Yandex CA","serial":"69:53:28:83:EE:87:4D:7C:4C:92:7D:33:72:7C:41:7C","fingerprint":"a9:96:96:2d:a2:de:1c:64:b5:0a:db:4d:37:70:d3:21:a1:19:21:03","sni":"mc.yandex.ru","version":"TLS 1.2","notbefore":"2021-12-22T08:59:46","notafter":"2022-06-03T00:00:00"}}"#,
            r#"{"tls":{"subject":"C=RU, L=Moscow, OU=ITO, O=Yandex LLC, CN=mc.yandex.ru","issuerdn":"C=RU, O=Yandex LLC, OU=Yandex Certification Authority, CN=Yandex CA","serial":"69:53:28:83:EE:87:4D:7C:4C:92:7D:33:72:7C:41:7C","fingerprint":"a9:96:96:2d:a2:de:1c:64:b5:0a:db:4d:37:70:d3:21:a1:19:21:03","sni":"mc.yandex.ru","version":"TLS 1.2","notbefore":"2021-12-22T08:59:46","notafter":"2022-06-03T00:00:00"}}"#,
            r#"{"tls":{"subject":"C=US, ST=WA, L=Redmond, O=Microsoft Corporation, CN=query.prod.cms.msn.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft Azure TLS Issuing CA 05","serial":"33:00:1F:69:0B:A7:E7:FA:F6:50:17:2E:B0:00:00:00:1F:69:0B","fingerprint":"ac:d8:0b:f7:87:8c:60:5d:f7:ea:b0:7e:8e:5f:45:55:c3:4e:01:8a","sni":"query.prod.cms.msn.com","version":"TLS 1.2","notbefore":"2021-10-26T21:31:30","notafter":"2022-10-21T21:31:30"}}"#,
            r#"{"tls":{"subject":"C=US, ST=WA, L=Redmond, O=Microsoft Corporation, CN=query.prod.cms.msn.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft Azure TLS Issuing CA 05","serial":"33:00:1F:69:0B:A7:E7:FA:F6:50:17:2E:B0:00:00:00:1F:69:0B","fingerprint":"ac:d8:0b:f7:87:8c:60:5d:f7:ea:b0:7e:8e:5f:45:55:c3:4e:01:8a","sni":"query.prod.cms.msn.com","version":"TLS 1.2","notbefore":"2021-10-26T21:31:30","notafter":"2022-10-21T21:31:30"}}"#,
            r#"{"tls":{"subject":"C=US, ST=WA, L=Redmond, O=Microsoft Corporation, OU=Microsoft Corporation, CN=go.microsoft.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:1F:1F:B8:02:9F:C1:BD:63:55:EC:B2:00:00:00:1F:1F:B8","fingerprint":"3c:3e:41:08:22:06:12:df:74:18:c4:a0:e4:23:3c:15:11:42:97:82","sni":"go.microsoft.com","version":"TLS 1.2","notbefore":"2021-12-15T19:27:42","notafter":"2022-12-15T19:27:42"}}"#,
            r#"{"tls":{"subject":"C=US, ST=WA, L=Redmond, O=Microsoft Corporation, OU=Microsoft Corporation, CN=go.microsoft.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:1F:1F:B8:02:9F:C1:BD:63:55:EC:B2:00:00:00:1F:1F:B8","fingerprint":"3c:3e:41:08:22:06:12:df:74:18:c4:a0:e4:23:3c:15:11:42:97:82","sni":"go.microsoft.com","version":"TLS 1.2","notbefore":"2021-12-15T19:27:42","notafter":"2022-12-15T19:27:42"}}"#,
            r#"{"tls":{"subject":"C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN=*.vo.msecnd.net","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA","serial":"08:8C:B0:43:AB:01:29:66:2F:51:36:76:2E:80:54:5E","fingerprint":"43:64:16:4b:73:33:82:e8:0f:a9:73:e6:cc:d5:11:b5:ee:fe:e3:4b","sni":"iecvlist.microsoft.com","version":"TLS 1.2","notbefore":"2021-08-06T00:00:00","notafter":"2022-08-06T23:59:59"}}"#,
            r#"{"tls":{"subject":"C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN=*.vo.msecnd.net","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA","serial":"08:8C:B0:43:AB:01:29:66:2F:51:36:76:2E:80:54:5E","fingerprint":"43:64:16:4b:73:33:82:e8:0f:a9:73:e6:cc:d5:11:b5:ee:fe:e3:4b","sni":"r20swj13mr.microsoft.com","version":"TLS 1.2","notbefore":"2021-08-06T00:00:00","notafter":"2022-08-06T23:59:59"}}"#,
            r#"{"tls":{"subject":"C=US, ST=Washington, L=Redmond, O=Microsoft Corporation, CN=*.vo.msecnd.net","issuerdn":"C=US, O=DigiCert Inc, CN=DigiCert SHA2 Secure Server CA","serial":"08:8C:B0:43:AB:01:29:66:2F:51:36:76:2E:80:54:5E","fingerprint":"43:64:16:4b:73:33:82:e8:0f:a9:73:e6:cc:d5:11:b5:ee:fe:e3:4b","sni":"r20swj13mr.microsoft.com","version":"TLS 1.2","notbefore":"2021-08-06T00:00:00","notafter":"2022-08-06T23:59:59"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","issuerdn":"C=XX, CN=mamzon.ru, L=XX, O=XX, OU=XX, ST=XX, Email=webmaster@mamzon.ru, subjectAltName=*.mamzon.ru www.mamzon.ru","serial":"00:96:DF:47:0E:A5:7E:70:9D","fingerprint":"29:74:0a:40:88:5b:8a:41:ba:ab:a4:e5:af:34:53:7a:2e:1d:d8:d7","sni":"mamzon.ru","version":"TLS 1.2","notbefore":"2016-12-29T15:26:53","notafter":"2017-12-28T15:26:53"}}"#,
            r#"{"tls":{"subject":"CN=*.g.doubleclick.net","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"76:DC:8B:AF:0E:42:FE:54:0A:00:00:00:01:37:87:65","fingerprint":"b1:68:a6:4e:45:9e:0d:7c:49:1d:56:89:2a:7b:67:84:7c:7a:df:c8","sni":"googleads.g.doubleclick.net","version":"TLS 1.2","notbefore":"2022-02-17T10:20:37","notafter":"2022-05-12T10:20:36"}}"#,
            r#"{"tls":{"subject":"CN=*.g.doubleclick.net","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"76:DC:8B:AF:0E:42:FE:54:0A:00:00:00:01:37:87:65","fingerprint":"b1:68:a6:4e:45:9e:0d:7c:49:1d:56:89:2a:7b:67:84:7c:7a:df:c8","sni":"pagead2.googlesyndication.com","version":"TLS 1.2","notbefore":"2022-02-17T10:20:37","notafter":"2022-05-12T10:20:36"}}"#,
            r#"{"tls":{"subject":"CN=*.google.com","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"00:D6:C4:D3:13:87:9A:98:17:0A:00:00:00:01:37:87:76","fingerprint":"8e:4a:b0:91:50:92:3e:08:a2:cb:65:fd:c1:df:57:4f:f5:ed:90:bd","sni":"adservice.google.com","version":"TLS 1.2","notbefore":"2022-02-17T10:22:00","notafter":"2022-05-12T10:21:59"}}"#,
            r#"{"tls":{"subject":"CN=*.google.fr","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"00:E6:0F:85:B6:3D:88:F3:A6:0A:00:00:00:01:37:8B:D9","fingerprint":"37:89:fb:ef:7e:72:75:c7:f2:73:28:71:4e:8a:8c:c9:22:49:e8:62","sni":"adservice.google.fr","version":"TLS 1.2","notbefore":"2022-02-17T12:15:41","notafter":"2022-05-12T12:15:40"}}"#,
            r#"{"tls":{"subject":"CN=*.googleadservices.com","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"47:2F:CC:8B:83:57:82:66:0A:00:00:00:01:37:88:84","fingerprint":"61:25:23:ec:03:b3:b1:1f:ad:0e:64:c0:f7:06:b2:38:03:74:a4:26","sni":"partner.googleadservices.com","version":"TLS 1.2","notbefore":"2022-02-17T10:55:36","notafter":"2022-05-12T10:55:35"}}"#,
            r#"{"tls":{"subject":"CN=*.msn.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:18:DE:22:66:C1:FD:34:5E:A9:DC:96:00:00:00:18:DE:22","fingerprint":"1e:a7:ef:db:1b:73:31:8c:2f:b7:5b:9a:57:d6:47:89:42:63:07:0a","sni":"www.msn.com","version":"TLS 1.2","notbefore":"2021-09-22T20:59:56","notafter":"2022-09-22T20:59:56"}}"#,
            r#"{"tls":{"subject":"CN=*.msn.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:18:DE:22:66:C1:FD:34:5E:A9:DC:96:00:00:00:18:DE:22","fingerprint":"1e:a7:ef:db:1b:73:31:8c:2f:b7:5b:9a:57:d6:47:89:42:63:07:0a","sni":"www.msn.com","version":"TLS 1.2","notbefore":"2021-09-22T20:59:56","notafter":"2022-09-22T20:59:56"}}"#,
            r#"{"tls":{"subject":"CN=bedreboligliv.dk","issuerdn":"C=US, O=Let's Encrypt, CN=R3","serial":"04:7E:A0:15:20:47:48:10:C7:9E:CD:1D:CC:52:1E:EE:11:45","fingerprint":"1c:f1:e2:24:a6:45:ee:d0:65:df:ff:d0:6e:a5:02:7b:bd:2f:f0:4e","sni":"bedreboligliv.dk","version":"TLS 1.2","notbefore":"2022-02-02T04:00:20","notafter":"2022-05-03T04:00:19"}}"#,
            r#"{"tls":{"subject":"CN=havenyt.dk","issuerdn":"C=US, O=Let's Encrypt, CN=R3","serial":"04:90:3F:FF:5A:DA:67:31:1C:87:AC:9E:BA:2E:F9:BD:44:03","fingerprint":"58:ff:c8:3f:be:8e:a4:81:ca:77:ed:6a:bd:d9:9f:21:bf:e6:c1:c2","sni":"www.havenyt.dk","version":"TLS 1.2","notbefore":"2022-03-07T07:07:34","notafter":"2022-06-05T07:07:33"}}"#,
            r#"{"tls":{"subject":"CN=madmaskiner.dk","issuerdn":"C=US, O=Let's Encrypt, CN=R3","serial":"04:15:08:6A:17:37:A4:7B:C9:AD:DA:48:C6:71:C5:42:69:8C","fingerprint":"46:96:e6:5f:e7:e8:d5:bb:da:ab:c8:ef:ac:43:6c:8b:40:0e:1a:b2","sni":"madmaskiner.dk","version":"TLS 1.2","notbefore":"2022-01-25T04:02:59","notafter":"2022-04-25T04:02:58"}}"#,
            r#"{"tls":{"subject":"CN=tpc.googlesyndication.com","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"00:8A:51:96:69:DC:98:91:DF:0A:00:00:00:01:37:89:24","fingerprint":"69:a8:db:09:e5:75:64:11:7f:25:c4:29:92:9e:72:15:fd:8a:d2:1c","sni":"tpc.googlesyndication.com","version":"TLS 1.2","notbefore":"2022-02-17T11:10:52","notafter":"2022-05-12T11:10:51"}}"#,
            r#"{"tls":{"subject":"CN=www.bing.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:25:FE:E7:DB:B2:92:A6:3B:4D:61:E8:00:00:00:25:FE:E7","fingerprint":"ae:3d:60:31:50:3c:5a:ad:ab:e0:21:39:02:fb:32:14:d1:a5:23:4a","sni":"ieonline.microsoft.com","version":"TLS 1.2","notbefore":"2022-03-16T01:24:53","notafter":"2022-09-16T01:24:53"}}"#,
            r#"{"tls":{"subject":"CN=www.bing.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:25:FE:E7:DB:B2:92:A6:3B:4D:61:E8:00:00:00:25:FE:E7","fingerprint":"ae:3d:60:31:50:3c:5a:ad:ab:e0:21:39:02:fb:32:14:d1:a5:23:4a","sni":"ieonline.microsoft.com","version":"TLS 1.2","notbefore":"2022-03-16T01:24:53","notafter":"2022-09-16T01:24:53"}}"#,
            r#"{"tls":{"subject":"CN=www.bing.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:25:FE:E7:DB:B2:92:A6:3B:4D:61:E8:00:00:00:25:FE:E7","fingerprint":"ae:3d:60:31:50:3c:5a:ad:ab:e0:21:39:02:fb:32:14:d1:a5:23:4a","sni":"www.bing.com","version":"TLS 1.2","notbefore":"2022-03-16T01:24:53","notafter":"2022-09-16T01:24:53"}}"#,
            r#"{"tls":{"subject":"CN=www.bing.com","issuerdn":"C=US, O=Microsoft Corporation, CN=Microsoft RSA TLS CA 01","serial":"12:00:25:FE:E7:DB:B2:92:A6:3B:4D:61:E8:00:00:00:25:FE:E7","fingerprint":"ae:3d:60:31:50:3c:5a:ad:ab:e0:21:39:02:fb:32:14:d1:a5:23:4a","sni":"www.bing.com","version":"TLS 1.2","notbefore":"2022-03-16T01:24:53","notafter":"2022-09-16T01:24:53"}}"#,
            r#"{"tls":{"subject":"CN=www.coffeecircle.com","issuerdn":"C=NL, O=Trust Provider B.V., OU=Domain Validated SSL, CN=Trust Provider B.V. TLS RSA CA G1","serial":"0B:CB:6A:F1:F7:76:AB:6D:E0:79:DD:E8:EF:EF:85:3D","fingerprint":"80:db:e9:9f:0f:4c:3f:17:72:4d:65:53:08:5e:68:7a:a0:1a:23:a5","sni":"www.coffeecircle.com","version":"TLS 1.2","notbefore":"2020-06-05T00:00:00","notafter":"2022-06-06T12:00:00"}}"#,
            r#"{"tls":{"subject":"CN=www.coffeecircle.com","issuerdn":"C=NL, O=Trust Provider B.V., OU=Domain Validated SSL, CN=Trust Provider B.V. TLS RSA CA G1","serial":"0B:CB:6A:F1:F7:76:AB:6D:E0:79:DD:E8:EF:EF:85:3D","fingerprint":"80:db:e9:9f:0f:4c:3f:17:72:4d:65:53:08:5e:68:7a:a0:1a:23:a5","sni":"www.coffeecircle.com","version":"TLS 1.2","notbefore":"2020-06-05T00:00:00","notafter":"2022-06-06T12:00:00"}}"#,
            r#"{"tls":{"subject":"CN=www.google.com","issuerdn":"C=US, O=Google Trust Services LLC, CN=GTS CA 1C3","serial":"09:78:32:DE:3A:58:28:1C:0A:00:00:00:01:37:8A:25","fingerprint":"5b:c2:fe:7c:8e:77:93:0f:e9:03:32:c6:3c:ff:33:d3:bc:36:66:46","sni":"www.google.com","version":"TLS 1.2","notbefore":"2022-02-17T11:32:42","notafter":"2022-05-12T11:32:41"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls13-draft14/tls13_draft14.pcap",
        &[r#"{"tls":{"sni":"tls13.crypto.mozilla.org","version":"TLS 1.3 draft-<16"}}"#],
        &[],
    ),
    (
        "tls/tls13-draft18/tls13_draft18.pcap",
        &[r#"{"tls":{"version":"TLS 1.3 draft-18"}}"#],
        &[],
    ),
    (
        "tls/tls13-draft19/tls13_draft19.pcap",
        &[
            r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-19"}}"#,
            r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-19"}}"#,
            r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-19"}}"#,
        ],
        &[],
    ),
    (
        "tls/tls13-draft22/tls13_draft22.pcap",
        &[r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-22"}}"#],
        &[],
    ),
    (
        "tls/tls13-draft23/tls13_draft23.pcap",
        &[r#"{"tls":{"version":"TLS 1.3 draft-23"}}"#],
        &[],
    ),
    (
        "tls/tls13-draft28/tls13_draft28.pcap",
        &[
            r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-28"}}"#,
            r#"{"tls":{"sni":"localhost","version":"TLS 1.3 draft-28"}}"#,
        ],
        &[],
    ),
];

#[test]
fn corpus_tls_like_reference() {
    let n = check("tls", TLS_CASES);
    if n > 0 {
        assert_eq!(n, TLS_CASES.len());
    }
}
