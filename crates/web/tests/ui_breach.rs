//! The breach workflow in the HTML UI through the real router (forms with CSRF), on SQLite and
//! PostgreSQL, with deadline warnings delivered to a real SMTP server.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
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

async fn world(db: &kit::TestDb, config: AppConfig) -> World {
    let app = kit::app(db, kit::test_clock(), config);
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

async fn drain(app: &App) {
    for _ in 0..50 {
        if app.run_one_job("w").await.unwrap() == meldpunt_app::jobs::Outcome::Idle {
            return;
        }
    }
}

#[tokio::test]
async fn ibp_officer_takes_a_lost_usb_stick_from_report_to_pack_and_register() {
    for db in kit::each_backend().await {
        let smtp = kit::SmtpServer::start();
        let config = AppConfig {
            smtp_url: Some(smtp.url.clone()),
            mail_from: "meldpunt@test.nl".into(),
            ..AppConfig::default()
        };
        let w = world(&db, config).await;
        let app = &w.app;
        let school = app.store.schools(w.board).await.unwrap()[0].id;
        // The board's details for chapter 3, set by the administrator through the UI.
        let mut admin = client(&w);
        admin.login("admin@test.nl").await;
        let csrf = admin.csrf("/datalekken/instellingen").await;
        let r = admin
            .post(
                "/datalekken/instellingen",
                &[
                    ("csrf", &csrf),
                    ("address", "Stationsweg 1, 1234 AB Ergens"),
                    ("contact_name", "Fleur FG"),
                    ("contact_function", "Functionaris gegevensbescherming"),
                    ("contact_email", "fg@test.nl"),
                    ("contact_phone", "030-1234567"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // The report comes in through the public form's use case.
        let input = ReportInput {
            summary: Some("USB-stick met zorgdossiers verloren in de trein"),
            description: "Juf Petra is vanochtend in de trein haar USB-stick met de zorgdossiers van groep 6 kwijtgeraakt.",
            occurred_at: None,
            school_id: Some(&school.to_string()),
            personal_data: Some("yes"),
            ongoing: Some("no"),
            name: Some("Petra"),
            email: Some("petra@regenboog.nl"),
            phone: None,
        };
        let report = NewReport::parse(&input, app.now()).unwrap();
        let receipt = app
            .report_incident(&Actor::Reporter, report, None, false)
            .await
            .unwrap();
        let id: IncidentId = receipt.incident.id;
        let mut ibp = client(&w);
        ibp.login("ibp@test.nl").await;
        // Triage as datalek through the detail page's form.
        let page = ibp.get(&format!("/incidenten/{id}")).await;
        let csrf = page.input("csrf");
        let version = page.input("version");
        let r = ibp
            .post(
                &format!("/incidenten/{id}/classificeren"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("kind", "breach"),
                    ("aspect_confidentiality", "on"),
                    ("category", "lost_device"),
                    ("impact", "school"),
                    ("urgency", "education_hindered"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = ibp.get(&format!("/incidenten/{id}")).await;
        assert!(
            page.body.contains(&format!("/incidenten/{id}/datalek")),
            "link to the breach record"
        );
        // The breach page: deadline in local time and time left.
        let bp = format!("/incidenten/{id}/datalek");
        let page = ibp.get(&bp).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("vrijdag 27 november 2026 om 10:15"),
            "deadline shown"
        );
        assert!(page.body.contains("nog 3 dagen"), "time left shown");
        // The registered warning goes out by mail.
        drain(app).await;
        let number = receipt.incident.number.to_string();
        assert!(
            smtp.wait_for(&format!("Datalek {number}: geregistreerd"), 10),
            "{}",
            smtp.received()
        );
        // Without the CSRF token nothing happens.
        let r = ibp
            .post(&format!("{bp}/feiten"), &[("natures", "altered")])
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let csrf = page.input("csrf");
        let version = page.input("version");
        let r = ibp
            .post(
                &format!("{bp}/feiten"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("natures", "read_by_unauthorised"),
                    ("incident_kind", "device_lost_or_stolen"),
                    ("summary", "Onversleutelde USB-stick met zorgdossiers van groep 6 verloren in de trein."),
                    ("started_at", "2026-11-24T07:40"),
                    ("discovered_at", "2026-11-24T08:30"),
                    ("discovery", "De leerkracht merkte het bij aankomst op school."),
                    ("groups", "pupils"),
                    ("groups_description", "Leerlingen van groep 6"),
                    ("people_kind", "exact"),
                    ("people_min", "28"),
                    ("data", "name"),
                    ("data", "date_of_birth"),
                    ("data", "pupil_care_data"),
                    ("records", "28"),
                    ("prior_measure", "none"),
                    ("abroad", "no"),
                    ("consequences", "reputational_damage"),
                    ("consequences_text", "Zorgnotities kunnen kinderen stigmatiseren."),
                    ("measures", "Melding bij NS gevonden voorwerpen; USB-sticks voortaan versleuteld."),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // An invalid moment is shown on the form, keeping what was typed.
        let page = ibp.get(&bp).await;
        let version = page.input("version");
        let r = ibp
            .post(
                &format!("{bp}/feiten"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("started_at", "gisteren"),
                    ("summary", "blijft staan"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(r.body.contains("blijft staan"));
        let r = ibp
            .post(
                &format!("{bp}/beoordeling"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("identification", "maximum"),
                    ("dpc_vulnerable_individuals", "1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = ibp.get(&bp).await;
        assert!(
            page.body
                .contains("melden bij de AP en betrokkenen informeren"),
            "suggestion beside the decision"
        );
        assert!(
            page.body.contains("Het gaat om kinderen"),
            "reasons in plain Dutch"
        );
        assert!(page.body.contains("zeer groot"));
        // The FG advises.
        let mut fg = client(&w);
        fg.login("fg@test.nl").await;
        let fcsrf = fg.csrf(&bp).await;
        let r = fg
            .post(
                &format!("{bp}/advies"),
                &[
                    ("csrf", &fcsrf),
                    ("advice", "Melden bij de AP en ouders informeren."),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = fg
            .post(
                &format!("{bp}/besluit"),
                &[("csrf", &fcsrf), ("notify", "yes")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::FORBIDDEN,
            "the FG records advice, nothing else"
        );
        // The decision, the notification with meldnummer, the data subjects and the letter.
        // (The FG's advice changed the record, so the form is read again.)
        let version = ibp.get(&bp).await.input("version");
        let r = ibp
            .post(
                &format!("{bp}/besluit"),
                &[("csrf", &csrf), ("version", &version), ("notify", "no")],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "reasoning is mandatory for no"
        );
        let r = ibp
            .post(
                &format!("{bp}/besluit"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("notify", "yes"),
                    ("reasoning", "Zorggegevens van kinderen; hoog risico."),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ibp
            .post(
                &format!("{bp}/melding"),
                &[
                    ("csrf", &csrf),
                    ("notified_at", "2026-11-24T10:15"),
                    ("reference", "M-2026-0042"),
                    ("final", "on"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let page = ibp.get(&bp).await;
        let version = page.input("version");
        assert!(page.body.contains("M-2026-0042"));
        assert!(
            page.body.contains("Beste ouder of verzorger"),
            "draft letter generated"
        );
        let r = ibp
            .post(
                &format!("{bp}/betrokkenen"),
                &[
                    ("csrf", &csrf),
                    ("version", &version),
                    ("inform", "yes"),
                    ("informed_at", "2026-11-24T10:15"),
                    ("channel", "letter"),
                    ("count", "28"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ibp
            .post(
                &format!("{bp}/brief"),
                &[
                    ("csrf", &csrf),
                    ("audience", "parents"),
                    ("body", "Beste ouder of verzorger,\n\nAangepaste brief."),
                    ("send", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        let r = ibp
            .post(
                &format!("{bp}/overig"),
                &[
                    ("csrf", &csrf),
                    ("recipient", "police"),
                    ("at", "2026-11-24T10:10"),
                    ("reference", "PL-1"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
        // The AP pack: chapters in order, controller details, nothing essential missing.
        let pack = ibp.get(&format!("{bp}/meldpakket")).await;
        assert_eq!(pack.status, StatusCode::OK);
        let mut at = 0;
        for t in meldpunt_app::breach::pack::CHAPTERS {
            let i = pack.body[at..]
                .find(t)
                .unwrap_or_else(|| panic!("chapter {t} in order"));
            at += i;
        }
        assert!(
            pack.body.contains("Stationsweg 1")
                && pack
                    .body
                    .contains("Fleur FG, Functionaris gegevensbescherming")
        );
        assert!(pack.body.contains("M-2026-0042"));
        assert!(pack.body.contains("KvK-nummer"), "missing KvK marked");
        let pdf = ibp
            .send(Request::get(format!("{bp}/meldpakket.pdf")), Body::empty())
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(
            pdf.headers.get(header::CONTENT_TYPE).unwrap(),
            "application/pdf"
        );
        assert!(pdf.body.starts_with("%PDF-"));
        for t in meldpunt_app::breach::pack::CHAPTERS {
            assert!(pdf.body.contains(t), "{t} in the PDF");
        }
        // The register and its exports.
        let reg = ibp.get("/datalekken").await;
        assert_eq!(reg.status, StatusCode::OK);
        assert!(reg.body.contains(&number) && reg.body.contains("M-2026-0042"));
        let csv = ibp.get("/datalekken/export.csv").await;
        assert!(csv
            .headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        assert!(csv.body.contains("M-2026-0042"));
        let xlsx = ibp
            .get(&format!("/datalekken/export.xlsx?school={school}"))
            .await;
        assert_eq!(xlsx.status, StatusCode::OK);
        assert!(xlsx.body.starts_with("PK"));
        // The incident now closes once evaluated (the decision is recorded).
        let st = app.store.incident(id).await.unwrap().unwrap();
        assert_eq!(st.status, Status::Registered);
    }
}

#[tokio::test]
async fn breach_pages_per_role() {
    for db in kit::each_backend().await {
        let w = world(&db, AppConfig::default()).await;
        let app = &w.app;
        let report = NewReport::parse(
            &ReportInput {
                summary: Some("Mail naar verkeerde ouder"),
                description: "Rapport naar de verkeerde ouder gemaild.",
                occurred_at: None,
                school_id: None,
                personal_data: Some("yes"),
                ongoing: None,
                name: None,
                email: None,
                phone: None,
            },
            app.now(),
        )
        .unwrap();
        let r = app
            .report_incident(&Actor::Reporter, report, Some(w.board), false)
            .await
            .unwrap();
        let id = r.incident.id;
        // Before triage the IBP officer can open a record by hand.
        let mut ibp = client(&w);
        ibp.login("ibp@test.nl").await;
        let page = ibp.get(&format!("/incidenten/{id}/datalek")).await;
        assert!(page.body.contains("/datalek/openen"), "{}", page.body);
        let csrf = page.input("csrf");
        let res = ibp
            .post(
                &format!("/incidenten/{id}/datalek/openen"),
                &[("csrf", &csrf)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
        assert!(app.store.breach(id).await.unwrap().is_some());
        for (email, status, sees_assessment) in [
            ("ibp@test.nl", StatusCode::OK, true),
            ("im@test.nl", StatusCode::OK, true),
            ("fg@test.nl", StatusCode::OK, true),
            ("bestuur@test.nl", StatusCode::OK, true),
            ("sd@test.nl", StatusCode::OK, false),
            ("h1@test.nl", StatusCode::FORBIDDEN, false),
            ("admin@test.nl", StatusCode::FORBIDDEN, false),
        ] {
            let mut c = client(&w);
            c.login(email).await;
            let r = c.get(&format!("/incidenten/{id}/datalek")).await;
            assert_eq!(r.status, status, "{email}");
            assert_eq!(
                r.body.contains("Risicobeoordeling"),
                sees_assessment,
                "{email}"
            );
            let reg = c.get("/datalekken").await;
            let listed = reg.status == StatusCode::OK
                && reg.body.contains(&format!("/incidenten/{id}/datalek"));
            assert_eq!(listed, sees_assessment, "{email} register");
            let pack = c.get(&format!("/incidenten/{id}/datalek/meldpakket")).await;
            assert_eq!(
                pack.status == StatusCode::OK,
                sees_assessment,
                "{email} pack"
            );
        }
        // Only administrators change the board's breach settings.
        let mut sd = client(&w);
        sd.login("sd@test.nl").await;
        let r = sd.get("/datalekken/instellingen").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        // English is complete on the breach page.
        let r = ibp.get(&format!("/incidenten/{id}/datalek?lang=en")).await;
        assert!(r.body.contains("Notification deadline"), "{}", r.body);
        assert!(
            !r.body.contains(">breach-") && !r.body.contains(">error-"),
            "no untranslated keys"
        );
    }
}
