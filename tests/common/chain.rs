//! SSZ blocks for Rumor's `blocks` and `chain` commands (phase 0, the mainnet preset that Rumor
//! v0.3.6 always uses; the genesis state is `pyrum::ssz::genesis_state_ssz`), and a temporary
//! folder for file-backed blocks DBs.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A folder in the temp dir, removed with its content on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty folder.
    pub fn new(what: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pyrum-test-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("creating a temp folder");
        TempDir(path)
    }

    /// Writes `bytes` to `name` in the folder; its path as text (for `--input`).
    pub fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, bytes).expect("writing a temp file");
        path_text(&path)
    }

    /// The folder as text (for a `[path]` argument).
    pub fn text(&self) -> String {
        path_text(&self.0)
    }
}

fn path_text(p: &Path) -> String {
    p.to_str().expect("a UTF-8 temp path").to_string()
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fields of a block that `blocks ... get` summarizes.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub slot: u64,
    pub proposer: u64,
    pub parent: [u8; 32],
    pub state: [u8; 32],
    pub signature: [u8; 96],
}

/// A phase-0 `SignedBeaconBlock` with `b`'s fields and an empty body.
pub fn signed_block_ssz(b: &Block) -> Vec<u8> {
    // SignedBeaconBlock: message (offset), signature.
    let mut out = Vec::with_capacity(404);
    out.extend(100u32.to_le_bytes());
    out.extend(b.signature);
    // BeaconBlock: slot, proposer_index, parent_root, state_root, body (offset).
    out.extend(b.slot.to_le_bytes());
    out.extend(b.proposer.to_le_bytes());
    out.extend(b.parent);
    out.extend(b.state);
    out.extend(84u32.to_le_bytes());
    // BeaconBlockBody: randao_reveal, eth1_data, graffiti, five empty lists (offsets).
    out.extend([0; 96 + 72 + 32]);
    for _ in 0..5 {
        out.extend(220u32.to_le_bytes());
    }
    assert_eq!(out.len(), 100 + 84 + 220);
    out
}
