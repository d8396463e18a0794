//! `riskmap-afl TARGET`: one fuzz target of `riskmap-fuzz` under AFL++ (built with
//! `cargo afl build`, run by `scripts/fuzz.sh`). Run outside AFL it reads one input from
//! standard input, which replays a crash: `riskmap-afl geojson < crash-file`.

use riskmap_fuzz::Target;

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(target) = Target::from_name(&name) else {
        let names: Vec<&str> = Target::ALL.iter().map(|t| t.name()).collect();
        eprintln!(
            "usage: riskmap-afl TARGET < input\ntargets: {}",
            names.join(", ")
        );
        std::process::exit(2);
    };
    target.prepare();
    afl::fuzz!(|data: &[u8]| {
        let _ = target.run(data);
    });
}
