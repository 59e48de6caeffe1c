//! The AP notification pack: the answers to the AP form's questions, chapter by chapter in the
//! form's order, in Dutch (the form is Dutch), with what is still missing marked.

use meldpunt_core::breach::assessment::PeopleCount;
use meldpunt_core::breach::record::BreachRecord;
use meldpunt_core::breach::render_moment_nl;
use meldpunt_core::breach::DataCategory;
use meldpunt_core::incident::Incident;
use meldpunt_store::accounts::{Board, School};
use meldpunt_store::breach::{BreachNote, BreachSettings};

/// Dutch names of the breach vocabularies, as the AP form words them.
pub mod nl {
    use meldpunt_core::breach::record::{
        FollowupKind, InformChannel, InformGround, OtherRecipient,
    };
    use meldpunt_core::breach::{ApIncidentKind, BreachNature, DataSubjectGroup, PriorMeasure};

    /// Nature of the breach.
    pub fn nature(n: BreachNature) -> &'static str {
        match n {
            BreachNature::ReadByUnauthorised => "gelezen door onbevoegden",
            BreachNature::Altered => "veranderd",
            BreachNature::PermanentlyUnavailable => "blijvend niet beschikbaar",
            BreachNature::TemporarilyUnavailable => "tijdelijk niet beschikbaar",
        }
    }

    /// Kind of incident.
    pub fn incident_kind(k: ApIncidentKind) -> &'static str {
        use ApIncidentKind::*;
        match k {
            EmailWrongRecipient => "e-mail naar verkeerde ontvanger",
            EmailToCcNotBcc => "e-mail met ontvangers in aan/cc in plaats van bcc",
            MailWrongRecipient => "brief of pakket naar verkeerde ontvanger",
            MailReturnedOpened => "brief of pakket geopend retour",
            MailLost => "brief of pakket kwijt",
            AuthorisationsWrong => "autorisaties van medewerkers verkeerd ingesteld",
            NetworkFoldersTooOpen => "netwerkmappen te ruim toegankelijk",
            DeviceLostOrStolen => "apparaat, gegevensdrager of papier verloren of gestolen",
            PublishedByMistake => "per ongeluk gepubliceerd",
            HackingMalwarePhishing => "hacking, malware (bijvoorbeeld ransomware) en/of phishing",
            WrongFile => "in verkeerd dossier gevoegd",
            Other => "anders",
        }
    }

    /// Group of data subjects.
    pub fn group(g: DataSubjectGroup) -> &'static str {
        use DataSubjectGroup::*;
        match g {
            Pupils => "leerlingen",
            ParentsGuardians => "ouders/verzorgers",
            Staff => "medewerkers",
            Minors => "minderjarigen",
            OtherVulnerable => "andere kwetsbare groepen",
            Other => "overig",
        }
    }

    /// Prior measure.
    pub fn prior_measure(m: PriorMeasure) -> &'static str {
        match m {
            PriorMeasure::Encrypted => "versleuteld",
            PriorMeasure::Hashed => "gehasht",
            PriorMeasure::Other => "op een andere manier onbegrijpelijk gemaakt",
            PriorMeasure::NoMeasure => "nee",
        }
    }

    /// Ground for not informing.
    pub fn ground(g: InformGround) -> &'static str {
        match g {
            InformGround::Unintelligible => {
                "de gegevens waren onbegrijpelijk voor onbevoegden (AVG art. 34 lid 3a)"
            }
            InformGround::MeasuresRemoveRisk => {
                "latere maatregelen nemen het hoge risico weg (AVG art. 34 lid 3b)"
            }
            InformGround::DisproportionateEffort => {
                "onevenredige inspanning; in plaats daarvan een openbare mededeling (AVG art. 34 lid 3c)"
            }
            InformGround::NoHighRisk => "geen hoog risico voor de betrokkenen",
        }
    }

    /// Channel.
    pub fn channel(c: InformChannel) -> &'static str {
        match c {
            InformChannel::Phone => "telefoon",
            InformChannel::Letter => "brief",
            InformChannel::Email => "e-mail",
            InformChannel::Website => "website",
            InformChannel::SocialMedia => "sociale media",
            InformChannel::Newspaper => "krant",
            InformChannel::Other => "anders",
        }
    }

    /// Follow-up kind.
    pub fn followup(k: FollowupKind) -> &'static str {
        match k {
            FollowupKind::Supplement => "aanvullen",
            FollowupKind::Amend => "aanpassen",
            FollowupKind::Withdraw => "intrekken",
        }
    }

    /// Other recipient.
    pub fn recipient(r: OtherRecipient) -> &'static str {
        match r {
            OtherRecipient::Inspectorate => "Inspectie van het Onderwijs",
            OtherRecipient::Police => "politie (aangifte)",
            OtherRecipient::Insurer => "verzekeraar",
            OtherRecipient::SchoolCert => "School-CERT",
            OtherRecipient::Other => "anders",
        }
    }
}

/// One question and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackItem {
    /// The question as on the AP form.
    pub question: String,
    /// The answer; None when still missing.
    pub answer: Option<String>,
}

/// One chapter of the AP form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter {
    /// 1–10.
    pub number: u8,
    /// The chapter's title on the form.
    pub title: &'static str,
    /// The questions.
    pub items: Vec<PackItem>,
}

/// The chapter titles of the AP form, in order.
pub const CHAPTERS: [&str; 10] = [
    "Introductie",
    "Internationale aspecten",
    "Verwerkingsverantwoordelijke",
    "Tijdlijn",
    "De inbreuk",
    "Persoonsgegevens",
    "Getroffen personen",
    "Maatregelen vooraf",
    "Gevolgen",
    "Vervolgacties",
];

/// The whole pack.
#[derive(Debug, Clone)]
pub struct Pack {
    /// Title line (incident number and board).
    pub title: String,
    /// The chapters.
    pub chapters: Vec<Chapter>,
}

impl Pack {
    /// The questions still without an answer, as `chapter. question`.
    pub fn missing(&self) -> Vec<String> {
        self.chapters
            .iter()
            .flat_map(|c| {
                c.items
                    .iter()
                    .filter(|i| i.answer.is_none())
                    .map(move |i| format!("{}. {}", c.number, i.question))
            })
            .collect()
    }
}

fn item(q: &str, a: Option<String>) -> PackItem {
    PackItem {
        question: q.to_string(),
        answer: a.filter(|s| !s.trim().is_empty()),
    }
}

fn list<T: Copy>(v: &[T], f: fn(T) -> &'static str) -> Option<String> {
    (!v.is_empty()).then(|| v.iter().map(|&x| f(x)).collect::<Vec<_>>().join(", "))
}

fn t(ts: Option<jiff::Timestamp>) -> Option<String> {
    ts.map(render_moment_nl)
}

fn yes_no(b: bool) -> String {
    if b { "ja" } else { "nee" }.to_string()
}

/// Builds the pack from the record and the board's details.
#[allow(clippy::too_many_arguments)]
pub fn build(
    r: &BreachRecord,
    incident: &Incident,
    board: &Board,
    school: Option<&School>,
    settings: &BreachSettings,
    others: &[BreachNote],
    followups: &[BreachNote],
) -> Pack {
    let f = &r.facts;
    let a = r.assessment();
    let other_supervisors = others
        .iter()
        .filter(|o| o.what == "inspectorate" || o.what == "other")
        .map(|o| {
            let name = meldpunt_core::breach::record::OtherRecipient::from_code(&o.what)
                .map(nl::recipient)
                .unwrap_or("anders");
            format!("{name} ({})", render_moment_nl(o.at))
        })
        .collect::<Vec<_>>();
    let ch1 = vec![
        item(
            "Soort melding",
            Some("een enkel datalek (geen bulkmelding)".into()),
        ),
        item(
            "Wettelijke grondslag",
            Some("Algemene verordening gegevensbescherming (AVG), artikel 33".into()),
        ),
        item(
            "Ook gemeld bij andere toezichthouders?",
            Some(if other_supervisors.is_empty() {
                "nee".into()
            } else {
                other_supervisors.join("; ")
            }),
        ),
    ];
    let ch2 = vec![
        item(
            "Zijn er mensen in andere landen getroffen?",
            f.abroad.map(|b| {
                if b {
                    format!("ja: {}", f.abroad_countries.clone().unwrap_or_default())
                } else {
                    "nee".into()
                }
            }),
        ),
        item(
            "Gemeld bij andere privacytoezichthouders?",
            f.abroad.map(|b| {
                if b {
                    "nog na te gaan".into()
                } else {
                    "nee".into()
                }
            }),
        ),
    ];
    let contact = match (&settings.contact_name, &settings.contact_function) {
        (Some(n), Some(fu)) => Some(format!("{n}, {fu}")),
        (Some(n), None) => Some(n.clone()),
        _ => None,
    };
    let ch3 = vec![
        item("Naam organisatie", Some(board.name.clone())),
        item(
            "School",
            Some(
                school
                    .map(|s| s.name.clone())
                    .unwrap_or_else(|| "het hele bestuur".into()),
            ),
        ),
        item("Adres", settings.address.clone()),
        item("KvK-nummer", board.kvk_number.clone()),
        item("Registratienummer FG", board.fg_registration.clone()),
        item("Sector", Some("onderwijs".into())),
        item("Contactpersoon (naam, functie)", contact),
        item(
            "E-mail contactpersoon",
            settings
                .contact_email
                .clone()
                .or(board.contact_email.clone()),
        ),
        item("Telefoon contactpersoon", settings.contact_phone.clone()),
        item(
            "Andere betrokken organisaties (verwerker)",
            Some(f.processor.clone().unwrap_or_else(|| "geen".into())),
        ),
    ];
    let end = if f.ongoing {
        Some("de inbreuk duurt nog voort".to_string())
    } else {
        t(f.ended_at)
    };
    let late =
        r.ap.as_ref()
            .map(|ap| ap.notified_at > r.deadline())
            .unwrap_or(false);
    let mut ch4 = vec![
        item("Begin van de inbreuk", t(f.started_at)),
        item("Einde van de inbreuk", end),
        item("Wanneer ontdekt", t(f.discovered_at)),
        item("Hoe ontdekt", f.discovery.clone()),
        item(
            "Kennisname (bewust van het datalek)",
            t(Some(r.awareness_at)),
        ),
        item("Uiterste meldmoment (72 uur)", t(Some(r.deadline()))),
    ];
    if let Some(p) = f.processor_informed_at {
        ch4.push(item("Verwerker informeerde het bestuur op", t(Some(p))));
    }
    if late {
        ch4.push(item(
            "Reden van melden na 72 uur",
            r.ap.as_ref().and_then(|a| a.delay_reason.clone()),
        ));
    }
    let ch5 = vec![
        item("Aard van de inbreuk", list(&f.natures, nl::nature)),
        item(
            "Soort incident",
            f.incident_kind.map(|k| nl::incident_kind(k).to_string()),
        ),
        item(
            "Samenvatting",
            Some(
                f.summary
                    .clone()
                    .unwrap_or_else(|| incident.summary.clone()),
            ),
        ),
    ];
    let (general, special): (Vec<DataCategory>, Vec<DataCategory>) =
        f.data.iter().partition(|d| !d.is_special());
    let ch6 = vec![
        item(
            "Soorten persoonsgegevens",
            (!general.is_empty()).then(|| {
                general
                    .iter()
                    .map(|d| d.dutch())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        item(
            "Bijzondere persoonsgegevens",
            Some(if special.is_empty() {
                "geen".into()
            } else {
                special
                    .iter()
                    .map(|d| d.dutch())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        item(
            "Aantal records (schatting)",
            f.records.map(|n| n.to_string()),
        ),
    ];
    let people = match f.people {
        PeopleCount::Unknown => None,
        PeopleCount::Exact { count } => Some(format!("{count}")),
        PeopleCount::Range { min, max } => Some(format!("minimaal {min}, maximaal {max}")),
    };
    let ch7 = vec![
        item("Groepen getroffen personen", list(&f.groups, nl::group)),
        item("Omschrijving", f.groups_description.clone()),
        item("Aantal getroffen personen", people),
    ];
    let ch8 = vec![
        item(
            "Waren de gegevens vooraf versleuteld, gehasht of anders onbegrijpelijk?",
            f.prior_measure.map(|m| nl::prior_measure(m).to_string()),
        ),
        item(
            "Hoe (versleuteling door ransomware telt niet)",
            match f.prior_measure {
                Some(meldpunt_core::breach::PriorMeasure::NoMeasure) => Some("n.v.t.".into()),
                _ => f.prior_measure_how.clone(),
            },
        ),
    ];
    let ch9 = vec![
        item(
            "Mogelijke gevolgen voor de organisatie en de gegevens",
            f.consequences_text.clone(),
        ),
        item(
            "Mogelijke gevolgen voor de getroffen personen",
            list(&f.consequences, |c| c.dutch()),
        ),
        item(
            "Ernst van de gevolgen",
            Some(format!(
                "{} (ENISA-score {}, niveau {})",
                a.severity.level.ap_severity().dutch(),
                a.severity.score.dutch(),
                a.severity.level.dutch()
            )),
        ),
        item(
            "Toelichting op de ernst",
            Some(
                a.reasons
                    .iter()
                    .map(meldpunt_core::breach::dutch_reason)
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        ),
    ];
    let inform = r.inform.as_ref();
    let mut ch10 = vec![item(
        "Zijn de getroffen personen geïnformeerd?",
        inform.map(|d| {
            if d.inform {
                match d.informed_at {
                    Some(at) => format!("ja, op {}", render_moment_nl(at)),
                    None => "ja (nog te versturen)".into(),
                }
            } else {
                format!(
                    "nee: {}",
                    d.ground.map(nl::ground).unwrap_or("reden niet vastgelegd")
                )
            }
        }),
    )];
    if let Some(d) = inform {
        if d.inform {
            ch10.push(item(
                "Aantal geïnformeerde personen",
                d.count.map(|n| n.to_string()),
            ));
            ch10.push(item(
                "Hoe geïnformeerd",
                d.channel.map(|c| nl::channel(c).to_string()),
            ));
        } else {
            if let Some(r) = &d.reasoning {
                ch10.push(item("Toelichting", Some(r.clone())));
            }
            if d.ground == Some(meldpunt_core::breach::record::InformGround::DisproportionateEffort)
            {
                ch10.push(item("Openbare mededeling", d.public_communication.clone()));
            }
        }
    }
    ch10.push(item(
        "Maatregelen om het datalek aan te pakken en herhaling te voorkomen",
        f.measures.clone(),
    ));
    if let Some(ap) = &r.ap {
        ch10.push(item(
            "Melding bij de AP",
            Some(format!(
                "{} op {}{}",
                if ap.is_final {
                    "definitief"
                } else {
                    "voorlopig"
                },
                render_moment_nl(ap.notified_at),
                ap.reference
                    .as_ref()
                    .map(|m| format!(", meldnummer {m}"))
                    .unwrap_or_default()
            )),
        ));
    }
    for fu in followups {
        let kind = meldpunt_core::breach::record::FollowupKind::from_code(&fu.what)
            .map(nl::followup)
            .unwrap_or("vervolg");
        ch10.push(item(
            "Vervolgmelding",
            Some(format!(
                "{kind} op {}{}",
                render_moment_nl(fu.at),
                fu.note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            )),
        ));
    }
    let chapters = [ch1, ch2, ch3, ch4, ch5, ch6, ch7, ch8, ch9, ch10]
        .into_iter()
        .enumerate()
        .map(|(i, items)| Chapter {
            number: u8::try_from(i + 1).unwrap_or(0),
            title: CHAPTERS[i],
            items,
        })
        .collect();
    Pack {
        title: format!(
            "Meldformulier datalekken – antwoorden voor incident {} ({})",
            incident.number, board.name
        ),
        chapters,
    }
}

/// Yes/no in Dutch (for exports).
pub fn ja_nee(b: bool) -> String {
    yes_no(b)
}
