//! The register (list), the detail page and its forms.

use super::i18n::{i18n, label, tr, vocab_key, Lang};
use super::Page as _;
use super::{
    lifecycle_message, local_time, opt_time, page, render, see_other, Ctx, FieldErrors, Layout,
};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use meldpunt_app::core::auth::BoardAction;
use meldpunt_app::core::ids::{IncidentId, SchoolId, UserId};
use meldpunt_app::core::incident::{
    Aspects, Category, Impact, Incident, Kind, Priority, Status, Urgency,
};
use meldpunt_app::core::lifecycle::Command;
use meldpunt_app::core::validation::{FieldError, ValidationErrors};
use meldpunt_app::incidents::{IncidentView, RegisterQuery, TriageInput, OPEN_STATUSES};
use meldpunt_app::store::incidents::{Cursor, Sort};
use meldpunt_app::AppError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Timeline event types with their own label (`event-…`); others show as `event-other`.
pub const EVENT_TYPES: &[&str] = &[
    "reported",
    "note",
    "triage",
    "assign",
    "wait",
    "resume",
    "contain",
    "resolve",
    "evaluate",
    "close",
    "reopen",
    "reporter_info",
    "notification",
    "escalation",
    "oncall_alert",
    "oncall_ack",
    "other",
];

/// The message key for a timeline event type.
pub fn event_key(t: &str) -> String {
    if EVENT_TYPES.contains(&t) {
        vocab_key("event", t)
    } else {
        "event-other".into()
    }
}

/// An option of a select.
pub struct Opt {
    value: String,
    label: String,
}

fn opts<T: Copy>(
    lang: Lang,
    prefix: &str,
    all: &[T],
    code: impl Fn(T) -> &'static str,
) -> Vec<Opt> {
    all.iter()
        .map(|v| Opt {
            value: code(*v).to_string(),
            label: label(lang, prefix, code(*v)),
        })
        .collect()
}

// ---------------------------------------------------------------- register

/// The register's filters as GET parameters.
#[derive(Deserialize, Default, Clone)]
pub struct RegisterParams {
    status: Option<String>,
    kind: Option<String>,
    priority: Option<String>,
    school: Option<String>,
    assignee: Option<String>,
    from: Option<String>,
    until: Option<String>,
    q: Option<String>,
    sort: Option<String>,
    exercises: Option<String>,
    after: Option<String>,
}

/// One row of the register table.
pub struct Row {
    id: String,
    number: String,
    summary: String,
    school: String,
    kind: String,
    priority: String,
    status: String,
    assignee: String,
    reported: String,
    exercise: bool,
}

/// The register page.
#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    l: Layout,
    p: BTreeMap<String, String>,
    statuses: Vec<Opt>,
    kinds: Vec<Opt>,
    priorities: Vec<Opt>,
    schools: Vec<Opt>,
    assignees: Vec<Opt>,
    sorts: Vec<Opt>,
    rows: Vec<Row>,
    next_href: Option<String>,
    filtered: bool,
}
page!(RegisterPage);

impl RegisterPage {
    fn v(&self, k: &str) -> &str {
        self.p.get(k).map(String::as_str).unwrap_or("")
    }
}

fn parse_date(s: &str, plus_days: i64) -> Option<jiff::Timestamp> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    let d = d.checked_add(jiff::Span::new().days(plus_days)).ok()?;
    d.to_zoned(jiff::tz::TimeZone::get("Europe/Amsterdam").ok()?)
        .ok()
        .map(|z| z.timestamp())
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `GET /incidenten`
pub async fn register(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(params): Query<RegisterParams>,
) -> Response {
    let session = match ctx.require() {
        Ok(s) => s,
        Err(r) => return r,
    };
    let p = &session.principal;
    let boards: Vec<_> = p
        .boards()
        .into_iter()
        .filter(|b| p.may_in_board(BoardAction::ViewRegister, *b))
        .collect();
    if boards.is_empty() {
        return ctx.fail(AppError::Forbidden);
    }
    let statuses: Vec<Status> = match nonempty(&params.status) {
        Some("open") => OPEN_STATUSES.to_vec(),
        Some(code) => Status::from_code(code).into_iter().collect(),
        None => Vec::new(),
    };
    let q = RegisterQuery {
        statuses,
        kind: nonempty(&params.kind).and_then(Kind::from_code),
        priority: nonempty(&params.priority).and_then(Priority::from_code),
        school: nonempty(&params.school).and_then(|x| x.parse::<SchoolId>().ok()),
        assignee: nonempty(&params.assignee).and_then(|x| x.parse::<UserId>().ok()),
        from: nonempty(&params.from).and_then(|d| parse_date(d, 0)),
        until: nonempty(&params.until).and_then(|d| parse_date(d, 1)),
        text: nonempty(&params.q).map(str::to_string),
        include_exercises: nonempty(&params.exercises).is_some(),
        sort: nonempty(&params.sort)
            .and_then(Sort::from_code)
            .unwrap_or_default(),
        after: nonempty(&params.after).and_then(Cursor::decode),
        limit: Some(50),
    };
    let page_ = match s.app.register(p, q).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    // Names for schools and people of the person's boards.
    let mut school_names: HashMap<SchoolId, String> = HashMap::new();
    let mut people: BTreeMap<String, String> = BTreeMap::new();
    let mut user_names: HashMap<UserId, String> = HashMap::new();
    let mut school_opts = Vec::new();
    for b in &boards {
        match s.app.store.schools(*b).await {
            Ok(list) => {
                for sc in list {
                    school_opts.push(Opt {
                        value: sc.id.to_string(),
                        label: sc.name.clone(),
                    });
                    school_names.insert(sc.id, sc.name);
                }
            }
            Err(e) => return ctx.fail(e.into()),
        }
        match s.app.store.users_in_board(*b).await {
            Ok(list) => {
                for (u, _) in list {
                    user_names.insert(u.id, u.name.clone());
                }
            }
            Err(e) => return ctx.fail(e.into()),
        }
        match s.app.assignable_people(*b, None).await {
            Ok(list) => {
                for a in list {
                    people.insert(a.id.to_string(), a.name);
                }
            }
            Err(e) => return ctx.fail(e),
        }
    }
    let lang = ctx.lang;
    let rows = page_
        .items
        .iter()
        .map(|i| Row {
            id: i.id.to_string(),
            number: i.number.to_string(),
            summary: i.summary.clone(),
            school: i
                .school_id
                .and_then(|x| school_names.get(&x).cloned())
                .unwrap_or_default(),
            kind: i
                .kind()
                .map(|k| label(lang, "kind", k.code()))
                .unwrap_or_else(|| tr(lang, "not-triaged")),
            priority: i
                .priority()
                .map(|x| label(lang, "priority", x.code()))
                .unwrap_or_default(),
            status: label(lang, "status", i.status.code()),
            assignee: i
                .assignee_id
                .and_then(|u| user_names.get(&u).cloned())
                .unwrap_or_default(),
            reported: opt_time(i.timeline.reported_at),
            exercise: i.exercise,
        })
        .collect();
    let mut pmap = BTreeMap::new();
    for (k, v) in [
        ("status", &params.status),
        ("kind", &params.kind),
        ("priority", &params.priority),
        ("school", &params.school),
        ("assignee", &params.assignee),
        ("from", &params.from),
        ("until", &params.until),
        ("q", &params.q),
        ("sort", &params.sort),
        ("exercises", &params.exercises),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            pmap.insert(k.to_string(), v.to_string());
        }
    }
    let filtered = pmap.keys().any(|k| k != "sort");
    let next_href = page_.next.map(|c| {
        let mut q: Vec<String> = pmap
            .iter()
            .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
            .collect();
        q.push(format!("after={}", super::urlencode(&c.encode())));
        format!("/incidenten?{}", q.join("&"))
    });
    let mut statuses = vec![Opt {
        value: "open".into(),
        label: tr(lang, "filter-open"),
    }];
    statuses.extend(opts(lang, "status", Status::ALL, Status::code));
    let sorts = ["newest", "oldest", "priority"]
        .iter()
        .map(|c| Opt {
            value: c.to_string(),
            label: label(lang, "sort", c),
        })
        .collect();
    render(
        StatusCode::OK,
        &RegisterPage {
            l: ctx.layout("register-title", "register"),
            p: pmap,
            statuses,
            kinds: opts(lang, "kind", Kind::ALL, Kind::code),
            priorities: opts(lang, "priority", Priority::ALL, Priority::code),
            schools: school_opts,
            assignees: people
                .into_iter()
                .map(|(value, label)| Opt { value, label })
                .collect(),
            sorts,
            rows,
            next_href,
            filtered,
        },
    )
}

// ---------------------------------------------------------------- detail

/// A label and a value.
pub struct Field {
    label: String,
    value: String,
}

/// A timeline entry.
pub struct EventRow {
    at: String,
    actor: String,
    label: String,
    body: Option<String>,
    public: bool,
}

/// A delivery-log entry.
pub struct NotificationRow {
    at: String,
    channel: String,
    recipient: String,
    subject: String,
    status: String,
    ok: bool,
    detail: String,
}

/// Which forms to show.
#[derive(Default)]
pub struct Forms {
    triage: bool,
    assign: bool,
    note: bool,
    wait: bool,
    resume: bool,
    contain: bool,
    resolve: bool,
    evaluate: bool,
    close: bool,
    reopen: bool,
}

impl Forms {
    fn any(&self) -> bool {
        self.triage
            || self.assign
            || self.note
            || self.wait
            || self.resume
            || self.contain
            || self.resolve
            || self.evaluate
            || self.close
            || self.reopen
    }
}

/// The detail page.
#[derive(Template)]
#[template(path = "detail.html")]
pub struct DetailPage {
    l: Layout,
    id: String,
    number: String,
    summary: String,
    description: String,
    status: String,
    exercise: bool,
    version: i64,
    fields: Vec<Field>,
    times: Vec<Field>,
    reporter: Vec<Field>,
    events: Vec<EventRow>,
    notifications: Vec<NotificationRow>,
    forms: Forms,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    message: Option<String>,
    kinds: Vec<Opt>,
    categories: Vec<Opt>,
    impacts: Vec<Opt>,
    urgencies: Vec<Opt>,
    priorities: Vec<Opt>,
    assignees: Vec<Opt>,
    matrix_priority: String,
    /// Link to the breach record, for those who may see it.
    breach_href: Option<String>,
    /// Service levels, escalation and on-call alerts (`sla_box.html`).
    sla: super::sla::SlaBox,
}
page!(DetailPage);

impl DetailPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    fn checked(&self, k: &str) -> bool {
        !self.v(k).is_empty()
    }

    fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k)
    }
}

fn yes_no(lang: Lang, b: Option<bool>) -> String {
    match b {
        Some(true) => tr(lang, "answer-yes"),
        Some(false) => tr(lang, "answer-no"),
        None => tr(lang, "answer-unknown"),
    }
}

fn aspects_text(lang: Lang, a: Aspects) -> String {
    let mut v = Vec::new();
    if a.availability {
        v.push(tr(lang, "aspect-availability"));
    }
    if a.integrity {
        v.push(tr(lang, "aspect-integrity"));
    }
    if a.confidentiality {
        v.push(tr(lang, "aspect-confidentiality"));
    }
    if v.is_empty() {
        tr(lang, "none")
    } else {
        v.join(", ")
    }
}

fn event_label(lang: Lang, event_type: &str, details: &str) -> String {
    let base = tr(lang, &event_key(event_type));
    let d: serde_json::Value = serde_json::from_str(details).unwrap_or_default();
    let from = d.get("from").and_then(|v| v.as_str());
    let to = d.get("to").and_then(|v| v.as_str());
    match (from, to) {
        (Some(f), Some(t)) if f != t => format!(
            "{base} ({} → {})",
            label(lang, "status", f),
            label(lang, "status", t)
        ),
        _ => base,
    }
}

/// Form values of the current incident, so forms start from what is recorded.
fn defaults(i: &Incident) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    if let Some(c) = &i.classification {
        m.insert("triage-kind".into(), c.kind.code().into());
        m.insert("triage-category".into(), c.category.code().into());
        m.insert("triage-impact".into(), c.impact.code().into());
        m.insert("triage-urgency".into(), c.urgency.code().into());
        if c.priority_override_reason.is_some() {
            m.insert("triage-priority".into(), c.priority.code().into());
            m.insert(
                "triage-override_reason".into(),
                c.priority_override_reason.clone().unwrap_or_default(),
            );
        }
        for (k, on) in [
            ("triage-aspect_availability", c.aspects.availability),
            ("triage-aspect_integrity", c.aspects.integrity),
            ("triage-aspect_confidentiality", c.aspects.confidentiality),
        ] {
            if on {
                m.insert(k.into(), "on".into());
            }
        }
    }
    if let Some(a) = i.assignee_id {
        m.insert("assign-assignee_id".into(), a.to_string());
    }
    m
}

/// What went wrong with a posted form, to show on the re-rendered page.
struct Feedback {
    action: String,
    input: Vec<(String, String)>,
    errors: Option<ValidationErrors>,
    message: Option<String>,
}

async fn detail_page(
    ctx: &Ctx,
    s: &AppState,
    id: IncidentId,
    status: StatusCode,
    feedback: Option<Feedback>,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let view: IncidentView = match s.app.incident_view(&session.principal, id).await {
        Ok(v) => v,
        Err(e) => return ctx.fail(e),
    };
    let lang = ctx.lang;
    let i = &view.incident;
    let a = view.allowed;
    use Status::*;
    let st = i.status;
    let forms = Forms {
        triage: a.triage && matches!(st, Reported | Registered | InProgress | Waiting),
        assign: a.assign && matches!(st, Registered | InProgress | Waiting),
        note: a.note && st != NotAnIncident,
        wait: a.work && st == InProgress,
        resume: a.work && st == Waiting,
        contain: a.work
            && matches!(st, Registered | InProgress | Waiting)
            && i.timeline.contained_at.is_none(),
        resolve: a.work && matches!(st, InProgress | Waiting),
        evaluate: a.evaluate && st == Resolved,
        close: a.close && matches!(st, Resolved | Evaluated),
        reopen: a.work && matches!(st, Resolved | Evaluated | Closed),
    };
    let assignees = if forms.assign {
        match s.app.assignable_people(i.board_id, i.school_id).await {
            Ok(list) => list
                .into_iter()
                .map(|p| Opt {
                    value: p.id.to_string(),
                    label: p.name,
                })
                .collect(),
            Err(e) => return ctx.fail(e),
        }
    } else {
        Vec::new()
    };
    let breach_href = match s.app.breach_access(&session.principal, i).await {
        Ok(a)
            if a > meldpunt_app::core::breach::record::BreachAccess::None
                && (i.kind() == Some(Kind::Breach)
                    || i.personal_data != meldpunt_app::core::incident::PersonalDataAnswer::No) =>
        {
            Some(format!("/incidenten/{}/datalek", i.id))
        }
        Ok(_) => None,
        Err(e) => return ctx.fail(e),
    };
    let matrix = match s.app.priority_matrix(i.board_id).await {
        Ok(m) => m,
        Err(e) => return ctx.fail(e),
    };
    let matrix_priority = i
        .classification
        .as_ref()
        .map(|c| {
            label(
                lang,
                "priority",
                matrix.priority_for(c.kind, c.impact, c.urgency).code(),
            )
        })
        .unwrap_or_default();

    let c = i.classification.as_ref();
    let dash = || "—".to_string();
    let mut fields = vec![
        Field {
            label: tr(lang, "field-status"),
            value: label(lang, "status", st.code()),
        },
        Field {
            label: tr(lang, "field-kind"),
            value: c
                .map(|c| label(lang, "kind", c.kind.code()))
                .unwrap_or_else(|| tr(lang, "not-triaged")),
        },
    ];
    if let Some(c) = c {
        fields.push(Field {
            label: tr(lang, "field-aspects"),
            value: aspects_text(lang, c.aspects),
        });
        fields.push(Field {
            label: tr(lang, "field-category"),
            value: label(lang, "category", c.category.code()),
        });
        fields.push(Field {
            label: tr(lang, "field-impact"),
            value: label(lang, "impact", c.impact.code()),
        });
        fields.push(Field {
            label: tr(lang, "field-urgency"),
            value: label(lang, "urgency", c.urgency.code()),
        });
        fields.push(Field {
            label: tr(lang, "field-priority"),
            value: label(lang, "priority", c.priority.code()),
        });
        if let Some(r) = &c.priority_override_reason {
            fields.push(Field {
                label: tr(lang, "field-override-reason"),
                value: r.clone(),
            });
        }
    }
    fields.push(Field {
        label: tr(lang, "field-school"),
        value: view
            .school
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_else(dash),
    });
    fields.push(Field {
        label: tr(lang, "field-assignee"),
        value: view.assignee_name.clone().unwrap_or_else(dash),
    });
    fields.push(Field {
        label: tr(lang, "field-personal-data"),
        value: label(lang, "personal-data", i.personal_data.code()),
    });
    fields.push(Field {
        label: tr(lang, "field-ongoing"),
        value: yes_no(lang, i.ongoing),
    });
    for (key, v) in [
        ("field-no-incident-reason", &i.no_incident_reason),
        ("field-resolution", &i.resolution),
        ("field-cause", &i.cause),
        ("field-evaluation", &i.evaluation),
    ] {
        if let Some(v) = v {
            fields.push(Field {
                label: tr(lang, key),
                value: v.clone(),
            });
        }
    }
    let t = &i.timeline;
    let times = [
        ("time-occurred", t.occurred_at),
        ("time-reported", t.reported_at),
        ("time-registered", t.registered_at),
        ("time-first-response", t.first_response_at),
        ("time-contained", t.contained_at),
        ("time-resolved", t.resolved_at),
        ("time-evaluated", t.evaluated_at),
        ("time-closed", t.closed_at),
    ]
    .into_iter()
    .map(|(k, v)| Field {
        label: tr(lang, k),
        value: v.map(local_time).unwrap_or_else(dash),
    })
    .collect();
    let r = &i.reporter;
    let reporter = if r.is_anonymous() {
        vec![Field {
            label: tr(lang, "field-reporter"),
            value: tr(lang, "reporter-anonymous"),
        }]
    } else {
        [
            ("field-name", &r.name),
            ("field-email", &r.email),
            ("field-phone", &r.phone),
        ]
        .into_iter()
        .filter_map(|(k, v)| {
            v.as_ref().map(|v| Field {
                label: tr(lang, k),
                value: v.clone(),
            })
        })
        .collect()
    };
    let events = view
        .events
        .iter()
        .map(|e| EventRow {
            at: local_time(e.at),
            actor: e.actor_label.clone(),
            label: event_label(lang, &e.event_type, &e.details),
            body: e.body.clone(),
            public: e.public,
        })
        .collect();
    let notifications = view
        .notifications
        .iter()
        .map(|n| NotificationRow {
            at: local_time(n.at),
            channel: n.channel.clone(),
            recipient: n.recipient.clone(),
            subject: n.subject.clone(),
            status: tr(
                lang,
                match n.status.as_str() {
                    "sent" => "delivery-sent",
                    "not_sent" => "delivery-not-sent",
                    _ => "delivery-failed",
                },
            ),
            ok: n.status == "sent",
            detail: n.detail.clone().unwrap_or_default(),
        })
        .collect();

    let mut values = defaults(i);
    let mut errors = FieldErrors::default();
    let mut message = None;
    if let Some(fb) = feedback {
        // The posted form wins over the recorded values, so nothing typed is lost.
        if fb.action == "triage" {
            values.retain(|k, _| !k.starts_with("triage-"));
        }
        for (k, v) in fb.input {
            if k != "csrf" && k != "version" {
                values.insert(format!("{}-{k}", fb.action), v);
            }
        }
        if let Some(v) = fb.errors {
            errors = FieldErrors(
                v.0.iter()
                    .map(|e| (format!("{}-{}", fb.action, e.field), tr(lang, e.code)))
                    .collect(),
            );
        }
        message = fb.message;
    }
    let mut l = ctx.layout_titled(
        i18n().get(lang, "detail-title", &[("number", &i.number.to_string())]),
        "register",
    );
    if !errors.is_empty() || message.is_some() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    render(
        status,
        &DetailPage {
            l,
            id: i.id.to_string(),
            number: i.number.to_string(),
            summary: i.summary.clone(),
            description: i.description.clone(),
            status: label(lang, "status", st.code()),
            exercise: i.exercise,
            version: i.version,
            fields,
            times,
            reporter,
            events,
            notifications,
            forms,
            values,
            errors,
            message,
            kinds: opts(lang, "kind", Kind::ALL, Kind::code),
            categories: opts(lang, "category", Category::ALL, Category::code),
            impacts: opts(lang, "impact", Impact::ALL, Impact::code),
            urgencies: opts(lang, "urgency", Urgency::ALL, Urgency::code),
            priorities: opts(lang, "priority", Priority::ALL, Priority::code),
            assignees,
            matrix_priority,
            breach_href,
            sla: super::sla::sla_box(lang, s, &session.principal, i).await,
        },
    )
}

/// `GET /incidenten/{id}`
pub async fn detail(ctx: Ctx, State(s): State<AppState>, Path(id): Path<String>) -> Response {
    if let Err(r) = ctx.require() {
        return r;
    }
    let Ok(id) = id.parse::<IncidentId>() else {
        return ctx.not_found();
    };
    detail_page(&ctx, &s, id, StatusCode::OK, None).await
}

fn field_error(field: &'static str, code: &'static str) -> FieldError {
    FieldError { field, code }
}

fn choice<T>(
    errs: &mut Vec<FieldError>,
    field: &'static str,
    v: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    if v.is_empty() {
        errs.push(field_error(field, "error-required"));
        return None;
    }
    let r = parse(v);
    if r.is_none() {
        errs.push(field_error(field, "error-invalid-choice"));
    }
    r
}

fn triage_input(f: &HashMap<String, String>) -> Result<TriageInput, ValidationErrors> {
    let get = |k: &str| f.get(k).map(|s| s.trim()).unwrap_or("");
    let mut errs = Vec::new();
    let kind = choice(&mut errs, "kind", get("kind"), Kind::from_code);
    let category = choice(&mut errs, "category", get("category"), Category::from_code);
    let impact = choice(&mut errs, "impact", get("impact"), Impact::from_code);
    let urgency = choice(&mut errs, "urgency", get("urgency"), Urgency::from_code);
    let priority_override = match get("priority") {
        "" => None,
        p => {
            let r = Priority::from_code(p);
            if r.is_none() {
                errs.push(field_error("priority", "error-invalid-choice"));
            }
            r
        }
    };
    let text = |k: &str| Some(get(k).to_string()).filter(|s| !s.is_empty());
    match (kind, category, impact, urgency) {
        (Some(kind), Some(category), Some(impact), Some(urgency)) if errs.is_empty() => {
            Ok(TriageInput {
                kind,
                aspects: Aspects {
                    availability: !get("aspect_availability").is_empty(),
                    integrity: !get("aspect_integrity").is_empty(),
                    confidentiality: !get("aspect_confidentiality").is_empty(),
                },
                category,
                impact,
                urgency,
                priority_override,
                override_reason: text("override_reason"),
                no_incident_reason: text("no_incident_reason"),
            })
        }
        _ => Err(ValidationErrors(errs)),
    }
}

/// `POST /incidenten/{id}/{action}`: one form of the detail page.
pub async fn action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Form(input): Form<Vec<(String, String)>>,
) -> Response {
    let f: HashMap<String, String> = input.iter().cloned().collect();
    let session = match ctx.check_csrf(f.get("csrf").map(String::as_str)) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return ctx.not_found();
    };
    let p = &session.principal;
    let version = f.get("version").and_then(|v| v.trim().parse::<i64>().ok());
    let text = |k: &str| f.get(k).cloned().unwrap_or_default();
    let app = &s.app;
    // Dutch URL slug → form name used for field ids.
    let (form, result) = match action.as_str() {
        "classificeren" => (
            "triage",
            match triage_input(&f) {
                Ok(t) => app.triage(p, id, t, version).await,
                Err(v) => Err(AppError::Validation(v)),
            },
        ),
        "toewijzen" => (
            "assign",
            match text("assignee_id").trim().parse::<UserId>() {
                Ok(u) => app.assign(p, id, u, version).await,
                Err(_) => Err(AppError::Validation(ValidationErrors(vec![field_error(
                    "assignee_id",
                    if text("assignee_id").trim().is_empty() {
                        "error-required"
                    } else {
                        "error-unknown-assignee"
                    },
                )]))),
            },
        ),
        "notitie" => (
            "note",
            app.add_note(p, id, &text("text"), !text("public").is_empty())
                .await,
        ),
        "wachten" => (
            "wait",
            app.act(
                p,
                id,
                Command::Wait {
                    reason: text("reason"),
                },
                version,
            )
            .await,
        ),
        "hervatten" => ("resume", app.act(p, id, Command::Resume, version).await),
        "indammen" => ("contain", app.act(p, id, Command::Contain, version).await),
        "oplossen" => (
            "resolve",
            app.act(
                p,
                id,
                Command::Resolve {
                    resolution: text("resolution"),
                    cause: text("cause"),
                },
                version,
            )
            .await,
        ),
        "evalueren" => (
            "evaluate",
            app.act(
                p,
                id,
                Command::Evaluate {
                    evaluation: text("evaluation"),
                },
                version,
            )
            .await,
        ),
        "sluiten" => ("close", app.act(p, id, Command::Close, version).await),
        "heropenen" => (
            "reopen",
            app.act(
                p,
                id,
                Command::Reopen {
                    reason: text("reason"),
                },
                version,
            )
            .await,
        ),
        _ => return ctx.not_found(),
    };
    let fb = |errors, message| Feedback {
        action: form.to_string(),
        input: input.clone(),
        errors,
        message,
    };
    match result {
        Ok(_) => see_other(&format!("/incidenten/{id}")),
        Err(AppError::Validation(v)) => {
            detail_page(
                &ctx,
                &s,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(fb(Some(v), None)),
            )
            .await
        }
        Err(AppError::Lifecycle(l)) => {
            let m = lifecycle_message(ctx.lang, &l);
            detail_page(
                &ctx,
                &s,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(fb(None, Some(m))),
            )
            .await
        }
        Err(AppError::Priority(_)) => {
            let m = tr(ctx.lang, "error-priority-below-floor");
            detail_page(
                &ctx,
                &s,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(fb(None, Some(m))),
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let m = tr(ctx.lang, "conflict-text");
            detail_page(&ctx, &s, id, StatusCode::CONFLICT, Some(fb(None, Some(m)))).await
        }
        Err(e) => ctx.fail(e),
    }
}
