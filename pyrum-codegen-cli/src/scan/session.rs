//! Driving Rumor for the scan through pyrum-core's client: one `rumor bare` child, one actor,
//! one call at a time (each a normal call, quoted and with its own id, so its markers and
//! errors are attributed exactly).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyrum_core::{Actor, Command, Entry, Error, Level, Rumor};

/// Why a scan could not run.
#[derive(Debug)]
pub(crate) struct ScanError(pub String);

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

/// The limit for one call's setup (a `help` answers in milliseconds).
const CALL_LIMIT: Duration = Duration::from_secs(15);

/// The actor the scan runs as.
const ACTOR: &str = "pyrumscan";

/// What one call produced: its entries up to setup, or Rumor's error.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub entries: Vec<Arc<Entry>>,
    pub error: Option<String>,
}

/// A `rumor bare` child, driven one call at a time on a current-thread runtime.
pub(crate) struct Session {
    rt: tokio::runtime::Runtime,
    actor: Actor,
    _rumor: Rumor,
    /// Calls made so far.
    pub calls: usize,
}

impl Session {
    pub fn start(bin: &Path) -> Result<Session, ScanError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ScanError(format!("cannot start a tokio runtime: {e}")))?;
        let rumor = rt
            .block_on(
                Rumor::builder()
                    .rumor_bin(bin)
                    .setup_timeout(Some(CALL_LIMIT))
                    .spawn(),
            )
            .map_err(|e| ScanError(format!("cannot start {}: {e}", bin.display())))?;
        let actor = rumor.actor(ACTOR).map_err(|e| ScanError(e.to_string()))?;
        Ok(Session {
            rt,
            actor,
            _rumor: rumor,
            calls: 0,
        })
    }

    /// Runs one command and waits for its setup: its entries, or the error Rumor gave it.
    pub fn call(&mut self, words: &[String]) -> Result<Outcome, ScanError> {
        self.calls += 1;
        let actor = self.actor.clone();
        let command = Command::new(words.iter().cloned());
        let result = self.rt.block_on(async move {
            let call = actor.call(command).await?;
            call.setup().await
        });
        match result {
            Ok(out) => Ok(Outcome {
                entries: out.entries,
                error: None,
            }),
            Err(Error::Command { message, .. }) => Ok(Outcome {
                entries: Vec::new(),
                error: Some(message),
            }),
            Err(e) => Err(ScanError(format!(
                "`{}` could not run: {e}",
                words.join(" ")
            ))),
        }
    }

    /// `help` of a path: the usage text, or the routing error.
    pub fn help(&mut self, path: &[String]) -> Result<Result<String, String>, ScanError> {
        let mut words = path.to_vec();
        words.push("help".into());
        let out = self.call(&words)?;
        if let Some(e) = out.error {
            return Ok(Err(e));
        }
        let text = out
            .entries
            .iter()
            .rev()
            .find(|e| e.level == Level::Info && e.msg.starts_with("(command)"))
            .map(|e| e.msg.clone());
        Ok(text.ok_or_else(|| "help printed no usage text".to_string()))
    }
}

/// The Rumor release a binary was built from, read from the Go build info it carries: the
/// version of module `github.com/protolambda/rumor` (`mod` when built as the main module,
/// `dep` when a wrapper module required it, as `scripts/install-rumor` does). `None` when the
/// file cannot be read or names no tagged version.
pub(crate) fn binary_version(bin: &Path) -> Option<String> {
    const MODULE: &[u8] = b"\tgithub.com/protolambda/rumor\t";
    let bytes = std::fs::read(bin).ok()?;
    let mut from = 0;
    while let Some(i) = find(&bytes[from..], MODULE) {
        let at = from + i;
        from = at + 1;
        let kind = &bytes[at.saturating_sub(3)..at];
        if kind != b"dep" && kind != b"mod" {
            continue;
        }
        let rest = &bytes[at + MODULE.len()..];
        let end = rest
            .iter()
            .position(|b| matches!(b, b'\t' | b'\n'))
            .unwrap_or(rest.len().min(64));
        let version = std::str::from_utf8(&rest[..end]).ok()?;
        if version.starts_with('v') && version[1..].starts_with(|c: char| c.is_ascii_digit()) {
            return Some(version.to_string());
        }
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= haystack.len() {
        match haystack[i..].iter().position(|b| *b == first) {
            Some(j) => i += j,
            None => return None,
        }
        if haystack[i..].starts_with(needle) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// A file in the temp folder, removed on drop.
pub(crate) struct TempFile(pub PathBuf);

impl TempFile {
    pub fn new(ext: &str, bytes: &[u8]) -> Result<TempFile, ScanError> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pyrum-scan-{}-{}.{ext}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes)
            .map_err(|e| ScanError(format!("cannot write {}: {e}", path.display())))?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_comes_from_the_go_build_info() {
        let t = TempFile::new(
            "bin",
            b"\x7fELF...\tpath\tpyrum/rumor-build\n\tdep\tgithub.com/protolambda/rumor\tv0.3.2\n\t=>\t./rumor-src\t(devel)\n",
        )
        .unwrap();
        assert_eq!(binary_version(&t.0).as_deref(), Some("v0.3.2"));
        let devel = TempFile::new("bin", b"mod\tgithub.com/protolambda/rumor\t(devel)\n").unwrap();
        assert_eq!(binary_version(&devel.0), None);
        // The Rumor the tests use is the one commands.toml describes.
        let real = pyrum_core::find_rumor().unwrap_or_else(|e| panic!("needs Rumor: {e}"));
        let spec = pyrum_codegen::Spec::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands.toml"),
        )
        .unwrap();
        assert_eq!(binary_version(&real), Some(spec.rumor_version));
    }
}
