//! The address types: [`Jid`] (any), [`BareJid`] (no resource), [`FullJid`] (a resource).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::{JidError, Part, Profile, prepare_domainpart, prepare_localpart, prepare_resourcepart};

/// The prepared address, stored once.
///
/// `at` is the offset of the `@` ending the localpart and `slash` that of the `/`
/// starting the resourcepart; 0 means absent, which is unambiguous because neither the
/// localpart nor the domainpart can be empty. Neither prepared localpart nor prepared
/// domainpart can contain `@` or `/`, so the string alone determines both offsets and
/// the derived equality and ordering are those of the prepared string, and the hash is that
/// of the string alone (so that [`BareJid`] can be looked up by `&str`).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Inner {
    s: Arc<str>,
    at: u16,
    slash: u16,
}

impl std::hash::Hash for Inner {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // The offsets follow from the string: hashing it alone keeps `Hash` consistent with
        // `Eq` and equal to `str`'s, which `Borrow<str>` for `BareJid` requires.
        self.s.hash(state);
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.s, f)
    }
}

fn offset(len: usize, part: Part) -> Result<u16, JidError> {
    // Parts are at most 1023 octets, so this cannot fail; it is checked rather than cast.
    u16::try_from(len).map_err(|_| JidError::PartTooLong { part, len })
}

impl Inner {
    fn parse(s: &str, profile: Profile) -> Result<Self, JidError> {
        if s.len() > crate::MAX_INPUT_LEN {
            return Err(JidError::InputTooLong {
                len: s.len(),
                max: crate::MAX_INPUT_LEN,
            });
        }
        // RFC 7622 §3.1: the resourcepart starts at the first `/` (it may itself hold `/`
        // and `@`); the localpart ends at the first `@` of what precedes it.
        let (rest, resource) = match s.split_once('/') {
            Some((rest, resource)) => (rest, Some(resource)),
            None => (s, None),
        };
        let (node, domain) = match rest.split_once('@') {
            Some((node, domain)) => (Some(node), domain),
            None => (None, rest),
        };
        Self::from_parts(node, domain, resource, profile)
    }

    fn from_parts(
        node: Option<&str>,
        domain: &str,
        resource: Option<&str>,
        profile: Profile,
    ) -> Result<Self, JidError> {
        let node = node.map(|n| prepare_localpart(n, profile)).transpose()?;
        let domain = prepare_domainpart(domain, profile)?;
        let resource = resource
            .map(|r| prepare_resourcepart(r, profile))
            .transpose()?;
        Ok(Self::assemble(
            node.as_deref(),
            &domain,
            resource.as_deref(),
        ))
    }

    /// Joins parts that are already prepared.
    fn assemble(node: Option<&str>, domain: &str, resource: Option<&str>) -> Self {
        let len =
            node.map_or(0, |n| n.len() + 1) + domain.len() + resource.map_or(0, |r| r.len() + 1);
        let mut s = String::with_capacity(len);
        let mut at = 0;
        let mut slash = 0;
        if let Some(node) = node {
            s.push_str(node);
            at = offset(s.len(), Part::Localpart).unwrap_or(0);
            s.push('@');
        }
        s.push_str(domain);
        if let Some(resource) = resource {
            slash = offset(s.len(), Part::Domainpart).unwrap_or(0);
            s.push('/');
            s.push_str(resource);
        }
        Self {
            s: Arc::from(s),
            at,
            slash,
        }
    }

    fn node(&self) -> Option<&str> {
        if self.at == 0 {
            None
        } else {
            self.s.get(..usize::from(self.at))
        }
    }

    fn domain(&self) -> &str {
        let start = if self.at == 0 {
            0
        } else {
            usize::from(self.at) + 1
        };
        let end = if self.slash == 0 {
            self.s.len()
        } else {
            usize::from(self.slash)
        };
        self.s.get(start..end).unwrap_or_default()
    }

    fn resource(&self) -> Option<&str> {
        if self.slash == 0 {
            None
        } else {
            self.s.get(usize::from(self.slash) + 1..)
        }
    }

    fn bare_str(&self) -> &str {
        if self.slash == 0 {
            return &self.s;
        }
        self.s.get(..usize::from(self.slash)).unwrap_or_default()
    }

    fn bare(&self) -> Self {
        if self.slash == 0 {
            return self.clone();
        }
        Self {
            s: Arc::from(self.s.get(..usize::from(self.slash)).unwrap_or_default()),
            at: self.at,
            slash: 0,
        }
    }

    fn with_resource(&self, resource: &str, profile: Profile) -> Result<Self, JidError> {
        let resource = prepare_resourcepart(resource, profile)?;
        Ok(Self::assemble(self.node(), self.domain(), Some(&resource)))
    }
}

/// Any XMPP address, bare or full (RFC 7622 §3).
///
/// Holds the prepared form: two `Jid`s are equal exactly when their prepared forms are
/// (RFC 7622 §3.2.3, §3.3.3, §3.4.3).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Jid(Inner);

/// An address without a resourcepart: `localpart@domainpart` or `domainpart`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BareJid(Inner);

/// An address with a resourcepart: `[localpart@]domainpart/resourcepart`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FullJid(Inner);

impl Jid {
    /// The bare part as text, without allocating (see [`FullJid::bare_str`]).
    pub fn bare_str(&self) -> &str {
        self.0.bare_str()
    }

    /// Parses and prepares an address under RFC 7622 (PRECIS).
    pub fn parse(s: &str) -> Result<Jid, JidError> {
        Self::parse_with(s, Profile::Precis)
    }

    /// Parses and prepares an address under the given profile.
    pub fn parse_with(s: &str, profile: Profile) -> Result<Jid, JidError> {
        Inner::parse(s, profile).map(Jid)
    }

    /// Builds an address from unprepared parts, preparing each under RFC 7622.
    pub fn from_parts(
        node: Option<&str>,
        domain: &str,
        resource: Option<&str>,
    ) -> Result<Jid, JidError> {
        Inner::from_parts(node, domain, resource, Profile::Precis).map(Jid)
    }

    /// The prepared localpart, if any.
    pub fn node(&self) -> Option<&str> {
        self.0.node()
    }

    /// The prepared domainpart.
    pub fn domain(&self) -> &str {
        self.0.domain()
    }

    /// The prepared resourcepart, if any.
    pub fn resource(&self) -> Option<&str> {
        self.0.resource()
    }

    /// The address without its resourcepart.
    pub fn to_bare(&self) -> BareJid {
        BareJid(self.0.bare())
    }

    /// Whether the address has no resourcepart.
    pub fn is_bare(&self) -> bool {
        self.0.slash == 0
    }

    /// Whether the address has a resourcepart.
    pub fn is_full(&self) -> bool {
        self.0.slash != 0
    }

    /// The full JID, or the bare JID back if there is no resourcepart.
    pub fn try_into_full(self) -> Result<FullJid, BareJid> {
        if self.is_full() {
            Ok(FullJid(self.0))
        } else {
            Err(BareJid(self.0))
        }
    }

    /// The bare JID, or the full JID back if there is a resourcepart.
    pub fn try_into_bare(self) -> Result<BareJid, FullJid> {
        if self.is_bare() {
            Ok(BareJid(self.0))
        } else {
            Err(FullJid(self.0))
        }
    }

    /// The prepared address as text.
    pub fn as_str(&self) -> &str {
        &self.0.s
    }
}

impl BareJid {
    /// Parses and prepares a bare address under RFC 7622 (PRECIS); an address with a
    /// resourcepart is an error, not silently truncated.
    pub fn parse(s: &str) -> Result<BareJid, JidError> {
        Self::parse_with(s, Profile::Precis)
    }

    /// Parses and prepares a bare address under the given profile.
    pub fn parse_with(s: &str, profile: Profile) -> Result<BareJid, JidError> {
        Jid::parse_with(s, profile)?
            .try_into_bare()
            .map_err(|_| JidError::UnexpectedResource)
    }

    /// Builds a bare address from an unprepared localpart and domainpart (RFC 7622).
    pub fn from_parts(node: Option<&str>, domain: &str) -> Result<BareJid, JidError> {
        Self::from_parts_with(node, domain, Profile::Precis)
    }

    /// Builds a bare address from unprepared parts under the given profile.
    pub fn from_parts_with(
        node: Option<&str>,
        domain: &str,
        profile: Profile,
    ) -> Result<BareJid, JidError> {
        Inner::from_parts(node, domain, None, profile).map(BareJid)
    }

    /// The prepared localpart, if any.
    pub fn node(&self) -> Option<&str> {
        self.0.node()
    }

    /// The prepared domainpart.
    pub fn domain(&self) -> &str {
        self.0.domain()
    }

    /// The full address with this resource, prepared under RFC 7622 (OpaqueString).
    pub fn with_resource(&self, res: &str) -> Result<FullJid, JidError> {
        self.with_resource_using(res, Profile::Precis)
    }

    /// The full address with this resource, prepared under the given profile.
    pub fn with_resource_using(&self, res: &str, profile: Profile) -> Result<FullJid, JidError> {
        self.0.with_resource(res, profile).map(FullJid)
    }

    /// The address of the domain alone (the server or service).
    #[must_use]
    pub fn domain_jid(&self) -> BareJid {
        if self.0.at == 0 {
            return self.clone();
        }
        BareJid(Inner::assemble(None, self.domain(), None))
    }

    /// The prepared address as text.
    pub fn as_str(&self) -> &str {
        &self.0.s
    }
}

impl std::borrow::Borrow<str> for BareJid {
    fn borrow(&self) -> &str {
        &self.0.s
    }
}

impl FullJid {
    /// The bare part (`localpart@domainpart` or `domainpart`) as text, without allocating:
    /// equal, as a map key, to the [`BareJid`] that [`FullJid::to_bare`] would build.
    pub fn bare_str(&self) -> &str {
        self.0.bare_str()
    }

    /// Parses and prepares a full address under RFC 7622 (PRECIS); an address without a
    /// resourcepart is an error.
    pub fn parse(s: &str) -> Result<FullJid, JidError> {
        Self::parse_with(s, Profile::Precis)
    }

    /// Parses and prepares a full address under the given profile.
    pub fn parse_with(s: &str, profile: Profile) -> Result<FullJid, JidError> {
        Jid::parse_with(s, profile)?
            .try_into_full()
            .map_err(|_| JidError::MissingResource)
    }

    /// Builds a full address from unprepared parts (RFC 7622).
    pub fn from_parts(
        node: Option<&str>,
        domain: &str,
        resource: &str,
    ) -> Result<FullJid, JidError> {
        Inner::from_parts(node, domain, Some(resource), Profile::Precis).map(FullJid)
    }

    /// The prepared localpart, if any.
    pub fn node(&self) -> Option<&str> {
        self.0.node()
    }

    /// The prepared domainpart.
    pub fn domain(&self) -> &str {
        self.0.domain()
    }

    /// The prepared resourcepart.
    pub fn resource(&self) -> &str {
        self.0.resource().unwrap_or_default()
    }

    /// The address without its resourcepart.
    pub fn to_bare(&self) -> BareJid {
        BareJid(self.0.bare())
    }

    /// The prepared address as text.
    pub fn as_str(&self) -> &str {
        &self.0.s
    }
}

impl From<BareJid> for Jid {
    fn from(j: BareJid) -> Jid {
        Jid(j.0)
    }
}

impl From<FullJid> for Jid {
    fn from(j: FullJid) -> Jid {
        Jid(j.0)
    }
}

impl TryFrom<Jid> for FullJid {
    type Error = JidError;
    fn try_from(j: Jid) -> Result<FullJid, JidError> {
        j.try_into_full().map_err(|_| JidError::MissingResource)
    }
}

impl TryFrom<Jid> for BareJid {
    type Error = JidError;
    fn try_from(j: Jid) -> Result<BareJid, JidError> {
        j.try_into_bare().map_err(|_| JidError::UnexpectedResource)
    }
}

macro_rules! common_impls {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $t {
            type Err = JidError;
            fn from_str(s: &str) -> Result<$t, JidError> {
                $t::parse(s)
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }
    };
}

common_impls!(Jid);
common_impls!(BareJid);
common_impls!(FullJid);

macro_rules! cross_eq {
    ($a:ident, $b:ident) => {
        impl PartialEq<$b> for $a {
            fn eq(&self, other: &$b) -> bool {
                self.0 == other.0
            }
        }
        impl PartialEq<$a> for $b {
            fn eq(&self, other: &$a) -> bool {
                self.0 == other.0
            }
        }
    };
}

cross_eq!(Jid, BareJid);
cross_eq!(Jid, FullJid);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_locate_the_parts() {
        let i = Inner::assemble(Some("n"), "d.example", Some("r@x/y"));
        assert_eq!((i.at, i.slash), (1, 11));
        assert_eq!(
            (i.node(), i.domain(), i.resource()),
            (Some("n"), "d.example", Some("r@x/y"))
        );
        let i = Inner::assemble(None, "d", None);
        assert_eq!((i.at, i.slash), (0, 0));
        assert_eq!((i.node(), i.domain(), i.resource()), (None, "d", None));
        let b = Inner::assemble(Some("n"), "d", Some("r")).bare();
        assert_eq!((&*b.s, b.at, b.slash), ("n@d", 1, 0));
    }

    #[test]
    fn parse_matches_assemble() {
        let parsed = Inner::parse("N@D/R", Profile::Precis).unwrap();
        assert_eq!(parsed, Inner::assemble(Some("n"), "d", Some("R")));
    }
}

#[cfg(test)]
mod borrow_tests {
    use std::collections::HashMap;
    use std::hash::BuildHasher;

    use super::*;

    #[test]
    fn bare_jids_are_found_by_their_text() {
        let full = FullJid::parse("juliet@example.com/balcony").unwrap();
        assert_eq!(full.bare_str(), "juliet@example.com");
        let jid = Jid::parse("example.com").unwrap();
        assert_eq!(jid.bare_str(), "example.com");
        let mut m = HashMap::new();
        m.insert(full.to_bare(), 1);
        assert_eq!(m.get(full.bare_str()), Some(&1));
        assert_eq!(m.get("romeo@example.com"), None);
        let h = std::hash::RandomState::new();
        assert_eq!(h.hash_one(full.to_bare()), h.hash_one("juliet@example.com"));
    }
}
