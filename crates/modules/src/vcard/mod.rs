//! XEP-0054 vcard-temp: each account's vCard, kept as the serialized `<vCard/>` element in the
//! key-value store (`store "vcard"`).
//!
//! - §3.1 retrieving one's own vCard (IQ get without `to` or to one's bare JID): the stored
//!   element, or an empty `<vCard/>` when none is set (the second answer §3.1 allows).
//! - §3.2 updating one's vCard: the whole element replaces the stored one; an empty `<vCard/>`
//!   removes it. A set addressed to another account is `forbidden` (§3.2).
//! - §3.3 viewing another user's vCard (IQ get to its bare JID): the stored element, or
//!   `service-unavailable` when none is set — the answer the router gives for an account that
//!   does not exist (RFC 6121 §8.5.1), so the two cannot be told apart.
//! - A size limit (`[modules.vcard] max_bytes`, XEP-0479 asks IM servers for one): a larger
//!   vCard is refused with `not-acceptable` and a text naming the limit.
//! - §4: disco feature `vcard-temp` on the server.
//!
//! Without storage the module builds (so `waxwing check` can validate its configuration) but
//! registers nothing: requests are answered `service-unavailable` by the core.

use std::sync::Arc;

use serde::Deserialize;
use waxwing_core::{
    BuildContext, BuildError, IqError, IqRequest, IqResult, IqTarget, IqType, Module, Registrar,
};
use waxwing_jid::BareJid;
use waxwing_stanza::{StanzaError, StanzaErrorCondition, ns};
use waxwing_storage::Storage;
use waxwing_xml::Element;

/// The key-value store name of vCards.
pub const STORE: &str = "vcard";

/// `[modules.vcard]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct VcardConfig {
    /// Largest vCard accepted, in bytes of its serialized XML. Default 64 KiB.
    pub max_bytes: usize,
}

impl Default for VcardConfig {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
        }
    }
}

/// The vcard-temp module.
#[derive(Debug)]
pub struct Vcard {
    storage: Option<Storage>,
    max_bytes: usize,
}

impl Module for Vcard {
    const NAME: &'static str = "vcard";
    type Config = VcardConfig;

    fn build(cx: &BuildContext<'_>, config: VcardConfig) -> Result<Self, BuildError> {
        Ok(Self {
            storage: cx.storage().cloned(),
            max_bytes: config.max_bytes,
        })
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        if self.storage.is_none() {
            tracing::debug!(module = Self::NAME, "no storage: vcard-temp disabled");
            return;
        }
        r.disco_feature(ns::VCARD_TEMP);
        r.iq_on(
            self,
            IqType::Get,
            ("vCard", ns::VCARD_TEMP),
            IqTarget::Account,
            |me, req| async move { me.get(&req).await },
        );
        r.iq_on(
            self,
            IqType::Set,
            ("vCard", ns::VCARD_TEMP),
            IqTarget::Account,
            |me, req| async move { me.set(&req).await },
        );
    }
}

fn internal() -> IqError {
    StanzaErrorCondition::InternalServerError.into()
}

impl Vcard {
    fn storage(&self) -> Result<&Storage, IqError> {
        self.storage.as_ref().ok_or_else(internal)
    }

    /// The stored vCard of `owner`, if any.
    ///
    /// # Errors
    /// `internal-server-error` if storage fails or holds something that is not XML.
    pub async fn load(&self, owner: &BareJid) -> Result<Option<Element>, IqError> {
        let stored = self.storage()?.kv().get(owner, STORE).await.map_err(|e| {
            tracing::error!(%owner, error = %e, "vcard read failed");
            internal()
        })?;
        let Some(bytes) = stored else {
            return Ok(None);
        };
        waxwing_xml::parse_element(&bytes).map(Some).map_err(|e| {
            tracing::error!(%owner, error = %e, "stored vcard is not XML");
            internal()
        })
    }

    async fn get(&self, req: &IqRequest) -> IqResult {
        match self.load(&req.to.to_bare()).await? {
            Some(card) => Ok(Some(card)),
            None if req.from_account_itself() => Ok(Some(Element::new(ns::VCARD_TEMP, "vCard"))),
            None => Err(StanzaErrorCondition::ServiceUnavailable.into()),
        }
    }

    async fn set(&self, req: &IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(StanzaErrorCondition::Forbidden.into());
        }
        let Some(card) = req.payload() else {
            return Err(StanzaErrorCondition::BadRequest.into());
        };
        let owner = req.to.to_bare();
        let kv = self.storage()?.kv();
        if card.children().next().is_none() {
            kv.delete(&owner, STORE).await.map_err(|e| {
                tracing::error!(%owner, error = %e, "vcard delete failed");
                internal()
            })?;
            return Ok(None);
        }
        let xml = card.to_xml();
        if xml.len() > self.max_bytes {
            return Err(StanzaError::new(StanzaErrorCondition::NotAcceptable)
                .with_text(
                    Some("en"),
                    format!(
                        "vCard of {} bytes exceeds this server's limit of {} bytes",
                        xml.len(),
                        self.max_bytes
                    ),
                )
                .into());
        }
        kv.set(&owner, STORE, xml.as_bytes()).await.map_err(|e| {
            tracing::error!(%owner, error = %e, "vcard write failed");
            internal()
        })?;
        Ok(None)
    }
}
