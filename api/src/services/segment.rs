//! Chinese word segmentation (jieba) for the search index and for queries.
//!
//! Documents are indexed with jieba's search-mode words (a long word also yields its
//! parts: 科技创新 → 科技, 创新, 科技创新) **and** the character bigrams of every Chinese
//! run. Queries are cut in precise mode; each query word matches either as a jieba word
//! or as all of its bigrams. Dictionary segmentation alone is ambiguous (低碳水厂 may
//! be cut 低/碳水/厂, hiding 低碳); the bigrams make recall independent of how the
//! dictionary cut the document, while whole-word matches still rank higher.
//! Latin words and numbers pass through lower-cased, so mixed queries work.
//!
//! The dictionary is not jieba's full one (349,000 words, about 30 MB in memory) but
//! its 80,000 words of frequency 20 or more (`dict/jieba-common.txt`, taken from the
//! jieba-rs 0.11 dictionary, MIT licence; about 5 MB in memory) and the vocabulary of
//! party building (`dict/party.txt`: 第一议题, 三会一课, 巡察 …). The rarer words it
//! leaves out are found all the same: a query word of two or more characters also
//! matches by its bigrams, which every indexed text carries whatever the dictionary,
//! and jieba's HMM still groups unknown characters into words.

use std::sync::OnceLock;

use jieba_rs::Jieba;

/// The common words of jieba's dictionary (`word frequency tag` per line).
const COMMON_WORDS: &str = include_str!("dict/jieba-common.txt");
/// Party-building terms the common words lack or split.
const PARTY_WORDS: &str = include_str!("dict/party.txt");

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::empty();
        for words in [COMMON_WORDS, PARTY_WORDS] {
            // Both files are part of the binary and tested below: a failure is a build defect.
            if let Err(e) = jieba.load_dict(&mut words.as_bytes()) {
                tracing::error!(error = %e, "the segmentation dictionary did not load");
            }
        }
        jieba
    })
}

/// Loads the dictionary now (it takes a moment), e.g. at start-up.
pub fn warm_up() {
    jieba();
}

fn keep(word: &str) -> Option<String> {
    let w = word.trim();
    if w.is_empty() || !w.chars().any(char::is_alphanumeric) {
        return None;
    }
    Some(w.to_lowercase())
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// The character bigrams of every run of Chinese characters in `text`.
pub fn cjk_bigrams(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run: Vec<char> = Vec::new();
    let flush = |run: &mut Vec<char>, out: &mut Vec<String>| {
        out.extend(run.windows(2).map(|w| w.iter().collect::<String>()));
        run.clear();
    };
    for c in text.chars() {
        if is_cjk(c) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Tokens for indexing: jieba search-mode words, then the Chinese bigrams.
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut tokens: Vec<String> = jieba().cut_for_search(text, true).into_iter().filter_map(|t| keep(t.word)).collect();
    tokens.extend(cjk_bigrams(text));
    tokens
}

/// One query word and the ways it may match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryTerm {
    /// The word (lower-cased): matches as a jieba word, and is what snippets highlight.
    pub word: String,
    /// Its bigrams (Chinese words of two or more characters): all must match instead.
    pub bigrams: Vec<String>,
    /// A single Chinese character: matches as the prefix of a bigram.
    pub single_cjk: bool,
}

/// The query's words with their match alternatives, without duplicates.
pub fn query_terms(text: &str) -> Vec<QueryTerm> {
    query_tokens(text)
        .into_iter()
        .map(|word| {
            let bigrams = cjk_bigrams(&word);
            let single_cjk = word.chars().count() == 1 && word.chars().all(is_cjk);
            QueryTerm { word, bigrams, single_cjk }
        })
        .collect()
}

/// Tokens of a query (precise mode), without duplicates, in order.
pub fn query_tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in jieba().cut(text, true) {
        if let Some(w) = keep(t.word)
            && !out.contains(&w)
        {
            out.push(w);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_words_are_found_without_spaces() {
        let idx = index_tokens("公司党委深入推进科技创新工作");
        assert!(
            idx.contains(&"科技创新".to_owned())
                || (idx.contains(&"科技".to_owned()) && idx.contains(&"创新".to_owned()))
        );
        let q = query_tokens("科技创新");
        assert!(q.iter().all(|t| idx.contains(t)), "query {q:?} ⊆ index {idx:?}");
    }

    #[test]
    fn bigrams_recover_what_the_dictionary_cut_apart() {
        assert_eq!(cjk_bigrams("低碳水厂 WES系统"), ["低碳", "碳水", "水厂", "系统"]);
        let idx = index_tokens("推动低碳水厂建设");
        let terms = query_terms("低碳");
        assert!(terms.iter().all(|t| idx.contains(&t.word) || t.bigrams.iter().all(|b| idx.contains(b))));
        assert!(query_terms("党")[0].single_cjk);
    }

    #[test]
    fn the_dictionary_loads_with_party_terms() {
        assert!(jieba().has_word("科技") && jieba().has_word("巡察") && jieba().has_word("三会一课"));
        assert_eq!(query_tokens("第一议题学习"), ["第一议题", "学习"]);
        assert_eq!(query_tokens("党小组会"), ["党小组", "会"]);
    }

    #[test]
    fn mixed_and_punctuation() {
        let q = query_tokens("低碳 WES-5 水厂！");
        assert!(q.contains(&"wes".to_owned()) || q.iter().any(|t| t.contains("wes")));
        assert!(q.iter().all(|t| t.chars().any(char::is_alphanumeric)));
    }
}
