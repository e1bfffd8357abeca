//! MMS PDUs (ISO 9506-2): the PDU choice, confirmed and unconfirmed
//! services with their object names, file names and key parameters.

use super::ber::{self, CONTEXT, Tlv, UNIVERSAL};

/// Object names / identifiers kept per PDU.
pub const MAX_NAMES: usize = 64;
/// Longest identifier kept (IEC 61850 object references reach 129).
const MAX_NAME_LEN: usize = 129;

/// The MMS PDU choice (`MMSpdu`), by its tag number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduKind {
    ConfirmedRequest,
    ConfirmedResponse,
    ConfirmedError,
    Unconfirmed,
    Reject,
    CancelRequest,
    CancelResponse,
    CancelError,
    InitiateRequest,
    InitiateResponse,
    InitiateError,
    ConcludeRequest,
    ConcludeResponse,
    ConcludeError,
}

impl PduKind {
    fn from_tag(tag: u32) -> Option<PduKind> {
        use PduKind::*;
        Some(match tag {
            0 => ConfirmedRequest,
            1 => ConfirmedResponse,
            2 => ConfirmedError,
            3 => Unconfirmed,
            4 => Reject,
            5 => CancelRequest,
            6 => CancelResponse,
            7 => CancelError,
            8 => InitiateRequest,
            9 => InitiateResponse,
            10 => InitiateError,
            11 => ConcludeRequest,
            12 => ConcludeResponse,
            13 => ConcludeError,
            _ => return None,
        })
    }
    /// The tag number (Wireshark's PDU choice index).
    pub fn code(self) -> u8 {
        self as u8
    }
    /// snake_case name, e.g. `confirmed_request`.
    pub fn name(self) -> &'static str {
        use PduKind::*;
        match self {
            ConfirmedRequest => "confirmed_request",
            ConfirmedResponse => "confirmed_response",
            ConfirmedError => "confirmed_error",
            Unconfirmed => "unconfirmed",
            Reject => "reject",
            CancelRequest => "cancel_request",
            CancelResponse => "cancel_response",
            CancelError => "cancel_error",
            InitiateRequest => "initiate_request",
            InitiateResponse => "initiate_response",
            InitiateError => "initiate_error",
            ConcludeRequest => "conclude_request",
            ConcludeResponse => "conclude_response",
            ConcludeError => "conclude_error",
        }
    }
    /// True for responses and errors.
    pub fn is_response(self) -> bool {
        use PduKind::*;
        matches!(
            self,
            ConfirmedResponse
                | ConfirmedError
                | CancelResponse
                | CancelError
                | InitiateResponse
                | InitiateError
                | ConcludeResponse
                | ConcludeError
        )
    }
}

/// Confirmed service names (snake_case of ISO 9506-2), by tag.
const CONFIRMED: [&str; 78] = [
    "status",
    "get_name_list",
    "identify",
    "rename",
    "read",
    "write",
    "get_variable_access_attributes",
    "define_named_variable",
    "define_scattered_access",
    "get_scattered_access_attributes",
    "delete_variable_access",
    "define_named_variable_list",
    "get_named_variable_list_attributes",
    "delete_named_variable_list",
    "define_named_type",
    "get_named_type_attributes",
    "delete_named_type",
    "input",
    "output",
    "take_control",
    "relinquish_control",
    "define_semaphore",
    "delete_semaphore",
    "report_semaphore_status",
    "report_pool_semaphore_status",
    "report_semaphore_entry_status",
    "initiate_download_sequence",
    "download_segment",
    "terminate_download_sequence",
    "initiate_upload_sequence",
    "upload_segment",
    "terminate_upload_sequence",
    "request_domain_download",
    "request_domain_upload",
    "load_domain_content",
    "store_domain_content",
    "delete_domain",
    "get_domain_attributes",
    "create_program_invocation",
    "delete_program_invocation",
    "start",
    "stop",
    "resume",
    "reset",
    "kill",
    "get_program_invocation_attributes",
    "obtain_file",
    "define_event_condition",
    "delete_event_condition",
    "get_event_condition_attributes",
    "report_event_condition_status",
    "alter_event_condition_monitoring",
    "trigger_event",
    "define_event_action",
    "delete_event_action",
    "get_event_action_attributes",
    "report_event_action_status",
    "define_event_enrollment",
    "delete_event_enrollment",
    "alter_event_enrollment",
    "report_event_enrollment_status",
    "get_event_enrollment_attributes",
    "acknowledge_event_notification",
    "get_alarm_summary",
    "get_alarm_enrollment_summary",
    "read_journal",
    "write_journal",
    "initialize_journal",
    "report_journal_status",
    "create_journal",
    "delete_journal",
    "get_capability_list",
    "file_open",
    "file_read",
    "file_close",
    "file_rename",
    "file_delete",
    "file_directory",
];

/// Name of a confirmed service tag.
pub fn confirmed_service_name(tag: u32) -> Option<&'static str> {
    CONFIRMED.get(usize::try_from(tag).ok()?).copied()
}

/// Name of an unconfirmed service tag.
pub fn unconfirmed_service_name(tag: u32) -> Option<&'static str> {
    Some(match tag {
        0 => "information_report",
        1 => "unsolicited_status",
        2 => "event_notification",
        _ => return None,
    })
}

/// Scope of an object name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Vmd,
    Domain,
    Aa,
}

/// An MMS ObjectName.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectName {
    pub scope: Scope,
    pub domain: Option<String>,
    pub item: String,
    /// `domain/item` (or `item`): the rule buffer form.
    pub joined: String,
}

/// Error of a confirmed-ErrorPDU (ServiceError).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// ErrorClass choice tag (0 vmd-state ... 12 others).
    pub class: u32,
    pub code: Option<i64>,
}

/// Name of a ServiceError class.
pub fn error_class_name(c: u32) -> Option<&'static str> {
    Some(match c {
        0 => "vmd_state",
        1 => "application_reference",
        2 => "definition",
        3 => "resource",
        4 => "service",
        5 => "service_preempt",
        6 => "time_resolution",
        7 => "access",
        8 => "initiate",
        9 => "conclude",
        10 => "cancel",
        11 => "file",
        12 => "others",
        _ => return None,
    })
}

/// Initiate request/response parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Initiate {
    pub local_detail: Option<u64>,
    pub max_serv_outstanding_calling: Option<u64>,
    pub max_serv_outstanding_called: Option<u64>,
    pub nesting_level: Option<u64>,
    pub version: Option<u64>,
    pub parameter_cbb: Option<Vec<u8>>,
    pub services_supported: Option<Vec<u8>>,
}

/// Identify response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identity {
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub revision: Option<String>,
}

/// One decoded MMS PDU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmsPdu {
    pub kind: PduKind,
    pub invoke_id: Option<u64>,
    /// Confirmed or unconfirmed service tag.
    pub service: Option<u32>,
    pub object_names: Vec<ObjectName>,
    /// Names that are not ObjectNames: domains, program invocations,
    /// getNameList results.
    pub identifiers: Vec<String>,
    pub file_names: Vec<String>,
    /// getNameList: object class requested.
    pub object_class: Option<u64>,
    pub more_follows: Option<bool>,
    /// Read/write responses and information reports: results.
    pub success_count: Option<u32>,
    pub failure_count: Option<u32>,
    /// Write request: number of data values.
    pub data_count: Option<u32>,
    pub error: Option<ServiceError>,
    /// Reject: reason choice tag and code.
    pub reject: Option<(u32, i64)>,
    pub initiate: Option<Initiate>,
    pub identity: Option<Identity>,
    /// Names or counts beyond the caps were dropped.
    pub truncated: bool,
    /// A mandatory element is missing (e.g. a confirmed PDU without
    /// service); what was present is kept.
    pub malformed: bool,
}

/// Why a PDU did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PduError {
    /// Not BER, or lengths beyond the data.
    Malformed,
    /// A PDU choice MMS does not define.
    UnknownPdu,
}

impl MmsPdu {
    fn new(kind: PduKind) -> MmsPdu {
        MmsPdu {
            kind,
            invoke_id: None,
            service: None,
            object_names: Vec::new(),
            identifiers: Vec::new(),
            file_names: Vec::new(),
            object_class: None,
            more_follows: None,
            success_count: None,
            failure_count: None,
            data_count: None,
            error: None,
            reject: None,
            initiate: None,
            identity: None,
            truncated: false,
            malformed: false,
        }
    }

    /// The service name (`read`, `information_report`, `initiate`, ...).
    pub fn service_name(&self) -> Option<&'static str> {
        use PduKind::*;
        match self.kind {
            ConfirmedRequest | ConfirmedResponse => self.service.and_then(confirmed_service_name),
            Unconfirmed => self.service.and_then(unconfirmed_service_name),
            InitiateRequest | InitiateResponse | InitiateError => Some("initiate"),
            ConcludeRequest | ConcludeResponse | ConcludeError => Some("conclude"),
            CancelRequest | CancelResponse | CancelError => Some("cancel"),
            Reject => Some("reject"),
            ConfirmedError => None,
        }
    }

    fn push_name(&mut self, n: ObjectName) {
        if self.object_names.len() < MAX_NAMES {
            self.object_names.push(n);
        } else {
            self.truncated = true;
        }
    }

    fn push_ident(&mut self, s: String) {
        if self.identifiers.len() < MAX_NAMES {
            self.identifiers.push(s);
        } else {
            self.truncated = true;
        }
    }
}

/// Text of a VisibleString / GraphicString, capped.
fn text(v: &[u8]) -> String {
    let s = v.get(..v.len().min(MAX_NAME_LEN)).unwrap_or(&[]);
    String::from_utf8_lossy(s).into_owned()
}

/// Decodes an ObjectName from the TLV that is the choice itself.
fn object_name(t: &Tlv<'_>) -> Option<ObjectName> {
    if t.class != CONTEXT {
        return None;
    }
    match (t.tag, t.constructed) {
        (0, false) => {
            let item = text(t.value);
            Some(ObjectName {
                scope: Scope::Vmd,
                domain: None,
                joined: item.clone(),
                item,
            })
        }
        (1, true) => {
            let mut it = t.children();
            let d = it.next()?;
            let i = it.next()?;
            let (domain, item) = (text(d.value), text(i.value));
            Some(ObjectName {
                scope: Scope::Domain,
                joined: format!("{domain}/{item}"),
                domain: Some(domain),
                item,
            })
        }
        (2, false) => {
            let item = text(t.value);
            Some(ObjectName {
                scope: Scope::Aa,
                domain: None,
                joined: item.clone(),
                item,
            })
        }
        _ => None,
    }
}

/// An ObjectName wrapped in an explicit tag: `[n] { ObjectName }`.
fn wrapped_name(t: &Tlv<'_>) -> Option<ObjectName> {
    t.children().next().and_then(|c| object_name(&c))
}

/// FileName ::= SEQUENCE OF GraphicString, joined with `/`.
fn file_name(t: &Tlv<'_>) -> Option<String> {
    let parts: Vec<String> = t.children().take(16).map(|p| text(p.value)).collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// VariableAccessSpecification: `[0]` list of variables or `[1]` list name.
fn variable_access(pdu: &mut MmsPdu, t: &Tlv<'_>) {
    if t.is_ctx(0) {
        variable_list(pdu, t);
    } else if t.is_ctx(1)
        && let Some(n) = wrapped_name(t)
    {
        pdu.push_name(n);
    }
}

/// SEQUENCE OF SEQUENCE { VariableSpecification, alternateAccess [5] OPT }.
fn variable_list(pdu: &mut MmsPdu, t: &Tlv<'_>) {
    for (i, entry) in t.children().enumerate() {
        if i >= MAX_NAMES {
            pdu.truncated = true;
            break;
        }
        // VariableSpecification: name [0] ObjectName.
        if let Some(spec) = entry.children().next()
            && spec.is_ctx(0)
            && let Some(n) = wrapped_name(&spec)
        {
            pdu.push_name(n);
        }
    }
}

/// Counts AccessResult successes and failures (`[0]` failure, else data).
fn access_results(pdu: &mut MmsPdu, t: &Tlv<'_>) {
    let (mut ok, mut bad) = (0u32, 0u32);
    for r in t.children() {
        if r.is_ctx(0) && !r.constructed {
            bad = bad.saturating_add(1);
        } else {
            ok = ok.saturating_add(1);
        }
    }
    pdu.success_count = Some(ok);
    pdu.failure_count = Some(bad);
}

/// Decodes one MMS PDU (the whole TLV).
pub fn decode(data: &[u8]) -> Result<MmsPdu, PduError> {
    let (t, _) = ber::read(data).ok_or(PduError::Malformed)?;
    if t.class != CONTEXT {
        return Err(PduError::UnknownPdu);
    }
    let kind = PduKind::from_tag(t.tag).ok_or(PduError::UnknownPdu)?;
    let mut pdu = MmsPdu::new(kind);
    use PduKind::*;
    match kind {
        ConfirmedRequest | ConfirmedResponse => {
            let mut it = t.children();
            let id = it.next().ok_or(PduError::Malformed)?;
            pdu.invoke_id = id.uint();
            for s in it {
                // listOfModifier (SEQUENCE) precedes the service.
                if s.class == UNIVERSAL {
                    continue;
                }
                if s.class == CONTEXT && s.tag != 79 {
                    pdu.service = Some(s.tag);
                    if kind == ConfirmedRequest {
                        confirmed_request(&mut pdu, &s);
                    } else {
                        confirmed_response(&mut pdu, &s);
                    }
                    break;
                }
            }
            pdu.malformed = pdu.service.is_none();
        }
        ConfirmedError => {
            for c in t.children() {
                match c.tag {
                    0 if !c.constructed => pdu.invoke_id = c.uint(),
                    2 if c.constructed => pdu.error = service_error(&c),
                    _ => {}
                }
            }
        }
        Unconfirmed => {
            let Some(s) = t.children().next() else {
                pdu.malformed = true;
                return Ok(pdu);
            };
            pdu.service = Some(s.tag);
            if s.is_ctx(0) {
                // InformationReport: variableAccessSpecification, listOfAccessResult [0].
                let mut it = s.children();
                if let Some(spec) = it.next() {
                    variable_access(&mut pdu, &spec);
                }
                if let Some(results) = it.next() {
                    access_results(&mut pdu, &results);
                }
            }
        }
        Reject => {
            for c in t.children() {
                if c.tag == 0 && !c.constructed {
                    pdu.invoke_id = c.uint();
                } else if (1..=11).contains(&c.tag) {
                    pdu.reject = Some((c.tag, c.int().unwrap_or(-1)));
                }
            }
        }
        CancelRequest | CancelResponse => pdu.invoke_id = t.uint(),
        CancelError => {
            for c in t.children() {
                match c.tag {
                    0 if !c.constructed => pdu.invoke_id = c.uint(),
                    1 if c.constructed => pdu.error = service_error(&c),
                    _ => {}
                }
            }
        }
        InitiateRequest | InitiateResponse => pdu.initiate = Some(initiate(&t)),
        InitiateError | ConcludeError => pdu.error = service_error(&t),
        ConcludeRequest | ConcludeResponse => {}
    }
    Ok(pdu)
}

fn service_error(t: &Tlv<'_>) -> Option<ServiceError> {
    let class = t.children().find(|c| c.is_ctx(0))?;
    let choice = class.children().next()?;
    Some(ServiceError {
        class: choice.tag,
        code: choice.int(),
    })
}

fn initiate(t: &Tlv<'_>) -> Initiate {
    let mut i = Initiate::default();
    for c in t.children() {
        match c.tag {
            0 => i.local_detail = c.uint(),
            1 => i.max_serv_outstanding_calling = c.uint(),
            2 => i.max_serv_outstanding_called = c.uint(),
            3 => i.nesting_level = c.uint(),
            4 => {
                for d in c.children() {
                    match d.tag {
                        0 => i.version = d.uint(),
                        1 => i.parameter_cbb = Some(d.value.get(1..).unwrap_or(&[]).to_vec()),
                        2 => {
                            i.services_supported = Some(
                                d.value
                                    .get(1..)
                                    .unwrap_or(&[])
                                    .iter()
                                    .take(16)
                                    .copied()
                                    .collect(),
                            )
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    i
}

fn confirmed_request(pdu: &mut MmsPdu, s: &Tlv<'_>) {
    let children = || s.children();
    match s.tag {
        // getNameList: objectClass [0] { basic [0] INTEGER }, objectScope [1], continueAfter [2].
        1 => {
            for c in children() {
                match c.tag {
                    0 => pdu.object_class = c.children().next().and_then(|b| b.uint()),
                    1 => {
                        if let Some(scope) = c.children().next()
                            && scope.tag == 1
                        {
                            pdu.push_ident(text(scope.value));
                        }
                    }
                    _ => {}
                }
            }
        }
        // read: specificationWithResult [0], variableAccessSpecification [1] { choice }.
        4 => {
            if let Some(spec) = children()
                .find(|c| c.is_ctx(1))
                .and_then(|c| c.children().next())
            {
                variable_access(pdu, &spec);
            }
        }
        // write: variableAccessSpecification (choice), listOfData [0].
        5 => {
            let mut it = children();
            if let Some(spec) = it.next() {
                variable_access(pdu, &spec);
            }
            if let Some(data) = it.next() {
                pdu.data_count = Some(u32::try_from(data.children().count()).unwrap_or(u32::MAX));
            }
        }
        // getVariableAccessAttributes: name [0] ObjectName | address [1].
        6 => {
            if let Some(c) = children().next()
                && c.is_ctx(0)
                && let Some(n) = wrapped_name(&c)
            {
                pdu.push_name(n);
            }
        }
        // defineNamedVariable: variableName ObjectName, address, typeSpec.
        7 => {
            if let Some(n) = children().next().and_then(|c| object_name(&c)) {
                pdu.push_name(n);
            }
        }
        // defineNamedVariableList: variableListName ObjectName, listOfVariable [0].
        11 => {
            let mut it = children();
            if let Some(n) = it.next().and_then(|c| object_name(&c)) {
                pdu.push_name(n);
            }
            if let Some(list) = it.next() {
                variable_list(pdu, &list);
            }
        }
        // getNamedVariableListAttributes / getNamedTypeAttributes /
        // deleteNamedType...: ObjectName.
        12 | 15 => {
            if let Some(n) = children().next().and_then(|c| object_name(&c)) {
                pdu.push_name(n);
            }
        }
        // deleteNamedVariableList: listOfVariableListName [1], domainName [2].
        13 | 10 => {
            for c in children() {
                match c.tag {
                    1 => {
                        for n in c.children() {
                            if let Some(n) = object_name(&n) {
                                pdu.push_name(n);
                            }
                        }
                    }
                    2 if !c.constructed => pdu.push_ident(text(c.value)),
                    _ => {}
                }
            }
        }
        // takeControl / relinquishControl: semaphoreName [0] ObjectName.
        19 | 20 => {
            if let Some(n) = children()
                .find(|c| c.is_ctx(0))
                .and_then(|c| wrapped_name(&c))
            {
                pdu.push_name(n);
            }
        }
        // Identifier-valued requests: downloadSegment, initiateUploadSequence,
        // deleteDomain, getDomainAttributes, deleteProgramInvocation,
        // getProgramInvocationAttributes.
        27 | 29 | 36 | 37 | 39 | 45 if !s.constructed => pdu.push_ident(text(s.value)),
        // SEQUENCE { domainName/programInvocationName [0] Identifier, ... }:
        // initiateDownloadSequence, terminateDownloadSequence,
        // requestDomainDownload/Upload, load/storeDomainContent,
        // createProgramInvocation, start, stop, resume, reset, kill.
        26 | 28 | 32..=35 | 38 | 40..=44 => {
            for c in children() {
                match (s.tag, c.tag) {
                    (_, 0) if !c.constructed => pdu.push_ident(text(c.value)),
                    // createProgramInvocation: listOfDomainName [1].
                    (38, 1) => {
                        for d in c.children() {
                            pdu.push_ident(text(d.value));
                        }
                    }
                    // requestDomainDownload/loadDomainContent: fileName [4];
                    // requestDomainUpload/storeDomainContent: fileName [1].
                    (32 | 34, 4) | (33 | 35, 1) => {
                        if let Some(f) = file_name(&c) {
                            pdu.file_names.push(f);
                        }
                    }
                    _ => {}
                }
            }
        }
        // obtainFile: sourceFile [1], destinationFile [2].
        46 => {
            for c in children() {
                if matches!(c.tag, 1 | 2)
                    && let Some(f) = file_name(&c)
                {
                    pdu.file_names.push(f);
                }
            }
        }
        // fileOpen: fileName [0]; fileRename: [0] and [1]; fileDirectory:
        // fileSpecification [0], continueAfter [1].
        72 | 75 | 77 => {
            for c in children() {
                if matches!(c.tag, 0 | 1)
                    && c.constructed
                    && let Some(f) = file_name(&c)
                {
                    pdu.file_names.push(f);
                }
            }
        }
        // fileDelete: FileName.
        76 => {
            if let Some(f) = file_name(s) {
                pdu.file_names.push(f);
            }
        }
        _ => {}
    }
    pdu.file_names.truncate(MAX_NAMES);
}

fn confirmed_response(pdu: &mut MmsPdu, s: &Tlv<'_>) {
    match s.tag {
        // getNameList: listOfIdentifier [0], moreFollows [1].
        1 => {
            for c in s.children() {
                match c.tag {
                    0 => {
                        for (i, id) in c.children().enumerate() {
                            if i >= MAX_NAMES {
                                pdu.truncated = true;
                                break;
                            }
                            pdu.push_ident(text(id.value));
                        }
                    }
                    1 => pdu.more_follows = c.value.first().map(|&b| b != 0),
                    _ => {}
                }
            }
        }
        // identify: vendorName [0], modelName [1], revision [2].
        2 => {
            let mut id = Identity::default();
            for c in s.children() {
                match c.tag {
                    0 => id.vendor = Some(text(c.value)),
                    1 => id.model = Some(text(c.value)),
                    2 => id.revision = Some(text(c.value)),
                    _ => {}
                }
            }
            pdu.identity = Some(id);
        }
        // read: variableAccessSpecification [0] OPT, listOfAccessResult [1].
        4 => {
            for c in s.children() {
                match c.tag {
                    0 => {
                        if let Some(spec) = c.children().next() {
                            variable_access(pdu, &spec);
                        }
                    }
                    1 => access_results(pdu, &c),
                    _ => {}
                }
            }
        }
        // write: SEQUENCE OF CHOICE { failure [0], success [1] NULL }.
        5 => {
            let (mut ok, mut bad) = (0u32, 0u32);
            for c in s.children() {
                if c.tag == 0 {
                    bad = bad.saturating_add(1);
                } else {
                    ok = ok.saturating_add(1);
                }
            }
            pdu.success_count = Some(ok);
            pdu.failure_count = Some(bad);
        }
        // getNamedVariableListAttributes: mmsDeletable [0], listOfVariable [1].
        12 => {
            if let Some(list) = s.children().find(|c| c.is_ctx(1)) {
                variable_list(pdu, &list);
            }
        }
        // fileDirectory: listOfDirectoryEntry [0] { { fileName [0], ... } }.
        77 => {
            if let Some(list) = s.children().find(|c| c.is_ctx(0)) {
                for e in list.children().take(MAX_NAMES) {
                    if let Some(f) = e
                        .children()
                        .find(|c| c.is_ctx(0))
                        .and_then(|c| file_name(&c))
                    {
                        pdu.file_names.push(f);
                    }
                }
            }
        }
        _ => {}
    }
}
