//! Configuration: built-in defaults, then the parts of a Suricata YAML file
//! (`-c`) that vigil understands, then `--set key=value` overrides.
//!
//! The YAML is flattened into dotted keys the way Suricata's `--set` names
//! them (`stream.midstream`, `outputs.1.eve-log.community-id`); list items
//! are numbered from 0. Settings are then read from those keys.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::Path;
use yaml_rust2::{Yaml, YamlLoader};

/// Flattened configuration: dotted key -> scalar value.
#[derive(Clone, Debug, Default)]
pub struct ConfigMap {
    values: BTreeMap<String, String>,
}

impl ConfigMap {
    /// Loads and flattens a Suricata-style YAML file.
    pub fn load_file(path: &Path) -> Result<ConfigMap> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        let mut map = ConfigMap::default();
        map.merge_yaml_text(&text)
            .with_context(|| format!("config file {}", path.display()))?;
        Ok(map)
    }

    /// Parses YAML text and merges its keys (later keys win).
    pub fn merge_yaml_text(&mut self, text: &str) -> Result<()> {
        // Suricata files start with a "%YAML 1.1" directive that some YAML
        // parsers reject; it carries nothing vigil needs.
        let body: String = text
            .lines()
            .filter(|l| !l.starts_with('%'))
            .collect::<Vec<_>>()
            .join("\n");
        let docs =
            YamlLoader::load_from_str(&body).map_err(|e| anyhow::anyhow!("YAML error: {e}"))?;
        for doc in &docs {
            self.flatten("", doc);
        }
        Ok(())
    }

    fn flatten(&mut self, prefix: &str, node: &Yaml) {
        let join = |k: &str| {
            if prefix.is_empty() {
                k.to_string()
            } else {
                format!("{prefix}.{k}")
            }
        };
        match node {
            Yaml::Hash(h) => {
                for (k, v) in h {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => continue,
                    };
                    self.flatten(&join(&key), v);
                }
            }
            Yaml::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.flatten(&join(&i.to_string()), v);
                }
            }
            Yaml::String(s) => {
                self.values.insert(prefix.to_string(), s.clone());
            }
            Yaml::Integer(i) => {
                self.values.insert(prefix.to_string(), i.to_string());
            }
            Yaml::Real(r) => {
                self.values.insert(prefix.to_string(), r.clone());
            }
            Yaml::Boolean(b) => {
                self.values.insert(prefix.to_string(), b.to_string());
            }
            // An empty value (`- dns:` in an eve-log `types` list) still
            // names its key; it reads as absent.
            Yaml::Null => {
                self.values.insert(prefix.to_string(), String::new());
            }
            _ => {}
        }
    }

    /// Applies one `--set key=value`.
    pub fn set(&mut self, assignment: &str) -> Result<()> {
        let Some((key, value)) = assignment.split_once('=') else {
            bail!("--set expects key=value, got '{assignment}'");
        };
        let key = key.trim();
        if key.is_empty() {
            bail!("--set expects key=value, got '{assignment}'");
        }
        self.values
            .insert(key.to_string(), value.trim().to_string());
        Ok(())
    }

    /// The raw value of a key.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A boolean in Suricata's spellings (yes/no, true/false, on/off, 1/0).
    pub fn get_bool(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "yes" | "true" | "on" | "1" | "enable" | "enabled" => Ok(Some(true)),
                "no" | "false" | "off" | "0" | "disable" | "disabled" => Ok(Some(false)),
                _ => bail!("config key {key}: '{v}' is not a boolean (yes/no)"),
            },
        }
    }

    /// A size with Suricata's suffixes (kb, mb, gb; powers of 1024).
    pub fn get_size(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_size(v)
                .map(Some)
                .with_context(|| format!("config key {key}")),
        }
    }

    /// An unsigned number.
    pub fn get_u64(&self, key: &str) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .with_context(|| format!("config key {key}: '{v}' is not a number")),
        }
    }

    /// Names of the direct children of `prefix` (`a` and `b` for keys
    /// `prefix.a.x`, `prefix.b`), in key order.
    pub fn child_names(&self, prefix: &str) -> Vec<String> {
        let start = format!("{prefix}.");
        let mut names: Vec<String> = Vec::new();
        for key in self.values.range(start.clone()..) {
            let Some(rest) = key.0.strip_prefix(&start) else {
                break;
            };
            let child = rest.split('.').next().unwrap_or(rest);
            if names.last().map(String::as_str) != Some(child) {
                names.push(child.to_string());
            }
        }
        names
    }

    /// The dotted prefix of the `outputs` list item holding `name`
    /// (e.g. `outputs.1.eve-log`), if any.
    pub fn output_prefix(&self, name: &str) -> Option<String> {
        let needle = format!(".{name}.");
        self.values.keys().find_map(|k| {
            let rest = k.strip_prefix("outputs.")?;
            let idx_end = rest.find('.')?;
            let idx = rest.get(..idx_end)?;
            let prefix = format!("outputs.{idx}.{name}");
            k.contains(&needle).then_some(prefix)
        })
    }
}

/// Parses `64mb`, `1gb`, `512kb`, `1024` (bytes).
pub fn parse_size(text: &str) -> Result<u64> {
    let t = text.trim().to_ascii_lowercase();
    let (digits, mult) = if let Some(d) = t.strip_suffix("gb").or_else(|| t.strip_suffix("g")) {
        (d, 1u64 << 30)
    } else if let Some(d) = t.strip_suffix("mb").or_else(|| t.strip_suffix("m")) {
        (d, 1 << 20)
    } else if let Some(d) = t.strip_suffix("kb").or_else(|| t.strip_suffix("k")) {
        (d, 1 << 10)
    } else {
        (t.as_str(), 1)
    };
    let n: u64 = digits
        .trim()
        .parse()
        .with_context(|| format!("'{text}' is not a size (e.g. 64mb)"))?;
    n.checked_mul(mult)
        .with_context(|| format!("size '{text}' is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_name_their_keys() {
        let mut m = ConfigMap::default();
        m.merge_yaml_text("outputs:\n  - eve-log:\n      types:\n        - dns:\n        - tls:\n            extended: yes\n")
            .unwrap();
        assert_eq!(m.child_names("outputs.0.eve-log.types.0"), ["dns"]);
        assert_eq!(m.get("outputs.0.eve-log.types.0.dns"), None);
        assert_eq!(m.get_bool("outputs.0.eve-log.types.0.dns").unwrap(), None);
        assert_eq!(m.child_names("outputs.0.eve-log.types.1"), ["tls"]);
    }

    #[test]
    fn flattens_suricata_yaml_and_sets() {
        let mut m = ConfigMap::default();
        m.merge_yaml_text(
            "%YAML 1.1\n---\nstream:\n  midstream: true\n  reassembly:\n    depth: 1mb\noutputs:\n  - fast:\n      enabled: yes\n  - eve-log:\n      enabled: yes\n      community-id: true\n",
        )
        .unwrap();
        assert_eq!(m.get_bool("stream.midstream").unwrap(), Some(true));
        assert_eq!(
            m.get_size("stream.reassembly.depth").unwrap(),
            Some(1 << 20)
        );
        assert_eq!(
            m.output_prefix("eve-log").as_deref(),
            Some("outputs.1.eve-log")
        );
        assert_eq!(
            m.get_bool("outputs.1.eve-log.community-id").unwrap(),
            Some(true)
        );
        m.set("stream.midstream=false").unwrap();
        assert_eq!(m.get_bool("stream.midstream").unwrap(), Some(false));
        assert!(m.set("novalue").is_err());
        assert!(m.get_bool("outputs.1.eve-log.enabled").unwrap().unwrap());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64mb").unwrap(), 64 << 20);
        assert_eq!(parse_size("2gb").unwrap(), 2 << 30);
        assert_eq!(parse_size("100").unwrap(), 100);
        assert!(parse_size("lots").is_err());
        assert!(parse_size("99999999999999gb").is_err());
    }
}
