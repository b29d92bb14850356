//! SSZ inputs for Rumor's `states`, `blocks` and `chain` commands (phase 0, the mainnet preset
//! that Rumor v0.3.6 always uses), and a temporary folder for file-backed blocks DBs.

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

/// A phase-0 mainnet `BeaconState` at slot 0 with one active validator of 32 ETH and every
/// other field zero: the smallest state `chain create` takes (it computes a proposer, so it
/// needs an active validator). About 2.6 MB, mostly the fixed-size history vectors.
pub fn genesis_state_ssz() -> Vec<u8> {
    const SLOTS_PER_HISTORICAL_ROOT: usize = 8192;
    const EPOCHS_PER_HISTORICAL_VECTOR: usize = 65536;
    const EPOCHS_PER_SLASHINGS_VECTOR: usize = 8192;
    const VALIDATOR: usize = 48 + 32 + 8 + 1 + 4 * 8;
    // Fields up to the first list, in order: genesis_time, genesis_validators_root, slot,
    // fork, latest_block_header, block_roots, state_roots.
    let head = 8 + 32 + 8 + 16 + 112 + 2 * SLOTS_PER_HISTORICAL_ROOT * 32;
    let fixed = head
        + 4 // historical_roots (offset)
        + 72 // eth1_data
        + 4 // eth1_data_votes (offset)
        + 8 // eth1_deposit_index
        + 4 + 4 // validators, balances (offsets)
        + EPOCHS_PER_HISTORICAL_VECTOR * 32 // randao_mixes
        + EPOCHS_PER_SLASHINGS_VECTOR * 8 // slashings
        + 4 + 4 // previous/current epoch attestations (offsets)
        + 1 + 3 * 40; // justification_bits, three checkpoints
    let offset = |n: usize| u32::try_from(n).expect("small offsets").to_le_bytes();
    let mut b = vec![0u8; head];
    b.extend(offset(fixed)); // historical_roots: empty
    b.extend([0; 72]);
    b.extend(offset(fixed)); // eth1_data_votes: empty
    b.extend([0; 8]);
    b.extend(offset(fixed)); // validators: one
    b.extend(offset(fixed + VALIDATOR)); // balances: one
    b.resize(
        b.len() + EPOCHS_PER_HISTORICAL_VECTOR * 32 + EPOCHS_PER_SLASHINGS_VECTOR * 8,
        0,
    );
    b.extend(offset(fixed + VALIDATOR + 8)); // previous_epoch_attestations: empty
    b.extend(offset(fixed + VALIDATOR + 8)); // current_epoch_attestations: empty
    b.resize(b.len() + 1 + 3 * 40, 0);
    assert_eq!(b.len(), fixed);
    let gwei = 32_000_000_000u64.to_le_bytes();
    b.extend([0; 48 + 32]); // pubkey, withdrawal_credentials
    b.extend(gwei); // effective_balance
    b.push(0); // slashed
    b.extend(0u64.to_le_bytes()); // activation_eligibility_epoch
    b.extend(0u64.to_le_bytes()); // activation_epoch
    b.extend(u64::MAX.to_le_bytes()); // exit_epoch
    b.extend(u64::MAX.to_le_bytes()); // withdrawable_epoch
    b.extend(gwei); // the balance
    b
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
