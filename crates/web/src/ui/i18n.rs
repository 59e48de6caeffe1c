//! Translation with Fluent: every string the UI shows comes from `locales/{nl,en}.ftl`.
//!
//! Language choice: `?lang=` (which also sets the `lang` cookie), else the cookie, else
//! `Accept-Language`, else Dutch.

use axum::extract::Request;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use std::sync::OnceLock;

/// The Dutch messages (the reference language), one resource per feature.
pub const NL_FTL: &[&str] = &[
    include_str!("../../locales/nl.ftl"),
    include_str!("../../locales/breach.nl.ftl"),
    include_str!("../../locales/sla.nl.ftl"),
];
/// The English messages, one resource per feature, in the same order.
pub const EN_FTL: &[&str] = &[
    include_str!("../../locales/en.ftl"),
    include_str!("../../locales/breach.en.ftl"),
    include_str!("../../locales/sla.en.ftl"),
];

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// Dutch, the default.
    #[default]
    Nl,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 code, for `lang` attributes and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// Parses `nl` / `en` (case-insensitive, region ignored).
    pub fn parse(s: &str) -> Option<Lang> {
        let primary = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }
}

type Bundle = FluentBundle<FluentResource>;

/// Both message bundles, parsed once.
pub struct I18n {
    nl: Bundle,
    en: Bundle,
}

fn bundle(lang: &str, sources: &[&'static str]) -> Bundle {
    let id = lang.parse().unwrap_or_default();
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // Isolation marks (U+2068/2069) would end up inside attribute values and e-mail text.
    b.set_use_isolating(false);
    for src in sources {
        // The .ftl files are part of the binary and checked by tests; a syntax error is a build bug.
        let res = FluentResource::try_new(src.to_string()).unwrap_or_else(|(res, errs)| {
            tracing::error!(?errs, lang, "errors in .ftl file");
            res
        });
        if let Err(errs) = b.add_resource(res) {
            tracing::error!(?errs, lang, "duplicate messages in .ftl file");
        }
    }
    b
}

/// The process-wide translations (immutable after first use).
pub fn i18n() -> &'static I18n {
    static I18N: OnceLock<I18n> = OnceLock::new();
    I18N.get_or_init(|| I18n {
        nl: bundle("nl", NL_FTL),
        en: bundle("en", EN_FTL),
    })
}

impl I18n {
    fn bundle(&self, lang: Lang) -> &Bundle {
        match lang {
            Lang::Nl => &self.nl,
            Lang::En => &self.en,
        }
    }

    /// True when `key` exists in the language.
    pub fn has(&self, lang: Lang, key: &str) -> bool {
        self.bundle(lang).has_message(key)
    }

    /// The message `key` with optional arguments; the key itself when missing (and logged),
    /// so a missing translation is visible but never breaks a page.
    pub fn get(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let b = self.bundle(lang);
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = lang.code(), "missing translation");
            return key.to_string();
        };
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, v.to_string());
        }
        let mut errs = Vec::new();
        let out = b.format_pattern(pattern, (!args.is_empty()).then_some(&fa), &mut errs);
        if !errs.is_empty() {
            tracing::warn!(key, ?errs, "translation formatting problem");
        }
        out.into_owned()
    }
}

/// Shorthand: one message without arguments.
pub fn tr(lang: Lang, key: &str) -> String {
    i18n().get(lang, key, &[])
}

/// Reads a cookie value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The `lang` query parameter, if any and valid.
pub fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

/// Picks nl or en from `Accept-Language`, honouring q-values.
pub fn accept_language(headers: &HeaderMap) -> Option<Lang> {
    let v = headers.get(ACCEPT_LANGUAGE)?.to_str().ok()?;
    let mut best: Option<(f32, Lang)> = None;
    for item in v.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let q = parts
            .find_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .unwrap_or(1.0);
        if let Some(l) = Lang::parse(tag) {
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, l));
            }
        }
    }
    best.map(|(_, l)| l)
}

/// Middleware: decides the language, stores it as a request extension, and remembers an
/// explicit `?lang=` choice in a cookie.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let explicit = query_lang(req.uri().query());
    let lang = explicit
        .or_else(|| cookie(req.headers(), "lang").and_then(Lang::parse))
        .or_else(|| accept_language(req.headers()))
        .unwrap_or_default();
    req.extensions_mut().insert(lang);
    let mut res = next.run(req).await;
    if let Some(l) = explicit {
        let c = format!("lang={}; Path=/; Max-Age=31536000; SameSite=Lax", l.code());
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(SET_COOKIE, v);
        }
    }
    res
}

/// The message key of a vocabulary code, e.g. (`kind`, `security_incident`) → `kind-security-incident`.
pub fn vocab_key(prefix: &str, code: &str) -> String {
    format!("{prefix}-{}", code.replace('_', "-"))
}

/// A translated vocabulary label.
pub fn label(lang: Lang, prefix: &str, code: &str) -> String {
    tr(lang, &vocab_key(prefix, code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use meldpunt_core::auth::Role;
    use meldpunt_core::incident::*;
    use std::collections::BTreeSet;

    fn keys(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
            .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn ftl_files_parse_without_errors() {
        for src in NL_FTL.iter().chain(EN_FTL) {
            assert!(FluentResource::try_new(src.to_string()).is_ok());
        }
    }

    #[test]
    fn both_languages_have_the_same_keys() {
        assert_eq!(NL_FTL.len(), EN_FTL.len());
        for (nl, en) in NL_FTL.iter().zip(EN_FTL) {
            let (nl, en) = (keys(nl), keys(en));
            let only_nl: Vec<_> = nl.difference(&en).collect();
            let only_en: Vec<_> = en.difference(&nl).collect();
            assert!(only_nl.is_empty(), "only in Dutch: {only_nl:?}");
            assert!(only_en.is_empty(), "only in English: {only_en:?}");
        }
        let nl = keys(&NL_FTL.concat());
        let en = keys(&EN_FTL.concat());
        let only_nl: Vec<_> = nl.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&nl).collect();
        assert!(only_nl.is_empty(), "only in nl.ftl: {only_nl:?}");
        assert!(only_en.is_empty(), "only in en.ftl: {only_en:?}");
    }

    /// Every `t("…")`/`ta("…"` in templates and every `tr(…, "…")`/`key: "…"` in the UI code exists.
    #[test]
    fn every_used_key_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut sources = Vec::new();
        let mut code = Vec::new();
        for e in std::fs::read_dir(dir).expect("templates dir") {
            let p = e.expect("entry").path();
            sources.push(std::fs::read_to_string(&p).expect("read template"));
        }
        let src_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui");
        for e in std::fs::read_dir(src_dir).expect("src dir") {
            let p = e.expect("entry").path();
            // This file only defines the markers (in comments and this test), it uses no keys.
            if p.file_name().is_some_and(|n| n == "i18n.rs") {
                continue;
            }
            code.push(std::fs::read_to_string(&p).expect("read source"));
        }
        let mut used = BTreeSet::new();
        for s in sources.iter().chain(&code) {
            for marker in [
                "t(\"",
                "ta(\"",
                "tr(ctx.lang, \"",
                "tr(lang, \"",
                "tr(self.lang, \"",
                "k!(\"",
            ] {
                for (i, _) in s.match_indices(marker) {
                    // `get("…")` ends in `t("` too; only a call named exactly `t`/`ta`/`tr` counts.
                    let before = s[..i].chars().next_back();
                    if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                        continue;
                    }
                    let rest = &s[i + marker.len()..];
                    if let Some(end) = rest.find('"') {
                        used.insert(rest[..end].to_string());
                    }
                }
            }
        }
        // Also every kebab-case string literal in the UI code (message keys passed around as
        // arguments), minus the few that are not keys.
        let not_keys = ["sec-fetch-site", "same-origin", "personal-data"];
        for s in &code {
            for lit in s.split('"').skip(1).step_by(2) {
                let kebab = lit.contains('-')
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && lit.chars().next().is_some_and(|c| c.is_ascii_lowercase());
                let value_key = ["triage-", "board-", "assign-"]
                    .iter()
                    .any(|p| lit.starts_with(p))
                    && !i18n().has(Lang::Nl, lit);
                if kebab && !value_key && !not_keys.contains(&lit) {
                    used.insert(lit.to_string());
                }
            }
        }
        assert!(used.len() > 50, "scan found too few keys: {}", used.len());
        let i = i18n();
        for lang in [Lang::Nl, Lang::En] {
            let missing: Vec<_> = used.iter().filter(|k| !i.has(lang, k)).collect();
            assert!(
                missing.is_empty(),
                "missing in {}: {missing:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn every_vocabulary_value_and_validation_code_has_a_label() {
        let mut want: Vec<String> = Vec::new();
        want.extend(Kind::ALL.iter().map(|v| vocab_key("kind", v.code())));
        want.extend(
            Category::ALL
                .iter()
                .map(|v| vocab_key("category", v.code())),
        );
        want.extend(Impact::ALL.iter().map(|v| vocab_key("impact", v.code())));
        want.extend(Urgency::ALL.iter().map(|v| vocab_key("urgency", v.code())));
        want.extend(
            Priority::ALL
                .iter()
                .map(|v| vocab_key("priority", v.code())),
        );
        want.extend(Status::ALL.iter().map(|v| vocab_key("status", v.code())));
        want.extend(
            PersonalDataAnswer::ALL
                .iter()
                .map(|v| vocab_key("personal-data", v.code())),
        );
        want.extend(Role::ALL.iter().map(|v| vocab_key("role", v.code())));
        for a in ["availability", "integrity", "confidentiality"] {
            want.push(format!("aspect-{a}"));
        }
        for e in [
            "error-required",
            "error-too-long",
            "error-invalid-characters",
            "error-invalid-email",
            "error-invalid-phone",
            "error-invalid-datetime",
            "error-in-future",
            "error-too-long-ago",
            "error-invalid-choice",
            "error-unknown-school",
            "error-school-required",
            "error-board-required",
            "error-password-too-short",
            "error-invalid-brin",
            "error-override-reason-required",
            "error-priority-below-floor",
            "error-unknown-assignee",
        ] {
            want.push(e.to_string());
        }
        for ev in super::super::incidents::EVENT_TYPES {
            want.push(format!("event-{}", ev.replace('_', "-")));
        }
        let i = i18n();
        for lang in [Lang::Nl, Lang::En] {
            let missing: Vec<_> = want.iter().filter(|k| !i.has(lang, k)).collect();
            assert!(
                missing.is_empty(),
                "missing in {}: {missing:?}",
                lang.code()
            );
        }
    }

    #[test]
    fn accept_language_prefers_highest_q() {
        let mut h = HeaderMap::new();
        h.insert(
            ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE, en-GB;q=0.8, nl;q=0.5"),
        );
        assert_eq!(accept_language(&h), Some(Lang::En));
        h.insert(ACCEPT_LANGUAGE, HeaderValue::from_static("fr"));
        assert_eq!(accept_language(&h), None);
        assert_eq!(query_lang(Some("a=1&lang=en")), Some(Lang::En));
    }

    #[test]
    fn arguments_are_substituted_without_isolation_marks() {
        let s = i18n().get(Lang::Nl, "receipt-number", &[("number", "2026-0001")]);
        assert!(s.contains("2026-0001"));
        assert!(!s.contains('\u{2068}'));
    }
}
