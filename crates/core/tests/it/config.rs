//! Building a server: every error collected and reported together.

use std::sync::Arc;

use waxwing_core::{
    BuildContext, BuildError, IqTarget, IqType, Module, ModuleFactory, NoConfig, Registrar, Server,
};

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct GreeterConfig {
    greeting: String,
    limit: u32,
}

struct Greeter {
    greeting: String,
}

impl Module for Greeter {
    const NAME: &'static str = "greeter";
    type Config = GreeterConfig;
    fn build(_: &BuildContext<'_>, c: GreeterConfig) -> Result<Self, BuildError> {
        if c.limit > 10 {
            return Err(BuildError::module(Self::NAME, "limit above 10"));
        }
        Ok(Self {
            greeting: c.greeting,
        })
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.iq(
            IqType::Get,
            ("q", "urn:example"),
            IqTarget::Any,
            |_| async { Ok(None) },
        );
    }
}

struct Rival;
impl Module for Rival {
    const NAME: &'static str = "rival";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.iq(
            IqType::Get,
            ("q", "urn:example"),
            IqTarget::Server,
            |_| async { Ok(None) },
        );
        r.iq(
            IqType::Set,
            ("q", "urn:example"),
            IqTarget::Server,
            |_| async { Ok(None) },
        );
        r.iq(
            IqType::Result,
            ("r", "urn:example"),
            IqTarget::Server,
            |_| async { Ok(None) },
        );
        r.disco_feature("urn:example");
    }
}

fn table(s: &str) -> toml::Table {
    toml::from_str(s).unwrap()
}

#[test]
fn module_config_is_read_and_defaults_apply() {
    let s = Server::builder()
        .domain("example.com")
        .module(ModuleFactory::of::<Greeter>())
        .module_config(table("[greeter]\ngreeting = 'hello'\n"))
        .build()
        .unwrap();
    assert_eq!(s.module::<Greeter>().unwrap().greeting, "hello");
    assert_eq!(s.module_names(), ["greeter"]);
}

#[test]
fn every_error_is_reported_at_once() {
    let errs = Server::builder()
        .domain("example.com")
        .domain("not a domain@")
        .module(ModuleFactory::of::<Greeter>())
        .module(ModuleFactory::of::<Greeter>())
        .module(ModuleFactory::of::<Rival>())
        .module_config(table(
            "[greeter]\ngreting = 'typo'\nlimit = 3\n[rival]\nx = 1\n[nosuch]\n",
        ))
        .build()
        .unwrap_err();
    let text = errs.to_string();
    let kinds: Vec<String> = errs
        .0
        .iter()
        .map(|e| match e {
            BuildError::InvalidDomain { domain, .. } => format!("domain {domain}"),
            BuildError::UnknownKey { module, key } => format!("key {module}.{key}"),
            BuildError::DuplicateModule { module } => format!("dup {module}"),
            BuildError::Config { module, .. } => format!("config {module}"),
            BuildError::UnknownModule { module } => format!("unknown {module}"),
            other => format!("{other}"),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "domain not a domain@",
            "key greeter.greting",
            "dup greeter",
            "key rival.x",
            "unknown nosuch"
        ],
        "{text}"
    );
}

#[test]
fn bad_values_conflicts_and_missing_domains() {
    let errs = Server::builder()
        .module(ModuleFactory::of::<Greeter>())
        .module(ModuleFactory::of::<Rival>())
        .module_config(table("[greeter]\nlimit = 'many'\n"))
        .build()
        .unwrap_err();
    let text = errs.to_string();
    assert!(matches!(errs.0[0], BuildError::NoDomains), "{text}");
    assert!(
        matches!(
            errs.0[1],
            BuildError::Config {
                module: "greeter",
                ..
            }
        ),
        "{text}"
    );
    // Greeter failed, so Rival's Get does not conflict; its Result handler is refused.
    assert!(
        matches!(
            errs.0[2],
            BuildError::IqType {
                module: "rival",
                type_: "result"
            }
        ),
        "{text}"
    );
    assert_eq!(errs.0.len(), 3, "{text}");

    let errs = Server::builder()
        .domain("example.com")
        .module(ModuleFactory::of::<Greeter>())
        .module(ModuleFactory::of::<Rival>())
        .module_config(table("[greeter]\nlimit = 11\n"))
        .build()
        .unwrap_err();
    assert!(
        matches!(&errs.0[0], BuildError::Module { module: "greeter", message } if message == "limit above 10")
    );

    let errs = Server::builder()
        .domain("example.com")
        .module(ModuleFactory::of::<Greeter>())
        .module(ModuleFactory::of::<Rival>())
        .build()
        .unwrap_err();
    let text = errs.to_string();
    assert!(
        matches!(
            &errs.0[0],
            BuildError::IqConflict {
                module: "rival",
                other: "greeter",
                type_: "get",
                ..
            }
        ),
        "{text}"
    );
    assert_eq!(errs.0.len(), 2, "{text}");
}
