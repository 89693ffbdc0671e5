//! `/opt/resource/check`: emits image versions, oldest first.

fn main() -> std::process::ExitCode {
    uptick::main_with(uptick::run_check)
}
