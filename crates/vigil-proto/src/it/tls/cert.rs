//! X.509 certificate fields, extracted the way Suricata 7 does it (with the
//! same rusticata `x509-parser` crate): subject and issuer as the crate
//! formats distinguished names, the serial as upper-case hex bytes joined
//! with `:`, validity as Unix seconds, the fingerprint as the SHA-1 of the
//! DER joined with `:`, subject alternative names as Suricata prints them.

use sha1::{Digest as _, Sha1};
use x509_parser::error::X509Error;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Fields of the first certificate of a chain (`cert0_*` in Suricata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject distinguished name (`C=FR, ST=IDF, ..., CN=name`).
    pub subject: Option<String>,
    /// Issuer distinguished name.
    pub issuer: Option<String>,
    /// Serial number, `00:97:E6:...`.
    pub serial: Option<String>,
    /// SHA-1 of the DER certificate, `3a:0b:3b:...`.
    pub fingerprint: Option<String>,
    /// Validity start, Unix seconds (0 when unknown, as Suricata).
    pub not_before: i64,
    /// Validity end, Unix seconds (0 when unknown).
    pub not_after: i64,
    /// Subject alternative names, as Suricata prints them.
    pub sans: Vec<String>,
}

impl CertInfo {
    /// True when no field was extracted.
    pub fn is_empty(&self) -> bool {
        self.subject.is_none() && self.issuer.is_none() && self.serial.is_none()
    }
}

/// Why a certificate's fields could not be extracted, with Suricata's
/// anomaly name for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CertError {
    /// The DER did not decode as a certificate.
    Decode(&'static str),
    /// A field could not be extracted from a decoded certificate.
    Extract(&'static str),
}

/// Bound on the subject alternative names kept per certificate.
const MAX_SANS: usize = 1024;

/// Decodes `der` and fills `info` in Suricata's order (subject, issuer,
/// serial, validity, fingerprint); on a failure the fields extracted so
/// far stay set and the anomaly name is returned.
pub(crate) fn extract(der: &[u8], info: &mut CertInfo) -> Result<(), CertError> {
    let cert = match X509Certificate::from_der(der) {
        Ok((_, cert)) => cert,
        Err(e) => return Err(CertError::Decode(decode_error(&e))),
    };
    let tbs = &cert.tbs_certificate;
    // Suricata hands the names to C as NUL-terminated strings: a name with
    // an embedded NUL cannot be extracted.
    let subject = tbs.subject.to_string();
    if subject.contains('\0') {
        return Err(CertError::Extract("CERTIFICATE_INVALID_SUBJECT"));
    }
    info.subject = Some(subject);
    let issuer = tbs.issuer.to_string();
    if issuer.contains('\0') {
        return Err(CertError::Extract("CERTIFICATE_INVALID_ISSUER"));
    }
    info.issuer = Some(issuer);
    if let Ok(Some(san)) = tbs.subject_alternative_name() {
        for name in san.value.general_names.iter().take(MAX_SANS) {
            let s = match name {
                GeneralName::DNSName(s) | GeneralName::URI(s) => (*s).to_string(),
                GeneralName::IPAddress(b) => format!("{b:?}"),
                other => other.to_string(),
            };
            if !s.contains('\0') {
                info.sans.push(s);
            }
        }
    }
    let mut serial = String::with_capacity(tbs.raw_serial().len() * 3);
    for (i, b) in tbs.raw_serial().iter().enumerate() {
        if i > 0 {
            serial.push(':');
        }
        serial.push_str(&format!("{b:02X}"));
    }
    info.serial = Some(serial);
    info.not_before = tbs.validity.not_before.timestamp();
    info.not_after = tbs.validity.not_after.timestamp();
    info.fingerprint = Some(fingerprint(der));
    Ok(())
}

/// SHA-1 of `der` as lower-case hex bytes joined with `:`.
pub(crate) fn fingerprint(der: &[u8]) -> String {
    let digest = Sha1::digest(der);
    let mut s = String::with_capacity(59);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn decode_error(e: &x509_parser::nom::Err<X509Error>) -> &'static str {
    use x509_parser::nom::Err;
    match e {
        Err::Incomplete(_) => "CERTIFICATE_INVALID_LENGTH",
        Err::Error(e) | Err::Failure(e) => match e {
            X509Error::InvalidVersion => "CERTIFICATE_INVALID_VERSION",
            X509Error::InvalidSerial => "CERTIFICATE_INVALID_SERIAL",
            X509Error::InvalidAlgorithmIdentifier => "CERTIFICATE_INVALID_ALGORITHMIDENTIFIER",
            X509Error::InvalidX509Name => "CERTIFICATE_INVALID_X509NAME",
            X509Error::InvalidDate => "CERTIFICATE_INVALID_DATE",
            X509Error::InvalidExtensions => "CERTIFICATE_INVALID_EXTENSIONS",
            X509Error::Der(_) => "CERTIFICATE_INVALID_DER",
            _ => "INVALID_CERTIFICATE",
        },
    }
}

/// Formats Unix seconds as Suricata's certificate times
/// (`2015-02-12T18:07:27`, UTC, proleptic Gregorian; negative values are
/// before 1970).
pub fn format_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's
/// algorithm); wrapping arithmetic is not needed for the i64 second range
/// divided by 86400.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y, m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(format_time(0), "1970-01-01T00:00:00");
        assert_eq!(format_time(1_423_764_447), "2015-02-12T18:07:27");
        assert_eq!(format_time(-86_400), "1969-12-31T00:00:00");
        assert_eq!(format_time(2_177_367_003), "2038-12-31T00:10:03");
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(format_time(253_402_300_799), "9999-12-31T23:59:59");
        // No panic at the extremes.
        let _ = format_time(i64::MIN);
        let _ = format_time(i64::MAX);
    }

    #[test]
    fn fingerprint_format() {
        assert_eq!(
            fingerprint(b""),
            "da:39:a3:ee:5e:6b:4b:0d:32:55:bf:ef:95:60:18:90:af:d8:07:09"
        );
    }

    #[test]
    fn garbage_is_an_error() {
        let mut info = CertInfo::default();
        assert!(extract(&[], &mut info).is_err());
        assert!(extract(&[0x30, 0x03, 0x02, 0x01, 0x00], &mut info).is_err());
        assert!(extract(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], &mut info).is_err());
        assert!(info.is_empty());
    }
}
