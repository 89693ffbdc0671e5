//! One multi-call binary for the resource image: `/opt/resource/{check,in,out}` are links to it,
//! and the name it is started under picks the command.

fn main() -> std::process::ExitCode {
    let name = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    match name.as_str() {
        "check" => uptick::main_with(uptick::run_check),
        "in" => uptick::main_with(uptick::run_in),
        "out" => uptick::main_with(uptick::run_out),
        other => {
            uptick::log::info(format_args!(
                "error: started as `{other}`; link this binary as check, in or out"
            ));
            std::process::ExitCode::FAILURE
        }
    }
}
