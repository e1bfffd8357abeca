//! Fuzzes the SMTP parser and its MIME decoder: the first byte picks the
//! configuration (MIME decoding on or off, base64 / quoted-printable
//! decoding, body MD5, URL schemes logged, a small header value depth,
//! extended and custom logging); then a conversation of segments, each
//! introduced by one control byte (bit 0: direction, bits 1..7: length;
//! 0xff: a gap), ending with the flow's end. Every produced record (smtp,
//! fileinfo) is rendered (checked UTF-8) and every buffer read; the prober
//! runs on every segment.
#![no_main]

#[path = "common/segments.rs"]
mod segments;

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use vigil_eve::JsonWriter;
use vigil_proto::it::smtp::mime::MimeConfig;
use vigil_proto::it::smtp::{LogConfig, SmtpConfig, SmtpParser, probe};
use vigil_proto::{AppParser, Direction, ParseOutput};

const BUFFERS: &[&str] = &[
    "file.data",
    "file.name",
    "smtp.helo",
    "smtp.mail_from",
    "smtp.rcpt_to",
];

fn config(b: u8) -> SmtpConfig {
    let bit = |n: u8| b & (1 << n) != 0;
    SmtpConfig {
        decode_mime: !bit(0),
        mime: MimeConfig {
            decode_base64: !bit(1),
            decode_quoted_printable: !bit(2),
            header_value_depth: if bit(3) { 16 } else { 2000 },
            extract_urls: !bit(4),
            extract_urls_schemes: vec![b"http://".to_vec(), b"ftp://".to_vec()],
            log_url_scheme: bit(5),
            body_md5: bit(6),
        },
        log: LogConfig {
            extended: bit(7),
            custom: if bit(7) {
                ["reply_to", "received", "x-originating-ip", "date"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            } else {
                Vec::new()
            },
            body_md5: bit(6),
            subject_md5: bit(6),
        },
    }
}

fn drain(out: &mut ParseOutput, json: &mut Vec<u8>) {
    for tx in out.txs.drain(..) {
        json.clear();
        let mut w = JsonWriter::new(json);
        w.open_object();
        tx.write_eve(&mut w);
        w.close_object();
        assert!(std::str::from_utf8(json).is_ok());
        for b in BUFFERS {
            let _ = tx.buffer(b);
            let _ = tx.buffer_dir(b, Direction::ToServer);
            tx.buffers(b, &mut |_| {});
        }
    }
    out.events.clear();
    out.change = None;
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let mut p = SmtpParser::with_config(Arc::new(config(first)));
    let mut out = ParseOutput::default();
    let mut json = Vec::new();
    for step in segments::steps(rest) {
        match step {
            segments::Step::Gap(dir, len) => {
                p.gap(dir, len, &mut out);
                drain(&mut out, &mut json);
            }
            segments::Step::Data(dir, seg) => {
                let _ = probe(dir, seg);
                p.parse(dir, seg, &mut out);
                drain(&mut out, &mut json);
            }
        }
    }
    p.close(Direction::ToServer, &mut out);
    p.close(Direction::ToClient, &mut out);
    p.finish(&mut out);
    drain(&mut out, &mut json);
});
