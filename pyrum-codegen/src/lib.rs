//! pyrum-codegen: reads `commands.toml`, the spec of Rumor's command tree, and generates
//! pyrum's typed Rust bindings.
//!
//! The pipeline is [`Spec::load`] (parse, then [`Spec::validate`]: every check the generator
//! relies on) → the IR (the route tree with resolved [`SpecType`]s and settled names) →
//! [`generate`] (tokens with syn and quote, formatted by prettyplease). `pyrum-commands/build.rs`
//! runs it into `OUT_DIR`; the `pyrum-codegen` binary runs it by hand (`generate`, `check`,
//! `list`), and `scan` compares the spec with a live Rumor binary's `help` tree (see [`scan()`]).
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

mod error;
mod gen;
mod ir;
mod list;
mod names;
mod scan;
mod spec;
pub mod types;
mod validate;

pub use error::{Error, SpecError, Unreviewed};
pub use gen::{generate, generate_tokens, Settings};
pub use list::{list, Listed};
pub use scan::{
    compare, genesis_state_ssz, known_routes, parse_usage, pflag_type_of, render_spec, scan,
    spec_type_of, update_spec, Diff, Drift, KnownExtra, KnownRoutes, ScanError, Scanned,
    ScannedCommand, Update, Usage, UsageArg, UsageFlag, UsageSub, KNOWN_ROUTES, SCAN_NAME, SETUP,
};
pub use spec::{ArgDef, CommandDef, DeadRoute, EnumDef, FlagDef, ResultDef, Spec, When};
pub use types::SpecType;
pub use validate::PLACEHOLDER;
