//! Structure-aware mutation of valid inputs for the short fuzz run: a seeded generator
//! (the same seed gives the same inputs on every machine) and edits that break text
//! formats the way real files break — cut short, a byte flipped, a number replaced by
//! `NaN`, `1e400` or a string, brackets and quotes added or lost, a BOM or GBK bytes
//! inserted, two inputs spliced.

/// A small, fast, seeded generator (xorshift64*): no dependency, same stream everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; 0 is moved off the fixed point).
    pub fn new(seed: u64) -> Rng {
        Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Text that replaces a number or is inserted: what breaks readers of numbers and types.
const TOKENS: &[&str] = &[
    "NaN",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "-inf",
    "nan",
    "1e400",
    "-1e400",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "4.9e-324",
    "0",
    "-0",
    "200",
    "-91",
    "3530250.5",
    "610690",
    "18446744073709551616",
    "-9223372036854775809",
    "null",
    "true",
    "\"121.1,31.9\"",
    "\"\"",
    "[]",
    "{}",
    "[[]]",
    "[[[]]]",
    "[0,0]",
    "[1e400,1e400]",
    "[121.17]",
    "[121.17,31.89,5,6,7]",
    "\"Point\"",
    "\"Polygon\"",
    "\"GeometryCollection\"",
    "7",
    ",",
    "\"",
    "'",
    "\n",
    "\r\n",
    "\t",
    ";",
    "|",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    "=",
    "EMPTY",
    "POINT (0 0)",
    "POLYGON ((0 0, 1 1, 1 0, 0 1, 0 0))",
    "SRID=3857;",
    "121°10'12\"",
    "北纬31°53′24″",
    "中压A",
    "\u{FEFF}",
    "\u{FFFD}",
    "\\u0000",
    "\\ud800",
];

/// Byte sequences that are not text in the expected encoding.
const RAW: &[&[u8]] = &[
    &[0xEF, 0xBB, 0xBF],
    &[0xFF, 0xFE],
    &[0xFE, 0xFF],
    &[0xB1, 0xE0, 0xBA, 0xC5],
    &[0xC0],
    &[0xFF],
    &[0x00],
    &[0xE4, 0xB8],
    &[0x80, 0x80, 0x80],
];

/// Where the numbers are in `s`: runs of digits with their sign, dot and exponent.
fn number_spans(s: &[u8]) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii_digit() {
            let mut a = i;
            if a > 0 && s[a - 1] == b'-' {
                a -= 1;
            }
            let mut b = i;
            while b < s.len() && (s[b].is_ascii_digit() || matches!(s[b], b'.' | b'e' | b'E')) {
                b += 1;
            }
            spans.push((a, b));
            i = b;
        } else {
            i += 1;
        }
    }
    spans
}

/// Positions of the bytes in `s` that are one of `set`.
fn positions(s: &[u8], set: &[u8]) -> Vec<usize> {
    s.iter()
        .enumerate()
        .filter(|(_, b)| set.contains(b))
        .map(|(i, _)| i)
        .collect()
}

/// One edit of `v`; `other` is another seed to splice with.
fn edit(rng: &mut Rng, v: &mut Vec<u8>, other: &[u8]) {
    let len = v.len();
    match rng.below(12) {
        // Cut short.
        0 => v.truncate(rng.below(len + 1)),
        // A byte flipped, or a bit.
        1 if len > 0 => {
            let i = rng.below(len);
            v[i] = if rng.below(2) == 0 {
                rng.next_u64() as u8
            } else {
                v[i] ^ (1 << rng.below(8))
            };
        }
        // A number replaced by a token.
        2 | 3 => {
            let spans = number_spans(v);
            if spans.is_empty() {
                return;
            }
            let (a, b) = *rng.pick(&spans);
            let t = rng.pick(TOKENS).as_bytes();
            v.splice(a..b, t.iter().copied());
        }
        // A token inserted.
        4 => {
            let i = rng.below(len + 1);
            let t = rng.pick(TOKENS).as_bytes();
            v.splice(i..i, t.iter().copied());
        }
        // Raw bytes inserted (a BOM, GBK, broken UTF-8).
        5 => {
            let i = if rng.below(3) == 0 {
                0
            } else {
                rng.below(len + 1)
            };
            let t = *rng.pick(RAW);
            v.splice(i..i, t.iter().copied());
        }
        // A range deleted.
        6 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            v.drain(a..b);
        }
        // A range duplicated (a feature twice, a repeated id).
        7 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            let chunk: Vec<u8> = v[a..b].to_vec();
            let at = rng.below(len + 1);
            v.splice(at..at, chunk);
        }
        // A structural character removed or doubled.
        8 => {
            let ps = positions(v, b"{}[](),\"':;=\n");
            if ps.is_empty() {
                return;
            }
            let i = *rng.pick(&ps);
            if rng.below(2) == 0 {
                v.remove(i);
            } else {
                let c = v[i];
                v.insert(i, c);
            }
        }
        // Spliced with another input.
        9 if !other.is_empty() => {
            let a = rng.below(len + 1);
            let b = rng.below(other.len() + 1);
            v.truncate(a);
            v.extend_from_slice(&other[b..]);
        }
        // A whole value swapped for a different type: the text between two structural
        // characters replaced by a token.
        10 => {
            let ps = positions(v, b"{}[],:\n");
            if ps.len() < 2 {
                return;
            }
            let i = rng.below(ps.len() - 1);
            let (a, b) = (ps[i] + 1, ps[i + 1]);
            let t = rng.pick(TOKENS).as_bytes();
            v.splice(a..b, t.iter().copied());
        }
        // A huge run (deep nesting, a long line).
        11 => {
            let i = rng.below(len + 1);
            let c = *rng.pick(b"[{(0,\"a");
            let n = 1 + rng.below(2000);
            v.splice(i..i, std::iter::repeat_n(c, n));
        }
        _ => {}
    }
}

/// A mutant of `seed`: one to four edits, splicing with `other`.
pub fn mutate(rng: &mut Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        edit(rng, &mut v, other);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_mutants() {
        let seed = br#"{"type":"Point","coordinates":[121.17,31.89]}"#;
        let run = |s| {
            let mut r = Rng::new(s);
            (0..50)
                .map(|_| mutate(&mut r, seed, b"x,y"))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
    }

    #[test]
    fn numbers_are_found_with_their_sign_and_exponent() {
        let s = b"[-121.5,3e5] x9";
        let spans: Vec<&[u8]> = number_spans(s).iter().map(|&(a, b)| &s[a..b]).collect();
        assert_eq!(spans, vec![&b"-121.5"[..], &b"3e5"[..], &b"9"[..]]);
    }
}
