//! The session registry: binding, conflicts (RFC 6120 §7.7.2.2), presence, lookups.

use waxwing_core::{BindError, ConflictPolicy, SessionCommand, SessionHandle, SessionRegistry};
use waxwing_stanza::{StanzaErrorCondition, StreamErrorCondition};

use crate::{bare, builder, connect, full, server};

#[test]
fn replace_closes_the_old_session_with_conflict() {
    let reg = SessionRegistry::new();
    let (old, mut old_mb) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    let (new, _new_mb) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    assert!(
        reg.register(old.clone(), ConflictPolicy::Replace)
            .unwrap()
            .replaced
            .is_none()
    );
    let r = reg.register(new.clone(), ConflictPolicy::Replace).unwrap();
    assert!(r.replaced.unwrap().same_session(&old));
    match old_mb.try_recv() {
        Some(SessionCommand::Close(e)) => assert_eq!(e.condition, StreamErrorCondition::Conflict),
        other => panic!("{other:?}"),
    }
    let now = reg.session(&full("juliet@example.com/balcony")).unwrap();
    assert!(now.same_session(&new));
    // The replaced session's late cleanup must not remove its successor.
    assert!(!reg.unregister(old.jid(), old.id()));
    assert!(reg.session(new.jid()).is_some());
    assert!(reg.unregister(new.jid(), new.id()));
    assert!(reg.is_empty());
}

#[test]
fn refuse_keeps_the_old_session() {
    let reg = SessionRegistry::new();
    let (old, mut old_mb) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    let (new, _) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    reg.register(old.clone(), ConflictPolicy::Refuse).unwrap();
    let err = reg.register(new, ConflictPolicy::Refuse).unwrap_err();
    assert_eq!(err, BindError::Conflict);
    assert_eq!(
        err.to_stanza_error().condition,
        StanzaErrorCondition::Conflict
    );
    assert!(reg.session(old.jid()).unwrap().same_session(&old));
    assert!(old_mb.try_recv().is_none());
    assert!(!old.is_closing());
}

#[test]
fn rename_binds_another_resource() {
    let reg = SessionRegistry::new();
    let (old, _) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    let (new, _) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    reg.register(old.clone(), ConflictPolicy::Rename).unwrap();
    let r = reg.register(new, ConflictPolicy::Rename).unwrap();
    assert!(r.replaced.is_none());
    assert_ne!(r.handle.jid(), old.jid());
    assert_eq!(r.handle.jid().to_bare(), bare("juliet@example.com"));
    assert!(r.handle.jid().resource().starts_with("balcony-"));
    assert!(reg.session(r.handle.jid()).unwrap().same_session(&r.handle));
    assert_eq!(reg.resources(&bare("juliet@example.com")).len(), 2);
    assert_eq!(reg.len(), 2);
}

#[test]
fn presence_and_lookups() {
    let reg = SessionRegistry::new();
    let (a, _) = SessionHandle::channel(full("juliet@example.com/a"), 4);
    let (b, _) = SessionHandle::channel(full("juliet@example.com/b"), 4);
    reg.register(a.clone(), ConflictPolicy::Replace).unwrap();
    reg.register(b.clone(), ConflictPolicy::Replace).unwrap();
    assert_eq!(reg.set_presence(a.jid(), Some(-2)), Some(None));
    assert_eq!(
        reg.set_presence(&full("juliet@example.com/c"), Some(1)),
        None
    );
    let rs = reg.resources(&bare("juliet@example.com"));
    let get = |j: &str| rs.iter().find(|r| r.handle.jid().as_str() == j).unwrap();
    assert_eq!(get("juliet@example.com/a").priority, Some(-2));
    assert!(!get("juliet@example.com/b").is_available());
    assert!(reg.has_sessions(&bare("juliet@example.com")));
    assert!(!reg.has_sessions(&bare("romeo@example.com")));
    assert!(reg.resources(&bare("romeo@example.com")).is_empty());
    assert_eq!(reg.set_presence(a.jid(), None), Some(Some(-2)));
    assert!(!reg.resources(&bare("juliet@example.com"))[0].is_available());
}

#[test]
fn many_sessions() {
    let reg = SessionRegistry::new();
    let mut keep = Vec::new();
    for i in 0..20_000 {
        let (h, mb) =
            SessionHandle::channel(full(&format!("u{}@example.com/r{}", i / 2, i % 2)), 1);
        reg.register(h, ConflictPolicy::Replace).unwrap();
        keep.push(mb);
    }
    assert_eq!(reg.len(), 20_000);
    assert_eq!(reg.resources(&bare("u1234@example.com")).len(), 2);
}

#[tokio::test]
async fn server_bind_uses_configured_policy_and_domain() {
    let s = builder()
        .conflict_policy(ConflictPolicy::Refuse)
        .build()
        .unwrap();
    let _first = connect(&s, "juliet@example.com/balcony", None).await;
    let (again, _) = SessionHandle::channel(full("juliet@example.com/balcony"), 4);
    assert_eq!(s.bind(again).await.unwrap_err(), BindError::Conflict);
    let (foreign, _) = SessionHandle::channel(full("juliet@example.org/balcony"), 4);
    assert_eq!(s.bind(foreign).await.unwrap_err(), BindError::NotAllowed);
}

#[tokio::test]
async fn session_closed_unregisters_only_the_same_session() {
    let s = server();
    let old = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let new = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    s.session_closed(&old.jid, old.handle.id()).await;
    assert!(
        s.sessions()
            .session(&new.jid)
            .unwrap()
            .same_session(&new.handle)
    );
    s.session_closed(&new.jid, new.handle.id()).await;
    assert!(s.sessions().session(&new.jid).is_none());
}
