//! The catalogue covers the code: every message a client can see has its Chinese.
//!
//! A small scanner reads every `.rs` file under `src/` (not the seed data, the
//! settings or this module) and collects the string literals that become client
//! messages:
//!
//! - the last argument of `invalid(..)` and `check(..)` (`AppError::invalid(field,
//!   msg)`, `Validator::check(ok, field, msg)`);
//! - the first argument of `forbidden(..)`, `Forbidden(..)`, `Conflict(..)`,
//!   `UnsupportedMediaType(..)`, `NotAcceptable(..)`, `MethodNotAllowed(..)` and
//!   `tr(..)`;
//! - the value of a `message: ..` field (`InvalidGrant`, `MethodNotAllowed`,
//!   `FieldError`);
//! - an `#[error("..")]` text that is the attribute's only argument.
//!
//! A literal counts when the argument starts with it (`"..".into()`, `"..".to_owned()`
//! and a leading `&` are fine) or with `format!("..", ..)`, whose placeholders become
//! `X1`, `X2`, ... in the sample message. `#[cfg(test)]` items are skipped. Each sample
//! must come out of [`translate`] changed and with Chinese characters in it.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use super::{Lang, translate};

/// The catalogue as the binary embeds it.
const CATALOGUE: &str = include_str!("zh-CN.tsv");

/// Files and folders under `src/` that hold no client messages (prefixes of the path
/// relative to `src/`, with `/`).
const SKIPPED: &[&str] = &["seed", "i18n/", "config.rs"];

/// Calls whose last argument is the message.
const LAST_ARGUMENT: &[&str] = &["invalid", "check"];

/// Calls whose first argument is the message.
const FIRST_ARGUMENT: &[&str] =
    &["forbidden", "Forbidden", "Conflict", "UnsupportedMediaType", "NotAcceptable", "MethodNotAllowed", "tr"];

/// What the scanner sees of Rust source.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An identifier or keyword.
    Ident(String),
    /// A string literal, escapes resolved.
    Str(String),
    /// Any other single character.
    Punct(char),
    /// A number.
    Other,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: usize,
}

fn is_cjk(c: char) -> bool {
    ('\u{4E00}'..='\u{9FFF}').contains(&c)
}

/// Splits Rust source into tokens: comments, whitespace, char literals and lifetimes
/// are dropped, string literals (plain, raw, byte) kept with their text.
fn lex(text: &str) -> Vec<Token> {
    let c: Vec<char> = text.chars().collect();
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0usize;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth = depth.saturating_sub(1);
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            let start = line;
            let (s, next) = quoted(&c, i + 1, &mut line);
            out.push(Token { tok: Tok::Str(s), line: start });
            i = next;
        } else if ch == '\'' {
            // A char literal ('x', '"', '{', '\n', '\'', '\u{1F}') or a lifetime ('a).
            if at(i + 1) == '\\' {
                i += 3;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let word: String = c[start..i].iter().collect();
            if (word == "r" || word == "br")
                && (at(i) == '"' || at(i) == '#')
                && let Some((s, next)) = raw(&c, i)
            {
                let start = line;
                line += s.matches('\n').count();
                out.push(Token { tok: Tok::Str(s), line: start });
                i = next;
                continue;
            }
            if word == "b" && at(i) == '"' {
                // A byte string: the next round reads it as a string.
                continue;
            }
            out.push(Token { tok: Tok::Ident(word), line });
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(Token { tok: Tok::Other, line });
        } else {
            out.push(Token { tok: Tok::Punct(ch), line });
            i += 1;
        }
    }
    out
}

/// Reads a string literal from just after its opening quote: its text (escapes
/// resolved, `\` line continuations joined) and the index after the closing quote.
fn quoted(c: &[char], mut i: usize, line: &mut usize) -> (String, usize) {
    let mut s = String::new();
    while i < c.len() && c[i] != '"' {
        if c[i] == '\\' && i + 1 < c.len() {
            let escaped = c[i + 1];
            i += 2;
            match escaped {
                'n' => s.push('\n'),
                't' => s.push('\t'),
                'r' => s.push('\r'),
                '0' => s.push('\0'),
                'x' => {
                    let hex: String = c[i..(i + 2).min(c.len())].iter().collect();
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        s.push(ch);
                    }
                    i += 2;
                }
                'u' => {
                    let mut hex = String::new();
                    while i < c.len() && c[i] != '}' {
                        if c[i] != '{' {
                            hex.push(c[i]);
                        }
                        i += 1;
                    }
                    i += 1;
                    if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                        s.push(ch);
                    }
                }
                '\n' | '\r' => {
                    if escaped == '\n' {
                        *line += 1;
                    }
                    while i < c.len() && c[i].is_whitespace() {
                        if c[i] == '\n' {
                            *line += 1;
                        }
                        i += 1;
                    }
                }
                other => s.push(other),
            }
        } else {
            if c[i] == '\n' {
                *line += 1;
            }
            s.push(c[i]);
            i += 1;
        }
    }
    (s, i + 1)
}

/// Reads a raw string literal from its `#`s or quote (just after the `r`): its text and
/// the index after it; `None` when this is no raw string (`r#ident`).
fn raw(c: &[char], mut i: usize) -> Option<(String, usize)> {
    let mut hashes = 0usize;
    while c.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    if c.get(i) != Some(&'"') {
        return None;
    }
    i += 1;
    let start = i;
    while i < c.len() {
        if c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#')) {
            return Some((c[start..i].iter().collect(), i + 1 + hashes));
        }
        i += 1;
    }
    None
}

/// Whether `seq` starts at `toks[i]`.
fn is_seq(toks: &[Token], i: usize, seq: &[Tok]) -> bool {
    seq.iter().enumerate().all(|(k, t)| toks.get(i + k).is_some_and(|x| x.tok == *t))
}

/// The index just after the bracket that closes the one at `open`.
fn group_end(toks: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match &t.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k + 1;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// `#[cfg(test)]`, or `#![cfg(test)]` when `inner`.
fn cfg_test(inner: bool) -> Vec<Tok> {
    let mut seq = vec![Tok::Punct('#')];
    if inner {
        seq.push(Tok::Punct('!'));
    }
    seq.extend([
        Tok::Punct('['),
        Tok::Ident("cfg".into()),
        Tok::Punct('('),
        Tok::Ident("test".into()),
        Tok::Punct(')'),
        Tok::Punct(']'),
    ]);
    seq
}

/// The tokens without the items marked `#[cfg(test)]` (nothing for a file that is
/// `#![cfg(test)]` as a whole).
fn without_tests(toks: &[Token]) -> Vec<Token> {
    let (outer, inner) = (cfg_test(false), cfg_test(true));
    if (0..toks.len()).any(|i| is_seq(toks, i, &inner)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if !is_seq(toks, i, &outer) {
            out.push(toks[i].clone());
            i += 1;
            continue;
        }
        i += outer.len();
        // Any further attributes, then the item: up to its `;` or through its `{ ... }`.
        while is_seq(toks, i, &[Tok::Punct('#'), Tok::Punct('[')]) {
            i = group_end(toks, i + 1);
        }
        while i < toks.len() {
            match &toks[i].tok {
                Tok::Punct('{') => {
                    i = group_end(toks, i);
                    break;
                }
                Tok::Punct(';') => {
                    i += 1;
                    break;
                }
                Tok::Punct('(' | '[') => i = group_end(toks, i),
                _ => i += 1,
            }
        }
    }
    out
}

/// The top-level arguments of the call whose `(` is at `open` (empty ones dropped).
fn arguments(toks: &[Token], open: usize) -> Vec<&[Token]> {
    let close = group_end(toks, open).saturating_sub(1);
    let mut args = Vec::new();
    let (mut depth, mut start) = (0usize, open + 1);
    for (k, t) in toks.iter().enumerate().take(close).skip(open + 1) {
        match &t.tok {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Tok::Punct(',') if depth == 0 => {
                args.push(&toks[start..k]);
                start = k + 1;
            }
            _ => {}
        }
    }
    args.push(&toks[start..close.max(start)]);
    args.retain(|a| !a.is_empty());
    args
}

/// The message a `format!` string gives with its placeholders filled by `X1`, `X2`,
/// ..., and whether it has any text besides placeholders.
fn format_sample(s: &str) -> (String, bool) {
    let (mut out, mut n, mut literal) = (String::new(), 0, false);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
                literal = true;
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
                literal = true;
            }
            '{' => {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
                n += 1;
                out.push('X');
                out.push_str(&n.to_string());
            }
            c => {
                out.push(c);
                literal = true;
            }
        }
    }
    (out, literal)
}

/// The message an argument gives when it starts with a literal or a `format!`.
fn message_of(arg: &[Token]) -> Option<String> {
    let toks: Vec<&Tok> = arg.iter().map(|t| &t.tok).skip_while(|t| **t == Tok::Punct('&')).collect();
    match toks.as_slice() {
        [Tok::Str(s), ..] => Some(s.clone()),
        [Tok::Ident(f), Tok::Punct('!'), Tok::Punct('('), Tok::Str(s), ..] if f == "format" => Some(format_sample(s).0),
        _ => None,
    }
}

/// The client message whose call, field or attribute starts at `toks[i]`, if any.
fn message_at(toks: &[Token], i: usize) -> Option<String> {
    let Tok::Ident(name) = &toks[i].tok else { return None };
    let next = toks.get(i + 1).map(|t| &t.tok);
    let prev = |k: usize| i.checked_sub(k).map(|j| &toks[j].tok);
    let call = next == Some(&Tok::Punct('(')) && !matches!(prev(1), Some(Tok::Ident(w)) if w == "fn");
    if call && LAST_ARGUMENT.contains(&name.as_str()) {
        return arguments(toks, i + 1).last().copied().and_then(message_of);
    }
    if call && FIRST_ARGUMENT.contains(&name.as_str()) {
        return arguments(toks, i + 1).first().copied().and_then(message_of);
    }
    if name == "message" && next == Some(&Tok::Punct(':')) && toks.get(i + 2).map(|t| &t.tok) != Some(&Tok::Punct(':'))
    {
        return message_of(&toks[i + 2..]);
    }
    if name == "error"
        && next == Some(&Tok::Punct('('))
        && prev(1) == Some(&Tok::Punct('['))
        && prev(2) == Some(&Tok::Punct('#'))
        && let [[Token { tok: Tok::Str(s), .. }]] = arguments(toks, i + 1).as_slice()
    {
        let (sample, literal) = format_sample(s);
        return literal.then_some(sample);
    }
    None
}

/// Adds the client messages of one file's tokens to `found` (message → `file:line`).
fn messages_in(toks: &[Token], place: &str, found: &mut BTreeMap<String, String>) {
    for (i, t) in toks.iter().enumerate() {
        if let Some(m) = message_at(toks, i) {
            found.entry(m).or_insert_with(|| format!("{place}:{}", t.line));
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

/// Every client message in the sources, as a sample (message → `file:line`).
fn client_messages() -> BTreeMap<String, String> {
    let src = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut found = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap_or(&path).to_string_lossy().replace('\\', "/");
        if SKIPPED.iter().any(|p| rel.starts_with(p)) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {rel}: {e}"));
        messages_in(&without_tests(&lex(&text)), &rel, &mut found);
    }
    found
}

/// The `{n}` markers of a catalogue text.
fn markers(s: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = s;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if end > 0 && after[..end].chars().all(|c| c.is_ascii_digit()) => {
                out.insert(format!("{{{}}}", &after[..end]));
                rest = &after[end + 1..];
            }
            _ => rest = after,
        }
    }
    out
}

#[test]
fn every_client_message_has_a_chinese_translation() {
    let found = client_messages();
    assert!(found.len() >= 150, "the scanner found only {} messages: does it still read the sources?", found.len());
    let mut missing = Vec::new();
    for (sample, place) in &found {
        let zh = translate(sample, Lang::Zh);
        if zh == sample.as_str() || !zh.chars().any(is_cjk) {
            missing.push(format!("  {place}: {sample}"));
        }
    }
    assert!(
        missing.is_empty(),
        "{} client message(s) have no Chinese in api/src/i18n/zh-CN.tsv (X1, X2, ... stand for \
         `format!` placeholders: write {{0}}, {{1}}, ... there):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_catalogue_is_well_formed_and_no_template_hides_a_later_entry() {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (n, line) in CATALOGUE.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((en, zh)) = line.split_once('\t') else {
            problems.push(format!("line {n}: no tab"));
            continue;
        };
        if zh.contains('\t') {
            problems.push(format!("line {n}: more than one tab"));
        }
        if !seen.insert(en) {
            problems.push(format!("line {n}: `{en}` is listed twice"));
        }
        if !zh.chars().any(is_cjk) {
            problems.push(format!("line {n}: `{zh}` has no Chinese"));
        }
        let slots = markers(en);
        if slots != markers(zh) {
            problems.push(format!("line {n}: the placeholders of `{en}` and `{zh}` differ"));
        }
        // The entry must come back as written: an earlier template that matches the
        // same text would hide it.
        let (mut sample, mut expected) = (en.to_owned(), zh.to_owned());
        for slot in &slots {
            let value = format!("Q{}q", &slot[1..slot.len() - 1]);
            sample = sample.replace(slot.as_str(), &value);
            expected = expected.replace(slot.as_str(), &value);
        }
        let got = translate(&sample, Lang::Zh);
        if got != expected.as_str() {
            problems.push(format!("line {n}: `{sample}` comes out as `{got}`, not `{expected}`"));
        }
    }
    assert!(problems.is_empty(), "api/src/i18n/zh-CN.tsv:\n{}", problems.join("\n"));
}

#[test]
fn chosen_translations() {
    assert_eq!(translate("must not be empty", Lang::Zh), "不能为空");
    assert_eq!(translate("resource not found", Lang::Zh), "资源不存在");
    assert_eq!(translate("authentication required", Lang::Zh), "需要登录");
    assert_eq!(translate("Not Found", Lang::Zh), "未找到");
    assert_eq!(translate("must be at most 200 characters", Lang::Zh), "最多 200 个字符");
    assert_eq!(translate("must be between 1 and 100", Lang::Zh), "必须介于 1 与 100 之间");
    assert_eq!(
        translate("the object was changed by someone else (expected version 3, current 4)", Lang::Zh),
        "该对象已被他人修改（预期版本 3，当前版本 4）"
    );
    assert_eq!(translate("a planned session cannot become held", Lang::Zh), "状态为 planned 的学习会议不能变为 held");
    assert_eq!(translate("cannot verify a open item", Lang::Zh), "不能对状态为 open 的问题执行 verify 操作");
    assert_eq!(translate("missing field `title`", Lang::Zh), "缺少字段“title”");
    assert_eq!(translate("Query is nested too deep.", Lang::Zh), "查询嵌套层级过深。");
    assert_eq!(translate("Unknown field \"foo\" on type \"QueryRoot\".", Lang::Zh), "类型“QueryRoot”上没有字段“foo”。");
    assert_eq!(
        translate("Invalid value for argument \"first\", expected type \"Int\"", Lang::Zh),
        "参数“first”的值无效：应为类型“Int”"
    );
    assert_eq!(
        translate("Failed to parse \"ID\": not a valid id (a UUID) (occurred while parsing \"[ID!]\")", Lang::Zh),
        "无法解析“ID”：不是有效的 ID（应为 UUID）（解析“[ID!]”时发生）"
    );
    // English is the source language; unknown texts pass through.
    assert_eq!(translate("must not be empty", Lang::En), "must not be empty");
    assert_eq!(translate("no such message anywhere", Lang::Zh), "no such message anywhere");
}

#[test]
fn the_scanner_reads_every_call_shape() {
    let code = r##"
        fn f(v: &mut Validator) -> AppResult<()> {
            v.check(a.len() <= 3, "a", "must be short")
                .check(
                    b.is_none_or(|(x, y)| x < y),
                    "b",
                    &format!("must be at most {MAX} characters, not {}", n),
                );
            let c = '"'; let d = b'{'; let e = '\'';
            // AppError::invalid("x", "in a comment")
            /* AppError::forbidden("in a block comment") */
            Err(AppError::invalid("q", "say \"hi\"".to_owned()))?;
            Err(AppError::Conflict(format!("a {} thing", kind).into()))?;
            Err(AppError::Conflict(message.to_owned()))?;
            Err(AppError::MethodNotAllowed { message: "use POST".into(), allow: "POST".into() })?;
            Err(AppError::InvalidGrant { oauth_error: "invalid_grant", message: "bad grant" })?;
            let t = tr("Not Found");
            let r = r#"not a "message""#;
            Err(AppError::forbidden(
                "on two \
                 lines",
            ))
        }
        pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self { todo!() }
        #[derive(Debug, thiserror::Error)]
        enum E {
            #[error("the thing timed out")]
            A,
            #[error("{0}")]
            B(String),
            #[error("after {0} s")]
            C(u64),
        }
        #[cfg(test)]
        mod tests {
            fn t() { AppError::invalid("x", "test only"); }
        }
    "##;
    let mut found = BTreeMap::new();
    messages_in(&without_tests(&lex(code)), "snippet.rs", &mut found);
    let got: Vec<&str> = found.keys().map(String::as_str).collect();
    let mut want = vec![
        "must be short",
        "must be at most X1 characters, not X2",
        "say \"hi\"",
        "a X1 thing",
        "use POST",
        "bad grant",
        "Not Found",
        "on two lines",
        "the thing timed out",
        "after X1 s",
    ];
    want.sort_unstable();
    assert_eq!(got, want);
}
