//! `meldpunt dev …`: tools for development and benchmarks. `dev seed` fills the database with
//! realistic generated data through the store's bulk path (`meldpunt_store::seed`).

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use jiff::{SignedDuration, Timestamp};
use meldpunt_app::accounts::NewUser;
use meldpunt_app::{Actor, App};
use meldpunt_core::audit::AuditRecord;
use meldpunt_core::auth::Role;
use meldpunt_core::ids::{BoardId, IncidentId, IncidentNumber, SchoolId, UserId};
use meldpunt_core::incident::{
    Aspects, Category, Classification, Impact, Incident, Kind, PersonalDataAnswer, Priority,
    Reporter, Status, Timeline, Urgency,
};
use meldpunt_store::incidents::Event;
use meldpunt_store::seed::{SeedBatch, SeedIncident};
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

/// Development tools.
#[derive(Subcommand, Debug)]
pub enum DevCmd {
    /// Fill the database with realistic generated boards, schools, people and incidents.
    Seed(SeedArgs),
}

/// `dev seed` options.
#[derive(Args, Debug)]
pub struct SeedArgs {
    /// School boards (existing ones are reused first).
    #[arg(long, default_value_t = 3)]
    pub boards: usize,
    /// Schools per board.
    #[arg(long, default_value_t = 12)]
    pub schools: usize,
    /// Incidents in total, spread over the last three years.
    #[arg(long, default_value_t = 100_000)]
    pub incidents: usize,
    /// Incidents per transaction.
    #[arg(long, default_value_t = 10_000)]
    pub batch: usize,
    /// Handlers per board (assignees).
    #[arg(long, default_value_t = 6)]
    pub handlers: usize,
    /// Random seed (same seed, same data).
    #[arg(long, default_value_t = 5)]
    pub seed: u64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a `dev` command.
pub async fn run(app: &App, cmd: DevCmd) -> Result<()> {
    match cmd {
        DevCmd::Seed(a) => seed(app, a).await,
    }
}

/// splitmix64: small, fast, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
    /// True with probability `p` percent.
    fn pct(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }
    fn minutes(&mut self, lo: i64, hi: i64) -> SignedDuration {
        let span = (hi - lo).max(1) as u64;
        SignedDuration::from_mins(lo + (self.next() % span) as i64)
    }
    fn uuid_v7(&mut self, at: Timestamp) -> Uuid {
        let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
        let r = self.next().to_le_bytes();
        let r2 = self.next().to_le_bytes();
        let mut b = [0u8; 10];
        b[..8].copy_from_slice(&r);
        b[8..].copy_from_slice(&r2[..2]);
        uuid::Builder::from_unix_timestamp_millis(ms, &b).into_uuid()
    }
    fn hex64(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:016x}{:016x}",
            self.next(),
            self.next(),
            self.next(),
            self.next()
        )
    }
}

const PLACES: &[&str] = &[
    "lokaal 12",
    "lokaal 3",
    "lokaal 21",
    "de aula",
    "de mediatheek",
    "het handvaardigheidlokaal",
    "de personeelskamer",
    "gebouw B",
    "de gymzaal",
    "het leerplein",
    "groep 7",
    "groep 4",
    "de administratie",
    "de conciërgeruimte",
];
const APPS: &[&str] = &[
    "Magister",
    "SOMtoday",
    "ParnasSys",
    "Teams",
    "Outlook",
    "Google Classroom",
    "Zermelo",
    "Basispoort",
    "Snappet",
    "de schoolwebsite",
    "Entree",
    "SharePoint",
];
const DEVICES: &[&str] = &[
    "Chromebook",
    "laptop",
    "digibord",
    "printer",
    "iPad",
    "telefoon",
    "USB-stick",
    "wifi-accesspoint",
    "kopieerapparaat",
];
const WHO: &[&str] = &[
    "een leerling",
    "een collega",
    "de conciërge",
    "een ouder",
    "de leverancier",
    "een stagiair",
    "de teamleider",
    "een invalkracht",
];
const FIRST: &[&str] = &[
    "Sanne", "Daan", "Fatima", "Mohamed", "Lotte", "Bram", "Eva", "Thijs", "Noor", "Jesse",
    "Sophie", "Ahmed", "Anouk", "Ruben", "Emma", "Kees",
];
const LAST: &[&str] = &[
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Yilmaz",
    "El Amrani",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
];

/// (category, summaries, descriptions): `{place}`, `{app}`, `{device}`, `{who}` are filled in.
fn texts(cat: Category) -> (&'static [&'static str], &'static [&'static str]) {
    use Category::*;
    match cat {
        Phishing => (
            &[
                "Phishingmail over {app} ontvangen",
                "Verdachte mail met link naar inlogpagina {app}",
                "Collega heeft op phishinglink geklikt",
            ],
            &[
                "Vanochtend kregen meerdere collega's een mail die op {app} leek, met het verzoek het wachtwoord te bevestigen.",
                "{who} heeft op de link geklikt en daarna het wachtwoord ingevuld. Het wachtwoord is inmiddels gewijzigd.",
                "De afzender gebruikte de naam van de directeur. Graag de mail blokkeren voor alle scholen.",
            ],
        ),
        Malware => (
            &[
                "Virusmelding op {device} in {place}",
                "Vreemde pop-ups op {device}",
                "Bestanden versleuteld op gedeelde schijf",
            ],
            &[
                "De virusscanner gaf een melding na het openen van een bijlage. De {device} is van het netwerk gehaald.",
                "Na het installeren van een extensie verschijnen er steeds advertenties en opent {app} niet meer.",
                "Een deel van de bestanden in de map van {place} heeft een vreemde extensie gekregen.",
            ],
        ),
        Ddos => (
            &[
                "{app} onbereikbaar door aanval",
                "Schoolwebsite traag en onbereikbaar",
            ],
            &[
                "De leverancier meldt een overbelastingsaanval; {app} is sinds het eerste uur niet bereikbaar.",
                "Ouders melden dat de site niet laadt. Volgens de hostingpartij komt er enorm veel verkeer binnen.",
            ],
        ),
        AccountTakeover => (
            &[
                "Account van collega verstuurt spam",
                "Onbekende inlog op account {app}",
                "Leerlingaccount overgenomen",
            ],
            &[
                "Vanaf het account van een collega zijn honderden mails verstuurd. Het wachtwoord is gewijzigd en de sessies zijn beëindigd.",
                "{app} meldt een inlog vanuit het buitenland. De betrokkene was op school en heeft niet zelf ingelogd.",
                "{who} kon niet meer inloggen; iemand anders had het wachtwoord gewijzigd.",
            ],
        ),
        LostDevice => (
            &[
                "{device} kwijt na schoolreis",
                "Laptop van leerkracht gestolen",
                "USB-stick met leerlinggegevens verloren",
            ],
            &[
                "Na de excursie bleek de {device} van {place} niet meer in de tas te zitten. Er staan mogelijk toetsresultaten op.",
                "Uit de auto van een leerkracht is de laptop gestolen. Aangifte is gedaan; de schijf is niet versleuteld.",
                "{who} is een USB-stick verloren met een overzicht van zorgleerlingen uit groep 7.",
            ],
        ),
        MisSent => (
            &[
                "Rapport naar verkeerde ouder gestuurd",
                "Mail met leerlinggegevens aan verkeerde ontvanger",
                "Groepsmail met zichtbare adressen",
            ],
            &[
                "Het rapport van een leerling is via {app} naar de ouders van een andere leerling gestuurd.",
                "Een overzicht met namen en geboortedata is per ongeluk naar een externe partij gemaild.",
                "Een nieuwsbrief is verstuurd met alle e-mailadressen van ouders in het aan-veld.",
            ],
        ),
        WrongAccessRights => (
            &[
                "Leerlingen zien map van personeel",
                "Te ruime rechten in {app}",
                "Oud-collega heeft nog toegang",
            ],
            &[
                "In {app} kunnen leerlingen de map met verslagen van leerlingbesprekingen openen.",
                "Een invalkracht kan alle dossiers van de school inzien in plaats van alleen de eigen groep.",
                "Een collega die vorig jaar vertrok kan nog inloggen op {app}.",
            ],
        ),
        PublishedByMistake => (
            &[
                "Foto's zonder toestemming op website",
                "Klassenlijst op openbare pagina",
            ],
            &[
                "Op de schoolwebsite staan foto's van leerlingen van wie de ouders geen toestemming gaven.",
                "Een klassenlijst met adressen stond een dag openbaar op {app}.",
            ],
        ),
        BackupFailure => (
            &[
                "Back-up van administratie mislukt",
                "Herstel van bestanden lukt niet",
            ],
            &[
                "De nachtelijke back-up van {app} is al drie dagen niet gelukt volgens de rapportage.",
                "Een verwijderde map van {place} kan niet worden teruggezet; de laatste back-up is onvolledig.",
            ],
        ),
        Outage => (
            &[
                "Wifi storing in {place}",
                "{app} werkt niet",
                "Printer in {place} kapot",
                "Digibord in {place} doet het niet",
                "Geen internet in gebouw B",
                "Inloggen op {device} lukt niet",
            ],
            &[
                "Sinds vanochtend is er geen verbinding met het wifi-netwerk in {place}. De les kan niet doorgaan zoals gepland.",
                "{app} geeft een foutmelding bij het inloggen. Het probleem speelt bij meerdere collega's.",
                "De printer in {place} geeft een papierstoring en print daarna niets meer.",
                "Het digibord in {place} blijft zwart; de beamer lijkt geen signaal te krijgen.",
                "De {device} start niet op na de update van gisteren. {who} heeft het al opnieuw geprobeerd.",
            ],
        ),
        SupplierIncident => (
            &[
                "Leverancier meldt datalek bij {app}",
                "Storing bij leverancier van {app}",
            ],
            &[
                "De leverancier van {app} meldt dat gegevens van scholen mogelijk zijn ingezien door een onbevoegde.",
                "Door een storing bij de leverancier kunnen cijfers niet worden ingevoerd in {app}.",
            ],
        ),
        Other => (
            &[
                "Vraag over wachtwoord {app}",
                "Melding over {device} in {place}",
                "Onduidelijke melding van {who}",
            ],
            &[
                "{who} vraagt hoe het wachtwoord van {app} kan worden hersteld.",
                "De {device} in {place} maakt een vreemd geluid. Graag laten nakijken.",
                "Er wordt gemeld dat er iets mis is met {app}, maar het is niet duidelijk wat.",
            ],
        ),
    }
}

fn fill(rng: &mut Rng, s: &str) -> String {
    let mut out = s.to_string();
    if out.contains("{place}") {
        out = out.replace("{place}", rng_pick_str(rng, PLACES));
    }
    if out.contains("{app}") {
        out = out.replace("{app}", rng_pick_str(rng, APPS));
    }
    if out.contains("{device}") {
        out = out.replace("{device}", rng_pick_str(rng, DEVICES));
    }
    if out.contains("{who}") {
        let w = rng_pick_str(rng, WHO);
        out = out.replace("{who}", w);
        if let Some(first) = out.get(..1) {
            if first == "e" || first == "d" {
                let mut c = out.chars();
                if let Some(f) = c.next() {
                    out = f.to_uppercase().collect::<String>() + c.as_str();
                }
            }
        }
    }
    out
}

const NOTES: &[&str] = &[
    "Leverancier gebeld, ticket aangemaakt.",
    "Melder teruggebeld voor meer informatie.",
    "Wachtwoord gereset en melder geïnformeerd.",
    "Tijdelijke oplossing: les in ander lokaal.",
    "Onderdeel besteld, levering verwacht deze week.",
    "Afgestemd met de FG; geen melding bij de AP nodig.",
    "Betrokken ouders zijn per brief geïnformeerd.",
    "Logbestanden bekeken, geen verdere afwijkingen gevonden.",
];
const RESOLUTIONS: &[&str] = &[
    "Apparaat vervangen.",
    "Configuratie hersteld door de leverancier.",
    "Wachtwoord gewijzigd en tweestapsverificatie aangezet.",
    "Rechten in de map aangepast.",
    "Bestanden teruggezet uit de back-up.",
    "Mail verwijderd uit alle postvakken.",
];
const CAUSES: &[&str] = &[
    "Menselijke fout",
    "Verouderde software",
    "Storing bij leverancier",
    "Defecte hardware",
    "Onvoldoende bewustzijn",
];

struct People {
    board: BoardId,
    schools: Vec<SchoolId>,
    handlers: Vec<(UserId, String)>,
}

fn kind_and_category(rng: &mut Rng) -> (Kind, Category) {
    use Category::*;
    let r = rng.below(100);
    if r < 5 {
        (
            Kind::Breach,
            *rng.pick(&[
                MisSent,
                LostDevice,
                PublishedByMistake,
                WrongAccessRights,
                SupplierIncident,
            ]),
        )
    } else if r < 15 {
        (
            Kind::CyberIncident,
            *rng.pick(&[Phishing, Malware, Ddos, AccountTakeover]),
        )
    } else if r < 27 {
        (
            Kind::SecurityIncident,
            *rng.pick(&[
                Phishing,
                WrongAccessRights,
                LostDevice,
                BackupFailure,
                Malware,
            ]),
        )
    } else if r < 35 {
        (Kind::NoIncident, Other)
    } else {
        (
            Kind::Disruption,
            *rng.pick(&[
                Outage,
                Outage,
                Outage,
                BackupFailure,
                SupplierIncident,
                Other,
            ]),
        )
    }
}

fn priority_of(impact: Impact, urgency: Urgency) -> Priority {
    use Impact::*;
    use Urgency::*;
    match (impact, urgency) {
        (Board, EducationStopped) | (School, EducationStopped) => Priority::P1,
        (Board, EducationHindered) | (Group, EducationStopped) => Priority::P2,
        (School, EducationHindered) | (Person, EducationStopped) | (Board, NoDirectHindrance) => {
            Priority::P3
        }
        (Group, EducationHindered) | (School, NoDirectHindrance) | (Person, EducationHindered) => {
            Priority::P4
        }
        _ => Priority::P5,
    }
}

fn resolve_minutes(p: Priority) -> (i64, i64) {
    match p {
        Priority::P1 => (20, 300),
        Priority::P2 => (60, 1_800),
        Priority::P3 => (120, 5_000),
        Priority::P4 => (240, 8_000),
        Priority::P5 => (600, 20_000),
    }
}

struct Generated {
    incident: Incident,
    events: Vec<Event>,
    updated_at: Timestamp,
}

#[allow(clippy::too_many_arguments)]
fn event(
    rng: &mut Rng,
    id: IncidentId,
    at: Timestamp,
    actor: Option<&(UserId, String)>,
    kind: &str,
    public: bool,
    body: Option<String>,
    details: String,
) -> Event {
    Event {
        id: rng.uuid_v7(at),
        incident_id: id,
        at,
        actor_id: actor.map(|a| a.0),
        actor_label: actor
            .map(|a| a.1.clone())
            .unwrap_or_else(|| "melder".into()),
        event_type: kind.into(),
        public,
        body,
        details,
    }
}

fn generate(rng: &mut Rng, p: &People, reported: Timestamp, now: Timestamp) -> Generated {
    let id = IncidentId(rng.uuid_v7(reported));
    let (kind, category) = kind_and_category(rng);
    let (sums, descs) = texts(category);
    let summary = fill_from(rng, sums);
    let mut description = fill_from(rng, descs);
    if rng.pct(50) {
        description.push(' ');
        description.push_str(&fill_from(rng, descs));
    }
    let age = now.duration_since(reported);
    let days = age.as_hours() / 24;
    let school_id = if rng.pct(90) {
        Some(*rng.pick(&p.schools))
    } else {
        None
    };
    let anonymous = rng.pct(15);
    let reporter = if anonymous {
        Reporter::default()
    } else {
        let (f, l) = (rng_pick_str(rng, FIRST), rng_pick_str(rng, LAST));
        Reporter {
            name: Some(format!("{f} {l}")),
            email: Some(format!(
                "{}.{}@school.nl",
                f.to_lowercase(),
                l.to_lowercase().replace(' ', "")
            )),
            phone: None,
        }
    };
    let personal_data = if kind == Kind::Breach {
        PersonalDataAnswer::Yes
    } else {
        *rng.pick(&[
            PersonalDataAnswer::No,
            PersonalDataAnswer::No,
            PersonalDataAnswer::Unknown,
            PersonalDataAnswer::Yes,
        ])
    };
    let mut events = vec![event(
        rng,
        id,
        reported,
        None,
        "reported",
        true,
        None,
        String::new(),
    )];
    // Untriaged: only recent reports (the last day or two).
    let triaged = days >= 2 || rng.pct(60);
    let mut t = Timeline {
        occurred_at: Some(reported - rng.minutes(5, 600)),
        reported_at: Some(reported),
        ..Timeline::default()
    };
    let mut incident = Incident {
        id,
        board_id: p.board,
        school_id,
        number: IncidentNumber { year: 0, seq: 0 },
        summary,
        description,
        personal_data,
        ongoing: Some(rng.pct(40)),
        reporter,
        status: Status::Reported,
        classification: None,
        assignee_id: None,
        resolution: None,
        cause: None,
        evaluation: None,
        no_incident_reason: None,
        timeline: t.clone(),
        exercise: rng.below(1000) == 0,
        version: 1,
    };
    let mut updated = reported;
    if !triaged {
        return Generated {
            incident,
            events,
            updated_at: updated,
        };
    }
    let desk = rng.pick(&p.handlers).clone();
    let impact = *rng.pick(Impact::ALL);
    let urgency = *rng.pick(Urgency::ALL);
    let priority = priority_of(impact, urgency);
    let registered = reported + rng.minutes(2, 90);
    t.registered_at = Some(registered);
    t.first_response_at = Some(registered);
    incident.classification = Some(Classification {
        kind,
        aspects: Aspects {
            availability: matches!(
                category,
                Category::Outage | Category::Ddos | Category::BackupFailure
            ),
            integrity: category == Category::Malware,
            confidentiality: kind == Kind::Breach || category == Category::Phishing,
        },
        category,
        impact,
        urgency,
        priority,
        priority_override_reason: None,
    });
    incident.version += 1;
    events.push(event(
        rng,
        id,
        registered,
        Some(&desk),
        "triage",
        false,
        None,
        format!(
            "{{\"kind\":\"{}\",\"priority\":\"{}\"}}",
            kind.code(),
            priority.code()
        ),
    ));
    updated = registered;
    if kind == Kind::NoIncident {
        incident.status = Status::NotAnIncident;
        incident.no_incident_reason = Some("Vraag, geen incident.".into());
        incident.timeline = t;
        return Generated {
            incident,
            events,
            updated_at: updated,
        };
    }
    incident.status = Status::Registered;
    let handler = rng.pick(&p.handlers).clone();
    let assigned = registered + rng.minutes(1, 60);
    incident.assignee_id = Some(handler.0);
    incident.status = Status::InProgress;
    incident.version += 1;
    events.push(event(
        rng,
        id,
        assigned,
        Some(&desk),
        "assign",
        false,
        None,
        format!("{{\"assignee\":\"{}\"}}", handler.0),
    ));
    updated = assigned;
    let (lo, hi) = resolve_minutes(priority);
    // About one in eight is resolved late.
    let took = if rng.pct(12) {
        rng.minutes(hi, hi * 3)
    } else {
        rng.minutes(lo, hi)
    };
    let resolved = assigned + took;
    if rng.pct(35) {
        let at = assigned + SignedDuration::from_secs(took.as_secs() / 2);
        let note = rng_pick_str(rng, NOTES).to_string();
        events.push(event(
            rng,
            id,
            at,
            Some(&handler),
            "note",
            false,
            Some(note),
            String::new(),
        ));
    }
    if kind.is_security_related() {
        t.contained_at = Some(assigned + SignedDuration::from_secs(took.as_secs() / 3));
    }
    if resolved > now {
        if rng.pct(20) {
            incident.status = Status::Waiting;
        }
        incident.timeline = t;
        return Generated {
            incident,
            events,
            updated_at: updated,
        };
    }
    t.resolved_at = Some(resolved);
    incident.status = Status::Resolved;
    incident.resolution = Some(rng_pick_str(rng, RESOLUTIONS).to_string());
    incident.cause = Some(rng_pick_str(rng, CAUSES).to_string());
    incident.version += 1;
    events.push(event(
        rng,
        id,
        resolved,
        Some(&handler),
        "status",
        true,
        None,
        "{\"to\":\"resolved\"}".into(),
    ));
    updated = resolved;
    let closed = resolved + rng.minutes(60, 20_000);
    if closed <= now {
        if kind.is_security_related() {
            t.evaluated_at = Some(resolved + rng.minutes(30, 600));
            incident.evaluation =
                Some("Geëvalueerd in het IBP-overleg; maatregelen vastgelegd.".into());
            incident.version += 1;
        }
        t.closed_at = Some(closed);
        incident.status = Status::Closed;
        incident.version += 1;
        events.push(event(
            rng,
            id,
            closed,
            Some(&desk),
            "status",
            true,
            None,
            "{\"to\":\"closed\"}".into(),
        ));
        updated = closed;
    }
    incident.timeline = t;
    Generated {
        incident,
        events,
        updated_at: updated,
    }
}

fn fill_from(rng: &mut Rng, v: &[&'static str]) -> String {
    let s = rng_pick_str(rng, v);
    fill(rng, s)
}

fn rng_pick_str(rng: &mut Rng, v: &[&'static str]) -> &'static str {
    v[rng.below(v.len())]
}

async fn prepare_people(app: &App, a: &SeedArgs, rng: &mut Rng) -> Result<Vec<People>> {
    let mut boards: Vec<BoardId> = app
        .store
        .boards()
        .await?
        .into_iter()
        .map(|b| b.id)
        .collect();
    while boards.len() < a.boards.max(1) {
        let name = format!("Stichting Onderwijs {}", boards.len() + 1);
        boards.push(
            app.create_board(&Actor::Cli, &name)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        );
    }
    boards.truncate(a.boards.max(1));
    let kinds = [
        "Basisschool",
        "Kindcentrum",
        "Obs",
        "Cbs",
        "Lyceum",
        "College",
    ];
    let names = [
        "De Regenboog",
        "Het Kompas",
        "De Vlinder",
        "Sint Jozef",
        "De Sterrenwachter",
        "Het Anker",
        "De Wilgen",
        "Prins Willem",
        "De Klimop",
        "Het Baken",
        "De Zonnewijzer",
        "Mozaïek",
    ];
    let mut out = Vec::new();
    for (bi, board) in boards.iter().enumerate() {
        let mut schools: Vec<SchoolId> = app
            .store
            .schools(*board)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        let mut n = schools.len();
        while schools.len() < a.schools.max(1) {
            let name = format!(
                "{} {} {}",
                kinds[n % kinds.len()],
                names[n % names.len()],
                n / names.len() + 1
            );
            schools.push(
                app.add_school(&Actor::Cli, *board, &name, None)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            );
            n += 1;
        }
        let mut handlers = Vec::new();
        for h in 0..a.handlers.max(1) {
            let email = format!("behandelaar{h}.bestuur{bi}.seed{}@meldpunt.test", a.seed);
            let name = format!(
                "{} {}",
                FIRST[(h + bi) % FIRST.len()],
                LAST[(h * 3 + bi) % LAST.len()]
            );
            let role = if h == 0 {
                Role::ServiceDesk
            } else {
                Role::Handler
            };
            let id = match app
                .add_user(
                    &Actor::Cli,
                    NewUser {
                        email: email.clone(),
                        name: name.clone(),
                        password: format!("seed-{}", rng.hex64()),
                        role,
                        board: Some(*board),
                        school: None,
                    },
                )
                .await
            {
                Ok(id) => id,
                Err(_) => {
                    app.store
                        .user_by_email(&email)
                        .await?
                        .context("seed user exists but cannot be read")?
                        .id
                }
            };
            handlers.push((id, name));
        }
        out.push(People {
            board: *board,
            schools,
            handlers,
        });
    }
    Ok(out)
}

fn progress(done: usize, total: usize, started: Instant, quiet: bool) {
    if quiet {
        return;
    }
    let frac = done as f64 / total.max(1) as f64;
    let width = 30;
    let filled = (frac * width as f64) as usize;
    let secs = started.elapsed().as_secs_f64();
    let rate = done as f64 / secs.max(1e-9);
    let eta = (total - done) as f64 / rate.max(1e-9);
    eprint!(
        "\r[{}{}] {:>5.1}%  {done}/{total}  {:.0}/s  {:.0}s  eta {:.0}s   ",
        "#".repeat(filled),
        ".".repeat(width - filled),
        frac * 100.0,
        rate,
        secs,
        eta
    );
    let _ = std::io::stderr().flush();
}

async fn seed(app: &App, a: SeedArgs) -> Result<()> {
    let started = Instant::now();
    let mut rng = Rng(a.seed);
    let people = prepare_people(app, &a, &mut rng).await?;
    let store = &app.store;
    let now = Timestamp::now();
    let span = SignedDuration::from_hours(24 * 365 * 3);
    let start = now - span;
    let step_us = span.as_micros() as f64 / a.incidents.max(1) as f64;
    store.seed_begin().await?;
    let batch_size = a.batch.max(1);
    let mut done = 0usize;
    let mut seq = 0u64;
    let mut events_total = 0usize;
    let mut generated: Vec<(usize, Generated)> = Vec::with_capacity(batch_size);
    while done < a.incidents {
        let n = batch_size.min(a.incidents - done);
        generated.clear();
        for k in 0..n {
            let idx = done + k;
            // Spread evenly over three years, with jitter; more reports on school days.
            let base = start + SignedDuration::from_micros((idx as f64 * step_us) as i64);
            let jitter =
                SignedDuration::from_micros((rng.next() % (step_us.max(1.0) as u64)) as i64);
            let reported = base + jitter;
            let b = rng.below(people.len());
            generated.push((b, generate(&mut rng, &people[b], reported, now)));
        }
        // Number them: reserve each (board, year) range once per batch.
        let mut counts: BTreeMap<(usize, i16), i64> = BTreeMap::new();
        let year_of = |t: Timestamp| -> i16 {
            t.in_tz("Europe/Amsterdam")
                .map(|z| z.year())
                .unwrap_or(2026)
        };
        for (b, g) in &generated {
            let y = year_of(g.incident.timeline.reported_at.unwrap_or(now));
            *counts.entry((*b, y)).or_default() += 1;
        }
        let mut next: BTreeMap<(usize, i16), i64> = BTreeMap::new();
        for (&(b, y), &c) in &counts {
            let first = store.seed_reserve_numbers(people[b].board, y, c).await?;
            next.insert((b, y), first);
        }
        let mut batch = SeedBatch::default();
        let mut first_number = None;
        let mut last_number = None;
        for (b, g) in generated.drain(..) {
            let mut g = g;
            let y = year_of(g.incident.timeline.reported_at.unwrap_or(now));
            let s = next.get_mut(&(b, y)).expect("reserved");
            g.incident.number = IncidentNumber { year: y, seq: *s };
            *s += 1;
            let number = g.incident.number.to_string();
            first_number.get_or_insert_with(|| number.clone());
            last_number = Some(number.clone());
            if let Some(first) = g.events.first_mut() {
                first.details = format!("{{\"number\":\"{number}\"}}");
            }
            events_total += g.events.len();
            batch.events.append(&mut g.events);
            batch.incidents.push(SeedIncident {
                incident: g.incident,
                followup_token_hash: rng.hex64(),
                updated_at: g.updated_at,
            });
            seq += 1;
        }
        let details = serde_json::json!({
            "incidents": batch.incidents.len(),
            "events": batch.events.len(),
            "first": first_number,
            "last": last_number,
            "seed": a.seed,
        });
        let audit = AuditRecord {
            at: Timestamp::now(),
            actor: "cli".into(),
            action: "dev.seed".into(),
            board_id: None,
            subject: None,
            details: details.to_string(),
        };
        store.seed_batch(&batch, audit).await?;
        done += n;
        progress(done, a.incidents, started, a.quiet);
    }
    if !a.quiet {
        eprintln!();
    }
    let load = started.elapsed();
    store.seed_finish().await?;
    println!(
        "seeded {seq} incidents and {events_total} events in {} boards ({} schools each) in {:.1} s (+{:.1} s ANALYZE/checkpoint)",
        people.len(),
        a.schools,
        load.as_secs_f64(),
        (started.elapsed() - load).as_secs_f64()
    );
    Ok(())
}
