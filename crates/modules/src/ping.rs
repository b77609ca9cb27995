//! XEP-0199 XMPP Ping: a ping to the server (§4.2), or to the sender's own account, gets an
//! empty result.

use std::sync::Arc;

use waxwing_core::{BuildContext, BuildError, IqTarget, IqType, Module, NoConfig, Registrar};
use waxwing_stanza::ns;

/// The ping module.
#[derive(Debug)]
pub struct Ping;

impl Module for Ping {
    const NAME: &'static str = "ping";
    type Config = NoConfig;

    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.disco_feature(ns::PING);
        r.iq(IqType::Get, ("ping", ns::PING), IqTarget::Any, |_| async {
            Ok(None)
        });
    }
}
