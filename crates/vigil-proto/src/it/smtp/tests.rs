//! SMTP parser tests.

use super::mime::*;

#[test]
#[ignore]
fn debug_file() {
    let d = std::fs::read("/tmp/fs/6207c.bin").unwrap();
    let i = d.windows(6).position(|w| w == b"DATA\r\n").unwrap() + 6;
    let mut m = MimeParser::new(MimeConfig::default());
    let mut pos = i;
    while pos < d.len() {
        let end = d[pos..].iter().position(|&b| b == b'\n').map(|e| pos + e + 1).unwrap_or(d.len());
        let full = &d[pos..end];
        let delim = if full.ends_with(b"\r\n") { 2 } else if full.ends_with(b"\n") { 1 } else { 0 };
        if &full[..full.len() - delim] == b"." { break; }
        let r = m.parse_line(full, delim);
        if r.is_err() {
            println!("error {:?} at line {:?} state {:?}", r, String::from_utf8_lossy(full), m.state());
            break;
        }
        pos = end;
    }
}
