//! HTTP/1.x over suricata-verify captures, against the `http` and
//! `fileinfo` records and the HTTP anomalies Suricata 7.0.10 writes for them
//! with its default configuration (skips when the shared corpus is absent).

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

type Case = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// (capture, the reference's `http` and `fileinfo` objects, its HTTP
/// anomalies), generated from the reference's eve.json.
const CASES: &[Case] = &[
    (
        "http-evader/http-evader-014/input.pcap",
        &[
            r#"{"http":{"hostname":"evader.example.com","url":"/chunked/eicar.txt/size-spacex","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":106}}"#,
            r#"{"http":{"hostname":"evader.example.com","url":"/chunked/eicar.txt/size-spacex","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":106},"app_proto":"http","fileinfo":{"filename":"eicar.txt","gaps":false,"state":"CLOSED","stored":false,"size":68,"tx_id":0}}"#,
        ],
        &[],
    ),
    (
        "http-evader/http-evader-044/input.pcap",
        &[
            r#"{"http":{"hostname":"evader.example.com","url":"/chunked/eicar.txt/chunked,http10,do_clen","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":69},"app_proto":"http","fileinfo":{"filename":"eicar.txt","gaps":false,"state":"CLOSED","stored":false,"size":68,"tx_id":0}}"#,
            r#"{"http":{"hostname":"evader.example.com","url":"/chunked/eicar.txt/chunked,http10,do_clen","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":69}}"#,
        ],
        &["RESPONSE_CHUNKED_OLD_PROTO", "INVALID_RESPONSE_CHUNK_LEN"],
    ),
    (
        "http-evader/http-evader-152/input.pcap",
        &[
            r#"{"http":{"hostname":"evader.example.com","url":"/compressed/eicar.txt/ce%3Agzip;ce%3Agzip;gzip","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":88}}"#,
            r#"{"http":{"hostname":"evader.example.com","url":"/compressed/eicar.txt/ce%3Agzip;ce%3Agzip;gzip","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":88},"app_proto":"http","fileinfo":{"filename":"eicar.txt","gaps":false,"state":"CLOSED","stored":false,"size":68,"tx_id":0}}"#,
        ],
        &[
            "GZIP_DECOMPRESSION_FAILED",
            "GZIP_DECOMPRESSION_FAILED",
            "GZIP_DECOMPRESSION_FAILED",
            "GZIP_DECOMPRESSION_FAILED",
        ],
    ),
    (
        "http-evader/http-evader-290/input.pcap",
        &[
            r#"{"http":{"hostname":"evader.example.com","url":"/broken/eicar.txt/te%3Achu%5C000nked;do_chunked","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":156}}"#,
            r#"{"http":{"hostname":"evader.example.com","url":"/broken/eicar.txt/te%3Achu%5C000nked;do_chunked","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":156},"app_proto":"http","fileinfo":{"filename":"eicar.txt","gaps":false,"state":"CLOSED","stored":false,"size":68,"tx_id":0}}"#,
        ],
        &["RESPONSE_ABNORMAL_TRANSFER_ENCODING"],
    ),
    (
        "http-multiple100/input.pcap",
        &[
            r#"{"http":{"hostname":"10.25.10.120","http_port":1551,"url":"/upload","http_user_agent":"curl/7.68.0","http_content_type":"text/html","http_method":"POST","protocol":"HTTP/1.1","status":200,"length":27},"app_proto":"http","fileinfo":{"filename":"otherhtp.pcap","gaps":false,"state":"CLOSED","stored":false,"size":34293,"tx_id":0}}"#,
            r#"{"http":{"hostname":"10.25.10.120","http_port":1551,"url":"/upload","http_user_agent":"curl/7.68.0","http_content_type":"text/html","http_method":"POST","protocol":"HTTP/1.1","status":200,"length":27}}"#,
            r#"{"http":{"hostname":"10.25.10.120","http_port":1551,"url":"/upload","http_user_agent":"curl/7.68.0","http_content_type":"text/html","http_method":"POST","protocol":"HTTP/1.1","status":200,"length":27},"app_proto":"http","fileinfo":{"filename":"/upload","gaps":false,"state":"CLOSED","stored":false,"size":27,"tx_id":0}}"#,
        ],
        &["100_CONTINUE_ALREADY_SEEN"],
    ),
    (
        "http-gap-simple/input.pcap",
        &[
            r#"{"http":{"url":"/1","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":14}}"#,
            r#"{"http":{"url":"/1","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":14},"app_proto":"http","fileinfo":{"filename":"/1","gaps":false,"state":"CLOSED","stored":false,"size":14,"tx_id":0}}"#,
            r#"{"http":{"url":"/2","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":70}}"#,
            r#"{"http":{"url":"/2","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":70},"app_proto":"http","fileinfo":{"filename":"/2","gaps":true,"state":"TRUNCATED","stored":false,"size":70,"tx_id":1}}"#,
            r#"{"http":{"url":"/3","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":14}}"#,
            r#"{"http":{"url":"/3","http_user_agent":"Mozilla","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.0","status":200,"length":14},"app_proto":"http","fileinfo":{"filename":"/3","gaps":false,"state":"CLOSED","stored":false,"size":14,"tx_id":2}}"#,
        ],
        &[],
    ),
    (
        "http-connect/http-connect-fragmented/input.pcap",
        &[
            r#"{"http":{"hostname":"abc","http_port":443,"url":"abc:443","http_user_agent":"Victor/1.0","http_method":"CONNECT","protocol":"HTTP/1.1","status":200,"length":0}}"#,
            r#"{"http":{"url":"/","http_user_agent":"Victor/1.0","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":0}}"#,
        ],
        &[
            "MISSING_HOST_HEADER",
            "MISSING_HOST_HEADER",
            "MISSING_HOST_HEADER",
        ],
    ),
    (
        "http-evader/http-evader-200/input.pcap",
        &[
            r#"{"http":{"hostname":"evader.example.com","url":"/compressed/eicar.txt/ce%3Agzip;gzip;replace%3A3,1%7C20","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":88}}"#,
            r#"{"http":{"hostname":"evader.example.com","url":"/compressed/eicar.txt/ce%3Agzip;gzip;replace%3A3,1%7C20","http_content_type":"application/octet-stream","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":88},"app_proto":"http","fileinfo":{"filename":"eicar.txt","gaps":false,"state":"CLOSED","stored":false,"size":68,"tx_id":0}}"#,
        ],
        &["GZIP_DECOMPRESSION_FAILED", "GZIP_DECOMPRESSION_FAILED"],
    ),
];

#[test]
fn http_records_match_the_reference() {
    let mut checked = 0;
    for (rel, want, want_events) in CASES {
        let Some(path) = sv_capture(rel) else {
            continue;
        };
        let out = ot_corpus::run(&path);
        // Records as a multiset: the order of a file and its transaction
        // depends on packet timing the support code does not model.
        let mut got: Vec<&str> = out
            .records
            .iter()
            .filter(|(t, _)| *t == "http" || *t == "fileinfo")
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
    if checked == 0 {
        eprintln!("skipping: no HTTP corpus captures present");
    }
}
