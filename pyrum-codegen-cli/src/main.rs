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
        /// The binary's Rumor release, for `rumor_version` (default: read from the Go build
        /// info in the binary).
        #[arg(long, value_name = "TAG")]
        rumor_version: Option<String>,
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

/// Generates, or prints why not (naming the spec file) and exits 1.
fn generate_from(spec: &Spec, path: &Path) -> Result<String, ExitCode> {
    generate(spec, &Settings::default()).map_err(|e| {
        match e {
            Error::Unreviewed { commands, .. } => eprintln!(
                "error: {}",
                Error::Unreviewed {
                    origin: path.display().to_string(),
                    commands
                }
            ),
            other => eprintln!("error: {other}"),
        }
        ExitCode::from(1)
    })
}

fn run(cli: Cli) -> Result<(), ExitCode> {
    match cli.command {
        Cmd::Generate { spec: path, out } => {
            let spec = load(&path)?;
            let code = generate_from(&spec, &path)?;
            std::fs::write(&out, code).map_err(|e| {
                eprintln!("error: cannot write {}: {e}", out.display());
                ExitCode::from(1)
            })?;
            eprintln!("wrote {} ({} commands)", out.display(), spec.commands.len());
        }
        Cmd::Check { spec: path } => {
            let spec = load(&path)?;
            generate_from(&spec, &path)?;
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
                println!("{review} command(s) are marked `review = true` and generated untyped (the spec sets allow_unreviewed)");
            }
        }
        Cmd::Scan {
            rumor,
            spec: path,
            write,
            probe,
            rumor_version,
        } => {
            let probes: Vec<Vec<String>> = probe
                .iter()
                .map(|p| p.split_whitespace().map(str::to_string).collect())
                .collect();
            return run_scan(&rumor, &path, write, &probes, rumor_version.as_deref());
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
    version: Option<&str>,
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
    let scanned = scan(rumor, &spec, probes, version).map_err(|e| fail(e.to_string()))?;
    let diff = compare(&spec, &scanned);
    print!("{diff}");
    let summary = format!(
        "{} leaf commands in the binary (Rumor {}), {} in {} ({} help calls in {:.2}s)",
        scanned.commands.len(),
        scanned.version.as_deref().unwrap_or("of unknown version"),
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
    let (new, up) = update_spec(&spec, &scanned, scanned.version.as_deref());
    let out = render_spec(&text, &spec, &new).map_err(fail)?;
    std::fs::write(path, out).map_err(|e| fail(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "updated {}: {} command(s) changed and {} added (marked `review = true`), {} removed; {} dead route(s) added, {} removed; rumor_version {}",
        path.display(),
        up.changed.len(),
        up.added.len(),
        up.removed.len(),
        up.dead_added.len(),
        up.dead_removed.len(),
        new.rumor_version,
    );
    if scanned.version.is_none() {
        println!("the binary's Rumor release is unknown (no Go build info names it): rumor_version was kept; pass --rumor-version to set it");
    }
    let unreviewed = new.unreviewed();
    if !unreviewed.is_empty() {
        println!("to review before the bindings build (then delete each `review = true`):");
        for u in &unreviewed {
            println!("  {u}");
        }
    }
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
