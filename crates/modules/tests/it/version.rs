//! XEP-0092 through the real routing path.

use crate::{SU, connect, server, server_with, xml};

const Q: &str = "<iq xmlns='jabber:client' to='example.com' id='v1' type='get'><query xmlns='jabber:iq:version'/></iq>";

#[tokio::test]
async fn version_hides_os_by_default() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    assert_eq!(
        c.ask_xml(&s, Q).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='v1' type='result'><query xmlns='jabber:iq:version'><name>Waxwing</name><version>{}</version></query></iq>",
            env!("CARGO_PKG_VERSION")
        ))
    );
}

#[tokio::test]
async fn version_with_os() {
    let s = server_with("[version]\nhide_os = false\n");
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    assert_eq!(
        c.ask_xml(&s, Q).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='v1' type='result'><query xmlns='jabber:iq:version'><name>Waxwing</name><version>{}</version><os>{}</os></query></iq>",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS
        ))
    );
}

#[tokio::test]
async fn version_of_an_account_is_not_the_servers() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    assert_eq!(
        c.ask_xml(&s, "<iq xmlns='jabber:client' to='romeo@example.com' id='v2' type='get'><query xmlns='jabber:iq:version'/></iq>").await,
        xml(&format!("<iq xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' id='v2' type='error'><query xmlns='jabber:iq:version'/>{SU}</iq>"))
    );
}

#[test]
fn unknown_config_key_is_an_error() {
    let err = waxwing_core::Server::builder()
        .domain("example.com")
        .modules(waxwing_modules::all())
        .module_config(toml::from_str("[version]\nhide_so = true\n").unwrap())
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "[modules.version]: unknown key `hide_so`");
}
