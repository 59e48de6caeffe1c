//! The breach register (art. 33(5)) as CSV and XLSX, with Dutch column names.

use super::pack::nl;
use super::RegisterEntry;
use meldpunt_core::breach::assessment::PeopleCount;
use meldpunt_core::breach::{dutch_reason, render_moment_nl};
use rust_xlsxwriter::{Format, Workbook};

/// The register's columns.
pub const COLUMNS: [&str; 22] = [
    "Nummer",
    "School",
    "Samenvatting",
    "Begin inbreuk",
    "Einde inbreuk",
    "Ontdekt",
    "Kennisname",
    "Uiterste meldmoment",
    "Gemeld bij AP",
    "Aard",
    "Soort incident",
    "Categorieën persoonsgegevens",
    "Groepen betrokkenen",
    "Aantal betrokkenen",
    "Ernst (ENISA-score)",
    "Ernst (AP)",
    "Suggestie",
    "Besluit melden bij AP",
    "Motivering",
    "Meldnummer",
    "Betrokkenen geïnformeerd",
    "Maatregelen",
];

fn t(ts: Option<jiff::Timestamp>) -> String {
    ts.map(|t| {
        t.in_tz("Europe/Amsterdam")
            .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_else(|_| t.to_string())
    })
    .unwrap_or_default()
}

/// The cells of one register row, in column order.
pub fn row(e: &RegisterEntry) -> Vec<String> {
    let r = &e.record;
    let f = &r.facts;
    let a = &e.assessment;
    let people = match f.people {
        PeopleCount::Unknown => "onbekend".to_string(),
        PeopleCount::Exact { count } => count.to_string(),
        PeopleCount::Range { min, max } => format!("{min}–{max}"),
    };
    let decision = match &r.notify {
        None => "nog open".to_string(),
        Some(d) if d.notify => "ja".to_string(),
        Some(_) => "nee".to_string(),
    };
    let reasoning = r
        .notify
        .as_ref()
        .and_then(|d| d.reasoning.clone())
        .unwrap_or_else(|| {
            a.reasons
                .iter()
                .take(3)
                .map(dutch_reason)
                .collect::<Vec<_>>()
                .join(" ")
        });
    let informed = match &r.inform {
        None => "nog open".to_string(),
        Some(d) if d.inform => "ja".to_string(),
        Some(d) => format!("nee ({})", d.ground.map(nl::ground).unwrap_or("-")),
    };
    vec![
        e.incident.number.to_string(),
        e.school.clone().unwrap_or_default(),
        f.summary
            .clone()
            .unwrap_or_else(|| e.incident.summary.clone()),
        t(f.started_at),
        if f.ongoing {
            "loopt nog".into()
        } else {
            t(f.ended_at)
        },
        t(f.discovered_at),
        t(Some(r.awareness_at)),
        t(Some(r.deadline())),
        t(r.ap.as_ref().map(|x| x.notified_at)),
        f.natures
            .iter()
            .map(|n| nl::nature(*n))
            .collect::<Vec<_>>()
            .join(", "),
        f.incident_kind
            .map(nl::incident_kind)
            .unwrap_or_default()
            .to_string(),
        f.data
            .iter()
            .map(|d| d.dutch())
            .collect::<Vec<_>>()
            .join(", "),
        f.groups
            .iter()
            .map(|g| nl::group(*g))
            .collect::<Vec<_>>()
            .join(", "),
        people,
        a.severity.score.dutch(),
        a.severity.level.ap_severity().dutch().to_string(),
        a.suggestion.dutch().to_string(),
        decision,
        reasoning,
        r.ap.as_ref()
            .and_then(|x| x.reference.clone())
            .unwrap_or_default(),
        informed,
        f.measures.clone().unwrap_or_default(),
    ]
}

fn csv_cell(s: &str) -> String {
    // Cells starting with = + - @ are made inert for spreadsheet programs (CSV injection).
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r', ';']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// RFC 4180 CSV with a UTF-8 byte-order mark (so spreadsheet programs read the accents).
pub fn csv(entries: &[RegisterEntry]) -> String {
    let mut out = String::from("\u{feff}");
    let mut line = |cells: Vec<String>| {
        out.push_str(
            &cells
                .iter()
                .map(|c| csv_cell(c))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    };
    line(COLUMNS.iter().map(|s| s.to_string()).collect());
    for e in entries {
        line(row(e));
    }
    out
}

/// The register as an XLSX workbook (one sheet, header row frozen).
pub fn xlsx(entries: &[RegisterEntry], generated: jiff::Timestamp) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let sheet = wb.add_worksheet();
    sheet
        .set_name("Register datalekken")
        .map_err(|e| e.to_string())?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    for (c, h) in COLUMNS.iter().enumerate() {
        let col = u16::try_from(c).map_err(|e| e.to_string())?;
        sheet
            .write_string_with_format(0, col, *h, &bold)
            .map_err(|e| e.to_string())?;
        sheet
            .set_column_width(col, if c == 2 || c >= 18 { 40 } else { 18 })
            .map_err(|e| e.to_string())?;
    }
    for (r, e) in entries.iter().enumerate() {
        let rowi = u32::try_from(r + 1).map_err(|e| e.to_string())?;
        for (c, v) in row(e).iter().enumerate() {
            let col = u16::try_from(c).map_err(|e| e.to_string())?;
            sheet
                .write_string_with_format(rowi, col, v, &wrap)
                .map_err(|e| e.to_string())?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
    let foot = u32::try_from(entries.len() + 2).map_err(|e| e.to_string())?;
    sheet
        .write_string(
            foot,
            0,
            format!("Aangemaakt op {}", render_moment_nl(generated)),
        )
        .map_err(|e| e.to_string())?;
    wb.save_to_buffer().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_inert() {
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("plain"), "plain");
    }
}
