//! XMPP addresses (JIDs): parsing, preparation and comparison.
//!
//! Implements RFC 7622 (the default, [`Profile::Precis`]): the parsing order of §3.1,
//! the domainpart of §3.2 (IP literals, IDNA2008 names stored as U-labels, one trailing
//! dot stripped), the localpart of §3.3 (PRECIS UsernameCaseMapped, RFC 8265 §3.3, minus
//! the code points excluded by §3.3.1) and the resourcepart of §3.4 (PRECIS
//! OpaqueString, RFC 8265 §4.2), with the 1023-octet limits on each prepared part.
//!
//! Also implements the legacy profile of RFC 6122 ([`Profile::Stringprep`]): nodeprep
//! (Appendix A) and resourceprep (Appendix B) over RFC 3454, and nameprep (RFC 3491) with
//! IDNA2003 ToASCII/ToUnicode (RFC 3490 §4) for the domainpart. Most deployed servers
//! still use it; [`profiles_disagree`] reports identifiers on which the two profiles
//! differ, so that such account names can be refused.
//!
//! An address is stored once, prepared, in an `Arc<str>` with two small offsets:
//! cloning is a reference-count increment and equality, ordering and hashing work on
//! the prepared string, which is what RFC 7622 §3.2.3, §3.3.3 and §3.4.3 compare.
//!
//! ```
//! use waxwing_jid::{BareJid, Jid, Profile};
//!
//! let jid = Jid::parse("Juliet@Example.COM/Balcony")?;
//! assert_eq!(jid.as_str(), "juliet@example.com/Balcony");
//! assert_eq!(jid.to_bare(), BareJid::parse("juliet@example.com")?);
//! let legacy = Jid::parse_with("Fu\u{DF}ball@example.com", Profile::Stringprep)?;
//! assert_eq!(legacy.node(), Some("fussball"));
//! # Ok::<(), waxwing_jid::JidError>(())
//! ```
//!
//! Deviations, all documented where they occur:
//! - `juliet@example.com/ foo` (RFC 7622 §3.5.2 example 18) is accepted: no rule of
//!   OpaqueString (RFC 8265 §4.2) refuses a leading space, and other servers accept it.
//! - Domain names go through UTS #46 processing (as the `idna` crate implements it),
//!   whose mapping step is broader than RFC 7622 §3.2.2 (it also applies compatibility
//!   mappings); names must also fit DNS length limits (63 octets a label, 253 a name).
//! - The localpart is lower-cased with the full Unicode toLowerCase() (context-dependent
//!   final sigma, Unicode §3.13) as RFC 8265 §3.3.2 rule 3 asks, not code point by code
//!   point as `precis-profiles` does.
//! - Only an ASCII full stop counts as the trailing dot to strip under PRECIS (RFC 7622
//!   §3.2 refers to RFC 1034); the legacy profile also strips the IDNA2003 dots.
//! - Stringprep normalises with the current Unicode version's NFKC rather than Unicode
//!   3.2's; code points unassigned in 3.2 are refused on input, and a string that does
//!   not reach a fixed point after one pass is refused.

mod disagree;
mod error;
mod jid;
mod prep;

pub use crate::disagree::{
    Disagreement, domainpart_disagreement, localpart_disagreement, profiles_disagree,
    resourcepart_disagreement,
};
pub use crate::error::{JidError, Part};
pub use crate::jid::{BareJid, FullJid, Jid};
pub use crate::prep::{prepare_domainpart, prepare_localpart, prepare_resourcepart};

/// Longest prepared part in octets (RFC 7622 §3.2, §3.3, §3.4; RFC 6122 §2.2–§2.4).
pub const MAX_PART_LEN: usize = 1023;

/// Longest input accepted for parsing, in octets: three maximal parts and their two
/// separators. Longer input is refused before any Unicode preparation, so the work done
/// on any input is bounded. (Preparation can shorten a part, e.g. by mapping code points
/// to nothing, so a part may legitimately arrive longer than [`MAX_PART_LEN`].)
pub const MAX_INPUT_LEN: usize = 3 * MAX_PART_LEN + 2;

/// The preparation profile: which RFC's rules prepare and compare the parts.
///
/// Chosen per deployment and passed in; [`Jid::parse`] uses the default, PRECIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Profile {
    /// RFC 7622: PRECIS (RFC 8264, RFC 8265) and IDNA2008.
    #[default]
    Precis,
    /// RFC 6122 (obsolete, still widely deployed): stringprep (RFC 3454) and IDNA2003.
    Stringprep,
}
