//! `riskmap` — analyse safety-supervision ledgers, export GeoJSON, serve the risk map.

// See the workspace manifest for why (BENCHMARKS.md, "Ten million houses"); and
// `riskmap_server::pages` for why its memory comes in small pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    riskmap_server::pages::small_pages();
    riskmap_server::cli::run()
}
