//! `pyrum-codegen`: generate, check and list pyrum's bindings from `commands.toml`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyrum_codegen::{generate, list, Settings, Spec};

/// Generate, check and list pyrum's typed bindings from commands.toml.
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
}

fn load(path: &std::path::Path) -> Result<Spec, ExitCode> {
    Spec::load(path).map_err(|errors| {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!("{} problem(s) in {}", errors.len(), path.display());
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

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}
