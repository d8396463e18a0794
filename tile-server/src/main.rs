//! `riskmap` — analyse safety-supervision ledgers, export GeoJSON, serve the risk map.

fn main() -> std::process::ExitCode {
    riskmap_server::cli::run()
}
