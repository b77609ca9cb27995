//! Preparation and enforcement of each part of an address, under either profile.
//!
//! Every function here returns the part in the form that is stored and compared: for
//! PRECIS the output of the profile's enforcement (RFC 8264 §7), for stringprep the
//! output of the stringprep profile (RFC 3454 §3–§7).

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use idna::punycode;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use precis_core::profile::{PrecisFastInvocation, Profile as PrecisProfile, Rules, stabilize};
use precis_core::{Error as PrecisError, IdentifierClass, StringClass, UnexpectedError};
use precis_profiles::{OpaqueString, UsernameCaseMapped};
use stringprep::tables;
use unicode_normalization::UnicodeNormalization;

use crate::{JidError, MAX_INPUT_LEN, MAX_PART_LEN, Part, Profile};

/// Prepares a localpart (`node`) for storage and comparison.
///
/// PRECIS: the UsernameCaseMapped profile (RFC 8265 §3.3) further restricted by
/// RFC 7622 §3.3.1 (no `" & ' / : < > @`). Stringprep: nodeprep (RFC 6122 Appendix A).
pub fn prepare_localpart(s: &str, profile: Profile) -> Result<String, JidError> {
    check_input(s, Part::Localpart)?;
    let out = match profile {
        Profile::Precis => precis_localpart(s)?,
        Profile::Stringprep => stringprep(s, Stringprep::Nodeprep, Part::Localpart)?,
    };
    check_output(out, Part::Localpart)
}

/// Prepares a resourcepart for storage and comparison.
///
/// PRECIS: the OpaqueString profile (RFC 8265 §4.2, RFC 7622 §3.4). Stringprep:
/// resourceprep (RFC 6122 Appendix B).
pub fn prepare_resourcepart(s: &str, profile: Profile) -> Result<String, JidError> {
    check_input(s, Part::Resourcepart)?;
    let out = match profile {
        Profile::Precis => stabilize(s, |x| <OpaqueString as PrecisFastInvocation>::enforce(x))
            .map_err(|e| precis_error(e, Part::Resourcepart))?
            .into_owned(),
        Profile::Stringprep => stringprep(s, Stringprep::Resourceprep, Part::Resourcepart)?,
    };
    check_output(out, Part::Resourcepart)
}

/// Prepares a domainpart for storage and comparison.
///
/// One trailing dot is stripped first (RFC 7622 §3.2, RFC 6122 §2.2). IP literals
/// (dotted IPv4, bracketed IPv6) are kept in their canonical text form; names are
/// processed with UTS #46 / IDNA2008 and stored as U-labels (RFC 7622 §3.2.1) under
/// PRECIS, or with nameprep and IDNA2003 ToASCII/ToUnicode (RFC 3490, RFC 3491) under
/// stringprep.
pub fn prepare_domainpart(s: &str, profile: Profile) -> Result<String, JidError> {
    check_input(s, Part::Domainpart)?;
    let out = match profile {
        Profile::Precis => precis_domain(s)?,
        Profile::Stringprep => legacy_domain(s)?,
    };
    check_output(out, Part::Domainpart)
}

fn check_input(s: &str, part: Part) -> Result<(), JidError> {
    if s.len() > MAX_INPUT_LEN {
        return Err(JidError::InputTooLong {
            len: s.len(),
            max: MAX_INPUT_LEN,
        });
    }
    if s.is_empty() {
        return Err(JidError::Empty(part));
    }
    Ok(())
}

fn check_output(out: String, part: Part) -> Result<String, JidError> {
    if out.is_empty() {
        return Err(JidError::Empty(part));
    }
    if out.len() > MAX_PART_LEN {
        return Err(JidError::PartTooLong {
            part,
            len: out.len(),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// PRECIS (RFC 7622)

/// RFC 7622 §3.3.1: code points that the XMPP localpart excludes beyond UsernameCaseMapped.
fn excluded_from_localpart(c: char) -> bool {
    matches!(c, '"' | '&' | '\'' | '/' | ':' | '<' | '>' | '@')
}

fn precis_localpart(s: &str) -> Result<String, JidError> {
    // RFC 8264 §7: a string whose enforcement does not reach a fixed point is refused;
    // `stabilize` also makes preparation idempotent by construction.
    let out = stabilize(s, username_case_mapped).map_err(|e| precis_error(e, Part::Localpart))?;
    // Checked on the output because width mapping turns e.g. U+FF20 into `@`.
    if let Some(c) = out.chars().find(|&c| excluded_from_localpart(c)) {
        return Err(JidError::Disallowed {
            part: Part::Localpart,
            codepoint: c,
        });
    }
    Ok(out.into_owned())
}

/// Enforcement of UsernameCaseMapped (RFC 8265 §3.3.2–§3.3.3), rule by rule.
///
/// `precis_profiles::UsernameCaseMapped::enforce` lower-cases code point by code point,
/// which misses the context-dependent final-sigma mapping of Unicode toLowerCase()
/// (Unicode §3.13, SpecialCasing.txt) that rule 3 asks for and that other PRECIS
/// implementations apply; so `ΟΔΥΣΣΕΥΣ` becomes `οδυσσευς` here, as it does there.
fn username_case_mapped(s: &str) -> Result<Cow<'_, str>, PrecisError> {
    let profile = UsernameCaseMapped::new();
    // Rule 1 (width mapping), then the IdentifierClass check (RFC 8265 §3.3.2).
    let prepared = PrecisProfile::prepare(&profile, s)?;
    // Rule 3: Unicode toLowerCase(); rule 2 (additional mapping) is empty.
    let lowered: Cow<'_, str> = if prepared
        .chars()
        .any(|c| !c.to_lowercase().eq(std::iter::once(c)))
    {
        Cow::Owned(prepared.to_lowercase())
    } else {
        prepared
    };
    // Rule 4: NFC; rule 5: the bidi rule (RFC 5893).
    let normalized = profile.normalization_rule(lowered)?;
    if normalized.is_empty() {
        return Err(PrecisError::Invalid);
    }
    profile.directionality_rule(normalized)
}

fn precis_error(e: PrecisError, part: Part) -> JidError {
    match e {
        PrecisError::BadCodepoint(info)
        | PrecisError::Unexpected(
            UnexpectedError::ContextRuleNotApplicable(info)
            | UnexpectedError::MissingContextRule(info),
        ) => JidError::Disallowed {
            part,
            codepoint: char::from_u32(info.cp).unwrap_or(char::REPLACEMENT_CHARACTER),
        },
        _ => JidError::Invalid { part },
    }
}

fn precis_domain(s: &str) -> Result<String, JidError> {
    // RFC 7622 §3.2: one final label separator is stripped before anything else.
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.is_empty() {
        return Err(JidError::Empty(Part::Domainpart));
    }
    if let Some(ip) = ip_literal(s)? {
        return Ok(ip);
    }
    let uts46 = Uts46::new();
    // STD3 rules: a domainpart is a host name (LDH labels, RFC 5890 §2.3.1), and `@` or
    // `/` in it would break the address syntax. CheckHyphens refuses R-LDH labels that
    // are not A-labels (RFC 5890 §2.3.1); VerifyDnsLength refuses empty and over-long
    // labels (RFC 5890 §2.3.2.1, 63 octets in A-label form).
    let ascii = uts46
        .to_ascii(
            s.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Verify,
        )
        .map_err(|_| JidError::InvalidDomain)?;
    // RFC 7622 §3.2.1: A-labels are converted to U-labels for the stored form.
    let (unicode, result) = uts46.to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Check);
    result.map_err(|_| JidError::InvalidDomain)?;
    // UTS #46 also accepts code points IDNA2008 disallows (its "NV8" symbols, e.g.
    // U+2603). The PRECIS IdentifierClass derives from the same RFC 5892 categories
    // (letters and digits, no compatibility forms, same context rules), so a U-label
    // it refuses is not an IDNA2008 U-label either.
    let class = IdentifierClass::default();
    for label in unicode.split('.').filter(|label| !label.is_ascii()) {
        class
            .allows(label)
            .map_err(|e| precis_error(e, Part::Domainpart))?;
    }
    numeric_name_check(unicode.into_owned())
}

// ---------------------------------------------------------------------------------------
// IP literals (RFC 7622 §3.2, RFC 6122 §2.2: IP-literal / IPv4address per RFC 3986)

fn ip_literal(s: &str) -> Result<Option<String>, JidError> {
    if let Some(inner) = s.strip_prefix('[') {
        // IPvFuture and zone identifiers are not accepted: no XMPP deployment uses them.
        let inner = inner.strip_suffix(']').ok_or(JidError::InvalidIpLiteral)?;
        let addr: Ipv6Addr = inner.parse().map_err(|_| JidError::InvalidIpLiteral)?;
        // RFC 5952 text form, so that equal addresses compare equal.
        return Ok(Some(format!("[{addr}]")));
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let addr: Ipv4Addr = s.parse().map_err(|_| JidError::InvalidIpLiteral)?;
        return Ok(Some(addr.to_string()));
    }
    Ok(None)
}

/// A name that maps to digits and dots only (e.g. from full-width digits) is either a
/// dotted IPv4 address or nothing: RFC 1123 §2.1 rules out all-numeric host names.
fn numeric_name_check(name: String) -> Result<String, JidError> {
    if name.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let addr: Ipv4Addr = name.parse().map_err(|_| JidError::InvalidIpLiteral)?;
        return Ok(addr.to_string());
    }
    Ok(name)
}

// ---------------------------------------------------------------------------------------
// Stringprep (RFC 6122, RFC 3454)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stringprep {
    /// RFC 6122 Appendix A.
    Nodeprep,
    /// RFC 6122 Appendix B.
    Resourceprep,
    /// RFC 3491.
    Nameprep,
}

impl Stringprep {
    fn case_folds(self) -> bool {
        // Nodeprep and nameprep map with B.1 and B.2; resourceprep with B.1 only.
        !matches!(self, Stringprep::Resourceprep)
    }

    fn prohibits(self, c: char) -> bool {
        // C.1.2, C.2.2, C.3–C.9 are common to all three profiles.
        let common = tables::non_ascii_space_character(c)
            || tables::non_ascii_control_character(c)
            || tables::private_use(c)
            || tables::non_character_code_point(c)
            || tables::surrogate_code(c)
            || tables::inappropriate_for_plain_text(c)
            || tables::inappropriate_for_canonical_representation(c)
            || tables::change_display_properties_or_deprecated(c)
            || tables::tagging_character(c);
        common
            || match self {
                // Nodeprep adds C.1.1, C.2.1 and the eight address delimiters (RFC 6122 A.5).
                Stringprep::Nodeprep => {
                    tables::ascii_space_character(c)
                        || tables::ascii_control_character(c)
                        || excluded_from_localpart(c)
                }
                // Resourceprep adds C.2.1 (RFC 6122 B.5); the ASCII space is allowed.
                Stringprep::Resourceprep => tables::ascii_control_character(c),
                // Nameprep leaves ASCII to the STD3 rules of IDNA (RFC 3491 §5).
                Stringprep::Nameprep => false,
            }
    }
}

/// One pass of a stringprep profile, with AllowUnassigned unset: the JID profiles are for
/// stored strings (RFC 3454 §7, RFC 6122 A.1/B.1, RFC 3491 §7 via IDNA2003 ToASCII).
fn stringprep_once(s: &str, profile: Stringprep, part: Part) -> Result<String, JidError> {
    // Checked on the input, not only the output: the normalisation below uses the
    // current Unicode version, which may map a code point unassigned in Unicode 3.2
    // onto assigned ones.
    if let Some(c) = s.chars().find(|&c| tables::unassigned_code_point(c)) {
        return Err(JidError::Disallowed { part, codepoint: c });
    }
    // RFC 3454 §3: mapping (B.1, and B.2 where the profile case-folds).
    let mut mapped = String::with_capacity(s.len());
    for c in s
        .chars()
        .filter(|&c| !tables::commonly_mapped_to_nothing(c))
    {
        if profile.case_folds() {
            mapped.extend(tables::case_fold_for_nfkc(c));
        } else {
            mapped.push(c);
        }
    }
    // RFC 3454 §4: NFKC.
    let normalized: String = mapped.nfkc().collect();
    // RFC 3454 §5 prohibition, §7 unassigned (on the output as well).
    if let Some(c) = normalized
        .chars()
        .find(|&c| profile.prohibits(c) || tables::unassigned_code_point(c))
    {
        return Err(JidError::Disallowed { part, codepoint: c });
    }
    // RFC 3454 §6: bidirectional text.
    if normalized.chars().any(tables::bidi_r_or_al) {
        let first = normalized.chars().next().is_some_and(tables::bidi_r_or_al);
        let last = normalized
            .chars()
            .next_back()
            .is_some_and(tables::bidi_r_or_al);
        if normalized.chars().any(tables::bidi_l) || !first || !last {
            return Err(JidError::Bidi { part });
        }
    }
    Ok(normalized)
}

fn stringprep(s: &str, profile: Stringprep, part: Part) -> Result<String, JidError> {
    let once = stringprep_once(s, profile, part)?;
    // Stringprep over a current Unicode NFKC is not guaranteed to be idempotent; a string
    // that changes again on a second pass has no single prepared form and is refused,
    // as RFC 8264 §7 does for PRECIS.
    if stringprep_once(&once, profile, part)? != once {
        return Err(JidError::Invalid { part });
    }
    Ok(once)
}

/// IDNA2003 label separators (RFC 3490 §3.1): full stop, ideographic full stop,
/// fullwidth full stop, halfwidth ideographic full stop.
fn is_idna2003_dot(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

const ACE_PREFIX: &str = "xn--";

fn legacy_domain(s: &str) -> Result<String, JidError> {
    // RFC 6122 §2.2: one final label separator is stripped first.
    let s = s.strip_suffix(is_idna2003_dot).unwrap_or(s);
    if s.is_empty() {
        return Err(JidError::Empty(Part::Domainpart));
    }
    if let Some(ip) = ip_literal(s)? {
        return Ok(ip);
    }
    let mut out = String::with_capacity(s.len());
    for (i, label) in s.split(is_idna2003_dot).enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&legacy_label(label)?);
    }
    numeric_name_check(out)
}

/// ToASCII (RFC 3490 §4.1, UseSTD3ASCIIRules set, AllowUnassigned unset) as a check, with
/// the label kept in its nameprepped Unicode form; ACE labels are turned into Unicode by
/// ToUnicode (RFC 3490 §4.2) so that both spellings of a name compare equal.
fn legacy_label(label: &str) -> Result<String, JidError> {
    if label.is_empty() {
        return Err(JidError::InvalidDomain);
    }
    // Nameprep is applied to ASCII labels as well: it is what lower-cases them.
    let prepped = stringprep(label, Stringprep::Nameprep, Part::Domainpart)?;
    // Step 3: STD3 rules (LDH only, no hyphen at either end).
    if prepped
        .chars()
        .any(|c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-'))
        || prepped.starts_with('-')
        || prepped.ends_with('-')
    {
        return Err(JidError::InvalidDomain);
    }
    if prepped.is_ascii() {
        // Step 8: 1 to 63 octets.
        if prepped.is_empty() || prepped.len() > 63 {
            return Err(JidError::InvalidDomain);
        }
        if let Some(rest) = strip_ace_prefix(&prepped)
            && let Some(unicode) = legacy_to_unicode(rest, &prepped)
        {
            return Ok(unicode);
        }
        return Ok(prepped);
    }
    // Step 5: a non-ASCII label must not already carry the ACE prefix.
    if strip_ace_prefix(&prepped).is_some() {
        return Err(JidError::InvalidDomain);
    }
    // Steps 6–8: the Punycode form must fit in a DNS label.
    let encoded = punycode::encode_str(&prepped).ok_or(JidError::InvalidDomain)?;
    if ACE_PREFIX.len() + encoded.len() > 63 {
        return Err(JidError::InvalidDomain);
    }
    Ok(prepped)
}

fn strip_ace_prefix(label: &str) -> Option<&str> {
    let head = label.get(..ACE_PREFIX.len())?;
    if head.eq_ignore_ascii_case(ACE_PREFIX) {
        label.get(ACE_PREFIX.len()..)
    } else {
        None
    }
}

/// RFC 3490 §4.2 ToUnicode never fails: a label that does not decode, or whose decoding
/// does not ToASCII back to the same label (step 7), stays as it was.
fn legacy_to_unicode(rest: &str, label: &str) -> Option<String> {
    let decoded = punycode::decode_to_string(rest)?;
    if decoded.is_ascii() {
        return None;
    }
    let prepared = legacy_label(&decoded).ok()?;
    let encoded = punycode::encode_str(&prepared)?;
    let ace_matches = label
        .get(ACE_PREFIX.len()..)
        .is_some_and(|r| r.eq_ignore_ascii_case(&encoded));
    ace_matches.then_some(prepared)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ace_prefix_is_case_insensitive() {
        assert_eq!(strip_ace_prefix("xn--abc"), Some("abc"));
        assert_eq!(strip_ace_prefix("XN--abc"), Some("abc"));
        assert_eq!(strip_ace_prefix("xn-abc"), None);
        assert_eq!(strip_ace_prefix("x\u{FC}--"), None);
    }

    #[test]
    fn to_unicode_requires_a_round_trip() {
        assert_eq!(
            legacy_to_unicode("bcher-kva", "xn--bcher-kva").as_deref(),
            Some("b\u{FC}cher")
        );
        // Decodes to "faß", which nameprep folds to "fass": not the same label.
        assert_eq!(legacy_to_unicode("fa-hia", "xn--fa-hia"), None);
        // Decodes to ASCII only.
        assert_eq!(legacy_to_unicode("abc-", "xn--abc-"), None);
    }

    #[test]
    fn stringprep_profiles_differ_in_case_folding_and_space() {
        assert_eq!(
            stringprep("A b", Stringprep::Resourceprep, Part::Resourcepart).as_deref(),
            Ok("A b")
        );
        assert_eq!(
            stringprep("A b", Stringprep::Nodeprep, Part::Localpart),
            Err(JidError::Disallowed {
                part: Part::Localpart,
                codepoint: ' '
            })
        );
        assert_eq!(
            stringprep("A", Stringprep::Nameprep, Part::Domainpart).as_deref(),
            Ok("a")
        );
    }

    #[test]
    fn numeric_names_must_be_ipv4() {
        assert_eq!(
            numeric_name_check("10.0.0.1".to_owned()).as_deref(),
            Ok("10.0.0.1")
        );
        assert_eq!(
            numeric_name_check("10.0.0".to_owned()),
            Err(JidError::InvalidIpLiteral)
        );
        assert_eq!(
            numeric_name_check("a10.0.0".to_owned()).as_deref(),
            Ok("a10.0.0")
        );
    }

    #[test]
    fn output_limits() {
        assert_eq!(
            check_output(String::new(), Part::Localpart),
            Err(JidError::Empty(Part::Localpart))
        );
        assert!(check_output("a".repeat(MAX_PART_LEN), Part::Localpart).is_ok());
        assert_eq!(
            check_output("a".repeat(MAX_PART_LEN + 1), Part::Resourcepart),
            Err(JidError::PartTooLong {
                part: Part::Resourcepart,
                len: MAX_PART_LEN + 1
            })
        );
    }
}
