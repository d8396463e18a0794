//! Checks of identifiers written in ledgers (CAS numbers, hazard category codes,
//! unified social credit codes) and the lists of vocabulary entries for messages.

/// Whether text is a CAS registry number in form (`7782-50-5`).
pub(crate) fn looks_like_cas(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && (2..=7).contains(&parts[0].len())
        && parts[1].len() == 2
        && parts[2].len() == 1
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a CAS number's check digit is right.
pub(crate) fn cas_checksum_ok(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    let Some((&check, body)) = digits.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1) * d)
        .sum();
    sum % 10 == check
}

/// Whether text is a GB 18218-2018 hazard category code (`W3`, `J1`, `W5.4`).
pub(crate) fn looks_like_category(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && matches!(b[0], b'W' | b'J' | b'w' | b'j')
        && b[1].is_ascii_digit()
        && s[1..].bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

/// Checks a 统一社会信用代码 (GB 32100-2015): 18 characters from the code alphabet, the
/// last one a check character over the first 17.
pub(crate) fn credit_code_problem(code: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let c: Vec<u8> = code.bytes().map(|b| b.to_ascii_uppercase()).collect();
    if c.len() != 18 {
        return Some(format!(
            "统一社会信用代码 {code:?} has {} characters, not 18",
            code.chars().count()
        ));
    }
    let mut sum = 0;
    for (i, b) in c[..17].iter().enumerate() {
        match ALPHABET.iter().position(|a| a == b) {
            Some(v) => sum += v as u32 * WEIGHTS[i],
            None => {
                return Some(format!(
                    "统一社会信用代码 {code:?} has {:?}, which codes do not use",
                    char::from(*b)
                ));
            }
        }
    }
    let expected = ALPHABET[((31 - sum % 31) % 31) as usize];
    (c[17] != expected).then(|| {
        format!(
            "统一社会信用代码 {code:?} fails its check character (expected {:?})",
            char::from(expected)
        )
    })
}

/// The English key and Chinese name of every entry of a vocabulary, for messages.
pub(crate) fn allowed_list<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|&v| format!("{} ({})", key(v), zh(v)))
        .collect::<Vec<_>>()
        .join(", ")
}
