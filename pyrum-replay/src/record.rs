//! Recording a connection: a transcript of every line sent to Rumor and every line it answered.
//!
//! A transcript is the input of [`Replay`](crate::Replay): a test that ran once against the
//! real Rumor can run again, in milliseconds and without Rumor, against what Rumor said that
//! time; a failure seen once can be kept and replayed.
//!
//! # Turning recording on
//!
//! Recording is a transport hook ([`RumorBuilder::wire_hook`]): nothing is recorded unless the
//! program asks for it.
//!
//! - For the connections of one builder: [`RecordExt::record_to`]
//!   (`Rumor::builder().record_to("run.jsonl").spawn()`), or any [`Recorder`] with
//!   [`RecordExt::recorder`].
//! - From the environment variable [`PYRUM_RECORD`](RECORD_ENV), where the program opts in with
//!   [`record_from_env`] (or [`RecordExt::record_from_env`]) on its builder:
//!   - `PYRUM_RECORD=run.jsonl`: the first connection of the process writes `run.jsonl`, later
//!     ones `run.2.jsonl`, `run.3.jsonl`, ...
//!   - `PYRUM_RECORD=dir/` (ends with `/`, or is an existing directory): each connection writes
//!     `dir/<name>.jsonl`, where `<name>` is the current thread's name (under `cargo test`,
//!     the test's name) and again `.2`, `.3`, ... for further connections of that name.
//!   - unset or empty: the builder is returned unchanged.
//! - Any [`Wire`]: [`record`].
//!
//! A builder has one hook: a recorder replaces a hook set before it. A path that cannot be
//! created ends the connection at once with `Error::Disconnected` naming the path. Each line is
//! flushed as it is written, so a transcript of a crashed or killed program is complete up to
//! the crash.
//!
//! # Transcript format (version 1)
//!
//! JSON lines. The first is the header; each later one is an event with `t`, the milliseconds
//! since the connection started:
//!
//! ```text
//! {"pyrum_transcript":1,"rumor":"v0.3.6","pyrum":"0.1.0","transport":"rumor bare","id_prefix":"py3f09a1c2c0n"}
//! {"t":0,"send":"'echo' 'pyrum-stmt:k0c3f9a2b7d41e566:1:'\"$('echo' 'pyrum'; 'printf' '\\n%s' \"$?\")\""}
//! {"t":9,"recv":"{\"level\":\"info\",\"msg\":\"\",\"stdout\":\"pyrum-stmt:k0c3f9a2b7d41e566:1:pyrum\\n0\",...}"}
//! {"t":9,"send":"'_py3f09a1c2c0n1' 'alice:' 'lvl_trace' 'host' 'start' &"}
//! {"t":27,"recv":"{\"__success\":\"true\",\"actor\":\"alice\",\"call_id\":\"py3f09a1c2c0n1\",...}"}
//! {"t":4108,"end":true}
//! {"t":4110,"closed":"rumor exited (exit status: 0)"}
//! ```
//!
//! | key | meaning |
//! |---|---|
//! | `pyrum_transcript` | format version (1); a reader rejects a newer one |
//! | `rumor`, `pyrum` | the Rumor version the client targets, the pyrum version that recorded |
//! | `transport` | the wire's name, absolute paths cut to their file name |
//! | `id_prefix` | the connection's call-id prefix (`py<8 hex>c<N>n`), when known |
//! | `send` | one line the program sent, exactly (without the newline), in order |
//! | `recv` | one line Rumor sent, exactly, as a JSON string (not re-encoded) |
//! | `end` | Rumor's side ended: `true`, plus `"error"` when it ended with an error |
//! | `closed` | how the transport explained the end (exit status, stderr), if it does |
//!
//! Events are in the order the client saw them: a `send` is written when the line is handed to
//! the transport, a `recv` when the client reads it. Lines sent after the `end` are not recorded
//! (Rumor is gone). Readers ignore unknown keys, so later versions may add some.

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, LineWriter, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use futures_util::{Sink, Stream};
use pyrum_core::transport::{LineSink, LineStream};
use pyrum_core::{Result, RumorBuilder, Wire, WireInfo};

use crate::io_error;

/// The environment variable that [`record_from_env`] reads: a file path, or a directory (ending
/// with `/`, or existing) for one file per connection.
pub const RECORD_ENV: &str = "PYRUM_RECORD";

/// The transcript format version this crate writes and reads.
pub const TRANSCRIPT_VERSION: u64 = 1;

/// Wraps `wire` so that everything it carries is written to a transcript at exactly `path`
/// (created or truncated; parent directories are created). The header has no `id_prefix`: use
/// a [`Recorder`] as the builder's hook to record a connection with it.
///
/// ```no_run
/// # async fn demo(wire: pyrum_core::Wire) -> pyrum_core::Result<()> {
/// let wire = pyrum_replay::record(wire, "session.jsonl")?;
/// let rumor = pyrum_core::Rumor::builder().connect(wire);
/// # Ok(()) }
/// ```
pub fn record(wire: Wire, path: impl AsRef<Path>) -> Result<Wire> {
    let log = Log::create(
        path.as_ref(),
        wire.name(),
        None,
        pyrum_commands::RUMOR_VERSION,
    )?;
    Ok(wrap(wire, log))
}

/// Turns recording on for `builder` if [`PYRUM_RECORD`](RECORD_ENV) is set (see the [module
/// docs](self) for its forms); otherwise returns it unchanged. This is the one place the
/// variable is read: a program that never calls it never records.
///
/// ```no_run
/// # async fn demo() -> pyrum_core::Result<()> {
/// let rumor = pyrum_replay::record_from_env(pyrum_core::Rumor::builder()).spawn().await?;
/// # Ok(()) }
/// ```
pub fn record_from_env(builder: RumorBuilder) -> RumorBuilder {
    match Recorder::from_env() {
        Some(recorder) => builder.recorder(recorder),
        None => builder,
    }
}

/// Recording on a [`RumorBuilder`]: `Rumor::builder().record_to("run.jsonl")`.
pub trait RecordExt: Sized {
    /// Records each connection of this builder: the first to `path`, later ones (of this
    /// process) to `path` with `.2`, `.3`, ... before the extension.
    fn record_to(self, path: impl Into<PathBuf>) -> Self;
    /// Records each connection as [`PYRUM_RECORD`](RECORD_ENV) says, if it is set.
    fn record_from_env(self) -> Self;
    /// Records each connection with `recorder` (this replaces any other hook).
    fn recorder(self, recorder: Recorder) -> Self;
}

impl RecordExt for RumorBuilder {
    fn record_to(self, path: impl Into<PathBuf>) -> Self {
        self.recorder(Recorder::to_file(path))
    }

    fn record_from_env(self) -> Self {
        record_from_env(self)
    }

    fn recorder(self, recorder: Recorder) -> Self {
        self.wire_hook(move |wire, info| recorder.wrap(wire, info))
    }
}

/// Where the transcripts of a [`Recorder`] go.
#[derive(Debug, Clone)]
enum Target {
    /// The first connection at the path, later ones numbered.
    File(PathBuf),
    /// Always exactly this path.
    Exact(PathBuf),
    /// One file per connection, named after the current thread.
    Dir(PathBuf),
}

/// Records connections as transcripts: a transport hook for [`RumorBuilder::wire_hook`] (see
/// [`RecordExt::recorder`]), or a wrapper to compose with another hook ([`Recorder::wrap`]).
///
/// ```no_run
/// # async fn demo() -> pyrum_core::Result<()> {
/// use pyrum_replay::{RecordExt, Recorder};
/// let recorder = Recorder::to_dir("transcripts").rumor_version("v0.3.6");
/// let rumor = pyrum_core::Rumor::builder().recorder(recorder).spawn().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Recorder {
    target: Target,
    rumor_version: String,
}

impl Recorder {
    fn new(target: Target) -> Recorder {
        Recorder {
            target,
            rumor_version: pyrum_commands::RUMOR_VERSION.to_string(),
        }
    }

    /// The first connection of the process writes `path`; later ones write `stem.2.ext`,
    /// `stem.3.ext`, ...
    pub fn to_file(path: impl Into<PathBuf>) -> Recorder {
        Recorder::new(Target::File(path.into()))
    }

    /// Every connection writes exactly `path`, truncating what an earlier one wrote: for one
    /// connection whose transcript has a fixed name (a test's).
    pub fn exact_file(path: impl Into<PathBuf>) -> Recorder {
        Recorder::new(Target::Exact(path.into()))
    }

    /// Each connection writes `dir/<thread name>.jsonl` (numbered as in
    /// [`to_file`](Self::to_file) when a name repeats).
    pub fn to_dir(dir: impl Into<PathBuf>) -> Recorder {
        Recorder::new(Target::Dir(dir.into()))
    }

    /// The recorder [`PYRUM_RECORD`](RECORD_ENV) asks for, if it is set and not empty.
    pub fn from_env() -> Option<Recorder> {
        Recorder::from_value(std::env::var_os(RECORD_ENV))
    }

    /// The recorder a value of [`PYRUM_RECORD`](RECORD_ENV) asks for.
    fn from_value(value: Option<std::ffi::OsString>) -> Option<Recorder> {
        let value = value.filter(|v| !v.is_empty())?;
        let dir = value.to_string_lossy().ends_with('/') || Path::new(&value).is_dir();
        let path = PathBuf::from(value);
        Some(if dir {
            Recorder::to_dir(path)
        } else {
            Recorder::to_file(path)
        })
    }

    /// The Rumor version written in the header (default: the version the typed commands are
    /// generated for, `pyrum_commands::RUMOR_VERSION`).
    pub fn rumor_version(mut self, version: impl Into<String>) -> Recorder {
        self.rumor_version = version.into();
        self
    }

    /// The path the next connection would write (before numbering).
    fn path(&self) -> PathBuf {
        match &self.target {
            Target::File(p) => unique(p.clone()),
            Target::Exact(p) => p.clone(),
            Target::Dir(dir) => {
                let name: String = std::thread::current()
                    .name()
                    .filter(|n| *n != "main" && !n.starts_with("tokio-runtime"))
                    .unwrap_or("connection")
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                unique(dir.join(format!("{name}.jsonl")))
            }
        }
    }

    /// Wraps one connection's wire (what the hook does). If the transcript cannot be created,
    /// the returned wire ends at once with an error naming the path (the real wire is dropped:
    /// a subprocess is killed).
    pub fn wrap(&self, wire: Wire, info: &WireInfo) -> Wire {
        let path = self.path();
        match Log::create(
            &path,
            wire.name(),
            Some(&info.id_prefix),
            &self.rumor_version,
        ) {
            Ok(log) => wrap(wire, log),
            Err(e) => {
                tracing::warn!(target: "pyrum::record", "{e}");
                let message = e.to_string();
                Wire::new(
                    wire.name().to_string(),
                    futures_util::SinkExt::sink_map_err(
                        futures_util::sink::drain(),
                        |e| match e {},
                    ),
                    futures_util::stream::once(async move { Err(io::Error::other(message)) }),
                )
            }
        }
    }
}

/// `path` the first time this process records there; `stem.2.ext`, `stem.3.ext`, ... later.
fn unique(path: PathBuf) -> PathBuf {
    static USED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let mut used = USED.lock().unwrap_or_else(|e| e.into_inner());
    let used = used.get_or_insert_with(HashSet::new);
    let mut candidate = path.clone();
    let mut n = 1;
    while used.contains(&candidate) {
        n += 1;
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let name = match path.extension() {
            Some(ext) => format!("{stem}.{n}.{}", ext.to_string_lossy()),
            None => format!("{stem}.{n}"),
        };
        candidate = path.with_file_name(name);
    }
    used.insert(candidate.clone());
    candidate
}

/// A wire's name without this machine's paths: each absolute path is cut to its file name.
fn portable_name(name: &str) -> String {
    name.split(' ')
        .map(|w| {
            if w.starts_with('/') {
                Path::new(w)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_else(|| w.to_string())
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The open transcript file of one connection.
struct Log {
    path: PathBuf,
    start: Instant,
    state: Mutex<LogState>,
}

struct LogState {
    file: Option<LineWriter<File>>,
    /// Rumor's side has ended: later sends are not recorded.
    ended: bool,
}

impl Log {
    fn create(
        path: &Path,
        wire_name: &str,
        id_prefix: Option<&str>,
        rumor_version: &str,
    ) -> Result<Arc<Log>> {
        let context = || format!("recording a transcript to {}", path.display());
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| io_error(context(), e))?;
        }
        let mut file = LineWriter::new(File::create(path).map_err(|e| io_error(context(), e))?);
        let mut header = format!(
            "{{\"pyrum_transcript\":{TRANSCRIPT_VERSION},\"rumor\":{},\"pyrum\":{},\"transport\":{}",
            json(rumor_version),
            json(env!("CARGO_PKG_VERSION")),
            json(&portable_name(wire_name)),
        );
        if let Some(p) = id_prefix {
            header.push_str(&format!(",\"id_prefix\":{}", json(p)));
        }
        header.push('}');
        writeln!(file, "{header}").map_err(|e| io_error(context(), e))?;
        tracing::debug!(target: "pyrum::record", "recording {wire_name} to {}", path.display());
        Ok(Arc::new(Log {
            path: path.to_path_buf(),
            start: Instant::now(),
            state: Mutex::new(LogState {
                file: Some(file),
                ended: false,
            }),
        }))
    }

    /// Writes `{"t":ms,<body>}`; a write error stops the recording (with a warning), never the
    /// connection.
    fn event(&self, body: &str, end: bool) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if st.ended && !body.starts_with("\"closed\"") {
            return;
        }
        st.ended |= end;
        let t = self.start.elapsed().as_millis();
        if let Some(file) = st.file.as_mut() {
            if let Err(e) = writeln!(file, "{{\"t\":{t},{body}}}") {
                tracing::warn!(target: "pyrum::record",
                    "writing the transcript {} failed, recording stops: {e}", self.path.display());
                st.file = None;
            }
        }
    }
}

fn json(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn wrap(wire: Wire, log: Arc<Log>) -> Wire {
    let (name, sink, stream, describe_close) = wire.into_parts();
    let sink: LineSink = Box::pin(RecordSink {
        inner: sink,
        log: log.clone(),
    });
    let stream: LineStream = Box::pin(RecordStream {
        inner: stream,
        log: log.clone(),
        done: false,
    });
    let describe_close = describe_close.map(|describe| {
        let wrapped: pyrum_core::transport::Describe = Box::new(move || {
            let described = describe();
            Box::pin(async move {
                let cause = described.await;
                log.event(&format!("\"closed\":{}", json(&cause)), true);
                cause
            })
        });
        wrapped
    });
    Wire::from_parts(name, sink, stream, describe_close)
}

struct RecordSink {
    inner: LineSink,
    log: Arc<Log>,
}

impl Sink<String> for RecordSink {
    type Error = io::Error;
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_ready(cx)
    }
    fn start_send(mut self: Pin<&mut Self>, line: String) -> io::Result<()> {
        self.log.event(&format!("\"send\":{}", json(&line)), false);
        self.inner.as_mut().start_send(line)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.inner.as_mut().poll_close(cx)
    }
}

struct RecordStream {
    inner: LineStream,
    log: Arc<Log>,
    done: bool,
}

impl Stream for RecordStream {
    type Item = io::Result<String>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let item = futures_util::ready!(self.inner.as_mut().poll_next(cx));
        if !self.done {
            match &item {
                Some(Ok(line)) => self.log.event(&format!("\"recv\":{}", json(line)), false),
                Some(Err(e)) => {
                    self.done = true;
                    let error = json(&e.to_string());
                    self.log
                        .event(&format!("\"end\":true,\"error\":{error}"), true);
                }
                None => {
                    self.done = true;
                    self.log.event("\"end\":true", true);
                }
            }
        }
        Poll::Ready(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventKind, Replay, Transcript};

    #[test]
    fn portable_names_have_no_machine_paths() {
        assert_eq!(
            portable_name("/home/u/.cache/pyrum/rumor-v0.3.6/rumor bare"),
            "rumor bare"
        );
        assert_eq!(portable_name("tcp 127.0.0.1:3030"), "tcp 127.0.0.1:3030");
    }

    #[test]
    fn unique_paths_count_up() {
        let p = PathBuf::from("unique-test-dir/run.jsonl");
        assert_eq!(unique(p.clone()), p);
        assert_eq!(
            unique(p.clone()),
            PathBuf::from("unique-test-dir/run.2.jsonl")
        );
        assert_eq!(unique(p), PathBuf::from("unique-test-dir/run.3.jsonl"));
    }

    const PEER: &str = "16Uiu2HAm49JJkag5z9zesXZjcYgKLSRouAFnpEPPw6YA61g1Ttho";

    /// A tiny stand-in for Rumor: answers each call with a `peer_id` field and its markers,
    /// and ends the session on `exit`.
    fn fake_rumor() -> Wire {
        use tokio::sync::mpsc;
        let (in_tx, mut in_rx) = mpsc::unbounded_channel::<String>();
        let (out_tx, out_rx) = mpsc::unbounded_channel::<io::Result<String>>();
        tokio::spawn(async move {
            while let Some(line) = in_rx.recv().await {
                if line == "exit" {
                    break;
                }
                let words: Vec<&str> = line.split('\'').skip(1).step_by(2).collect();
                let (id, actor) = (&words[0][1..], words[1].trim_end_matches(':'));
                for extra in [
                    format!(r#""msg":"Peer ID","peer_id":"{PEER}""#),
                    r#""__success":"true","msg":"completed call""#.to_string(),
                    r#""__freed":"true","msg":"freed call resources""#.to_string(),
                ] {
                    let entry =
                        format!(r#"{{"actor":"{actor}","call_id":"{id}","level":"info",{extra}}}"#);
                    let _ = out_tx.send(Ok(entry));
                }
            }
        });
        let sink = futures_util::sink::unfold(in_tx, |tx, line: String| async move {
            tx.send(line)
                .map_err(|_| io::Error::other("fake rumor is gone"))?;
            Ok::<_, io::Error>(tx)
        });
        let stream = futures_util::stream::unfold(out_rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Wire::new("fake /somewhere/rumor", sink, stream)
    }

    async fn view(rumor: &pyrum_core::Rumor, actor: &str) -> Result<serde_json::Value> {
        let actor = rumor.actor(actor)?;
        let call = actor
            .call(pyrum_core::Command::new(["host", "view"]))
            .await?;
        Ok(call.setup().await?.fields["peer_id"].clone())
    }

    #[tokio::test]
    async fn a_recorded_session_replays_with_new_call_ids() {
        let path =
            std::env::temp_dir().join(format!("pyrum-record-unit-{}.jsonl", std::process::id()));
        let rumor = pyrum_core::Rumor::builder()
            .recorder(Recorder::exact_file(&path).rumor_version("v-test"))
            .connect(fake_rumor());
        assert_eq!(view(&rumor, "alice").await.unwrap(), PEER);
        rumor.close().await.unwrap();

        let text = std::fs::read_to_string(&path).unwrap();
        let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(header["pyrum_transcript"], 1);
        assert_eq!(header["rumor"], "v-test");
        assert_eq!(header["transport"], "fake rumor", "no machine paths");
        let prefix = header["id_prefix"]
            .as_str()
            .expect("the hook knows the prefix");
        assert!(
            prefix.starts_with("py") && prefix.ends_with('n'),
            "{prefix}"
        );
        let t = Transcript::parse(&text, "unit").unwrap();
        let kinds: Vec<&str> = t
            .events()
            .iter()
            .map(|e| match e.kind {
                EventKind::Send(_) => "send",
                EventKind::Recv(_) => "recv",
                EventKind::End(_) => "end",
                _ => "other",
            })
            .collect();
        assert_eq!(
            kinds,
            ["send", "recv", "recv", "recv", "send", "end"],
            "{text}"
        );

        // A second connection has another id prefix: the replay rewrites the recorded ids.
        let replay = Replay::open(&path).unwrap();
        let again = replay.rumor();
        assert_eq!(view(&again, "alice").await.unwrap(), PEER);
        again.close().await.unwrap();
        replay.finish().unwrap();

        // The same session with another actor name: a readable mismatch.
        let replay = Replay::open(&path).unwrap();
        let other = replay.rumor();
        let err = view(&other, "bob").await.unwrap_err();
        let text = err.to_string();
        assert!(err.is_disconnected(), "{err:?}");
        assert!(
            text.contains("line 2 of")
                && text.contains("expected: '_<id>' 'alice:'")
                && text.contains("actual:   '_<id>' 'bob:'"),
            "{text}"
        );
        assert_eq!(replay.mismatch().unwrap().line, 2);
        let _ = std::fs::remove_file(&path);
    }

    #[tokio::test]
    async fn an_unwritable_path_ends_the_connection_naming_it() {
        let dir = std::env::temp_dir().join(format!("pyrum-record-file-{}", std::process::id()));
        std::fs::write(&dir, "a file, not a directory").unwrap();
        let path = dir.join("run.jsonl");
        let rumor = pyrum_core::Rumor::builder()
            .record_to(&path)
            .connect(fake_rumor());
        let err = rumor.closed().await.to_string();
        assert!(err.contains("recording a transcript to"), "{err}");
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn the_environment_values_choose_a_target() {
        let target = |v: Option<&str>| Recorder::from_value(v.map(Into::into)).map(|r| r.target);
        assert!(target(None).is_none(), "unset: no recording");
        assert!(target(Some("")).is_none(), "empty: no recording");
        assert!(matches!(target(Some("runs/")), Some(Target::Dir(d)) if d == Path::new("runs/")));
        let dir = std::env::temp_dir();
        let existing = dir.to_str().expect("a UTF-8 temp dir");
        assert!(matches!(target(Some(existing)), Some(Target::Dir(d)) if d == dir));
        assert!(
            matches!(target(Some("run.jsonl")), Some(Target::File(f)) if f == Path::new("run.jsonl"))
        );
    }
}
