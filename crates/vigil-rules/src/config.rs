//! classification.config, reference.config and threshold.config.

use crate::address::{AddressExpr, IpSet, parse_address, resolve_address};
use crate::ast::{ThresholdType, Track};
use crate::error::RuleError;
use crate::opts::parse_unsigned;
use crate::vars::Vars;
use std::collections::HashMap;
use std::path::Path;

fn err(file: &str, line: usize, msg: impl Into<String>) -> RuleError {
    RuleError {
        file: file.to_string(),
        line,
        keyword: None,
        message: msg.into(),
        sid: None,
    }
}

fn read(path: &Path) -> Result<String, RuleError> {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| {
            err(
                &path.display().to_string(),
                0,
                format!("cannot read file: {e}"),
            )
        })
}

/// Strip `config NAME:` (whitespace-tolerant) and return the rest.
fn config_line<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let rest = line.trim().strip_prefix("config")?;
    let rest = rest.trim_start().strip_prefix(name)?;
    let rest = rest.trim_start().strip_prefix(':')?;
    Some(rest.trim())
}

/// One classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    /// Short name used by `classtype`.
    pub name: String,
    /// Description (EVE `alert.category`).
    pub description: String,
    /// Priority (1 highest).
    pub priority: u32,
}

/// The classtypes known to the rules (classification.config).
#[derive(Debug, Clone, Default)]
pub struct Classifications {
    map: HashMap<String, Classification>,
}

/// Suricata's stock classification.config (the classtypes ET Open uses).
const DEFAULT_CLASSIFICATIONS: &str = "\
config classification: not-suspicious,Not Suspicious Traffic,3
config classification: unknown,Unknown Traffic,3
config classification: bad-unknown,Potentially Bad Traffic, 2
config classification: attempted-recon,Attempted Information Leak,2
config classification: successful-recon-limited,Information Leak,2
config classification: successful-recon-largescale,Large Scale Information Leak,2
config classification: attempted-dos,Attempted Denial of Service,2
config classification: successful-dos,Denial of Service,2
config classification: attempted-user,Attempted User Privilege Gain,1
config classification: unsuccessful-user,Unsuccessful User Privilege Gain,1
config classification: successful-user,Successful User Privilege Gain,1
config classification: attempted-admin,Attempted Administrator Privilege Gain,1
config classification: successful-admin,Successful Administrator Privilege Gain,1
config classification: rpc-portmap-decode,Decode of an RPC Query,2
config classification: shellcode-detect,Executable code was detected,1
config classification: string-detect,A suspicious string was detected,3
config classification: suspicious-filename-detect,A suspicious filename was detected,2
config classification: suspicious-login,An attempted login using a suspicious username was detected,2
config classification: system-call-detect,A system call was detected,2
config classification: tcp-connection,A TCP connection was detected,4
config classification: trojan-activity,A Network Trojan was detected, 1
config classification: unusual-client-port-connection,A client was using an unusual port,2
config classification: network-scan,Detection of a Network Scan,3
config classification: denial-of-service,Detection of a Denial of Service Attack,2
config classification: non-standard-protocol,Detection of a non-standard protocol or event,2
config classification: protocol-command-decode,Generic Protocol Command Decode,3
config classification: web-application-activity,access to a potentially vulnerable web application,2
config classification: web-application-attack,Web Application Attack,1
config classification: misc-activity,Misc activity,3
config classification: misc-attack,Misc Attack,2
config classification: icmp-event,Generic ICMP event,3
config classification: inappropriate-content,Inappropriate Content was Detected,1
config classification: policy-violation,Potential Corporate Privacy Violation,1
config classification: default-login-attempt,Attempt to login by a default username and password,2
config classification: targeted-activity,Targeted Malicious Activity was Detected,1
config classification: exploit-kit,Exploit Kit Activity Detected,1
config classification: external-ip-check,Device Retrieving External IP Address Detected,2
config classification: domain-c2,Domain Observed Used for C2 Detected,1
config classification: pup-activity,Possibly Unwanted Program Detected,2
config classification: credential-theft,Successful Credential Theft Detected,1
config classification: social-engineering,Possible Social Engineering Attempted,2
config classification: coin-mining,Crypto Currency Mining Activity Detected,2
config classification: command-and-control,Malware Command and Control Activity Detected,1
";

impl Classifications {
    /// No classtypes.
    pub fn new() -> Self {
        Classifications::default()
    }

    /// Suricata's stock classification.config.
    pub fn suricata_default() -> Self {
        Classifications::parse("<builtin>", DEFAULT_CLASSIFICATIONS).0
    }

    /// Parse classification.config text; bad lines are reported, the rest kept.
    pub fn parse(file: &str, text: &str) -> (Self, Vec<RuleError>) {
        let mut c = Classifications::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            match Self::parse_line(t) {
                Ok(cl) => {
                    c.map.insert(cl.name.clone(), cl);
                }
                Err(m) => errors.push(err(file, i + 1, m)),
            }
        }
        (c, errors)
    }

    fn parse_line(t: &str) -> Result<Classification, String> {
        let rest = config_line(t, "classification").ok_or_else(|| {
            format!("expected \"config classification: name,description,priority\", got \"{t}\"")
        })?;
        let (name, rest) = rest
            .split_once(',')
            .ok_or_else(|| format!("missing description in \"{t}\""))?;
        let (desc, prio) = rest
            .rsplit_once(',')
            .ok_or_else(|| format!("missing priority in \"{t}\""))?;
        let name = name.trim();
        if name.is_empty()
            || !name
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(format!("invalid classtype name \"{name}\""));
        }
        let priority = parse_unsigned(prio, u64::from(u32::MAX))
            .map_err(|e| format!("invalid priority: {e}"))? as u32;
        Ok(Classification {
            name: name.to_ascii_lowercase(),
            description: desc.trim().to_string(),
            priority,
        })
    }

    /// Load a classification.config file.
    pub fn load(path: impl AsRef<Path>) -> Result<(Self, Vec<RuleError>), RuleError> {
        let path = path.as_ref();
        let text = read(path)?;
        Ok(Self::parse(&path.display().to_string(), &text))
    }

    /// Look a classtype up (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Classification> {
        self.map
            .get(name)
            .or_else(|| self.map.get(&name.to_ascii_lowercase()))
    }

    /// Add or replace one classtype.
    pub fn insert(&mut self, c: Classification) {
        self.map.insert(c.name.to_ascii_lowercase(), c);
    }

    /// Number of classtypes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Reference systems (reference.config): system name → URL prefix.
#[derive(Debug, Clone, Default)]
pub struct ReferenceConfig {
    map: HashMap<String, String>,
}

impl ReferenceConfig {
    /// Parse reference.config text (`config reference: system url`).
    pub fn parse(file: &str, text: &str) -> (Self, Vec<RuleError>) {
        let mut r = ReferenceConfig::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let parsed = config_line(t, "reference").and_then(|rest| {
                let mut it = rest.splitn(2, char::is_whitespace);
                let sys = it.next()?.trim();
                let url = it.next()?.trim();
                (!sys.is_empty() && !url.is_empty()).then_some((sys, url))
            });
            match parsed {
                Some((sys, url)) => {
                    r.map.insert(sys.to_ascii_lowercase(), url.to_string());
                }
                None => errors.push(err(
                    file,
                    i + 1,
                    format!("expected \"config reference: system url\", got \"{t}\""),
                )),
            }
        }
        (r, errors)
    }

    /// Load a reference.config file.
    pub fn load(path: impl AsRef<Path>) -> Result<(Self, Vec<RuleError>), RuleError> {
        let path = path.as_ref();
        let text = read(path)?;
        Ok(Self::parse(&path.display().to_string(), &text))
    }

    /// URL prefix of a system (case-insensitive).
    pub fn url(&self, system: &str) -> Option<&str> {
        self.map
            .get(&system.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// Number of systems.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Kind of a threshold.config entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdEntryKind {
    /// `threshold` / `event_filter` with its type.
    Threshold(ThresholdType),
    /// `suppress`.
    Suppress,
    /// `rate_filter`.
    RateFilter,
}

/// One line of threshold.config.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdEntry {
    /// What the line does.
    pub kind: ThresholdEntryKind,
    /// `gen_id` (0: all).
    pub gid: u32,
    /// `sig_id` (0: all).
    pub sid: u32,
    /// `track` (absent for a suppress without `track`).
    pub track: Option<Track>,
    /// `count`.
    pub count: Option<u32>,
    /// `seconds`.
    pub seconds: Option<u32>,
    /// `new_action` of rate_filter.
    pub new_action: Option<String>,
    /// `timeout` of rate_filter.
    pub timeout: Option<u32>,
    /// `ip` of suppress, as written.
    pub ip: Option<AddressExpr>,
    /// `ip` resolved with the variables.
    pub ip_set: Option<IpSet>,
    /// 1-based line.
    pub line: usize,
}

/// Parsed threshold.config.
#[derive(Debug, Clone, Default)]
pub struct ThresholdConfig {
    /// Entries in file order.
    pub entries: Vec<ThresholdEntry>,
}

/// Split on commas outside `[...]`.
fn split_top_commas(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(s.get(start..i).unwrap_or("").trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s.get(start..).unwrap_or("").trim());
    out
}

impl ThresholdConfig {
    /// Parse threshold.config text; bad lines are reported, the rest kept.
    pub fn parse(file: &str, text: &str, vars: &Vars) -> (Self, Vec<RuleError>) {
        let mut c = ThresholdConfig::default();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            match Self::parse_line(t, i + 1, vars) {
                Ok(e) => c.entries.push(e),
                Err(m) => errors.push(err(file, i + 1, m)),
            }
        }
        (c, errors)
    }

    /// Load a threshold.config file.
    pub fn load(path: impl AsRef<Path>, vars: &Vars) -> Result<(Self, Vec<RuleError>), RuleError> {
        let path = path.as_ref();
        let text = read(path)?;
        Ok(Self::parse(&path.display().to_string(), &text, vars))
    }

    fn parse_line(t: &str, line: usize, vars: &Vars) -> Result<ThresholdEntry, String> {
        let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
        let mut e = ThresholdEntry {
            kind: ThresholdEntryKind::Suppress,
            gid: 0,
            sid: 0,
            track: None,
            count: None,
            seconds: None,
            new_action: None,
            timeout: None,
            ip: None,
            ip_set: None,
            line,
        };
        let mut ttype = None;
        let (mut gid, mut sid) = (None, None);
        for p in split_top_commas(rest) {
            let (k, v) = p
                .split_once(char::is_whitespace)
                .map(|(k, v)| (k, v.trim()))
                .ok_or_else(|| format!("expected \"name value\", got \"{p}\""))?;
            let num = |v: &str| parse_unsigned(v, u64::from(u32::MAX)).map(|n| n as u32);
            match k {
                "gen_id" => gid = Some(num(v)?),
                "sig_id" => sid = Some(num(v)?),
                "type" => {
                    ttype = Some(match v {
                        "limit" => ThresholdType::Limit,
                        "threshold" => ThresholdType::Threshold,
                        "both" => ThresholdType::Both,
                        o => return Err(format!("invalid type \"{o}\"")),
                    })
                }
                "track" => {
                    e.track = Some(match v {
                        "by_src" => Track::BySrc,
                        "by_dst" => Track::ByDst,
                        "by_rule" => Track::ByRule,
                        "by_both" => Track::ByBoth,
                        "by_either" => Track::ByEither,
                        "by_flow" => Track::ByFlow,
                        o => return Err(format!("invalid track \"{o}\"")),
                    })
                }
                "count" => e.count = Some(num(v)?),
                "seconds" => e.seconds = Some(num(v)?),
                "timeout" => e.timeout = Some(num(v)?),
                "new_action" => {
                    if !matches!(v, "alert" | "drop" | "pass" | "log" | "sdrop" | "reject") {
                        return Err(format!("invalid new_action \"{v}\""));
                    }
                    e.new_action = Some(v.to_string());
                }
                "ip" => {
                    let a = parse_address(v).map_err(|x| x.message)?;
                    e.ip_set = Some(resolve_address(&a, vars).map_err(|x| x.message)?);
                    e.ip = Some(a);
                }
                o => return Err(format!("unknown option \"{o}\"")),
            }
        }
        e.gid = gid.ok_or("missing gen_id")?;
        e.sid = sid.ok_or("missing sig_id")?;
        match word {
            "threshold" | "event_filter" => {
                e.kind = ThresholdEntryKind::Threshold(ttype.ok_or("missing type")?);
                e.track.ok_or("missing track")?;
                e.count.ok_or("missing count")?;
                e.seconds.ok_or("missing seconds")?;
            }
            "suppress" => {
                e.kind = ThresholdEntryKind::Suppress;
                if e.track.is_some() != e.ip.is_some() {
                    return Err("suppress needs both track and ip, or neither".to_string());
                }
                if matches!(e.track, Some(Track::ByRule | Track::ByBoth | Track::ByFlow)) {
                    return Err("suppress track must be by_src, by_dst or by_either".to_string());
                }
            }
            "rate_filter" => {
                e.kind = ThresholdEntryKind::RateFilter;
                e.track.ok_or("missing track")?;
                e.count.ok_or("missing count")?;
                e.seconds.ok_or("missing seconds")?;
                e.new_action.as_ref().ok_or("missing new_action")?;
                e.timeout.ok_or("missing timeout")?;
            }
            o => {
                return Err(format!(
                    "unknown entry \"{o}\" (threshold, event_filter, suppress or rate_filter)"
                ));
            }
        }
        if ttype.is_some() && !matches!(e.kind, ThresholdEntryKind::Threshold(_)) {
            return Err("type is only valid for threshold/event_filter".to_string());
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let (c, e) = Classifications::parse(
            "c.config",
            "# x\nconfig classification: trojan-activity,A Network Trojan was detected, 1\nconfig classification: a,b, c\nbogus\n",
        );
        assert_eq!(c.get("trojan-activity").unwrap().priority, 1);
        assert_eq!(
            c.get("trojan-activity").unwrap().description,
            "A Network Trojan was detected"
        );
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0].to_string(),
            "c.config:3: invalid priority: invalid number \"c\""
        );
        assert_eq!(e[1].line, 4);
        assert!(
            Classifications::suricata_default()
                .get("misc-activity")
                .is_some()
        );
    }

    #[test]
    fn reference() {
        let (r, e) = ReferenceConfig::parse(
            "r",
            "config reference: cve  http://cve.mitre.org/?name=\nconfig reference: url\n",
        );
        assert_eq!(r.url("CVE"), Some("http://cve.mitre.org/?name="));
        assert_eq!(e.len(), 1);
    }

    #[test]
    fn threshold_config() {
        let text = "\
threshold gen_id 1, sig_id 100, type limit, track by_src, count 1, seconds 60
event_filter gen_id 1, sig_id 101, type both, track by_dst, count 2, seconds 10
suppress gen_id 1, sig_id 102
suppress gen_id 1, sig_id 103, track by_either, ip [1.2.3.4, $HOME_NET]
rate_filter gen_id 1, sig_id 104, track by_rule, count 10, seconds 1, new_action drop, timeout 30
threshold gen_id 1, sig_id 105, type limit, track by_src, count 1
suppress gen_id 1, sig_id 106, track by_src, ip 1.2.3
frobnicate gen_id 1, sig_id 1
";
        let (c, e) = ThresholdConfig::parse("t.config", text, &Vars::suricata_default());
        assert_eq!(c.entries.len(), 5);
        assert_eq!(
            c.entries[0].kind,
            ThresholdEntryKind::Threshold(ThresholdType::Limit)
        );
        assert_eq!(c.entries[3].track, Some(Track::ByEither));
        assert!(
            c.entries[3]
                .ip_set
                .as_ref()
                .unwrap()
                .contains("10.1.1.1".parse().unwrap())
        );
        assert_eq!(c.entries[4].new_action.as_deref(), Some("drop"));
        let msgs: Vec<String> = e.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            msgs,
            vec![
                "t.config:6: missing seconds",
                "t.config:7: address \"1.2.3\": invalid IP address \"1.2.3\"",
                "t.config:8: unknown entry \"frobnicate\" (threshold, event_filter, suppress or rate_filter)",
            ]
        );
    }
}
