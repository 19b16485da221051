//! `firelight`: the tutorial's MNIST workflow from the command line.
mod bench;
mod cli;
mod data_cmd;
mod dataset;
mod digit_grid;
mod error;
mod eval;
mod fit;
mod image_io;
mod interrupt;
mod models;
mod plot;
mod predict;
mod progress;
mod run_dir;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    // Mesa's Vulkan device-select layer prints a warning line on machines without a
    // desktop session; we order adapters ourselves, so it is turned off (before any
    // thread starts, so setting the variable is sound).
    if std::env::var_os("NODEVICE_SELECT").is_none() {
        // SAFETY: no other thread exists yet to read the environment concurrently.
        unsafe { std::env::set_var("NODEVICE_SELECT", "1") };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    // The library panics on misuse (shapes, dtypes). We validate up front, but a panic that
    // still slips through must read as one line, not a backtrace.
    std::panic::set_hook(Box::new(|_| {}));
    let outcome = std::panic::catch_unwind(|| run(cli));
    match outcome {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {}", error::one_line(&e.0));
            ExitCode::FAILURE
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown panic");
            // `firelight eval | head`: the reader left; that is not an error worth a line.
            if msg.starts_with("failed printing to stdout") {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: internal error: {}", error::one_line(msg));
            ExitCode::FAILURE
        }
    }
}

/// A command that printed its own lines may still end with a status other than success:
/// `fit` stopped by Ctrl-C (130), `predict` with some unreadable pictures (1).
fn run(cli: Cli) -> error::Result<ExitCode> {
    let done = |r: error::Result<()>| r.map(|()| ExitCode::SUCCESS);
    match cli.command {
        Command::Fit(a) => fit::run(a),
        Command::Eval(a) => done(eval::run(a)),
        Command::Predict(a) => predict::run(a),
        Command::Data(a) => done(data_cmd::run(a)),
        Command::Bench(a) => done(bench::run(a)),
    }
}

/// Help and version print as clap wants; a usage mistake becomes one line on stderr.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        // Bare `firelight`: nothing was asked, so it is a usage mistake (clap prints this
        // help on stderr) and a script that forgot the subcommand must not see success.
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            // clap spreads one message over several lines (missing arguments, possible
            // values, tips) before its usage block; join them, drop the usage.
            let text = e.render().to_string();
            let message: Vec<&str> = text
                .lines()
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            let message = message.join(" ");
            eprintln!(
                "error: {} (see `{}`)",
                message.trim_start_matches("error: "),
                help_command()
            );
            ExitCode::from(2)
        }
    }
}

/// `firelight fit --help` when the mistake was in a subcommand's flags, where that help
/// lists them; `firelight --help` otherwise. Only `--help`/`--version` come before a
/// subcommand, so the first word without a dash is it (or a misspelt one).
fn help_command() -> String {
    use clap::CommandFactory;
    // args_os: a path that is not UTF-8 must not turn a usage line into a panic.
    let word = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .find(|a| !a.starts_with('-'));
    match word {
        Some(w) if Cli::command().find_subcommand(&w).is_some() => {
            format!("firelight {w} --help")
        }
        _ => "firelight --help".into(),
    }
}
