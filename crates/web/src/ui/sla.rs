//! Service levels in the UI: the SLA dashboard (`/sla`), the board's SLA settings, school
//! holidays, channels and suppliers, the delivery log, the on-call rota (`/bereikbaarheid`) with
//! its acknowledgement link and private iCal feed, and the SLA box on the incident page.
//!
//! Plain HTML forms and tables: everything works without JavaScript. Every form carries the
//! session's CSRF token, except the acknowledgement link's confirmation (no session: the token in
//! the URL is the proof, and the same-origin check guards against cross-site posts).

use super::i18n::{label, tr, Lang};
use super::Page as _;
use super::{local_time, page, render, see_other, Ctx, FieldErrors, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use jiff::civil::Time;
use jiff::{SignedDuration, Timestamp};
use meldpunt_app::core::auth::{IncidentAction, Principal, Role};
use meldpunt_app::core::calendar::{ClockMode, HolidayRules, LiberationDayRule, SchoolRegion};
use meldpunt_app::core::ids::{BoardId, IncidentId, UserId};
use meldpunt_app::core::incident::{Incident, Priority};
use meldpunt_app::core::sla::{ServiceLevel, SlaPolicy, SlaReading, SlaState, Target};
use meldpunt_app::core::validation::{FieldError, ValidationErrors};
use meldpunt_app::escalation::human_duration;
use meldpunt_app::sla::{
    self as appsla, AtRiskRule, BreachLevel, EscalationRules, Granularity, NewHoliday,
    OncallSettings, SlaSettings,
};
use meldpunt_app::{Actor, AppError};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sla", get(dashboard))
        .route("/sla/instellingen", get(settings_page).post(settings_save))
        .route("/sla/vakanties", get(holidays_page).post(holiday_add))
        .route("/sla/vakanties/import", post(holiday_import))
        .route("/sla/vakanties/{id}/verwijderen", post(holiday_delete))
        .route("/sla/kanalen", get(channels_page).post(webhook_add))
        .route("/sla/kanalen/{id}/verwijderen", post(webhook_remove))
        .route("/sla/leveranciers", post(supplier_add))
        .route("/sla/leveranciers/{id}/verwijderen", post(supplier_remove))
        .route("/sla/bezorging", get(delivery_page))
        .route("/bereikbaarheid", get(rota_page))
        .route("/bereikbaarheid/rooster", post(rota_save))
        .route("/bereikbaarheid/vervanging", post(override_add))
        .route(
            "/bereikbaarheid/vervanging/{id}/verwijderen",
            post(override_remove),
        )
        .route("/bereikbaarheid/agenda", post(feed_create))
        .route(
            "/bereikbaarheid/bevestigen/{token}",
            get(ack_page).post(ack_post),
        )
        .route("/bereikbaarheid/{file}", get(feed))
        .route("/incidenten/{id}/sla/{action}", post(incident_action))
}

/// An option of a select.
pub struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
}

fn opt(value: impl Into<String>, label: impl Into<String>) -> Opt {
    Opt {
        value: value.into(),
        label: label.into(),
    }
}

/// Form fields as name → value (last wins).
type Fields = Vec<(String, String)>;

fn fv<'a>(f: &'a Fields, k: &str) -> &'a str {
    f.iter()
        .rev()
        .find(|(n, _)| n == k)
        .map(|(_, v)| v.trim())
        .unwrap_or("")
}

fn all<'a>(f: &'a Fields, k: &str) -> Vec<&'a str> {
    f.iter()
        .filter(|(n, _)| n == k)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
        .collect()
}

fn verr(field: &'static str, code: &'static str) -> AppError {
    AppError::Validation(ValidationErrors(vec![FieldError { field, code }]))
}

#[derive(Deserialize, Default)]
struct BoardQuery {
    bestuur: Option<String>,
    periode: Option<String>,
    status: Option<String>,
    opgeslagen: Option<String>,
}

fn pick(boards: Vec<BoardId>, wanted: Option<&str>) -> Option<BoardId> {
    match wanted.and_then(|w| w.parse::<BoardId>().ok()) {
        Some(b) if boards.contains(&b) => Some(b),
        _ => boards.first().copied(),
    }
}

fn config_boards(p: &Principal) -> Vec<BoardId> {
    p.boards()
        .into_iter()
        .filter(|b| appsla::may_configure(p, *b))
        .collect()
}

async fn board_opts(s: &AppState, boards: &[BoardId]) -> Vec<Opt> {
    let mut out = Vec::new();
    for b in boards {
        if let Ok(Some(x)) = s.app.store.board(*b).await {
            out.push(opt(x.id.to_string(), x.name));
        }
    }
    out
}

fn state_label(lang: Lang, s: SlaState) -> String {
    label(lang, "sla-state", s.code())
}

fn dur(d: SignedDuration) -> String {
    human_duration(d)
}

// ------------------------------------------------------------------ dashboard

/// A row of counts.
pub struct CountRow {
    name: String,
    on_track: u64,
    at_risk: u64,
    breached: u64,
    paused: u64,
    total: u64,
}

/// A period row.
pub struct PeriodRow {
    label: String,
    responded: u64,
    response_pct: String,
    resolved: u64,
    resolution_pct: String,
}

/// An at-risk row.
pub struct RiskRow {
    href: String,
    number: String,
    summary: String,
    priority: String,
    clock: String,
    state: String,
    breached: bool,
    due: String,
    remaining: String,
    school: String,
    handler: String,
}

/// `/sla`
#[derive(Template)]
#[template(path = "sla_dashboard.html")]
pub struct DashboardPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    totals: CountRow,
    by_school: Vec<CountRow>,
    by_handler: Vec<CountRow>,
    periods: Vec<PeriodRow>,
    weekly: bool,
    at_risk: Vec<RiskRow>,
    can_configure: bool,
    now: String,
}
page!(DashboardPage);

fn count_row(name: String, c: &appsla::StateCounts) -> CountRow {
    CountRow {
        name,
        on_track: c.on_track,
        at_risk: c.at_risk,
        breached: c.breached,
        paused: c.paused,
        total: c.total,
    }
}

async fn dashboard(ctx: Ctx, State(s): State<AppState>, Query(q): Query<BoardQuery>) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let p = &session.principal;
    let boards = appsla::dashboard_boards(p);
    let Some(board) = pick(boards.clone(), q.bestuur.as_deref()) else {
        if !config_boards(p).is_empty() {
            return see_other("/sla/instellingen");
        }
        return ctx.fail(AppError::Forbidden);
    };
    let weekly = q.periode.as_deref() == Some("week");
    let g = if weekly {
        Granularity::Week
    } else {
        Granularity::Month
    };
    let d = match s.app.sla_dashboard(p, board, g).await {
        Ok(d) => d,
        Err(e) => return ctx.fail(e),
    };
    let lang = ctx.lang;
    let none = |k: &str| tr(lang, k);
    let page = DashboardPage {
        l: ctx.layout("sla-dashboard-title", "sla"),
        board_id: board.to_string(),
        boards: board_opts(&s, &boards).await,
        totals: count_row(tr(lang, "sla-all-open"), &d.totals),
        by_school: d
            .by_school
            .iter()
            .map(|g| {
                count_row(
                    if g.id.is_some() {
                        g.name.clone()
                    } else {
                        none("sla-no-school")
                    },
                    &g.counts,
                )
            })
            .collect(),
        by_handler: d
            .by_handler
            .iter()
            .map(|g| {
                count_row(
                    if g.id.is_some() {
                        g.name.clone()
                    } else {
                        none("sla-unassigned")
                    },
                    &g.counts,
                )
            })
            .collect(),
        periods: d
            .periods
            .iter()
            .map(|p| PeriodRow {
                label: p.label.clone(),
                responded: p.responded,
                response_pct: p
                    .response_pct()
                    .map(|x| format!("{x} %"))
                    .unwrap_or_else(|| "–".into()),
                resolved: p.resolved,
                resolution_pct: p
                    .resolution_pct()
                    .map(|x| format!("{x} %"))
                    .unwrap_or_else(|| "–".into()),
            })
            .collect(),
        weekly,
        at_risk: d
            .at_risk
            .iter()
            .map(|a| RiskRow {
                href: format!("/incidenten/{}", a.incident_id),
                number: a.number.clone(),
                summary: a.summary.clone(),
                priority: if a.triaged {
                    label(lang, "priority", a.priority.code())
                } else {
                    format!(
                        "{} ({})",
                        label(lang, "priority", a.priority.code()),
                        tr(lang, "sla-untriaged")
                    )
                },
                clock: tr(lang, &format!("sla-clock-{}", a.clock)),
                state: state_label(lang, a.state),
                breached: a.state == SlaState::Breached,
                due: a.due_at.map(local_time).unwrap_or_default(),
                remaining: if a.paused {
                    format!("{} ({})", dur(a.remaining), tr(lang, "sla-paused"))
                } else {
                    dur(a.remaining)
                },
                school: a.school.clone(),
                handler: a.handler.clone(),
            })
            .collect(),
        can_configure: appsla::may_configure(p, board),
        now: local_time(d.now),
    };
    render(StatusCode::OK, &page)
}

// ------------------------------------------------------------------ settings

/// `/sla/instellingen`
#[derive(Template)]
#[template(path = "sla_settings.html")]
pub struct SettingsPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    regions: Vec<Opt>,
    days: Vec<Opt>,
    units: Vec<Opt>,
    clocks: Vec<Opt>,
    priorities: Vec<Opt>,
    liberation: Vec<Opt>,
    level_roles: Vec<Opt>,
    weekdays: Vec<Opt>,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    saved: bool,
}
page!(SettingsPage);

impl SettingsPage {
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

const PRIOS: [&str; 5] = ["p1", "p2", "p3", "p4", "p5"];

fn target_parts(t: Target) -> (String, &'static str) {
    match t {
        Target::Minutes(m) => (m.to_string(), "minutes"),
        Target::Hours(h) => (h.to_string(), "hours"),
        Target::WorkingDays(d) => (d.to_string(), "working_days"),
        Target::None => (String::new(), "none"),
    }
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

fn settings_values(st: &SlaSettings) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    m.insert("region".into(), st.region.code().into());
    for (i, day) in DAY_KEYS.iter().enumerate() {
        let wd = weekday_of(i);
        if let Some(h) = st.week.hours(wd) {
            m.insert(format!("{day}_start"), hhmm(h.start()));
            m.insert(
                format!("{day}_end"),
                if h.end() == Time::midnight() {
                    "24:00".into()
                } else {
                    hhmm(h.end())
                },
            );
        }
    }
    if st.holiday_rules.good_friday {
        m.insert("good_friday".into(), "on".into());
    }
    m.insert(
        "liberation_day".into(),
        st.holiday_rules.liberation_day.code().into(),
    );
    for p in PRIOS {
        let pr = Priority::from_code(p).unwrap_or(Priority::P3);
        let l = st.policy.level(pr);
        let (ra, ru) = target_parts(l.response);
        let (sa, su) = target_parts(l.resolution);
        m.insert(format!("{p}_response_amount"), ra);
        m.insert(format!("{p}_response_unit"), ru.into());
        m.insert(format!("{p}_resolution_amount"), sa);
        m.insert(format!("{p}_resolution_unit"), su.into());
        m.insert(format!("{p}_clock"), l.clock.code().into());
    }
    m.insert(
        "at_risk_percent".into(),
        st.policy.at_risk_percent.to_string(),
    );
    m.insert(
        "untriaged_priority".into(),
        st.untriaged_priority.code().into(),
    );
    let ar = st.escalation.at_risk;
    for (k, on) in [
        ("at_risk_handler", ar.handler),
        ("at_risk_incident_manager", ar.incident_manager),
        ("at_risk_service_desk", ar.service_desk),
    ] {
        if on {
            m.insert(k.into(), "on".into());
        }
    }
    for (i, l) in st.escalation.breach_levels.iter().enumerate().take(3) {
        m.insert(format!("level{}_percent", i + 1), l.percent.to_string());
        m.insert(format!("level{}_role", i + 1), l.role.code().into());
    }
    m.insert("ack_minutes".into(), st.oncall.ack_minutes.to_string());
    m.insert(
        "handover_weekday".into(),
        st.oncall.handover_weekday.to_string(),
    );
    m.insert("handover_time".into(), hhmm(st.oncall.handover_time));
    m.insert("webhook_hosts".into(), st.webhook_hosts.join("\n"));
    m
}

const DAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn weekday_of(i: usize) -> jiff::civil::Weekday {
    use jiff::civil::Weekday::*;
    [
        Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday,
    ][i.min(6)]
}

fn parse_time(s: &str) -> Option<Time> {
    if s == "24:00" {
        return Some(Time::midnight());
    }
    let (h, m) = s.split_once(':')?;
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn parse_target(amount: &str, unit: &str) -> Result<Target, ()> {
    if unit == "none" {
        return Ok(Target::None);
    }
    let n: u32 = amount.parse().map_err(|_| ())?;
    match unit {
        "minutes" if n <= 100_000 => Ok(Target::Minutes(n)),
        "hours" if n <= 10_000 => Ok(Target::Hours(n)),
        "working_days" if n <= 365 => Ok(Target::WorkingDays(n)),
        _ => Err(()),
    }
}

/// Parses the settings form; collects every field problem.
fn parse_settings(f: &Fields, current: &SlaSettings) -> Result<SlaSettings, ValidationErrors> {
    let mut errs: Vec<FieldError> = Vec::new();
    let mut e = |field: &'static str, code: &'static str| errs.push(FieldError { field, code });
    let region = SchoolRegion::from_code(fv(f, "region"));
    if region.is_none() {
        e("region", "error-invalid-choice");
    }
    let mut days: [Option<(Time, Time)>; 7] = [None; 7];
    for (i, d) in DAY_KEYS.iter().enumerate() {
        let (s, en) = (fv(f, &format!("{d}_start")), fv(f, &format!("{d}_end")));
        if s.is_empty() && en.is_empty() {
            continue;
        }
        match (parse_time(s), parse_time(en)) {
            (Some(a), Some(b)) => days[i] = Some((a, b)),
            _ => e("week", "error-sla-hours"),
        }
    }
    let week = appsla::week_from_hours(days);
    let week = match week {
        Ok(w) => Some(w),
        Err(v) => {
            for x in v.0 {
                e(x.field, x.code);
            }
            None
        }
    };
    let liberation = LiberationDayRule::from_code(fv(f, "liberation_day"));
    if liberation.is_none() {
        e("liberation_day", "error-invalid-choice");
    }
    let mut levels: Vec<ServiceLevel> = Vec::new();
    for p in PRIOS {
        let resp = parse_target(
            fv(f, &format!("{p}_response_amount")),
            fv(f, &format!("{p}_response_unit")),
        );
        let reso = parse_target(
            fv(f, &format!("{p}_resolution_amount")),
            fv(f, &format!("{p}_resolution_unit")),
        );
        let clock = ClockMode::from_code(fv(f, &format!("{p}_clock")));
        match (resp, reso, clock) {
            (Ok(response), Ok(resolution), Some(clock)) => levels.push(ServiceLevel {
                response,
                resolution,
                clock,
            }),
            _ => e("policy", "error-sla-target"),
        }
    }
    let at_risk_percent: Option<u8> = fv(f, "at_risk_percent").parse().ok();
    if at_risk_percent.is_none() {
        e("at_risk_percent", "error-sla-at-risk-percent");
    }
    let untriaged = Priority::from_code(fv(f, "untriaged_priority"));
    if untriaged.is_none() {
        e("untriaged_priority", "error-invalid-choice");
    }
    let mut breach_levels = Vec::new();
    for i in 1..=3 {
        let role = fv(f, &format!("level{i}_role"));
        if role.is_empty() {
            continue;
        }
        match (
            fv(f, &format!("level{i}_percent")).parse::<u32>(),
            Role::from_code(role),
        ) {
            (Ok(percent), Some(role)) => breach_levels.push(BreachLevel { percent, role }),
            _ => e("breach_levels", "error-sla-levels"),
        }
    }
    let ack: Option<u32> = fv(f, "ack_minutes").parse().ok();
    if ack.is_none() {
        e("ack_minutes", "error-sla-ack-minutes");
    }
    let weekday: Option<u8> = fv(f, "handover_weekday")
        .parse()
        .ok()
        .filter(|d| (1..=7).contains(d));
    if weekday.is_none() {
        e("handover_weekday", "error-invalid-choice");
    }
    let handover_time = parse_time(fv(f, "handover_time"));
    if handover_time.is_none() {
        e("handover_time", "error-sla-hours");
    }
    let hosts: Vec<String> = fv(f, "webhook_hosts")
        .lines()
        .map(|l| l.trim().to_ascii_lowercase())
        .filter(|l| !l.is_empty())
        .collect();
    if hosts.iter().any(|h| !appsla::valid_host_pattern(h)) {
        e("webhook_hosts", "error-sla-host");
    }
    if !errs.is_empty() || levels.len() != 5 {
        return Err(ValidationErrors(errs));
    }
    let [p1, p2, p3, p4, p5]: [ServiceLevel; 5] = match levels.try_into() {
        Ok(a) => a,
        Err(_) => return Err(ValidationErrors(errs)),
    };
    Ok(SlaSettings {
        region: region.unwrap_or(SchoolRegion::Central),
        week: week.unwrap_or_default(),
        holiday_rules: HolidayRules {
            good_friday: !fv(f, "good_friday").is_empty(),
            liberation_day: liberation.unwrap_or(LiberationDayRule::Lustrum),
        },
        policy: SlaPolicy {
            p1,
            p2,
            p3,
            p4,
            p5,
            at_risk_percent: at_risk_percent.unwrap_or(75),
        },
        untriaged_priority: untriaged.unwrap_or(Priority::P3),
        escalation: EscalationRules {
            at_risk: AtRiskRule {
                handler: !fv(f, "at_risk_handler").is_empty(),
                incident_manager: !fv(f, "at_risk_incident_manager").is_empty(),
                service_desk: !fv(f, "at_risk_service_desk").is_empty(),
            },
            breach_levels,
        },
        oncall: OncallSettings {
            ack_minutes: ack.unwrap_or(15),
            handover_weekday: weekday.unwrap_or(1),
            handover_time: handover_time.unwrap_or(Time::constant(9, 0, 0, 0)),
            anchor: current.oncall.anchor,
        },
        webhook_hosts: hosts,
        holidays_seeded: current.holidays_seeded,
    })
}

async fn settings_render(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    status: StatusCode,
    posted: Option<(Fields, FieldErrors)>,
    saved: bool,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let lang = ctx.lang;
    let current = match s.app.sla_settings(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let mut values = settings_values(&current);
    let mut errors = FieldErrors::default();
    if let Some((input, errs)) = posted {
        // Unchecked boxes are absent from the post: start from the post alone for them.
        for k in [
            "good_friday",
            "at_risk_handler",
            "at_risk_incident_manager",
            "at_risk_service_desk",
        ] {
            values.remove(k);
        }
        for (k, v) in input {
            if k != "csrf" {
                values.insert(k, v);
            }
        }
        errors = errs;
    }
    let mut l = ctx.layout("sla-settings-title", "sla");
    if !errors.is_empty() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    let boards = config_boards(&session.principal);
    render(
        status,
        &SettingsPage {
            l,
            board_id: board.to_string(),
            boards: board_opts(s, &boards).await,
            regions: SchoolRegion::ALL
                .iter()
                .map(|r| opt(r.code(), label(lang, "sla-region", r.code())))
                .collect(),
            days: DAY_KEYS
                .iter()
                .map(|d| opt(*d, tr(lang, &format!("sla-day-{d}"))))
                .collect(),
            units: ["minutes", "hours", "working_days", "none"]
                .iter()
                .map(|u| opt(*u, label(lang, "sla-unit", u)))
                .collect(),
            clocks: ClockMode::ALL
                .iter()
                .map(|c| opt(c.code(), label(lang, "sla-clockmode", c.code())))
                .collect(),
            priorities: Priority::ALL
                .iter()
                .map(|p| opt(p.code(), label(lang, "priority", p.code())))
                .collect(),
            liberation: LiberationDayRule::ALL
                .iter()
                .map(|r| opt(r.code(), label(lang, "sla-liberation", r.code())))
                .collect(),
            level_roles: [
                Role::IncidentManager,
                Role::IbpOfficer,
                Role::BoardMember,
                Role::ServiceDesk,
            ]
            .iter()
            .map(|r| opt(r.code(), label(lang, "role", r.code())))
            .collect(),
            weekdays: (1..=7)
                .map(|d| {
                    opt(
                        d.to_string(),
                        tr(lang, &format!("sla-day-{}", DAY_KEYS[d - 1])),
                    )
                })
                .collect(),
            values,
            errors,
            saved,
        },
    )
}

async fn settings_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(board) = pick(config_boards(&session.principal), q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    settings_render(
        &ctx,
        &s,
        board,
        StatusCode::OK,
        None,
        q.opgeslagen.is_some(),
    )
    .await
}

/// CSRF, the board from the form, and the settings-configure right.
#[allow(clippy::result_large_err)]
fn config_post(ctx: &Ctx, f: &Fields) -> Result<(Principal, BoardId), Response> {
    let session = ctx.check_csrf(Some(fv(f, "csrf")))?;
    let p = session.principal.clone();
    match pick(config_boards(&p), Some(fv(f, "board"))) {
        Some(b) if fv(f, "board").is_empty() || fv(f, "board") == b.to_string() => Ok((p, b)),
        _ => Err(ctx.fail(AppError::Forbidden)),
    }
}

async fn settings_save(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let current = match s.app.sla_settings(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let result = match parse_settings(&f, &current) {
        Ok(new) => s.app.save_sla_settings(&Actor::User(&p), board, new).await,
        Err(v) => Err(AppError::Validation(v)),
    };
    match result {
        Ok(()) => see_other(&format!("/sla/instellingen?bestuur={board}&opgeslagen=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            settings_render(
                &ctx,
                &s,
                board,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((f, errors)),
                false,
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}

// ------------------------------------------------------------------ holidays

/// A holiday row.
pub struct HolidayView {
    id: String,
    school_year: String,
    region: String,
    kind: String,
    name: String,
    first: String,
    last: String,
    source: String,
    own_region: bool,
}

/// `/sla/vakanties`
#[derive(Template)]
#[template(path = "sla_holidays.html")]
pub struct HolidaysPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    region: String,
    seeded: bool,
    holidays: Vec<HolidayView>,
    regions: Vec<Opt>,
    kinds: Vec<Opt>,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    saved: bool,
}
page!(HolidaysPage);

impl HolidaysPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k)
    }
}

fn dutch_date(iso: &str) -> String {
    iso.parse::<jiff::civil::Date>()
        .map(|d| d.strftime("%d-%m-%Y").to_string())
        .unwrap_or_else(|_| iso.to_string())
}

async fn holidays_render(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    status: StatusCode,
    posted: Option<(Fields, FieldErrors)>,
    saved: bool,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let lang = ctx.lang;
    let settings = match s.app.sla_settings(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let rows = match s.app.school_holidays(board).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    let mut values = BTreeMap::new();
    let mut errors = FieldErrors::default();
    if let Some((input, errs)) = posted {
        for (k, v) in input {
            if k != "csrf" {
                values.insert(k, v);
            }
        }
        errors = errs;
    }
    let mut l = ctx.layout("sla-holidays-title", "sla");
    if !errors.is_empty() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    let boards = config_boards(&session.principal);
    let region = settings.region.code();
    render(
        status,
        &HolidaysPage {
            l,
            board_id: board.to_string(),
            boards: board_opts(s, &boards).await,
            region: label(lang, "sla-region", region),
            seeded: settings.holidays_seeded,
            holidays: rows
                .iter()
                .map(|h| HolidayView {
                    id: h.id.to_string(),
                    school_year: h.school_year.clone(),
                    region: h
                        .region
                        .as_deref()
                        .map(|r| label(lang, "sla-region", r))
                        .unwrap_or_else(|| tr(lang, "sla-all-regions")),
                    kind: label(lang, "sla-holiday", &h.kind),
                    name: h.name.clone(),
                    first: dutch_date(&h.first_day),
                    last: dutch_date(&h.last_day),
                    source: label(lang, "sla-source", &h.source),
                    own_region: h.region.as_deref().is_none_or(|r| r == region),
                })
                .collect(),
            regions: SchoolRegion::ALL
                .iter()
                .map(|r| opt(r.code(), label(lang, "sla-region", r.code())))
                .chain(std::iter::once(opt("", tr(lang, "sla-all-regions"))))
                .collect(),
            kinds: appsla::HOLIDAY_KINDS
                .iter()
                .map(|k| opt(*k, label(lang, "sla-holiday", k)))
                .collect(),
            values,
            errors,
            saved,
        },
    )
}

async fn holidays_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(board) = pick(config_boards(&session.principal), q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    holidays_render(
        &ctx,
        &s,
        board,
        StatusCode::OK,
        None,
        q.opgeslagen.is_some(),
    )
    .await
}

async fn holidays_answer(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    f: Fields,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/sla/vakanties?bestuur={board}&opgeslagen=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            holidays_render(
                ctx,
                s,
                board,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((f, errors)),
                false,
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}

async fn holiday_add(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let region = match fv(&f, "region") {
        "" => Ok(None),
        r => SchoolRegion::from_code(r).map(Some).ok_or(()),
    };
    let first = appsla::parse_date(fv(&f, "first"));
    let last = appsla::parse_date(fv(&f, "last"));
    let r = match (region, first, last) {
        (Ok(region), Some(first), Some(last)) => s
            .app
            .add_school_holidays(
                &Actor::User(&p),
                board,
                vec![NewHoliday {
                    region,
                    kind: fv(&f, "kind").to_string(),
                    name: fv(&f, "name").to_string(),
                    first,
                    last,
                }],
                false,
            )
            .await
            .map(|_| ()),
        (Err(()), ..) => Err(verr("region", "error-invalid-choice")),
        (_, None, _) => Err(verr("first", "error-sla-date")),
        _ => Err(verr("last", "error-sla-date")),
    };
    holidays_answer(&ctx, &s, board, f, r).await
}

async fn holiday_import(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = match appsla::parse_holiday_csv(fv(&f, "csv")) {
        Ok(items) if items.is_empty() => Err(verr("csv", "error-required")),
        Ok(items) => s
            .app
            .add_school_holidays(&Actor::User(&p), board, items, true)
            .await
            .map(|_| ()),
        Err(lines) => {
            let code = lines.first().map(|l| l.1).unwrap_or("error-csv-columns");
            Err(verr("csv", code))
        }
    };
    holidays_answer(&ctx, &s, board, f, r).await
}

async fn holiday_delete(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return ctx.not_found();
    };
    let r = s
        .app
        .delete_school_holiday(&Actor::User(&p), board, id)
        .await;
    holidays_answer(&ctx, &s, board, Vec::new(), r).await
}

// ------------------------------------------------------------------ channels, suppliers

/// A webhook row.
pub struct WebhookView {
    id: String,
    name: String,
    format: String,
    host: String,
    events: String,
}

/// A supplier row.
pub struct SupplierView {
    id: String,
    name: String,
    email: String,
    phone: String,
}

/// `/sla/kanalen`
#[derive(Template)]
#[template(path = "sla_channels.html")]
pub struct ChannelsPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    hosts: String,
    webhooks: Vec<WebhookView>,
    suppliers: Vec<SupplierView>,
    formats: Vec<Opt>,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    saved: bool,
}
page!(ChannelsPage);

impl ChannelsPage {
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

async fn channels_render(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    status: StatusCode,
    posted: Option<(&'static str, Fields, FieldErrors)>,
    saved: bool,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let lang = ctx.lang;
    let (settings, hooks, suppliers) = match (
        s.app.sla_settings(board).await,
        s.app.store.webhooks(board).await,
        s.app.store.suppliers(board).await,
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), ..) => return ctx.fail(e),
        (_, Err(e), _) | (_, _, Err(e)) => return ctx.fail(e.into()),
    };
    let mut values = BTreeMap::new();
    values.insert("hook-on_escalation".to_string(), "on".to_string());
    let mut errors = FieldErrors::default();
    if let Some((form, input, errs)) = posted {
        values.clear();
        for (k, v) in input {
            if k != "csrf" && k != "secret" {
                values.insert(format!("{form}-{k}"), v);
            }
        }
        errors = FieldErrors(
            errs.0
                .into_iter()
                .map(|(f, m)| (format!("{form}-{f}"), m))
                .collect(),
        );
    }
    let mut l = ctx.layout("sla-channels-title", "sla");
    if !errors.is_empty() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    let boards = config_boards(&session.principal);
    render(
        status,
        &ChannelsPage {
            l,
            board_id: board.to_string(),
            boards: board_opts(s, &boards).await,
            hosts: if settings.webhook_hosts.is_empty() {
                tr(lang, "sla-no-hosts")
            } else {
                settings.webhook_hosts.join(", ")
            },
            webhooks: hooks
                .iter()
                .map(|w| {
                    let mut ev = Vec::new();
                    if w.on_escalation {
                        ev.push(tr(lang, "sla-channel-escalation"));
                    }
                    if w.on_oncall {
                        ev.push(tr(lang, "sla-channel-oncall"));
                    }
                    if w.crisis {
                        ev.push(tr(lang, "sla-channel-crisis"));
                    }
                    WebhookView {
                        id: w.id.to_string(),
                        name: w.name.clone(),
                        format: label(lang, "sla-format", &w.format),
                        host: url_host(&w.url),
                        events: ev.join(", "),
                    }
                })
                .collect(),
            suppliers: suppliers
                .iter()
                .filter(|x| x.active)
                .map(|x| SupplierView {
                    id: x.id.to_string(),
                    name: x.name.clone(),
                    email: x.email.clone().unwrap_or_default(),
                    phone: x.phone.clone().unwrap_or_default(),
                })
                .collect(),
            formats: meldpunt_app::webhook::FORMATS
                .iter()
                .map(|f| opt(*f, label(lang, "sla-format", f)))
                .collect(),
            values,
            errors,
            saved,
        },
    )
}

fn url_host(u: &str) -> String {
    u.split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or("")
        .to_string()
}

async fn channels_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(board) = pick(config_boards(&session.principal), q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    channels_render(
        &ctx,
        &s,
        board,
        StatusCode::OK,
        None,
        q.opgeslagen.is_some(),
    )
    .await
}

async fn channels_answer(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    form: &'static str,
    f: Fields,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/sla/kanalen?bestuur={board}&opgeslagen=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            channels_render(
                ctx,
                s,
                board,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((form, f, errors)),
                false,
            )
            .await
        }
        Err(AppError::Conflict(_)) => {
            let errors = FieldErrors::one(ctx.lang, "name", "error-already-exists");
            channels_render(
                ctx,
                s,
                board,
                StatusCode::CONFLICT,
                Some((form, f, errors)),
                false,
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}

async fn webhook_add(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let secret = Some(fv(&f, "secret")).filter(|x| !x.is_empty());
    let r = s
        .app
        .add_webhook(
            &Actor::User(&p),
            board,
            fv(&f, "name"),
            fv(&f, "format"),
            fv(&f, "url"),
            secret,
            !fv(&f, "on_escalation").is_empty(),
            !fv(&f, "on_oncall").is_empty(),
            !fv(&f, "crisis").is_empty(),
        )
        .await
        .map(|_| ());
    channels_answer(&ctx, &s, board, "hook", f, r).await
}

async fn webhook_remove(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return ctx.not_found();
    };
    let r = s.app.remove_webhook(&Actor::User(&p), board, id).await;
    channels_answer(&ctx, &s, board, "hook", Vec::new(), r).await
}

async fn supplier_add(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let r = s
        .app
        .add_supplier(
            &Actor::User(&p),
            board,
            fv(&f, "name"),
            Some(fv(&f, "email")),
            Some(fv(&f, "phone")),
        )
        .await
        .map(|_| ());
    channels_answer(&ctx, &s, board, "supplier", f, r).await
}

async fn supplier_remove(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (p, board) = match config_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return ctx.not_found();
    };
    let r = s.app.remove_supplier(&Actor::User(&p), board, id).await;
    channels_answer(&ctx, &s, board, "supplier", Vec::new(), r).await
}

// ------------------------------------------------------------------ delivery log

/// A delivery-log row.
pub struct DeliveryView {
    at: String,
    incident: Option<(String, String)>,
    channel: String,
    recipient: String,
    subject: String,
    status: String,
    ok: bool,
    detail: String,
}

/// `/sla/bezorging`
#[derive(Template)]
#[template(path = "sla_delivery.html")]
pub struct DeliveryPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    status: String,
    rows: Vec<DeliveryView>,
}
page!(DeliveryPage);

fn delivery_status_key(s: &str) -> &'static str {
    match s {
        "sent" => "delivery-sent",
        "not_sent" => "delivery-not-sent",
        _ => "delivery-failed",
    }
}

async fn delivery_page(
    ctx: Ctx,
    State(s): State<AppState>,
    Query(q): Query<BoardQuery>,
) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(board) = pick(config_boards(&session.principal), q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    let status = q
        .status
        .filter(|x| matches!(x.as_str(), "sent" | "failed" | "not_sent"));
    let rows = match s
        .app
        .store
        .delivery_log(board, status.as_deref(), 200)
        .await
    {
        Ok(x) => x,
        Err(e) => return ctx.fail(e.into()),
    };
    let lang = ctx.lang;
    let mut numbers: BTreeMap<IncidentId, String> = BTreeMap::new();
    let mut out = Vec::new();
    for n in rows {
        let incident = match n.incident_id {
            Some(id) => {
                if let std::collections::btree_map::Entry::Vacant(e) = numbers.entry(id) {
                    if let Ok(Some(i)) = s.app.store.incident(id).await {
                        e.insert(i.number.to_string());
                    }
                }
                numbers
                    .get(&id)
                    .map(|num| (format!("/incidenten/{id}"), num.clone()))
            }
            None => None,
        };
        out.push(DeliveryView {
            at: local_time(n.at),
            incident,
            channel: n.channel.clone(),
            recipient: n.recipient.clone(),
            subject: n.subject.clone(),
            status: tr(lang, delivery_status_key(&n.status)),
            ok: n.status == "sent",
            detail: n.detail.clone().unwrap_or_default(),
        });
    }
    let boards = config_boards(&session.principal);
    render(
        StatusCode::OK,
        &DeliveryPage {
            l: ctx.layout("sla-delivery-title", "sla"),
            board_id: board.to_string(),
            boards: board_opts(&s, &boards).await,
            status: status.unwrap_or_default(),
            rows: out,
        },
    )
}

// ------------------------------------------------------------------ on-call rota

/// A schedule row.
pub struct ShiftView {
    who: String,
    from: String,
    until: String,
    reason: String,
}

/// An override row.
pub struct OverrideView {
    id: String,
    who: String,
    from: String,
    until: String,
    reason: String,
}

/// An open alert.
pub struct AlertView {
    href: String,
    number: String,
    who: String,
    at: String,
    due: String,
}

/// `/bereikbaarheid`
#[derive(Template)]
#[template(path = "oncall.html")]
pub struct RotaPage {
    l: Layout,
    board_id: String,
    boards: Vec<Opt>,
    now_who: String,
    now_until: String,
    now_reason: String,
    next_who: String,
    next_from: String,
    schedule: Vec<ShiftView>,
    overrides: Vec<OverrideView>,
    alerts: Vec<AlertView>,
    member_ids: Vec<String>,
    slots: usize,
    candidates: Vec<Opt>,
    can_manage: bool,
    can_cover: bool,
    has_feed: bool,
    feed_url: Option<String>,
    ack_minutes: u32,
    values: BTreeMap<String, String>,
    errors: FieldErrors,
    saved: bool,
}
page!(RotaPage);

impl RotaPage {
    fn v(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    fn err(&self, k: &str) -> Option<&str> {
        self.errors.get(k)
    }

    fn member_at(&self, i: &usize) -> &str {
        self.member_ids.get(*i).map(String::as_str).unwrap_or("")
    }
}

#[allow(clippy::too_many_arguments)]
async fn rota_render(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    status: StatusCode,
    posted: Option<(Fields, FieldErrors)>,
    saved: bool,
    feed_url: Option<String>,
) -> Response {
    let Some(session) = &ctx.session else {
        return ctx.fail(AppError::Unauthenticated);
    };
    let p = &session.principal;
    let view = match s.app.rota(p, board, 8).await {
        Ok(v) => v,
        Err(e) => return ctx.fail(e),
    };
    let lang = ctx.lang;
    let mut values = BTreeMap::new();
    let mut errors = FieldErrors::default();
    if let Some((input, errs)) = posted {
        for (k, v) in input {
            if k != "csrf" {
                values.insert(k, v);
            }
        }
        errors = errs;
    }
    let mut l = ctx.layout("oncall-title", "oncall");
    if !errors.is_empty() {
        l.title = format!("{} {}", tr(lang, "title-error-prefix"), l.title);
    }
    let boards = meldpunt_app::oncall::rota_boards(p);
    let member_ids: Vec<String> = view.members.iter().map(|(u, _)| u.to_string()).collect();
    let can_cover = view.members.iter().any(|(u, _)| *u == p.user_id);
    let page = RotaPage {
        l,
        board_id: board.to_string(),
        boards: board_opts(s, &boards).await,
        now_who: view.now.as_ref().map(|n| n.1.clone()).unwrap_or_default(),
        now_until: view
            .now
            .as_ref()
            .map(|n| local_time(n.2))
            .unwrap_or_default(),
        now_reason: view
            .now
            .as_ref()
            .and_then(|n| n.3.clone())
            .unwrap_or_default(),
        next_who: view.next.as_ref().map(|n| n.1.clone()).unwrap_or_default(),
        next_from: view
            .next
            .as_ref()
            .map(|n| local_time(n.2))
            .unwrap_or_default(),
        schedule: view
            .schedule
            .iter()
            .map(|(sh, who)| ShiftView {
                who: who.clone(),
                from: local_time(sh.start),
                until: local_time(sh.end),
                reason: sh.override_reason.clone().unwrap_or_default(),
            })
            .collect(),
        overrides: view
            .overrides
            .iter()
            .map(|(o, who)| OverrideView {
                id: o.id.to_string(),
                who: who.clone(),
                from: local_time(o.starts_at),
                until: local_time(o.ends_at),
                reason: o.reason.clone(),
            })
            .collect(),
        alerts: view
            .open_alerts
            .iter()
            .map(|(a, number, who)| AlertView {
                href: format!("/incidenten/{}", a.incident_id),
                number: number.clone(),
                who: if who.is_empty() {
                    tr(lang, "oncall-nobody")
                } else {
                    who.clone()
                },
                at: local_time(a.alerted_at),
                due: local_time(a.ack_due_at),
            })
            .collect(),
        slots: member_ids.len() + 2,
        member_ids,
        candidates: view
            .candidates
            .iter()
            .map(|(u, n)| opt(u.to_string(), n.clone()))
            .collect(),
        can_manage: view.can_manage,
        can_cover,
        has_feed: view.has_feed,
        feed_url,
        ack_minutes: view.settings.ack_minutes,
        values,
        errors,
        saved,
    };
    render(status, &page)
}

async fn rota_page(ctx: Ctx, State(s): State<AppState>, Query(q): Query<BoardQuery>) -> Response {
    let session = match ctx.require() {
        Ok(x) => x,
        Err(r) => return r,
    };
    let boards = meldpunt_app::oncall::rota_boards(&session.principal);
    let Some(board) = pick(boards, q.bestuur.as_deref()) else {
        return ctx.fail(AppError::Forbidden);
    };
    rota_render(
        &ctx,
        &s,
        board,
        StatusCode::OK,
        None,
        q.opgeslagen.is_some(),
        None,
    )
    .await
}

#[allow(clippy::result_large_err)]
fn rota_post(ctx: &Ctx, f: &Fields) -> Result<(Principal, BoardId), Response> {
    let session = ctx.check_csrf(Some(fv(f, "csrf")))?;
    let p = session.principal.clone();
    let boards = meldpunt_app::oncall::rota_boards(&p);
    match fv(f, "board").parse::<BoardId>() {
        Ok(b) if boards.contains(&b) => Ok((p, b)),
        _ => Err(ctx.fail(AppError::Forbidden)),
    }
}

async fn rota_answer(
    ctx: &Ctx,
    s: &AppState,
    board: BoardId,
    f: Fields,
    r: Result<(), AppError>,
) -> Response {
    match r {
        Ok(()) => see_other(&format!("/bereikbaarheid?bestuur={board}&opgeslagen=1")),
        Err(AppError::Validation(v)) => {
            let errors = FieldErrors::from_validation(ctx.lang, &v);
            rota_render(
                ctx,
                s,
                board,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some((f, errors)),
                false,
                None,
            )
            .await
        }
        Err(e) => ctx.fail(e),
    }
}

async fn rota_save(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match rota_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let parsed: Result<Vec<UserId>, _> = all(&f, "member")
        .into_iter()
        .map(|m| m.parse::<UserId>())
        .collect();
    let r = match parsed {
        Ok(members) => s.app.set_rota(&Actor::User(&p), board, members).await,
        Err(_) => Err(verr("members", "error-invalid-choice")),
    };
    rota_answer(&ctx, &s, board, f, r).await
}

/// `dd-mm-jjjj` or ISO date plus `HH:MM`, Amsterdam time.
fn local_instant(date: &str, time: &str) -> Option<Timestamp> {
    let d = appsla::parse_date(date)?;
    let t = parse_time(if time.is_empty() { "00:00" } else { time })?;
    meldpunt_app::core::calendar::amsterdam()
        .to_timestamp(d.to_datetime(t))
        .ok()
}

async fn override_add(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match rota_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let user = fv(&f, "user").parse::<UserId>();
    let from = local_instant(fv(&f, "from_date"), fv(&f, "from_time"));
    let until = local_instant(fv(&f, "until_date"), fv(&f, "until_time"));
    let r = match (user, from, until) {
        (Ok(u), Some(a), Some(b)) => s
            .app
            .add_override(&Actor::User(&p), board, u, a, b, fv(&f, "reason"))
            .await
            .map(|_| ()),
        (Err(_), ..) => Err(verr("user", "error-required")),
        (_, None, _) => Err(verr("from", "error-sla-date")),
        _ => Err(verr("until", "error-sla-date")),
    };
    rota_answer(&ctx, &s, board, f, r).await
}

async fn override_remove(
    ctx: Ctx,
    State(s): State<AppState>,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (p, board) = match rota_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return ctx.not_found();
    };
    let r = s.app.remove_override(&Actor::User(&p), board, id).await;
    rota_answer(&ctx, &s, board, Vec::new(), r).await
}

async fn feed_create(ctx: Ctx, State(s): State<AppState>, Form(f): Form<Fields>) -> Response {
    let (p, board) = match rota_post(&ctx, &f) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match s.app.create_feed_token(&p).await {
        Ok(token) => {
            let url = format!(
                "{}/bereikbaarheid/{token}.ics",
                s.app.config.public_base_url
            );
            rota_render(&ctx, &s, board, StatusCode::OK, None, false, Some(url)).await
        }
        Err(e) => ctx.fail(e),
    }
}

/// `GET /bereikbaarheid/{token}.ics`: the private feed, no login (the token is the key).
async fn feed(ctx: Ctx, State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return ctx.not_found();
    };
    if token.len() < 20 || token.len() > 100 {
        return ctx.not_found();
    }
    match s.app.feed(token).await {
        Ok(doc) => (
            [
                (CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (CACHE_CONTROL, "private, max-age=300"),
            ],
            doc,
        )
            .into_response(),
        Err(e) => ctx.fail(e),
    }
}

// ------------------------------------------------------------------ acknowledgement link

/// The confirmation page of the acknowledgement link.
#[derive(Template)]
#[template(path = "oncall_ack.html")]
pub struct AckPage {
    l: Layout,
    number: String,
    action: String,
    done: bool,
    already: bool,
}
page!(AckPage);

/// `GET /bereikbaarheid/bevestigen/{token}`: a page with a button. Mail scanners open links;
/// only the POST acknowledges.
async fn ack_page(ctx: Ctx, State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let (alert, number) = match s.app.alert_for_token(&token).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    render(
        StatusCode::OK,
        &AckPage {
            l: ctx.layout("oncall-ack-title", ""),
            number,
            action: format!("/bereikbaarheid/bevestigen/{token}"),
            done: false,
            already: alert.acknowledged_at.is_some(),
        },
    )
}

async fn ack_post(ctx: Ctx, State(s): State<AppState>, Path(token): Path<String>) -> Response {
    if let Err(r) = ctx.check_same_origin() {
        return r;
    }
    let (_, number) = match s.app.alert_for_token(&token).await {
        Ok(x) => x,
        Err(e) => return ctx.fail(e),
    };
    match s.app.acknowledge_by_token(&token).await {
        Ok(fresh) => render(
            StatusCode::OK,
            &AckPage {
                l: ctx.layout("oncall-ack-title", ""),
                number,
                action: String::new(),
                done: true,
                already: !fresh,
            },
        ),
        Err(e) => ctx.fail(e),
    }
}

// ------------------------------------------------------------------ incident SLA box

/// One clock on the incident page.
pub struct ClockView {
    pub(crate) name: String,
    pub(crate) state: String,
    pub(crate) warn: bool,
    pub(crate) target: String,
    pub(crate) elapsed: String,
    pub(crate) remaining: String,
    pub(crate) due: String,
    pub(crate) stopped: String,
}

/// An alert on the incident page.
pub struct IncidentAlertView {
    pub(crate) who: String,
    pub(crate) at: String,
    pub(crate) status: String,
}

/// The SLA box of the incident page (`sla_box.html`).
#[derive(Default)]
pub struct SlaBox {
    /// Show the box at all.
    pub show: bool,
    pub(crate) priority: String,
    pub(crate) clock: String,
    pub(crate) paused: bool,
    pub(crate) clocks: Vec<ClockView>,
    pub(crate) alerts: Vec<IncidentAlertView>,
    pub(crate) can_ack: bool,
    pub(crate) functional: bool,
    pub(crate) hierarchical: bool,
    pub(crate) people: Vec<Opt>,
    pub(crate) suppliers: Vec<Opt>,
    pub(crate) roles: Vec<Opt>,
}

fn clock_view(lang: Lang, name: &str, r: &SlaReading) -> ClockView {
    ClockView {
        name: tr(lang, &format!("sla-clock-{name}")),
        state: state_label(lang, r.state),
        warn: matches!(r.state, SlaState::AtRisk | SlaState::Breached),
        target: r
            .target
            .map(dur)
            .unwrap_or_else(|| tr(lang, "sla-no-target")),
        elapsed: dur(r.elapsed),
        remaining: r.remaining.map(dur).unwrap_or_default(),
        due: r.due_at.map(local_time).unwrap_or_default(),
        stopped: r.stopped_at.map(local_time).unwrap_or_default(),
    }
}

/// Builds the SLA box for an incident the viewer may see; an empty box on any problem, so the
/// incident page never fails because of it.
pub async fn sla_box(lang: Lang, s: &AppState, p: &Principal, i: &Incident) -> SlaBox {
    let (_, status, _) = match s.app.incident_sla_status(p, i.id).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "SLA box");
            return SlaBox::default();
        }
    };
    let names: BTreeMap<UserId, String> = s
        .app
        .store
        .users_in_board(i.board_id)
        .await
        .map(|v| v.into_iter().map(|(u, _)| (u.id, u.name)).collect())
        .unwrap_or_default();
    let alerts = s
        .app
        .store
        .alerts_for_incident(i.id)
        .await
        .unwrap_or_default();
    let alerted_me = alerts.iter().any(|a| a.user_id == Some(p.user_id));
    let open_alert = alerts.iter().any(|a| a.acknowledged_at.is_none());
    let may_assign = p.may(IncidentAction::Assign, i);
    let open = i.status.is_open();
    let functional = may_assign && open && i.priority().is_some();
    let people = if functional {
        s.app
            .assignable_people(i.board_id, i.school_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|a| Some(a.id) != i.assignee_id)
            .map(|a| opt(a.id.to_string(), a.name))
            .collect()
    } else {
        Vec::new()
    };
    let suppliers = if may_assign && open {
        s.app
            .store
            .suppliers(i.board_id)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|x| x.active)
            .map(|x| opt(x.id.to_string(), x.name))
            .collect()
    } else {
        Vec::new()
    };
    let untriaged = i.priority().is_none();
    SlaBox {
        show: true,
        priority: if untriaged {
            format!(
                "{} ({})",
                label(lang, "priority", status.priority.code()),
                tr(lang, "sla-untriaged")
            )
        } else {
            label(lang, "priority", status.priority.code())
        },
        clock: label(lang, "sla-clockmode", status.clock.code()),
        paused: status.paused,
        clocks: vec![
            clock_view(lang, "response", &status.response),
            clock_view(lang, "resolution", &status.resolution),
        ],
        alerts: alerts
            .iter()
            .map(|a| IncidentAlertView {
                who: a
                    .user_id
                    .and_then(|u| names.get(&u).cloned())
                    .unwrap_or_else(|| tr(lang, "oncall-nobody")),
                at: local_time(a.alerted_at),
                status: match (a.acknowledged_at, a.ack_via.as_deref()) {
                    (Some(t), Some("link")) => {
                        format!("{} {}", tr(lang, "oncall-acked-link"), local_time(t))
                    }
                    (Some(t), _) => format!("{} {}", tr(lang, "oncall-acked"), local_time(t)),
                    (None, _) => i18n_due(lang, a.ack_due_at),
                },
            })
            .collect(),
        can_ack: open_alert && (alerted_me || may_assign),
        functional: may_assign && open,
        hierarchical: open && (may_assign || p.may(IncidentAction::Work, i)),
        people,
        suppliers,
        roles: [Role::IncidentManager, Role::IbpOfficer, Role::BoardMember]
            .iter()
            .map(|r| opt(r.code(), label(lang, "role", r.code())))
            .collect(),
    }
}

fn i18n_due(lang: Lang, t: Timestamp) -> String {
    super::i18n::i18n().get(lang, "oncall-waiting-until", &[("time", &local_time(t))])
}

/// `POST /incidenten/{id}/sla/{action}`: acknowledge (`bevestigen`), functional escalation
/// (`functioneel`), hierarchical escalation (`hierarchisch`).
async fn incident_action(
    ctx: Ctx,
    State(s): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let session = match ctx.check_csrf(Some(fv(&f, "csrf"))) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Ok(id) = id.parse::<IncidentId>() else {
        return ctx.not_found();
    };
    let p = &session.principal;
    let version = fv(&f, "version").parse::<i64>().ok();
    let r: Result<(), AppError> = match action.as_str() {
        "bevestigen" => s.app.acknowledge_in_ui(p, id).await.map(|_| ()),
        "functioneel" => {
            let to = fv(&f, "to");
            if let Some(sup) = to.strip_prefix("supplier:") {
                match sup.parse::<uuid::Uuid>() {
                    Ok(sid) => {
                        s.app
                            .escalate_to_supplier(
                                p,
                                id,
                                sid,
                                fv(&f, "reason"),
                                !fv(&f, "notify").is_empty(),
                            )
                            .await
                    }
                    Err(_) => Err(verr("to", "error-invalid-choice")),
                }
            } else {
                match to.strip_prefix("user:").unwrap_or(to).parse::<UserId>() {
                    Ok(u) => s
                        .app
                        .escalate_to_person(p, id, u, fv(&f, "reason"), version)
                        .await
                        .map(|_| ()),
                    Err(_) => Err(verr("to", "error-required")),
                }
            }
        }
        "hierarchisch" => match Role::from_code(fv(&f, "role")) {
            Some(role) => {
                s.app
                    .escalate_hierarchically(p, id, role, fv(&f, "reason"))
                    .await
            }
            None => Err(verr("role", "error-required")),
        },
        _ => return ctx.not_found(),
    };
    match r {
        Ok(()) => see_other(&format!("/incidenten/{id}")),
        Err(e) => ctx.fail(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_through_the_form() {
        let st = SlaSettings::default();
        let values = settings_values(&st);
        let mut f: Fields = values.into_iter().collect();
        f.push(("csrf".into(), "x".into()));
        let back = parse_settings(&f, &st).unwrap();
        assert_eq!(back, st);
    }

    #[test]
    fn bad_settings_are_reported_per_field() {
        let st = SlaSettings::default();
        let mut f: Fields = settings_values(&st).into_iter().collect();
        f.push(("p2_response_amount".into(), "veel".into()));
        f.push(("mon_start".into(), "25:00".into()));
        let e = parse_settings(&f, &st).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|x| x.field).collect();
        assert!(fields.contains(&"policy"), "{fields:?}");
        assert!(fields.contains(&"week"), "{fields:?}");
    }
}
