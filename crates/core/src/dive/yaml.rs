//! Just enough YAML for a `.dive-ci` file: block mappings and sequences, one-line flow
//! collections, plain and quoted scalars, comments. Anchors, tags and block scalars are
//! refused with a message rather than misread. Scalars are resolved as yaml.v3 (the parser
//! behind dive's viper) resolves them, then turned into the string viper hands to dive.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// A parsed YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum Yaml {
    /// `~`, `null`, or nothing.
    Null,
    /// A scalar: its text and whether it was quoted (a quoted scalar is always a string).
    Scalar {
        /// The text, escapes resolved.
        text: String,
        /// Quoted scalars are never numbers or booleans.
        quoted: bool,
    },
    /// A mapping, in document order.
    Map(Vec<(String, Yaml)>),
    /// A sequence.
    Seq(Vec<Yaml>),
}

/// A syntax error with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// Line of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl core::fmt::Display for YamlError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl core::error::Error for YamlError {}

struct Line<'a> {
    no: usize,
    indent: usize,
    text: &'a str,
}

/// Parses one YAML document.
///
/// # Errors
/// A construct outside the supported subset, or malformed YAML, with its line.
pub fn parse(src: &str) -> Result<Yaml, YamlError> {
    // A byte-order mark is not content (yaml.v3 skips it too).
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut lines = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let no = i + 1;
        let content = strip_comment(raw);
        let trimmed = content.trim_end();
        if trimmed.trim().is_empty() {
            continue;
        }
        let indent = trimmed.len() - trimmed.trim_start_matches(' ').len();
        if trimmed[indent..].starts_with('\t') {
            return Err(err(no, "tabs are not allowed for indentation"));
        }
        let text = &trimmed[indent..];
        if indent == 0 && (text == "---" || text.starts_with("--- ")) {
            if lines.is_empty() {
                let rest = text.trim_start_matches('-').trim();
                if rest.is_empty() {
                    continue;
                }
                lines.push(Line {
                    no,
                    indent: 0,
                    text: rest,
                });
                continue;
            }
            return Err(err(no, "only one YAML document is supported"));
        }
        if indent == 0 && text == "..." {
            break;
        }
        if text.starts_with('%') {
            return Err(err(no, "YAML directives are not supported"));
        }
        lines.push(Line { no, indent, text });
    }
    if lines.is_empty() {
        return Ok(Yaml::Null);
    }
    let mut pos = 0;
    let indent = lines.first().map_or(0, |l| l.indent);
    let v = block(&lines, &mut pos, indent)?;
    if let Some(l) = lines.get(pos) {
        return Err(err(l.no, "unexpected content (bad indentation?)"));
    }
    Ok(v)
}

fn err(line: usize, message: &str) -> YamlError {
    YamlError {
        line,
        message: message.into(),
    }
}

/// Removes a `#` comment that starts the line or follows whitespace, outside quotes.
fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match quote {
            Some(q) => {
                if c == b'\\' && q == b'"' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if c == b'#' && (i == 0 || matches!(b.get(i - 1), Some(b' ') | Some(b'\t'))) {
                    return &line[..i];
                }
                if (c == b'"' || c == b'\'')
                    && (i == 0
                        || matches!(
                            b.get(i - 1),
                            Some(b' ')
                                | Some(b'[')
                                | Some(b'{')
                                | Some(b',')
                                | Some(b':')
                                | Some(b'-')
                        ))
                {
                    quote = Some(c);
                }
            }
        }
        i += 1;
    }
    line
}

fn block(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Yaml, YamlError> {
    let Some(first) = lines.get(*pos) else {
        return Ok(Yaml::Null);
    };
    if is_seq_item(first.text) {
        let mut items = Vec::new();
        while let Some(l) = lines.get(*pos) {
            if l.indent != indent || !is_seq_item(l.text) {
                break;
            }
            let rest = l.text[1..].trim_start();
            *pos += 1;
            if rest.is_empty() {
                items.push(nested(lines, pos, indent)?);
            } else if split_key(rest).is_some() {
                // `- key: value` starts a mapping indented past the dash.
                let inner = l.indent + (l.text.len() - rest.len());
                let mut sub = alloc::vec![Line {
                    no: l.no,
                    indent: inner,
                    text: rest
                }];
                while let Some(n) = lines.get(*pos) {
                    if n.indent <= indent {
                        break;
                    }
                    sub.push(Line {
                        no: n.no,
                        indent: n.indent,
                        text: n.text,
                    });
                    *pos += 1;
                }
                let mut p = 0;
                let v = block(&sub, &mut p, inner)?;
                if let Some(x) = sub.get(p) {
                    return Err(err(x.no, "bad indentation in a sequence item"));
                }
                items.push(v);
            } else {
                items.push(scalar_or_flow(rest, l.no)?);
            }
        }
        return Ok(Yaml::Seq(items));
    }
    let mut map: Vec<(String, Yaml)> = Vec::new();
    while let Some(l) = lines.get(*pos) {
        if l.indent < indent {
            break;
        }
        if l.indent > indent {
            return Err(err(l.no, "bad indentation"));
        }
        let Some((key, rest)) = split_key(l.text) else {
            if map.is_empty() && *pos + 1 == lines.len() {
                *pos += 1;
                return scalar_or_flow(l.text, l.no);
            }
            return Err(err(l.no, "expected `key: value`"));
        };
        let key = key_text(key, l.no)?;
        if map.iter().any(|(k, _)| *k == key) {
            return Err(err(l.no, &format!("mapping key {key:?} already defined")));
        }
        *pos += 1;
        let value = if rest.is_empty() {
            nested(lines, pos, indent)?
        } else {
            scalar_or_flow(rest, l.no)?
        };
        map.push((key, value));
    }
    Ok(Yaml::Map(map))
}

/// The block under a `key:` or `-` with nothing after it: deeper lines, or a sequence at
/// the same indentation (YAML allows `key:\n- a`).
fn nested(lines: &[Line<'_>], pos: &mut usize, indent: usize) -> Result<Yaml, YamlError> {
    match lines.get(*pos) {
        Some(n) if n.indent > indent => block(lines, pos, n.indent),
        Some(n) if n.indent == indent && is_seq_item(n.text) => block(lines, pos, n.indent),
        _ => Ok(Yaml::Null),
    }
}

fn is_seq_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

/// Splits `key: rest` at the first `: ` (or trailing `:`) outside quotes and brackets.
fn split_key(t: &str) -> Option<(&str, &str)> {
    let b = t.as_bytes();
    let mut quote: Option<u8> = None;
    let mut depth = 0i32;
    for (i, &c) in b.iter().enumerate() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                b'"' | b'\'' if i == 0 => quote = Some(c),
                b'[' | b'{' if i == 0 => depth += 1,
                b'[' | b'{' if depth > 0 => depth += 1,
                b']' | b'}' if depth > 0 => depth -= 1,
                b':' if depth == 0 && (i + 1 == b.len() || b.get(i + 1) == Some(&b' ')) => {
                    return Some((t[..i].trim_end(), t[i + 1..].trim()));
                }
                _ => {}
            },
        }
    }
    None
}

fn key_text(k: &str, line: usize) -> Result<String, YamlError> {
    match scalar_or_flow(k, line)? {
        Yaml::Scalar { text, .. } => Ok(text),
        Yaml::Null => Ok(String::new()),
        _ => Err(err(line, "only scalar mapping keys are supported")),
    }
}

fn scalar_or_flow(t: &str, line: usize) -> Result<Yaml, YamlError> {
    let t = t.trim();
    match t.as_bytes().first() {
        Some(b'[') | Some(b'{') => {
            let mut p = Flow {
                s: t.as_bytes(),
                i: 0,
                line,
            };
            let v = p.value()?;
            p.ws();
            if p.i != t.len() {
                return Err(err(line, "unexpected text after a flow collection"));
            }
            Ok(v)
        }
        Some(b'|') | Some(b'>') => Err(err(line, "block scalars (| and >) are not supported")),
        Some(b'&') | Some(b'*') | Some(b'!') => {
            Err(err(line, "anchors, aliases and tags are not supported"))
        }
        Some(b'"') | Some(b'\'') => {
            let (s, used) = quoted(t.as_bytes(), line)?;
            if used != t.len() {
                return Err(err(line, "unexpected text after a quoted string"));
            }
            Ok(Yaml::Scalar {
                text: s,
                quoted: true,
            })
        }
        _ => Ok(plain(t)),
    }
}

fn plain(t: &str) -> Yaml {
    match t {
        "" | "~" | "null" | "Null" | "NULL" => Yaml::Null,
        _ => Yaml::Scalar {
            text: t.to_string(),
            quoted: false,
        },
    }
}

/// A quoted scalar at the start of `b`; returns the text and the bytes consumed.
fn quoted(b: &[u8], line: usize) -> Result<(String, usize), YamlError> {
    let q = b.first().copied().unwrap_or(b'"');
    let mut out: Vec<u8> = Vec::new();
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        if c == q {
            if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                out.push(b'\'');
                i += 2;
                continue;
            }
            let s = String::from_utf8(out).map_err(|_| err(line, "invalid UTF-8"))?;
            return Ok((s, i + 1));
        }
        if c == b'\\' && q == b'"' {
            let e = b
                .get(i + 1)
                .copied()
                .ok_or_else(|| err(line, "unterminated escape"))?;
            let ch = match e {
                b'n' => '\n',
                b't' => '\t',
                b'r' => '\r',
                b'0' => '\0',
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b' ' => ' ',
                _ => return Err(err(line, "unsupported escape in a double-quoted string")),
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            i += 2;
            continue;
        }
        out.push(c);
        i += 1;
    }
    Err(err(line, "unterminated quoted string"))
}

struct Flow<'a> {
    s: &'a [u8],
    i: usize,
    line: usize,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while matches!(self.s.get(self.i), Some(b' ')) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<Yaml, YamlError> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'[') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b']') {
                        self.i += 1;
                        return Ok(Yaml::Seq(items));
                    }
                    items.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {}
                        _ => return Err(err(self.line, "expected `,` or `]`")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut map: Vec<(String, Yaml)> = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(Yaml::Map(map));
                    }
                    let key = match self.value()? {
                        Yaml::Scalar { text, .. } => text,
                        Yaml::Null => String::new(),
                        _ => return Err(err(self.line, "only scalar mapping keys are supported")),
                    };
                    self.ws();
                    let value = if self.s.get(self.i) == Some(&b':') {
                        self.i += 1;
                        self.value()?
                    } else {
                        Yaml::Null
                    };
                    if map.iter().any(|(k, _)| *k == key) {
                        return Err(err(
                            self.line,
                            &format!("mapping key {key:?} already defined"),
                        ));
                    }
                    map.push((key, value));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return Err(err(self.line, "expected `,` or `}`")),
                    }
                }
            }
            Some(b'"') | Some(b'\'') => {
                let rest = self.s.get(self.i..).unwrap_or_default();
                let (s, used) = quoted(rest, self.line)?;
                self.i += used;
                Ok(Yaml::Scalar {
                    text: s,
                    quoted: true,
                })
            }
            _ => {
                let start = self.i;
                while let Some(&c) = self.s.get(self.i) {
                    if c == b',' || c == b']' || c == b'}' {
                        break;
                    }
                    if c == b':'
                        && matches!(
                            self.s.get(self.i + 1),
                            Some(b' ') | Some(b',') | Some(b'}') | None
                        )
                    {
                        break;
                    }
                    self.i += 1;
                }
                let t = core::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
                    .map_err(|_| err(self.line, "invalid UTF-8"))?;
                Ok(plain(t.trim()))
            }
        }
    }
}

impl Yaml {
    /// The value under `key` of a mapping, keys compared without case (as viper does).
    pub fn get_ci(&self, key: &str) -> Option<&Yaml> {
        match self {
            Yaml::Map(m) => m
                .iter()
                .rev()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// What viper's `GetString` returns for this value, as dive reads it: `None` for null
    /// (viper then falls back to the default), `""` for a collection.
    pub fn viper_string(&self) -> Option<String> {
        match self {
            Yaml::Null => None,
            Yaml::Map(_) | Yaml::Seq(_) => Some(String::new()),
            Yaml::Scalar { text, quoted: true } => Some(text.clone()),
            Yaml::Scalar {
                text,
                quoted: false,
            } => Some(super::scalar::resolve_plain(text)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn s(y: &Yaml, path: &[&str]) -> Option<String> {
        let mut v = y;
        for p in path {
            v = v.get_ci(p)?;
        }
        v.viper_string()
    }

    #[test]
    fn reads_the_documented_dive_ci_file() {
        let y = parse(
            "rules:\n  # If the efficiency is measured below X%, mark as failed.\n  lowestEfficiency: 0.95\n\n  highestWastedBytes: 20MB # comment\n  highestUserWastedPercent: 0.20\n",
        )
        .unwrap();
        assert_eq!(
            s(&y, &["rules", "lowestefficiency"]).as_deref(),
            Some("0.95")
        );
        assert_eq!(
            s(&y, &["RULES", "highestWastedBytes"]).as_deref(),
            Some("20MB")
        );
        assert_eq!(
            s(&y, &["rules", "highestUserWastedPercent"]).as_deref(),
            Some("0.2")
        );
    }

    #[test]
    fn scalars_resolve_as_viper_prints_them() {
        let y = parse("a: 1e3\nb: 0x10\nc: off\nd: true\ne: ~\nf: \"0.5\"\ng: 1_000\nh: .5\ni: 017\nj: [1, 2]\nk: 'it''s'\n").unwrap();
        assert_eq!(s(&y, &["a"]).as_deref(), Some("1000"));
        assert_eq!(s(&y, &["b"]).as_deref(), Some("16"));
        assert_eq!(s(&y, &["c"]).as_deref(), Some("off"));
        assert_eq!(s(&y, &["d"]).as_deref(), Some("true"));
        assert_eq!(s(&y, &["e"]), None);
        assert_eq!(s(&y, &["f"]).as_deref(), Some("0.5"));
        assert_eq!(s(&y, &["g"]).as_deref(), Some("1000"));
        assert_eq!(s(&y, &["h"]).as_deref(), Some("0.5"));
        assert_eq!(s(&y, &["i"]).as_deref(), Some("15"));
        assert_eq!(s(&y, &["j"]).as_deref(), Some(""));
        assert_eq!(s(&y, &["k"]).as_deref(), Some("it's"));
    }

    #[test]
    fn flow_and_sequences_and_errors() {
        let y = parse("---\nrules: {lowestEfficiency: 0.5, highestWastedBytes: disabled}\nlist:\n- a\n- b: 1\n  c: 2\n").unwrap();
        assert_eq!(
            s(&y, &["rules", "lowestEfficiency"]).as_deref(),
            Some("0.5")
        );
        assert!(matches!(y.get_ci("list"), Some(Yaml::Seq(v)) if v.len() == 2));
        assert_eq!(parse("rules: [").unwrap_err().line, 1);
        assert!(parse("a: 1\na: 2\n").is_err());
        assert!(parse("a: |\n  x\n").is_err());
        assert!(parse("a:\n\tb: 1\n").is_err());
        assert_eq!(parse("# only a comment\n").unwrap(), Yaml::Null);
        let crlf = parse("\u{feff}rules:\r\n  lowestEfficiency: 0.5\r\n").unwrap();
        assert_eq!(
            s(&crlf, &["rules", "lowestEfficiency"]).as_deref(),
            Some("0.5")
        );
    }
}
