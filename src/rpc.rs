//! Request/response on top of Rumor's steppable `rpc <method> req raw` and `rpc <method> listen`.
//!
//! At v0.3.6 both commands are long-running and steppable: `req raw` writes the request on its
//! first `next`, then reads one response chunk per `next`; `listen` delivers one incoming request
//! per `next`; both stay open until cancelled. The generated handles expose exactly that
//! (`step(timeout)`, `cancel()`); this module adds the one-call forms:
//!
//! - [`RequestExt::response`] on the six `Rpc*ReqRaw` builders: sends, steps through the written
//!   request and every response chunk, cancels the call, returns the [`Response`] (its chunks,
//!   and whether the stream ended, hit `--max-chunks` or carried an error).
//! - [`RequestCallExt::step_request`] on an open `req raw` call: one step that fails with
//!   Rumor's own message as soon as the request fails (not after the step's timeout).
//! - [`ListenExt::next_request`] on the six `Rpc*ListenCall` handles: steps once and returns the
//!   [`Request`], which answers itself: [`Request::respond_chunk`] (success or any result code),
//!   [`Request::invalid_request`], [`Request::server_error`], [`Request::respond_error`], and
//!   [`Request::close`] to end a multi-chunk response.
//!
//! Payloads are hex on the wire; [`Payload`] types (the SSZ containers of [`crate::ssz`], or
//! [`HexBytes`]) decode them with `data::<T>()`.
//!
//! Multi-chunk responses (blocks by range or root) need the Rumor that `scripts/install-rumor`
//! builds: Rumor v0.3.6 as released reads the next chunk's header while a step still reads the
//! current chunk (`Call.Step` returns before the step has run), so responses of two or more
//! chunks arrive corrupt. On such a binary [`RequestExt::response`] reports what it saw (a chunk
//! shorter than announced, `snappy: corrupt input`, an impossible chunk size) and says so; one
//! chunk at a time (`.max_chunks(1)`) is safe everywhere.
//!
//! ```no_run
//! use pyrum::prelude::*;
//! use pyrum::ssz::Status;
//!
//! # async fn demo(alice: Actor, bob: Actor, alice_id: PeerId) -> pyrum::Result<()> {
//! let listener = alice.rpc().status().listen().raw(true).await?;   // handler online
//! let server = tokio::spawn(async move {
//!     let req = listener.next_request().await?;                    // one `next`
//!     assert_eq!(req.data::<Status>()?.head_slot, 123);
//!     req.respond_chunk(&Status { head_slot: 42, ..Default::default() }).done(true).await?;
//!     listener.cancel().await                                       // or drop it
//! });
//! let resp = bob.rpc().status().req()
//!     .raw(alice_id, &Status { head_slot: 123, ..Default::default() })
//!     .raw(true)
//!     .response()                                                   // steps to the end, frees
//!     .await?;
//! assert_eq!(resp.chunk()?.result_code, 0);
//! assert_eq!(resp.chunk()?.data::<Status>()?.head_slot, 42);
//! server.await.unwrap()?;
//! # Ok(()) }
//! ```

use std::future::{Future, IntoFuture};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::time::Duration;

use pyrum_commands::Commands;
use pyrum_core::typed::{CommandSpec, FromOutput, Steppable, TypedCall};
use pyrum_core::types::{decode_hex, HexBytes, PeerId};
use pyrum_core::{Actor, Call, Command, Entries, Entry, Error, Output, Result};
use serde_json::Value;

/// How long a step that Rumor already handed to `next` may take to log its chunk once the
/// request goroutine has reported "Completed request". An unpatched Rumor v0.3.6 logs that
/// line as soon as the last step is taken, which can be before the step's own entry.
const LAST_STEP_GRACE: Duration = Duration::from_secs(2);

/// What a corrupted multi-chunk read means, and what to do about it.
pub const MULTI_CHUNK_HINT: &str = "this is how Rumor v0.3.6 as released corrupts responses of \
    more than one chunk (unless the peer itself sent a malformed response): its `Call.Step` \
    returns before the step has run, so Rumor reads the next chunk's header while a step still \
    reads this chunk. Use the patched Rumor that `scripts/install-rumor` builds (RUMOR_BIN or \
    pyrum's cache), or request one chunk per call with `.max_chunks(1)`";

/// A request or response payload: bytes that Rumor takes and logs as plain hex.
///
/// Implemented by the SSZ containers of [`crate::ssz`] and by [`HexBytes`] (any bytes, e.g.
/// blocks).
///
/// ```
/// use pyrum::rpc::Payload;
/// use pyrum::types::HexBytes;
/// let bytes = HexBytes::from_bytes(&[1, 2])?;
/// assert_eq!(bytes.to_bytes(), [1, 2]);
/// # Ok::<(), pyrum::Error>(())
/// ```
pub trait Payload: Sized {
    /// The encoding (SSZ for the eth2 containers).
    fn to_bytes(&self) -> Vec<u8>;
    /// Decodes the encoding; a wrong length or content is [`Error::Protocol`].
    fn from_bytes(bytes: &[u8]) -> Result<Self>;
}

impl Payload for HexBytes {
    fn to_bytes(&self) -> Vec<u8> {
        self.0.clone()
    }
    fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Ok(HexBytes(bytes.to_vec()))
    }
}

/// Decodes a logged `data` value: plain hex (what `--raw=true` logs).
fn decode_data<T: Payload>(what: &str, value: Option<&Value>) -> Result<T> {
    match value {
        Some(Value::String(s)) => {
            let bytes = decode_hex(s)
                .ok_or_else(|| Error::Protocol(format!("{what}: `data` is not hex: {s:?}")))?;
            T::from_bytes(&bytes)
        }
        Some(other) => Err(Error::Protocol(format!(
            "{what}: `data` is Rumor's decoded object, not hex (send the command with \
             `.raw(true)` to get the bytes): {other}"
        ))),
        None => Err(Error::Protocol(format!("{what}: no `data` was logged"))),
    }
}

/// One response chunk, as `rpc <method> req raw` logged it ("Received chunk").
///
/// ```no_run
/// # async fn demo(resp: pyrum::rpc::Response) -> pyrum::Result<()> {
/// let chunk = resp.chunk()?;
/// println!("chunk {} ({} bytes), code {}: {:?}", chunk.chunk_index, chunk.chunk_size,
///          chunk.result_code, chunk.hex());
/// let status: pyrum::ssz::Status = chunk.data()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Chunk {
    /// Index of the chunk in the response, from 0.
    pub chunk_index: u64,
    /// Uncompressed size of the chunk content in bytes, as announced by the peer.
    pub chunk_size: u64,
    /// 0 success, 1 invalid request, 2 server error, other = undefined.
    pub result_code: u8,
    /// Protocol id, e.g. `/eth2/beacon_chain/req/status/1/ssz_snappy`.
    pub protocol: String,
    /// The peer that answered.
    pub from: PeerId,
    /// The `data` field as Rumor logged it: plain hex with `--raw=true`; without it Rumor's
    /// decoded object (success) or hex (undefined codes); absent for error chunks without raw.
    pub raw: Option<Value>,
    /// The error message of a result-1/2 chunk (only without `--raw`).
    pub msg: Option<String>,
}

impl Chunk {
    /// The chunk content decoded as `T` (needs `--raw=true`, so that Rumor logs hex).
    ///
    /// ```no_run
    /// # fn demo(chunk: &pyrum::rpc::Chunk) -> pyrum::Result<()> {
    /// let status = chunk.data::<pyrum::ssz::Status>()?;
    /// # Ok(()) }
    /// ```
    pub fn data<T: Payload>(&self) -> Result<T> {
        decode_data(
            &format!("chunk {} from {}", self.chunk_index, self.from),
            self.raw.as_ref(),
        )
    }

    /// The content's bytes (needs `--raw=true`).
    ///
    /// ```no_run
    /// # fn demo(chunk: &pyrum::rpc::Chunk) -> pyrum::Result<()> {
    /// assert_eq!(chunk.bytes()?.len() as u64, chunk.chunk_size);
    /// # Ok(()) }
    /// ```
    pub fn bytes(&self) -> Result<Vec<u8>> {
        self.data::<HexBytes>().map(|b| b.0)
    }

    /// The content as the hex text Rumor logged (with `--raw=true`), if it did.
    ///
    /// ```no_run
    /// # fn demo(chunk: &pyrum::rpc::Chunk) {
    /// assert!(chunk.hex().unwrap().ends_with("2a00000000000000"));
    /// # }
    /// ```
    pub fn hex(&self) -> Option<&str> {
        self.raw.as_ref().and_then(Value::as_str)
    }

    /// True for result code 0.
    ///
    /// ```no_run
    /// # fn demo(chunk: &pyrum::rpc::Chunk) {
    /// assert!(chunk.is_success());
    /// # }
    /// ```
    pub fn is_success(&self) -> bool {
        self.result_code == 0
    }

    /// The error text of a chunk with a non-zero result code: `msg` without `--raw`, the
    /// content read as UTF-8 with it. `None` for success chunks.
    ///
    /// ```no_run
    /// # fn demo(resp: &pyrum::rpc::Response) {
    /// if let Some(chunk) = resp.error_chunk() {
    ///     println!("code {}: {}", chunk.result_code, chunk.error_message().unwrap());
    /// }
    /// # }
    /// ```
    pub fn error_message(&self) -> Option<String> {
        if self.result_code == 0 {
            return None;
        }
        if let Some(msg) = &self.msg {
            return Some(msg.clone());
        }
        let bytes = self.hex().and_then(decode_hex).unwrap_or_default();
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Why reading a response stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseEnd {
    /// The responder ended the stream: Rumor read every chunk it sent ("Completed request"
    /// before `--max-chunks` chunks).
    Closed,
    /// `--max-chunks` chunks were read; Rumor reads no further, so the responder may have had
    /// more.
    MaxChunks,
    /// The last chunk has a non-zero result code (an error chunk); reading stopped there.
    ErrorChunk,
}

/// What a request got back: its chunks, in order, and why reading stopped.
///
/// ```no_run
/// use pyrum::rpc::ResponseEnd;
/// # async fn demo(resp: pyrum::rpc::Response) -> pyrum::Result<()> {
/// for chunk in &resp.chunks {
///     println!("{}: {:?}", chunk.chunk_index, chunk.hex());
/// }
/// match resp.end {
///     ResponseEnd::Closed => println!("the peer sent {} chunks", resp.chunks.len()),
///     ResponseEnd::MaxChunks => println!("--max-chunks reached; ask for the rest"),
///     ResponseEnd::ErrorChunk => println!("error: {:?}", resp.error_chunk().unwrap().error_message()),
///     _ => {}
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// Every chunk read. Reading stops after `--max-chunks` chunks, at the end of the
    /// response, or after the first chunk with a non-zero result code (included here).
    pub chunks: Vec<Chunk>,
    /// Why reading stopped.
    pub end: ResponseEnd,
}

impl Response {
    /// The first chunk; [`Error::Protocol`] if the peer sent none.
    ///
    /// ```no_run
    /// # fn demo(resp: &pyrum::rpc::Response) -> pyrum::Result<()> {
    /// assert_eq!(resp.chunk()?.result_code, 0);
    /// # Ok(()) }
    /// ```
    pub fn chunk(&self) -> Result<&Chunk> {
        self.chunks
            .first()
            .ok_or_else(|| Error::Protocol("the response has no chunk".into()))
    }

    /// The error chunk that ended the response, if one did.
    ///
    /// ```no_run
    /// # fn demo(resp: &pyrum::rpc::Response) {
    /// assert!(resp.error_chunk().is_none());
    /// # }
    /// ```
    pub fn error_chunk(&self) -> Option<&Chunk> {
        self.chunks.last().filter(|c| !c.is_success())
    }

    /// Every success chunk decoded as `T` (needs `--raw=true`), in order. An error chunk is not
    /// included (see [`Response::error_chunk`]).
    ///
    /// ```no_run
    /// # fn demo(resp: &pyrum::rpc::Response) -> pyrum::Result<()> {
    /// let blocks: Vec<pyrum::types::HexBytes> = resp.data()?;
    /// # Ok(()) }
    /// ```
    pub fn data<T: Payload>(&self) -> Result<Vec<T>> {
        self.chunks
            .iter()
            .filter(|c| c.is_success())
            .map(Chunk::data)
            .collect()
    }
}

/// `.response()` on the six `Rpc*ReqRaw` builders (`rpc <method> req raw`).
///
/// ```no_run
/// use pyrum::prelude::*;
/// # async fn demo(bob: Actor, alice_id: PeerId) -> pyrum::Result<()> {
/// let resp = bob.rpc().ping().req()
///     .raw(alice_id, &pyrum::ssz::Ping { seq_number: 1 })
///     .raw(true)
///     .response()
///     .await?;
/// let pong: pyrum::ssz::Ping = resp.chunk()?.data()?;
/// # Ok(()) }
/// ```
pub trait RequestExt {
    /// Sends the request and steps through it: the first `next` writes the request, then one
    /// `next` per response chunk, until `--max-chunks` chunks were read (the method's default
    /// when not set), the responder ended the stream, or a chunk has a non-zero result code.
    /// Then cancels the call and waits until Rumor freed it. [`Response::end`] says which.
    ///
    /// A request that fails is [`Error::Command`] with Rumor's own words as soon as Rumor logs
    /// them ("failed to make request" and its error: `dial backoff`, `protocol not supported`,
    /// `snappy: corrupt input`, ...); so is a step that fails while reading a chunk. A chunk
    /// whose content is shorter than announced is [`Error::Protocol`]. When `--max-chunks` is
    /// above 1 and the failure looks like Rumor v0.3.6's multi-chunk race, the message ends with
    /// [`MULTI_CHUNK_HINT`].
    ///
    /// ```no_run
    /// use pyrum::prelude::*;
    /// # async fn demo(bob: Actor, alice_id: PeerId) -> pyrum::Result<()> {
    /// let status = pyrum::ssz::Status { head_slot: 123, ..Default::default() };
    /// let resp = bob.rpc().status().req().raw(alice_id, &status).raw(true).response().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropping the future stops stepping; the open call goes with it and is cancelled inside
    /// Rumor (the generated handle cancels a long-running call when its last handle drops).
    fn response(self) -> impl Future<Output = Result<Response>> + Send;
}

/// `.step_request(timeout)` on an open `rpc <method> req raw` call (what `.send()` or awaiting
/// the builder returns).
///
/// ```no_run
/// use pyrum::prelude::*;
/// use pyrum::rpc::RequestCallExt;
/// # async fn demo(bob: Actor, alice_id: PeerId) -> pyrum::Result<()> {
/// let call = bob.rpc().status().req()
///     .raw(alice_id, &pyrum::ssz::Status::default())
///     .raw(true)
///     .await?;
/// call.step_request(None).await?;                      // the request is written
/// let chunk = call.step_request(None).await?;          // chunk 0, typed
/// println!("{:?} {:?}", chunk.chunk_index, chunk.data);
/// call.cancel().await?;
/// # Ok(()) }
/// ```
pub trait RequestCallExt {
    /// What one step logged, typed (the generated `Rpc*ReqRawStep`).
    type Step;

    /// Takes one step, like the handle's `step(timeout)`, but ends as soon as Rumor logs that
    /// the request failed ("failed to make request", e.g. `dial backoff` or
    /// `snappy: corrupt input`): [`Error::Command`] with Rumor's error, instead of waiting for
    /// the step's timeout. A request that failed before the call is stepped fails the step at
    /// once.
    ///
    /// # Cancel safety
    ///
    /// As the handle's `step`: a step dropped after its `next` was sent has its result thrown
    /// away. When the request fails, the `next` still waiting inside Rumor ends when the call is
    /// cancelled (or at its timeout): cancel the call.
    fn step_request(
        &self,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<Self::Step>> + Send;
}

/// `.next_request()` on the six `Rpc*ListenCall` handles (`rpc <method> listen`).
///
/// ```no_run
/// use pyrum::prelude::*;
/// # async fn demo(alice: Actor) -> pyrum::Result<()> {
/// let listener = alice.rpc().status().listen().raw(true).await?;
/// loop {
///     let req = listener.next_request().await?;
///     req.respond_chunk(&pyrum::ssz::Status::default()).done(true).await?;
/// }
/// # }
/// ```
pub trait ListenExt {
    /// Waits for the listener's setup, then takes one step (`next`): waits for the next
    /// incoming request and returns it. Fails once the listener was cancelled.
    ///
    /// `rpc goodbye listen` drops requests by default (`--drop=true`, no steps): call
    /// `.drop(false)` on it to receive them here.
    ///
    /// ```no_run
    /// use pyrum::prelude::*;
    /// # async fn demo(listener: pyrum::commands::rpc::status::RpcStatusListenCall) -> pyrum::Result<()> {
    /// let req = listener.next_request().await?;
    /// println!("request {} from {}: {:?}", req.req_id, req.from, req.hex());
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As the handle's `step`: dropped after its `next` was sent, a request Rumor delivers for
    /// it is still queued under its `req_id` (visible in the call's entries) but not returned.
    fn next_request(&self) -> impl Future<Output = Result<Request>> + Send;
}

/// An incoming request, as the `next` of `rpc <method> listen` logged it ("Received request,
/// queued it to respond to!"). Answer it with [`Request::respond_chunk`] (one call per chunk),
/// an error ([`Request::invalid_request`], [`Request::server_error`],
/// [`Request::respond_error`]), and end a response of several chunks with [`Request::close`]
/// (or `.done(true)` on its last chunk).
///
/// ```no_run
/// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
/// let theirs: pyrum::ssz::Status = req.data()?;
/// req.respond_chunk(&pyrum::ssz::Status { head_slot: theirs.head_slot, ..Default::default() })
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The key Rumor queued the request under (per actor and method, from 0).
    pub req_id: u64,
    /// The requesting peer.
    pub from: PeerId,
    /// Protocol id the request came in on.
    pub protocol: String,
    /// The `data` field as Rumor logged it: plain hex with `--raw=true`, else Rumor's decoded
    /// object; absent when the request could not be read (see `input_err`).
    pub raw: Option<Value>,
    /// Why the request could not be read, if it could not.
    pub input_err: Option<String>,
    actor: Actor,
    method: Method,
}

impl Request {
    /// The request content decoded as `T` (needs `--raw=true` on the listener).
    ///
    /// ```no_run
    /// # fn demo(req: &pyrum::rpc::Request) -> pyrum::Result<()> {
    /// assert_eq!(req.data::<pyrum::ssz::Status>()?.head_slot, 123);
    /// # Ok(()) }
    /// ```
    pub fn data<T: Payload>(&self) -> Result<T> {
        if let Some(err) = &self.input_err {
            return Err(Error::Protocol(format!(
                "request {} from {} could not be read: {err}",
                self.req_id, self.from
            )));
        }
        decode_data(
            &format!("request {} from {}", self.req_id, self.from),
            self.raw.as_ref(),
        )
    }

    /// The content as the hex text Rumor logged (with `--raw=true`), if it did.
    ///
    /// ```no_run
    /// # fn demo(req: &pyrum::rpc::Request) {
    /// assert!(req.hex().unwrap().ends_with("7b00000000000000"));
    /// # }
    /// ```
    pub fn hex(&self) -> Option<&str> {
        self.raw.as_ref().and_then(Value::as_str)
    }

    /// The method word, e.g. `status`.
    ///
    /// ```no_run
    /// # fn demo(req: &pyrum::rpc::Request) {
    /// assert_eq!(req.method(), "status");
    /// # }
    /// ```
    pub fn method(&self) -> &'static str {
        self.method.word()
    }

    /// The actor whose listener received the request.
    ///
    /// ```no_run
    /// # fn demo(req: &pyrum::rpc::Request) {
    /// println!("{} got a request", req.actor().name());
    /// # }
    /// ```
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Answers with one chunk (`rpc <method> resp chunk raw <req_id> <data>`); await it.
    /// `--done` defaults to true for methods with at most one chunk (status, ping, metadata,
    /// goodbye) and to false for blocks by range and by root: send more chunks, then
    /// `.done(true)` on the last one or [`Request::close`].
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.respond_chunk(&pyrum::ssz::Status { head_slot: 42, ..Default::default() })
    ///     .done(true)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn respond_chunk(&self, data: impl Into<HexBytes>) -> RespondChunk {
        RespondChunk {
            actor: self.actor.clone(),
            method: self.method,
            req_id: self.req_id,
            data: data.into(),
            done: None,
            result_code: None,
        }
    }

    /// Answers with an error chunk: result `code` and the text `message` (Rumor cuts messages
    /// longer than 256 bytes to 253 bytes and `...`). Code 1 is sent as `rpc <method> resp
    /// invalid-request`, any other as `rpc <method> resp server-error --result-code=<code>`.
    /// The response ends after it unless `.done(false)`.
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.respond_error(3, "resource unavailable").await?;
    /// # Ok(()) }
    /// ```
    pub fn respond_error(&self, code: u8, message: impl Into<String>) -> RespondError {
        RespondError {
            actor: self.actor.clone(),
            method: self.method,
            req_id: self.req_id,
            code,
            message: message.into(),
            done: None,
        }
    }

    /// Answers with an "invalid request" error chunk (result code 1); see
    /// [`Request::respond_error`].
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.invalid_request("count must be at most 1024").await?;
    /// # Ok(()) }
    /// ```
    pub fn invalid_request(&self, message: impl Into<String>) -> RespondError {
        self.respond_error(1, message)
    }

    /// Answers with a "server error" chunk (result code 2); see [`Request::respond_error`].
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.server_error("database unavailable").await?;
    /// # Ok(()) }
    /// ```
    pub fn server_error(&self, message: impl Into<String>) -> RespondError {
        self.respond_error(2, message)
    }

    /// Ends the response (`rpc <method> close <req_id>`): Rumor closes the stream, and the
    /// requester reads the end of the response after the chunks sent so far. Fails (Rumor's
    /// "Could not find request corresponding to key") when the response was already ended,
    /// e.g. by a chunk sent with `.done(true)`.
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// for block in [vec![1u8], vec![2u8]] {
    ///     req.respond_chunk(block).await?;          // blocks by range: --done=false by default
    /// }
    /// req.close().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// Dropped before the line was queued, nothing is sent; later, the close goes through.
    pub async fn close(&self) -> Result<()> {
        self.method.close(&self.actor, self.req_id).await
    }
}

/// One response chunk on its way (from [`Request::respond_chunk`]); await it.
///
/// ```no_run
/// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
/// req.respond_chunk(pyrum::types::HexBytes(vec![0; 8])).done(false).result_code(0).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a response does nothing until it is awaited"]
pub struct RespondChunk {
    actor: Actor,
    method: Method,
    req_id: u64,
    data: HexBytes,
    done: Option<bool>,
    result_code: Option<u8>,
}

impl RespondChunk {
    /// `--done`: close the response after this chunk.
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.respond_chunk(pyrum::types::HexBytes(vec![])).done(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn done(mut self, done: bool) -> Self {
        self.done = Some(done);
        self
    }

    /// `--result-code`: 0 success (the default), 1 invalid request, 2 server error. The
    /// content is sent as given (for an error text, see [`Request::respond_error`]).
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.respond_chunk(pyrum::types::HexBytes(vec![])).result_code(2).await?;
    /// # Ok(()) }
    /// ```
    pub fn result_code(mut self, code: u8) -> Self {
        self.result_code = Some(code);
        self
    }
}

impl IntoFuture for RespondChunk {
    type Output = Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.method.respond_chunk(self).await })
    }
}

/// An error chunk on its way (from [`Request::respond_error`], [`Request::invalid_request`] or
/// [`Request::server_error`]); await it.
///
/// ```no_run
/// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
/// req.server_error("try later").done(true).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a response does nothing until it is awaited"]
pub struct RespondError {
    actor: Actor,
    method: Method,
    req_id: u64,
    code: u8,
    message: String,
    done: Option<bool>,
}

impl RespondError {
    /// `--done`: close the response after this chunk (Rumor's default: true).
    ///
    /// ```no_run
    /// # async fn demo(req: pyrum::rpc::Request) -> pyrum::Result<()> {
    /// req.invalid_request("bad step").done(false).await?;
    /// req.close().await?;
    /// # Ok(()) }
    /// ```
    pub fn done(mut self, done: bool) -> Self {
        self.done = Some(done);
        self
    }
}

impl IntoFuture for RespondError {
    type Output = Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.method.respond_error(self).await })
    }
}

/// True when a failure text looks like a read that lost its place in the stream (the
/// unpatched Rumor's multi-chunk race) rather than a dial or protocol failure.
fn looks_like_read_race(message: &str) -> bool {
    [
        "snappy",
        "corrupt",
        "chunk size",
        "result byte",
        "varint",
        "unexpected EOF",
        "exceeds",
    ]
    .iter()
    .any(|p| message.contains(p))
}

/// Rumor's message, with [`MULTI_CHUNK_HINT`] where it applies.
fn with_hint(message: String, max_chunks: u64) -> String {
    if max_chunks > 1 && looks_like_read_race(&message) {
        format!("{message} ({MULTI_CHUNK_HINT})")
    } else {
        message
    }
}

/// What the entries of a `req raw` call told so far.
#[derive(Debug, Default)]
struct Seen {
    /// "Received chunk" entries.
    chunks: usize,
    /// "Completed request": the request goroutine ended without error.
    completed: bool,
    /// "failed to make request": its `error`.
    failed: Option<String>,
    /// The entries ended (call freed or connection gone).
    gone: bool,
}

impl Seen {
    fn note(&mut self, entry: Option<Result<Arc<Entry>>>) {
        match entry {
            None => self.gone = true,
            Some(Err(Error::Lagged { .. })) => {}
            Some(Err(_)) => self.gone = true,
            Some(Ok(entry)) => match entry.msg.as_str() {
                "Received chunk" => self.chunks += 1,
                "Completed request" => self.completed = true,
                "failed to make request" => {
                    self.failed = Some(
                        entry
                            .str_field("error")
                            .unwrap_or("no error given")
                            .to_string(),
                    )
                }
                _ => {}
            },
        }
    }
}

/// `--max-chunks` from the command line, else the method's default.
fn max_chunks(command: &Command, default: u64) -> u64 {
    command
        .words()
        .iter()
        .find_map(|w| w.strip_prefix("--max-chunks="))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Steps a sent `req raw` call to its end, then cancels it.
async fn run_request(
    call: Call,
    display: String,
    max_chunks: u64,
    parse: impl Fn(&Output) -> Result<Option<Chunk>> + Send,
) -> Result<Response> {
    let result = step_through(&call, &display, max_chunks, parse).await;
    let cancelled = call.cancel().await;
    let response = result?;
    cancelled?;
    Ok(response)
}

/// What became of one step of [`step_through`].
enum Stepped {
    Ran(Output),
    /// The request ended and the pending step can hold nothing more.
    Over,
}

async fn step_through(
    call: &Call,
    display: &str,
    max_chunks: u64,
    parse: impl Fn(&Output) -> Result<Option<Chunk>>,
) -> Result<Response> {
    let failed = |message: &str, chunks: usize| Error::Command {
        call: display.to_string(),
        message: with_hint(
            match chunks {
                0 => format!("failed to make request: {message}"),
                n => format!("failed to make request: {message} (after {n} chunks were read)"),
            },
            max_chunks,
        ),
    };
    let mut entries = call.entries();
    let mut seen = Seen::default();
    let mut written = false;
    let mut chunks: Vec<Chunk> = Vec::new();
    loop {
        if written && chunks.len() as u64 >= max_chunks {
            return Ok(Response {
                chunks,
                end: ResponseEnd::MaxChunks,
            });
        }
        let stepped = {
            let mut step = pin!(call.step(None));
            let mut grace: Option<Pin<Box<tokio::time::Sleep>>> = None;
            loop {
                if let Some(message) = &seen.failed {
                    return Err(failed(message, chunks.len()));
                }
                if seen.completed && written && grace.is_none() && seen.chunks <= chunks.len() {
                    // Every chunk Rumor logged was read. The pending step holds nothing, unless
                    // an unpatched Rumor handed it the last allowed chunk and said "Completed"
                    // before running it.
                    if chunks.len() as u64 + 1 == max_chunks {
                        grace = Some(Box::pin(tokio::time::sleep(LAST_STEP_GRACE)));
                    } else {
                        break Stepped::Over;
                    }
                }
                tokio::select! {
                    biased;
                    out = &mut step => break Stepped::Ran(out?),
                    entry = entries.next(), if !seen.gone => seen.note(entry),
                    () = async { grace.as_mut().expect("armed").await }, if grace.is_some() => {
                        break Stepped::Over;
                    }
                }
            }
        };
        let out = match stepped {
            Stepped::Ran(out) => out,
            Stepped::Over => {
                return Ok(Response {
                    chunks,
                    end: ResponseEnd::Closed,
                })
            }
        };
        if !written {
            written = true; // step 1: "made request"
            continue;
        }
        match parse(&out)? {
            Some(chunk) => {
                let error = !chunk.is_success();
                chunks.push(chunk);
                if error {
                    return Ok(Response {
                        chunks,
                        end: ResponseEnd::ErrorChunk,
                    });
                }
            }
            None => {
                // A step that ran but read no chunk: Rumor's message says why.
                let message = match &out.error {
                    Some(error) => error.clone(),
                    None => format!("the step logged no chunk: {:?}", out.fields),
                };
                return Err(Error::Command {
                    call: display.to_string(),
                    message: with_hint(
                        format!("reading chunk {}: {message}", chunks.len()),
                        max_chunks,
                    ),
                });
            }
        }
    }
}

/// The chunk a `req raw` step logged ("Received chunk"), if it logged one. Raw content shorter
/// than the announced size is an error: the stream lost its place.
fn chunk_from(display: &str, out: &Output, max_chunks: u64) -> Result<Option<Chunk>> {
    let Some(chunk_index) = out.optional::<u64>(display, "chunk_index")? else {
        return Ok(None);
    };
    let chunk = Chunk {
        chunk_index,
        chunk_size: out.required(display, "chunk_size")?,
        result_code: out.required(display, "result_code")?,
        protocol: out.optional(display, "protocol")?.unwrap_or_default(),
        from: out.required(display, "from")?,
        raw: out.optional(display, "data")?,
        msg: out.optional(display, "msg")?,
    };
    if let Some(hex) = chunk.hex() {
        let read = hex.len() as u64 / 2;
        if read != chunk.chunk_size {
            let message = format!(
                "`{display}`: chunk {} announced {} bytes but Rumor read {read}",
                chunk.chunk_index, chunk.chunk_size
            );
            return Err(Error::Protocol(if max_chunks > 1 {
                format!("{message} ({MULTI_CHUNK_HINT})")
            } else {
                message
            }));
        }
    }
    Ok(Some(chunk))
}

/// The request a `listen` step logged ("Received request, queued it to respond to!"): the
/// entry with a `req_id` (the step also holds the background "Received a request" entry).
fn request_from(display: &str, out: &Output, actor: Actor, method: Method) -> Result<Request> {
    let entry = out
        .entries
        .iter()
        .rev()
        .find(|e| e.fields.contains_key("req_id"))
        .ok_or_else(|| {
            Error::Protocol(format!(
                "`{display}`: the step logged no request (`req_id`): {:?}",
                out.fields
            ))
        })?;
    let one = Output {
        fields: entry.fields.clone(),
        entries: vec![entry.clone()],
        error: out.error.clone(),
    };
    Ok(Request {
        req_id: one.required(display, "req_id")?,
        from: one.required(display, "from")?,
        protocol: one.optional(display, "protocol")?.unwrap_or_default(),
        raw: one.optional(display, "data")?,
        input_err: one.optional(display, "input_err")?,
        actor,
        method,
    })
}

/// The first "failed to make request" of a call; pending forever if there is none.
async fn request_failure(mut entries: Entries) -> String {
    let mut seen = Seen::default();
    while !seen.gone {
        seen.note(entries.next().await);
        if let Some(message) = seen.failed.take() {
            return message;
        }
    }
    std::future::pending().await
}

/// One step of a `req raw` call that ends early when the request fails.
async fn step_failing_fast<C>(call: &TypedCall<C>, timeout: Option<Duration>) -> Result<C::Step>
where
    C: Steppable,
{
    let raw = call.call();
    let failure = request_failure(raw.entries());
    tokio::select! {
        biased;
        out = raw.step(timeout) => C::Step::from_output(&out?),
        message = failure => Err(Error::Command {
            call: format!("{}: {}", raw.actor_name(), C::PATH),
            message: format!("failed to make request: {message}"),
        }),
    }
}

macro_rules! methods {
    ($(
        $variant:ident: $route:ident, $word:literal, $req:ty, $listen:ty;
    )*) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Method {
            $($variant,)*
        }

        impl Method {
            fn word(self) -> &'static str {
                match self {
                    $(Method::$variant => $word,)*
                }
            }

            async fn respond_chunk(self, r: RespondChunk) -> Result<()> {
                match self {
                    $(Method::$variant => {
                        let mut b = r.actor.rpc().$route().resp().chunk()
                            .raw(r.req_id, r.data);
                        if let Some(done) = r.done {
                            b = b.done(done);
                        }
                        if let Some(code) = r.result_code {
                            b = b.result_code(code);
                        }
                        b.await?;
                    })*
                }
                Ok(())
            }

            async fn respond_error(self, r: RespondError) -> Result<()> {
                match self {
                    $(Method::$variant => {
                        let resp = r.actor.rpc().$route().resp();
                        let id = r.req_id;
                        if r.code == 1 {
                            let mut b = resp.invalid_request(id, r.message);
                            if let Some(done) = r.done {
                                b = b.done(done);
                            }
                            b.await?;
                        } else {
                            let mut b = resp.server_error(id, r.message);
                            if r.code != 2 {
                                b = b.result_code(r.code);
                            }
                            if let Some(done) = r.done {
                                b = b.done(done);
                            }
                            b.await?;
                        }
                    })*
                }
                Ok(())
            }

            async fn close(self, actor: &Actor, req_id: u64) -> Result<()> {
                match self {
                    $(Method::$variant => {
                        actor.rpc().$route().close(req_id).await?;
                    })*
                }
                Ok(())
            }
        }

        $(
            impl RequestExt for $req {
                fn response(self) -> impl Future<Output = Result<Response>> + Send {
                    // The spec's default of `--max-chunks` for this method, generated.
                    let max = max_chunks(self.command(), <$req>::DEFAULT_MAX_CHUNKS);
                    let words = self.command().words().join(" ");
                    async move {
                        let handle = self.await?;
                        let call = handle.call().clone();
                        let display = format!("{}: {words}", call.actor_name());
                        let parse = |out: &Output| chunk_from(&display, out, max);
                        run_request(call.clone(), display.clone(), max, parse).await
                    }
                }
            }

            impl RequestCallExt for TypedCall<$req> {
                type Step = <$req as Steppable>::Step;

                fn step_request(
                    &self,
                    timeout: Option<Duration>,
                ) -> impl Future<Output = Result<Self::Step>> + Send {
                    step_failing_fast(self, timeout)
                }
            }

            impl ListenExt for $listen {
                fn next_request(&self) -> impl Future<Output = Result<Request>> + Send {
                    let call = self.call().clone();
                    async move {
                        call.setup().await?;
                        let out = call.step(None).await?;
                        let actor = call.actor();
                        let display = format!("{}: rpc {} listen", actor.name(), $word);
                        request_from(&display, &out, actor, Method::$variant)
                    }
                }
            }
        )*
    };
}

use pyrum_commands::rpc::{blocks_by_range, blocks_by_root, goodbye, metadata, ping, status};

methods! {
    Status: status, "status",
        status::req::RpcStatusReqRaw, status::RpcStatusListenCall;
    Goodbye: goodbye, "goodbye",
        goodbye::req::RpcGoodbyeReqRaw, goodbye::RpcGoodbyeListenCall;
    Ping: ping, "ping",
        ping::req::RpcPingReqRaw, ping::RpcPingListenCall;
    Metadata: metadata, "metadata",
        metadata::req::RpcMetadataReqRaw, metadata::RpcMetadataListenCall;
    BlocksByRange: blocks_by_range, "blocks-by-range",
        blocks_by_range::req::RpcBlocksByRangeReqRaw, blocks_by_range::RpcBlocksByRangeListenCall;
    BlocksByRoot: blocks_by_root, "blocks-by-root",
        blocks_by_root::req::RpcBlocksByRootReqRaw, blocks_by_root::RpcBlocksByRootListenCall;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn max_chunks_reads_the_flag() {
        let cmd = Command::new(["rpc", "status", "req", "raw"]).flag("max-chunks", 3u64);
        assert_eq!(max_chunks(&cmd, 1), 3);
        assert_eq!(max_chunks(&Command::new(["rpc"]), 20), 20);
    }

    #[test]
    fn data_needs_hex() {
        let v = Value::String("0102".into());
        assert_eq!(
            decode_data::<HexBytes>("x", Some(&v)).unwrap(),
            HexBytes(vec![1, 2])
        );
        let obj = serde_json::json!({"head_slot": 1});
        assert!(matches!(
            decode_data::<HexBytes>("x", Some(&obj)),
            Err(Error::Protocol(m)) if m.contains("raw(true)")
        ));
        assert!(decode_data::<HexBytes>("x", None).is_err());
        assert!(decode_data::<HexBytes>("x", Some(&Value::String("zz".into()))).is_err());
    }

    fn step_output(fields: Value) -> Output {
        Output {
            fields: fields.as_object().cloned().unwrap_or_default(),
            entries: Vec::new(),
            error: None,
        }
    }

    const PEER: &str = "16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P";

    #[test]
    fn a_truncated_chunk_says_what_happened_and_what_to_do() {
        // What unpatched Rumor v0.3.6 logged for a 1024-byte chunk of a 3-chunk response.
        let out = step_output(json!({
            "chunk_index": 0, "chunk_size": 1024, "result_code": 0, "data": "6d",
            "from": PEER, "protocol": "/eth2/beacon_chain/req/beacon_blocks_by_range/1/ssz",
        }));
        let err = chunk_from("bob: rpc blocks-by-range req raw", &out, 20).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("announced 1024 bytes but Rumor read 1"),
            "{text}"
        );
        assert!(text.contains("scripts/install-rumor"), "{text}");
        assert!(text.contains("max_chunks(1)"), "{text}");
        // One chunk at a time cannot race: no hint there.
        let text = chunk_from("x", &out, 1).unwrap_err().to_string();
        assert!(!text.contains("install-rumor"), "{text}");

        let ok = step_output(json!({
            "chunk_index": 1, "chunk_size": 2, "result_code": 0, "data": "0102", "from": PEER,
        }));
        let chunk = chunk_from("x", &ok, 20).unwrap().unwrap();
        assert_eq!(chunk.bytes().unwrap(), [1, 2]);
        assert!(chunk_from("x", &step_output(json!({})), 20)
            .unwrap()
            .is_none());
    }

    #[test]
    fn read_failures_get_the_hint_dial_failures_do_not() {
        for rumor_said in [
            "snappy: corrupt input",
            "chunk size 952602 of chunk 1 exceeds chunk limit 157756",
            "failed to read chunk 2 result byte: stream reset",
        ] {
            let m = with_hint(rumor_said.to_string(), 64);
            assert!(
                m.starts_with(rumor_said) && m.contains("install-rumor"),
                "{m}"
            );
            assert_eq!(with_hint(rumor_said.to_string(), 1), rumor_said);
        }
        for rumor_said in ["dial backoff", "protocol not supported"] {
            assert_eq!(with_hint(rumor_said.to_string(), 64), rumor_said);
        }
    }

    #[test]
    fn error_chunks_read_their_message() {
        let chunk = Chunk {
            chunk_index: 2,
            chunk_size: 4,
            result_code: 2,
            protocol: String::new(),
            from: PeerId::new(PEER).unwrap(),
            raw: Some(Value::String("6f6f7073".into())),
            msg: None,
        };
        assert_eq!(chunk.error_message().as_deref(), Some("oops"));
        let resp = Response {
            chunks: vec![chunk.clone()],
            end: ResponseEnd::ErrorChunk,
        };
        assert_eq!(resp.error_chunk(), Some(&chunk));
        assert!(resp.data::<HexBytes>().unwrap().is_empty());
        let with_msg = Chunk {
            msg: Some("bad".into()),
            raw: None,
            ..chunk
        };
        assert_eq!(with_msg.error_message().as_deref(), Some("bad"));
    }
}
