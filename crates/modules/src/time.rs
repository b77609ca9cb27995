//! XEP-0202 Entity Time: `<tzo/>` and `<utc/>` in the XEP-0082 profiles.
//!
//! The server reports its offset as `+00:00`: finding the local offset in a multi-threaded
//! process is unsound on Unix (the `time` crate refuses), and servers commonly run in UTC.

use std::sync::Arc;

use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use waxwing_core::{BuildContext, BuildError, IqTarget, IqType, Module, NoConfig, Registrar};
use waxwing_stanza::{StanzaErrorCondition, ns};
use waxwing_xml::Element;

/// XEP-0082 §3.3 DateTime in UTC, with milliseconds.
const UTC: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The entity time module.
#[derive(Debug)]
pub struct Time;

/// The `<time/>` answer for `now` (XEP-0202 §3); `None` for a year XEP-0082 cannot write.
pub fn answer(now: OffsetDateTime) -> Option<Element> {
    let utc = now.to_offset(time::UtcOffset::UTC).format(UTC).ok()?;
    Some(
        Element::new(ns::TIME, "time")
            .with_child(Element::new(ns::TIME, "tzo").with_text("+00:00"))
            .with_child(Element::new(ns::TIME, "utc").with_text(utc)),
    )
}

impl Module for Time {
    const NAME: &'static str = "time";
    type Config = NoConfig;

    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.disco_feature(ns::TIME);
        r.iq(
            IqType::Get,
            ("time", ns::TIME),
            IqTarget::Server,
            |_| async {
                answer(OffsetDateTime::now_utc())
                    .map(Some)
                    .ok_or_else(|| StanzaErrorCondition::InternalServerError.into())
            },
        );
    }
}
