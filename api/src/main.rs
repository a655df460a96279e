//! The `rapport` binary: a thin shell over [`rapport_api::cli`].

fn main() -> std::process::ExitCode {
    rapport_api::cli::main()
}
