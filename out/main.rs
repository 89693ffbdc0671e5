//! `/opt/resource/out SRC`: pushes or promotes an image and prints the version.

fn main() -> std::process::ExitCode {
    uptick::main_with(uptick::run_out)
}
