//! Draft letters to data subjects in plain Dutch, generated from the breach record. People edit
//! them before sending; the text as sent is stored.

use super::pack::nl;
use meldpunt_core::breach::record::{BreachRecord, LetterAudience};
use meldpunt_core::breach::render_moment_nl;
use meldpunt_core::incident::Incident;
use meldpunt_store::accounts::{Board, School};
use meldpunt_store::breach::BreachSettings;

/// A draft letter for `audience`.
pub fn draft(
    r: &BreachRecord,
    incident: &Incident,
    board: &Board,
    school: Option<&School>,
    settings: &BreachSettings,
    audience: LetterAudience,
) -> String {
    let f = &r.facts;
    let org = school
        .map(|s| s.name.clone())
        .unwrap_or_else(|| board.name.clone());
    let (greeting, whose) = match audience {
        LetterAudience::Parents => ("Beste ouder of verzorger,", "gegevens van uw kind"),
        LetterAudience::Staff => ("Beste collega,", "uw gegevens"),
    };
    let when = f
        .discovered_at
        .map(|t| format!("Op {}", render_moment_nl(t)))
        .unwrap_or_else(|| "Onlangs".to_string());
    let what = f
        .summary
        .clone()
        .unwrap_or_else(|| incident.summary.clone());
    let data = if f.data.is_empty() {
        "Welke gegevens het precies zijn, zoeken we nog uit.".to_string()
    } else {
        format!(
            "Het gaat om deze gegevens: {}.",
            f.data
                .iter()
                .map(|d| d.dutch())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let measures = f.measures.clone().unwrap_or_else(|| {
        "We onderzoeken wat er is gebeurd en nemen maatregelen om herhaling te voorkomen.".into()
    });
    let protected = match f.prior_measure {
        Some(m) if m != meldpunt_core::breach::PriorMeasure::NoMeasure => format!(
            "\nDe gegevens waren beveiligd ({}). Dat maakt misbruik moeilijker.\n",
            nl::prior_measure(m)
        ),
        _ => String::new(),
    };
    let advice = match audience {
        LetterAudience::Parents => "Wat kunt u doen?\n- Let op berichten, telefoontjes of e-mails die vreemd lijken of naar gegevens van uw kind vragen.\n- Praat met uw kind als het daar oud genoeg voor is.\n- Heeft u vragen of zorgen? Neem dan contact met ons op.",
        LetterAudience::Staff => "Wat kunt u doen?\n- Let op berichten, telefoontjes of e-mails die vreemd lijken of naar uw gegevens vragen.\n- Wijzig uw wachtwoord als inloggegevens betrokken zijn.\n- Heeft u vragen of zorgen? Neem dan contact met ons op.",
    };
    let contact = match (
        &settings.contact_name,
        &settings.contact_email,
        &settings.contact_phone,
    ) {
        (Some(n), Some(e), Some(p)) => format!("{n} ({e}, {p})"),
        (Some(n), Some(e), None) => format!("{n} ({e})"),
        (Some(n), None, Some(p)) => format!("{n} ({p})"),
        (Some(n), None, None) => n.clone(),
        (None, Some(e), _) => e.clone(),
        _ => board
            .contact_email
            .clone()
            .unwrap_or_else(|| "de administratie van de school".into()),
    };
    let ap = if r.notify.as_ref().is_some_and(|d| d.notify) {
        "\nWe hebben dit datalek gemeld bij de Autoriteit Persoonsgegevens.\n"
    } else {
        ""
    };
    format!(
        "{greeting}\n\n{when} ontdekten wij dat er iets mis is gegaan met {whose}. Dat vinden we heel vervelend. Met deze brief leggen we uit wat er is gebeurd en wat u kunt doen.\n\nWat is er gebeurd?\n{what}\n\n{data}\n{protected}\nWat doen wij?\n{measures}\n{ap}\n{advice}\n\nVragen?\nNeem contact op met {contact}. U kunt ook terecht bij onze functionaris gegevensbescherming.\n\nMet vriendelijke groet,\n\n{org}\n{board_name}\n",
        board_name = board.name,
    )
}
