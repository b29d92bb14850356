//! Gossip as a tester uses it: typed messages from `gossip log`, and waiting until a topic has
//! its peers.
//!
//! `gossip log <topic>` logs one entry per message with `from`, `data`, `seq_no` and
//! `signature`; [`GossipLogExt::messages`] reads those entries as [`GossipMessage`]s, one per
//! message, in the order Rumor received them (no pairing of per-key streams by position).
//!
//! Two readiness helpers, with deadlines:
//!
//! - [`GossipExt::wait_for_topic_peers`] polls `gossip list-peers` until a joined topic has as
//!   many subscribed peers as a test needs.
//! - [`wait_for_delivery`] publishes probe messages until the given loggers received one. A peer
//!   on the topic is not yet a peer in the publisher's gossipsub mesh: Rumor's gossipsub (go-
//!   libp2p-pubsub v0.3.3) grafts peers into the mesh at its next heartbeat (every second) and
//!   a message published before that reaches nobody. A delivered probe means the path works.
//!   [`Messages::without_probes`] hides the probes from a test's own checks.
//!
//! ```no_run
//! use std::time::Duration;
//! use pyrum::gossip::{GossipExt, GossipLogExt};
//! use pyrum::prelude::*;
//!
//! # async fn demo(alice: Actor, bob: Actor) -> pyrum::Result<()> {
//! for actor in [&alice, &bob] {
//!     actor.gossip().start().await?;
//!     actor.gossip().join("blocks").await?;
//! }
//! let log = bob.gossip().log("blocks").await?;       // subscribes bob
//! let _alice_log = alice.gossip().log("blocks").await?;
//! alice.wait_for_topic_peers("blocks", 1, Duration::from_secs(10)).await?;
//! pyrum::gossip::wait_for_delivery(&alice, "blocks", &[&log], Duration::from_secs(10)).await?;
//! alice.gossip().publish("blocks", vec![1, 2, 3]).await?;
//! let mut messages = log.messages().without_probes();
//! let msg = messages.next().await.expect("a message")?;
//! assert_eq!(msg.data.0, [1, 2, 3]);
//! # Ok(()) }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::Stream;
use pyrum_commands::gossip::GossipLogCall;
use pyrum_commands::Commands;
use pyrum_core::types::{FromField, HexBytes, PeerId};
use pyrum_core::{Actor, Entries, Entry, Error, Result};
use serde_json::Value;

/// One gossip message, as `gossip log` logged it.
///
/// ```no_run
/// use pyrum::gossip::GossipLogExt;
/// # async fn demo(log: pyrum::commands::gossip::GossipLogCall) -> pyrum::Result<()> {
/// let msg = log.messages().next_within(std::time::Duration::from_secs(5)).await?;
/// println!("#{:?} on {} from {}: {:?}", msg.seq_no_u64(), msg.topic, msg.from, msg.data);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct GossipMessage {
    /// The topic the message came in on.
    pub topic: String,
    /// The author (pubsub `from`), not necessarily the peer that forwarded it.
    pub from: PeerId,
    /// The payload; snappy-decoded by Rumor for topics whose name ends in `_snappy`.
    pub data: HexBytes,
    /// The author's sequence number bytes (big-endian).
    pub seq_no: HexBytes,
    /// The signature; empty, since Rumor's gossipsub neither signs nor checks messages.
    pub signature: HexBytes,
}

/// The start of every probe message of [`wait_for_delivery`].
pub const PROBE_PREFIX: &[u8] = b"pyrum-delivery-probe:";

impl GossipMessage {
    /// True for the probes of [`wait_for_delivery`] (data starting with [`PROBE_PREFIX`]).
    ///
    /// ```
    /// # use pyrum::gossip::GossipMessage;
    /// # fn demo(msg: &GossipMessage) {
    /// if !msg.is_probe() {
    ///     println!("{:?}", msg.data);
    /// }
    /// # }
    /// ```
    pub fn is_probe(&self) -> bool {
        self.data.0.starts_with(PROBE_PREFIX)
    }

    /// The sequence number as an integer, when it fits in 8 bytes.
    ///
    /// ```
    /// # use pyrum::gossip::GossipMessage;
    /// # fn demo(msg: &GossipMessage) {
    /// println!("message {:?} from {}", msg.seq_no_u64(), msg.from);
    /// # }
    /// ```
    pub fn seq_no_u64(&self) -> Option<u64> {
        let bytes = &self.seq_no.0;
        (bytes.len() <= 8).then(|| bytes.iter().fold(0u64, |n, b| n << 8 | u64::from(*b)))
    }
}

/// The prefix of the message entries' log message; the topic follows.
const MESSAGE_PREFIX: &str = "new message on ";
/// Error entries of `gossip log`: an undecodable snappy message (skipped; logging goes on),
/// and a subscription error (logging ends).
const LOG_ERRORS: [&str; 2] = [
    "Cannot decompress snappy message",
    "Gossip logging encountered error",
];

/// Reads one message entry; `None` for entries that are not messages.
fn message_from(call: &str, entry: &Entry) -> Option<Result<GossipMessage>> {
    if let Some(topic) = entry.msg.strip_prefix(MESSAGE_PREFIX) {
        return Some(parse_message(call, topic, entry));
    }
    if LOG_ERRORS.contains(&entry.msg.as_str()) {
        let error = entry.str_field("error").unwrap_or("no error given");
        return Some(Err(Error::Command {
            call: call.to_string(),
            message: format!("{}: {error}", entry.msg),
        }));
    }
    None
}

fn parse_message(call: &str, topic: &str, entry: &Entry) -> Result<GossipMessage> {
    fn field<T: FromField>(call: &str, entry: &Entry, key: &str) -> Result<T> {
        let value = entry.fields.get(key).unwrap_or(&Value::Null);
        T::from_field(value).map_err(|e| {
            Error::Protocol(format!(
                "`{call}`: message field `{key}` in an unexpected form: {e}"
            ))
        })
    }
    Ok(GossipMessage {
        topic: topic.to_string(),
        from: field(call, entry, "from")?,
        data: field(call, entry, "data")?,
        seq_no: field(call, entry, "seq_no")?,
        signature: field(call, entry, "signature")?,
    })
}

/// The messages of one `gossip log` call, typed: a `Stream` of [`GossipMessage`]s in the order
/// Rumor logged them, from the call's start (as far as its buffer reaches). An error entry of
/// the logger is an [`Error::Command`] item with Rumor's words; after "Gossip logging
/// encountered error" no more messages come. Ends when the call is freed.
pub struct Messages {
    entries: Entries,
    call: Arc<str>,
    skip_probes: bool,
}

impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Messages")
            .field("call", &self.call)
            .finish()
    }
}

impl Stream for Messages {
    type Item = Result<GossipMessage>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.entries).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(entry))) => match message_from(&this.call, &entry) {
                    Some(Ok(msg)) if this.skip_probes && msg.is_probe() => {}
                    Some(item) => return Poll::Ready(Some(item)),
                    None => {}
                },
            }
        }
    }
}

impl Messages {
    /// The same stream without the probes of [`wait_for_delivery`].
    ///
    /// ```no_run
    /// use pyrum::gossip::GossipLogExt;
    /// # fn demo(log: &pyrum::commands::gossip::GossipLogCall) {
    /// let messages = log.messages().without_probes();
    /// # }
    /// ```
    pub fn without_probes(mut self) -> Messages {
        self.skip_probes = true;
        self
    }

    /// The next message; `None` once the logger was freed. The same as `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is only taken when the future completes.
    pub async fn next(&mut self) -> Option<Result<GossipMessage>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The next message within `limit`: [`Error::Timeout`] when none came, [`Error::Command`]
    /// when the logger ended first.
    ///
    /// ```no_run
    /// # async fn demo(mut messages: pyrum::gossip::Messages) -> pyrum::Result<()> {
    /// let msg = messages.next_within(std::time::Duration::from_secs(5)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`Messages::next`].
    pub async fn next_within(&mut self, limit: Duration) -> Result<GossipMessage> {
        match tokio::time::timeout(limit, self.next()).await {
            Ok(Some(item)) => item,
            Ok(None) => Err(Error::Command {
                call: self.call.to_string(),
                message: "the logger ended (cancelled or freed) before another message".into(),
            }),
            Err(_) => Err(Error::Timeout {
                what: format!("a message on `{}`", self.call),
                after: limit,
            }),
        }
    }
}

/// `.messages()` on an open `gossip log` call.
pub trait GossipLogExt {
    /// Every message the logger logs, typed, from its start: see [`Messages`].
    ///
    /// ```no_run
    /// use pyrum::gossip::GossipLogExt;
    /// # async fn demo(alice: pyrum::Actor) -> pyrum::Result<()> {
    /// use pyrum::prelude::*;
    /// let log = alice.gossip().log("blocks").await?;
    /// let mut messages = log.messages();
    /// while let Some(msg) = messages.next().await {
    ///     let msg = msg?;
    ///     println!("{} from {}: {} bytes", msg.topic, msg.from, msg.data.0.len());
    /// }
    /// # Ok(()) }
    /// ```
    fn messages(&self) -> Messages;
}

impl GossipLogExt for GossipLogCall {
    fn messages(&self) -> Messages {
        let call = self.call();
        Messages {
            entries: call.entries(),
            call: format!("{}: gossip log", call.actor_name()).into(),
            skip_probes: false,
        }
    }
}

/// Gossip helpers on an [`Actor`].
pub trait GossipExt {
    /// The peers of a joined topic (`gossip list-peers <topic>`), typed.
    ///
    /// ```no_run
    /// use pyrum::gossip::GossipExt;
    /// # async fn demo(alice: pyrum::Actor) -> pyrum::Result<()> {
    /// let peers = alice.topic_peers("blocks").await?;
    /// println!("{} peers on blocks", peers.len());
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As awaiting a command: dropped early, the call goes on in Rumor and its answer is
    /// dropped.
    fn topic_peers(&self, topic: &str) -> impl Future<Output = Result<Vec<PeerId>>> + Send;

    /// Polls `gossip list-peers <topic>` until the topic has at least `n` peers, then returns
    /// them. [`Error::Timeout`] after `deadline`, naming how many peers there were; Rumor's
    /// error when the topic was not joined.
    ///
    /// A peer shows up once both sides are connected and subscribed: `gossip log` subscribes,
    /// `gossip join` alone does not.
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use pyrum::gossip::GossipExt;
    /// # async fn demo(alice: pyrum::Actor) -> pyrum::Result<()> {
    /// alice.wait_for_topic_peers("blocks", 2, Duration::from_secs(10)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only polls; dropping it stops polling.
    fn wait_for_topic_peers(
        &self,
        topic: &str,
        n: usize,
        deadline: Duration,
    ) -> impl Future<Output = Result<Vec<PeerId>>> + Send;
}

/// Publishes probe messages from `publisher` on `topic` until every logger in `receivers` (open
/// `gossip log <topic>` calls of other actors) logged one; returns how many probes it sent.
/// Each probe is [`PROBE_PREFIX`], the publisher's name and a number; a new one goes out when
/// none arrived within a growing pause (50 ms to 1 s), so a probe published before the mesh
/// formed is followed by one that travels.
///
/// [`Error::Timeout`] after `deadline`, naming the loggers that got nothing; Rumor's error when
/// the publisher has not joined the topic.
///
/// ```no_run
/// use std::time::Duration;
/// use pyrum::gossip::wait_for_delivery;
/// use pyrum::prelude::*;
/// # async fn demo(alice: Actor, bob: Actor, charlie: Actor) -> pyrum::Result<()> {
/// let bob_log = bob.gossip().log("blocks").await?;
/// let charlie_log = charlie.gossip().log("blocks").await?;
/// wait_for_delivery(&alice, "blocks", &[&bob_log, &charlie_log], Duration::from_secs(10)).await?;
/// # Ok(()) }
/// ```
///
/// # Cancel safety
///
/// Cancel safe: dropping it stops publishing; probes already sent may still arrive.
pub async fn wait_for_delivery(
    publisher: &Actor,
    topic: &str,
    receivers: &[&GossipLogCall],
    deadline: Duration,
) -> Result<u32> {
    static ROUND: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let round = ROUND.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tag = PROBE_PREFIX.to_vec();
    tag.extend_from_slice(
        format!("{}:{}:{round}:", publisher.name(), std::process::id()).as_bytes(),
    );
    let mut waiting: Vec<(Messages, bool)> = receivers
        .iter()
        .map(|log| (log.messages(), false))
        .collect();
    let start = Instant::now();
    let mut pause = Duration::from_millis(50);
    let mut sent = 0u32;
    while waiting.iter().any(|(_, got)| !*got) {
        let left = deadline.saturating_sub(start.elapsed());
        if left.is_zero() {
            let missing: Vec<&str> = waiting
                .iter()
                .filter(|(_, got)| !*got)
                .map(|(m, _)| &*m.call)
                .collect();
            return Err(Error::Timeout {
                what: format!(
                    "{}: {sent} probe messages on `{topic}` to reach {}",
                    publisher.name(),
                    missing.join(", ")
                ),
                after: deadline,
            });
        }
        let mut probe = tag.clone();
        probe.extend_from_slice(sent.to_string().as_bytes());
        publisher.gossip().publish(topic, probe).await?;
        sent += 1;
        let round_end = Instant::now() + pause.min(left);
        for (messages, got) in waiting.iter_mut().filter(|(_, got)| !*got) {
            let found = async {
                while let Some(msg) = messages.next().await {
                    if msg.is_ok_and(|m| m.data.0.starts_with(&tag)) {
                        return true;
                    }
                }
                false
            };
            let budget = round_end.saturating_duration_since(Instant::now());
            *got = tokio::time::timeout(budget, found).await.unwrap_or(false);
        }
        pause = (pause * 2).min(Duration::from_secs(1));
    }
    Ok(sent)
}

impl GossipExt for Actor {
    fn topic_peers(&self, topic: &str) -> impl Future<Output = Result<Vec<PeerId>>> + Send {
        // Typed by the spec: a list of peer ids (Rumor logs `null` for none: empty).
        let list = self.gossip().list_peers(topic);
        async move { Ok(list.await?.peers) }
    }

    fn wait_for_topic_peers(
        &self,
        topic: &str,
        n: usize,
        deadline: Duration,
    ) -> impl Future<Output = Result<Vec<PeerId>>> + Send {
        let actor = self.clone();
        let topic = topic.to_string();
        async move {
            let start = Instant::now();
            let mut pause = Duration::from_millis(20);
            loop {
                let peers = actor.topic_peers(&topic).await?;
                if peers.len() >= n {
                    return Ok(peers);
                }
                let left = deadline.saturating_sub(start.elapsed());
                if left.is_zero() {
                    return Err(Error::Timeout {
                        what: format!(
                            "{}: topic `{topic}` reaching {n} peers (it has {}: {})",
                            actor.name(),
                            peers.len(),
                            peers
                                .iter()
                                .map(PeerId::as_str)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        after: deadline,
                    });
                }
                tokio::time::sleep(pause.min(left)).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(line: &str) -> Entry {
        Entry::parse(line).unwrap()
    }

    #[test]
    fn message_entries_become_messages() {
        let e = entry(
            r#"{"level":"info","msg":"new message on blocks","from":"16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P","data":"0102","signature":"","seq_no":"16a0b3c4d5e6f701"}"#,
        );
        let msg = message_from("x", &e).unwrap().unwrap();
        assert_eq!(msg.topic, "blocks");
        assert_eq!(msg.data, HexBytes(vec![1, 2]));
        assert!(msg.signature.0.is_empty());
        assert_eq!(msg.seq_no_u64(), Some(0x16a0_b3c4_d5e6_f701));
        assert!(message_from("x", &entry(r#"{"msg":"Stopped gossip logger"}"#)).is_none());
        let err = message_from(
            "alice: gossip log",
            &entry(r#"{"msg":"Cannot decompress snappy message","error":"snappy: corrupt input","topic":"t_snappy"}"#),
        )
        .unwrap()
        .unwrap_err();
        assert!(err.to_string().contains("snappy: corrupt input"), "{err}");
        let bad = entry(r#"{"msg":"new message on t","from":"x y","data":"zz"}"#);
        assert!(matches!(
            message_from("x", &bad),
            Some(Err(Error::Protocol(_)))
        ));
    }
}
