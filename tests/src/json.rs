//! A JSON parser that keeps key order and duplicate keys and accepts what
//! Python's `json.loads` accepts (NaN and Infinity included), because the
//! skeleton rules decide "is this JSON" the way the reference checker does.

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Object(Vec<(String, Node)>),
    Array(Vec<Node>),
    Str(String),
    /// numbers, booleans and null: only their presence matters here
    Other,
}

/// The document, or None when the text is not exactly one JSON value
/// (surrounded by JSON whitespace at most).
pub fn parse(text: &str) -> Option<Node> {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
        text,
        depth: 0,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    (p.i == p.b.len()).then_some(v)
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
    text: &'a str,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.b.len() && b" \t\n\r".contains(&self.b[self.i]) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.b[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Option<Node> {
        match *self.b.get(self.i)? {
            b'{' => self.nested(Self::object),
            b'[' => self.nested(Self::array),
            b'"' => self.string().map(Node::Str),
            _ => {
                for lit in ["true", "false", "null", "NaN", "Infinity", "-Infinity"] {
                    if self.eat(lit) {
                        return Some(Node::Other);
                    }
                }
                self.number()
            }
        }
    }

    /// Python gives up (RecursionError) on very deep nesting; so do we.
    fn nested(&mut self, f: fn(&mut Self) -> Option<Node>) -> Option<Node> {
        self.depth += 1;
        if self.depth > 900 {
            return None;
        }
        let v = f(self);
        self.depth -= 1;
        v
    }

    fn object(&mut self) -> Option<Node> {
        self.i += 1;
        let mut pairs = Vec::new();
        self.ws();
        if self.eat("}") {
            return Some(Node::Object(pairs));
        }
        loop {
            self.ws();
            if self.b.get(self.i) != Some(&b'"') {
                return None;
            }
            let k = self.string()?;
            self.ws();
            if !self.eat(":") {
                return None;
            }
            self.ws();
            let v = self.value()?;
            pairs.push((k, v));
            self.ws();
            if self.eat(",") {
                continue;
            }
            return self.eat("}").then_some(Node::Object(pairs));
        }
    }

    fn array(&mut self) -> Option<Node> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat("]") {
            return Some(Node::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(",") {
                continue;
            }
            return self.eat("]").then_some(Node::Array(items));
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.text.get(self.i..self.i + 4)?;
        if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(h, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.b.len() && !matches!(self.b[self.i], b'"' | b'\\' | 0..=0x1f) {
                self.i += 1;
            }
            out.push_str(&self.text[start..self.i]);
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = *self.b.get(self.i)?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\x08'),
                        b'f' => out.push('\x0c'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut u = self.hex4()?;
                            if (0xd800..0xdc00).contains(&u)
                                && self.text[self.i..].starts_with("\\u")
                            {
                                let save = self.i;
                                self.i += 2;
                                match self.hex4() {
                                    Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                                        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                                    }
                                    _ => self.i = save,
                                }
                            }
                            // a lone surrogate is valid for Python but not for Rust strings
                            out.push(char::from_u32(u).unwrap_or('\u{fffd}'));
                        }
                        _ => return None,
                    }
                }
                // control characters are not allowed inside strings
                _ => return None,
            }
        }
    }

    fn number(&mut self) -> Option<Node> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        self.eat("-");
        if self.eat("0") {
        } else if digits(self) == 0 {
            return None;
        }
        let before_frac = self.i;
        if self.eat(".") && digits(self) == 0 {
            // "1." is not a number: Python stops before the dot
            self.i = before_frac;
        }
        let before_exp = self.i;
        if self.eat("e") || self.eat("E") {
            if !self.eat("+") {
                self.eat("-");
            }
            if digits(self) == 0 {
                self.i = before_exp;
            }
        }
        (self.i > start).then_some(Node::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let n = parse(r#" {"b": 1, "a": [true, "x\u00e9"], "b": null} "#).unwrap();
        let Node::Object(p) = n else { panic!() };
        let keys: Vec<&str> = p.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert_eq!(
            p[1].1,
            Node::Array(vec![Node::Other, Node::Str("xé".into())])
        );
    }

    #[test]
    fn rejects_like_python() {
        assert!(parse("{} x").is_none());
        assert!(parse("[1,]").is_none());
        assert!(parse("\"a\nb\"").is_none());
        assert!(parse("[1.]").is_none());
        assert!(parse("[-0.5e+3, NaN]").is_some());
        assert!(parse("\u{feff}{}").is_none());
    }
}
