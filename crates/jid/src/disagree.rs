//! Where the two profiles part ways.
//!
//! Most deployed servers still prepare addresses with stringprep (RFC 6122). An account
//! name that the two profiles treat differently would be a different account, or no
//! account, on such a server, so the registrar refuses it.

use crate::{Jid, JidError, Profile, prepare_domainpart, prepare_localpart, prepare_resourcepart};

/// How the PRECIS and stringprep profiles disagree on one identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disagreement<T> {
    /// PRECIS (RFC 7622) accepts; stringprep (RFC 6122) refuses.
    OnlyPrecisAccepts {
        /// The PRECIS result.
        precis: T,
        /// Why stringprep refused.
        stringprep_error: JidError,
    },
    /// Stringprep (RFC 6122) accepts; PRECIS (RFC 7622) refuses.
    OnlyStringprepAccepts {
        /// The stringprep result.
        stringprep: T,
        /// Why PRECIS refused.
        precis_error: JidError,
    },
    /// Both accept, with different prepared forms (e.g. `ß` kept by PRECIS, `ss` from
    /// stringprep's case folding).
    DifferentForms {
        /// The PRECIS result.
        precis: T,
        /// The stringprep result.
        stringprep: T,
    },
}

fn compare<T: PartialEq>(
    precis: Result<T, JidError>,
    stringprep: Result<T, JidError>,
) -> Option<Disagreement<T>> {
    match (precis, stringprep) {
        (Ok(p), Ok(s)) if p == s => None,
        (Ok(precis), Ok(stringprep)) => Some(Disagreement::DifferentForms { precis, stringprep }),
        (Ok(precis), Err(stringprep_error)) => Some(Disagreement::OnlyPrecisAccepts {
            precis,
            stringprep_error,
        }),
        (Err(precis_error), Ok(stringprep)) => Some(Disagreement::OnlyStringprepAccepts {
            stringprep,
            precis_error,
        }),
        (Err(_), Err(_)) => None,
    }
}

/// Reports whether the two profiles disagree on a whole address: one accepts it and the
/// other refuses it, or both accept it with different prepared forms. `None` when they
/// agree, including when both refuse it.
pub fn profiles_disagree(s: &str) -> Option<Disagreement<Jid>> {
    compare(
        Jid::parse_with(s, Profile::Precis),
        Jid::parse_with(s, Profile::Stringprep),
    )
}

/// [`profiles_disagree`] for a localpart alone (an account name).
pub fn localpart_disagreement(node: &str) -> Option<Disagreement<String>> {
    compare(
        prepare_localpart(node, Profile::Precis),
        prepare_localpart(node, Profile::Stringprep),
    )
}

/// [`profiles_disagree`] for a domainpart alone.
pub fn domainpart_disagreement(domain: &str) -> Option<Disagreement<String>> {
    compare(
        prepare_domainpart(domain, Profile::Precis),
        prepare_domainpart(domain, Profile::Stringprep),
    )
}

/// [`profiles_disagree`] for a resourcepart alone.
pub fn resourcepart_disagreement(resource: &str) -> Option<Disagreement<String>> {
    compare(
        prepare_resourcepart(resource, Profile::Precis),
        prepare_resourcepart(resource, Profile::Stringprep),
    )
}
