fn main() -> std::process::ExitCode {
    nrqc::cli::main()
}
