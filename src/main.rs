//! The `nrqc` command line; the library (`nrqc`) does the work and never prints.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
