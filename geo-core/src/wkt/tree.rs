//! The bracketed WKT grammar of coordinate reference systems, read into a generic tree:
//! `KEYWORD[arg, arg, …]` (or with round brackets), where an argument is quoted text, a
//! number, a bare word such as WKT2's `north`, or another keyword node.
//!
//! ```
//! use riskmap_core::wkt::{self, Value};
//! let node = wkt::parse(r#"UNIT["metre",1,AUTHORITY["EPSG","9001"]]"#)?;
//! assert_eq!(node.keyword, "UNIT");
//! assert_eq!(node.name(), Some("metre"));
//! assert_eq!(node.number(1), Some(1.0));
//! assert!(matches!(&node.args[2], Value::Node(n) if n.keyword == "AUTHORITY"));
//! # Ok::<(), wkt::ParseError>(())
//! ```

use super::scan::{Scanner, Spaces, WordChars, starts_number};

/// One argument of a WKT node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Quoted text, with doubled quotes `""` read as one.
    Text(String),
    /// A number.
    Number(f64),
    /// An unquoted enumeration value such as WKT2's `north` or `Cartesian`.
    Word(String),
    /// A nested node.
    Node(Node),
}

/// A WKT node: a keyword and its bracketed arguments, e.g. `PARAMETER["False_Easting",0]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The keyword as written (WKT keywords compare case-insensitively).
    pub keyword: String,
    /// The arguments in order.
    pub args: Vec<Value>,
}

impl Node {
    /// The first argument when it is quoted text: the name of most WKT nodes.
    pub fn name(&self) -> Option<&str> {
        match self.args.first() {
            Some(Value::Text(s)) => Some(s),
            _ => None,
        }
    }

    /// The arguments that are nodes, in order.
    pub fn children(&self) -> impl Iterator<Item = &Node> {
        self.args.iter().filter_map(|a| match a {
            Value::Node(n) => Some(n),
            _ => None,
        })
    }

    /// The first child node with one of these keywords (compared case-insensitively).
    pub fn child(&self, keywords: &[&str]) -> Option<&Node> {
        self.children()
            .find(|n| keywords.iter().any(|k| n.keyword.eq_ignore_ascii_case(k)))
    }

    /// Argument `i` as a number: a number, or quoted text that reads as one (as in
    /// `AUTHORITY["EPSG","4326"]`).
    pub fn number(&self, i: usize) -> Option<f64> {
        match self.args.get(i) {
            Some(Value::Number(v)) => Some(*v),
            Some(Value::Text(s)) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Why WKT text could not be read as a tree of nodes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {position}")]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// Where, as a byte offset counted from 0.
    pub position: usize,
}

/// Deeper nesting than any real CRS has; stops hostile input from exhausting the stack.
const MAX_DEPTH: usize = 32;

/// Reads WKT text that is one node, such as a whole `PROJCS[…]`; spaces around it are
/// allowed, other text after it is not.
pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut p = TreeParser {
        s: Scanner::new(text, Spaces::Unicode),
        depth: 0,
    };
    p.s.skip_spaces();
    let word = p.s.word(WordChars::AlphanumericOrUnderscore);
    if word.is_empty() {
        return Err(p.error("expected a WKT keyword such as PROJCS or GEOGCS"));
    }
    let node = p.node(word.to_string())?;
    p.s.skip_spaces();
    if !p.s.at_end() {
        return Err(p.error("unexpected text after the end of the WKT"));
    }
    Ok(node)
}

struct TreeParser<'a> {
    s: Scanner<'a>,
    depth: usize,
}

impl TreeParser<'_> {
    fn error(&self, what: &str) -> ParseError {
        ParseError {
            message: what.to_string(),
            position: self.s.pos(),
        }
    }

    /// The bracketed arguments of `keyword`, from its opening bracket.
    fn node(&mut self, keyword: String) -> Result<Node, ParseError> {
        self.s.skip_spaces();
        let close = match self.s.peek() {
            Some('[') => ']',
            Some('(') => ')',
            _ => return Err(self.error(&format!("expected '[' after {keyword}"))),
        };
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("WKT nested too deeply"));
        }
        self.s.advance(1);
        let mut args = Vec::new();
        loop {
            self.s.skip_spaces();
            if args.is_empty() && self.s.eat(close) {
                break;
            }
            args.push(self.value()?);
            self.s.skip_spaces();
            match self.s.peek() {
                Some(',') => self.s.advance(1),
                Some(c) if c == close => {
                    self.s.advance(1);
                    break;
                }
                Some(_) => {
                    return Err(self.error(&format!("expected ',' or '{close}' in {keyword}")));
                }
                None => return Err(self.error(&format!("unclosed {keyword}"))),
            }
        }
        self.depth -= 1;
        Ok(Node { keyword, args })
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        match self.s.peek() {
            Some('"') => match self.s.quoted() {
                Some(text) => Ok(Value::Text(text)),
                None => Err(self.error("unclosed quoted text")),
            },
            Some(c) if starts_number(c) => {
                let text = self.s.number();
                text.parse()
                    .map(Value::Number)
                    .map_err(|_| self.error(&format!("{text:?} is not a number")))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let word = self.s.word(WordChars::AlphanumericOrUnderscore);
                self.s.skip_spaces();
                if matches!(self.s.peek(), Some('[' | '(')) {
                    Ok(Value::Node(self.node(word.to_string())?))
                } else {
                    Ok(Value::Word(word.to_string()))
                }
            }
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end of text")),
        }
    }
}
