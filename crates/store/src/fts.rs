//! Full-text pre-filter for the register's free-text search (migration 0004).
//!
//! `Filter.text` keeps its meaning: every word and every "quoted phrase" must occur in the
//! incident's `search_text`; `incidents::build_list` still checks that with LIKE. The index only
//! narrows the candidates, so it must never drop a row LIKE would keep *at a word start*: each
//! term becomes its runs of letters and digits, matched as adjacent words with the last one as a
//! prefix (`"lokaal 1"` → `lokaal` followed by a word starting with `1`). Terms without letters
//! or digits (`%`, `_`) have no index condition and fall back to the LIKE scan.
//!
//! - SQLite: the external-content FTS5 table `incidents_fts` (tokenizer `unicode61`).
//! - PostgreSQL: the generated `search_tsv` column (`'simple'` configuration over the text with
//!   every run of non-alphanumerics replaced by a space, so both backends see the same words).

use crate::Backend;

/// Up to this many index matches the register looks them up and sorts them; above it, it walks
/// the register in sort order testing LIKE only (a common word fills a page within a few hundred
/// rows).
pub(crate) const LOOKUP_MAX: i64 = 3000;

/// The runs of letters and digits of a term, lower-cased.
pub(crate) fn words(term: &str) -> Vec<String> {
    term.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The FTS5 MATCH expression for the terms, or None when no term has a word.
pub(crate) fn sqlite_match(terms: &[String]) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| words(t))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{}\" *", w.join(" ")))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" AND "))
}

/// The `to_tsquery('simple', …)` text for the terms, or None when no term has a word.
pub(crate) fn postgres_tsquery(terms: &[String]) -> Option<String> {
    let parts: Vec<String> = terms
        .iter()
        .map(|t| words(t))
        .filter(|w| !w.is_empty())
        .map(|w| {
            let quoted: Vec<String> = w
                .iter()
                .map(|x| format!("'{}'", x.replace('\'', "''")))
                .collect();
            format!("({}:*)", quoted.join(" <-> "))
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" & "))
}

/// The index query text for the terms on `backend` (bound to `SQLITE_COUNT_SQL` and `condition`).
pub(crate) fn match_text(backend: Backend, terms: &[String]) -> Option<String> {
    match backend {
        Backend::Sqlite => sqlite_match(terms),
        Backend::Postgres => postgres_tsquery(terms),
    }
}

/// Counts SQLite index matches up to a bound: `$1` the match text, `$2` the bound. (PostgreSQL
/// does not count: a GIN bitmap scan reads whole posting lists, so `list_incidents` probes the
/// newest rows instead.)
pub(crate) const SQLITE_COUNT_SQL: &str = "SELECT count(*) FROM (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH $1 LIMIT $2) AS m";

/// The SQL condition narrowing the register to index matches; `bind` adds a parameter and returns
/// its placeholder.
pub(crate) fn condition(
    backend: Backend,
    terms: &[String],
    mut bind: impl FnMut(String) -> String,
) -> Option<String> {
    let text = match_text(backend, terms)?;
    let p = bind(text);
    Some(match backend {
        Backend::Sqlite => {
            format!("rowid IN (SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH {p})")
        }
        Backend::Postgres => format!("search_tsv @@ to_tsquery('simple', {p})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn terms_become_word_prefix_phrases() {
        assert_eq!(
            sqlite_match(&t(&["printer", "lokaal 12", "2026-0007", "%"])).as_deref(),
            Some(r#""printer" * AND "lokaal 12" * AND "2026 0007" *"#)
        );
        assert_eq!(
            postgres_tsquery(&t(&["printer", "a_b"])).as_deref(),
            Some("('printer':*) & ('a' <-> 'b':*)")
        );
        assert_eq!(sqlite_match(&t(&["%", "_"])), None);
        assert_eq!(words("Café-Wifi"), vec!["café", "wifi"]);
    }
}
