//! A streaming multipart/form-data splitter: finds the parts of a request
//! body and reports the ones that carry a file (a `filename` in their
//! Content-Disposition), as Suricata turns them into files.
//!
//! Memory is bounded: part headers are capped, and only a delimiter's worth
//! of body is held back between calls.

use super::util;

/// Part-header bytes kept before giving up on a part.
const PART_HEADER_LIMIT: usize = 16 * 1024;

/// What the splitter saw in one call.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A file part starts.
    Open(Vec<u8>),
    /// File data of the open part.
    Data(usize),
    /// The open file part ended (a delimiter was found).
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Before the first delimiter.
    Preamble,
    /// After a delimiter: "--" (end) or CRLF (next part).
    AfterDelimiter,
    Headers,
    Data,
    Done,
}

/// The splitter of one request body.
pub(crate) struct Multipart {
    /// "\r\n--" + boundary: what ends a part's data.
    delimiter: Vec<u8>,
    state: State,
    /// Bytes held back: a possible partial delimiter, or part headers.
    hold: Vec<u8>,
    file_open: bool,
}

/// The boundary of a `multipart/form-data` Content-Type, if it is one.
pub(crate) fn boundary(content_type: &[u8]) -> Option<Vec<u8>> {
    util::find_nocase(content_type, b"multipart/form-data")?;
    let at = util::find_nocase(content_type, b"boundary=")?;
    let v = content_type.get(at + 9..)?;
    let v = match v.strip_prefix(b"\"") {
        Some(q) => q.get(..memchr::memchr(b'"', q).unwrap_or(q.len()))?,
        None => {
            let end = v
                .iter()
                .position(|&c| c == b';' || c == b',' || util::is_space(c))
                .unwrap_or(v.len());
            v.get(..end)?
        }
    };
    (!v.is_empty() && v.len() <= 200).then(|| v.to_vec())
}

impl Multipart {
    /// A splitter for `boundary`.
    pub fn new(boundary: &[u8]) -> Multipart {
        let mut delimiter = b"\r\n--".to_vec();
        delimiter.extend_from_slice(boundary);
        Multipart {
            delimiter,
            // The body may start with the delimiter without its CRLF.
            hold: b"\r\n".to_vec(),
            state: State::Preamble,
            file_open: false,
        }
    }

    /// Feeds body bytes; `f` gets the events (data as byte counts).
    pub fn feed(&mut self, data: &[u8], f: &mut dyn FnMut(Event)) {
        let mut buf = std::mem::take(&mut self.hold);
        buf.extend_from_slice(data);
        let mut pos = 0;
        loop {
            let rest = buf.get(pos..).unwrap_or(&[]);
            match self.state {
                State::Done => {
                    pos = buf.len();
                    break;
                }
                State::Preamble | State::Data => {
                    let finder = memchr::memmem::find(rest, &self.delimiter);
                    match finder {
                        Some(i) => {
                            if self.state == State::Data && self.file_open && i > 0 {
                                f(Event::Data(i));
                            }
                            if self.file_open {
                                f(Event::Close);
                                self.file_open = false;
                            }
                            pos += i + self.delimiter.len();
                            self.state = State::AfterDelimiter;
                        }
                        None => {
                            // Keep what could be the start of a delimiter.
                            let keep = (self.delimiter.len() - 1).min(rest.len());
                            let used = rest.len() - keep;
                            if self.state == State::Data && self.file_open && used > 0 {
                                f(Event::Data(used));
                            }
                            pos += used;
                            break;
                        }
                    }
                }
                State::AfterDelimiter => {
                    if rest.len() < 2 {
                        break;
                    }
                    if rest.starts_with(b"--") {
                        self.state = State::Done;
                        continue;
                    }
                    // Skip transport padding up to the line end.
                    match memchr::memchr(b'\n', rest) {
                        Some(i) => {
                            pos += i + 1;
                            self.state = State::Headers;
                        }
                        None => {
                            if rest.len() > PART_HEADER_LIMIT {
                                self.state = State::Done;
                            }
                            break;
                        }
                    }
                }
                State::Headers => {
                    let end = memchr::memmem::find(rest, b"\r\n\r\n")
                        .map(|i| (i, 4))
                        .or_else(|| memchr::memmem::find(rest, b"\n\n").map(|i| (i, 2)));
                    match end {
                        Some((i, n)) => {
                            let headers = rest.get(..i).unwrap_or(&[]);
                            if let Some(name) = part_filename(headers) {
                                f(Event::Open(name));
                                self.file_open = true;
                            }
                            pos += i + n;
                            // The part's data may be empty: its delimiter
                            // then follows at once, without the CRLF the
                            // delimiter starts with.
                            self.state = State::Data;
                            let after = buf.get(pos..).unwrap_or(&[]);
                            let bare = self.delimiter.get(2..).unwrap_or(&[]);
                            if after.starts_with(bare) {
                                if self.file_open {
                                    f(Event::Close);
                                    self.file_open = false;
                                }
                                pos += bare.len();
                                self.state = State::AfterDelimiter;
                            }
                        }
                        None => {
                            if rest.len() > PART_HEADER_LIMIT {
                                self.state = State::Done;
                            }
                            break;
                        }
                    }
                }
            }
        }
        self.hold = buf.get(pos..).unwrap_or(&[]).to_vec();
    }
}

/// The `filename` of a part's Content-Disposition header.
fn part_filename(headers: &[u8]) -> Option<Vec<u8>> {
    for line in headers.split(|&c| c == b'\n') {
        let line = util::chomp(line);
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let name = util::trim(line.get(..colon).unwrap_or(&[]));
        if !util::eq_nocase(name, b"content-disposition") {
            continue;
        }
        let value = line.get(colon + 1..).unwrap_or(&[]);
        return super::parser::disposition_filename(value);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(body: &[u8], split: usize) -> Vec<(Vec<u8>, usize)> {
        let mut m = Multipart::new(b"XyZ");
        let mut files: Vec<(Vec<u8>, usize)> = Vec::new();
        for piece in body.chunks(split) {
            m.feed(piece, &mut |e| match e {
                Event::Open(n) => files.push((n, 0)),
                Event::Data(n) => {
                    if let Some(last) = files.last_mut() {
                        last.1 += n;
                    }
                }
                Event::Close => {}
            });
        }
        files
    }

    #[test]
    fn parts_in_any_split() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nfile content\r\n--XyZ\r\nContent-Disposition: form-data; name=\"g\"; filename=\"b.bin\"\r\n\r\n\r\n--XyZ--\r\n";
        for split in 1..body.len() {
            assert_eq!(
                run(body, split),
                vec![(b"a.txt".to_vec(), 12), (b"b.bin".to_vec(), 0)],
                "split {split}"
            );
        }
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary(b"multipart/form-data; boundary=XyZ"),
            Some(b"XyZ".to_vec())
        );
        assert_eq!(
            boundary(b"multipart/form-data; boundary=\"a b\""),
            Some(b"a b".to_vec())
        );
        assert_eq!(boundary(b"text/plain"), None);
    }
}
