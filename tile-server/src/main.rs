//! `riskmap` — analyse safety-supervision ledgers, export GeoJSON, serve the risk map.

// See the workspace manifest for why (BENCHMARKS.md, "Ten million houses").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    riskmap_server::cli::run()
}
