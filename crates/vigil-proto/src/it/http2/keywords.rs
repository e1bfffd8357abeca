//! Suricata's HTTP/2 rule keywords on a transaction's frames in the
//! inspected direction: `http2.frametype`, `http2.errorcode`,
//! `http2.priority`, `http2.window`, `http2.size_update`,
//! `http2.settings`.

use super::hpack::Field;
use super::tx::{ERROR_CODE_RULE_NAMES, FRAME_TYPES, FrameData, Http2Tx, SETTINGS_IDS, Side};
use crate::keywords::{TxMatch, UintCond};
use crate::{Direction, Transaction};

fn side(tx: &dyn Transaction, dir: Direction) -> Option<&Side> {
    let tx = tx.as_any()?.downcast_ref::<Http2Tx>()?;
    Some(tx.side(dir))
}

/// A name from `names` (case-insensitive, `_` optional) or a number.
fn name_or_number(v: &str, names: &[&str]) -> Option<u64> {
    let v = v.trim();
    let squash = |s: &str| s.replace('_', "").to_ascii_uppercase();
    let want = squash(v);
    if let Some(i) = names.iter().position(|n| squash(n) == want) {
        return Some(i as u64);
    }
    v.parse().ok()
}

/// `http2.frametype:GOAWAY` (or a number).
pub(crate) fn compile_frametype(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let t = name_or_number(v, &FRAME_TYPES)
        .filter(|&t| t < 256)
        .ok_or_else(|| format!("unknown frame type '{}'", v.trim()))?;
    Ok(Box::new(FrameType(t as u8)))
}

#[derive(Debug)]
struct FrameType(u8);

impl TxMatch for FrameType {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        side(tx, dir).is_some_and(|s| s.has_type(self.0))
    }
}

/// `http2.errorcode:NO_ERROR` (or a number): a GOAWAY's or RST_STREAM's.
pub(crate) fn compile_errorcode(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let c = name_or_number(v, &ERROR_CODE_RULE_NAMES)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| format!("unknown error code '{}'", v.trim()))?;
    Ok(Box::new(ErrorCode(c)))
}

#[derive(Debug)]
struct ErrorCode(u32);

impl TxMatch for ErrorCode {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        side(tx, dir).is_some_and(|s| {
            s.frames.iter().any(
                |f| matches!(f.data, FrameData::GoAway(c) | FrameData::RstStream(c) if c == self.0),
            )
        })
    }
}

/// Which integer a [`Uint`] keyword reads.
#[derive(Clone, Copy, Debug)]
enum What {
    Priority,
    Window,
    SizeUpdate,
}

#[derive(Debug)]
struct Uint(What, UintCond);

fn uint(what: What, v: &str) -> Result<Box<dyn TxMatch>, String> {
    let c =
        UintCond::parse(v).ok_or_else(|| format!("invalid integer condition '{}'", v.trim()))?;
    Ok(Box::new(Uint(what, c)))
}

/// `http2.priority`: a PRIORITY frame's or a HEADERS' weight.
pub(crate) fn compile_priority(v: &str) -> Result<Box<dyn TxMatch>, String> {
    uint(What::Priority, v)
}

/// `http2.window`: a WINDOW_UPDATE's increment.
pub(crate) fn compile_window(v: &str) -> Result<Box<dyn TxMatch>, String> {
    uint(What::Window, v)
}

/// `http2.size_update`: a header block's dynamic table size update.
pub(crate) fn compile_size_update(v: &str) -> Result<Box<dyn TxMatch>, String> {
    uint(What::SizeUpdate, v)
}

impl TxMatch for Uint {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        let Some(s) = side(tx, dir) else {
            return false;
        };
        s.frames.iter().any(|f| match (&f.data, self.0) {
            (FrameData::Priority(p), What::Priority)
            | (
                FrameData::Headers {
                    priority: Some(p), ..
                },
                What::Priority,
            ) => self.1.matches(u64::from(*p)),
            (FrameData::WindowUpdate(w), What::Window) => self.1.matches(u64::from(*w)),
            (FrameData::Headers { fields, .. }, What::SizeUpdate) => fields
                .iter()
                .any(|x| matches!(x, Field::SizeUpdate(n) if self.1.matches(*n))),
            _ => false,
        })
    }
}

/// `http2.settings:SETTINGS_ENABLE_PUSH` with an optional integer condition
/// on the value (`SETTINGS_HEADER_TABLE_SIZE>1000`).
pub(crate) fn compile_settings(v: &str) -> Result<Box<dyn TxMatch>, String> {
    let v = v.trim();
    let end = v.find([' ', '<', '>', '=', '!']).unwrap_or(v.len());
    let (name, rest) = v.split_at(end);
    let id = SETTINGS_IDS
        .iter()
        .find(|(_, _, n)| n.eq_ignore_ascii_case(name))
        .map(|(i, _, _)| *i)
        .ok_or_else(|| format!("unknown setting '{name}'"))?;
    let cond = if rest.trim().is_empty() {
        None
    } else {
        Some(
            UintCond::parse(rest)
                .ok_or_else(|| format!("invalid integer condition '{}'", rest.trim()))?,
        )
    };
    Ok(Box::new(Setting(id, cond)))
}

#[derive(Debug)]
struct Setting(u16, Option<UintCond>);

impl TxMatch for Setting {
    fn matches(&self, tx: &dyn Transaction, dir: Direction) -> bool {
        side(tx, dir).is_some_and(|s| {
            s.frames.iter().any(|f| match &f.data {
                FrameData::Settings(set) => set.iter().any(|(id, value)| {
                    *id == self.0 && self.1.is_none_or(|c| c.matches(u64::from(*value)))
                }),
                _ => false,
            })
        })
    }
}
