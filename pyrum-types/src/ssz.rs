//! The eth2 (phase 0) req/resp containers that Rumor logs and takes: plain data, their SSZ
//! encoding, and reading them from the JSON objects Rumor logs ([`FromField`]).
//!
//! They live here, beside the other values, because generated result types use them (`peer
//! status get` logs a [`Status`], `peer metadata get` a [`MetaData`], `chain ... serve
//! by-range` a [`BeaconBlocksByRangeRequest`]); `pyrum::ssz` re-exports them with the
//! req/resp helpers. The containers are fixed-size `uint64`s and byte vectors (and one list of
//! roots), whose SSZ encoding is the fields' bytes one after another, little-endian: a few
//! lines here, rather than a dependency on a general SSZ library and its derive macros.
//!
//! Rumor writes their hex fields with `0x` in some places (`peer info`, a decoded request) and
//! without in others (`peer status get`, `peer metadata get`); reading takes both.
//!
//! ```
//! use pyrum_types::ssz::Status;
//! use pyrum_types::FromField;
//!
//! let logged = serde_json::json!({"fork_digest": "aabbccdd", "finalized_root": "00".repeat(32),
//!     "finalized_epoch": 0, "head_root": format!("0x{}", "01".repeat(32)), "head_slot": 7});
//! let status = Status::from_field(&logged)?;
//! assert_eq!((status.head_slot, status.fork_digest.0), (7, [0xaa, 0xbb, 0xcc, 0xdd]));
//! assert_eq!(Status::from_hex(&status.to_hex())?, status);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::{Attnets, Error, ForkDigest, FromField, HexBytes, Record, Result, Root};

/// SSZ encoding, for encoding types of your own the same way.
///
/// ```
/// use pyrum_types::ssz::{Encode, Ping};
/// assert_eq!(Ping { seq_number: 1 }.as_ssz_bytes(), [1, 0, 0, 0, 0, 0, 0, 0]);
/// ```
pub trait Encode {
    /// Appends the encoding to `buf`.
    fn ssz_append(&self, buf: &mut Vec<u8>);

    /// The encoding.
    fn as_ssz_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.ssz_append(&mut buf);
        buf
    }
}

/// SSZ decoding of a fixed-size value.
///
/// ```
/// use pyrum_types::ssz::{Decode, Ping};
/// assert_eq!(Ping::from_ssz_bytes(&[2, 0, 0, 0, 0, 0, 0, 0])?.seq_number, 2);
/// # Ok::<(), pyrum_types::Error>(())
/// ```
pub trait Decode: Sized {
    /// Decodes exactly `bytes`; a wrong length is [`Error::Protocol`].
    fn from_ssz_bytes(bytes: &[u8]) -> Result<Self>;
}

/// A fixed-size field of a container: `uint64` (little-endian) or a byte vector.
trait Field: Sized {
    const LEN: usize;
    fn append(&self, buf: &mut Vec<u8>);
    fn read(bytes: &[u8]) -> Self;
}

impl Field for u64 {
    const LEN: usize = 8;
    fn append(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
    fn read(bytes: &[u8]) -> Self {
        u64::from_le_bytes(bytes.try_into().expect("8 bytes"))
    }
}

macro_rules! byte_vector_field {
    ($($ty:ident: $n:literal),*) => {$(
        impl Field for $ty {
            const LEN: usize = $n;
            fn append(&self, buf: &mut Vec<u8>) {
                buf.extend_from_slice(&self.0);
            }
            fn read(bytes: &[u8]) -> Self {
                $ty(bytes.try_into().expect("the field's length"))
            }
        }
    )*};
}
byte_vector_field!(ForkDigest: 4, Root: 32, Attnets: 8);

/// `Encode`/`Decode` of a fixed-size container: its fields in order.
macro_rules! container {
    ($ty:ident { $($field:ident: $fty:ty),* }) => {
        impl Encode for $ty {
            fn ssz_append(&self, buf: &mut Vec<u8>) {
                $(Field::append(&self.$field, buf);)*
            }
        }

        impl Decode for $ty {
            fn from_ssz_bytes(bytes: &[u8]) -> Result<Self> {
                if bytes.len() != $ty::SIZE {
                    return Err(Error::Protocol(format!(
                        "{} bytes are not an SSZ {} ({} bytes)",
                        bytes.len(),
                        stringify!($ty),
                        $ty::SIZE
                    )));
                }
                let mut rest = bytes;
                let mut take = |n: usize| {
                    let (field, tail) = rest.split_at(n);
                    rest = tail;
                    field
                };
                Ok($ty {
                    $($field: <$fty as Field>::read(take(<$fty as Field>::LEN)),)*
                })
            }
        }
    };
}

/// The `Status` request and response (`/eth2/beacon_chain/req/status/1/`): 84 bytes.
///
/// ```
/// use pyrum_types::ssz::Status;
/// let bob = Status { head_slot: 123, ..Default::default() };
/// assert_eq!(bob.to_bytes().len(), Status::SIZE);
/// assert_eq!(Status::from_bytes(&bob.to_bytes())?.head_slot, 123);
/// # Ok::<(), pyrum_types::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Status {
    /// The sender's current fork digest.
    pub fork_digest: ForkDigest,
    /// Root of the latest finalized checkpoint.
    pub finalized_root: Root,
    /// Epoch of the latest finalized checkpoint.
    pub finalized_epoch: u64,
    /// Root of the head block.
    pub head_root: Root,
    /// Slot of the head block.
    pub head_slot: u64,
}

/// The `Ping` request and response (`/eth2/beacon_chain/req/ping/1/`): the metadata sequence
/// number, a bare `uint64`.
///
/// ```
/// use pyrum_types::ssz::Ping;
/// assert_eq!(Ping { seq_number: 2 }.to_hex(), "0200000000000000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ping {
    /// The sender's metadata sequence number.
    pub seq_number: u64,
}

/// The `MetaData` response (`/eth2/beacon_chain/req/metadata/1/`; the request is empty):
/// sequence number and the attestation subnet bitvector, 16 bytes.
///
/// ```
/// use pyrum_types::ssz::MetaData;
/// use pyrum_types::Attnets;
/// let md = MetaData { seq_number: 1, attnets: Attnets([0b101, 0, 0, 0, 0, 0, 0, 0]) };
/// assert_eq!(md.to_hex(), "01000000000000000500000000000000");
/// assert!(md.subscribed(0) && !md.subscribed(1) && md.subscribed(2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MetaData {
    /// Incremented whenever `attnets` changes.
    pub seq_number: u64,
    /// `Bitvector[64]`: bit `i` (byte `i / 8`, bit `i % 8`) set = subscribed to subnet `i`.
    pub attnets: Attnets,
}

impl MetaData {
    /// Whether attestation subnet `subnet` (0..64) is set in `attnets`.
    ///
    /// ```
    /// # use pyrum_types::ssz::MetaData;
    /// assert!(!MetaData::default().subscribed(63));
    /// ```
    pub fn subscribed(&self, subnet: usize) -> bool {
        subnet < 64 && self.attnets.0[subnet / 8] >> (subnet % 8) & 1 == 1
    }
}

/// The `Goodbye` request (`/eth2/beacon_chain/req/goodbye/1/`): a `uint64` reason code
/// (1 client shut down, 2 irrelevant network, 3 fault/error).
///
/// ```
/// use pyrum_types::ssz::Goodbye;
/// assert_eq!(Goodbye { reason: 1 }.to_hex(), "0100000000000000");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Goodbye {
    /// The reason code.
    pub reason: u64,
}

/// The `BeaconBlocksByRange` request (`/eth2/beacon_chain/req/beacon_blocks_by_range/1/`): the
/// first slot, how many slots, and the slot step; 24 bytes. The response is one chunk per block.
///
/// ```
/// use pyrum_types::ssz::BeaconBlocksByRangeRequest;
/// let req = BeaconBlocksByRangeRequest { start_slot: 5, count: 64, step: 1 };
/// assert_eq!(req.to_bytes().len(), BeaconBlocksByRangeRequest::SIZE);
/// assert_eq!(&req.to_hex()[..16], "0500000000000000");
/// assert_eq!(BeaconBlocksByRangeRequest::from_hex(&req.to_hex())?, req);
/// # Ok::<(), pyrum_types::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BeaconBlocksByRangeRequest {
    /// The first slot of the range.
    pub start_slot: u64,
    /// How many slots the range spans (at most 1024 blocks are served).
    pub count: u64,
    /// The distance between requested slots (1 for every slot).
    pub step: u64,
}

/// The `BeaconBlocksByRoot` request (`/eth2/beacon_chain/req/beacon_blocks_by_root/1/`): an SSZ
/// `List[Root, 1024]`, i.e. the 32-byte roots one after another.
///
/// ```
/// use pyrum_types::ssz::BeaconBlocksByRootRequest;
/// use pyrum_types::Root;
/// let req = BeaconBlocksByRootRequest::new(vec![Root([1; 32]), Root([2; 32])])?;
/// assert_eq!(req.to_bytes().len(), 64);
/// assert_eq!(BeaconBlocksByRootRequest::from_bytes(&req.to_bytes())?, req);
/// assert!(BeaconBlocksByRootRequest::from_bytes(&[0; 33]).is_err());
/// # Ok::<(), pyrum_types::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BeaconBlocksByRootRequest {
    /// The block roots, at most [`BeaconBlocksByRootRequest::MAX_ROOTS`].
    pub roots: Vec<Root>,
}

impl BeaconBlocksByRootRequest {
    /// `MAX_REQUEST_BLOCKS`: the list limit (Rumor refuses longer requests).
    pub const MAX_ROOTS: usize = 1024;

    /// A request for `roots`; [`Error::InvalidInput`] above [`Self::MAX_ROOTS`].
    pub fn new(roots: Vec<Root>) -> Result<Self> {
        if roots.len() > Self::MAX_ROOTS {
            return Err(Error::InvalidInput {
                what: "blocks-by-root request",
                value: format!("{} roots", roots.len()),
                reason: format!("at most {} roots fit in one request", Self::MAX_ROOTS),
            });
        }
        Ok(BeaconBlocksByRootRequest { roots })
    }

    /// The SSZ encoding: the roots back to back.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.iter().flat_map(|r| r.0).collect()
    }

    /// Decodes the SSZ encoding; a length that is not a multiple of 32, or more than
    /// [`Self::MAX_ROOTS`] roots, is [`Error::Protocol`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if !bytes.len().is_multiple_of(32) || bytes.len() / 32 > Self::MAX_ROOTS {
            return Err(Error::Protocol(format!(
                "{} bytes are not an SSZ List[Root, {}] (a multiple of 32 bytes, at most {})",
                bytes.len(),
                Self::MAX_ROOTS,
                32 * Self::MAX_ROOTS
            )));
        }
        let roots = bytes
            .chunks_exact(32)
            .map(|c| Root(c.try_into().expect("32-byte chunks")))
            .collect();
        Ok(BeaconBlocksByRootRequest { roots })
    }

    /// The SSZ encoding as plain lowercase hex (no `0x`), as Rumor takes and logs it.
    pub fn to_hex(&self) -> String {
        crate::encode_hex(&self.to_bytes())
    }

    /// Decodes hex (with or without `0x`), e.g. the `data` field Rumor logs.
    pub fn from_hex(hex: &str) -> Result<Self> {
        let bytes: HexBytes = hex.parse()?;
        Self::from_bytes(&bytes.0)
    }
}

impl From<&BeaconBlocksByRootRequest> for HexBytes {
    fn from(value: &BeaconBlocksByRootRequest) -> HexBytes {
        HexBytes(value.to_bytes())
    }
}

macro_rules! payload {
    ($ty:ident, $size:expr) => {
        impl $ty {
            /// Size of the SSZ encoding in bytes.
            pub const SIZE: usize = $size;

            /// The SSZ encoding.
            pub fn to_bytes(&self) -> Vec<u8> {
                self.as_ssz_bytes()
            }

            /// Decodes the SSZ encoding; a wrong length is [`Error::Protocol`].
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                <Self as Decode>::from_ssz_bytes(bytes)
            }

            /// The SSZ encoding as plain lowercase hex (no `0x`), as Rumor takes and logs it.
            pub fn to_hex(&self) -> String {
                crate::encode_hex(&self.to_bytes())
            }

            /// Decodes hex (with or without `0x`), e.g. the `data` field Rumor logs.
            pub fn from_hex(hex: &str) -> Result<Self> {
                let bytes: HexBytes = hex.parse()?;
                Self::from_bytes(&bytes.0)
            }
        }

        impl From<&$ty> for HexBytes {
            fn from(value: &$ty) -> HexBytes {
                HexBytes(value.to_bytes())
            }
        }
    };
}

payload!(Status, 84);
payload!(Ping, 8);
payload!(MetaData, 16);
payload!(Goodbye, 8);
payload!(BeaconBlocksByRangeRequest, 24);

container!(Status {
    fork_digest: ForkDigest,
    finalized_root: Root,
    finalized_epoch: u64,
    head_root: Root,
    head_slot: u64
});
container!(Ping { seq_number: u64 });
container!(MetaData {
    seq_number: u64,
    attnets: Attnets
});
container!(Goodbye { reason: u64 });
container!(BeaconBlocksByRangeRequest {
    start_slot: u64,
    count: u64,
    step: u64
});

/// Reads a container from the JSON object Rumor logs for it (unknown keys are ignored: the
/// container's fields are fixed by the protocol).
macro_rules! from_object {
    ($ty:ident, $what:literal { $($field:ident),* }) => {
        impl FromField for $ty {
            fn from_field(value: &serde_json::Value) -> std::result::Result<Self, String> {
                let record = Record::new($what, value)?;
                Ok($ty {
                    $($field: record.required(stringify!($field))?,)*
                })
            }
        }
    };
}

from_object!(Status, "status" {
    fork_digest,
    finalized_root,
    finalized_epoch,
    head_root,
    head_slot
});
from_object!(MetaData, "metadata" { seq_number, attnets });
from_object!(BeaconBlocksByRangeRequest, "blocks-by-range request" {
    start_slot,
    count,
    step
});

/// A phase-0 mainnet `BeaconState` at slot 0, SSZ-encoded, with one active validator of 32 ETH
/// and every other field zero: the smallest state Rumor's `chain create` starts from (it
/// computes a proposer, so it needs an active validator). Write it to a file, import it with
/// `states db import --input=<file>`, then `chain create <name> <state root>` with the root that
/// logs. About 2.6 MB, mostly the fixed-size history vectors.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_layout_is_the_phase0_container() {
        let s = Status {
            fork_digest: ForkDigest([1, 2, 3, 4]),
            finalized_root: Root([0xaa; 32]),
            finalized_epoch: 5,
            head_root: Root([0xbb; 32]),
            head_slot: 123,
        };
        let b = s.to_bytes();
        assert_eq!(b.len(), 84);
        assert_eq!(&b[..4], &[1, 2, 3, 4]);
        assert_eq!(&b[4..36], &[0xaa; 32]);
        assert_eq!(&b[36..44], &5u64.to_le_bytes());
        assert_eq!(&b[44..76], &[0xbb; 32]);
        assert_eq!(&b[76..], &123u64.to_le_bytes());
        assert_eq!(Status::from_bytes(&b).unwrap(), s);
        assert_eq!(Status::from_hex(&format!("0x{}", s.to_hex())).unwrap(), s);
    }

    #[test]
    fn seed_hex_values() {
        let bob = Status {
            head_slot: 123,
            ..Default::default()
        };
        let alice = Status {
            head_slot: 42,
            ..Default::default()
        };
        assert_eq!(bob.to_hex(), format!("{}7b00000000000000", "0".repeat(152)));
        assert_eq!(
            alice.to_hex(),
            format!("{}2a00000000000000", "0".repeat(152))
        );
    }

    #[test]
    fn wrong_lengths_are_errors() {
        assert!(matches!(
            Status::from_bytes(&[0; 83]),
            Err(Error::Protocol(_))
        ));
        assert!(Ping::from_hex("00").is_err());
        assert!(MetaData::from_bytes(&[0; 17]).is_err());
        assert!(Goodbye::from_hex("zz").is_err());
    }

    #[test]
    fn blocks_requests_layout() {
        let range = BeaconBlocksByRangeRequest {
            start_slot: 0x0102,
            count: 64,
            step: 2,
        };
        let b = range.to_bytes();
        assert_eq!(b.len(), 24);
        assert_eq!(&b[..8], &0x0102u64.to_le_bytes());
        assert_eq!(&b[8..16], &64u64.to_le_bytes());
        assert_eq!(&b[16..], &2u64.to_le_bytes());
        assert_eq!(BeaconBlocksByRangeRequest::from_bytes(&b).unwrap(), range);
        assert!(BeaconBlocksByRangeRequest::from_bytes(&b[..23]).is_err());

        let roots =
            BeaconBlocksByRootRequest::new(vec![Root([0xaa; 32]), Root([0xbb; 32])]).unwrap();
        let b = roots.to_bytes();
        assert_eq!(b.len(), 64);
        assert_eq!(&b[..32], &[0xaa; 32]);
        assert_eq!(&b[32..], &[0xbb; 32]);
        assert_eq!(
            BeaconBlocksByRootRequest::from_hex(&roots.to_hex()).unwrap(),
            roots
        );
        assert!(BeaconBlocksByRootRequest::from_bytes(&[])
            .unwrap()
            .roots
            .is_empty());
        assert!(BeaconBlocksByRootRequest::from_bytes(&[0; 31]).is_err());
        assert!(BeaconBlocksByRootRequest::from_bytes(&vec![0; 32 * 1025]).is_err());
        assert!(BeaconBlocksByRootRequest::new(vec![Root::default(); 1025]).is_err());
    }

    #[test]
    fn small_payloads() {
        assert_eq!(Ping::from_hex("0700000000000000").unwrap().seq_number, 7);
        assert_eq!(
            Goodbye::from_bytes(&[3, 0, 0, 0, 0, 0, 0, 0])
                .unwrap()
                .reason,
            3
        );
        let md = MetaData {
            seq_number: 9,
            attnets: Attnets([0xff, 0, 0, 0, 0, 0, 0, 0x80]),
        };
        assert_eq!(MetaData::from_bytes(&md.to_bytes()).unwrap(), md);
        assert!(md.subscribed(7) && !md.subscribed(8) && md.subscribed(63));
        let hex: HexBytes = (&md).into();
        assert_eq!(hex.0.len(), MetaData::SIZE);
    }

    #[test]
    fn read_from_what_rumor_logs_with_and_without_0x() {
        // `peer status get` (no 0x) and `peer info` (0x), as the binary logged them.
        let plain = serde_json::json!({"finalized_epoch":0,"finalized_root":"00".repeat(32),
            "fork_digest":"aabbccdd","head_root":"01".repeat(32),"head_slot":7});
        let prefixed = serde_json::json!({"fork_digest":"0xaabbccdd",
            "finalized_root":format!("0x{}", "00".repeat(32)),"finalized_epoch":0,
            "head_root":format!("0x{}", "01".repeat(32)),"head_slot":7,"new_key":1});
        let a = Status::from_field(&plain).unwrap();
        assert_eq!(a, Status::from_field(&prefixed).unwrap());
        assert_eq!(a.head_root, Root([1; 32]));
        let md =
            MetaData::from_field(&serde_json::json!({"attnets":"0100000000000080","seq_number":3}))
                .unwrap();
        assert_eq!(
            md,
            MetaData::from_field(
                &serde_json::json!({"seq_number":3,"attnets":"0x0100000000000080"})
            )
            .unwrap()
        );
        assert!(md.subscribed(0) && md.subscribed(63) && !md.subscribed(1));
        let req = BeaconBlocksByRangeRequest::from_field(
            &serde_json::json!({"start_slot":5,"count":"64","step":1}),
        )
        .unwrap();
        assert_eq!((req.start_slot, req.count, req.step), (5, 64, 1));
        let err = Status::from_field(&serde_json::json!({"head_slot": 1})).unwrap_err();
        assert!(err.contains("fork_digest"), "{err}");
        let err = MetaData::from_field(&serde_json::json!("0100")).unwrap_err();
        assert!(err.contains("expected metadata as a JSON object"), "{err}");
    }

    #[test]
    fn the_genesis_state_has_the_phase0_mainnet_size() {
        // 2,687,377 fixed bytes, one validator (121) and one balance (8).
        assert_eq!(genesis_state_ssz().len(), 2_687_377 + 121 + 8);
    }
}
