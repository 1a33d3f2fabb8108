//! The full-text search index and its queries, one function per backend:
//! SQLite FTS5 (`search_doc` + `search_fts`, ranked by bm25) and PostgreSQL
//! (`search_entry.tsv` and the title's `title_tsv`, each with a GIN index, ranked by
//! ts_rank). Both index jieba tokens
//! (see [`super::segment`]) built in Rust, so neither needs a database extension or a
//! Chinese parser, and every write updates the index in its own transaction.

use sea_orm::sea_query::{Expr, ExprTrait, IntoTableRef, JoinType, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement, Value};
use uuid::Uuid;

use super::segment;
use crate::error::{AppError, AppResult};

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// (Re)indexes one object: its title (weighted higher) and its content.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn index<C: ConnectionTrait>(db: &C, entity: &str, id: Uuid, title: &str, content: &str) -> AppResult<()> {
    let title_tokens = segment::index_tokens(title);
    let content_tokens = segment::index_tokens(content);
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            remove(db, entity, id).await?;
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "INSERT INTO search_doc (entity, entity_id) VALUES (?, ?)",
                [Value::from(entity), Value::from(id)],
            ))
            .await?;
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "INSERT INTO search_fts (rowid, title, content) \
                 VALUES ((SELECT rowid FROM search_doc WHERE entity = ? AND entity_id = ?), ?, ?)",
                [
                    Value::from(entity),
                    Value::from(id),
                    Value::from(title_tokens.join(" ")),
                    Value::from(content_tokens.join(" ")),
                ],
            ))
            .await?;
        }
        backend => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO search_entry (entity, entity_id, tsv, title_tsv) \
                 VALUES ($1, $2, $3::tsvector, ts_filter($3::tsvector, '{a}')) \
                 ON CONFLICT (entity, entity_id) DO UPDATE SET tsv = EXCLUDED.tsv, title_tsv = EXCLUDED.title_tsv",
                [Value::from(entity), Value::from(id), Value::from(tsvector_literal(&title_tokens, &content_tokens))],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Removes one object from the index (no-op when absent).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn remove<C: ConnectionTrait>(db: &C, entity: &str, id: Uuid) -> AppResult<()> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "DELETE FROM search_fts WHERE rowid IN (SELECT rowid FROM search_doc WHERE entity = ? AND entity_id = ?)",
                [Value::from(entity), Value::from(id)],
            ))
            .await?;
            db.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Sqlite,
                "DELETE FROM search_doc WHERE entity = ? AND entity_id = ?",
                [Value::from(entity), Value::from(id)],
            ))
            .await?;
        }
        backend => {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                "DELETE FROM search_entry WHERE entity = $1 AND entity_id = $2",
                [Value::from(entity), Value::from(id)],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Added to the score of results whose title holds every query word: they rank first
/// (each tier ordered by relevance), and ranking them needs no look at the long tail of
/// body-only matches unless a page reaches past them.
pub const TITLE_TIER_BONUS: f64 = 1000.0;

/// Which of a query's matches a statement asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// Every match (for counting).
    All,
    /// Matches whose title holds every query word.
    Title,
    /// The other matches.
    BodyOnly,
}

/// Makes `select` a ranked match of `query` over the indexed objects of `entity` stored in
/// `table` (whose id column is `id_column`, e.g. `document.id`): adds the index tables,
/// the join, the match condition of `tier` and a `score` column (higher is better). The
/// index drives the query: on SQLite the FTS table comes first and CROSS JOIN keeps that
/// order (the planner may otherwise probe FTS once per row of `table`).
pub fn ranked_match<T: IntoTableRef>(
    select: &mut SelectStatement,
    backend: DatabaseBackend,
    query: &ParsedQuery,
    entity: &'static str,
    table: T,
    id_column: &'static str,
    tier: Tier,
) {
    match backend {
        DatabaseBackend::Sqlite => {
            let q = query.fts5();
            let expr = match tier {
                Tier::All => q,
                Tier::Title => format!("{{title}} : ({q})"),
                Tier::BodyOnly => format!("({q}) NOT ({{title}} : ({q}))"),
            };
            select
                .expr_as(Expr::cust("-bm25(search_fts, 10.0, 1.0)"), "score")
                .from("search_fts")
                .cross_join("search_doc")
                .cross_join(table)
                .and_where(Expr::cust_with_values("search_fts MATCH ?", [expr]))
                .and_where(Expr::cust("search_doc.rowid = search_fts.rowid"))
                .and_where(Expr::col(("search_doc", "entity")).eq(entity))
                .and_where(Expr::cust(format!("{id_column} = search_doc.entity_id")));
        }
        _ => {
            // The title tier tests and ranks the small title vector (its own GIN index);
            // only the body tier reads whole documents' vectors.
            let q = query.tsquery();
            let title = || Expr::cust_with_values("search_entry.title_tsv @@ $1::tsquery", [q.clone()]);
            let vector = if tier == Tier::Title { "title_tsv" } else { "tsv" };
            select
                .expr_as(
                    Expr::cust_with_values(format!("ts_rank(search_entry.{vector}, $1::tsquery)::float8"), [q.clone()]),
                    "score",
                )
                .from("search_entry")
                .join(JoinType::InnerJoin, table, Expr::cust(format!("{id_column} = search_entry.entity_id")))
                .and_where(Expr::col(("search_entry", "entity")).eq(entity));
            match tier {
                Tier::All => {
                    select.and_where(Expr::cust_with_values("search_entry.tsv @@ $1::tsquery", [q.clone()]));
                }
                Tier::Title => {
                    select.and_where(title());
                }
                Tier::BodyOnly => {
                    select
                        .and_where(Expr::cust_with_values("search_entry.tsv @@ $1::tsquery", [q.clone()]))
                        .and_where(title().not());
                }
            }
        }
    }
}

/// A validated query: its words and the backend-specific match expressions.
#[derive(Debug, Clone)]
pub struct ParsedQuery {
    /// Query words (lower-cased), highlighted in snippets.
    pub tokens: Vec<String>,
    terms: Vec<segment::QueryTerm>,
}

impl ParsedQuery {
    /// Validates and segments a user query; `field` names the input in errors.
    pub fn parse(q: &str, field: &str) -> AppResult<Self> {
        let q = q.trim();
        if q.is_empty() {
            return Err(AppError::invalid(field, "must not be empty"));
        }
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(AppError::invalid(field, format!("must be at most {MAX_QUERY_CHARS} characters")));
        }
        let terms = segment::query_terms(q);
        if terms.is_empty() {
            return Err(AppError::invalid(field, "contains no searchable words"));
        }
        Ok(ParsedQuery { tokens: terms.iter().map(|t| t.word.clone()).collect(), terms })
    }

    /// The FTS5 MATCH expression: every word must match, as itself or as all its bigrams
    /// (a single Chinese character as a bigram prefix).
    pub fn fts5(&self) -> String {
        let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        self.terms
            .iter()
            .map(|t| {
                let mut alternatives = vec![quote(&t.word)];
                if t.bigrams.len() > 1 {
                    alternatives
                        .push(format!("({})", t.bigrams.iter().map(|b| quote(b)).collect::<Vec<_>>().join(" AND ")));
                }
                if t.single_cjk {
                    alternatives.push(format!("{}*", quote(&t.word)));
                }
                format!("({})", alternatives.join(" OR "))
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// The tsquery literal with the same alternatives.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .map(|t| {
                let mut alternatives = vec![lexeme(&t.word)];
                if t.bigrams.len() > 1 {
                    alternatives
                        .push(format!("({})", t.bigrams.iter().map(|b| lexeme(b)).collect::<Vec<_>>().join(" & ")));
                }
                if t.single_cjk {
                    alternatives.push(format!("{}:*", lexeme(&t.word)));
                }
                format!("({})", alternatives.join(" | "))
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// A quoted tsvector / tsquery lexeme.
fn lexeme(token: &str) -> String {
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

/// A tsvector literal with positions, title tokens weighted A, content tokens D.
/// Built here so PostgreSQL needs no parser that understands Chinese.
fn tsvector_literal(title: &[String], content: &[String]) -> String {
    use std::collections::BTreeMap;
    let mut positions: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let weighted = title.iter().map(|t| (t, "A")).chain(content.iter().map(|t| (t, "")));
    for (pos, (token, weight)) in weighted.enumerate() {
        if token.len() > 2000 {
            continue;
        }
        let p = (pos + 1).min(16383);
        let list = positions.entry(token.as_str()).or_default();
        if list.len() < 255 {
            list.push(format!("{p}{weight}"));
        }
    }
    positions.into_iter().map(|(t, ps)| format!("{}:{}", lexeme(t), ps.join(","))).collect::<Vec<_>>().join(" ")
}

/// A highlighted excerpt of `text` around the first query token: HTML-escaped, matches
/// wrapped in `<mark>`…`</mark>`, about `width` characters long.
pub fn snippet(text: &str, tokens: &[String], width: usize) -> String {
    let plain: String = text
        .chars()
        .map(|c| if c.is_whitespace() || "#*>`|_".contains(c) { ' ' } else { c })
        .collect::<String>()
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let chars: Vec<char> = plain.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let token_chars: Vec<Vec<char>> =
        tokens.iter().map(|t| t.chars().collect()).filter(|t: &Vec<char>| !t.is_empty()).collect();
    let matches_at =
        |i: usize| -> Option<usize> { token_chars.iter().filter(|t| lower[i..].starts_with(t)).map(|t| t.len()).max() };
    let first = (0..chars.len()).find(|&i| matches_at(i).is_some()).unwrap_or(0);
    let start = first.saturating_sub(width / 4);
    let end = (start + width).min(chars.len());
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut i = start;
    while i < end {
        if let Some(len) = matches_at(i) {
            let stop = (i + len).min(chars.len());
            out.push_str("<mark>");
            out.push_str(&escape(&chars[i..stop]));
            out.push_str("</mark>");
            i = stop;
        } else {
            out.push_str(&escape(&chars[i..i + 1]));
            i += 1;
        }
    }
    if end < chars.len() {
        out.push('…');
    }
    // Adjacent matches (科技 + 创新) read as one highlighted phrase.
    out.replace("</mark><mark>", "")
}

fn escape(chars: &[char]) -> String {
    let mut s = String::new();
    for c in chars {
        match c {
            '<' => s.push_str("&lt;"),
            '>' => s.push_str("&gt;"),
            '&' => s.push_str("&amp;"),
            '"' => s.push_str("&quot;"),
            _ => s.push(*c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_validated_and_quoted() {
        assert!(ParsedQuery::parse("  ", "q").is_err());
        assert!(ParsedQuery::parse(&"科".repeat(101), "q").is_err());
        assert!(ParsedQuery::parse("！？。", "q").is_err());
        let q = ParsedQuery::parse("科技 创新", "q").unwrap();
        assert_eq!(q.tsquery(), "('科技') & ('创新')");
        assert_eq!(q.fts5(), "(\"科技\") AND (\"创新\")");
        // A word of the party-building dictionary: itself, or all its bigrams.
        let q = ParsedQuery::parse("科技创新", "q").unwrap();
        assert_eq!(q.tsquery(), "('科技创新' | ('科技' & '技创' & '创新'))");
        let q = ParsedQuery::parse("中华人民共和国", "q").unwrap();
        assert!(q.fts5().contains(" OR ("), "multi-character words also match by bigrams: {}", q.fts5());
        assert_eq!(lexeme("o'b\\"), "'o''b\\\\'");
    }

    #[test]
    fn tsvector_literal_weights_title() {
        let lit = tsvector_literal(&["科技".into()], &["创新".into(), "科技".into()]);
        assert_eq!(lit, "'创新':2 '科技':1A,3");
    }

    #[test]
    fn snippets_highlight_and_escape() {
        let s = snippet("前言。<b>公司党委</b>推进科技创新，成效显著。", &["科技".into(), "创新".into()], 40);
        assert!(s.contains("<mark>科技创新</mark>"), "adjacent matches merge: {s}");
        assert!(s.contains("&lt;") && !s.contains("<b"), "markup is escaped: {s}");
    }
}
