//! The `caplet` command. See `caplet --help`.
fn main() {
    std::process::exit(caplet::cli::main_with(std::env::args().skip(1)));
}
