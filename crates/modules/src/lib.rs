//! waxwing-modules: the small XEP modules, one file per XEP family, each built on the
//! `waxwing-core` module API alone.
//!
//! - [`ping`]: XEP-0199 XMPP Ping (§4.2 client-to-server; also answered for the account's own
//!   bare JID, which the server answers on the account's behalf, RFC 6120 §10.3.3).
//! - [`disco`]: XEP-0030 Service Discovery, disco#info (§3) and disco#items (§4) for served
//!   domains and accounts; features are collected from every module.
//! - [`version`]: XEP-0092 Software Version.
//! - [`time`]: XEP-0202 Entity Time, with XEP-0082 date-time profiles.
//! - [`roster`]: RFC 6121 §2 roster management with versioning (§2.6), §3 presence
//!   subscriptions (Appendix A state tables) and pre-approval (§3.4); rosters are kept in
//!   memory only when the server has no storage.
//! - [`presence`]: RFC 6121 §4 presence: probes, broadcast, unavailable, directed presence,
//!   with XEP-0191 blocking consulted. Works with [`roster`].
//! - [`offline`]: XEP-0160 offline message storage and delivery, with XEP-0203 delay stamps.
//! - [`blocking`]: XEP-0191 Blocking Command (blocklist, pushes, inbound and outbound checks).
//! - [`vcard`]: XEP-0054 vcard-temp, with a size limit.
//!
//! [`all`] lists them for the server crate, the only place that picks modules.

pub mod blocking;
pub mod disco;
pub mod offline;
pub mod ping;
pub mod presence;
pub mod roster;
pub mod time;
pub mod vcard;
pub mod version;

use waxwing_core::ModuleFactory;

/// Every module of this crate, by name (`[modules.<name>]`).
pub fn all() -> Vec<ModuleFactory> {
    vec![
        ModuleFactory::of::<ping::Ping>(),
        ModuleFactory::of::<disco::Disco>(),
        ModuleFactory::of::<version::Version>(),
        ModuleFactory::of::<time::Time>(),
        ModuleFactory::of::<roster::Roster>(),
        ModuleFactory::of::<presence::Presence>(),
        ModuleFactory::of::<offline::Offline>(),
        ModuleFactory::of::<blocking::Blocking>(),
        ModuleFactory::of::<vcard::Vcard>(),
    ]
}

/// The module named `name`, if this crate has it.
pub fn by_name(name: &str) -> Option<ModuleFactory> {
    all().into_iter().find(|f| f.name() == name)
}
