use waxwing_stanza::{InvalidStanza, Iq, IqType, Stanza, StanzaErrorCondition};

use crate::xml;

fn reason(fixture: &str) -> InvalidStanza {
    Stanza::from_element(xml(fixture))
        .unwrap_err()
        .reason()
        .clone()
}

#[test]
fn iq_needs_id_and_type() {
    assert_eq!(
        reason("<iq xmlns='jabber:client' type='get'><q xmlns='x'/></iq>"),
        InvalidStanza::IqWithoutId
    );
    assert_eq!(
        reason("<iq xmlns='jabber:client' id='1'><q xmlns='x'/></iq>"),
        InvalidStanza::IqWithoutType
    );
    assert_eq!(
        reason("<iq xmlns='jabber:client' id='1' type='GET'><q xmlns='x'/></iq>"),
        InvalidStanza::UnknownType("GET".into())
    );
    for fixture in [
        "<iq xmlns='jabber:client' type='get'><q xmlns='x'/></iq>",
        "<iq xmlns='jabber:client' id='1'><q xmlns='x'/></iq>",
    ] {
        let err = Stanza::from_element(xml(fixture)).unwrap_err();
        assert_eq!(
            err.stanza_error().unwrap().condition,
            StanzaErrorCondition::BadRequest
        );
    }
}

#[test]
fn requests_carry_exactly_one_child() {
    for type_ in ["get", "set"] {
        assert_eq!(
            reason(&format!(
                "<iq xmlns='jabber:client' id='1' type='{type_}'/>"
            )),
            InvalidStanza::IqRequestPayload
        );
        assert_eq!(
            reason(&format!(
                "<iq xmlns='jabber:client' id='1' type='{type_}'>just text</iq>"
            )),
            InvalidStanza::IqRequestPayload
        );
        assert_eq!(
            reason(&format!(
                "<iq xmlns='jabber:client' id='1' type='{type_}'><a xmlns='x'/><b xmlns='x'/></iq>"
            )),
            InvalidStanza::IqRequestPayload
        );
        let ok = Iq::from_element(xml(&format!(
            "<iq xmlns='jabber:client' id='1' type='{type_}'>\n  <a xmlns='x'/>\n</iq>"
        )))
        .unwrap();
        assert_eq!(ok.payload().unwrap().name(), "a");
        assert!(ok.type_().is_request());
    }
}

#[test]
fn results_carry_zero_or_one_child() {
    let empty = Iq::from_element(xml("<iq xmlns='jabber:client' id='1' type='result'/>")).unwrap();
    assert_eq!(empty.type_(), IqType::Result);
    assert_eq!(empty.payload(), None);
    let one = Iq::from_element(xml(
        "<iq xmlns='jabber:client' id='1' type='result'><query xmlns='jabber:iq:roster'/></iq>",
    ))
    .unwrap();
    assert_eq!(one.payload().unwrap().ns(), "jabber:iq:roster");
    assert_eq!(
        reason("<iq xmlns='jabber:client' id='1' type='result'><a xmlns='x'/><b xmlns='x'/></iq>"),
        InvalidStanza::IqResultPayload
    );
}

#[test]
fn errors_carry_an_error_child() {
    let err = Stanza::from_element(xml(
        "<iq xmlns='jabber:client' id='1' type='error'><query xmlns='jabber:iq:roster'/></iq>",
    ))
    .unwrap_err();
    assert_eq!(err.reason(), &InvalidStanza::IqErrorWithoutError);
    assert_eq!(
        err.stanza_error().unwrap().condition,
        StanzaErrorCondition::BadRequest
    );
    assert!(
        !err.reply_allowed(),
        "never answer an error with an error (RFC 6120 §8.3.1)"
    );
    assert_eq!(err.error_reply(), None);

    // <error/> in another namespace is not the stanza's error element.
    assert_eq!(
        reason("<iq xmlns='jabber:client' id='1' type='error'><error xmlns='urn:x'/></iq>"),
        InvalidStanza::IqErrorWithoutError
    );

    let ok = Iq::from_element(xml(
        "<iq xmlns='jabber:client' id='1' type='error'><query xmlns='jabber:iq:roster'/>\
         <error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ))
    .unwrap();
    assert_eq!(
        ok.payload().unwrap().name(),
        "query",
        "the echoed request is the payload"
    );
    assert_eq!(
        ok.error().unwrap().unwrap().condition,
        StanzaErrorCondition::Forbidden
    );
}

#[test]
fn builders_make_valid_iqs() {
    let get = Iq::get("g1", waxwing_xml::Element::new("urn:xmpp:ping", "ping"));
    assert_eq!(get.iq_id(), "g1");
    assert_eq!(Iq::from_element(get.clone().into_element()).unwrap(), get);
    let res = Iq::result("g1", None);
    assert_eq!(Iq::from_element(res.clone().into_element()).unwrap(), res);
    assert_eq!(res.type_(), IqType::Result);
}
