//! The HTML UI through the real router, in-process, on SQLite and PostgreSQL.

use axum::http::StatusCode;
use meldpunt_app::accounts::NewUser;
use meldpunt_app::core::auth::Role;
use meldpunt_app::core::ids::{BoardId, IncidentId};
use meldpunt_app::core::incident::Status;
use meldpunt_app::core::report::{NewReport, ReportInput};
use meldpunt_app::{Actor, App, AppConfig};
use meldpunt_testkit as kit;
use meldpunt_web::WebConfig;

mod ui_common;
use ui_common::*;

struct World {
    app: App,
    board: BoardId,
}

async fn world(db: &kit::TestDb) -> World {
    let app = kit::app(db, kit::test_clock(), AppConfig::default());
    let board = app
        .create_board(&Actor::Cli, "Stichting Test")
        .await
        .unwrap();
    app.add_school(&Actor::Cli, board, "De Regenboog", Some("12AB"))
        .await
        .unwrap();
    for (email, name, role) in [
        ("sd@test.nl", "Sanne Servicedesk", Role::ServiceDesk),
        ("h1@test.nl", "Hamid Behandelaar", Role::Handler),
        ("h2@test.nl", "Henk Behandelaar", Role::Handler),
        ("im@test.nl", "Ilse Incidentmanager", Role::IncidentManager),
        ("ibp@test.nl", "Ivo IBP", Role::IbpOfficer),
        ("fg@test.nl", "Fleur FG", Role::Dpo),
        ("bestuur@test.nl", "Bert Bestuurder", Role::BoardMember),
        ("admin@test.nl", "Anne Beheerder", Role::Admin),
    ] {
        app.add_user(
            &Actor::Cli,
            NewUser {
                email: email.into(),
                name: name.into(),
                password: PASSWORD.into(),
                role,
                board: Some(board),
                school: None,
            },
        )
        .await
        .unwrap();
    }
    World { app, board }
}

fn client(w: &World) -> Client {
    Client::new(meldpunt_web::router(w.app.clone(), WebConfig::default()))
}

async fn report(w: &World, description: &str) -> IncidentId {
    let r = NewReport::parse(
        &ReportInput {
            description,
            personal_data: Some("no"),
            ..Default::default()
        },
        w.app.now(),
    )
    .unwrap();
    w.app
        .report_incident(&Actor::Reporter, r, Some(w.board), false)
        .await
        .unwrap()
        .incident
        .id
}

async fn status_of(w: &World, id: IncidentId) -> Status {
    w.app.store.incident(id).await.unwrap().unwrap().status
}

/// Triage through the form as `c` (kind code), returning the response.
async fn triage(c: &mut Client, id: IncidentId, kind: &str) -> Resp {
    let page = c.get(&format!("/incidenten/{id}")).await;
    let csrf = page.input("csrf");
    let version = page.input("version");
    c.post(
        &format!("/incidenten/{id}/classificeren"),
        &[
            ("csrf", &csrf),
            ("version", &version),
            ("kind", kind),
            ("aspect_availability", "on"),
            ("category", "outage"),
            ("impact", "school"),
            ("urgency", "education_hindered"),
            ("priority", ""),
        ],
    )
    .await
}

/// Posts a detail-page form with the current csrf and version.
async fn act(c: &mut Client, id: IncidentId, action: &str, fields: &[(&str, &str)]) -> Resp {
    let page = c.get(&format!("/incidenten/{id}")).await;
    let csrf = page.input("csrf");
    let version = page.input("version");
    let mut form = vec![("csrf", csrf.as_str()), ("version", version.as_str())];
    form.extend_from_slice(fields);
    c.post(&format!("/incidenten/{id}/{action}"), &form).await
}

async fn user_id(w: &World, email: &str) -> String {
    w.app
        .store
        .user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

#[tokio::test]
async fn report_receipt_followup_and_register() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = client(&w);
        let form = c.get("/melden").await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(form.body.contains("Wat is er gebeurd?"));
        assert!(form.body.contains("De Regenboog"));
        assert!(form.body.contains("name=\"website\""), "honeypot");
        let r = c
            .post(
                "/melden",
                &[
                    (
                        "description",
                        "De printer in de hal print leerlinglijsten <script>",
                    ),
                    ("summary", ""),
                    ("personal_data", "yes"),
                    ("ongoing", "unknown"),
                    ("website", ""),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), "/melden/ontvangen");
        let receipt_cookie = r
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("mp_receipt="))
            .unwrap();
        assert!(receipt_cookie.contains("HttpOnly"));
        let rec = c.get("/melden/ontvangen").await;
        assert_eq!(rec.status, StatusCode::OK);
        assert!(rec.body.contains("2026-0001"), "{}", rec.body);
        let i = rec.body.find("href=\"/volgen/").expect("follow-up link");
        let rest = &rec.body[i + 6..];
        let link = rest[..rest.find('"').unwrap()].to_string();

        // The reporter follows up without an account.
        let mut reporter = client(&w);
        let f = reporter.get(&link).await;
        assert_eq!(f.status, StatusCode::OK);
        assert!(f.body.contains("2026-0001"));
        assert!(f.body.contains("Gemeld"));
        assert!(!f.body.contains("<script>"), "escaped");
        assert!(f.body.contains("leerlinglijsten &"));
        let add = reporter
            .post(&link, &[("text", "Het gebeurde weer om 11 uur")])
            .await;
        assert_eq!(add.status, StatusCode::SEE_OTHER);
        let f = reporter.get(add.location()).await;
        assert!(f.body.contains("Het gebeurde weer om 11 uur"));
        // Empty text is a field error.
        let bad = reporter.post(&link, &[("text", "  ")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Vul dit veld in."));
        // A cross-site post is refused.
        reporter.extra = vec![("sec-fetch-site".into(), "cross-site".into())];
        let x = reporter.post(&link, &[("text", "van elders")]).await;
        assert_eq!(x.status, StatusCode::FORBIDDEN);
        reporter.extra.clear();
        assert_eq!(
            reporter.get("/volgen/niet-bestaand").await.status,
            StatusCode::NOT_FOUND
        );

        // The service desk sees it in the register after logging in.
        let mut sd = client(&w);
        let r = sd.get("/incidenten").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(
            r.location().starts_with("/inloggen?next=%2Fincidenten")
                || r.location().starts_with("/inloggen?next=/incidenten")
        );
        sd.login("sd@test.nl").await;
        let reg = sd.get("/incidenten").await;
        assert_eq!(reg.status, StatusCode::OK);
        assert!(reg.body.contains("2026-0001"));
        assert!(reg.body.contains("De printer in de hal"));
        assert!(reg.body.contains("24-11-2026 10:15"), "local time");
        let open = sd
            .get("/incidenten?status=open&q=printer&sort=oldest")
            .await;
        assert!(open.body.contains("2026-0001"));
        // A bot that fills the honeypot gets no incident.
        let mut bot = client(&w);
        let r = bot
            .post(
                "/melden",
                &[("description", "spam"), ("website", "http://spam.example")],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert!(bot
            .get("/melden/ontvangen")
            .await
            .body
            .contains("Geen ontvangstbevestiging"));
        assert!(!sd.get("/incidenten").await.body.contains("spam"));
        let none = sd.get("/incidenten?status=closed").await;
        assert!(!none.body.contains("2026-0001"));
        assert!(none.body.contains("Geen incidenten gevonden"));
        // Home sends logged-in people to the register.
        assert_eq!(sd.get("/").await.location(), "/incidenten");
    }
}

#[tokio::test]
async fn invalid_report_keeps_input_and_names_fields() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = client(&w);
        let r = c
            .post(
                "/melden",
                &[
                    ("description", "   "),
                    ("summary", "Mijn samenvatting"),
                    ("email", "geen-adres"),
                    ("occurred_at", "2030-01-01T10:00"),
                    ("personal_data", "no"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Er is een probleem"));
        assert!(r.body.contains("href=\"#description\""));
        assert!(r.body.contains("Vul dit veld in."));
        assert!(r.body.contains("Vul een geldig e-mailadres in"));
        assert!(r.body.contains("Dit tijdstip ligt in de toekomst."));
        assert!(r.body.contains("value=\"Mijn samenvatting\""));
        assert!(r.body.contains("value=\"geen-adres\""));
        assert!(r.body.contains("aria-describedby=\"email-error\""));
        assert!(r
            .body
            .contains("id=\"personal_data-no\" name=\"personal_data\" value=\"no\" checked"));
        assert!(w
            .app
            .store
            .incident_by_followup("x")
            .await
            .unwrap()
            .is_none());
    }
}

#[tokio::test]
async fn report_rate_limit_answers_429() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = Client::new(meldpunt_web::router(
            w.app.clone(),
            WebConfig {
                report_rate_per_minute: 2,
                ..WebConfig::default()
            },
        ));
        for _ in 0..2 {
            let r = c.post("/melden", &[("description", "Wifi stuk")]).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER);
        }
        let r = c.post("/melden", &[("description", "Wifi stuk")]).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r.body.contains("Even wachten"));
    }
}

#[tokio::test]
async fn login_errors_are_generic_and_cookie_is_safe() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = client(&w);
        let wrong = c
            .post(
                "/inloggen",
                &[("email", "sd@test.nl"), ("password", "fout-wachtwoord!")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("E-mail of wachtwoord onjuist."));
        assert!(wrong.body.contains("value=\"sd@test.nl\""));
        let unknown = c
            .post(
                "/inloggen",
                &[
                    ("email", "niemand@test.nl"),
                    ("password", "fout-wachtwoord!"),
                ],
            )
            .await;
        assert!(unknown.body.contains("E-mail of wachtwoord onjuist."));
        let ok = c
            .post(
                "/inloggen",
                &[
                    ("email", "sd@test.nl"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/"),
                ],
            )
            .await;
        assert_eq!(ok.status, StatusCode::SEE_OTHER);
        assert_eq!(ok.location(), "/", "only local next");
        let cookie = ok
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("mp_session="))
            .unwrap();
        assert!(cookie.contains("HttpOnly"));
        assert!(cookie.contains("SameSite=Lax"));
        assert!(cookie.contains("Path=/"));
        assert!(cookie.contains("Max-Age=43200"));
        assert!(!cookie.contains("Secure"));
        // Logout needs the token, then ends the session.
        assert_eq!(
            c.post("/uitloggen", &[]).await.status,
            StatusCode::FORBIDDEN
        );
        let csrf = c.csrf("/incidenten").await;
        let out = c.post("/uitloggen", &[("csrf", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert_eq!(c.get("/incidenten").await.status, StatusCode::SEE_OTHER);

        let mut secure = Client::new(meldpunt_web::router(
            w.app.clone(),
            WebConfig {
                secure_cookies: true,
                ..WebConfig::default()
            },
        ));
        let ok = secure
            .post(
                "/inloggen",
                &[("email", "sd@test.nl"), ("password", PASSWORD)],
            )
            .await;
        assert!(ok
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("mp_session=") && c.contains("; Secure")));
    }
}

#[tokio::test]
async fn csrf_missing_or_wrong_is_403_and_changes_nothing() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let id = report(&w, "Wifi valt uit").await;
        let mut c = client(&w);
        c.login("sd@test.nl").await;
        let fields = [
            ("kind", "disruption"),
            ("category", "outage"),
            ("impact", "school"),
            ("urgency", "education_hindered"),
            ("version", "1"),
        ];
        let r = c
            .post(&format!("/incidenten/{id}/classificeren"), &fields)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert!(r.body.contains("Formulier verlopen"));
        let mut wrong = fields.to_vec();
        wrong.push(("csrf", "niet-het-goede-token"));
        let r = c
            .post(&format!("/incidenten/{id}/classificeren"), &wrong)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(status_of(&w, id).await, Status::Reported);
        let school = c.post("/beheer/scholen", &[("name", "Nieuw")]).await;
        assert_eq!(school.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn triage_assign_note_resolve_close_through_forms() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let id = report(&w, "Wifi valt uit in lokaal 12").await;
        let mut c = client(&w);
        c.login("sd@test.nl").await;
        let page = c.get(&format!("/incidenten/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("anoniem"));
        assert!(page.body.contains("/classificeren"));
        assert!(page.body.contains("Voorgevallen"));

        // Override without a reason is a field error, input kept.
        let bad = act(
            &mut c,
            id,
            "classificeren",
            &[
                ("kind", "disruption"),
                ("category", "outage"),
                ("impact", "school"),
                ("urgency", "education_hindered"),
                ("priority", "p1"),
            ],
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Geef een reden voor een prioriteit"));
        assert!(bad.body.contains("<option value=\"p1\" selected>"));
        assert_eq!(status_of(&w, id).await, Status::Reported);

        let r = triage(&mut c, id, "disruption").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(r.location(), format!("/incidenten/{id}"));
        assert_eq!(status_of(&w, id).await, Status::Registered);
        let page = c.get(&format!("/incidenten/{id}")).await;
        assert!(page.body.contains("P2 hoog"));
        assert!(page.body.contains("Verstoring"));

        let h1 = user_id(&w, "h1@test.nl").await;
        let r = act(&mut c, id, "toewijzen", &[("assignee_id", &h1)]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(status_of(&w, id).await, Status::InProgress);

        let r = act(
            &mut c,
            id,
            "wachten",
            &[("reason", "Leverancier komt morgen")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(status_of(&w, id).await, Status::Waiting);
        assert_eq!(
            act(&mut c, id, "hervatten", &[]).await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(status_of(&w, id).await, Status::InProgress);
        assert_eq!(
            act(&mut c, id, "indammen", &[]).await.status,
            StatusCode::SEE_OTHER
        );
        let page = c.get(&format!("/incidenten/{id}")).await;
        assert!(
            !page.body.contains("/indammen"),
            "containment recorded once"
        );

        let r = act(
            &mut c,
            id,
            "notitie",
            &[("text", "Leverancier gebeld"), ("public", "on")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        let empty = act(&mut c, id, "notitie", &[("text", "")]).await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(empty.body.contains("id=\"note-text-error\""));

        // A stale version is a friendly conflict, not an error page.
        let page = c.get(&format!("/incidenten/{id}")).await;
        let csrf = page.input("csrf");
        let stale = c
            .post(
                &format!("/incidenten/{id}/oplossen"),
                &[
                    ("csrf", &csrf),
                    ("version", "1"),
                    ("resolution", "x"),
                    ("cause", "y"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT);
        assert!(stale
            .body
            .contains("Iemand anders heeft dit incident intussen gewijzigd"));
        assert!(stale.body.contains(">x</textarea>"), "input kept");

        let r = act(
            &mut c,
            id,
            "oplossen",
            &[
                ("resolution", "Access point vervangen"),
                ("cause", "Defect"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(status_of(&w, id).await, Status::Resolved);
        let r = act(&mut c, id, "sluiten", &[]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(status_of(&w, id).await, Status::Closed);
        let page = c.get(&format!("/incidenten/{id}")).await;
        assert!(page.body.contains("Gesloten"));
        assert!(page.body.contains("Leverancier gebeld"));
        assert!(page.body.contains("Access point vervangen"));
        assert!(page.body.contains("/heropenen"));
        // A command the lifecycle refuses is a clear message, not a 500.
        let again = act(&mut c, id, "sluiten", &[]).await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(again
            .body
            .contains("kan niet zolang het incident de status"));
        let r = act(&mut c, id, "heropenen", &[("reason", "Weer kapot")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(status_of(&w, id).await, Status::InProgress);
        // Unknown actions are 404.
        assert_eq!(
            act(&mut c, id, "vernietigen", &[]).await.status,
            StatusCode::NOT_FOUND
        );
    }
}

#[tokio::test]
async fn security_incident_needs_evaluation_before_close() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let id = report(&w, "Lijst met cijfers naar verkeerde ouders gemaild").await;
        let mut im = client(&w);
        im.login("im@test.nl").await;
        assert_eq!(
            triage(&mut im, id, "breach").await.status,
            StatusCode::SEE_OTHER
        );
        let h1 = user_id(&w, "h1@test.nl").await;
        assert_eq!(
            act(&mut im, id, "toewijzen", &[("assignee_id", &h1)])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(
            act(
                &mut im,
                id,
                "oplossen",
                &[
                    ("resolution", "Ouders gevraagd te verwijderen"),
                    ("cause", "Verkeerde lijst")
                ]
            )
            .await
            .status,
            StatusCode::SEE_OTHER
        );
        let r = act(&mut im, id, "sluiten", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body
                .contains("kan pas worden gesloten als de evaluatie is vastgelegd"),
            "{}",
            r.body
        );
        assert_eq!(status_of(&w, id).await, Status::Resolved);
        let r = act(
            &mut im,
            id,
            "evalueren",
            &[("evaluation", "Controle op ontvangers ingevoerd")],
        )
        .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        // A breach closes only once the decision on notifying the AP is recorded.
        let r = act(&mut im, id, "sluiten", &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body.contains("besluit over melden bij de AP"),
            "{}",
            r.body
        );
        let csrf = im.csrf(&format!("/incidenten/{id}/datalek")).await;
        let r = im
            .post(
                &format!("/incidenten/{id}/datalek/besluit"),
                &[
                    ("csrf", &csrf),
                    ("notify", "no"),
                    (
                        "reasoning",
                        "Ontvangers hebben de lijst verwijderd; geen risico.",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        assert_eq!(
            act(&mut im, id, "sluiten", &[]).await.status,
            StatusCode::SEE_OTHER
        );
        assert_eq!(status_of(&w, id).await, Status::Closed);
    }
}

#[tokio::test]
async fn each_role_sees_and_does_only_what_it_may() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let outage = report(&w, "Wifi valt uit").await;
        let breach = report(&w, "USB-stick met leerlingdossiers kwijt").await;
        let mut im = client(&w);
        im.login("im@test.nl").await;
        let h1 = user_id(&w, "h1@test.nl").await;
        for (id, kind) in [(outage, "disruption"), (breach, "breach")] {
            assert_eq!(
                triage(&mut im, id, kind).await.status,
                StatusCode::SEE_OTHER
            );
            assert_eq!(
                act(&mut im, id, "toewijzen", &[("assignee_id", &h1)])
                    .await
                    .status,
                StatusCode::SEE_OTHER
            );
        }
        let detail = |id: IncidentId| format!("/incidenten/{id}");

        // Service desk: everything but evaluating.
        let mut sd = client(&w);
        sd.login("sd@test.nl").await;
        let p = sd.get(&detail(outage)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("/classificeren") && p.body.contains("/toewijzen"));
        let csrf = p.input("csrf");
        let r = sd
            .post(
                &format!("/incidenten/{outage}/evalueren"),
                &[("csrf", &csrf), ("evaluation", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Handler: own incidents only; work and notes, no triage or assignment.
        let mut h = client(&w);
        h.login("h1@test.nl").await;
        let p = h.get(&detail(outage)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("/classificeren"));
        assert!(!p.body.contains("/toewijzen"));
        assert!(p.body.contains("/notitie") && p.body.contains("/oplossen"));
        assert_eq!(
            act(&mut h, outage, "notitie", &[("text", "Bezig")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        let r = act(
            &mut h,
            outage,
            "classificeren",
            &[
                ("kind", "breach"),
                ("category", "outage"),
                ("impact", "school"),
                ("urgency", "education_hindered"),
            ],
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let mut other = client(&w);
        other.login("h2@test.nl").await;
        assert_eq!(
            other.get(&detail(outage)).await.status,
            StatusCode::FORBIDDEN
        );
        let reg = other.get("/incidenten").await;
        assert!(!reg.body.contains("Wifi valt uit"));

        // IBP officer: security incidents and breaches only.
        let mut ibp = client(&w);
        ibp.login("ibp@test.nl").await;
        assert_eq!(ibp.get(&detail(outage)).await.status, StatusCode::FORBIDDEN);
        let p = ibp.get(&detail(breach)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("/classificeren"));

        // FG: reads breaches and adds notes; no triage.
        let mut fg = client(&w);
        fg.login("fg@test.nl").await;
        assert_eq!(fg.get(&detail(outage)).await.status, StatusCode::FORBIDDEN);
        let p = fg.get(&detail(breach)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("/classificeren"));
        assert!(p.body.contains("/notitie"));
        let csrf = p.input("csrf");
        let r = fg
            .post(
                &format!("/incidenten/{breach}/classificeren"),
                &[
                    ("csrf", &csrf),
                    ("kind", "breach"),
                    ("category", "outage"),
                    ("impact", "school"),
                    ("urgency", "education_hindered"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);

        // Board member: reads breaches, cannot act.
        let mut bm = client(&w);
        bm.login("bestuur@test.nl").await;
        let p = bm.get(&detail(breach)).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(!p.body.contains("/notitie"));
        let csrf = p.input("csrf");
        let r = bm
            .post(
                &format!("/incidenten/{breach}/notitie"),
                &[("csrf", &csrf), ("text", "Mag dit?")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(bm.get(&detail(outage)).await.status, StatusCode::FORBIDDEN);

        // Administrator: no incident content at all, but the administration pages.
        let mut admin = client(&w);
        admin.login("admin@test.nl").await;
        assert_eq!(
            admin.get(&detail(breach)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(admin.get("/incidenten").await.status, StatusCode::FORBIDDEN);
        assert_eq!(admin.get("/").await.location(), "/beheer");
        assert_eq!(sd.get("/beheer").await.status, StatusCode::FORBIDDEN);

        // Incident manager: everything, including evaluating.
        let p = im.get(&detail(breach)).await;
        assert!(p.body.contains("/classificeren") && p.body.contains("/notitie"));
    }
}

#[tokio::test]
async fn boards_are_separated() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let other = w
            .app
            .create_board(&Actor::Cli, "Stichting Anders")
            .await
            .unwrap();
        w.app
            .add_user(
                &Actor::Cli,
                NewUser {
                    email: "sd-b@test.nl".into(),
                    name: "Servicedesk B".into(),
                    password: PASSWORD.into(),
                    role: Role::ServiceDesk,
                    board: Some(other),
                    school: None,
                },
            )
            .await
            .unwrap();
        let id = report(&w, "Geheim incident van bestuur A").await;
        let mut b = client(&w);
        b.login("sd-b@test.nl").await;
        let r = b.get(&format!("/incidenten/{id}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert!(r.body.contains("Pagina niet gevonden"));
        assert!(!r.body.contains("Geheim incident"));
        let reg = b.get("/incidenten").await;
        assert_eq!(reg.status, StatusCode::OK);
        assert!(!reg.body.contains("Geheim incident"));
        let csrf = reg.input("csrf");
        let r = b
            .post(
                &format!("/incidenten/{id}/notitie"),
                &[("csrf", &csrf), ("text", "x")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // With two boards the public form groups schools and needs one.
        let mut anon = client(&w);
        let r = anon.post("/melden", &[("description", "Iets")]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("Kies de school waar het over gaat."));
        assert!(r.body.contains("<optgroup label=\"Stichting Test\">"));
    }
}

#[tokio::test]
async fn english_on_request_and_remembered() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = client(&w);
        let r = c.get("/melden?lang=en").await;
        assert!(r.body.contains("<html lang=\"en\">"));
        assert!(r.body.contains("What happened?"));
        assert!(r.body.contains("lang=nl"), "switch link back to Dutch");
        assert!(r.set_cookies().iter().any(|c| c.starts_with("lang=en")));
        let r = c.get("/melden").await;
        assert!(r.body.contains("What happened?"), "cookie remembers");
        let bad = c.post("/melden", &[("description", "")]).await;
        assert!(bad.body.contains("Fill in this field."));
        let mut fresh = client(&w);
        fresh.extra = vec![("accept-language".into(), "en-GB,en;q=0.9,nl;q=0.5".into())];
        assert!(fresh.get("/").await.body.contains("Report an incident"));
        let mut nl = client(&w);
        let r = nl.get("/").await;
        assert!(r.body.contains("<html lang=\"nl\">"));
        assert!(r.body.contains("Incident melden"));
        assert!(r.body.contains("href=\"/?lang=en\""));
    }
}

#[tokio::test]
async fn security_headers_css_and_error_pages() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut c = client(&w);
        let r = c.get("/").await;
        assert_eq!(r.status, StatusCode::OK);
        let h = |n: &str| {
            r.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(
            h("content-security-policy"),
            "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"
        );
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("referrer-policy"), "no-referrer");
        assert_eq!(h("x-frame-options"), "DENY");
        assert_eq!(h("cache-control"), "no-store");
        assert!(r.body.contains("class=\"skip-link\" href=\"#main\""));
        let i = r.body.find("/static/meldpunt.css?v=").unwrap();
        let href = &r.body[i..];
        let href = href[..href.find('"').unwrap()].to_string();
        let css = c.get(&href).await;
        assert_eq!(css.status, StatusCode::OK);
        assert!(css
            .headers
            .get("cache-control")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("max-age=31536000"));
        assert!(css.body.contains(":focus-visible"));
        let nf = c.get("/bestaat-niet").await;
        assert_eq!(nf.status, StatusCode::NOT_FOUND);
        assert!(nf.body.contains("Pagina niet gevonden"));
        let big = "x".repeat(70 * 1024);
        let r = c.post("/melden", &[("description", &big)]).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    }
}

#[tokio::test]
async fn admin_pages_manage_board_schools_and_users() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        let mut a = client(&w);
        a.login("admin@test.nl").await;
        let p = a.get("/beheer").await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p
            .body
            .contains("E-mail is niet ingesteld: meldingen worden niet verstuurd."));
        assert!(p.body.contains("De Regenboog"));
        assert!(p.body.contains("Sanne Servicedesk"));
        let csrf = p.input("csrf");
        let board = w.board.to_string();
        let r = a
            .post(
                "/beheer/scholen",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "De Zonnebloem"),
                    ("brin", "34CD01"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let bad = a
            .post(
                "/beheer/scholen",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "Fout"),
                    ("brin", "X"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(bad.body.contains("Vul een geldige BRIN in"));
        assert!(bad.body.contains("value=\"Fout\""));
        let r = a
            .post(
                "/beheer/gebruikers",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("email", "nieuw@test.nl"),
                    ("name", "Nina Nieuw"),
                    ("role", "handler"),
                    ("school", ""),
                    ("password", "kort"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("minstens 12 tekens"));
        assert!(!r.body.contains("value=\"kort\""), "password not echoed");
        let r = a
            .post(
                "/beheer/gebruikers",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("email", "nieuw@test.nl"),
                    ("name", "Nina Nieuw"),
                    ("role", "handler"),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = a
            .post(
                "/beheer/bestuur",
                &[
                    ("csrf", &csrf),
                    ("board", &board),
                    ("name", "Stichting Nieuw"),
                    ("kvk_number", "12345678"),
                    ("service_desk_email", "servicedesk@test.nl"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let p = a.get("/beheer").await;
        assert!(p.body.contains("De Zonnebloem"));
        assert!(p.body.contains("Nina Nieuw"));
        assert!(p.body.contains("value=\"Stichting Nieuw\""));
        let mut n = client(&w);
        n.login("nieuw@test.nl").await;
    }
}

#[tokio::test]
async fn register_pages_with_a_cursor() {
    for db in kit::each_backend().await {
        let w = world(&db).await;
        for n in 0..52 {
            report(&w, &format!("Melding nummer {n:02}")).await;
        }
        let mut c = client(&w);
        c.login("sd@test.nl").await;
        let first = c.get("/incidenten?q=melding").await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.body.contains("rel=\"next\""), "next link");
        assert!(first.body.contains("Volgende pagina"));
        let start = first.body.rfind("href=\"/incidenten?").unwrap() + 6;
        let href = first.body[start..][..first.body[start..].find('"').unwrap()]
            .replace("&#38;", "&")
            .replace("&amp;", "&");
        assert!(href.contains("after=") && href.contains("q=melding"));
        let second = c.get(&href).await;
        assert_eq!(second.status, StatusCode::OK);
        let count = |b: &str| b.matches("Melding nummer").count();
        assert_eq!((count(&first.body), count(&second.body)), (50, 2), "{href}");
        assert!(!second.body.contains("Volgende pagina"));
    }
}
