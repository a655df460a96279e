//! The `rapport` binary: a thin shell over [`rapport_api::cli`].

/// mimalloc: a request allocates many small, short-lived buffers (JSON,
/// reasons, headers) across worker threads, where it beats glibc's malloc
/// (`bench/serve.sh` compares).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rapport_api::cli::main()
}
