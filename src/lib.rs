//! uptick: a Concourse resource type for images, upstream packages, versioned tags and promotion.

#![warn(unreachable_pub)]

// The library's API: the three commands (`run_check`, `run_in`, `run_out`, `main_with`), the
// wire types and their JSON Schemas. `testing` is what the tests and fuzz targets reach inside.
pub mod protocol;
pub mod schema;
#[doc(hidden)]
pub mod testing;

pub(crate) mod digest;
pub(crate) mod fsutil;
pub(crate) mod image;
pub(crate) mod log;
pub(crate) mod login;
pub(crate) mod net;
pub(crate) mod packages;
pub(crate) mod registry;
pub(crate) mod resolve;
pub(crate) mod rsa;
pub(crate) mod versions;

use resolve::Request;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// `check`: request on `stdin`, versions (oldest first) on `stdout`.
pub fn run_check(
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    _args: &[String],
) -> anyhow::Result<()> {
    match resolve::check(stdin)? {
        Request::Package((plan, cursor)) => {
            let versions = packages::check(&plan.source, cursor)?;
            protocol::write_json(stdout, &versions)?;
        }
        Request::Image((plan, cursor)) => {
            image::check::validate(&plan)?;
            let versions = net::block_on(async move {
                let target = image::Target::connect(&plan).await?;
                image::check::check(&plan, &target, cursor).await
            })?;
            protocol::write_json(stdout, &versions)?;
        }
    }
    Ok(())
}

/// `in DEST`: request on `stdin`, files into `DEST`, `{version, metadata}` on `stdout`.
pub fn run_in(stdin: &mut dyn Read, stdout: &mut dyn Write, args: &[String]) -> anyhow::Result<()> {
    match resolve::get(stdin)? {
        Request::Package((plan, version, params)) => {
            let dest = destination(args)?;
            let response = packages::get(&plan.source, version, params.download.as_deref(), &dest)?;
            protocol::write_json(stdout, &response)?;
        }
        Request::Image((plan, version, params)) => {
            let dest = destination(args)?;
            // `get` hands layers to blocking threads that read bodies while this thread drives.
            let response = net::block_on(async {
                let target = image::Target::connect(&plan).await?;
                image::get::get(&plan, &target, version, &params, &dest).await
            })?;
            protocol::write_json(stdout, &response)?;
        }
    }
    Ok(())
}

/// `out SRC`: request on `stdin`, image from `SRC`, `{version, metadata}` on `stdout`.
pub fn run_out(
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    args: &[String],
) -> anyhow::Result<()> {
    let (plan, params) = resolve::put(stdin)?;
    let sources = args
        .get(1)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("sources path not specified (usage: out SRC)"))?;
    let response = net::block_on(async {
        let target = image::Target::connect(&plan).await?;
        image::put::put(&plan, target, &params, &sources).await
    })?;
    protocol::write_json(stdout, &response)?;
    Ok(())
}

fn destination(args: &[String]) -> anyhow::Result<PathBuf> {
    let dest = args
        .get(1)
        .ok_or_else(|| anyhow::anyhow!("destination path not specified (usage: in DEST)"))?;
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest)
        .map_err(|e| anyhow::anyhow!("cannot create destination {}: {e}", dest.display()))?;
    Ok(dest)
}

/// The signature every command has: stdin, stdout, argv.
pub type Command = fn(&mut dyn Read, &mut dyn Write, &[String]) -> anyhow::Result<()>;

/// An error message as one line: control characters (a field name holding a newline, say)
/// are written as escapes (found by the `request` fuzz target).
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A panic anywhere (the command, or a thread reading a body) ends the run as any failure does:
/// one `error:` line on stderr (scrubbed like every line), exit status 1. The release profile has
/// `panic = "abort"`, so nothing unwinds to a `catch_unwind`: the hook itself ends the process.
fn end_the_run_on_panic() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        log::info(format_args!(
            "error: the command stopped unexpectedly{place}"
        ));
        std::process::exit(1);
    }));
}

/// The multi-call binary: the command the process was started as (`check`, `in`, `out`: the
/// resource image links all three to one binary), run as [`main_with`] runs it.
pub fn main_by_name() -> ExitCode {
    let name = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    match name.as_str() {
        "check" => main_with(run_check),
        "in" => main_with(run_in),
        "out" => main_with(run_out),
        other => {
            log::info(format_args!(
                "error: started as `{other}`; link this binary as check, in or out"
            ));
            ExitCode::FAILURE
        }
    }
}

/// Runs a command with the process's stdin/stdout/args; an error is one line on stderr, exit 1.
/// The command runs on this (the main) thread, which also drives a current-thread tokio
/// runtime whenever the command waits for requests: no thread hands work to another for a
/// request. Blocking work (extraction, hashing) runs on the runtime's blocking pool.
pub fn main_with(command: Command) -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::info(format_args!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    net::install_runtime(runtime);
    end_the_run_on_panic();
    let result = {
        let mut stdin = std::io::stdin().lock();
        let mut stdout = std::io::stdout().lock();
        command(&mut stdin, &mut stdout, &args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::info(format_args!("error: {}", one_line(&format!("{e:#}"))));
            ExitCode::FAILURE
        }
    }
}
