//! pyrum-codegen: reads `commands.toml`, the spec of Rumor's command tree, and generates
//! pyrum's typed Rust bindings.
//!
//! The pipeline is [`Spec::load`] (parse, then [`Spec::validate`]: every check the generator
//! relies on) → the IR (the route tree with resolved [`SpecType`]s and settled names) →
//! [`generate`] (tokens with syn and quote, formatted by prettyplease). This crate is what a
//! build script needs and nothing more (no command line, no Rumor client): `pyrum-commands`
//! runs it from its `build.rs`. The `pyrum-codegen` command (crate `pyrum-codegen-cli`) runs it
//! by hand (`generate`, `check`, `list`) and compares a spec with a live Rumor (`scan`).
//!
//! ```
//! use pyrum_codegen::{generate, Settings, Spec};
//! let spec = Spec::parse(r#"
//!     rumor_version = "v0.3.6"
//!     [[command]]
//!     path = ["host", "view"]
//!     [[command.result]]
//!     key = "peer_id"
//!     type = "peer_id"
//! "#, "inline").unwrap();
//! let code = generate(&spec, &Settings::default()).unwrap();
//! assert!(code.contains("pub struct HostViewResult"));
//! ```
#![warn(missing_docs)]

mod builder;
mod error;
mod gen;
mod ir;
mod names;
mod roundtrip;
mod spec;
pub mod types;
mod validate;

pub use builder::Builder;
pub use error::{Error, SpecError, Unreviewed};
pub use gen::{generate, generate_tokens, Settings};
pub use roundtrip::{round_trips, RoundTrip};
pub use spec::{
    ArgDef, CommandDef, DeadRoute, EnumDef, FlagDef, RecordDef, RecordField, ResultDef, Spec, When,
};
pub use types::SpecType;
pub use validate::PLACEHOLDER;
