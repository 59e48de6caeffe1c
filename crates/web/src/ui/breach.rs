//! The breach pages: the breach record with its deadline, assessment and decisions; the AP
//! notification pack (HTML and PDF); the breach register with CSV/XLSX exports; the board's
//! breach settings. Every form carries the session's CSRF token; access is decided in the app.

use super::i18n::{i18n, tr, Lang};
use super::Page as _;
use super::{local_time, page, render, see_other, Ctx, FieldErrors, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Form;
use meldpunt_app::breach::{pack, BreachRegisterQuery, BreachView, InformInput};
use meldpunt_app::core::auth::BoardAction;
use meldpunt_app::core::breach::assessment::{Mitigation, PeopleCount, Reason};
use meldpunt_app::core::breach::enisa::{
    AvailabilityLoss, ConfidentialityLoss, DpcAdjustment, DpcFactor, EaseOfIdentification,
    IntegrityLoss,
};
use meldpunt_app::core::breach::record::{
    AssessmentAnswers, BreachAccess, BreachFacts, FollowupKind, InformChannel, InformGround,
    LetterAudience, OtherRecipient,
};
use meldpunt_app::core::breach::{
    render_moment_nl, render_time_left_nl, time_left, ApIncidentKind, BreachNature, Consequence,
    DataCategory, DataSubjectGroup, EnisaDataClass, PriorMeasure,
};
use meldpunt_app::core::ids::{IncidentId, SchoolId};
use meldpunt_app::core::validation::{FieldError, ValidationErrors};
use meldpunt_app::store::breach::BreachSettings;
use meldpunt_app::AppError;
use serde::Deserialize;
use std::collections::HashMap;

// ---------------------------------------------------------------- helpers

/// A moment in the reader's language, Europe/Amsterdam.
pub fn moment(lang: Lang, t: jiff::Timestamp) -> String {
    match lang {
        Lang::Nl => render_moment_nl(t),
        Lang::En => t
            .in_tz("Europe/Amsterdam")
            .map(|z| z.strftime("%A %-d %B %Y at %H:%M").to_string())
            .unwrap_or_else(|_| t.to_string()),
    }
}

/// Time left (or overdue) in the reader's language.
pub fn time_left_text(lang: Lang, left: jiff::SignedDuration) -> String {
    match lang {
        Lang::Nl => render_time_left_nl(left),
        Lang::En => {
            let secs = left.as_secs();
            let m = secs.unsigned_abs() / 60;
            let (d, h, mi) = (m / 1440, m / 60 % 24, m % 60);
            let mut parts = Vec::new();
            if d > 0 {
                parts.push(format!("{d} day{}", if d == 1 { "" } else { "s" }));
            }
            if h > 0 {
                parts.push(format!("{h} hour{}", if h == 1 { "" } else { "s" }));
            }
            if mi > 0 {
                parts.push(format!("{mi} minute{}", if mi == 1 { "" } else { "s" }));
            }
            if parts.is_empty() {
                return if secs < 0 {
                    "expired".into()
                } else {
                    "less than a minute left".into()
                };
            }
            let text = parts.join(", ");
            if secs < 0 {
                format!("{text} overdue")
            } else {
                format!("{text} left")
            }
        }
    }
}

fn parse_local(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    dt.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").ok()?)
        .ok()
        .map(|z| z.timestamp())
}

fn to_local_input(t: Option<jiff::Timestamp>) -> String {
    t.and_then(|t| t.in_tz("Europe/Amsterdam").ok())
        .map(|z| z.strftime("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

fn parse_date(s: &str, plus_days: i64) -> Option<jiff::Timestamp> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    let d = d.checked_add(jiff::Span::new().days(plus_days)).ok()?;
    d.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").ok()?)
        .ok()
        .map(|z| z.timestamp())
}

fn lbl(lang: Lang, prefix: &str, code: &str) -> String {
    tr(lang, &format!("breach-{prefix}-{}", code.replace('_', "-")))
}

/// Posted form values; repeated names (checkboxes) keep every value.
struct Posted(Vec<(String, String)>);

impl Posted {
    fn get(&self, k: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }
    fn opt(&self, k: &str) -> Option<String> {
        Some(self.get(k).to_string()).filter(|s| !s.is_empty())
    }
    fn all(&self, k: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn on(&self, k: &str) -> bool {
        !self.get(k).is_empty()
    }
}

/// Collects parse problems of a form.
#[derive(Default)]
struct Errs(Vec<FieldError>);

impl Errs {
    fn time(&mut self, p: &Posted, field: &'static str) -> Option<jiff::Timestamp> {
        let v = p.get(field);
        if v.is_empty() {
            return None;
        }
        let t = parse_local(v);
        if t.is_none() {
            self.0.push(FieldError {
                field,
                code: "error-invalid-datetime",
            });
        }
        t
    }
    fn required_time(&mut self, p: &Posted, field: &'static str) -> Option<jiff::Timestamp> {
        if p.get(field).is_empty() {
            self.0.push(FieldError {
                field,
                code: "error-required",
            });
            return None;
        }
        self.time(p, field)
    }
    fn number(&mut self, p: &Posted, field: &'static str) -> Option<u64> {
        let v = p.get(field);
        if v.is_empty() {
            return None;
        }
        let n = v.parse::<u64>().ok();
        if n.is_none() {
            self.0.push(FieldError {
                field,
                code: "error-breach-number",
            });
        }
        n
    }
    fn codes<T>(&mut self, p: &Posted, field: &'static str, f: fn(&str) -> Option<T>) -> Vec<T> {
        let mut out = Vec::new();
        for v in p.all(field) {
            match f(v) {
                Some(x) => out.push(x),
                None => self.0.push(FieldError {
                    field,
                    code: "error-invalid-choice",
                }),
            }
        }
        out
    }
    fn code<T>(&mut self, p: &Posted, field: &'static str, f: fn(&str) -> Option<T>) -> Option<T> {
        let v = p.get(field);
        if v.is_empty() {
            return None;
        }
        let r = f(v);
        if r.is_none() {
            self.0.push(FieldError {
                field,
                code: "error-invalid-choice",
            });
        }
        r
    }
    fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(ValidationErrors(self.0)))
        }
    }
}

// ---------------------------------------------------------------- form model

/// An option of a select, radio group or checkbox group.
pub struct Opt {
    value: String,
    label: String,
    on: bool,
}

/// How a field is shown.
pub enum Kind {
    Text,
    Area,
    DateTime,
    Number,
    Select,
    Radios,
    Checks,
    Check,
}

/// One form field.
pub struct Field {
    form: &'static str,
    name: &'static str,
    label: String,
    hint: Option<String>,
    kind: Kind,
    value: String,
    options: Vec<Opt>,
    error: Option<String>,
}

impl Field {
    fn id(&self) -> String {
        format!("{}-{}", self.form, self.name)
    }
}

/// One form of the breach page.
pub struct FormDef {
    slug: &'static str,
    name: &'static str,
    title: String,
    intro: Option<String>,
    fields: Vec<Field>,
    button: String,
    open: bool,
}

/// Builds fields with the posted values (after an error) or the recorded ones.
struct Builder<'a> {
    lang: Lang,
    form: &'static str,
    posted: Option<&'a Posted>,
    errors: &'a FieldErrors,
}

impl Builder<'_> {
    fn field(&self, name: &'static str, kind: Kind, value: String) -> Field {
        let value = match self.posted {
            Some(p) => p.get(name).to_string(),
            None => value,
        };
        Field {
            form: self.form,
            name,
            label: tr(
                self.lang,
                &format!("breach-field-{}", name.replace('_', "-")),
            ),
            hint: None,
            kind,
            value,
            options: Vec::new(),
            error: self
                .errors
                .get(&format!("{}-{name}", self.form))
                .map(str::to_string),
        }
    }
    fn text(&self, name: &'static str, v: Option<&str>) -> Field {
        self.field(name, Kind::Text, v.unwrap_or("").to_string())
    }
    fn area(&self, name: &'static str, v: Option<&str>) -> Field {
        self.field(name, Kind::Area, v.unwrap_or("").to_string())
    }
    fn time(&self, name: &'static str, v: Option<jiff::Timestamp>) -> Field {
        self.field(name, Kind::DateTime, to_local_input(v))
    }
    fn number(&self, name: &'static str, v: Option<u64>) -> Field {
        self.field(
            name,
            Kind::Number,
            v.map(|n| n.to_string()).unwrap_or_default(),
        )
    }
    fn check(&self, name: &'static str, on: bool) -> Field {
        let on = match self.posted {
            Some(p) => p.on(name),
            None => on,
        };
        self.field(
            name,
            Kind::Check,
            if on { "on".into() } else { String::new() },
        )
    }
    fn choice<T: Copy>(
        &self,
        name: &'static str,
        kind: Kind,
        prefix: &str,
        all: &[T],
        code: fn(T) -> &'static str,
        selected: &[&str],
    ) -> Field {
        let selected: Vec<String> = match self.posted {
            Some(p) => p.all(name).iter().map(|s| s.to_string()).collect(),
            None => selected.iter().map(|s| s.to_string()).collect(),
        };
        let mut f = self.field(name, kind, selected.first().cloned().unwrap_or_default());
        f.options = all
            .iter()
            .map(|v| Opt {
                value: code(*v).to_string(),
                label: lbl(self.lang, prefix, code(*v)),
                on: selected.iter().any(|s| s == code(*v)),
            })
            .collect();
        f
    }
    fn yes_no(&self, name: &'static str, v: Option<bool>) -> Field {
        let cur = v.map(|b| if b { "yes" } else { "no" });
        let selected: Vec<&str> = cur.into_iter().collect();
        self.choice(
            name,
            Kind::Radios,
            "answer",
            &["yes", "no"],
            |s| s,
            &selected,
        )
    }
}

// ---------------------------------------------------------------- the breach page

/// A labelled value.
pub struct Item {
    label: String,
    value: String,
}

/// A reason for the suggestion.
pub struct ReasonRow {
    text: String,
}

/// A child record (follow-up, other notification, warning).
pub struct ListRow {
    at: String,
    what: String,
    reference: String,
    note: String,
}

/// A letter with its form.
pub struct LetterView {
    audience: String,
    code: &'static str,
    body: String,
    sent: Option<String>,
    error: Option<String>,
}

/// The breach page.
#[derive(Template)]
#[template(path = "breach.html")]
pub struct BreachPage {
    l: Layout,
    id: String,
    number: String,
    summary: String,
    exercise: bool,
    full: bool,
    deadline: String,
    time_left: String,
    overdue: bool,
    decision_open: bool,
    moments: Vec<Item>,
    suggestion: String,
    suggestion_code: String,
    severity: String,
    reasons: Vec<ReasonRow>,
    decisions: Vec<Item>,
    forms: Vec<FormDef>,
    letters: Vec<LetterView>,
    followups: Vec<ListRow>,
    others: Vec<ListRow>,
    warnings: Vec<ListRow>,
    errors: FieldErrors,
    message: Option<String>,
    version: i64,
}
page!(BreachPage);

/// Reasons in the reader's language.
pub fn reason_text(lang: Lang, r: &Reason) -> String {
    if lang == Lang::Nl {
        return meldpunt_app::core::breach::dutch_reason(r);
    }
    let list = |prefix: &str, codes: &str| -> String {
        codes
            .split(',')
            .filter(|c| !c.is_empty())
            .map(|c| lbl(lang, prefix, c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut args: Vec<(&str, String)> = Vec::new();
    for (k, v) in r.params() {
        let v = match k {
            "categories" => list("data", &v),
            "consequences" => list("consequence", &v),
            "opens" => lbl(lang, "class", &v),
            "level" => lbl(lang, "level", &v),
            "ap_severity" => lbl(lang, "apseverity", &v),
            _ => v,
        };
        args.push((k, v));
    }
    let a: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    i18n().get(lang, r.key(), &a)
}

struct Feedback {
    form: String,
    posted: Posted,
    errors: Option<ValidationErrors>,
    message: Option<String>,
}

async fn breach_page(
    ctx: &Ctx,
    s: &AppState,
    id: IncidentId,
    status: StatusCode,
    fb: Option<Feedback>,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let v: BreachView = match s.app.breach_view(&session.principal, id).await {
        Ok(v) => v,
        Err(AppError::NotFound) => {
            // No record yet: offer to open one to those who may.
            return match s.app.store.incident(id).await {
                Ok(Some(i)) => match s.app.breach_access(&session.principal, &i).await {
                    Ok(BreachAccess::Edit) => render(
                        StatusCode::OK,
                        &OpenPage {
                            l: ctx.layout_titled(
                                i18n().get(
                                    ctx.lang,
                                    "breach-title",
                                    &[("number", &i.number.to_string())],
                                ),
                                "register",
                            ),
                            id: i.id.to_string(),
                            number: i.number.to_string(),
                            summary: i.summary.clone(),
                        },
                    ),
                    _ => ctx.not_found(),
                },
                _ => ctx.not_found(),
            };
        }
        Err(e) => return ctx.fail(e),
    };
    let lang = ctx.lang;
    let now = s.app.now();
    let i = &v.incident;
    let sum = &v.summary;
    let left = time_left(sum.deadline, now);
    let (mut errors, mut message, mut posted_form, posted) =
        (FieldErrors::default(), None, String::new(), None);
    let mut posted = posted;
    if let Some(fb) = fb {
        if let Some(ve) = &fb.errors {
            errors = FieldErrors(
                ve.0.iter()
                    .map(|e| (format!("{}-{}", fb.form, e.field), tr(lang, e.code)))
                    .collect(),
            );
        }
        message = fb.message;
        posted_form = fb.form;
        posted = Some(fb.posted);
    }
    let b = |form: &'static str| Builder {
        lang,
        form,
        posted: if posted_form == form {
            posted.as_ref()
        } else {
            None
        },
        errors: &errors,
    };
    let mut moments = vec![
        Item {
            label: tr(lang, "breach-first-signal"),
            value: v
                .record
                .as_ref()
                .map(|r| moment(lang, r.first_signal_at))
                .unwrap_or_else(|| "—".into()),
        },
        Item {
            label: tr(lang, "breach-awareness"),
            value: moment(lang, sum.awareness_at),
        },
        Item {
            label: tr(lang, "breach-deadline"),
            value: moment(lang, sum.deadline),
        },
    ];
    moments.push(Item {
        label: tr(lang, "breach-notified"),
        value: sum
            .notified_at
            .map(|t| moment(lang, t))
            .unwrap_or_else(|| tr(lang, "breach-not-yet")),
    });
    let full = v.access >= BreachAccess::Read;
    let edit = v.access == BreachAccess::Edit;
    let advise = v.access >= BreachAccess::Advise;
    let (mut suggestion, mut suggestion_code, mut severity, mut reasons, mut decisions) = (
        String::new(),
        String::new(),
        String::new(),
        Vec::new(),
        Vec::new(),
    );
    let mut forms = Vec::new();
    let mut letters = Vec::new();
    let mut version = 0;
    if let (Some(r), Some(a)) = (&v.record, &v.assessment) {
        version = r.version;
        suggestion = lbl(lang, "suggestion", a.suggestion.code());
        suggestion_code = a.suggestion.code().replace('_', "-");
        severity = i18n().get(
            lang,
            "breach-severity-value",
            &[
                (
                    "ap",
                    &lbl(lang, "apseverity", a.severity.level.ap_severity().code()),
                ),
                ("score", &a.severity.score.dutch()),
                ("level", &lbl(lang, "level", a.severity.level.code())),
            ],
        );
        reasons = a
            .reasons
            .iter()
            .map(|x| ReasonRow {
                text: reason_text(lang, x),
            })
            .collect();
        let yn = |b: bool| tr(lang, if b { "answer-yes" } else { "answer-no" });
        decisions.push(Item {
            label: tr(lang, "breach-decision-notify"),
            value: match &r.notify {
                None => tr(lang, "breach-open"),
                Some(d) => format!(
                    "{} — {} ({}){}",
                    yn(d.notify),
                    d.decided_by,
                    local_time(d.decided_at),
                    d.reasoning
                        .as_ref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                ),
            },
        });
        decisions.push(Item {
            label: tr(lang, "breach-fg-advice"),
            value: r
                .fg_advice
                .as_ref()
                .map(|f| format!("{} ({}, {})", f.text, local_time(f.given_at), f.recorded_by))
                .unwrap_or_else(|| tr(lang, "breach-not-yet")),
        });
        if let Some(ap) = &r.ap {
            decisions.push(Item {
                label: tr(lang, "breach-ap-notification"),
                value: format!(
                    "{} — {}{}{}",
                    local_time(ap.notified_at),
                    tr(
                        lang,
                        if ap.is_final {
                            "breach-final"
                        } else {
                            "breach-preliminary"
                        }
                    ),
                    ap.reference
                        .as_ref()
                        .map(|m| format!(" — {}: {m}", tr(lang, "breach-field-reference")))
                        .unwrap_or_default(),
                    ap.delay_reason
                        .as_ref()
                        .map(|m| format!(" — {}: {m}", tr(lang, "breach-field-delay-reason")))
                        .unwrap_or_default()
                ),
            });
        }
        decisions.push(Item {
            label: tr(lang, "breach-decision-inform"),
            value: match &r.inform {
                None => tr(lang, "breach-open"),
                Some(d) if d.inform => format!(
                    "{}{}",
                    yn(true),
                    d.informed_at
                        .map(|t| format!(" — {}", local_time(t)))
                        .unwrap_or_default()
                ),
                Some(d) => format!(
                    "{} — {}",
                    yn(false),
                    d.ground
                        .map(|g| lbl(lang, "ground", g.code()))
                        .unwrap_or_default()
                ),
            },
        });
        let f = &r.facts;
        let ans = &r.answers;
        if edit {
            let bb = b("awareness");
            forms.push(FormDef {
                slug: "kennisname",
                name: "awareness",
                title: tr(lang, "breach-form-awareness"),
                intro: Some(tr(lang, "breach-form-awareness-intro")),
                fields: vec![
                    bb.time("awareness_at", Some(r.awareness_at)),
                    bb.area("reason", None),
                ],
                button: tr(lang, "breach-save"),
                open: posted_form == "awareness",
            });
            let bb = b("facts");
            let codes = |v: Vec<&'static str>| v;
            let (pk, pmin, pmax) = match f.people {
                PeopleCount::Unknown => ("unknown", None, None),
                PeopleCount::Exact { count } => ("exact", Some(count), None),
                PeopleCount::Range { min, max } => ("range", Some(min), Some(max)),
            };
            forms.push(FormDef {
                slug: "feiten",
                name: "facts",
                title: tr(lang, "breach-form-facts"),
                intro: Some(tr(lang, "breach-form-facts-intro")),
                fields: vec![
                    bb.choice(
                        "natures",
                        Kind::Checks,
                        "nature",
                        BreachNature::ALL,
                        BreachNature::code,
                        &codes(f.natures.iter().map(|x| x.code()).collect()),
                    ),
                    bb.choice(
                        "incident_kind",
                        Kind::Select,
                        "kind",
                        ApIncidentKind::ALL,
                        ApIncidentKind::code,
                        &f.incident_kind
                            .map(|k| k.code())
                            .into_iter()
                            .collect::<Vec<_>>(),
                    ),
                    bb.area("summary", f.summary.as_deref()),
                    bb.time("started_at", f.started_at),
                    bb.time("ended_at", f.ended_at),
                    bb.check("ongoing", f.ongoing),
                    bb.time("discovered_at", f.discovered_at),
                    bb.area("discovery", f.discovery.as_deref()),
                    bb.choice(
                        "groups",
                        Kind::Checks,
                        "group",
                        DataSubjectGroup::ALL,
                        DataSubjectGroup::code,
                        &f.groups.iter().map(|x| x.code()).collect::<Vec<_>>(),
                    ),
                    bb.area("groups_description", f.groups_description.as_deref()),
                    bb.choice(
                        "people_kind",
                        Kind::Radios,
                        "people",
                        &["unknown", "exact", "range"],
                        |s| s,
                        &[pk],
                    ),
                    bb.number("people_min", pmin),
                    bb.number("people_max", pmax),
                    bb.choice(
                        "data",
                        Kind::Checks,
                        "data",
                        DataCategory::ALL,
                        DataCategory::code,
                        &f.data.iter().map(|x| x.code()).collect::<Vec<_>>(),
                    ),
                    bb.number("records", f.records),
                    bb.choice(
                        "prior_measure",
                        Kind::Select,
                        "prior",
                        PriorMeasure::ALL,
                        PriorMeasure::code,
                        &f.prior_measure
                            .map(|k| k.code())
                            .into_iter()
                            .collect::<Vec<_>>(),
                    ),
                    bb.area("prior_measure_how", f.prior_measure_how.as_deref()),
                    bb.text("processor", f.processor.as_deref()),
                    bb.time("processor_informed_at", f.processor_informed_at),
                    bb.yes_no("abroad", f.abroad),
                    bb.text("abroad_countries", f.abroad_countries.as_deref()),
                    bb.choice(
                        "consequences",
                        Kind::Checks,
                        "consequence",
                        Consequence::ALL,
                        Consequence::code,
                        &f.consequences.iter().map(|x| x.code()).collect::<Vec<_>>(),
                    ),
                    bb.area("consequences_text", f.consequences_text.as_deref()),
                    bb.area("measures", f.measures.as_deref()),
                ],
                button: tr(lang, "breach-save"),
                open: posted_form == "facts",
            });
            let bb = b("assessment");
            let adj = |factor: DpcFactor| {
                ans.adjustments
                    .iter()
                    .find(|a| a.factor == factor)
                    .map(|a| a.points.to_string())
                    .unwrap_or_default()
            };
            let mut fields = vec![
                bb.choice(
                    "identification",
                    Kind::Select,
                    "ei",
                    EaseOfIdentification::ALL,
                    EaseOfIdentification::code,
                    &[ans.identification.code()],
                ),
                bb.choice(
                    "confidentiality",
                    Kind::Select,
                    "conf",
                    ConfidentialityLoss::ALL,
                    ConfidentialityLoss::code,
                    &ans.confidentiality
                        .map(|k| k.code())
                        .into_iter()
                        .collect::<Vec<_>>(),
                ),
                bb.choice(
                    "integrity",
                    Kind::Select,
                    "int",
                    IntegrityLoss::ALL,
                    IntegrityLoss::code,
                    &ans.integrity
                        .map(|k| k.code())
                        .into_iter()
                        .collect::<Vec<_>>(),
                ),
                bb.choice(
                    "availability",
                    Kind::Select,
                    "avail",
                    AvailabilityLoss::ALL,
                    AvailabilityLoss::code,
                    &ans.availability
                        .map(|k| k.code())
                        .into_iter()
                        .collect::<Vec<_>>(),
                ),
                bb.choice(
                    "credentials_open",
                    Kind::Select,
                    "class",
                    EnisaDataClass::ALL,
                    EnisaDataClass::code,
                    &ans.credentials_open
                        .map(|k| k.code())
                        .into_iter()
                        .collect::<Vec<_>>(),
                ),
                bb.check("malicious", ans.malicious),
                bb.check("controller_reveals_more", ans.controller_reveals_more),
                bb.check("key_safe", ans.mitigation.key_safe),
                bb.check("restored_from_backup", ans.mitigation.restored_from_backup),
                bb.check(
                    "exfiltration_ruled_out",
                    ans.mitigation.exfiltration_ruled_out,
                ),
                bb.check(
                    "trusted_recipient_deleted",
                    ans.mitigation.trusted_recipient_deleted,
                ),
            ];
            for (name, factor) in DPC_FIELDS {
                let mut fd = bb.choice(
                    name,
                    Kind::Select,
                    "points",
                    &["1", "2", "3"],
                    |s| s,
                    &[adj(factor).as_str()],
                );
                fd.label = i18n().get(
                    lang,
                    "breach-field-dpc",
                    &[("factor", &lbl(lang, "dpc", factor.code()))],
                );
                fields.push(fd);
            }
            for fd in fields.iter_mut() {
                let key = format!("breach-hint-{}", fd.name.replace('_', "-"));
                if i18n().has(lang, &key) {
                    fd.hint = Some(tr(lang, &key));
                }
            }
            forms.push(FormDef {
                slug: "beoordeling",
                name: "assessment",
                title: tr(lang, "breach-form-assessment"),
                intro: Some(tr(lang, "breach-form-assessment-intro")),
                fields,
                button: tr(lang, "breach-save"),
                open: posted_form == "assessment",
            });
            let bb = b("decision");
            forms.push(FormDef {
                slug: "besluit",
                name: "decision",
                title: tr(lang, "breach-form-decision"),
                intro: Some(i18n().get(
                    lang,
                    "breach-form-decision-intro",
                    &[("suggestion", &suggestion)],
                )),
                fields: vec![
                    bb.yes_no("notify", r.notify.as_ref().map(|d| d.notify)),
                    bb.area(
                        "reasoning",
                        r.notify.as_ref().and_then(|d| d.reasoning.as_deref()),
                    ),
                ],
                button: tr(lang, "breach-decide"),
                open: true,
            });
        }
        if advise {
            let bb = b("advice");
            forms.push(FormDef {
                slug: "advies",
                name: "advice",
                title: tr(lang, "breach-form-advice"),
                intro: None,
                fields: vec![
                    bb.area("advice", r.fg_advice.as_ref().map(|a| a.text.as_str())),
                    bb.time("advice_at", r.fg_advice.as_ref().map(|a| a.given_at)),
                ],
                button: tr(lang, "breach-save"),
                open: v.access == BreachAccess::Advise || posted_form == "advice",
            });
        }
        if edit {
            let bb = b("ap");
            let late = now > sum.deadline;
            let mut delay = bb.area(
                "delay_reason",
                r.ap.as_ref().and_then(|a| a.delay_reason.as_deref()),
            );
            delay.hint = Some(tr(lang, "breach-hint-delay-reason"));
            forms.push(FormDef {
                slug: "melding",
                name: "ap",
                title: tr(lang, "breach-form-ap"),
                intro: Some(tr(
                    lang,
                    if late {
                        "breach-form-ap-late"
                    } else {
                        "breach-form-ap-intro"
                    },
                )),
                fields: vec![
                    bb.time("notified_at", r.ap.as_ref().map(|a| a.notified_at)),
                    bb.text(
                        "reference",
                        r.ap.as_ref().and_then(|a| a.reference.as_deref()),
                    ),
                    bb.check("final", r.ap.as_ref().is_some_and(|a| a.is_final)),
                    delay,
                ],
                button: tr(lang, "breach-save"),
                open: posted_form == "ap",
            });
            if r.ap.is_some() {
                let bb = b("followup");
                forms.push(FormDef {
                    slug: "vervolg",
                    name: "followup",
                    title: tr(lang, "breach-form-followup"),
                    intro: None,
                    fields: vec![
                        bb.choice(
                            "kind",
                            Kind::Radios,
                            "followup",
                            FollowupKind::ALL,
                            FollowupKind::code,
                            &[],
                        ),
                        bb.time("at", None),
                        bb.text("reference", None),
                        bb.area("note", None),
                    ],
                    button: tr(lang, "breach-add"),
                    open: posted_form == "followup",
                });
            }
            let bb = b("inform");
            let d = r.inform.as_ref();
            forms.push(FormDef {
                slug: "betrokkenen",
                name: "inform",
                title: tr(lang, "breach-form-inform"),
                intro: Some(tr(lang, "breach-form-inform-intro")),
                fields: vec![
                    bb.yes_no("inform", d.map(|d| d.inform)),
                    bb.choice(
                        "ground",
                        Kind::Radios,
                        "ground",
                        InformGround::ALL,
                        InformGround::code,
                        &d.and_then(|d| d.ground)
                            .map(|g| g.code())
                            .into_iter()
                            .collect::<Vec<_>>(),
                    ),
                    bb.area("inform_reasoning", d.and_then(|d| d.reasoning.as_deref())),
                    bb.area(
                        "public_communication",
                        d.and_then(|d| d.public_communication.as_deref()),
                    ),
                    bb.time("informed_at", d.and_then(|d| d.informed_at)),
                    bb.choice(
                        "channel",
                        Kind::Select,
                        "channel",
                        InformChannel::ALL,
                        InformChannel::code,
                        &d.and_then(|d| d.channel)
                            .map(|g| g.code())
                            .into_iter()
                            .collect::<Vec<_>>(),
                    ),
                    bb.number("count", d.and_then(|d| d.count)),
                    bb.area("inform_text", d.and_then(|d| d.text.as_deref())),
                ],
                button: tr(lang, "breach-save"),
                open: posted_form == "inform",
            });
            let bb = b("other");
            forms.push(FormDef {
                slug: "overig",
                name: "other",
                title: tr(lang, "breach-form-other"),
                intro: None,
                fields: vec![
                    bb.choice(
                        "recipient",
                        Kind::Select,
                        "recipient",
                        OtherRecipient::ALL,
                        OtherRecipient::code,
                        &[],
                    ),
                    bb.time("at", None),
                    bb.text("reference", None),
                    bb.area("note", None),
                ],
                button: tr(lang, "breach-add"),
                open: posted_form == "other",
            });
            for aud in LetterAudience::ALL {
                if let Some(l) = s.app.breach_letter_text(&v, *aud) {
                    let form = format!("letter_{}", aud.code());
                    let body = match (&posted, posted_form == form) {
                        (Some(p), true) => p.get("body").to_string(),
                        _ => l.body,
                    };
                    letters.push(LetterView {
                        audience: lbl(lang, "audience", aud.code()),
                        code: aud.code(),
                        body,
                        sent: l.sent_at.map(local_time),
                        error: errors.get(&format!("{form}-body")).map(str::to_string),
                    });
                }
            }
        }
    }
    let note_row = |n: &meldpunt_app::store::breach::BreachNote, prefix: &str| ListRow {
        at: local_time(n.at),
        what: lbl(lang, prefix, &n.what),
        reference: n.reference.clone().unwrap_or_default(),
        note: format!(
            "{}{}",
            n.note.clone().unwrap_or_default(),
            if n.recorded_by.is_empty() {
                String::new()
            } else {
                format!(" ({})", n.recorded_by)
            }
        ),
    };
    let followups = v
        .followups
        .iter()
        .map(|n| note_row(n, "followup"))
        .collect();
    let others = v.others.iter().map(|n| note_row(n, "recipient")).collect();
    let warnings = v
        .warnings
        .iter()
        .map(|w| ListRow {
            at: w
                .sent_at
                .map(local_time)
                .unwrap_or_else(|| local_time(w.due_at)),
            what: lbl(lang, "warning", w.kind.code()),
            reference: w
                .status
                .as_deref()
                .map(|st| lbl(lang, "warningstatus", st))
                .unwrap_or_else(|| tr(lang, "breach-warning-pending")),
            note: String::new(),
        })
        .collect();
    let mut l = ctx.layout_titled(
        i18n().get(lang, "breach-title", &[("number", &i.number.to_string())]),
        "register",
    );
    if !errors.is_empty() || message.is_some() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    render(
        status,
        &BreachPage {
            l,
            id: i.id.to_string(),
            number: i.number.to_string(),
            summary: i.summary.clone(),
            exercise: i.exercise,
            full,
            deadline: moment(lang, sum.deadline),
            time_left: time_left_text(lang, left),
            overdue: left.is_negative(),
            decision_open: sum.decision_open,
            moments,
            suggestion,
            suggestion_code,
            severity,
            reasons,
            decisions,
            forms,
            letters,
            followups,
            others,
            warnings,
            errors,
            message,
            version,
        },
    )
}

const DPC_FIELDS: [(&str, DpcFactor); 6] = [
    ("dpc_volume", DpcFactor::Volume),
    (
        "dpc_controller_characteristics",
        DpcFactor::ControllerCharacteristics,
    ),
    (
        "dpc_vulnerable_individuals",
        DpcFactor::VulnerableIndividuals,
    ),
    ("dpc_invalid_data", DpcFactor::InvalidData),
    ("dpc_publicly_available", DpcFactor::PubliclyAvailable),
    ("dpc_reveals_less", DpcFactor::RevealsLess),
];

/// Offer to open a breach record.
#[derive(Template)]
#[template(path = "breach_open.html")]
pub struct OpenPage {
    l: Layout,
    id: String,
    number: String,
    summary: String,
}
page!(OpenPage);

/// `GET /incidenten/{id}/datalek`
pub async fn show(ctx: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    if let Err(r) = ctx.require() {
        return r;
    }
    let Ok(id) = id.parse::<IncidentId>() else {
        return ctx.not_found();
    };
    breach_page(&ctx, &s, id, StatusCode::OK, None).await
}

fn facts_from(p: &Posted, e: &mut Errs) -> BreachFacts {
    let people = match p.get("people_kind") {
        "exact" => PeopleCount::Exact {
            count: e.number(p, "people_min").unwrap_or(0),
        },
        "range" => PeopleCount::Range {
            min: e.number(p, "people_min").unwrap_or(0),
            max: e.number(p, "people_max").unwrap_or(0),
        },
        _ => PeopleCount::Unknown,
    };
    BreachFacts {
        natures: e.codes(p, "natures", BreachNature::from_code),
        incident_kind: e.code(p, "incident_kind", ApIncidentKind::from_code),
        summary: p.opt("summary"),
        started_at: e.time(p, "started_at"),
        ended_at: e.time(p, "ended_at"),
        ongoing: p.on("ongoing"),
        discovered_at: e.time(p, "discovered_at"),
        discovery: p.opt("discovery"),
        groups: e.codes(p, "groups", DataSubjectGroup::from_code),
        groups_description: p.opt("groups_description"),
        people,
        data: e.codes(p, "data", DataCategory::from_code),
        records: e.number(p, "records"),
        prior_measure: e.code(p, "prior_measure", PriorMeasure::from_code),
        prior_measure_how: p.opt("prior_measure_how"),
        processor: p.opt("processor"),
        processor_informed_at: e.time(p, "processor_informed_at"),
        abroad: match p.get("abroad") {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        abroad_countries: p.opt("abroad_countries"),
        consequences: e.codes(p, "consequences", Consequence::from_code),
        consequences_text: p.opt("consequences_text"),
        measures: p.opt("measures"),
    }
}

fn answers_from(p: &Posted, e: &mut Errs) -> AssessmentAnswers {
    let mut adjustments = Vec::new();
    for (name, factor) in DPC_FIELDS {
        if let Some(points) = e.code(p, name, |v| {
            v.parse::<u8>().ok().filter(|n| (1..=3).contains(n))
        }) {
            adjustments.push(DpcAdjustment { factor, points });
        }
    }
    AssessmentAnswers {
        credentials_open: e.code(p, "credentials_open", EnisaDataClass::from_code),
        adjustments,
        identification: e
            .code(p, "identification", EaseOfIdentification::from_code)
            .unwrap_or(EaseOfIdentification::Maximum),
        confidentiality: e.code(p, "confidentiality", ConfidentialityLoss::from_code),
        integrity: e.code(p, "integrity", IntegrityLoss::from_code),
        availability: e.code(p, "availability", AvailabilityLoss::from_code),
        malicious: p.on("malicious"),
        controller_reveals_more: p.on("controller_reveals_more"),
        mitigation: Mitigation {
            key_safe: p.on("key_safe"),
            restored_from_backup: p.on("restored_from_backup"),
            exfiltration_ruled_out: p.on("exfiltration_ruled_out"),
            trusted_recipient_deleted: p.on("trusted_recipient_deleted"),
        },
    }
}

fn yes_no_required(p: &Posted, e: &mut Errs, field: &'static str) -> Option<bool> {
    match p.get(field) {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            e.0.push(FieldError {
                field,
                code: "error-required",
            });
            None
        }
    }
}

/// `POST /incidenten/{id}/datalek/{action}`
pub async fn action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Form(input): Form<Vec<(String, String)>>,
) -> Response {
    let p = Posted(input);
    let session = match ctx.check_csrf(Some(p.get("csrf"))) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return ctx.not_found();
    };
    let who = &session.principal;
    let app = &s.app;
    let version = p.get("version").parse::<i64>().ok();
    let mut e = Errs::default();
    let (form, result): (&str, Result<(), AppError>) = match action.as_str() {
        "openen" => ("open", app.open_breach(who, id, None).await.map(|_| ())),
        "kennisname" => {
            let at = e.required_time(&p, "awareness_at");
            let r = match (e.finish(), at) {
                (Ok(()), Some(at)) => app
                    .set_breach_awareness(who, id, at, p.get("reason"))
                    .await
                    .map(|_| ()),
                (Err(x), _) => Err(x),
                _ => Ok(()),
            };
            ("awareness", r)
        }
        "feiten" => {
            let facts = facts_from(&p, &mut e);
            let r = match e.finish() {
                Ok(()) => app
                    .update_breach_facts(who, id, facts, version)
                    .await
                    .map(|_| ()),
                Err(x) => Err(x),
            };
            ("facts", r)
        }
        "beoordeling" => {
            let a = answers_from(&p, &mut e);
            let r = match e.finish() {
                Ok(()) => app
                    .update_breach_assessment(who, id, a, version)
                    .await
                    .map(|_| ()),
                Err(x) => Err(x),
            };
            ("assessment", r)
        }
        "besluit" => {
            let notify = yes_no_required(&p, &mut e, "notify");
            let r = match (e.finish(), notify) {
                (Ok(()), Some(n)) => app
                    .decide_breach_notification(who, id, n, p.opt("reasoning").as_deref(), version)
                    .await
                    .map(|_| ()),
                (Err(x), _) => Err(x),
                _ => Ok(()),
            };
            ("decision", r)
        }
        "advies" => {
            let at = e.time(&p, "advice_at");
            let r = match e.finish() {
                Ok(()) => app
                    .record_fg_advice(who, id, p.get("advice"), at)
                    .await
                    .map(|_| ()),
                Err(x) => Err(x),
            };
            ("advice", r)
        }
        "melding" => {
            let at = e.required_time(&p, "notified_at");
            let r = match (e.finish(), at) {
                (Ok(()), Some(at)) => app
                    .record_ap_notification(
                        who,
                        id,
                        at,
                        p.opt("reference").as_deref(),
                        p.on("final"),
                        p.opt("delay_reason").as_deref(),
                    )
                    .await
                    .map(|_| ()),
                (Err(x), _) => Err(x),
                _ => Ok(()),
            };
            ("ap", r)
        }
        "vervolg" | "overig" => {
            let followup = action == "vervolg";
            let at = e.required_time(&p, "at");
            let kind = if followup {
                e.code(&p, "kind", FollowupKind::from_code)
                    .map(|k| k.code())
            } else {
                e.code(&p, "recipient", OtherRecipient::from_code)
                    .map(|k| k.code())
            };
            if kind.is_none() && e.0.is_empty() {
                e.0.push(FieldError {
                    field: if followup { "kind" } else { "recipient" },
                    code: "error-required",
                });
            }
            let r = match (e.finish(), at, kind) {
                (Ok(()), Some(at), Some(k)) => {
                    if followup {
                        app.add_ap_followup(
                            who,
                            id,
                            FollowupKind::from_code(k).unwrap_or(FollowupKind::Supplement),
                            at,
                            p.opt("reference").as_deref(),
                            p.opt("note").as_deref(),
                        )
                        .await
                        .map(|_| ())
                    } else {
                        app.add_breach_other_notification(
                            who,
                            id,
                            OtherRecipient::from_code(k).unwrap_or(OtherRecipient::Other),
                            at,
                            p.opt("reference").as_deref(),
                            p.opt("note").as_deref(),
                        )
                        .await
                        .map(|_| ())
                    }
                }
                (Err(x), _, _) => Err(x),
                _ => Ok(()),
            };
            (if followup { "followup" } else { "other" }, r)
        }
        "betrokkenen" => {
            let inform = yes_no_required(&p, &mut e, "inform");
            let input = InformInput {
                inform: inform.unwrap_or(false),
                ground: e.code(&p, "ground", InformGround::from_code),
                reasoning: p.opt("inform_reasoning"),
                public_communication: p.opt("public_communication"),
                informed_at: e.time(&p, "informed_at"),
                channel: e.code(&p, "channel", InformChannel::from_code),
                count: e.number(&p, "count"),
                text: p.opt("inform_text"),
            };
            let r = match e.finish() {
                Ok(()) => app
                    .decide_breach_inform(who, id, input, version)
                    .await
                    .map(|_| ()),
                Err(x) => Err(x),
            };
            ("inform", r)
        }
        "brief" => {
            let aud = if p.get("audience") == "staff" {
                LetterAudience::Staff
            } else {
                LetterAudience::Parents
            };
            let form = if aud == LetterAudience::Parents {
                "letter_parents"
            } else {
                "letter_staff"
            };
            let r = app
                .save_breach_letter(who, id, aud, p.get("body"), p.get("send") == "yes")
                .await
                .map(|_| ());
            (form, r)
        }
        _ => return ctx.not_found(),
    };
    match result {
        Ok(()) => see_other(&format!("/incidenten/{id}/datalek")),
        Err(AppError::Validation(v)) => {
            breach_page(
                &ctx,
                &s,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(Feedback {
                    form: form.to_string(),
                    posted: p,
                    errors: Some(v),
                    message: None,
                }),
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let m = tr(ctx.lang, "conflict-text");
            breach_page(
                &ctx,
                &s,
                id,
                StatusCode::CONFLICT,
                Some(Feedback {
                    form: form.to_string(),
                    posted: p,
                    errors: None,
                    message: Some(m),
                }),
            )
            .await
        }
        Err(x) => ctx.fail(x),
    }
}

// ---------------------------------------------------------------- the AP notification pack

/// One chapter for the template.
pub struct ChapterView {
    number: u8,
    title: &'static str,
    items: Vec<pack::PackItem>,
}

/// The pack page (printable).
#[derive(Template)]
#[template(path = "breach_pack.html")]
pub struct PackPage {
    l: Layout,
    id: String,
    title: String,
    missing: Vec<String>,
    chapters: Vec<ChapterView>,
}
page!(PackPage);

async fn load_pack(
    ctx: &Ctx,
    s: &AppState,
    id: &str,
) -> Result<(BreachView, pack::Pack), Response> {
    let session = ctx.require()?;
    let Ok(id) = id.parse::<IncidentId>() else {
        return Err(ctx.not_found());
    };
    let v = s
        .app
        .breach_view(&session.principal, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let Some(r) = &v.record else {
        return Err(ctx.fail(AppError::Forbidden));
    };
    let p = pack::build(
        r,
        &v.incident,
        &v.board,
        v.school.as_ref(),
        &v.settings,
        &v.others,
        &v.followups,
    );
    Ok((v, p))
}

/// `GET /incidenten/{id}/datalek/meldpakket`
pub async fn pack_page(ctx: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let (v, p) = match load_pack(&ctx, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    render(
        StatusCode::OK,
        &PackPage {
            l: ctx.layout_titled(
                i18n().get(
                    ctx.lang,
                    "breach-pack-title",
                    &[("number", &v.incident.number.to_string())],
                ),
                "register",
            ),
            id: v.incident.id.to_string(),
            title: p.title.clone(),
            missing: p.missing(),
            chapters: p
                .chapters
                .into_iter()
                .map(|c| ChapterView {
                    number: c.number,
                    title: c.title,
                    items: c.items,
                })
                .collect(),
        },
    )
}

/// `GET /incidenten/{id}/datalek/meldpakket.pdf`
pub async fn pack_pdf(ctx: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    let (v, p) = match load_pack(&ctx, &s, &id).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let generated = format!("Aangemaakt op {}", render_moment_nl(s.app.now()));
    let bytes = meldpunt_app::breach::pdf::render(&p, "ontbreekt nog", &generated);
    (
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"meldpakket-{}.pdf\"", v.incident.number),
            ),
        ],
        bytes,
    )
        .into_response()
}

// ---------------------------------------------------------------- the register

/// Register filters.
#[derive(Deserialize, Default)]
pub struct RegisterParams {
    school: Option<String>,
    from: Option<String>,
    until: Option<String>,
}

impl RegisterParams {
    fn query(&self) -> BreachRegisterQuery {
        let ne = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        BreachRegisterQuery {
            school: ne(&self.school).and_then(|x| x.parse::<SchoolId>().ok()),
            from: ne(&self.from).and_then(|d| parse_date(&d, 0)),
            until: ne(&self.until).and_then(|d| parse_date(&d, 1)),
        }
    }
    fn qs(&self) -> String {
        let mut v = Vec::new();
        for (k, x) in [
            ("school", &self.school),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if let Some(x) = x.as_deref().filter(|x| !x.is_empty()) {
                v.push(format!("{k}={}", super::urlencode(x)));
            }
        }
        v.join("&")
    }
}

/// A register row.
pub struct RegRow {
    id: String,
    cells: Vec<String>,
}

/// The register page.
#[derive(Template)]
#[template(path = "breach_register.html")]
pub struct RegisterPage {
    l: Layout,
    from: String,
    until: String,
    schools: Vec<Opt>,
    columns: Vec<&'static str>,
    rows: Vec<RegRow>,
    qs: String,
    settings_link: bool,
}
page!(RegisterPage);

/// `GET /datalekken`
pub async fn register(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<RegisterParams>,
) -> Response {
    let session = match ctx.require() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = &session.principal;
    let entries = match s.app.breach_register(p, q.query()).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let mut schools = Vec::new();
    for b in p.boards() {
        if let Ok(list) = s.app.store.schools(b).await {
            for sc in list {
                schools.push(Opt {
                    on: q.school.as_deref() == Some(sc.id.to_string().as_str()),
                    value: sc.id.to_string(),
                    label: sc.name,
                });
            }
        }
    }
    let rows = entries
        .iter()
        .map(|e| RegRow {
            id: e.incident.id.to_string(),
            cells: meldpunt_app::breach::export::row(e),
        })
        .collect();
    render(
        StatusCode::OK,
        &RegisterPage {
            l: ctx.layout("breach-register-title", "breaches"),
            from: q.from.clone().unwrap_or_default(),
            until: q.until.clone().unwrap_or_default(),
            schools,
            columns: meldpunt_app::breach::export::COLUMNS.to_vec(),
            rows,
            qs: q.qs(),
            settings_link: p
                .boards()
                .iter()
                .any(|b| p.may_in_board(BoardAction::ManageSchools, *b)),
        },
    )
}

/// `GET /datalekken/export.csv`
pub async fn export_csv(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<RegisterParams>,
) -> Response {
    let session = match ctx.require() {
        Ok(s) => s,
        Err(r) => return r,
    };
    match s.app.breach_register(&session.principal, q.query()).await {
        Ok(entries) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    CONTENT_DISPOSITION,
                    "attachment; filename=\"register-datalekken.csv\"",
                ),
            ],
            meldpunt_app::breach::export::csv(&entries),
        )
            .into_response(),
        Err(e) => ctx.fail(e),
    }
}

/// `GET /datalekken/export.xlsx`
pub async fn export_xlsx(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<RegisterParams>,
) -> Response {
    let session = match ctx.require() {
        Ok(s) => s,
        Err(r) => return r,
    };
    match s.app.breach_register(&session.principal, q.query()).await {
        Ok(entries) => match meldpunt_app::breach::export::xlsx(&entries, s.app.now()) {
            Ok(bytes) => (
                [
                    (
                        CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    ),
                    (
                        CONTENT_DISPOSITION,
                        "attachment; filename=\"register-datalekken.xlsx\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => ctx.fail(AppError::Internal(e)),
        },
        Err(e) => ctx.fail(e),
    }
}

// ---------------------------------------------------------------- settings

/// The board's breach settings page.
#[derive(Template)]
#[template(path = "breach_settings.html")]
pub struct SettingsPage {
    l: Layout,
    s: BreachSettings,
    errors: FieldErrors,
    saved: bool,
}
page!(SettingsPage);

impl SettingsPage {
    fn o(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or("")
    }
}

fn admin_board(ctx: &Ctx) -> Option<meldpunt_app::core::ids::BoardId> {
    let p = &ctx.session.as_ref()?.principal;
    p.boards()
        .into_iter()
        .find(|b| p.may_in_board(BoardAction::ManageSchools, *b))
}

/// Query of the settings page.
#[derive(Deserialize, Default)]
pub struct SavedParam {
    saved: Option<String>,
}

/// `GET /datalekken/instellingen`
pub async fn settings(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<SavedParam>,
) -> Response {
    if let Err(r) = ctx.require() {
        return r;
    }
    let Some(board) = admin_board(&ctx) else {
        return ctx.fail(AppError::Forbidden);
    };
    match s.app.breach_settings(board).await {
        Ok(st) => render(
            StatusCode::OK,
            &SettingsPage {
                l: ctx.layout("breach-settings-title", "breaches"),
                s: st,
                errors: FieldErrors::default(),
                saved: q.saved.is_some(),
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

/// `POST /datalekken/instellingen`
pub async fn save_settings(
    ctx: Ctx,
    State(s): State<AppState>,
    Form(input): Form<HashMap<String, String>>,
) -> Response {
    let session = match ctx.check_csrf(input.get("csrf").map(String::as_str)) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(board) = admin_board(&ctx) else {
        return ctx.fail(AppError::Forbidden);
    };
    let o = |k: &str| {
        input
            .get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let st = BreachSettings {
        address: o("address"),
        contact_name: o("contact_name"),
        contact_function: o("contact_function"),
        contact_email: o("contact_email"),
        contact_phone: o("contact_phone"),
        service_desk_sees_assessment: o("service_desk_sees_assessment").is_some(),
    };
    match s
        .app
        .update_breach_settings(
            &meldpunt_app::Actor::User(&session.principal),
            board,
            st.clone(),
        )
        .await
    {
        Ok(_) => see_other("/datalekken/instellingen?saved=1"),
        Err(AppError::Validation(v)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                l: ctx.layout("breach-settings-title", "breaches"),
                s: st,
                errors: FieldErrors::from_validation(ctx.lang, &v),
                saved: false,
            },
        ),
        Err(e) => ctx.fail(e),
    }
}
