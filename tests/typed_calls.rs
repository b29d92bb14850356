//! Typed calls against the real Rumor v0.3.6: what the compiler checks also works at run time.

use std::time::Duration;

use pyrum::prelude::*;

#[pyrum::test]
async fn host_start_listen_view_are_typed(rumor: Rumor) -> Result<()> {
    let alice = rumor.actor("alice")?;
    alice.host().start().await?;
    let listen = alice.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    assert!(
        listen.addr.as_str().starts_with("/ip4/127.0.0.1/tcp/"),
        "{listen:?}"
    );
    let view = alice.host().view().await?;
    assert!(
        view.peer_id.as_str().starts_with("16Uiu2"),
        "{:?}",
        view.peer_id
    );
    assert_eq!(view.addr.len(), 1, "one listening address: {view:?}");
    assert!(view.addr[0]
        .as_str()
        .ends_with(&format!("/p2p/{}", view.peer_id)));
    assert!(view.enr.is_none(), "no `enr make` yet");
    Ok(())
}

#[pyrum::test(actors = ["alice"])]
async fn enr_view_on_the_default_actor_is_typed(alice: Actor, rumor: Rumor) -> Result<()> {
    alice
        .enr()
        .make()
        .ip([127, 0, 0, 1])
        .tcp(9000)
        .udp(9000)
        .await?;
    let view = alice.host().view().await?;
    let enr = view.enr.expect("after `enr make`, host view shows the ENR");
    let parsed = rumor.enr().view().enr(enr.clone()).await?;
    assert_eq!(parsed.peer_id, view.peer_id, "{parsed:?}");
    assert!(parsed.enode.as_str().starts_with("enode://"), "{parsed:?}");
    assert!(
        parsed.enode.as_str().contains("@127.0.0.1:9000"),
        "{parsed:?}"
    );
    Ok(())
}

#[pyrum::test(actors = ["alice", "bob"])]
async fn peers_connect_and_list(alice: Actor, bob: Actor) -> Result<()> {
    let bob_view = bob.host().view().await?;
    let connected = alice.peer().connect(bob_view.addr[0].clone()).await?;
    assert_eq!(connected.peer_id, bob_view.peer_id);
    let list = alice.peer().list().await?;
    assert_eq!(
        list.peers,
        serde_json::json!([bob_view.peer_id.as_str()]),
        "{list:?}"
    );
    Ok(())
}

#[pyrum::test]
async fn failing_command_carries_rumors_message(rumor: Rumor) -> Result<()> {
    let alice = rumor.actor("alice")?;
    let err = alice.host().view().await.unwrap_err();
    match err {
        Error::Command { call, message } => {
            assert_eq!(call, "alice: host view");
            assert!(message.contains("host start"), "{message}");
        }
        other => panic!("expected a Command error, got {other:?}"),
    }
    Ok(())
}

#[pyrum::test(actors = ["alice", "bob"])]
async fn long_running_notify_streams_events_and_cancels(alice: Actor, bob: Actor) -> Result<()> {
    let notify = alice.host().notify().events(["all"]).send().await?;
    notify.result().await?;
    let bob_view = bob.host().view().await?;
    alice.peer().connect(bob_view.addr[0].clone()).await?;
    let mut events = notify.call().entries();
    let first = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("a notify event within 10 s")
        .expect("stream open")?;
    assert!(!first.fields.is_empty(), "{first:?}");
    notify.cancel().await?;
    assert!(notify.call().is_finished());
    Ok(())
}

#[pyrum::test(actors = ["alice"])]
async fn session_builtins_grab_calls_kill(alice: Actor, rumor: Rumor) -> Result<()> {
    let view = alice.host().view().send().await?;
    let result = view.result().await?;
    // Rumor stores every logged field as `<call id>_<key>`.
    let grabbed = rumor.grab(&format!("{}_peer_id", view.call().id())).await?;
    assert_eq!(grabbed, serde_json::json!(result.peer_id.as_str()));
    assert!(matches!(
        rumor.grab("no_such_value").await,
        Err(Error::Command { .. })
    ));

    let notify = alice.host().notify().events(["all"]).await?;
    let open = alice.calls().await?;
    assert!(open.contains_key(notify.call().id()), "{open:?}");

    alice.kill().await?;
    notify.finished().await?; // killing the actor ends its calls
    let err = alice.host().view().await.unwrap_err();
    assert!(
        matches!(err, Error::Command { .. }),
        "a fresh actor has no host: {err:?}"
    );
    Ok(())
}
