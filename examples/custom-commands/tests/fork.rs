//! The fork's command exists in no Rumor binary, so a fake Rumor (a scripted [`Wire`]) answers
//! it: the test checks the command line the generated builder sends and that the typed result
//! reads what the fake logs.

use std::future::IntoFuture;
use std::io;
use std::time::Duration;

use futures_util::{sink, stream};
use pyrum_core::typed::CommandSpec;
use pyrum_core::types::PeerId;
use pyrum_core::{Rumor, Wire};
use pyrum_example_custom_commands::{Commands, Mode};
use serde_json::json;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(5);
const PEER: &str = "16Uiu2HAmQ4V2ZkVJ2U8XVJjRaCm9Fn3aZQzGfFuP1Qx8D1rR3zZs";

/// Splits a call line (`'_id' 'actor:' 'lvl_trace' 'word'... &`) into its words.
fn words(line: &str) -> Vec<String> {
    let body = line
        .strip_suffix(" &")
        .expect("calls run in the background");
    body.split("' '")
        .map(|w| w.trim_matches('\'').to_string())
        .collect()
}

#[tokio::test]
async fn the_fork_command_sends_its_line_and_reads_its_typed_result() {
    let (to_fake, mut from_client) = mpsc::unbounded_channel::<String>();
    let (to_client, mut from_fake) = mpsc::unbounded_channel::<io::Result<String>>();
    let sink = sink::unfold(to_fake, |tx, line: String| async move {
        tx.send(line)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "fake gone"))?;
        Ok::<_, io::Error>(tx)
    });
    let wire = Wire::new(
        "fake fork",
        sink,
        stream::poll_fn(move |cx| from_fake.poll_recv(cx)),
    );
    let rumor = Rumor::builder().connect(wire);
    let alice = rumor.actor("alice").unwrap();

    let peer = PeerId::new(PEER).unwrap();
    let score = alice
        .gossip()
        .score(peer)
        .mode(Mode::Full)
        .topics(vec!["blocks".to_string(), "attestations".to_string()]);
    assert_eq!(
        score.command().words(),
        [
            "gossip",
            "score",
            &format!("--peer-id={PEER}"),
            "--mode=full",
            "--topics=blocks,attestations"
        ]
    );

    let call = tokio::spawn(score.into_future());
    let line = tokio::time::timeout(LIMIT, from_client.recv())
        .await
        .expect("the client sends the call")
        .expect("client open");
    let sent = words(&line);
    let id = sent[0]
        .strip_prefix('_')
        .expect("call id first")
        .to_string();
    assert_eq!(sent[1], "alice:");
    assert_eq!(&sent[3..5], ["gossip", "score"]);
    for entry in [
        json!({"level": "info", "msg": "topic", "topics": "blocks"}),
        json!({"level": "info", "msg": "topic", "topics": "attestations"}),
        json!({"level": "info", "msg": "score", "score": 1.5}),
        json!({"level": "trace", "msg": "completed call", "__success": "true"}),
    ] {
        let mut entry = entry.as_object().unwrap().clone();
        entry.insert("call_id".into(), json!(id));
        entry.insert("actor".into(), json!("alice"));
        to_client
            .send(Ok(serde_json::Value::Object(entry).to_string()))
            .unwrap();
    }
    let result = tokio::time::timeout(LIMIT, call)
        .await
        .expect("the call completes")
        .unwrap()
        .expect("the fake answered with success");
    assert_eq!(result.score, 1.5);
    assert_eq!(result.topics, ["blocks", "attestations"]);
}
