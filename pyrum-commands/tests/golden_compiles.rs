//! The golden file of pyrum-codegen's small spec must compile against pyrum-core, and its API
//! must have the shape the generator promises.
#![allow(dead_code, missing_docs)]

mod small {
    include!("../../pyrum-codegen/tests/specs/small.rs");
}

use futures_util::SinkExt;
use pyrum_core::typed::CommandSpec;
use small::Commands;

/// Type-checks typical calls without running them.
fn shapes(
    actor: pyrum_core::Actor,
    peer: pyrum_core::types::PeerId,
    addr: pyrum_core::types::Multiaddr,
) {
    let _listen: small::host::HostListen = actor.host().listen().ip([127, 0, 0, 1]).tcp(9000);
    let _connect = actor
        .peer()
        .connect(addr)
        .tag("bootnode")
        .timeout(std::time::Duration::from_secs(5));
    let _req = actor
        .rpc()
        .status()
        .req()
        .raw(peer, vec![0u8; 84])
        .compression(small::Compression::Snappy)
        .raw(true);
    let _notify = actor.host().notify().events(["all"]);
    let _list = actor.blocks().on("db1").list();
    let _sleep = actor.sleep(std::time::Duration::from_secs(1));
}

/// A command that waits for review is untyped: awaiting gives the setup's Output, `send()` the
/// untyped Call.
fn untyped_shapes(actor: pyrum_core::Actor) {
    fn output<C: CommandSpec<Output = pyrum_core::Output, Handle = pyrum_core::Call>>(_: &C) {}
    let connectall = actor.peer().connectall().workers(2);
    output(&connectall);
    assert_eq!(small::peer::PeerConnectall::DEFAULT_WORKERS, 1);
}

#[test]
fn commands_build_the_expected_lines() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sink = futures_util::sink::drain::<String>().sink_map_err(|e| match e {});
        let wire = pyrum_core::Wire::new("test", sink, futures_util::stream::pending());
        let rumor = pyrum_core::Rumor::builder().connect(wire);
        let alice = rumor.actor("alice").unwrap();
        let listen = alice.host().listen().tcp(9000).tcp(9001);
        assert_eq!(listen.command().words(), ["host", "listen", "--tcp=9001"]);
        let on = alice.blocks().on("my db").list();
        assert_eq!(on.command().words(), ["blocks", "on", "my db", "list"]);
        let notify = alice.host().notify().events(["connection", "stream"]);
        assert_eq!(
            notify.command().words(),
            ["host", "notify", "--", "connection", "stream"]
        );
        let req = alice
            .rpc()
            .status()
            .req()
            .raw(
                pyrum_core::types::PeerId::new(
                    "16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P",
                )
                .unwrap(),
                vec![0x7b, 0],
            )
            .raw(true);
        assert_eq!(
            req.command().words(),
            [
                "rpc",
                "status",
                "req",
                "raw",
                "--peer-id=16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P",
                "--data=7b00",
                "--raw=true"
            ]
        );
        let sleep = alice.sleep(std::time::Duration::from_millis(1500));
        assert_eq!(sleep.command().words(), ["sleep", "--time=1500ms"]);
        let connectall = alice.peer().connectall().workers(2);
        assert_eq!(
            connectall.command().words(),
            ["peer", "connectall", "--workers=2"]
        );
        assert!(
            connectall.command().cancels_on_drop(),
            "an unreviewed command may be long-running: dropping its last handle cancels it"
        );
        untyped_shapes(alice.clone());

        // A list argument takes typed values (anything that converts) and sends one word.
        let enode = pyrum_core::types::Enode::new("enode://ab@127.0.0.1:30303").unwrap();
        let run = alice.dv5().run().bootnodes([enode.clone(), enode]);
        assert_eq!(
            run.command().words(),
            [
                "dv5",
                "run",
                "--bootnodes=enode://ab@127.0.0.1:30303,enode://ab@127.0.0.1:30303"
            ]
        );
        let roots = alice
            .chain()
            .this()
            .sync()
            .by_root()
            .roots([[1u8; 32], [2u8; 32]]);
        assert_eq!(
            roots.command().words()[4],
            format!("--roots=0x{},0x{}", "01".repeat(32), "02".repeat(32))
        );
        // A request key is a number.
        let close = alice.rpc().status().close(7);
        assert_eq!(
            close.command().words(),
            ["rpc", "status", "close", "--req-id=7"]
        );
    });
}

/// Records, lists, maps and built-in records read what Rumor logs; unknown keys stay in
/// `extra`.
#[test]
fn composite_results_read_rumors_json() {
    use pyrum_core::types::FromField;
    let logged = serde_json::json!({
        "chunk_index": 1,
        "from": "16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P",
        "msg": null,
        "added_later": true,
    });
    let chunk = small::SyncChunk::from_field(&logged).unwrap();
    assert_eq!(chunk.chunk_index, 1);
    assert_eq!(chunk.msg, None);
    assert_eq!(chunk.extra.len(), 1);
    let err = small::SyncChunk::from_field(&serde_json::json!({"chunk_index": 1})).unwrap_err();
    assert!(err.contains("sync_chunk has no `from`"), "{err}");
    let chunks = Vec::<small::SyncChunk>::from_field(&serde_json::json!([logged])).unwrap();
    assert_eq!(chunks, [chunk]);
    let map = std::collections::BTreeMap::<String, String>::from_field(&serde_json::json!({
        "ip": "127.0.0.1"
    }))
    .unwrap();
    assert_eq!(map["ip"], "127.0.0.1");
    let out = pyrum_core::Output {
        fields: serde_json::json!({"nodes": null, "extra_key": 1})
            .as_object()
            .unwrap()
            .clone(),
        ..Default::default()
    };
    let lookup: small::dv5::Dv5LookupResult =
        pyrum_core::typed::FromOutput::from_output(&out).unwrap();
    assert!(lookup.nodes.is_empty(), "null is an empty list");
}
