//! `/opt/resource/in DEST`: fetches one version into DEST.

fn main() -> std::process::ExitCode {
    uptick::main_with(uptick::run_in)
}
