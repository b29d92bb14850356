//! `pyrum-codegen`: generate, check, list and scan pyrum's bindings from `commands.toml`.
//!
//! The generator itself is the `pyrum-codegen` library (what build scripts use); this crate is
//! its command line, with `scan`, which drives a live Rumor through pyrum-core.

mod list;
mod scan;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use list::list;
use pyrum_codegen::{generate, Error, Settings, Spec};
use scan::{compare, render_spec, scan, update_spec};

/// Generate, check, list and scan pyrum's typed bindings from commands.toml.
#[derive(Parser)]
#[command(name = "pyrum-codegen", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write the generated Rust to a file.
    Generate {
        /// The spec.
        #[arg(long, default_value = "commands.toml")]
        spec: PathBuf,
        /// Where to write the Rust source.
        #[arg(long)]
        out: PathBuf,
    },
    /// Validate the spec and that it generates code that parses.
    Check {
        /// The spec.
        #[arg(long, default_value = "commands.toml")]
        spec: PathBuf,
    },
    /// List every leaf command.
    List {
        /// The spec.
        #[arg(long, default_value = "commands.toml")]
        spec: PathBuf,
        /// Print a JSON array: {"path", "args", "flags", "long_running", "steppable", "results"}.
        #[arg(long)]
        json: bool,
    },
    /// Compare the spec with a live Rumor binary's `help` tree; exit 1 on drift.
    ///
    /// Starts `BINARY bare --level=trace`, creates the state routes need (host, ENR, peerstore,
    /// blocks/states DBs, a chain), asks `help` of every route and leaf, and prints what
    /// differs: commands added or removed; positionals and flags added, removed, or with
    /// another type, default or help. Routes that `help` does not list are the spec's commands
    /// with `advertised = false` and the --probe paths; listed words that do not route are the
    /// spec's `[[dead_route]]`s. With --write the spec is updated in place instead (results,
    /// long_running, steppable, notes and variadic positionals are kept; new and changed
    /// commands get `review = true`) and the exit code is 0.
    Scan {
        /// The Rumor binary.
        #[arg(long, value_name = "BINARY")]
        rumor: PathBuf,
        /// The spec.
        #[arg(long, default_value = "commands.toml")]
        spec: PathBuf,
        /// Update the spec in place.
        #[arg(long)]
        write: bool,
        /// Also ask `help` of this route, which `help` does not list (words separated by
        /// spaces, `{name}` for a runtime word, e.g. "peer connectall"); repeatable.
        #[arg(long, value_name = "PATH")]
        probe: Vec<String>,
    },
}

fn load(path: &std::path::Path) -> Result<Spec, ExitCode> {
    Spec::load(path).map_err(|e| {
        match e {
            Error::Spec(errors) => {
                for e in &errors {
                    eprintln!("error: {e}");
                }
                eprintln!("{} problem(s) in {}", errors.len(), path.display());
            }
            other => eprintln!("error: {other}"),
        }
        ExitCode::from(1)
    })
}

fn run(cli: Cli) -> Result<(), ExitCode> {
    match cli.command {
        Cmd::Generate { spec, out } => {
            let spec = load(&spec)?;
            let code = generate(&spec, &Settings::default()).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(1)
            })?;
            std::fs::write(&out, code).map_err(|e| {
                eprintln!("error: cannot write {}: {e}", out.display());
                ExitCode::from(1)
            })?;
            eprintln!("wrote {} ({} commands)", out.display(), spec.commands.len());
        }
        Cmd::Check { spec: path } => {
            let spec = load(&path)?;
            generate(&spec, &Settings::default()).map_err(|e| {
                eprintln!("error: {e}");
                ExitCode::from(1)
            })?;
            let flags: usize = spec.commands.iter().map(|c| c.flags.len()).sum();
            let args: usize = spec.commands.iter().map(|c| c.args.len()).sum();
            let results: usize = spec.commands.iter().map(|c| c.results.len()).sum();
            let review = spec.commands.iter().filter(|c| c.review).count();
            println!(
                "{}: ok: {} commands, {args} positionals, {flags} flags, {results} result fields (Rumor {})",
                path.display(),
                spec.commands.len(),
                spec.rumor_version
            );
            if review > 0 {
                println!("{review} command(s) are marked `review = true`: fill in their results and long_running, then remove the mark");
            }
        }
        Cmd::Scan {
            rumor,
            spec: path,
            write,
            probe,
        } => {
            let probes: Vec<Vec<String>> = probe
                .iter()
                .map(|p| p.split_whitespace().map(str::to_string).collect())
                .collect();
            return run_scan(&rumor, &path, write, &probes);
        }
        Cmd::List { spec, json } => {
            let spec = load(&spec)?;
            let listed = list(&spec);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&listed).expect("plain data serializes")
                );
            } else {
                for c in listed {
                    let mut marks = Vec::new();
                    if c.long_running {
                        marks.push("long-running");
                    }
                    if c.steppable {
                        marks.push("steppable");
                    }
                    println!(
                        "{}{}{}",
                        c.path.join(" "),
                        c.args.iter().map(|a| format!(" <{a}>")).collect::<String>(),
                        if marks.is_empty() {
                            String::new()
                        } else {
                            format!("  [{}]", marks.join(", "))
                        }
                    );
                }
            }
        }
    }
    Ok(())
}

/// `scan`: 0 without drift (or after --write), 1 on drift, 2 when the scan cannot run.
fn run_scan(
    rumor: &Path,
    path: &Path,
    write: bool,
    probes: &[Vec<String>],
) -> Result<(), ExitCode> {
    let fail = |msg: String| {
        eprintln!("error: {msg}");
        ExitCode::from(2)
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| fail(format!("cannot read {}: {e}", path.display())))?;
    let spec = Spec::parse(&text, &path.display().to_string()).map_err(|errors| {
        for e in &errors {
            eprintln!("error: {e}");
        }
        ExitCode::from(2)
    })?;
    let scanned = scan(rumor, &spec, probes).map_err(|e| fail(e.to_string()))?;
    let diff = compare(&spec, &scanned);
    print!("{diff}");
    let summary = format!(
        "{} leaf commands in the binary, {} in {} ({} help calls in {:.2}s)",
        scanned.commands.len(),
        spec.commands.len(),
        path.display(),
        scanned.calls,
        scanned.elapsed.as_secs_f64(),
    );
    if diff.is_empty() {
        println!("no drift: {summary}");
        return Ok(());
    }
    println!("{} difference(s): {summary}", diff.drifts.len());
    if !write {
        println!("run with --write to update {}", path.display());
        return Err(ExitCode::from(1));
    }
    let (new, up) = update_spec(&spec, &scanned);
    let out = render_spec(&text, &spec, &new).map_err(fail)?;
    std::fs::write(path, out).map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "updated {}: {} command(s) changed, {} added (marked `review = true`), {} removed",
        path.display(),
        up.changed.len(),
        up.added.len(),
        up.removed.len()
    );
    if !up.unknown_types.is_empty() {
        println!(
            "pflag type(s) without a row in the type table, written as `string` (commands marked for review): {}",
            up.unknown_types.join(", ")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
