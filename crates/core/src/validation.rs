//! Field-level validation errors. The core names the problem with a stable code; the web
//! layer turns the code into a Dutch or English sentence.

use serde::Serialize;
use thiserror::Error;

/// One problem with one input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field name as in the form and the API (`summary`, `email`, …).
    pub field: &'static str,
    /// A stable message key, e.g. `error-required`; translated at the edge.
    pub code: &'static str,
}

/// All problems found in one input; never empty.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{} ({})", e.field, e.code)).collect::<Vec<_>>().join(", "))]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// The error for one field, if any.
    pub fn for_field(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|e| e.field == field).map(|e| e.code)
    }
}

/// Collects field errors while parsing an input.
#[derive(Debug, Default)]
pub struct Collector(Vec<FieldError>);

impl Collector {
    /// Records a problem.
    pub fn add(&mut self, field: &'static str, code: &'static str) {
        self.0.push(FieldError { field, code });
    }

    /// Ok when nothing was recorded.
    pub fn finish(self) -> Result<(), ValidationErrors> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.0))
        }
    }

    /// Parses a required free-text field: trimmed, non-empty, at most `max` characters.
    pub fn required_text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "error-required");
        } else if v.chars().count() > max {
            self.add(field, "error-too-long");
        } else if has_control_chars(v) {
            self.add(field, "error-invalid-characters");
        }
        v.to_string()
    }

    /// Parses an optional free-text field: trimmed, empty becomes `None`.
    pub fn optional_text(
        &mut self,
        field: &'static str,
        value: Option<&str>,
        max: usize,
    ) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.add(field, "error-too-long");
        } else if has_control_chars(v) {
            self.add(field, "error-invalid-characters");
        }
        Some(v.to_string())
    }
}

/// Control characters other than newline and tab have no place in a report.
fn has_control_chars(s: &str) -> bool {
    s.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
}

/// A plausible e-mail address: one `@`, something on both sides, a dot in the domain, no spaces.
pub fn is_plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_plausibility() {
        assert!(is_plausible_email("a.b@school.nl"));
        assert!(!is_plausible_email("a.b@school"));
        assert!(!is_plausible_email("@school.nl"));
        assert!(!is_plausible_email("a b@school.nl"));
        assert!(!is_plausible_email("a@b@school.nl"));
    }

    #[test]
    fn required_text_rejects_blank_and_long() {
        let mut c = Collector::default();
        c.required_text("summary", "   ", 10);
        c.required_text("description", "12345678901", 10);
        let errs = c.finish().unwrap_err();
        assert_eq!(errs.for_field("summary"), Some("error-required"));
        assert_eq!(errs.for_field("description"), Some("error-too-long"));
    }
}
