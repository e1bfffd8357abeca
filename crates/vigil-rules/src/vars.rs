//! Address and port variables (`vars.address-groups` / `vars.port-groups`).

use crate::address::{AddressExpr, IpSet, parse_address};
use crate::error::{PResult, ParseError};
use crate::port::{PortExpr, parse_port};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Address groups and port groups used by rule headers (`$HOME_NET`, ...).
///
/// Values are parsed when set; an invalid value is reported when a rule uses
/// the variable. Values may refer to other variables (cycles are errors).
#[derive(Debug, Default)]
pub struct Vars {
    addresses: BTreeMap<String, (String, PResult<AddressExpr>)>,
    ports: BTreeMap<String, (String, PResult<PortExpr>)>,
    /// Resolved address groups (so a large group used by many rules is
    /// resolved once); cleared whenever a variable changes.
    addr_cache: Mutex<HashMap<String, IpSet>>,
    /// Resolved port groups.
    port_cache: Mutex<HashMap<String, Vec<(u16, u16)>>>,
}

impl Clone for Vars {
    fn clone(&self) -> Self {
        Vars {
            addresses: self.addresses.clone(),
            ports: self.ports.clone(),
            addr_cache: Mutex::default(),
            port_cache: Mutex::default(),
        }
    }
}

/// Address groups of Suricata 7's default `suricata.yaml`.
pub const DEFAULT_ADDRESS_GROUPS: &[(&str, &str)] = &[
    ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
    ("EXTERNAL_NET", "!$HOME_NET"),
    ("HTTP_SERVERS", "$HOME_NET"),
    ("SMTP_SERVERS", "$HOME_NET"),
    ("SQL_SERVERS", "$HOME_NET"),
    ("DNS_SERVERS", "$HOME_NET"),
    ("TELNET_SERVERS", "$HOME_NET"),
    ("AIM_SERVERS", "$EXTERNAL_NET"),
    ("DC_SERVERS", "$HOME_NET"),
    ("DNP3_SERVER", "$HOME_NET"),
    ("DNP3_CLIENT", "$HOME_NET"),
    ("MODBUS_CLIENT", "$HOME_NET"),
    ("MODBUS_SERVER", "$HOME_NET"),
    ("ENIP_CLIENT", "$HOME_NET"),
    ("ENIP_SERVER", "$HOME_NET"),
];

/// Port groups of Suricata 7's default `suricata.yaml`.
pub const DEFAULT_PORT_GROUPS: &[(&str, &str)] = &[
    ("HTTP_PORTS", "80"),
    ("SHELLCODE_PORTS", "!80"),
    ("ORACLE_PORTS", "1521"),
    ("SSH_PORTS", "22"),
    ("DNP3_PORTS", "20000"),
    ("MODBUS_PORTS", "502"),
    ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
    ("FTP_PORTS", "21"),
    ("GENEVE_PORTS", "6081"),
    ("VXLAN_PORTS", "4789"),
    ("TEREDO_PORTS", "3544"),
];

impl Vars {
    /// No variables at all.
    pub fn empty() -> Self {
        Vars::default()
    }

    /// The variables of Suricata 7's default `suricata.yaml`.
    pub fn suricata_default() -> Self {
        let mut v = Vars::default();
        for (k, val) in DEFAULT_ADDRESS_GROUPS {
            v.set_address(k, val);
        }
        for (k, val) in DEFAULT_PORT_GROUPS {
            v.set_port(k, val);
        }
        v
    }

    /// Define or override an address group (`name` without `$`).
    pub fn set_address(&mut self, name: &str, value: &str) {
        let name = name.trim_start_matches('$').to_string();
        let parsed = parse_address(value.trim());
        self.clear_caches();
        self.addresses
            .insert(name, (value.trim().to_string(), parsed));
    }

    /// Define or override a port group (`name` without `$`).
    pub fn set_port(&mut self, name: &str, value: &str) {
        let name = name.trim_start_matches('$').to_string();
        let parsed = parse_port(value.trim());
        self.clear_caches();
        self.ports.insert(name, (value.trim().to_string(), parsed));
    }

    /// The raw value of an address group.
    pub fn address(&self, name: &str) -> Option<&str> {
        self.addresses.get(name).map(|(s, _)| s.as_str())
    }

    /// The raw value of a port group.
    pub fn port(&self, name: &str) -> Option<&str> {
        self.ports.get(name).map(|(s, _)| s.as_str())
    }

    /// Names and values of all address groups.
    pub fn address_groups(&self) -> impl Iterator<Item = (&str, &str)> {
        self.addresses
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v.as_str()))
    }

    /// Names and values of all port groups.
    pub fn port_groups(&self) -> impl Iterator<Item = (&str, &str)> {
        self.ports
            .iter()
            .map(|(k, (v, _))| (k.as_str(), v.as_str()))
    }

    fn clear_caches(&mut self) {
        if let Ok(c) = self.addr_cache.get_mut() {
            c.clear();
        }
        if let Ok(c) = self.port_cache.get_mut() {
            c.clear();
        }
    }

    pub(crate) fn cached_address(&self, name: &str) -> Option<IpSet> {
        self.addr_cache.lock().ok()?.get(name).cloned()
    }

    pub(crate) fn cache_address(&self, name: &str, set: &IpSet) {
        if let Ok(mut c) = self.addr_cache.lock() {
            c.insert(name.to_string(), set.clone());
        }
    }

    pub(crate) fn cached_port(&self, name: &str) -> Option<Vec<(u16, u16)>> {
        self.port_cache.lock().ok()?.get(name).cloned()
    }

    pub(crate) fn cache_port(&self, name: &str, set: &[(u16, u16)]) {
        if let Ok(mut c) = self.port_cache.lock() {
            c.insert(name.to_string(), set.to_vec());
        }
    }

    pub(crate) fn address_expr(&self, name: &str) -> PResult<AddressExpr> {
        match self.addresses.get(name) {
            Some((_, Ok(e))) => Ok(e.clone()),
            Some((_, Err(e))) => Err(ParseError::new(format!(
                "variable \"{name}\": {}",
                e.message
            ))),
            None if self.ports.contains_key(name) => Err(ParseError::new(format!(
                "variable \"{name}\" is a port group, used as an address"
            ))),
            None => Err(ParseError::new(format!(
                "variable \"{name}\" is not defined"
            ))),
        }
    }

    pub(crate) fn port_expr(&self, name: &str) -> PResult<PortExpr> {
        match self.ports.get(name) {
            Some((_, Ok(e))) => Ok(e.clone()),
            Some((_, Err(e))) => Err(ParseError::new(format!(
                "variable \"{name}\": {}",
                e.message
            ))),
            None if self.addresses.contains_key(name) => Err(ParseError::new(format!(
                "variable \"{name}\" is an address group, used as a port"
            ))),
            None => Err(ParseError::new(format!(
                "variable \"{name}\" is not defined"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::resolve_address;

    #[test]
    fn override_and_cycles() {
        let mut v = Vars::suricata_default();
        v.set_address("HOME_NET", "[10.0.0.0/8]");
        let s = resolve_address(&AddressExpr::Var("HTTP_SERVERS".into()), &v).unwrap();
        assert_eq!(s.v4, vec![(0x0a00_0000, 0x0aff_ffff)]);
        v.set_address("A", "[$B]");
        v.set_address("B", "$A");
        let e = resolve_address(&AddressExpr::Var("A".into()), &v).unwrap_err();
        assert_eq!(e.message, "variable \"A\" refers to itself");
        v.set_address("BAD", "1.2.3");
        let e = resolve_address(&AddressExpr::Var("BAD".into()), &v).unwrap_err();
        assert_eq!(
            e.message,
            "variable \"BAD\": address \"1.2.3\": invalid IP address \"1.2.3\""
        );
        // The cache follows changes.
        let h = AddressExpr::Var("HTTP_SERVERS".into());
        assert!(
            resolve_address(&h, &v)
                .unwrap()
                .contains("10.1.1.1".parse().unwrap())
        );
        v.set_address("HOME_NET", "192.168.0.0/16");
        assert!(
            !resolve_address(&h, &v)
                .unwrap()
                .contains("10.1.1.1".parse().unwrap())
        );
        let e = resolve_address(&AddressExpr::Var("HTTP_PORTS".into()), &v).unwrap_err();
        assert_eq!(
            e.message,
            "variable \"HTTP_PORTS\" is a port group, used as an address"
        );
    }
}
