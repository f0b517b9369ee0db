//! The `host` binary: see `host --help`.

fn main() -> std::process::ExitCode {
    trawl_host::cli::main()
}
