//! Numbers written for people in reasons: what was meant, not the float's last bits.

use std::fmt;

/// Writes a number the way a person would: at most six significant digits (never more
/// than six decimals), trailing zeros and a trailing point dropped, no `-0`.
/// `Num(22.700000000000003)` is `22.7`, `Num(500.0)` is `500`, `Num(0.0005)` is `0.0005`.
#[derive(Debug, Clone, Copy)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.0;
        if !x.is_finite() {
            return write!(f, "{x}");
        }
        let magnitude = if x == 0.0 {
            0
        } else {
            x.abs().log10().floor() as i32
        };
        let decimals = (5 - magnitude).clamp(0, 6) as usize;
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.')
        } else {
            s.as_str()
        };
        f.write_str(if s == "-0" { "0" } else { s })
    }
}

#[cfg(test)]
mod tests {
    use super::Num;

    #[test]
    fn numbers_read_as_written() {
        let cases = [
            (22.700000000000003, "22.7"),
            (0.1 + 0.2, "0.3"),
            (500.0, "500"),
            (0.3, "0.3"),
            (0.0005, "0.0005"),
            (1234.5678, "1234.57"),
            (-0.0000001, "0"),
            (2.5, "2.5"),
            (574.0, "574"),
            (1.0e7, "10000000"),
        ];
        for (x, want) in cases {
            assert_eq!(Num(x).to_string(), want, "{x:?}");
        }
    }
}
