//! XEP-0030 Service Discovery: disco#info (§3) and disco#items (§4).
//!
//! - A served domain answers identity `server/im` (XEP-0030 §3.1, the Registrar's category
//!   list) and every feature the loaded modules registered, plus what
//!   [`DiscoInfoFold`] handlers add; its items are what [`DiscoItemsFold`] handlers add (none
//!   yet: configured items come later).
//! - An account's bare JID answers identity `account/registered` to the account itself only.
//!   Anyone else gets `service-unavailable`, as for an unhandled request, until rosters exist
//!   (RFC 6121 ties it to a presence subscription; XEP-0030 §7 asks to protect the account's
//!   privacy).
//! - A `node` nobody answers for is `item-not-found` (XEP-0030 §3.2, §4.2).

use std::sync::Arc;

use waxwing_core::hooks::{DiscoInfo, DiscoInfoFold, DiscoItemsFold, DiscoQuery, Identity};
use waxwing_core::{
    BuildContext, BuildError, IqRequest, IqResult, IqTarget, IqType, Module, NoConfig, Registrar,
};
use waxwing_stanza::{StanzaErrorCondition, ns};
use waxwing_xml::{Element, XML_NS};

/// The service discovery module.
#[derive(Debug)]
pub struct Disco;

fn query(req: &IqRequest) -> DiscoQuery {
    DiscoQuery {
        from: req.from.clone(),
        to: req.to.clone(),
        node: req
            .payload()
            .and_then(|p| p.attr("node"))
            .map(str::to_owned),
    }
}

fn err(c: StanzaErrorCondition) -> IqResult {
    Err(c.into())
}

fn info(req: &IqRequest) -> IqResult {
    let q = query(req);
    let account = q.to.node().is_some();
    if account && !req.from_account_itself() {
        return err(StanzaErrorCondition::ServiceUnavailable);
    }
    let mut acc = DiscoInfo::default();
    if q.node.is_none() {
        if account {
            acc.identities.push(Identity::new("account", "registered"));
        } else {
            acc.identities.push(Identity::new("server", "im"));
            acc.features
                .extend(req.server.disco_features().iter().cloned());
        }
    }
    let mut acc = req.server.fold::<DiscoInfoFold>(&q, acc);
    if q.node.is_some() && acc.identities.is_empty() && acc.features.is_empty() {
        return err(StanzaErrorCondition::ItemNotFound);
    }
    acc.identities.sort();
    acc.identities.dedup();
    acc.features.sort();
    acc.features.dedup();
    let mut out = Element::new(ns::DISCO_INFO, "query");
    if let Some(node) = &q.node {
        out.set_attr("node", node.clone());
    }
    for i in acc.identities {
        let mut e = Element::new(ns::DISCO_INFO, "identity")
            .with_attr("category", i.category)
            .with_attr("type", i.type_);
        if let Some(name) = i.name {
            e.set_attr("name", name);
        }
        if let Some(lang) = i.lang {
            e.set_attr_ns(XML_NS, "lang", lang);
        }
        out.append_child(e);
    }
    for f in acc.features {
        out.append_child(Element::new(ns::DISCO_INFO, "feature").with_attr("var", f));
    }
    for x in acc.extensions {
        out.append_child(x);
    }
    Ok(Some(out))
}

fn items(req: &IqRequest) -> IqResult {
    let q = query(req);
    if q.to.node().is_some() && !req.from_account_itself() {
        return err(StanzaErrorCondition::ServiceUnavailable);
    }
    let found = req.server.fold::<DiscoItemsFold>(&q, Vec::new());
    if q.node.is_some() && found.is_empty() {
        return err(StanzaErrorCondition::ItemNotFound);
    }
    let mut out = Element::new(ns::DISCO_ITEMS, "query");
    if let Some(node) = &q.node {
        out.set_attr("node", node.clone());
    }
    for item in found {
        out.append_child(item);
    }
    Ok(Some(out))
}

impl Module for Disco {
    const NAME: &'static str = "disco";
    type Config = NoConfig;

    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.disco_feature(ns::DISCO_INFO);
        r.disco_feature(ns::DISCO_ITEMS);
        r.iq(
            IqType::Get,
            ("query", ns::DISCO_INFO),
            IqTarget::Any,
            |req| {
                let answer = info(&req);
                async move { answer }
            },
        );
        r.iq(
            IqType::Get,
            ("query", ns::DISCO_ITEMS),
            IqTarget::Any,
            |req| {
                let answer = items(&req);
                async move { answer }
            },
        );
    }
}
