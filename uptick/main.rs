//! One multi-call binary for the resource image: `/opt/resource/{check,in,out}` are links to it,
//! and the name it is started under picks the command.

fn main() -> std::process::ExitCode {
    uptick::main_by_name()
}
