//! Finding the Rumor binary.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// The command that builds Rumor into the cache, from a checkout of pyrum.
pub const INSTALL_COMMAND: &str = "scripts/install-rumor";

/// The cache folder of `scripts/install-rumor`: `$PYRUM_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/pyrum`, else `~/.cache/pyrum`.
pub fn cache_dir() -> Option<PathBuf> {
    std::env::var_os("PYRUM_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("pyrum")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pyrum")))
}

/// Where `scripts/install-rumor` links the Rumor its spec describes: `<cache>/rumor` (a link to
/// `<cache>/rumor-<version>-<patches>/rumor`). Other versions it builds stay in their own
/// folders, which [`find_rumor`] does not pick.
pub fn cached_rumor_path() -> Option<PathBuf> {
    cache_dir().map(|c| c.join("rumor"))
}

/// Finds Rumor: `$RUMOR_BIN`, then the cache of `scripts/install-rumor`, then `rumor` on `PATH`.
///
/// The error says where it looked and which command installs it.
pub fn find_rumor() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("RUMOR_BIN") {
        let bin = PathBuf::from(bin);
        return if bin.is_file() {
            Ok(bin)
        } else {
            Err(Error::RumorNotFound {
                hint: format!("RUMOR_BIN is set to {}, which is not a file", bin.display()),
            })
        };
    }
    let cached = cached_rumor_path();
    if let Some(c) = cached.as_ref().filter(|c| c.is_file()) {
        return Ok(c.clone());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("rumor");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    Err(Error::RumorNotFound {
        hint: format!(
            "looked at $RUMOR_BIN (unset), {} and PATH; run `{INSTALL_COMMAND}` in the pyrum checkout \
             (builds Rumor with Go, a minute or two) or set RUMOR_BIN",
            cached
                .map(|c| c.display().to_string())
                .unwrap_or_else(|| "the cache (no HOME set)".into())
        ),
    })
}
