//! FTP data connections (`ftp-data`), as Suricata 7.0 handles them.
//!
//! A data connection is never detected by content: it is the flow that
//! claims an expectation announced by a STOR or RETR on the control
//! connection ([`crate::expect`]). It carries one file, in the direction
//! the transfer announced (a passive RETR: from the server, the data
//! connection's responder; an active RETR: from the server, its initiator;
//! STOR the other way). The file opens with the first data in that
//! direction (data the other way is ignored), and closes when that
//! direction ends: then a `fileinfo` record (oriented as the file flows)
//! and an `ftp_data` record (`filename`, `command`) are written, both with
//! `tx_id` 0 and the control connection's id as `parent_id`. A flow that
//! never gets its file writes `"ftp_data":{}` at its end; a file still open
//! then is `TRUNCATED`.
//!
//! Rule buffers: `file.data` (the file's first [`MAX_FILE_DATA`] bytes, only
//! through `buffer_dir` in the file's direction), `file.name`,
//! `ftp_data.command` (`STOR`/`RETR`, for Suricata's `ftpdata_command`).

use super::Command;
use crate::it::text::write_bytes;
use crate::{AppParser, Direction, ParseOutput, Transaction, Transport};
use vigil_eve::JsonWriter;

/// Bytes of a file kept for rule inspection.
pub const MAX_FILE_DATA: usize = 1 << 20;

/// What the control connection announced for the data connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// STOR or RETR.
    pub command: Command,
    /// The request's argument.
    pub filename: Vec<u8>,
    /// Direction of the file within the data connection.
    pub direction: Direction,
}

/// Constructor for the registry (a data connection without announcement:
/// it never opens a file).
pub(crate) fn new_parser(_transport: Transport) -> Box<dyn AppParser> {
    Box::new(FtpDataParser::default())
}

#[derive(Clone, Debug)]
struct File {
    command: Command,
    filename: Vec<u8>,
    direction: Direction,
    size: u64,
    gaps: bool,
    data: Vec<u8>,
}

/// The parser of one FTP data connection.
#[derive(Default)]
pub struct FtpDataParser {
    /// Not yet taken by the first data in the file's direction.
    transfer: Option<Transfer>,
    announced_by: u64,
    file: Option<File>,
    /// Set when the file opens (Suricata's `parent_id`).
    parent: Option<u64>,
    closed: bool,
    logged: bool,
}

impl FtpDataParser {
    /// The parser of the data connection announced by flow `parent` for
    /// `transfer`.
    pub fn with_transfer(transfer: Transfer, parent: u64) -> FtpDataParser {
        FtpDataParser {
            transfer: Some(transfer),
            announced_by: parent,
            ..FtpDataParser::default()
        }
    }

    fn log(&mut self, out: &mut ParseOutput) {
        if self.logged {
            return;
        }
        self.logged = true;
        if let Some(f) = &self.file {
            out.tx(FtpFileInfo {
                filename: f.filename.clone(),
                direction: f.direction,
                gaps: f.gaps,
                closed: self.closed,
                size: f.size,
            });
        }
        out.tx(FtpDataTx {
            file: self.file.take(),
        });
    }
}

impl AppParser for FtpDataParser {
    fn parse(&mut self, dir: Direction, data: &[u8], _out: &mut ParseOutput) {
        if self.logged || self.closed || data.is_empty() {
            return;
        }
        match &mut self.file {
            None => {
                // Data the other way does not open the file.
                let Some(t) = self.transfer.take_if(|t| t.direction == dir) else {
                    return;
                };
                self.parent = Some(self.announced_by);
                let keep = data.len().min(MAX_FILE_DATA);
                self.file = Some(File {
                    command: t.command,
                    filename: t.filename,
                    direction: t.direction,
                    size: data.len() as u64,
                    gaps: false,
                    data: data.get(..keep).unwrap_or(&[]).to_vec(),
                });
            }
            Some(f) if f.direction == dir => {
                f.size += data.len() as u64;
                let room = MAX_FILE_DATA.saturating_sub(f.data.len());
                f.data
                    .extend_from_slice(data.get(..room.min(data.len())).unwrap_or(&[]));
            }
            Some(_) => {}
        }
    }

    fn gap(&mut self, dir: Direction, _len: u64, _out: &mut ParseOutput) {
        if let Some(f) = &mut self.file
            && f.direction == dir
        {
            f.gaps = true;
        }
    }

    fn close(&mut self, dir: Direction, out: &mut ParseOutput) {
        if self.file.as_ref().is_some_and(|f| f.direction == dir) && !self.closed {
            self.closed = true;
            self.log(out);
        }
    }

    fn finish(&mut self, out: &mut ParseOutput) {
        self.log(out);
    }

    fn parent_flow_id(&self) -> Option<u64> {
        self.parent
    }
}

/// The `ftp_data` record of a data connection.
pub struct FtpDataTx {
    file: Option<File>,
}

impl FtpDataTx {
    fn file_in(&self, dir: Direction) -> Option<&File> {
        self.file.as_ref().filter(|f| f.direction == dir)
    }
}

impl Transaction for FtpDataTx {
    fn event_type(&self) -> &'static str {
        "ftp_data"
    }

    fn tx_id(&self) -> Option<u64> {
        Some(0)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.open_object_key("ftp_data");
        if let Some(f) = &self.file {
            write_bytes(w, "filename", &f.filename);
            w.string("command", f.command.name());
        }
        w.close_object();
    }

    fn buffer(&self, name: &str) -> Option<&[u8]> {
        let f = self.file.as_ref()?;
        match name {
            // Only in the file's direction (see `buffer_dir`).
            "file.data" | "file_data" => None,
            "file.name" => Some(&f.filename),
            "ftp_data.command" => Some(f.command.name().as_bytes()),
            _ => None,
        }
    }

    fn buffer_dir(&self, name: &str, dir: Direction) -> Option<&[u8]> {
        match name {
            "file.data" | "file_data" => self.file_in(dir).map(|f| f.data.as_slice()),
            _ => self.buffer(name),
        }
    }
}

/// The `fileinfo` record of a data connection's file.
pub struct FtpFileInfo {
    filename: Vec<u8>,
    direction: Direction,
    gaps: bool,
    closed: bool,
    size: u64,
}

impl Transaction for FtpFileInfo {
    fn event_type(&self) -> &'static str {
        "fileinfo"
    }

    fn log_direction(&self) -> Direction {
        self.direction
    }

    fn logs_tx_id(&self) -> bool {
        false
    }

    fn tx_id(&self) -> Option<u64> {
        Some(0)
    }

    fn write_eve(&self, w: &mut JsonWriter<'_>) {
        w.string("app_proto", "ftp-data");
        w.open_object_key("fileinfo");
        write_bytes(w, "filename", &self.filename);
        w.boolean("gaps", self.gaps);
        w.string("state", if self.closed { "CLOSED" } else { "TRUNCATED" });
        w.boolean("stored", false);
        w.uint("size", self.size);
        w.uint("tx_id", 0);
        w.close_object();
    }
}
