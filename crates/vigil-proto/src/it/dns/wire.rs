//! The DNS wire format (RFC 1035), read the way Suricata 7 reads it.
//!
//! Suricata's reading has quirks that decide which messages it logs, so they
//! are kept on purpose: a name ends silently where its input ends, forward
//! compression pointers are followed, a name longer than 1025 characters is
//! truncated (flagged), a walk of more than 255 labels/pointers stops
//! (flagged, or an error when no pointer was followed), an empty RDATA makes
//! the whole message invalid, a TXT record yields one entry per string, and
//! the additional section is never read.
//!
//! Everything here works on offsets into the message with checked slicing:
//! no indexing can panic on hostile input.

/// Longest name kept, in presentation characters (dnsmasq's limit, as
/// Suricata uses).
pub(crate) const MAX_NAME_LEN: usize = 1025;

/// Labels plus pointers one name may walk before Suricata gives up.
const MAX_NAME_STEPS: u32 = 255;

/// Most TXT strings Suricata reads from one record.
const MAX_TXT_STRINGS: usize = 32767;

/// Name-walk steps allowed per message. Suricata has no such limit; a real
/// message never comes near it (at most 256 steps per name), it only bounds
/// the work a hostile 64 KiB message of looping pointers can cause.
const MAX_MESSAGE_STEPS: u32 = 1 << 20;

/// Bytes of names and record data kept per message (plus a fixed cost per
/// record). Past it, further records are checked but not kept.
pub(crate) const MAX_MESSAGE_MEMORY: usize = 1 << 20;

/// Why a message could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Error {
    /// The input ended inside an item.
    Incomplete,
    /// The input can never be valid.
    Invalid,
}

/// Anomalies met while reading names (Suricata's `DNSNameFlags`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameFlags {
    /// A name was longer than [`MAX_NAME_LEN`] or cut at the step limit.
    pub truncated: bool,
    /// A pointer pointed at itself after another pointer was followed.
    pub infinite_loop: bool,
    /// A name walked more than 255 labels and pointers.
    pub label_limit: bool,
}

impl NameFlags {
    fn merge(&mut self, other: NameFlags) {
        self.truncated |= other.truncated;
        self.infinite_loop |= other.infinite_loop;
        self.label_limit |= other.label_limit;
    }
}

/// The fixed 12-byte header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub id: u16,
    pub flags: u16,
    pub questions: u16,
    pub answers: u16,
    pub authorities: u16,
    pub additionals: u16,
}

impl Header {
    /// QR: the message is a response.
    pub fn is_response(&self) -> bool {
        self.flags & 0x8000 != 0
    }
    /// OPCODE (4 bits).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    /// The reserved Z bit.
    pub fn z(&self) -> bool {
        self.flags & 0x0040 != 0
    }
    /// RCODE (4 bits of the header).
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }
}

/// A name in dotted form, raw bytes as on the wire (labels joined by `.`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Name {
    pub value: Vec<u8>,
    /// Cut at [`MAX_NAME_LEN`] or at the step limit.
    pub truncated: bool,
}

/// A question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Question {
    pub name: Name,
    pub rrtype: u16,
    pub rrclass: u16,
}

/// SOA record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
}

/// SRV record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Srv {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: Name,
}

/// SSHFP record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Sshfp {
    pub algo: u8,
    pub fp_type: u8,
    pub fingerprint: Vec<u8>,
}

/// Record data, as far as Suricata decodes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RData {
    /// A or AAAA: the raw bytes (printed only when 4 or 16 long).
    Addr(Vec<u8>),
    /// CNAME, NS, PTR, MX (preference dropped).
    Name(Name),
    /// TXT: its strings, each logged as its own answer.
    Txt(Vec<Vec<u8>>),
    /// NULL: the raw bytes.
    Null(Vec<u8>),
    Soa(Box<Soa>),
    Srv(Srv),
    Sshfp(Sshfp),
    /// Any other type (not logged beyond name, type and TTL).
    Other,
}

/// A resource record of the answer or authority section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Record {
    pub name: Name,
    pub rrtype: u16,
    pub rrclass: u16,
    pub ttl: u32,
    pub data: RData,
}

/// A message as read: questions always, answer and authority records for
/// responses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    /// Name anomalies anywhere in the message.
    pub name_flags: NameFlags,
    /// Records were left out to stay within [`MAX_MESSAGE_MEMORY`].
    pub memcap_reached: bool,
}

/// Big-endian reads at an offset, failing with `Incomplete` past `end`.
fn be_u16(buf: &[u8], pos: usize, end: usize) -> Result<u16, Error> {
    match buf.get(pos..pos.checked_add(2).ok_or(Error::Incomplete)?) {
        Some(&[a, b]) if pos + 2 <= end => Ok(u16::from_be_bytes([a, b])),
        _ => Err(Error::Incomplete),
    }
}

fn be_u32(buf: &[u8], pos: usize, end: usize) -> Result<u32, Error> {
    match buf.get(pos..pos.checked_add(4).ok_or(Error::Incomplete)?) {
        Some(&[a, b, c, d]) if pos + 4 <= end => Ok(u32::from_be_bytes([a, b, c, d])),
        _ => Err(Error::Incomplete),
    }
}

/// Reads the header.
pub(crate) fn parse_header(msg: &[u8]) -> Result<Header, Error> {
    let n = msg.len();
    Ok(Header {
        id: be_u16(msg, 0, n)?,
        flags: be_u16(msg, 2, n)?,
        questions: be_u16(msg, 4, n)?,
        answers: be_u16(msg, 6, n)?,
        authorities: be_u16(msg, 8, n)?,
        additionals: be_u16(msg, 10, n)?,
    })
}

/// Reading state shared by all items of one message: the name anomalies,
/// the walk-step budget and the memory budget.
struct Reader<'a> {
    msg: &'a [u8],
    flags: NameFlags,
    steps: u32,
    memory: usize,
    memcap_reached: bool,
}

impl<'a> Reader<'a> {
    fn new(msg: &'a [u8]) -> Self {
        Reader {
            msg,
            flags: NameFlags::default(),
            steps: 0,
            memory: MAX_MESSAGE_MEMORY,
            memcap_reached: false,
        }
    }

    /// Charges `n` bytes to the memory budget; false (and the memcap flag)
    /// when it is spent, after which nothing more is kept.
    fn charge(&mut self, n: usize) -> bool {
        if self.memcap_reached || n > self.memory {
            self.memcap_reached = true;
            self.memory = 0;
            return false;
        }
        self.memory -= n;
        true
    }

    /// Reads a name starting at `start` in `msg[..end]`; pointers may lead
    /// anywhere in the message. Returns the offset after the name in the
    /// original input (after the first pointer when one was followed).
    ///
    /// `keep` false walks the name without storing its text.
    fn name(&mut self, start: usize, end: usize, keep: bool) -> Result<(usize, Name), Error> {
        let msg = self.msg;
        let (mut pos, mut lim) = (start, end.min(msg.len()));
        let mut after_pointer: Option<usize> = None;
        let mut value = Vec::new();
        // Length of the text so far, tracked even when not kept so the
        // truncation flag is the same either way.
        let mut len = 0usize;
        let mut count = 0u32;
        let mut flags = NameFlags::default();
        loop {
            if pos >= lim {
                break;
            }
            self.steps += 1;
            if self.steps > MAX_MESSAGE_STEPS {
                return Err(Error::Invalid);
            }
            let Some(&b) = msg.get(pos) else { break };
            if b == 0 {
                pos += 1;
                break;
            } else if b & 0xc0 == 0 {
                let label_end = pos + 1 + usize::from(b);
                if label_end > lim {
                    return Err(Error::Incomplete);
                }
                if !flags.truncated {
                    let label = msg.get(pos + 1..label_end).unwrap_or(&[]);
                    if len > 0 {
                        len += 1;
                        if keep {
                            value.push(b'.');
                        }
                    }
                    len += label.len();
                    if keep {
                        value.extend_from_slice(label);
                    }
                }
                pos = label_end;
            } else if b & 0xc0 == 0xc0 {
                let leader = be_u16(msg, pos, lim)?;
                let offset = usize::from(leader & 0x3fff);
                if offset > msg.len() {
                    return Err(Error::Invalid);
                }
                // Suricata compares the rest of the message at the target
                // with the rest of the current input, by content. Both are
                // suffixes of the message when the input runs to its end, so
                // that is a position test; inside RDATA it is a real compare
                // (at most once per name: afterwards the input is the whole
                // message).
                let same = if lim == msg.len() {
                    offset == pos
                } else {
                    msg.len() - offset == lim - pos && msg.get(offset..) == msg.get(pos..lim)
                };
                if same {
                    flags.infinite_loop = true;
                    if after_pointer.is_some() {
                        break;
                    }
                    return Err(Error::Invalid);
                }
                if after_pointer.is_none() {
                    after_pointer = Some(pos + 2);
                }
                pos = offset;
                lim = msg.len();
            } else {
                return Err(Error::Invalid);
            }
            count += 1;
            if count > MAX_NAME_STEPS {
                flags.label_limit = true;
                if after_pointer.is_some() {
                    flags.truncated = true;
                    break;
                }
                return Err(Error::Invalid);
            }
            if len > MAX_NAME_LEN {
                len = MAX_NAME_LEN;
                value.truncate(MAX_NAME_LEN);
                flags.truncated = true;
                if after_pointer.is_some() {
                    break;
                }
            }
        }
        self.flags.merge(flags);
        let next = after_pointer.unwrap_or(pos);
        Ok((
            next,
            Name {
                value,
                truncated: flags.truncated,
            },
        ))
    }

    /// A name inside RDATA `[pos, end)`: running out of data is an error
    /// there (Suricata reads RDATA with `complete`).
    fn rdata_name(&mut self, pos: usize, end: usize, keep: bool) -> Result<(usize, Name), Error> {
        self.name(pos, end, keep).map_err(|_| Error::Invalid)
    }

    fn question(&mut self, pos: usize, keep: bool) -> Result<(usize, Question), Error> {
        let n = self.msg.len();
        let (pos, name) = self.name(pos, n, keep)?;
        let rrtype = be_u16(self.msg, pos, n)?;
        let rrclass = be_u16(self.msg, pos + 2, n)?;
        Ok((
            pos + 4,
            Question {
                name,
                rrtype,
                rrclass,
            },
        ))
    }

    fn questions(&mut self, mut pos: usize, count: u16) -> Result<(usize, Vec<Question>), Error> {
        let mut out = Vec::new();
        for _ in 0..count {
            let keep = !self.memcap_reached;
            let (next, q) = self.question(pos, keep)?;
            pos = next;
            if keep && self.charge(RECORD_COST + q.name.value.len()) {
                out.push(q);
            }
        }
        Ok((pos, out))
    }

    /// Reads `count` resource records from `pos`.
    fn records(&mut self, mut pos: usize, count: u16) -> Result<(usize, Vec<Record>), Error> {
        let msg = self.msg;
        let n = msg.len();
        let mut out = Vec::new();
        for _ in 0..count {
            let keep = !self.memcap_reached;
            let (p, name) = self.name(pos, n, keep)?;
            let rrtype = be_u16(msg, p, n)?;
            let rrclass = be_u16(msg, p + 2, n)?;
            let ttl = be_u32(msg, p + 4, n)?;
            let rdlen = usize::from(be_u16(msg, p + 8, n)?);
            let ds = p + 10;
            let de = ds + rdlen;
            if de > n {
                return Err(Error::Incomplete);
            }
            let data = self.rdata(ds, de, rrtype, keep)?;
            pos = de;
            if keep && self.charge(RECORD_COST + name.value.len() + data_cost(&data)) {
                out.push(Record {
                    name,
                    rrtype,
                    rrclass,
                    ttl,
                    data,
                });
            }
        }
        Ok((pos, out))
    }

    /// Decodes RDATA `[ds, de)` of a record of type `rrtype`. Data must be
    /// consumed: an empty RDATA is invalid for every type, as in Suricata.
    fn rdata(&mut self, ds: usize, de: usize, rrtype: u16, keep: bool) -> Result<RData, Error> {
        let msg = self.msg;
        let bytes = |from: usize| -> Vec<u8> {
            if keep {
                msg.get(from..de).unwrap_or(&[]).to_vec()
            } else {
                Vec::new()
            }
        };
        if ds >= de {
            return Err(Error::Invalid);
        }
        let complete = |r: Result<u16, Error>| r.map_err(|_| Error::Invalid);
        Ok(match rrtype {
            TYPE_A | TYPE_AAAA => RData::Addr(bytes(ds)),
            TYPE_CNAME | TYPE_NS | TYPE_PTR => RData::Name(self.rdata_name(ds, de, keep)?.1),
            TYPE_MX => {
                complete(be_u16(msg, ds, de))?;
                RData::Name(self.rdata_name(ds + 2, de, keep)?.1)
            }
            TYPE_SOA => {
                let (p, mname) = self.rdata_name(ds, de, keep)?;
                let (p, rname) = self.rdata_name(p, de, keep)?;
                let mut v = [0u32; 5];
                for (i, slot) in v.iter_mut().enumerate() {
                    *slot = be_u32(msg, p + 4 * i, de).map_err(|_| Error::Invalid)?;
                }
                RData::Soa(Box::new(Soa {
                    mname,
                    rname,
                    serial: v[0],
                    refresh: v[1],
                    retry: v[2],
                    expire: v[3],
                    minimum: v[4],
                }))
            }
            TYPE_SRV => {
                let priority = complete(be_u16(msg, ds, de))?;
                let weight = complete(be_u16(msg, ds + 2, de))?;
                let port = complete(be_u16(msg, ds + 4, de))?;
                let (_, target) = self.rdata_name(ds + 6, de, keep)?;
                RData::Srv(Srv {
                    priority,
                    weight,
                    port,
                    target,
                })
            }
            TYPE_TXT => {
                let mut strings = Vec::new();
                let mut p = ds;
                while p < de && strings.len() < MAX_TXT_STRINGS {
                    let Some(&l) = msg.get(p) else { break };
                    let end = p + 1 + usize::from(l);
                    if end > de {
                        break;
                    }
                    strings.push(if keep {
                        msg.get(p + 1..end).unwrap_or(&[]).to_vec()
                    } else {
                        Vec::new()
                    });
                    p = end;
                }
                if strings.is_empty() {
                    return Err(Error::Invalid);
                }
                RData::Txt(strings)
            }
            TYPE_NULL => RData::Null(bytes(ds)),
            TYPE_SSHFP => {
                if de - ds < 2 {
                    return Err(Error::Invalid);
                }
                let algo = msg.get(ds).copied().unwrap_or(0);
                let fp_type = msg.get(ds + 1).copied().unwrap_or(0);
                RData::Sshfp(Sshfp {
                    algo,
                    fp_type,
                    fingerprint: bytes(ds + 2),
                })
            }
            _ => RData::Other,
        })
    }
}

/// Memory charged per kept question or record besides its bytes.
const RECORD_COST: usize = 64;

fn data_cost(d: &RData) -> usize {
    match d {
        RData::Addr(b) | RData::Null(b) => b.len(),
        RData::Name(n) => n.value.len(),
        RData::Txt(v) => v.iter().map(|s| s.len() + 24).sum(),
        RData::Soa(s) => s.mname.value.len() + s.rname.value.len(),
        RData::Srv(s) => s.target.value.len(),
        RData::Sshfp(s) => s.fingerprint.len(),
        RData::Other => 0,
    }
}

/// Record types with decoded data.
pub(crate) const TYPE_A: u16 = 1;
pub(crate) const TYPE_NS: u16 = 2;
pub(crate) const TYPE_CNAME: u16 = 5;
pub(crate) const TYPE_SOA: u16 = 6;
pub(crate) const TYPE_NULL: u16 = 10;
pub(crate) const TYPE_PTR: u16 = 12;
pub(crate) const TYPE_MX: u16 = 15;
pub(crate) const TYPE_TXT: u16 = 16;
pub(crate) const TYPE_AAAA: u16 = 28;
pub(crate) const TYPE_SRV: u16 = 33;
pub(crate) const TYPE_SSHFP: u16 = 44;

/// Reads a request: the header and the questions. Anything after them
/// (records a request should not carry) is ignored, as by Suricata.
pub(crate) fn parse_request(msg: &[u8]) -> Result<Message, Error> {
    let header = parse_header(msg)?;
    let mut r = Reader::new(msg);
    let (_, questions) = r.questions(12, header.questions)?;
    Ok(Message {
        header,
        questions,
        answers: Vec::new(),
        authorities: Vec::new(),
        name_flags: r.flags,
        memcap_reached: r.memcap_reached,
    })
}

/// Reads a response: header, questions, answer and authority records (the
/// additional section is not read).
pub(crate) fn parse_response(msg: &[u8]) -> Result<Message, Error> {
    let header = parse_header(msg)?;
    let mut r = Reader::new(msg);
    let (pos, questions) = r.questions(12, header.questions)?;
    let (pos, answers) = r.records(pos, header.answers)?;
    let (_, authorities) = r.records(pos, header.authorities)?;
    Ok(Message {
        header,
        questions,
        answers,
        authorities,
        name_flags: r.flags,
        memcap_reached: r.memcap_reached,
    })
}

/// Suricata's DNS probe of one whole message of `msg.len()` bytes: is it
/// DNS, and is it a request. Reads header and questions; when they run out
/// of data the header alone decides; the header's record counts must fit
/// (two bytes each at least).
pub(crate) fn probe(msg: &[u8]) -> Option<bool> {
    let valid = |h: &Header| {
        let min = 2
            * (usize::from(h.additionals)
                + usize::from(h.answers)
                + usize::from(h.authorities)
                + usize::from(h.questions));
        (min <= msg.len()).then_some(!h.is_response())
    };
    match parse_request(msg) {
        Ok(m) => valid(&m.header),
        Err(Error::Incomplete) => parse_header(msg).ok().and_then(|h| valid(&h)),
        Err(Error::Invalid) => None,
    }
}
