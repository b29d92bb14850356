//! Typed eth2 (phase 0) req/resp payloads and their SSZ encoding (feature `ssz`, on by default).
//!
//! These are fixed-size containers of `uint64`s and byte vectors (and one list of roots), whose
//! SSZ encoding is the fields' bytes one after another, little-endian: a few lines, rather
//! than a dependency on a general SSZ library and its derive macros. The types and their
//! encoding live in `pyrum-types` ([`pyrum::types::ssz`](crate::types::ssz)), because typed
//! results use the same types: `peer status get` gives a [`Status`], `peer metadata get` a
//! [`MetaData`], `chain ... serve by-range` a [`BeaconBlocksByRangeRequest`]; this module
//! re-exports them and makes them req/resp [`Payload`]s.
//!
//! Each type goes where Rumor takes hex (`impl From<&Status> for HexBytes`) and comes back out of
//! the hex `data` Rumor logs ([`Status::from_hex`], or `data::<Status>()` on
//! [`Chunk`](crate::rpc::Chunk) and [`Request`](crate::rpc::Request)).
//!
//! ```
//! use pyrum::ssz::Status;
//! use pyrum::types::HexBytes;
//!
//! let status = Status { head_slot: 123, ..Default::default() };
//! let hex = status.to_hex();
//! assert_eq!(hex.len(), 2 * Status::SIZE);
//! assert!(hex.ends_with("7b00000000000000"));
//! assert_eq!(Status::from_hex(&hex)?, status);
//! let arg: HexBytes = (&status).into();               // what `rpc status req raw` takes
//! assert_eq!(arg.0.len(), 84);
//! # Ok::<(), pyrum::Error>(())
//! ```
//!
//! | method | request | response chunk |
//! |---|---|---|
//! | `rpc status` | [`Status`] | [`Status`] |
//! | `rpc ping` | [`Ping`] | [`Ping`] |
//! | `rpc metadata` | (empty) | [`MetaData`] |
//! | `rpc goodbye` | [`Goodbye`] | (none) |
//! | `rpc blocks-by-range` | [`BeaconBlocksByRangeRequest`] | a `SignedBeaconBlock` per chunk (bytes: [`HexBytes`](crate::types::HexBytes)) |
//! | `rpc blocks-by-root` | [`BeaconBlocksByRootRequest`] | a `SignedBeaconBlock` per chunk (bytes: [`HexBytes`](crate::types::HexBytes)) |

pub use pyrum_core::types::ssz::{
    genesis_state_ssz, BeaconBlocksByRangeRequest, BeaconBlocksByRootRequest, Decode, Encode,
    Goodbye, MetaData, Ping, Status,
};
use pyrum_core::Result;

use crate::rpc::Payload;

macro_rules! payload {
    ($($ty:ident),*) => {$(
        impl Payload for $ty {
            fn to_bytes(&self) -> Vec<u8> {
                $ty::to_bytes(self)
            }
            fn from_bytes(bytes: &[u8]) -> Result<Self> {
                $ty::from_bytes(bytes)
            }
        }
    )*};
}

payload!(
    Status,
    Ping,
    MetaData,
    Goodbye,
    BeaconBlocksByRangeRequest,
    BeaconBlocksByRootRequest
);

#[cfg(test)]
mod tests {
    use super::*;
    use pyrum_core::types::{HexBytes, Root};

    #[test]
    fn payloads_are_the_ssz_encoding() {
        let status = Status {
            head_slot: 123,
            ..Default::default()
        };
        assert_eq!(Payload::to_bytes(&status), status.as_ssz_bytes());
        assert_eq!(
            <Status as Payload>::from_bytes(&status.to_bytes()).unwrap(),
            status
        );
        let roots = BeaconBlocksByRootRequest::new(vec![Root([7; 32])]).unwrap();
        assert_eq!(Payload::to_bytes(&roots), HexBytes::from(&roots).0);
        assert!(<Ping as Payload>::from_bytes(&[0; 7]).is_err());
    }
}
