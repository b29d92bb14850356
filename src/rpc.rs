//! Request/response on top of Rumor's steppable `rpc <method> req raw` and `rpc <method> listen`.
//!
//! At v0.3.6 both commands are long-running and steppable: `req raw` writes the request on its
//! first `next`, then reads one response chunk per `next`; `listen` delivers one incoming request
//! per `next`; both stay open until cancelled. The generated handles expose exactly that
//! (`next(timeout)`, `cancel()`); this module adds the one-call forms:
//!
//! - [`RequestExt::response`] on the six `Rpc*ReqRaw` builders: sends, steps through the written
//!   request and every response chunk, cancels the call, returns the [`Response`].
//! - [`ListenExt::next_request`] on the six `Rpc*ListenCall` handles: steps once and returns the
//!   [`Request`], which answers itself with [`Request::respond_chunk`].
//!
//! Payloads are hex on the wire; [`Payload`] types (the SSZ containers of [`crate::ssz`], or
//! [`HexBytes`]) decode them with `data::<T>()`.
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
use std::pin::Pin;
use std::time::Duration;

use pyrum_commands::Commands;
use pyrum_core::typed::CommandSpec;
use pyrum_core::types::{decode_hex, HexBytes, PeerId};
use pyrum_core::{Actor, Call, Command, Entries, Error, Output, Result};
use serde_json::Value;

/// How long a step that Rumor already handed to `next` may take to log its chunk once the
/// request goroutine has reported "Completed request" (Rumor logs that line as soon as the last
/// step is taken, which can be before the step's own entry).
const LAST_STEP_GRACE: Duration = Duration::from_secs(2);

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
}

/// What a request got back: its chunks, in order.
///
/// ```no_run
/// # async fn demo(resp: pyrum::rpc::Response) -> pyrum::Result<()> {
/// for chunk in &resp.chunks {
///     println!("{}: {:?}", chunk.chunk_index, chunk.hex());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Response {
    /// Every chunk read. Reading stops after `--max-chunks` chunks, at the end of the
    /// response, or after the first chunk with a non-zero result code (included here).
    pub chunks: Vec<Chunk>,
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
    /// when not set), Rumor logs "Completed request", or a chunk has a non-zero result code.
    /// Then cancels the call and waits until Rumor freed it.
    ///
    /// A request that fails ("failed to make request", e.g. `protocol not supported`) is
    /// [`Error::Command`] with Rumor's error text.
    ///
    /// ```no_run
    /// use pyrum::prelude::*;
    /// # async fn demo(bob: Actor, alice_id: PeerId) -> pyrum::Result<()> {
    /// let status = pyrum::ssz::Status { head_slot: 123, ..Default::default() };
    /// let resp = bob.rpc().status().req().raw(alice_id, &status).raw(true).response().await?;
    /// # Ok(()) }
    /// ```
    fn response(self) -> impl Future<Output = Result<Response>> + Send;
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
    fn next_request(&self) -> impl Future<Output = Result<Request>> + Send;
}

/// An incoming request, as the `next` of `rpc <method> listen` logged it ("Received request,
/// queued it to respond to!"). Answer it with [`Request::respond_chunk`].
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

    /// Answers with one chunk (`rpc <method> resp chunk raw <req_id> <data>`); await it.
    /// `--done` defaults to true for methods with at most one chunk.
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

    /// `--result-code`: 0 success (the default), 1 invalid request, 2 server error.
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

/// How the request goroutine of `req raw` ended, as far as its entries tell.
enum End {
    Completed,
    Failed(String),
    /// The call's entries ended (freed or disconnected) without either line.
    Gone,
}

async fn request_end(mut entries: Entries) -> End {
    while let Some(entry) = entries.next().await {
        let Ok(entry) = entry else { continue };
        match entry.msg.as_str() {
            "Completed request" => return End::Completed,
            "failed to make request" => {
                return End::Failed(entry.str_field("error").unwrap_or_default().to_string())
            }
            _ => {}
        }
    }
    End::Gone
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

async fn step_through(
    call: &Call,
    display: &str,
    max_chunks: u64,
    parse: impl Fn(&Output) -> Result<Option<Chunk>>,
) -> Result<Response> {
    let failed = |message: String| Error::Command {
        call: display.to_string(),
        message: format!("failed to make request: {message}"),
    };
    let mut end = Box::pin(request_end(call.entries()));
    let mut completed = false;
    let mut written = false;
    let mut chunks: Vec<Chunk> = Vec::new();
    loop {
        if completed || (written && chunks.len() as u64 >= max_chunks) {
            break;
        }
        let mut step = Box::pin(call.step(None));
        let out = tokio::select! {
            biased;
            out = &mut step => out,
            how = &mut end => match how {
                End::Failed(message) => return Err(failed(message)),
                End::Completed => {
                    // Every step was handed to a `next` before this line; ours may hold the last.
                    completed = true;
                    match tokio::time::timeout(LAST_STEP_GRACE, &mut step).await {
                        Ok(out) => out,
                        Err(_) => break,
                    }
                }
                End::Gone => step.await,
            },
        };
        let out = out?;
        if !written {
            written = true; // step 1: "made request"
            continue;
        }
        match parse(&out)? {
            Some(chunk) => {
                let error = chunk.result_code != 0;
                chunks.push(chunk);
                if error {
                    break;
                }
            }
            None => {
                return Err(Error::Protocol(format!(
                    "`{display}`: a step logged no chunk: {:?}",
                    out.fields
                )))
            }
        }
    }
    Ok(Response { chunks })
}

/// The chunk a `req raw` step logged ("Received chunk"), if it logged one.
fn chunk_from(display: &str, out: &Output) -> Result<Option<Chunk>> {
    let Some(chunk_index) = out.optional::<u64>(display, "chunk_index")? else {
        return Ok(None);
    };
    Ok(Some(Chunk {
        chunk_index,
        chunk_size: out.required(display, "chunk_size")?,
        result_code: out.required(display, "result_code")?,
        protocol: out.optional(display, "protocol")?.unwrap_or_default(),
        from: out.required(display, "from")?,
        raw: out.optional(display, "data")?,
        msg: out.optional(display, "msg")?,
    }))
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
                            .raw(r.req_id.to_string(), r.data);
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
                        let display = format!("{}: {words}", call.actor().name());
                        let parse = |out: &Output| chunk_from(&display, out);
                        run_request(call.clone(), display.clone(), max, parse).await
                    }
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
}
