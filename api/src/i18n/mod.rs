//! Messages for people: every error `message` / `detail` a client sees is written in
//! English in the code and translated here, at the transport boundary, into the
//! language the request asks for with `Accept-Language` — Simplified Chinese unless
//! the client prefers English, since the people reading them are Chinese. The stable
//! machine key (`code`) never changes.
//!
//! The catalogue (`zh-CN.tsv`, compiled into the binary) maps an English message to
//! its Chinese text. A message built with `format!` is a template whose `{0}`, `{1}`,
//! ... stand for the interpolated values (field names, numbers, dates), which are
//! copied over untranslated. The request's language lives in a task-local set by
//! `crate::http::language` around every request, so services and error types stay unaware of it.

#[cfg(test)]
mod coverage;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

/// A language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (`zh-CN`), the default.
    Zh,
    /// English (`en`).
    En,
}

impl Lang {
    /// The language tag for `Content-Language`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language an `Accept-Language` header (RFC 9110 §12.5.4) prefers among the
    /// two offered: the range with the highest weight that names Chinese or English
    /// wins (`*` and a missing or unreadable header mean the default, Chinese).
    pub fn negotiate(accept_language: Option<&str>) -> Lang {
        let Some(value) = accept_language else { return Lang::Zh };
        let mut best: Option<(f32, Lang)> = None;
        for range in value.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .next()
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") | Some("*") => Lang::Zh,
                Some("en") => Lang::En,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map_or(Lang::Zh, |(_, lang)| lang)
    }
}

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the request being served (Chinese outside a request).
pub fn current() -> Lang {
    LANG.try_with(|l| *l).unwrap_or(Lang::Zh)
}

/// Translates one English message into the current request's language.
pub fn tr(message: &str) -> String {
    translate(message, current()).into_owned()
}

/// Runs `fut` with `lang` as the current language.
pub async fn with_lang<F: std::future::Future>(lang: Lang, fut: F) -> F::Output {
    LANG.scope(lang, fut).await
}

/// One catalogue entry with placeholders, split into its literal pieces.
struct Template {
    /// The literal texts around the placeholders (one more than `slots`).
    pieces: Vec<String>,
    /// The placeholder number of each gap, in order.
    slots: Vec<usize>,
    /// The Chinese text, with `{n}` markers.
    target: String,
}

struct Catalogue {
    exact: HashMap<&'static str, &'static str>,
    templates: Vec<Template>,
}

const ZH_CN: &str = include_str!("zh-CN.tsv");

/// Splits `{n}` placeholders out of a template's English text.
fn split_template(text: &str) -> Option<(Vec<String>, Vec<usize>)> {
    let (mut pieces, mut slots) = (vec![String::new()], Vec::new());
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let end = after.find('}')?;
        let slot = after[..end].parse::<usize>().ok()?;
        pieces.last_mut()?.push_str(&rest[..start]);
        slots.push(slot);
        pieces.push(String::new());
        rest = &after[end + 1..];
    }
    pieces.last_mut()?.push_str(rest);
    (!slots.is_empty()).then_some((pieces, slots))
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut exact = HashMap::new();
    let mut templates = Vec::new();
    for line in ZH_CN.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((en, zh)) = line.split_once('\t') else { continue };
        match split_template(en) {
            Some((pieces, slots)) => templates.push(Template { pieces, slots, target: zh.to_owned() }),
            None => {
                exact.insert(en, zh);
            }
        }
    }
    Catalogue { exact, templates }
});

impl Template {
    /// The values of the placeholders when `message` has this template's shape.
    fn captures<'m>(&self, message: &'m str) -> Option<Vec<&'m str>> {
        let first = self.pieces.first()?;
        let last = self.pieces.last()?;
        let mut rest = message.strip_prefix(first.as_str())?;
        rest = rest.strip_suffix(last.as_str())?;
        let mut values = Vec::with_capacity(self.slots.len());
        let middle = &self.pieces[1..self.pieces.len() - 1];
        for piece in middle {
            // The shortest non-empty value before the next literal piece.
            let skip = rest.chars().next()?.len_utf8();
            let at = rest[skip..].find(piece.as_str())? + skip;
            values.push(&rest[..at]);
            rest = &rest[at + piece.len()..];
        }
        if rest.is_empty() {
            return None;
        }
        values.push(rest);
        Some(values)
    }

    /// The target text with each `{n}` marker filled in one pass (a value that itself
    /// contains `{1}` stays as it is).
    fn render(&self, values: &[&str]) -> String {
        let mut out = String::with_capacity(self.target.len() + 16);
        let mut rest = self.target.as_str();
        while let Some(start) = rest.find('{') {
            out.push_str(&rest[..start]);
            let after = &rest[start + 1..];
            let marker = after.find('}').and_then(|end| Some((end, after[..end].parse::<usize>().ok()?)));
            match marker.and_then(|(end, slot)| {
                let at = self.slots.iter().position(|s| *s == slot)?;
                Some((end, *values.get(at)?))
            }) {
                Some((end, value)) => {
                    out.push_str(value);
                    rest = &after[end + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// Translates one English message into `lang` (English is the source language: it
/// comes back unchanged, as does a message the catalogue does not know).
pub fn translate(message: &str, lang: Lang) -> Cow<'_, str> {
    if lang == Lang::En {
        return Cow::Borrowed(message);
    }
    let catalogue = &*CATALOGUE;
    if let Some(zh) = catalogue.exact.get(message) {
        return Cow::Borrowed(zh);
    }
    for template in &catalogue.templates {
        if let Some(values) = template.captures(message) {
            return Cow::Owned(template.render(&values));
        }
    }
    Cow::Borrowed(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_heaviest_known_range() {
        assert_eq!(Lang::negotiate(None), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en")), Lang::En);
        assert_eq!(Lang::negotiate(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::negotiate(Some("zh-CN,zh;q=0.9,en;q=0.8")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("fr, en;q=0.5")), Lang::En);
        assert_eq!(Lang::negotiate(Some("fr")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("en;q=0, *")), Lang::Zh);
        assert_eq!(Lang::negotiate(Some("de, en-GB;q=0.3, zh-TW;q=0.2")), Lang::En);
    }

    #[test]
    fn templates_copy_their_values() {
        let t = Template {
            pieces: vec!["between ".into(), " and ".into(), "".into()],
            slots: vec![0, 1],
            target: "介于 {0} 与 {1} 之间".into(),
        };
        assert_eq!(t.captures("between 1 and 100").map(|v| t.render(&v)).as_deref(), Some("介于 1 与 100 之间"));
        assert!(t.captures("between  and 100").is_none(), "placeholders are never empty");
        assert!(t.captures("beyond 1 and 100").is_none());
        assert_eq!(t.captures("between 中 and {1}").map(|v| t.render(&v)).as_deref(), Some("介于 中 与 {1} 之间"));
    }
}
