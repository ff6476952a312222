//! Splits an RFC 1035 master file into logical lines of tokens.
//!
//! A logical line runs across newlines inside parentheses; comments are
//! dropped; quoted strings and backslash escapes are kept verbatim so that
//! `domain`'s record parser sees exactly what the file said. Each line keeps
//! the number of the physical line where it starts, which is the line an
//! error about that record names.

use std::borrow::Cow;

/// One token, verbatim (escapes and quotes kept), borrowed from the input
/// unless it had to be put together (`$GENERATE`, `key="value"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    pub text: Cow<'a, [u8]>,
    pub quoted: bool,
}

impl Token<'_> {
    pub fn as_str_lossy(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }

    /// Case-insensitive comparison with an ASCII keyword.
    pub fn is(&self, word: &str) -> bool {
        !self.quoted && self.text.eq_ignore_ascii_case(word.as_bytes())
    }
}

/// A logical line: a record or a directive.
#[derive(Clone, Debug)]
pub struct Line<'a> {
    /// 1-based physical line where the logical line starts.
    pub line: usize,
    /// The line starts with white space: the owner is the previous one.
    pub blank_owner: bool,
    pub tokens: Vec<Token<'a>>,
}

/// A lexical error at a physical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub line: usize,
    pub reason: String,
}

/// Octets that may stand in a word as they are: not white space, a
/// delimiter, a quote, a backslash or a control character.
pub(super) static PLAIN: [bool; 256] = {
    let mut t = [true; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = false;
        c += 1;
    }
    t[0x7f] = false;
    t[b' ' as usize] = false;
    t[b';' as usize] = false;
    t[b'(' as usize] = false;
    t[b')' as usize] = false;
    t[b'"' as usize] = false;
    t[b'\\' as usize] = false;
    t
};

pub struct Lexer<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
    /// `src` is the whole rest of the input; otherwise it is a piece that
    /// ends in a newline and more may follow.
    last: bool,
}

impl<'a> Lexer<'a> {
    pub fn new(src: &'a [u8]) -> Self {
        Lexer {
            src,
            pos: 0,
            line: 1,
            last: true,
        }
    }

    /// Lexes a piece of a file that starts at physical line `line`; `last`
    /// unless more follows. A piece that is not the last must end in a
    /// newline: a logical line can then be cut only inside parentheses,
    /// and [`Lexer::next_line`] stops before such a line (see
    /// [`Lexer::consumed`]).
    pub fn piece(src: &'a [u8], line: usize, last: bool) -> Self {
        Lexer {
            src,
            pos: 0,
            line,
            last,
        }
    }

    /// How much of the piece has been lexed, and the physical line there.
    pub fn consumed(&self) -> (usize, usize) {
        (self.pos, self.line)
    }

    fn err(&self, line: usize, reason: impl Into<String>) -> LexError {
        LexError {
            line,
            reason: reason.into(),
        }
    }

    /// The next physical line and its number, when it is words of plain
    /// octets with one space between each, from its first octet to its
    /// newline: no quote, escape, parenthesis, comment, tab, `@` or `$`.
    /// Such a line is its own tokens joined by spaces, so a record in it
    /// that is already in the normal form may be copied as it is. The
    /// lexer does not move: [`Lexer::skip_line`] moves past the line.
    pub fn plain_line(&self) -> Option<(&'a [u8], usize)> {
        let rest = &self.src[self.pos..];
        let line = &rest[..memchr::memchr(b'\n', rest)?];
        let (&first, &last) = (line.first()?, line.last()?);
        // Each check one pass without an early exit, so that it is
        // vectorised: this looks at every octet of the file.
        let bad = line.iter().fold(false, |bad, &c| {
            bad | (c < 0x20)
                | (c == 0x7f)
                | matches!(c, b';' | b'(' | b')' | b'"' | b'\\' | b'@' | b'$')
        });
        let two_spaces = line
            .iter()
            .zip(&line[1..])
            .fold(false, |two, (&a, &b)| two | (a == b' ' && b == b' '));
        let plain = first != b' ' && last != b' ' && !bad && !two_spaces;
        plain.then_some((line, self.line))
    }

    /// Moves past the line [`Lexer::plain_line`] gave.
    pub fn skip_line(&mut self, line: &[u8]) {
        self.pos += line.len() + 1;
        self.line += 1;
    }

    /// The next non-empty logical line, or `None` at the end of the input.
    pub fn next_line(&mut self) -> Result<Option<Line<'a>>, LexError> {
        let mut line = Line {
            line: 0,
            blank_owner: false,
            tokens: Vec::new(),
        };
        Ok(self.next_line_into(&mut line)?.then_some(line))
    }

    /// [`Lexer::next_line`] into `line`, whose token vector is reused:
    /// `false` at the end of the input.
    pub fn next_line_into(&mut self, line: &mut Line<'a>) -> Result<bool, LexError> {
        let entry = (self.pos, self.line);
        let tokens = &mut line.tokens;
        tokens.clear();
        let mut depth = 0usize;
        let mut paren_line = 0;
        let mut start_line = self.line;
        let mut blank_owner = false;
        let mut at_line_start = true;
        while self.pos < self.src.len() {
            let c = self.src[self.pos];
            if at_line_start && tokens.is_empty() && depth == 0 {
                start_line = self.line;
                blank_owner = c == b' ' || c == b'\t';
            }
            at_line_start = false;
            match c {
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                    at_line_start = true;
                    if depth == 0 && !tokens.is_empty() {
                        line.line = start_line;
                        line.blank_owner = blank_owner;
                        return Ok(true);
                    }
                }
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b';' => {
                    self.pos += memchr::memchr(b'\n', &self.src[self.pos..])
                        .unwrap_or(self.src.len() - self.pos);
                }
                b'(' => {
                    if depth == 0 {
                        paren_line = self.line;
                    }
                    depth += 1;
                    self.pos += 1;
                }
                b')' => {
                    if depth == 0 {
                        return Err(self.err(self.line, "unbalanced parentheses: ')' without '('"));
                    }
                    depth -= 1;
                    self.pos += 1;
                }
                b'"' => tokens.push(self.quoted()?),
                _ => {
                    // Built in its slot: a token returned from `word` was
                    // copied through the stack, a store-forwarding stall
                    // that took a third of the lexer's time.
                    let start = self.pos;
                    let text = match self.word()? {
                        None => Cow::Borrowed(&self.src[start..self.pos]),
                        Some(joined) => Cow::Owned(joined),
                    };
                    tokens.push(Token {
                        text,
                        quoted: false,
                    });
                }
            }
        }
        if depth > 0 && !self.last {
            // Cut inside parentheses: the rest comes with the next piece.
            (self.pos, self.line) = entry;
            tokens.clear();
            return Ok(false);
        }
        if depth > 0 {
            return Err(self.err(
                paren_line,
                format!(
                    "unbalanced parentheses: the file ends (line {}) inside the '(' opened here",
                    self.line
                ),
            ));
        }
        line.line = start_line;
        line.blank_owner = blank_owner;
        Ok(!tokens.is_empty())
    }

    /// Checks the escape starting at `self.pos` (a backslash) and returns its length.
    fn escape_len(&self) -> Result<usize, LexError> {
        let rest = &self.src[self.pos + 1..];
        match rest.first() {
            None => Err(self.err(self.line, "bad escape: '\\' at the end of the file")),
            Some(d) if d.is_ascii_digit() => {
                if rest.len() < 3 || !rest[..3].iter().all(u8::is_ascii_digit) {
                    return Err(self.err(self.line, "bad escape: \\DDD needs three digits"));
                }
                let v = (rest[0] - b'0') as u32 * 100
                    + (rest[1] - b'0') as u32 * 10
                    + (rest[2] - b'0') as u32;
                if v > 255 {
                    return Err(self.err(
                        self.line,
                        format!("bad escape: \\{v} is not an octet value (0-255)"),
                    ));
                }
                Ok(4)
            }
            Some(b'\n') => Err(self.err(self.line, "bad escape: '\\' at the end of a line")),
            Some(_) => Ok(2),
        }
    }

    /// Moves past a word; returns its text only where it had to be put
    /// together (`key="value"`), else it is the octets passed over.
    fn word(&mut self) -> Result<Option<Vec<u8>>, LexError> {
        let start = self.pos;
        loop {
            // Plain octets, the bulk of every word, in a tight loop.
            self.pos += self.src[self.pos..]
                .iter()
                .position(|&c| !PLAIN[c as usize])
                .unwrap_or(self.src.len() - self.pos);
            let Some(&c) = self.src.get(self.pos) else {
                break;
            };
            match c {
                b'"' if self.pos > start && self.src[self.pos - 1] == b'=' => {
                    // `key="value"` (SVCB parameters) is one token.
                    let quoted = self.quoted()?;
                    let mut text = self.src[start..self.pos - quoted.text.len()].to_vec();
                    text.extend_from_slice(&quoted.text);
                    return Ok(Some(text));
                }
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'(' | b')' | b'"' => break,
                b'\\' => self.pos += self.escape_len()?,
                c => {
                    return Err(self.err(
                        self.line,
                        format!("invalid character 0x{c:02x} (not a master file?)"),
                    ));
                }
            }
        }
        Ok(None)
    }

    fn quoted(&mut self) -> Result<Token<'a>, LexError> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.src.get(self.pos) {
                None | Some(b'\n') => {
                    return Err(self.err(self.line, "unterminated quoted string"));
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => self.pos += self.escape_len()?,
                Some(_) => self.pos += 1,
            }
        }
        Ok(Token {
            text: Cow::Borrowed(&self.src[start..self.pos]),
            quoted: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(src: &str) -> Vec<(usize, bool, Vec<String>)> {
        let mut lx = Lexer::new(src.as_bytes());
        let mut out = Vec::new();
        while let Some(l) = lx.next_line().unwrap() {
            out.push((
                l.line,
                l.blank_owner,
                l.tokens.iter().map(Token::as_str_lossy).collect(),
            ));
        }
        out
    }

    #[test]
    fn parentheses_comments_quotes() {
        let got = lines("; c\n@ SOA a b (\n 1 ; x\n 2 )\n  TXT \"a;b\" \\; c\n");
        assert_eq!(got[0].0, 2);
        assert_eq!(got[0].2, ["@", "SOA", "a", "b", "1", "2"]);
        assert_eq!(got[1].0, 5);
        assert!(got[1].1);
        assert_eq!(got[1].2, ["TXT", "\"a;b\"", "\\;", "c"]);
    }

    /// Words end at every delimiter; `key="value"` is one token; a
    /// control character is an error naming its line.
    #[test]
    fn words_delimiters_and_control_characters() {
        let got = lines("a\tb\r\nc(d)e;f\ns key=\"v w\" \"q\"x\n");
        assert_eq!(got[0].2, ["a", "b"]);
        assert_eq!(got[1].2, ["c", "d", "e"]);
        assert_eq!(got[2].2, ["s", "key=\"v w\"", "\"q\"", "x"]);
        let mut lx = Lexer::new(b"a A 1\nb\x01c A 1\n");
        lx.next_line().unwrap();
        let e = lx.next_line().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.reason.contains("0x01"), "{}", e.reason);
    }

    #[test]
    fn errors_name_the_line() {
        let mut lx = Lexer::new(b"a A 1\nb TXT \"open\n");
        lx.next_line().unwrap();
        assert_eq!(lx.next_line().unwrap_err().line, 2);
        let mut lx = Lexer::new(b"a\\256 A 1\n");
        assert!(lx.next_line().unwrap_err().reason.contains("256"));
        let mut lx = Lexer::new(b"\n\n@ SOA ( 1\n 2\n");
        assert_eq!(lx.next_line().unwrap_err().line, 3);
    }
}
