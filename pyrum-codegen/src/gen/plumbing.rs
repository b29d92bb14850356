//! The plumbing every command shares, written once per generated file: the private helper that
//! starts a builder, and the `pyrum_command!` macro that gives a builder `send()` and its
//! `CommandSpec` and `IntoFuture` impls. What differs between commands (path, whether awaiting
//! gives the result or the open call, the handle, the step type) is the macro's input, one line
//! per command; the behaviour itself is pyrum-core's (`typed::CallFuture`, `typed::TypedCall`).

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ir::Leaf;

/// The helper and the macro as Rust source, formatted by hand (prettyplease does not format
/// macro bodies); `{core}` stands for the runtime crate's path.
const PLUMBING: &str = r#"/// A command's untyped builder on `actor`: its path words; long-running commands are cancelled
/// when their last handle drops.
fn pyrum_builder(actor: &{core}::Actor, path: &'static [&'static str], long_running: bool) -> {core}::typed::Builder {
    let command = {core}::Command::path(path).cancel_on_drop(long_running);
    {core}::typed::Builder::new(actor.clone(), command)
}

/// [`pyrum_builder`] for a path with words known only at run time (`blocks on {name} import`).
#[allow(dead_code)]
fn pyrum_builder_named(actor: &{core}::Actor, path: &[&str], long_running: bool) -> {core}::typed::Builder {
    let command = {core}::Command::new(path.iter().copied()).cancel_on_drop(long_running);
    {core}::typed::Builder::new(actor.clone(), command)
}

/// What every command shares: `send()`, and the `CommandSpec` and `IntoFuture` impls through
/// which pyrum-core runs it. `setup R`: awaiting gives the setup result `R`; `open R`: a
/// long-running command, awaiting gives the open call (`streams H`: the handle `H` with typed
/// background streams; `step S`: steps give `S`); `untyped`: a command not reviewed yet.
macro_rules! pyrum_command {
    ($b:ident, $path:literal, setup $r:ty) => {
        pyrum_command!(@impl $b, $path, false, $r, $r, {core}::typed::TypedCall<Self>, [] {
            fn complete(_: {core}::typed::TypedCall<Self>, setup: {core}::Output) -> {core}::Result<$r> {
                {core}::typed::FromOutput::from_output(&setup)
            }
        });
    };
    ($b:ident, $path:literal, open $r:ty $(, step $s:ty)?) => {
        pyrum_command!(@impl $b, $path, true, $r, {core}::typed::TypedCall<Self>, {core}::typed::TypedCall<Self>, [$($s)?] {
            fn complete(handle: {core}::typed::TypedCall<Self>, _: {core}::Output) -> {core}::Result<{core}::typed::TypedCall<Self>> {
                Ok(handle)
            }
        });
    };
    ($b:ident, $path:literal, open $r:ty, streams $h:ident $(, step $s:ty)?) => {
        pyrum_command!(@impl $b, $path, true, $r, $h, $h, [$($s)?] {
            fn complete(handle: {core}::typed::TypedCall<Self>, _: {core}::Output) -> {core}::Result<$h> {
                Ok($h(handle))
            }
        });
    };
    ($b:ident, $path:literal, untyped) => {
        pyrum_command!(@impl $b, $path, true, {core}::Output, {core}::Output, {core}::Call, [] {
            fn complete(_: {core}::typed::TypedCall<Self>, setup: {core}::Output) -> {core}::Result<{core}::Output> {
                Ok(setup)
            }
        });
    };
    (@impl $b:ident, $path:literal, $long:literal, $r:ty, $out:ty, $h:ty, [$($s:ty)?] { $($complete:tt)* }) => {
        impl $b {
            /// Sends the command; the open call, without waiting for setup.
            pub fn send(self) -> {core}::typed::SendFuture<Self> {
                {core}::typed::SendFuture::new(self)
            }
        }

        impl {core}::typed::CommandSpec for $b {
            type Result = $r;
            type Output = $out;
            type Handle = $h;
            const PATH: &'static str = $path;
            const LONG_RUNNING: bool = $long;
            fn builder(&self) -> &{core}::typed::Builder {
                &self.0
            }
            fn into_builder(self) -> {core}::typed::Builder {
                self.0
            }
            $($complete)*
        }

        $(impl {core}::typed::Steppable for $b {
            type Step = $s;
        })?

        impl ::std::future::IntoFuture for $b {
            type Output = {core}::Result<$out>;
            type IntoFuture = {core}::typed::CallFuture<Self>;
            fn into_future(self) -> Self::IntoFuture {
                {core}::typed::CallFuture::new(self)
            }
        }
    };
}
"#;

impl Gen<'_> {
    /// The helper and the macro, as formatted source (empty when the spec has no commands).
    pub(super) fn plumbing_text(&self) -> String {
        if !self.ir.has_leaves() {
            return String::new();
        }
        let text = PLUMBING.replace("{core}", &self.settings.core_path);
        if self.settings.docs {
            text
        } else {
            text.lines()
                .filter(|l| !l.trim_start().starts_with("///"))
                .map(|l| format!("{l}\n"))
                .collect()
        }
    }

    /// The macro call for a leaf.
    pub(super) fn command_macro(&self, leaf: &Leaf) -> TokenStream {
        let (b, path) = (&leaf.builder, leaf.shown());
        let (r, h, s) = (&leaf.result, &leaf.handle, &leaf.step);
        let step = (leaf.cmd.steppable).then(|| quote!(, step #s));
        if !self.typed(leaf) {
            quote!(pyrum_command!(#b, #path, untyped);)
        } else if !leaf.cmd.long_running {
            quote!(pyrum_command!(#b, #path, setup #r);)
        } else if leaf.streams.is_empty() {
            quote!(pyrum_command!(#b, #path, open #r #step);)
        } else {
            quote!(pyrum_command!(#b, #path, open #r, streams #h #step);)
        }
    }
}
