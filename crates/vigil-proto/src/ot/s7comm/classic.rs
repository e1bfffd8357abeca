//! Classic S7comm (protocol id 0x32): header, job/ack-data parameters
//! (setup communication, read/write var, block upload/download, PI
//! service, PLC stop) and userdata (SZL, clock, block functions, ...).

use crate::ot::cotp::Cursor;
use crate::{AppProto, ParseOutput};
use vigil_eve::JsonWriter;

/// Items kept per PDU (the rest is counted, not listed).
const MAX_ITEMS: usize = 64;
/// Longest string kept from a PDU (file names, service names, SZL text).
const MAX_TEXT: usize = 64;

pub const ROSCTR_JOB: u8 = 1;
pub const ROSCTR_ACK: u8 = 2;
pub const ROSCTR_ACK_DATA: u8 = 3;
pub const ROSCTR_USERDATA: u8 = 7;

/// Name of a ROSCTR value.
pub fn rosctr_name(r: u8) -> Option<&'static str> {
    Some(match r {
        ROSCTR_JOB => "job",
        ROSCTR_ACK => "ack",
        ROSCTR_ACK_DATA => "ack_data",
        ROSCTR_USERDATA => "userdata",
        _ => return None,
    })
}

/// Name of a job / ack-data function code.
pub fn function_name(f: u8) -> Option<&'static str> {
    Some(match f {
        0x00 => "cpu_services",
        0xF0 => "setup_communication",
        0x04 => "read_var",
        0x05 => "write_var",
        0x1A => "request_download",
        0x1B => "download_block",
        0x1C => "download_ended",
        0x1D => "start_upload",
        0x1E => "upload",
        0x1F => "end_upload",
        0x28 => "pi_service",
        0x29 => "plc_stop",
        _ => return None,
    })
}

/// Name of a userdata function group.
pub fn group_name(g: u8) -> Option<&'static str> {
    Some(match g {
        0 => "mode_transition",
        1 => "programmer_commands",
        2 => "cyclic_data",
        3 => "block_functions",
        4 => "cpu_functions",
        5 => "security",
        6 => "pbc_bsend_brecv",
        7 => "time_functions",
        0xF => "nc_programming",
        _ => return None,
    })
}

/// Name of a userdata subfunction within its group.
pub fn subfunction_name(group: u8, sub: u8) -> Option<&'static str> {
    Some(match (group, sub) {
        (0, 0) => "stop",
        (0, 1) => "warm_restart",
        (0, 2) => "run",
        (0, 3) => "hot_restart",
        (0, 4) => "hold",
        (0, 6) => "cold_restart",
        (0, 9) => "run_r",
        (0, 11) => "link_up",
        (0, 12) => "update",
        (1, 0x01) => "request_diag_data_type1",
        (1, 0x02) => "vartab",
        (1, 0x0C) => "read_diag_data",
        (1, 0x0E) => "remove_diag_data",
        (1, 0x0F) => "erase",
        (1, 0x13) => "forces",
        (1, 0x1A) => "request_diag_data_type2",
        (2, 0x01) => "memory",
        (2, 0x04) => "unsubscribe",
        (2, 0x05) => "memory_changed_driven",
        (3, 0x01) => "list_blocks",
        (3, 0x02) => "list_blocks_of_type",
        (3, 0x03) => "get_block_info",
        (4, 0x01) => "read_szl",
        (4, 0x02) => "message_service",
        (4, 0x03) => "diagnostic_message",
        (4, 0x05) => "alarm8_indication",
        (4, 0x06) => "notify_indication",
        (4, 0x07) => "alarm8_lock",
        (4, 0x08) => "alarm8_unlock",
        (4, 0x09) => "scan_indication",
        (4, 0x0B) => "alarm_ack",
        (4, 0x0C) => "alarm_ack_indication",
        (4, 0x0D) => "alarm_lock_indication",
        (4, 0x0E) => "alarm_unlock_indication",
        (4, 0x11) => "alarm_sq_indication",
        (4, 0x12) => "alarm_s_indication",
        (4, 0x13) => "alarm_query",
        (4, 0x16) => "notify8_indication",
        (5, 0x01) => "plc_password",
        (7, 0x01) => "read_clock",
        (7, 0x02) => "set_clock",
        (7, 0x03) => "read_clock_following",
        (7, 0x04) => "set_clock2",
        _ => return None,
    })
}

/// Name of a memory area of a variable address.
pub fn area_name(a: u8) -> Option<&'static str> {
    Some(match a {
        0x03 => "system_info_200",
        0x05 => "system_flags_200",
        0x06 => "analog_inputs_200",
        0x07 => "analog_outputs_200",
        0x1C => "C",
        0x1D => "T",
        0x1E => "iec_counter_200",
        0x1F => "iec_timer_200",
        0x80 => "P",
        0x81 => "I",
        0x82 => "Q",
        0x83 => "M",
        0x84 => "DB",
        0x85 => "DI",
        0x86 => "L",
        0x87 => "V",
        _ => return None,
    })
}

/// Name of an item transport size (in a variable address).
pub fn transport_size_name(t: u8) -> Option<&'static str> {
    Some(match t {
        0x01 => "BIT",
        0x02 => "BYTE",
        0x03 => "CHAR",
        0x04 => "WORD",
        0x05 => "INT",
        0x06 => "DWORD",
        0x07 => "DINT",
        0x08 => "REAL",
        0x09 => "DATE",
        0x0A => "TOD",
        0x0B => "TIME",
        0x0C => "S5TIME",
        0x0F => "DATE_AND_TIME",
        0x1C => "COUNTER",
        0x1D => "TIMER",
        0x1E => "IEC_TIMER",
        0x1F => "IEC_COUNTER",
        0x20 => "HS_COUNTER",
        _ => return None,
    })
}

/// Name of a data item return code.
pub fn return_code_name(r: u8) -> Option<&'static str> {
    Some(match r {
        0x00 => "reserved",
        0x01 => "hardware_fault",
        0x03 => "access_denied",
        0x05 => "address_out_of_range",
        0x06 => "data_type_not_supported",
        0x07 => "data_type_inconsistent",
        0x0A => "object_does_not_exist",
        0xFF => "success",
        _ => return None,
    })
}

fn block_type_name(t: &[u8]) -> Option<&'static str> {
    Some(match t {
        b"08" => "OB",
        b"0A" => "DB",
        b"0B" => "SDB",
        b"0C" => "FC",
        b"0D" => "SFC",
        b"0E" => "FB",
        b"0F" => "SFB",
        _ => return None,
    })
}

/// A variable address of a read/write var job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarItem {
    /// Syntax id (0x10 S7ANY, 0xB0 DBREAD, 0xA2 1200 symbolic, ...).
    pub syntax_id: u8,
    /// S7ANY fields.
    pub any: Option<AnyAddress>,
}

/// An S7ANY address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnyAddress {
    pub transport_size: u8,
    pub length: u16,
    pub db: u16,
    pub area: u8,
    /// Bit address (byte address * 8 + bit).
    pub address: u32,
}

/// A data item (read var response, write var request, userdata data).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataItem {
    pub return_code: u8,
    pub transport_size: u8,
    /// Data length in bytes.
    pub length: u16,
}

/// A block file name (`_0A00001P`): type, number, destination file system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockName {
    pub raw: String,
    pub block_type: Option<&'static str>,
    pub number: Option<u32>,
    pub filesystem: Option<char>,
}

impl BlockName {
    fn parse(raw: &[u8]) -> BlockName {
        let text = text_of(raw);
        // Optional leading file identifier ('_' complete module, '$' ...).
        let body = match raw.first() {
            Some(b'_' | b'$') => raw.get(1..).unwrap_or(&[]),
            _ => raw,
        };
        let block_type = body.get(..2).and_then(block_type_name);
        let number = body
            .get(2..7)
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse().ok());
        let filesystem = body
            .get(7)
            .map(|&b| char::from(b))
            .filter(char::is_ascii_alphabetic);
        BlockName {
            raw: text,
            block_type,
            number,
            filesystem,
        }
    }
}

/// Module identity read with SZL 0x0011 / 0x001C and friends.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub order_number: Option<String>,
    pub hardware_order_number: Option<String>,
    pub firmware_version: Option<String>,
    pub system_name: Option<String>,
    pub module_name: Option<String>,
    pub plant_id: Option<String>,
    pub copyright: Option<String>,
    pub serial_number: Option<String>,
    pub module_type_name: Option<String>,
    pub memory_card_serial: Option<String>,
}

/// SZL request or (first) response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Szl {
    pub id: u16,
    pub index: u16,
    pub list_length: Option<u16>,
    pub list_count: Option<u16>,
    pub identity: Option<Identity>,
}

/// Function-specific content of a PDU.
// Short-lived per-transaction data: one allocation less beats a smaller enum.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Detail {
    #[default]
    None,
    Setup {
        max_amq_calling: u16,
        max_amq_called: u16,
        pdu_length: u16,
    },
    /// Read/write var job: the addresses (and for write, the data items).
    VarJob {
        item_count: u8,
        items: Vec<VarItem>,
        data: Vec<DataItem>,
    },
    /// Read var ack-data: one data item per address.
    ReadResult {
        item_count: u8,
        data: Vec<DataItem>,
    },
    /// Write var ack-data: one return code per address.
    WriteResult {
        item_count: u8,
        codes: Vec<u8>,
    },
    /// Upload / download block control.
    Block {
        status: u8,
        upload_id: Option<u32>,
        file: Option<BlockName>,
        block_length: Option<String>,
        load_memory_length: Option<u32>,
        mc7_length: Option<u32>,
        data_length: Option<u16>,
    },
    /// PI service (start/copy/compress/insert/delete, ...).
    PiService {
        service: String,
        blocks: Vec<BlockName>,
        argument: Option<String>,
    },
    PlcStop {
        service: String,
    },
    Userdata(UserdataDetail),
}

/// Userdata content.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserdataDetail {
    pub item: Option<DataItem>,
    pub szl: Option<Szl>,
    pub clock: Option<String>,
    pub block: Option<BlockName>,
    pub block_type: Option<&'static str>,
}

/// Userdata parameter head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserdataHead {
    /// 0x11 request, 0x12 response.
    pub method: u8,
    /// 0 push, 4 request, 8 response.
    pub kind: u8,
    pub group: u8,
    pub subfunction: u8,
    pub sequence: u8,
    pub data_unit_ref: Option<u8>,
    /// True when more data units follow.
    pub more: Option<bool>,
    pub error: Option<u16>,
}

/// One classic S7comm PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S7Pdu {
    pub rosctr: u8,
    pub pdu_ref: u16,
    pub param_length: u16,
    pub data_length: u16,
    pub error_class: Option<u8>,
    pub error_code: Option<u8>,
    /// Job / ack-data function code.
    pub function: Option<u8>,
    pub userdata: Option<UserdataHead>,
    pub detail: Detail,
}

impl S7Pdu {
    /// True for a PDU answering another (ack, ack-data, userdata response).
    pub fn is_response(&self) -> bool {
        match self.rosctr {
            ROSCTR_ACK | ROSCTR_ACK_DATA => true,
            ROSCTR_USERDATA => self
                .userdata
                .is_some_and(|u| u.kind == 8 || u.method == 0x12),
            _ => false,
        }
    }
    /// True for a userdata push (no answer expected).
    pub fn is_push(&self) -> bool {
        self.rosctr == ROSCTR_USERDATA && self.userdata.is_some_and(|u| u.kind == 0)
    }
}

/// Printable text of a wire string: up to the first NUL, trimmed, capped.
pub fn text_of(raw: &[u8]) -> String {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let s = raw.get(..end.min(MAX_TEXT)).unwrap_or(&[]);
    String::from_utf8_lossy(s).trim().to_string()
}

fn anomaly(out: &mut ParseOutput, name: &'static str) {
    out.event(AppProto::S7comm, name);
}

/// Decodes one classic S7comm PDU (a TSDU starting with 0x32).
pub fn decode(tsdu: &[u8], out: &mut ParseOutput) -> Option<S7Pdu> {
    let mut c = Cursor::new(tsdu);
    let (Some(_id), Some(rosctr), Some(_red), Some(pdu_ref), Some(plen), Some(dlen)) =
        (c.u8(), c.u8(), c.u16(), c.u16(), c.u16(), c.u16())
    else {
        anomaly(out, "PDU_TOO_SHORT");
        return None;
    };
    if rosctr_name(rosctr).is_none() {
        anomaly(out, "INVALID_ROSCTR");
        return None;
    }
    let (mut error_class, mut error_code) = (None, None);
    if matches!(rosctr, ROSCTR_ACK | ROSCTR_ACK_DATA) {
        let (Some(ec), Some(ecode)) = (c.u8(), c.u8()) else {
            anomaly(out, "PDU_TOO_SHORT");
            return None;
        };
        error_class = Some(ec);
        error_code = Some(ecode);
    }
    let body = c.rest();
    let (plen_u, dlen_u) = (usize::from(plen), usize::from(dlen));
    if plen_u + dlen_u != body.len() {
        anomaly(out, "LENGTH_MISMATCH");
    }
    let param = body.get(..plen_u.min(body.len())).unwrap_or(&[]);
    let data = body.get(plen_u.min(body.len())..).unwrap_or(&[]);
    let data = data.get(..dlen_u.min(data.len())).unwrap_or(&[]);
    let mut pdu = S7Pdu {
        rosctr,
        pdu_ref,
        param_length: plen,
        data_length: dlen,
        error_class,
        error_code,
        function: None,
        userdata: None,
        detail: Detail::None,
    };
    if rosctr == ROSCTR_USERDATA {
        decode_userdata(&mut pdu, param, data, out);
        return Some(pdu);
    }
    if param.is_empty() {
        // An ack (or an ack-data carrying only an error) has no parameter.
        if rosctr == ROSCTR_JOB {
            anomaly(out, "INVALID_PARAMETER");
        }
        return Some(pdu);
    }
    let mut p = Cursor::new(param);
    let func = p.u8()?;
    pdu.function = Some(func);
    if function_name(func).is_none() {
        anomaly(out, "UNKNOWN_FUNCTION");
        return Some(pdu);
    }
    let job = rosctr == ROSCTR_JOB;
    let detail = match func {
        0xF0 => {
            let (Some(_), Some(a), Some(b), Some(l)) = (p.u8(), p.u16(), p.u16(), p.u16()) else {
                anomaly(out, "INVALID_PARAMETER");
                return Some(pdu);
            };
            Detail::Setup {
                max_amq_calling: a,
                max_amq_called: b,
                pdu_length: l,
            }
        }
        0x04 | 0x05 if job => decode_var_job(func, &mut p, data, out),
        0x04 if !job => {
            let count = p.u8().unwrap_or(0);
            let (data, ok) = data_items(data, usize::from(count), true);
            if !ok {
                anomaly(out, "INVALID_ITEM");
            }
            Detail::ReadResult {
                item_count: count,
                data,
            }
        }
        0x05 if !job => {
            let count = p.u8().unwrap_or(0);
            let codes: Vec<u8> = data.iter().take(MAX_ITEMS).copied().collect();
            if data.len() != usize::from(count) {
                anomaly(out, "INVALID_ITEM");
            }
            Detail::WriteResult {
                item_count: count,
                codes,
            }
        }
        0x1A..=0x1F => decode_block_control(func, job, &mut p, data, out),
        0x28 if job => decode_pi_service(&mut p, out),
        0x29 if job => {
            // Five unknown octets, then the PI service name.
            let service = p
                .skip(5)
                .and_then(|_| p.u8())
                .and_then(|n| p.take(usize::from(n)))
                .map(text_of);
            match service {
                Some(service) => Detail::PlcStop { service },
                None => {
                    anomaly(out, "INVALID_PARAMETER");
                    Detail::None
                }
            }
        }
        _ => Detail::None,
    };
    pdu.detail = detail;
    Some(pdu)
}

fn decode_var_job(func: u8, p: &mut Cursor<'_>, data: &[u8], out: &mut ParseOutput) -> Detail {
    let count = p.u8().unwrap_or(0);
    let mut items = Vec::new();
    let mut ok = count > 0;
    for _ in 0..count {
        let (Some(spec), Some(len)) = (p.u8(), p.u8()) else {
            ok = false;
            break;
        };
        let Some(body) = p.take(usize::from(len)) else {
            ok = false;
            break;
        };
        if spec != 0x12 {
            ok = false;
        }
        let mut b = Cursor::new(body);
        let syntax_id = b.u8().unwrap_or(0);
        let any = if syntax_id == 0x10 {
            match (b.u8(), b.u16(), b.u16(), b.u8(), b.u24()) {
                (Some(t), Some(l), Some(db), Some(area), Some(addr)) => Some(AnyAddress {
                    transport_size: t,
                    length: l,
                    db,
                    area,
                    address: addr,
                }),
                _ => {
                    ok = false;
                    None
                }
            }
        } else {
            None
        };
        if items.len() < MAX_ITEMS {
            items.push(VarItem { syntax_id, any });
        }
    }
    let data_items = if func == 0x05 {
        let (d, dok) = data_items(data, usize::from(count), false);
        ok &= dok;
        d
    } else {
        Vec::new()
    };
    if !ok || !p.is_empty() {
        anomaly(out, "INVALID_ITEM");
    }
    Detail::VarJob {
        item_count: count,
        items,
        data: data_items,
    }
}

/// Splits `count` data items (return code, transport size, length, data,
/// fill octet between items); false when they do not fit exactly. In a
/// response, an item whose return code is not success carries no data.
fn data_items(data: &[u8], count: usize, response: bool) -> (Vec<DataItem>, bool) {
    let mut c = Cursor::new(data);
    let mut items = Vec::new();
    for i in 0..count {
        let (Some(rc), Some(ts), Some(len)) = (c.u8(), c.u8(), c.u16()) else {
            return (items, false);
        };
        let bytes = match ts {
            _ if response && rc != 0xFF => 0,
            // BIT, BYTE/WORD/DWORD and INT lengths count bits.
            0x03..=0x05 => usize::from(len).div_ceil(8),
            _ => usize::from(len),
        };
        if c.skip(bytes).is_none() {
            return (items, false);
        }
        if bytes % 2 == 1 && i + 1 < count {
            let _ = c.skip(1);
        }
        if items.len() < MAX_ITEMS {
            items.push(DataItem {
                return_code: rc,
                transport_size: ts,
                length: u16::try_from(bytes).unwrap_or(u16::MAX),
            });
        }
    }
    (items, c.is_empty())
}

fn decode_block_control(
    func: u8,
    job: bool,
    p: &mut Cursor<'_>,
    data: &[u8],
    out: &mut ParseOutput,
) -> Detail {
    let status = p.u8().unwrap_or(0);
    let mut detail_upload_id = None;
    let mut file = None;
    let mut block_length = None;
    let (mut load_len, mut mc7_len) = (None, None);
    let mut ok = true;
    if job || (func == 0x1D && !p.is_empty()) {
        // Two unknown octets, then four octets (upload id for 0x1D..0x1F).
        let _ = p.skip(2);
        let id = p.u32();
        if matches!(func, 0x1D..=0x1F) {
            detail_upload_id = id;
        }
        if job && matches!(func, 0x1A..=0x1D) {
            match p.u8().and_then(|n| p.take(usize::from(n))) {
                Some(name) => file = Some(BlockName::parse(name)),
                None => ok = false,
            }
            if func == 0x1A
                && let Some(part2) = p.u8().and_then(|n| p.take(usize::from(n)))
            {
                // One char, then the load memory and MC7 lengths (6 digits each).
                let num = |r: Option<&[u8]>| {
                    r.and_then(|s| std::str::from_utf8(s).ok())
                        .and_then(|s| s.trim().parse().ok())
                };
                load_len = num(part2.get(1..7));
                mc7_len = num(part2.get(7..13));
            }
        } else if !job
            && func == 0x1D
            && let Some(s) = p.u8().and_then(|n| p.take(usize::from(n)))
        {
            block_length = Some(text_of(s));
        }
    }
    if !ok {
        anomaly(out, "INVALID_PARAMETER");
    }
    // Download block (ack-data) and upload (ack-data) carry the block data:
    // length(2) then two unknown octets then the data.
    let data_length = (!data.is_empty())
        .then(|| Cursor::new(data).u16())
        .flatten();
    Detail::Block {
        status,
        upload_id: detail_upload_id,
        file,
        block_length,
        load_memory_length: load_len,
        mc7_length: mc7_len,
        data_length,
    }
}

fn decode_pi_service(p: &mut Cursor<'_>, out: &mut ParseOutput) -> Detail {
    // Seven unknown octets, parameter block, then the service name.
    let parsed = (|| {
        p.skip(7)?;
        let plen = p.u16()?;
        let block = p.take(usize::from(plen))?;
        let slen = p.u8()?;
        let service = p.take(usize::from(slen))?;
        Some((block, service))
    })();
    let Some((block, service)) = parsed else {
        anomaly(out, "INVALID_PARAMETER");
        return Detail::None;
    };
    let service = text_of(service);
    let mut blocks = Vec::new();
    let mut argument = None;
    if matches!(service.as_str(), "_INSE" | "_DELE") {
        // Number of blocks, one unknown octet, then 8-character names.
        let mut b = Cursor::new(block);
        let n = b.u8().unwrap_or(0);
        let _ = b.u8();
        for _ in 0..n {
            let Some(name) = b.take(8) else { break };
            if blocks.len() < MAX_ITEMS {
                blocks.push(BlockName::parse(name));
            }
        }
    } else if !block.is_empty() {
        argument = Some(text_of(block));
    }
    Detail::PiService {
        service,
        blocks,
        argument,
    }
}

fn decode_userdata(pdu: &mut S7Pdu, param: &[u8], data: &[u8], out: &mut ParseOutput) {
    // Parameter head (3 octets: 00 01 12, or 01 00 10 for mode
    // transitions) and length (4, 8; 16 seen with the latter).
    let mut p = Cursor::new(param);
    let _head = p.take(3);
    let (Some(plen), Some(method), Some(tg), Some(sub), Some(seq)) =
        (p.u8(), p.u8(), p.u8(), p.u8(), p.u8())
    else {
        anomaly(out, "INVALID_PARAMETER");
        return;
    };
    let mut head = UserdataHead {
        method,
        kind: tg >> 4,
        group: tg & 0x0F,
        subfunction: sub,
        sequence: seq,
        data_unit_ref: None,
        more: None,
        error: None,
    };
    if plen == 8 {
        head.data_unit_ref = p.u8();
        head.more = p.u8().map(|b| b != 0);
        head.error = p.u16();
    }
    pdu.userdata = Some(head);
    let mut d = Cursor::new(data);
    let mut detail = UserdataDetail::default();
    if let (Some(rc), Some(ts), Some(len)) = (d.u8(), d.u8(), d.u16()) {
        detail.item = Some(DataItem {
            return_code: rc,
            transport_size: ts,
            length: len,
        });
        let payload = d.rest();
        let payload = payload
            .get(..usize::from(len).min(payload.len()))
            .unwrap_or(&[]);
        let first_unit = head.data_unit_ref.unwrap_or(0) == 0;
        let mut q = Cursor::new(payload);
        match (head.group, head.subfunction) {
            (4, 1) if first_unit && rc == 0xFF => {
                if let (Some(id), Some(index)) = (q.u16(), q.u16()) {
                    let mut szl = Szl {
                        id,
                        index,
                        ..Szl::default()
                    };
                    if let (Some(l), Some(n)) = (q.u16(), q.u16()) {
                        szl.list_length = Some(l);
                        szl.list_count = Some(n);
                        szl.identity = identity(id, l, n, q.rest());
                    }
                    detail.szl = Some(szl);
                }
            }
            (7, 1..=4) if payload.len() >= 10 && rc == 0xFF => {
                detail.clock = bcd_time(payload.get(..10).unwrap_or(&[]));
            }
            (3, 2) if head.kind == 4 => {
                // Block type in ASCII after one filler octet.
                detail.block_type = payload.get(1..3).and_then(block_type_name);
            }
            (3, 3) if head.kind == 4 => {
                // Filler, then type (2), number (5), file system (1).
                if let Some(name) = payload.get(1..9) {
                    detail.block = Some(BlockName::parse(name));
                }
            }
            _ => {}
        }
    }
    pdu.detail = Detail::Userdata(detail);
}

/// Identity strings from SZL 0x0011/0x0111 (module identification) and
/// 0x001C/0x011C (component identification) records.
fn identity(id: u16, rec_len: u16, count: u16, records: &[u8]) -> Option<Identity> {
    let rec_len = usize::from(rec_len);
    let mut ident = Identity::default();
    let mut any = false;
    match id & 0x00FF {
        0x11 if rec_len >= 28 => {
            for rec in records.chunks_exact(rec_len).take(usize::from(count)) {
                let mut c = Cursor::new(rec);
                let (Some(index), Some(mlfb), Some(_bgtyp), Some(ausbg), Some(ausbe)) =
                    (c.u16(), c.take(20), c.u16(), c.u16(), c.u16())
                else {
                    continue;
                };
                match index {
                    1 => ident.order_number = Some(text_of(mlfb)),
                    6 => ident.hardware_order_number = Some(text_of(mlfb)),
                    7 => {
                        let [v, major] = ausbg.to_be_bytes();
                        let [minor, patch] = ausbe.to_be_bytes();
                        if v == b'V' {
                            ident.firmware_version = Some(format!("V{major}.{minor}.{patch}"));
                        }
                    }
                    _ => continue,
                }
                any = true;
            }
        }
        0x1C if rec_len >= 34 => {
            for rec in records.chunks_exact(rec_len).take(usize::from(count)) {
                let mut c = Cursor::new(rec);
                let (Some(index), Some(text)) = (c.u16(), c.take(32)) else {
                    continue;
                };
                let t = Some(text_of(text));
                match index {
                    1 => ident.system_name = t,
                    2 => ident.module_name = t,
                    3 => ident.plant_id = t,
                    4 => ident.copyright = t,
                    5 => ident.serial_number = t,
                    7 => ident.module_type_name = t,
                    8 => ident.memory_card_serial = t,
                    _ => continue,
                }
                any = true;
            }
        }
        _ => {}
    }
    any.then_some(ident)
}

fn bcd(b: u8) -> Option<u32> {
    let (hi, lo) = (b >> 4, b & 0x0F);
    (hi < 10 && lo < 10).then_some(u32::from(hi) * 10 + u32::from(lo))
}

/// S7 BCD timestamp (10 octets: reserved, century, year, month, day,
/// hour, minute, second, milliseconds and weekday) as ISO 8601.
fn bcd_time(t: &[u8]) -> Option<String> {
    let &[_, y1, y2, mon, day, h, m, s, ms1, ms2] = t else {
        return None;
    };
    let year = bcd(y1)? * 100 + bcd(y2)?;
    let ms = bcd(ms1)? * 10 + u32::from(ms2 >> 4);
    if ms2 >> 4 > 9 {
        return None;
    }
    Some(format!(
        "{year:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{ms:03}",
        bcd(mon)?,
        bcd(day)?,
        bcd(h)?,
        bcd(m)?,
        bcd(s)?
    ))
}

fn write_block_name(w: &mut JsonWriter<'_>, key: &str, b: &BlockName) {
    w.open_object_key(key);
    w.string("name", &b.raw);
    if let Some(t) = b.block_type {
        w.string("block_type", t);
    }
    if let Some(n) = b.number {
        w.uint("block_number", u64::from(n));
    }
    if let Some(fs) = b.filesystem {
        let mut buf = [0u8; 4];
        w.string("filesystem", fs.encode_utf8(&mut buf));
    }
    w.close_object();
}

fn write_data_items(w: &mut JsonWriter<'_>, key: &str, items: &[DataItem]) {
    w.open_array_key(key);
    for d in items {
        w.open_object();
        w.uint("return_code", u64::from(d.return_code));
        if let Some(n) = return_code_name(d.return_code) {
            w.string("return", n);
        }
        w.uint("transport_size", u64::from(d.transport_size));
        w.uint("length", u64::from(d.length));
        w.close_object();
    }
    w.close_array();
}

impl S7Pdu {
    /// Writes this PDU's object (the `request` or `response` member).
    pub fn write_json(&self, w: &mut JsonWriter<'_>) {
        w.uint("rosctr_code", u64::from(self.rosctr));
        if let Some(n) = rosctr_name(self.rosctr) {
            w.string("rosctr", n);
        }
        w.uint("param_length", u64::from(self.param_length));
        w.uint("data_length", u64::from(self.data_length));
        if let Some(ec) = self.error_class {
            w.uint("error_class", u64::from(ec));
        }
        if let Some(ec) = self.error_code {
            w.uint("error_code", u64::from(ec));
        }
        if let Some(u) = &self.userdata {
            w.string(
                "type",
                match u.kind {
                    0 => "push",
                    4 => "request",
                    8 => "response",
                    _ => "unknown",
                },
            );
            w.uint("sequence", u64::from(u.sequence));
            if let Some(r) = u.data_unit_ref {
                w.uint("data_unit_ref", u64::from(r));
            }
            if let Some(m) = u.more {
                w.boolean("more_data_units", m);
            }
            if let Some(e) = u.error {
                w.uint("userdata_error", u64::from(e));
            }
        }
        match &self.detail {
            Detail::None => {}
            Detail::Setup {
                max_amq_calling,
                max_amq_called,
                pdu_length,
            } => {
                w.uint("max_amq_calling", u64::from(*max_amq_calling));
                w.uint("max_amq_called", u64::from(*max_amq_called));
                w.uint("pdu_length", u64::from(*pdu_length));
            }
            Detail::VarJob {
                item_count,
                items,
                data,
            } => {
                w.uint("item_count", u64::from(*item_count));
                w.open_array_key("items");
                for it in items {
                    w.open_object();
                    w.uint("syntax_id", u64::from(it.syntax_id));
                    if let Some(a) = &it.any {
                        if let Some(n) = area_name(a.area) {
                            w.string("area", n);
                        }
                        w.uint("area_code", u64::from(a.area));
                        w.uint("db", u64::from(a.db));
                        w.uint("byte_address", u64::from(a.address >> 3));
                        w.uint("bit_address", u64::from(a.address & 7));
                        if let Some(n) = transport_size_name(a.transport_size) {
                            w.string("transport_size", n);
                        }
                        w.uint("transport_size_code", u64::from(a.transport_size));
                        w.uint("length", u64::from(a.length));
                    }
                    w.close_object();
                }
                w.close_array();
                if !data.is_empty() {
                    write_data_items(w, "data", data);
                }
            }
            Detail::ReadResult { item_count, data } => {
                w.uint("item_count", u64::from(*item_count));
                write_data_items(w, "data", data);
            }
            Detail::WriteResult { item_count, codes } => {
                w.uint("item_count", u64::from(*item_count));
                w.open_array_key("return_codes");
                for c in codes {
                    w.array_uint(u64::from(*c));
                }
                w.close_array();
            }
            Detail::Block {
                status,
                upload_id,
                file,
                block_length,
                load_memory_length,
                mc7_length,
                data_length,
            } => {
                w.boolean("more_data", status & 1 != 0);
                if status & 2 != 0 {
                    w.boolean("error", true);
                }
                if let Some(id) = upload_id {
                    w.uint("upload_id", u64::from(*id));
                }
                if let Some(f) = file {
                    write_block_name(w, "block", f);
                }
                if let Some(l) = block_length {
                    w.string("block_length", l);
                }
                if let Some(l) = load_memory_length {
                    w.uint("load_memory_length", u64::from(*l));
                }
                if let Some(l) = mc7_length {
                    w.uint("mc7_length", u64::from(*l));
                }
                if let Some(l) = data_length {
                    w.uint("block_data_length", u64::from(*l));
                }
            }
            Detail::PiService {
                service,
                blocks,
                argument,
            } => {
                w.string("pi_service", service);
                if !blocks.is_empty() {
                    w.open_array_key("blocks");
                    for b in blocks {
                        w.open_object();
                        w.string("name", &b.raw);
                        if let Some(t) = b.block_type {
                            w.string("block_type", t);
                        }
                        if let Some(n) = b.number {
                            w.uint("block_number", u64::from(n));
                        }
                        w.close_object();
                    }
                    w.close_array();
                }
                if let Some(a) = argument {
                    w.string("argument", a);
                }
            }
            Detail::PlcStop { service } => w.string("pi_service", service),
            Detail::Userdata(u) => {
                if let Some(d) = &u.item {
                    w.uint("return_code", u64::from(d.return_code));
                    if let Some(n) = return_code_name(d.return_code) {
                        w.string("return", n);
                    }
                }
                if let Some(s) = &u.szl {
                    w.open_object_key("szl");
                    w.uint("id", u64::from(s.id));
                    w.uint("index", u64::from(s.index));
                    if let Some(l) = s.list_length {
                        w.uint("list_length", u64::from(l));
                    }
                    if let Some(n) = s.list_count {
                        w.uint("list_count", u64::from(n));
                    }
                    if let Some(i) = &s.identity {
                        w.open_object_key("identity");
                        let fields = [
                            ("order_number", &i.order_number),
                            ("hardware_order_number", &i.hardware_order_number),
                            ("firmware_version", &i.firmware_version),
                            ("system_name", &i.system_name),
                            ("module_name", &i.module_name),
                            ("plant_id", &i.plant_id),
                            ("copyright", &i.copyright),
                            ("serial_number", &i.serial_number),
                            ("module_type_name", &i.module_type_name),
                            ("memory_card_serial", &i.memory_card_serial),
                        ];
                        for (k, v) in fields {
                            if let Some(v) = v {
                                w.string(k, v);
                            }
                        }
                        w.close_object();
                    }
                    w.close_object();
                }
                if let Some(t) = &u.clock {
                    w.string("clock", t);
                }
                if let Some(b) = &u.block {
                    write_block_name(w, "block", b);
                }
                if let Some(t) = u.block_type {
                    w.string("block_type", t);
                }
            }
        }
    }
}
