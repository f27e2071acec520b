//! The `caplet` command. See `caplet --help`.

// mimalloc rather than the system allocator: `caplet serve` allocates on its
// request threads and frees on its worker and store threads, the pattern glibc's
// allocator handles worst (benches/notes.md, "caplet serve under load").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(caplet::cli::main_with(std::env::args().skip(1)));
}
