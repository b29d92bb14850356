//! `#[pyrum::test]`: the attribute behind pyrum's scenario tests. Use it through the `pyrum`
//! crate (`#[pyrum::test]`); the expansion calls `pyrum::testing`, where the runtime lives.
#![warn(missing_docs)]

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{quote, quote_spanned, ToTokens};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, ExprArray, FnArg, Ident, ItemFn, Lit, LitBool, LitStr, Pat, ReturnType, Type};

/// The default of `timeout`, in seconds (the runtime's `pyrum::testing::DEFAULT_TIMEOUT`).
const DEFAULT_TIMEOUT_SECS: u64 = 60;

/// A scenario test on a Rumor of its own: `#[pyrum::test]` or
/// `#[pyrum::test(actors = ["alice", "bob"], connected, timeout = "30s")]` on an `async fn`.
///
/// What the test gets:
///
/// - **Its own Rumor**: a `rumor bare` child (found like `Rumor::spawn` finds it: `RUMOR_BIN`,
///   the cache of `scripts/install-rumor`, `PATH`), so tests run in parallel without seeing each
///   other. No Rumor is a failure (under `CI=true` and everywhere else), never a skip.
/// - **Parameters by name**: `rumor: Rumor` is the connection; every other parameter takes the
///   actor of its name (`-` and `.` in an actor name become `_`; a leading `_` is allowed, for
///   an actor the body does not use: `_carol: Actor`).
/// - **`actors = ["a", "b", ...]`**: each actor has a started host (`host start`) listening on
///   loopback (`host listen --ip=127.0.0.1 --tcp=0`; `host view` knows the real address).
/// - **`connected`**: the actors form a line, each dialling the next (`a → b → c`: a and c are
///   not connected), and the body starts only once every connection shows in `peer list` on
///   both ends.
/// - **`timeout = "30s"`** (default 60 s; units `ms`, `s`, `m`, `h`, combinable as `"1m30s"`):
///   the limit for setup and body together. Past it the test fails with the calls still pending
///   and the last lines Rumor wrote.
/// - **A leak check**: after the body returns, every call still running in Rumor (`calls` of
///   every actor) fails the test and is cancelled. A call whose last handle the body dropped
///   is being cancelled (pyrum cancels long-running calls on drop) and is no leak; a call meant
///   to run on is exempted with `call.detach()` (`notify.call().detach()` on a typed handle).
/// - **A transcript on failure**: the session (every line sent and received, in
///   `pyrum::replay`'s format) is kept in `target/pyrum-transcripts/<crate>.<test path>.jsonl`
///   when the test fails (error, panic, timeout, leak), and the failure says how to replay it
///   offline (`PYRUM_REPLAY=<transcript> cargo test ... --exact`); on success it is deleted.
///
/// The function returns nothing, or `Result<(), E>` with `E: Display` (`pyrum::Result<()>`).
/// The body runs on a current-thread tokio runtime, as `#[tokio::test]`'s does: `tokio::spawn`
/// works; a body that blocks the thread cannot be stopped by the timeout.
///
/// Checked at compile time, with the error at the mistake: an unknown option, an actor name
/// Rumor cannot take, a parameter that names no actor, an actor no parameter takes (an error:
/// take it as `_name: Actor` if the body does not need it), a function that is not `async`,
/// a return type other than the above.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = TokenStream2::from(item);
    match expand(args.into(), item.clone()) {
        Ok(tokens) => tokens.into(),
        Err(e) => {
            // The errors, and the function as written (async, never run), so that its body is
            // still checked and its imports count as used: no follow-up noise.
            let mut out = e.to_compile_error();
            if let Ok(mut func) = syn::parse2::<ItemFn>(item) {
                func.attrs.clear();
                func.sig.asyncness.get_or_insert_with(Default::default);
                out.extend(quote!(#[allow(dead_code)] #func));
            }
            out.into()
        }
    }
}

/// One actor of `actors = [...]`.
struct ActorOpt {
    name: String,
    /// The parameter name it maps to (`node-1` -> `node_1`).
    param: String,
    span: Span,
}

#[derive(Default)]
struct Options {
    actors: Option<(Vec<ActorOpt>, Span)>,
    connected: Option<(bool, Span)>,
    timeout_ms: Option<u64>,
}

const OPTIONS: &str = "`actors = [\"alice\", ...]`, `connected`, `timeout = \"30s\"`";

fn parse_options(args: TokenStream2) -> syn::Result<Options> {
    let mut opts = Options::default();
    let parser = syn::meta::parser(|meta| {
        let duplicate = || meta.error("this option is given twice");
        if meta.path.is_ident("actors") {
            if opts.actors.is_some() {
                return Err(duplicate());
            }
            let array: ExprArray = meta.value()?.parse()?;
            let mut actors: Vec<ActorOpt> = Vec::new();
            for elem in &array.elems {
                let lit = match elem {
                    Expr::Lit(syn::ExprLit {
                        lit: Lit::Str(s), ..
                    }) => s,
                    other => {
                        return Err(syn::Error::new(
                            other.span(),
                            "actor names are string literals: `actors = [\"alice\", \"bob\"]`",
                        ))
                    }
                };
                let actor = check_actor(lit)?;
                if let Some(same) = actors.iter().find(|a| a.param == actor.param) {
                    let msg = if same.name == actor.name {
                        format!("actor `{}` is listed twice", actor.name)
                    } else {
                        format!(
                            "actors `{}` and `{}` would both be the parameter `{}`",
                            same.name, actor.name, actor.param
                        )
                    };
                    return Err(syn::Error::new(lit.span(), msg));
                }
                actors.push(actor);
            }
            opts.actors = Some((actors, meta.path.span()));
        } else if meta.path.is_ident("connected") {
            if opts.connected.is_some() {
                return Err(duplicate());
            }
            let on = if meta.input.peek(syn::Token![=]) {
                meta.value()?.parse::<LitBool>()?.value
            } else {
                true
            };
            opts.connected = Some((on, meta.path.span()));
        } else if meta.path.is_ident("timeout") {
            if opts.timeout_ms.is_some() {
                return Err(duplicate());
            }
            let lit: LitStr = meta.value()?.parse()?;
            let ms = parse_duration(&lit.value()).map_err(|why| {
                syn::Error::new(
                    lit.span(),
                    format!("{why}: write a duration like \"30s\", \"500ms\", \"2m\" or \"1m30s\""),
                )
            })?;
            opts.timeout_ms = Some(ms);
        } else {
            let name = meta.path.to_token_stream().to_string().replace(' ', "");
            return Err(meta.error(format!(
                "unknown option `{name}` of #[pyrum::test]; the options are {OPTIONS}"
            )));
        }
        Ok(())
    });
    parser.parse2(args)?;
    if let Some((true, span)) = opts.connected {
        let n = opts.actors.as_ref().map_or(0, |(a, _)| a.len());
        if n < 2 {
            return Err(syn::Error::new(
                span,
                "`connected` connects the actors to each other: it needs at least two in `actors = [...]`",
            ));
        }
    }
    Ok(opts)
}

/// The rules of `pyrum_core::quote::check_actor_name`, plus: the name must be a parameter name.
fn check_actor(lit: &LitStr) -> syn::Result<ActorOpt> {
    let name = lit.value();
    let reason = if name.is_empty() {
        Some("is empty; Rumor needs a non-empty actor name".to_string())
    } else if name.ends_with(':') {
        Some("ends with ':', which Rumor would read as part of the actor prefix".into())
    } else if name.len() > 256 {
        Some("is longer than 256 bytes".into())
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        Some("may only use ASCII letters, digits, '-', '_' and '.'".into())
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(syn::Error::new(
            lit.span(),
            format!("invalid actor name {name:?}: it {reason}"),
        ));
    }
    let param: String = name
        .chars()
        .map(|c| if c == '-' || c == '.' { '_' } else { c })
        .collect();
    if param == "rumor" {
        return Err(syn::Error::new(
            lit.span(),
            "an actor cannot be named `rumor`: the parameter `rumor` is the Rumor connection",
        ));
    }
    if syn::parse_str::<Ident>(&param).is_err() || param == "_" {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "actor name {name:?} cannot be a parameter name (`{param}` is not a Rust identifier); \
                 pick a name that starts with a letter"
            ),
        ));
    }
    Ok(ActorOpt {
        name,
        param,
        span: lit.span(),
    })
}

/// `30s`, `500ms`, `2m`, `1h`, `1m30s` in milliseconds.
fn parse_duration(text: &str) -> Result<u64, String> {
    let mut total: u64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err("the timeout is empty".into());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("{text:?} is not a duration"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?} is too long a duration"))?;
        rest = &rest[digits..];
        let unit = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let factor = match &rest[..unit] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "" => return Err(format!("{text:?} has a number without a unit")),
            other => return Err(format!("{text:?} has the unknown unit `{other}`")),
        };
        rest = &rest[unit..];
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{text:?} is too long a duration"))?;
    }
    if total == 0 {
        return Err("a timeout of zero would fail every test".into());
    }
    Ok(total)
}

/// What a parameter takes.
enum Takes {
    Rumor,
    Actor(String),
}

fn expand(args: TokenStream2, item: TokenStream2) -> syn::Result<TokenStream2> {
    let opts = parse_options(args);
    let func: ItemFn = syn::parse2(item)?;
    let opts = opts?;
    let mut errors: Vec<syn::Error> = Vec::new();
    let sig = &func.sig;

    if sig.asyncness.is_none() {
        errors.push(syn::Error::new(
            sig.fn_token.span(),
            "#[pyrum::test] needs an `async fn`: the body awaits Rumor's answers",
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push(syn::Error::new(
            sig.generics.span(),
            "a #[pyrum::test] function cannot be generic",
        ));
    }
    for bad in [
        sig.constness.map(|t| t.span()),
        match &sig.safety {
            syn::Safety::Unsafe(t) => Some(t.span()),
            _ => None,
        },
        sig.abi.as_ref().map(|a| a.span()),
        sig.variadic.as_ref().map(|v| v.span()),
    ]
    .into_iter()
    .flatten()
    {
        errors.push(syn::Error::new(
            bad,
            "a #[pyrum::test] function is a plain `async fn`",
        ));
    }
    let wrong_return = match &sig.output {
        ReturnType::Default => None,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => None,
            Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Result") => None,
            other => Some(other.span()),
        },
    };
    if let Some(span) = wrong_return {
        errors.push(syn::Error::new(
            span,
            "a #[pyrum::test] returns nothing or a `Result<(), E>` with `E: Display`, such as `pyrum::Result<()>`",
        ));
    }

    let actors: &[ActorOpt] = opts.actors.as_ref().map_or(&[], |(a, _)| a.as_slice());
    let mut taken: Vec<Option<Span>> = vec![None; actors.len()];
    let mut rumor_taken: Option<Span> = None;
    let mut call_args: Vec<TokenStream2> = Vec::new();
    for arg in &sig.inputs {
        let pat_type = match arg {
            FnArg::Receiver(r) => {
                errors.push(syn::Error::new(
                    r.span(),
                    "a #[pyrum::test] function takes no `self`",
                ));
                continue;
            }
            FnArg::Typed(p) => p,
        };
        let ident = match &*pat_type.pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => &p.ident,
            other => {
                errors.push(syn::Error::new(
                    other.span(),
                    "parameters of a #[pyrum::test] are plain names: `rumor` or the name of an actor",
                ));
                continue;
            }
        };
        let name = ident.to_string();
        let takes = if name == "rumor" || name == "_rumor" {
            Some(Takes::Rumor)
        } else {
            actors
                .iter()
                .position(|a| a.param == name)
                .or_else(|| {
                    name.strip_prefix('_')
                        .and_then(|n| actors.iter().position(|a| a.param == n))
                })
                .map(|i| Takes::Actor(actors[i].name.clone()))
        };
        let ty = &pat_type.ty;
        match takes {
            Some(Takes::Rumor) => {
                if rumor_taken.replace(ident.span()).is_some() {
                    errors.push(syn::Error::new(
                        ident.span(),
                        "the Rumor connection is taken by two parameters",
                    ));
                }
                call_args.push(quote_spanned! {ty.span()=>
                    ::pyrum::testing::Session::rumor(&__pyrum_session)
                });
            }
            Some(Takes::Actor(actor)) => {
                let i = actors.iter().position(|a| a.name == actor).unwrap_or(0);
                if taken[i].replace(ident.span()).is_some() {
                    errors.push(syn::Error::new(
                        ident.span(),
                        format!("actor `{actor}` is taken by two parameters"),
                    ));
                }
                call_args.push(quote_spanned! {ty.span()=>
                    ::pyrum::testing::Session::actor(&__pyrum_session, #actor)
                });
            }
            None => {
                let known = if actors.is_empty() {
                    "this test has no actors (add `actors = [...]` to the attribute)".to_string()
                } else {
                    format!(
                        "the actors are {}",
                        actors
                            .iter()
                            .map(|a| format!("`{}`", a.param))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                errors.push(syn::Error::new(
                    ident.span(),
                    format!(
                        "parameter `{name}` names no actor: parameters are `rumor: Rumor` or actors of `actors = [...]`, and {known}"
                    ),
                ));
            }
        }
    }
    for (actor, by) in actors.iter().zip(&taken) {
        if by.is_none() {
            errors.push(syn::Error::new(
                actor.span,
                format!(
                    "actor `{}` is taken by no parameter: add `{}: Actor` (or `_{}: Actor` if the body does not use it)",
                    actor.name, actor.param, actor.param
                ),
            ));
        }
    }
    let mut errors = errors.into_iter();
    if let Some(mut first) = errors.next() {
        for e in errors {
            first.combine(e);
        }
        return Err(first);
    }

    let attrs = &func.attrs;
    let vis = &func.vis;
    let name = &sig.ident;
    let name_str = name.to_string();
    let names = actors.iter().map(|a| &a.name);
    let connected = opts.connected.is_some_and(|(on, _)| on);
    let timeout_ms = opts.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_SECS * 1000);
    let result_span = match &sig.output {
        ReturnType::Default => sig.ident.span(),
        ReturnType::Type(_, ty) => ty.span(),
    };
    // The result is checked at the return type: the error of a wrong one points there.
    let result = Ident::new("__pyrum_result", result_span);
    let into_result = quote_spanned! {result_span=>
        ::pyrum::testing::TestResult::into_test_result(#result)
    };
    let inner = {
        let mut inner = func.clone();
        inner.attrs.clear();
        inner.vis = syn::Visibility::Inherited;
        inner
    };
    // The runner lives outside the `#[test]` function, which exists only when compiling tests:
    // so every build type-checks the parameters and the return type.
    let runner = quote::format_ident!("__pyrum_test_{}", name);
    Ok(quote! {
        #(#attrs)*
        #[::core::prelude::v1::test]
        #vis fn #name() {
            #runner()
        }

        #[doc(hidden)]
        #[allow(dead_code, non_snake_case)]
        fn #runner() {
            #inner
            ::pyrum::testing::Scenario::new(::core::concat!(::core::module_path!(), "::", #name_str))
                .actors(&[#(#names),*])
                .connected(#connected)
                .timeout(::core::time::Duration::from_millis(#timeout_ms))
                .cargo_context(
                    ::core::env!("CARGO_MANIFEST_DIR"),
                    ::core::env!("CARGO_PKG_NAME"),
                    ::core::option_env!("CARGO_TARGET_TMPDIR"),
                )
                .run_test(|__pyrum_session: ::pyrum::testing::Session| async move {
                    let #result = #name(#(#call_args),*).await;
                    #into_result
                })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[::core::prelude::v1::test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(30_000));
        assert_eq!(parse_duration("500ms"), Ok(500));
        assert_eq!(parse_duration("1m30s"), Ok(90_000));
        assert_eq!(parse_duration("2h"), Ok(7_200_000));
        for bad in ["", "30", "s", "3 s", "1d", "0s", "99999999999999999999h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }

    fn actor(name: &str) -> Result<String, String> {
        check_actor(&LitStr::new(name, Span::call_site()))
            .map(|a| a.param)
            .map_err(|e| e.to_string())
    }

    #[::core::prelude::v1::test]
    fn actor_names_follow_rumor_and_rust() {
        assert_eq!(actor("alice"), Ok("alice".into()));
        assert_eq!(actor("node-1.a"), Ok("node_1_a".into()));
        for bad in ["", "a:", "a b", "ä", "1st", "rumor", "-", "fn"] {
            assert!(actor(bad).is_err(), "{bad:?}");
        }
    }
}
