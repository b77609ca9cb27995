//! XEP-0092 Software Version, for the server itself.
//!
//! The operating system is hidden by default (`hide_os = true`): XEP-0092 §5 notes that
//! revealing it helps an attacker pick exploits, and clients gain nothing from it.

use std::sync::Arc;

use waxwing_core::{BuildContext, BuildError, IqTarget, IqType, Module, Registrar};
use waxwing_stanza::ns;
use waxwing_xml::Element;

/// `[modules.version]`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default)]
pub struct VersionConfig {
    /// Leave `<os/>` out of the answer. Default `true`.
    pub hide_os: bool,
}

impl Default for VersionConfig {
    fn default() -> Self {
        Self { hide_os: true }
    }
}

/// The software version module.
#[derive(Debug)]
pub struct Version {
    os: Option<&'static str>,
}

impl Version {
    fn answer(&self) -> Element {
        let mut q = Element::new(ns::VERSION, "query")
            .with_child(Element::new(ns::VERSION, "name").with_text("Waxwing"))
            .with_child(Element::new(ns::VERSION, "version").with_text(env!("CARGO_PKG_VERSION")));
        if let Some(os) = self.os {
            q.append_child(Element::new(ns::VERSION, "os").with_text(os));
        }
        q
    }
}

impl Module for Version {
    const NAME: &'static str = "version";
    type Config = VersionConfig;

    fn build(_: &BuildContext<'_>, config: VersionConfig) -> Result<Self, BuildError> {
        Ok(Self {
            os: (!config.hide_os).then_some(std::env::consts::OS),
        })
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.disco_feature(ns::VERSION);
        let this = Arc::clone(self);
        r.iq(
            IqType::Get,
            ("query", ns::VERSION),
            IqTarget::Server,
            move |_| {
                let answer = this.answer();
                async move { Ok(Some(answer)) }
            },
        );
    }
}
