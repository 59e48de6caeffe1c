//! The AP notification pack as a printable PDF: A4, the standard Helvetica font in WinAnsi
//! encoding (no embedded fonts), uncompressed text streams. Written with `pdf-writer`.

use super::pack::Pack;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str};

const WIDTH: f32 = 595.0;
const HEIGHT: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.0;

/// One line of output with its style.
enum Line {
    Title(String),
    Heading(String),
    Question(String),
    Answer(String),
    Missing(String),
    Gap,
}

/// A character in Windows-1252 (WinAnsi); others become `?`.
fn winansi(c: char) -> u8 {
    let u = c as u32;
    match u {
        0x20..=0x7e | 0xa0..=0xff => u as u8,
        _ => match c {
            '€' => 0x80,
            '‚' => 0x82,
            '„' => 0x84,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '→' => b'>',
            '\t' => b' ',
            _ => b'?',
        },
    }
}

fn encode(s: &str) -> Vec<u8> {
    s.chars().map(winansi).collect()
}

/// Wraps text to at most `max` characters per line (Helvetica averages about half an em).
fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Renders the pack; `missing_label` is the word for an unanswered question.
pub fn render(pack: &Pack, missing_label: &str, generated: &str) -> Vec<u8> {
    let mut lines = vec![
        Line::Title(pack.title.clone()),
        Line::Answer(generated.to_string()),
        Line::Gap,
    ];
    let missing = pack.missing();
    if !missing.is_empty() {
        lines.push(Line::Heading(format!(
            "Nog niet ingevuld ({})",
            missing.len()
        )));
        for m in &missing {
            for l in wrap(&format!("• {m}"), 95) {
                lines.push(Line::Missing(l));
            }
        }
        lines.push(Line::Gap);
    }
    for ch in &pack.chapters {
        lines.push(Line::Heading(format!("{}. {}", ch.number, ch.title)));
        for it in &ch.items {
            for l in wrap(&it.question, 95) {
                lines.push(Line::Question(l));
            }
            match &it.answer {
                Some(a) => {
                    for l in wrap(a, 100) {
                        lines.push(Line::Answer(l));
                    }
                }
                None => lines.push(Line::Missing(format!("[{missing_label}]"))),
            }
        }
        lines.push(Line::Gap);
    }

    // Lay out pages.
    let mut pages: Vec<Content> = Vec::new();
    let mut content = Content::new();
    let mut y = HEIGHT - MARGIN;
    let mut page_no = 1;
    let footer = |c: &mut Content, n: i32| {
        c.begin_text();
        c.set_font(Name(b"F1"), 8.0);
        c.next_line(MARGIN, 30.0);
        c.show(Str(&encode(&format!(
            "Meldpunt – antwoorden voor het AP-meldformulier – pagina {n}"
        ))));
        c.end_text();
    };
    for line in &lines {
        let (font, size, indent, gap): (&[u8], f32, f32, f32) = match line {
            Line::Title(_) => (b"F2", 14.0, 0.0, 20.0),
            Line::Heading(_) => (b"F2", 12.0, 0.0, 18.0),
            Line::Question(_) => (b"F2", BODY, 0.0, 13.0),
            Line::Answer(_) => (b"F1", BODY, 12.0, 13.0),
            Line::Missing(_) => (b"F3", BODY, 12.0, 13.0),
            Line::Gap => (b"F1", BODY, 0.0, 8.0),
        };
        if y - gap < MARGIN {
            footer(&mut content, page_no);
            pages.push(std::mem::replace(&mut content, Content::new()));
            page_no += 1;
            y = HEIGHT - MARGIN;
        }
        y -= gap;
        let text = match line {
            Line::Title(t)
            | Line::Heading(t)
            | Line::Question(t)
            | Line::Answer(t)
            | Line::Missing(t) => t,
            Line::Gap => continue,
        };
        content.begin_text();
        content.set_font(Name(font), size);
        content.next_line(MARGIN + indent, y);
        content.show(Str(&encode(text)));
        content.end_text();
    }
    footer(&mut content, page_no);
    pages.push(content);

    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let fonts = [Ref::new(3), Ref::new(4), Ref::new(5)];
    let info = Ref::new(6);
    let mut next = 7;
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    let mut ids = Vec::new();
    let mut streams = Vec::new();
    for c in pages {
        let page = Ref::new(next);
        let stream = Ref::new(next + 1);
        next += 2;
        ids.push(page);
        streams.push((page, stream, c.finish()));
    }
    pdf.pages(tree)
        .kids(ids.iter().copied())
        .count(i32::try_from(ids.len()).unwrap_or(1));
    for (page, stream, data) in &streams {
        let mut p = pdf.page(*page);
        p.media_box(Rect::new(0.0, 0.0, WIDTH, HEIGHT));
        p.parent(tree);
        p.contents(*stream);
        let mut res = p.resources();
        let mut f = res.fonts();
        f.pair(Name(b"F1"), fonts[0]);
        f.pair(Name(b"F2"), fonts[1]);
        f.pair(Name(b"F3"), fonts[2]);
        f.finish();
        res.finish();
        p.finish();
        pdf.stream(*stream, data);
    }
    for (id, name) in fonts
        .iter()
        .zip([&b"Helvetica"[..], b"Helvetica-Bold", b"Helvetica-Oblique"])
    {
        pdf.type1_font(*id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(info)
        .title(pdf_writer::TextStr(&pack.title))
        .producer(pdf_writer::TextStr("meldpunt"));
    pdf.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winansi_maps_dutch_letters() {
        assert_eq!(encode("geëvalueerd €"), b"ge\xebvalueerd \x80".to_vec());
        assert_eq!(wrap("a b c", 3), vec!["a b", "c"]);
    }
}
