//! The tokenizer both WKT grammars read through: a cursor over the text that skips
//! spaces and takes words, numbers, quoted text and punctuation on request.
//!
//! The grammar decides what it expects next (a keyword, a number, a bracket), so the
//! same characters can be read as a word by one rule and refused as a number by another,
//! and each grammar words its own errors. Positions are byte offsets into the text.

/// Which characters separate tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Spaces {
    /// Every Unicode white space (CRS WKT: `.prj` files come from many editors).
    Unicode,
    /// ASCII white space only (geometry WKT, as the simple-features standard has it).
    Ascii,
}

/// Which characters make up a word: a keyword, an enumeration value, a geometry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordChars {
    /// ASCII letters, digits and `_` (CRS keywords such as `TOWGS84`, `BASEGEOGCRS`).
    AlphanumericOrUnderscore,
    /// ASCII letters only (geometry types and their `Z`, `M`, `ZM`, `EMPTY`).
    Alphabetic,
}

impl WordChars {
    fn accepts(self, c: char) -> bool {
        match self {
            WordChars::AlphanumericOrUnderscore => c.is_ascii_alphanumeric() || c == '_',
            WordChars::Alphabetic => c.is_ascii_alphabetic(),
        }
    }
}

/// Whether `c` can be part of a number: digits, sign, decimal point, exponent.
pub(crate) fn is_number_char(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')
}

/// Whether `c` can start a number: a digit, a sign or a decimal point.
pub(crate) fn starts_number(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '.')
}

/// A cursor over WKT text.
#[derive(Debug, Clone)]
pub(crate) struct Scanner<'a> {
    text: &'a str,
    pos: usize,
    spaces: Spaces,
}

impl<'a> Scanner<'a> {
    /// A cursor at the start of `text`.
    pub(crate) fn new(text: &'a str, spaces: Spaces) -> Self {
        Scanner {
            text,
            pos: 0,
            spaces,
        }
    }

    /// The byte offset of the cursor.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Whether the whole text has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    /// The text not read yet.
    pub(crate) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    /// Moves the cursor `bytes` on; the caller keeps it on a character boundary.
    pub(crate) fn advance(&mut self, bytes: usize) {
        self.pos += bytes;
    }

    /// The next character, without skipping spaces.
    pub(crate) fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips spaces.
    pub(crate) fn skip_spaces(&mut self) {
        while let Some(c) = self.peek() {
            let space = match self.spaces {
                Spaces::Unicode => c.is_whitespace(),
                Spaces::Ascii => c.is_ascii_whitespace(),
            };
            if !space {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Takes `c` if it is the next character (spaces are not skipped).
    pub(crate) fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// Takes the longest run of word characters; empty when the next one is not one.
    pub(crate) fn word(&mut self, chars: WordChars) -> &'a str {
        self.run(|c| chars.accepts(c))
    }

    /// Takes the longest run of characters that can be part of a number (see
    /// [`is_number_char`]); the run need not be a valid number.
    pub(crate) fn number(&mut self) -> &'a str {
        self.run(is_number_char)
    }

    /// Takes quoted text from its opening `"` to its closing one, where a doubled `""`
    /// stands for one quote. `None` when the quote is never closed: the cursor is then at
    /// the end of the text.
    pub(crate) fn quoted(&mut self) -> Option<String> {
        self.eat('"');
        let mut s = String::new();
        loop {
            let c = self.peek()?;
            self.pos += c.len_utf8();
            if c == '"' {
                if !self.eat('"') {
                    return Some(s);
                }
                s.push('"');
            } else {
                s.push(c);
            }
        }
    }

    fn run(&mut self, accepts: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if !accepts(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        &self.text[start..self.pos]
    }
}
