//! IEC 60870-5-101/104 ASDU: type identification table, information
//! element decoding and their EVE rendering.
//!
//! IEC 104 sizes: cause of transmission 2 octets (cause + originator),
//! common address 2 octets, information object address 3 octets.

use crate::ot::cotp::Cursor;
use vigil_eve::JsonWriter;

/// Layout of the information elements of one information object (after
/// its address), time tag included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    Siq,
    SiqCp24,
    SiqCp56,
    Diq,
    DiqCp24,
    DiqCp56,
    VtiQds,
    VtiQdsCp24,
    VtiQdsCp56,
    BsiQds,
    BsiQdsCp24,
    BsiQdsCp56,
    NvaQds,
    NvaQdsCp24,
    NvaQdsCp56,
    SvaQds,
    SvaQdsCp24,
    SvaQdsCp56,
    FltQds,
    FltQdsCp24,
    FltQdsCp56,
    Bcr,
    BcrCp24,
    BcrCp56,
    SepCp16Cp24,
    SepCp16Cp56,
    SpeQdpCp16Cp24,
    SpeQdpCp16Cp56,
    OciQdpCp16Cp24,
    OciQdpCp16Cp56,
    ScdQds,
    Nva,
    Sco,
    ScoCp56,
    Dco,
    DcoCp56,
    Rco,
    RcoCp56,
    NvaQos,
    NvaQosCp56,
    SvaQos,
    SvaQosCp56,
    FltQos,
    FltQosCp56,
    Bsi,
    BsiCp56,
    Coi,
    Qoi,
    Qcc,
    Empty,
    Cp56,
    Fbp,
    Qrp,
    Cp16,
    TscCp56,
    NvaQpm,
    SvaQpm,
    FltQpm,
    Qpa,
    FileReady,
    SectionReady,
    CallSelect,
    LastSection,
    AckFile,
    Segment,
    Directory,
    QueryLog,
}

impl Elem {
    /// Octets per object after the IOA; `None` for the variable-length
    /// file segment (its length octet decides).
    pub fn size(self) -> Option<usize> {
        use Elem::*;
        Some(match self {
            Siq | Diq | Sco | Dco | Rco | Coi | Qoi | Qcc | Qrp | Qpa => 1,
            SiqCp24 | DiqCp24 => 4,
            SiqCp56 | DiqCp56 | ScoCp56 | DcoCp56 | RcoCp56 => 8,
            Cp56 => 7,
            VtiQds => 2,
            VtiQdsCp24 => 5,
            VtiQdsCp56 => 9,
            BsiQds | FltQds | ScdQds | FltQos | Bcr | FltQpm => 5,
            BsiQdsCp24 | FltQdsCp24 | BcrCp24 => 8,
            BsiQdsCp56 | FltQdsCp56 | BcrCp56 | FltQosCp56 => 12,
            NvaQds | SvaQds | NvaQos | SvaQos | NvaQpm | SvaQpm => 3,
            NvaQdsCp24 | SvaQdsCp24 => 6,
            NvaQdsCp56 | SvaQdsCp56 | NvaQosCp56 | SvaQosCp56 => 10,
            SepCp16Cp24 => 6,
            SepCp16Cp56 => 10,
            SpeQdpCp16Cp24 | OciQdpCp16Cp24 => 7,
            SpeQdpCp16Cp56 | OciQdpCp16Cp56 => 11,
            Nva | Fbp | Cp16 => 2,
            Bsi => 4,
            BsiCp56 => 11,
            Empty => 0,
            TscCp56 => 9,
            FileReady => 6,
            SectionReady => 7,
            CallSelect | AckFile => 4,
            LastSection => 5,
            Segment => return None,
            Directory => 13,
            QueryLog => 16,
        })
    }
}

/// One defined type identification.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo {
    pub id: u8,
    /// The standard's mnemonic, e.g. `C_SC_NA_1`.
    pub name: &'static str,
    pub elem: Elem,
}

macro_rules! types {
    ($($id:literal $name:ident $elem:ident),* $(,)?) => {
        /// Every type identification of IEC 60870-5-101/104 vigil decodes.
        pub static TYPES: &[TypeInfo] = &[
            $(TypeInfo { id: $id, name: stringify!($name), elem: Elem::$elem }),*
        ];
    };
}

types! {
    1 M_SP_NA_1 Siq, 2 M_SP_TA_1 SiqCp24, 3 M_DP_NA_1 Diq, 4 M_DP_TA_1 DiqCp24,
    5 M_ST_NA_1 VtiQds, 6 M_ST_TA_1 VtiQdsCp24, 7 M_BO_NA_1 BsiQds, 8 M_BO_TA_1 BsiQdsCp24,
    9 M_ME_NA_1 NvaQds, 10 M_ME_TA_1 NvaQdsCp24, 11 M_ME_NB_1 SvaQds, 12 M_ME_TB_1 SvaQdsCp24,
    13 M_ME_NC_1 FltQds, 14 M_ME_TC_1 FltQdsCp24, 15 M_IT_NA_1 Bcr, 16 M_IT_TA_1 BcrCp24,
    17 M_EP_TA_1 SepCp16Cp24, 18 M_EP_TB_1 SpeQdpCp16Cp24, 19 M_EP_TC_1 OciQdpCp16Cp24,
    20 M_PS_NA_1 ScdQds, 21 M_ME_ND_1 Nva,
    30 M_SP_TB_1 SiqCp56, 31 M_DP_TB_1 DiqCp56, 32 M_ST_TB_1 VtiQdsCp56, 33 M_BO_TB_1 BsiQdsCp56,
    34 M_ME_TD_1 NvaQdsCp56, 35 M_ME_TE_1 SvaQdsCp56, 36 M_ME_TF_1 FltQdsCp56, 37 M_IT_TB_1 BcrCp56,
    38 M_EP_TD_1 SepCp16Cp56, 39 M_EP_TE_1 SpeQdpCp16Cp56, 40 M_EP_TF_1 OciQdpCp16Cp56,
    45 C_SC_NA_1 Sco, 46 C_DC_NA_1 Dco, 47 C_RC_NA_1 Rco, 48 C_SE_NA_1 NvaQos, 49 C_SE_NB_1 SvaQos,
    50 C_SE_NC_1 FltQos, 51 C_BO_NA_1 Bsi,
    58 C_SC_TA_1 ScoCp56, 59 C_DC_TA_1 DcoCp56, 60 C_RC_TA_1 RcoCp56, 61 C_SE_TA_1 NvaQosCp56,
    62 C_SE_TB_1 SvaQosCp56, 63 C_SE_TC_1 FltQosCp56, 64 C_BO_TA_1 BsiCp56,
    70 M_EI_NA_1 Coi,
    100 C_IC_NA_1 Qoi, 101 C_CI_NA_1 Qcc, 102 C_RD_NA_1 Empty, 103 C_CS_NA_1 Cp56,
    104 C_TS_NA_1 Fbp, 105 C_RP_NA_1 Qrp, 106 C_CD_NA_1 Cp16, 107 C_TS_TA_1 TscCp56,
    110 P_ME_NA_1 NvaQpm, 111 P_ME_NB_1 SvaQpm, 112 P_ME_NC_1 FltQpm, 113 P_AC_NA_1 Qpa,
    120 F_FR_NA_1 FileReady, 121 F_SR_NA_1 SectionReady, 122 F_SC_NA_1 CallSelect,
    123 F_LS_NA_1 LastSection, 124 F_AF_NA_1 AckFile, 125 F_SG_NA_1 Segment,
    126 F_DR_TA_1 Directory, 127 F_SC_NB_1 QueryLog,
}

/// The definition of type `id`.
pub fn type_info(id: u8) -> Option<&'static TypeInfo> {
    TYPES.iter().find(|t| t.id == id)
}

/// True for types that carry exactly one information object (commands,
/// system commands, parameters and file transfer in control direction).
pub fn single_object_only(id: u8) -> bool {
    matches!(id, 45..=64 | 100..=107 | 113)
}

/// The standard's abbreviation of a cause of transmission.
pub fn cause_name(cause: u8) -> Option<&'static str> {
    const INRO: [&str; 16] = [
        "inro1", "inro2", "inro3", "inro4", "inro5", "inro6", "inro7", "inro8", "inro9", "inro10",
        "inro11", "inro12", "inro13", "inro14", "inro15", "inro16",
    ];
    Some(match cause {
        1 => "per_cyc",
        2 => "back",
        3 => "spont",
        4 => "init",
        5 => "req",
        6 => "act",
        7 => "actcon",
        8 => "deact",
        9 => "deactcon",
        10 => "actterm",
        11 => "retrem",
        12 => "retloc",
        13 => "file",
        20 => "inrogen",
        21..=36 => INRO.get(usize::from(cause - 21))?,
        37 => "reqcogen",
        38 => "reqco1",
        39 => "reqco2",
        40 => "reqco3",
        41 => "reqco4",
        44 => "unknown_type_id",
        45 => "unknown_cause",
        46 => "unknown_common_address",
        47 => "unknown_ioa",
        _ => return None,
    })
}

/// A qualifier value the standard reserves, found while decoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadQualifier {
    Coi,
    Qoi,
    Qcc,
    Qrp,
    Qoc,
}

/// Checks the qualifiers of one object's elements for reserved values.
pub fn check_qualifiers(elem: Elem, raw: &[u8]) -> Option<BadQualifier> {
    use Elem::*;
    let b = raw.first().copied()?;
    match elem {
        // COI: cause of initialization, 0..2 defined, 3..31 reserved.
        Coi if (3..=31).contains(&(b & 0x7F)) => Some(BadQualifier::Coi),
        // QOI: 20 station, 21..36 groups; 1..19 and 37..63 reserved.
        Qoi if (1..=19).contains(&b) || (37..=63).contains(&b) => Some(BadQualifier::Qoi),
        // QCC request: 0..5 defined, 6..31 reserved.
        Qcc if (6..=31).contains(&(b & 0x3F)) => Some(BadQualifier::Qcc),
        // QRP: 1, 2 defined; 0 unused; 3..127 reserved.
        Qrp if b == 0 || (3..=127).contains(&b) => Some(BadQualifier::Qrp),
        // QOC qualifier (QU, bits 2..6): 0..3 defined, 4..8 reserved (9..15
        // reserved for other predefined functions), 16..31 private.
        Sco | ScoCp56 | Dco | DcoCp56 | Rco | RcoCp56 if (4..=15).contains(&((b >> 2) & 0x1F)) => {
            Some(BadQualifier::Qoc)
        }
        _ => None,
    }
}

fn bit(b: u8, n: u8) -> bool {
    b & (1 << n) != 0
}

/// QDS quality descriptor: `"qds":{"ov":..,"bl":..,"sb":..,"nt":..,"iv":..}`.
fn write_qds(w: &mut JsonWriter<'_>, key: &str, q: u8) {
    w.open_object_key(key);
    w.boolean("ov", bit(q, 0));
    write_quality_tail(w, q);
    w.close_object();
}

/// The BL/SB/NT/IV bits shared by quality descriptors.
fn write_quality_tail(w: &mut JsonWriter<'_>, q: u8) {
    w.boolean("bl", bit(q, 4));
    w.boolean("sb", bit(q, 5));
    w.boolean("nt", bit(q, 6));
    w.boolean("iv", bit(q, 7));
}

/// CP56Time2a as `YYYY-MM-DDTHH:MM:SS.mmm` (years 2000-2099) plus its flags.
pub fn write_cp56(w: &mut JsonWriter<'_>, key: &str, t: &[u8]) {
    let mut c = Cursor::new(t);
    let (Some(ms), Some(min), Some(hour), Some(day), Some(mon), Some(year)) =
        (c.u16_le(), c.u8(), c.u8(), c.u8(), c.u8(), c.u8())
    else {
        return;
    };
    w.open_object_key(key);
    w.string_with("value", |o| {
        push_num(o, 2000 + u32::from(year & 0x7F), 4);
        o.push(b'-');
        push_num(o, u32::from(mon & 0x0F), 2);
        o.push(b'-');
        push_num(o, u32::from(day & 0x1F), 2);
        o.push(b'T');
        push_num(o, u32::from(hour & 0x1F), 2);
        o.push(b':');
        push_num(o, u32::from(min & 0x3F), 2);
        o.push(b':');
        push_num(o, u32::from(ms / 1000), 2);
        o.push(b'.');
        push_num(o, u32::from(ms % 1000), 3);
    });
    w.uint("day_of_week", u64::from(day >> 5));
    w.boolean("su", bit(hour, 7));
    w.boolean("iv", bit(min, 7));
    w.close_object();
}

/// CP24Time2a: `{"ms":..,"min":..,"iv":..}` (milliseconds within the minute).
fn write_cp24(w: &mut JsonWriter<'_>, key: &str, t: &[u8]) {
    let mut c = Cursor::new(t);
    let (Some(ms), Some(min)) = (c.u16_le(), c.u8()) else {
        return;
    };
    w.open_object_key(key);
    w.uint("ms", u64::from(ms));
    w.uint("min", u64::from(min & 0x3F));
    w.boolean("iv", bit(min, 7));
    w.close_object();
}

/// Appends `v` in decimal, zero-padded to `width` digits.
fn push_num(o: &mut Vec<u8>, v: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut n = v;
    let mut len = 0;
    loop {
        if let Some(d) = digits.get_mut(len) {
            *d = b'0' + (n % 10) as u8;
        }
        len += 1;
        n /= 10;
        if n == 0 || len == digits.len() {
            break;
        }
    }
    for _ in len..width {
        o.push(b'0');
    }
    for i in (0..len).rev() {
        o.push(digits.get(i).copied().unwrap_or(b'0'));
    }
}

/// Normalized value NVA (`F16`, -1 .. +1-2^-15).
fn nva(raw: u16) -> f64 {
    f64::from(raw as i16) / 32768.0
}

/// Writes the information elements of one object: `raw` is exactly
/// `elem.size()` octets (or the whole rest for a segment).
pub fn write_elements(w: &mut JsonWriter<'_>, elem: Elem, raw: &[u8]) {
    use Elem::*;
    let mut c = Cursor::new(raw);
    match elem {
        Siq | SiqCp24 | SiqCp56 => {
            let Some(q) = c.u8() else { return };
            w.open_object_key("siq");
            w.boolean("spi", bit(q, 0));
            write_quality_tail(w, q);
            w.close_object();
        }
        Diq | DiqCp24 | DiqCp56 => {
            let Some(q) = c.u8() else { return };
            w.open_object_key("diq");
            w.uint("dpi", u64::from(q & 3));
            write_quality_tail(w, q);
            w.close_object();
        }
        VtiQds | VtiQdsCp24 | VtiQdsCp56 => {
            let (Some(v), Some(q)) = (c.u8(), c.u8()) else {
                return;
            };
            // Value: 7-bit two's complement.
            let val = i64::from(((v << 1) as i8) >> 1);
            w.open_object_key("vti");
            w.int("value", val);
            w.boolean("transient", bit(v, 7));
            w.close_object();
            write_qds(w, "qds", q);
        }
        BsiQds | BsiQdsCp24 | BsiQdsCp56 => {
            let (Some(v), Some(q)) = (c.u32_le(), c.u8()) else {
                return;
            };
            w.uint("bsi", u64::from(v));
            write_qds(w, "qds", q);
        }
        NvaQds | NvaQdsCp24 | NvaQdsCp56 => {
            let (Some(v), Some(q)) = (c.u16_le(), c.u8()) else {
                return;
            };
            w.float("nva", nva(v));
            write_qds(w, "qds", q);
        }
        SvaQds | SvaQdsCp24 | SvaQdsCp56 => {
            let (Some(v), Some(q)) = (c.u16_le(), c.u8()) else {
                return;
            };
            w.int("sva", i64::from(v as i16));
            write_qds(w, "qds", q);
        }
        FltQds | FltQdsCp24 | FltQdsCp56 => {
            let (Some(v), Some(q)) = (c.u32_le(), c.u8()) else {
                return;
            };
            w.float("flt", f64::from(f32::from_bits(v)));
            write_qds(w, "qds", q);
        }
        Bcr | BcrCp24 | BcrCp56 => {
            let (Some(v), Some(s)) = (c.u32_le(), c.u8()) else {
                return;
            };
            w.open_object_key("bcr");
            w.int("value", i64::from(v as i32));
            w.uint("sq", u64::from(s & 0x1F));
            w.boolean("cy", bit(s, 5));
            w.boolean("ca", bit(s, 6));
            w.boolean("iv", bit(s, 7));
            w.close_object();
        }
        SepCp16Cp24 | SepCp16Cp56 => {
            let (Some(s), Some(ms)) = (c.u8(), c.u16_le()) else {
                return;
            };
            w.open_object_key("sep");
            w.uint("es", u64::from(s & 3));
            w.boolean("ei", bit(s, 3));
            write_quality_tail(w, s);
            w.close_object();
            w.uint("elapsed_ms", u64::from(ms));
        }
        SpeQdpCp16Cp24 | SpeQdpCp16Cp56 | OciQdpCp16Cp24 | OciQdpCp16Cp56 => {
            let (Some(s), Some(q), Some(ms)) = (c.u8(), c.u8(), c.u16_le()) else {
                return;
            };
            let spe = matches!(elem, SpeQdpCp16Cp24 | SpeQdpCp16Cp56);
            w.open_object_key(if spe { "spe" } else { "oci" });
            w.boolean("gc", bit(s, 0));
            w.boolean("cl1", bit(s, 1));
            w.boolean("cl2", bit(s, 2));
            w.boolean("cl3", bit(s, 3));
            if spe {
                w.boolean("srd", bit(s, 4));
                w.boolean("sie", bit(s, 5));
            }
            w.close_object();
            w.open_object_key("qdp");
            w.boolean("ei", bit(q, 3));
            write_quality_tail(w, q);
            w.close_object();
            w.uint(
                if spe {
                    "relay_duration_ms"
                } else {
                    "relay_operating_ms"
                },
                u64::from(ms),
            );
        }
        ScdQds => {
            let (Some(v), Some(q)) = (c.u32_le(), c.u8()) else {
                return;
            };
            w.open_object_key("scd");
            w.uint("st", u64::from(v & 0xFFFF));
            w.uint("cd", u64::from(v >> 16));
            w.close_object();
            write_qds(w, "qds", q);
        }
        Nva => {
            let Some(v) = c.u16_le() else { return };
            w.float("nva", nva(v));
        }
        Sco | ScoCp56 => {
            let Some(b) = c.u8() else { return };
            w.open_object_key("sco");
            w.boolean("on", bit(b, 0));
            w.uint("qu", u64::from((b >> 2) & 0x1F));
            w.boolean("se", bit(b, 7));
            w.close_object();
        }
        Dco | DcoCp56 => {
            let Some(b) = c.u8() else { return };
            w.open_object_key("dco");
            w.uint("dcs", u64::from(b & 3));
            w.uint("qu", u64::from((b >> 2) & 0x1F));
            w.boolean("se", bit(b, 7));
            w.close_object();
        }
        Rco | RcoCp56 => {
            let Some(b) = c.u8() else { return };
            w.open_object_key("rco");
            w.uint("rcs", u64::from(b & 3));
            w.uint("qu", u64::from((b >> 2) & 0x1F));
            w.boolean("se", bit(b, 7));
            w.close_object();
        }
        NvaQos | NvaQosCp56 | SvaQos | SvaQosCp56 | FltQos | FltQosCp56 => {
            match elem {
                NvaQos | NvaQosCp56 => {
                    let Some(v) = c.u16_le() else { return };
                    w.float("nva", nva(v));
                }
                SvaQos | SvaQosCp56 => {
                    let Some(v) = c.u16_le() else { return };
                    w.int("sva", i64::from(v as i16));
                }
                _ => {
                    let Some(v) = c.u32_le() else { return };
                    w.float("flt", f64::from(f32::from_bits(v)));
                }
            }
            let Some(q) = c.u8() else { return };
            w.open_object_key("qos");
            w.uint("ql", u64::from(q & 0x7F));
            w.boolean("se", bit(q, 7));
            w.close_object();
        }
        Bsi | BsiCp56 => {
            let Some(v) = c.u32_le() else { return };
            w.uint("bsi", u64::from(v));
        }
        Coi => {
            let Some(b) = c.u8() else { return };
            w.open_object_key("coi");
            w.uint("r", u64::from(b & 0x7F));
            w.boolean("i", bit(b, 7));
            w.close_object();
        }
        Qoi => {
            let Some(b) = c.u8() else { return };
            w.uint("qoi", u64::from(b));
        }
        Qcc => {
            let Some(b) = c.u8() else { return };
            w.open_object_key("qcc");
            w.uint("rqt", u64::from(b & 0x3F));
            w.uint("frz", u64::from(b >> 6));
            w.close_object();
        }
        Empty | Cp56 => {}
        Fbp => {
            let Some(v) = c.u16_le() else { return };
            w.uint("fbp", u64::from(v));
        }
        Qrp => {
            let Some(b) = c.u8() else { return };
            w.uint("qrp", u64::from(b));
        }
        Cp16 => {
            let Some(v) = c.u16_le() else { return };
            w.uint("cp16", u64::from(v));
        }
        TscCp56 => {
            let Some(v) = c.u16_le() else { return };
            w.uint("tsc", u64::from(v));
        }
        NvaQpm | SvaQpm | FltQpm => {
            match elem {
                NvaQpm => {
                    let Some(v) = c.u16_le() else { return };
                    w.float("nva", nva(v));
                }
                SvaQpm => {
                    let Some(v) = c.u16_le() else { return };
                    w.int("sva", i64::from(v as i16));
                }
                _ => {
                    let Some(v) = c.u32_le() else { return };
                    w.float("flt", f64::from(f32::from_bits(v)));
                }
            }
            let Some(q) = c.u8() else { return };
            w.open_object_key("qpm");
            w.uint("kpa", u64::from(q & 0x3F));
            w.boolean("lpc", bit(q, 6));
            w.boolean("pop", bit(q, 7));
            w.close_object();
        }
        Qpa => {
            let Some(b) = c.u8() else { return };
            w.uint("qpa", u64::from(b));
        }
        FileReady => {
            let (Some(nof), Some(lof), Some(frq)) = (c.u16_le(), c.u24_le(), c.u8()) else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("lof", u64::from(lof));
            w.uint("frq", u64::from(frq));
        }
        SectionReady => {
            let (Some(nof), Some(nos), Some(lof), Some(srq)) =
                (c.u16_le(), c.u8(), c.u24_le(), c.u8())
            else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("nos", u64::from(nos));
            w.uint("lof", u64::from(lof));
            w.uint("srq", u64::from(srq));
        }
        CallSelect | AckFile => {
            let (Some(nof), Some(nos), Some(q)) = (c.u16_le(), c.u8(), c.u8()) else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("nos", u64::from(nos));
            w.uint(if elem == CallSelect { "scq" } else { "afq" }, u64::from(q));
        }
        LastSection => {
            let (Some(nof), Some(nos), Some(lsq), Some(chs)) = (c.u16_le(), c.u8(), c.u8(), c.u8())
            else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("nos", u64::from(nos));
            w.uint("lsq", u64::from(lsq));
            w.uint("chs", u64::from(chs));
        }
        Segment => {
            let (Some(nof), Some(nos), Some(los)) = (c.u16_le(), c.u8(), c.u8()) else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("nos", u64::from(nos));
            w.uint("los", u64::from(los));
        }
        Directory => {
            let (Some(nof), Some(lof), Some(sof)) = (c.u16_le(), c.u24_le(), c.u8()) else {
                return;
            };
            w.uint("nof", u64::from(nof));
            w.uint("lof", u64::from(lof));
            w.open_object_key("sof");
            w.uint("status", u64::from(sof & 0x1F));
            w.boolean("lfd", bit(sof, 5));
            w.boolean("for", bit(sof, 6));
            w.boolean("fa", bit(sof, 7));
            w.close_object();
        }
        QueryLog => {
            let Some(nof) = c.u16_le() else { return };
            w.uint("nof", u64::from(nof));
            if let Some(t) = c.take(7) {
                write_cp56(w, "range_start", t);
            }
            if let Some(t) = c.take(7) {
                write_cp56(w, "range_stop", t);
            }
            return;
        }
    }
    // Time tags at the end of the element.
    match elem {
        SiqCp24 | DiqCp24 | VtiQdsCp24 | BsiQdsCp24 | NvaQdsCp24 | SvaQdsCp24 | FltQdsCp24
        | BcrCp24 | SepCp16Cp24 | SpeQdpCp16Cp24 | OciQdpCp16Cp24 => {
            if let Some(t) = raw.get(raw.len().saturating_sub(3)..) {
                write_cp24(w, "cp24time", t);
            }
        }
        SiqCp56 | DiqCp56 | VtiQdsCp56 | BsiQdsCp56 | NvaQdsCp56 | SvaQdsCp56 | FltQdsCp56
        | BcrCp56 | SepCp16Cp56 | SpeQdpCp16Cp56 | OciQdpCp16Cp56 | ScoCp56 | DcoCp56 | RcoCp56
        | NvaQosCp56 | SvaQosCp56 | FltQosCp56 | BsiCp56 | Cp56 | TscCp56 | Directory => {
            if let Some(t) = raw.get(raw.len().saturating_sub(7)..) {
                write_cp56(w, "cp56time", t);
            }
        }
        _ => {}
    }
}
