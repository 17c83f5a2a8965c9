//! One category's autonomy form: its fields as typed (so a refused form
//! comes back as the admin left it), the change applied to the profile's
//! seed JSON and validated by the domain's own parser, and the error put
//! next to the field it is about.

use clubos_domain::{AutonomyProfile, Category, CategoryPolicy, ProfileError};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::view::csrf_field;

/// The form's fields, as text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CategoryForm {
    pub autonomy: Option<String>,
    pub confidence_threshold: String,
    pub require_booking: Option<String>,
    pub cooldown_seconds: String,
    pub window_start: String,
    pub window_end: String,
    pub max_attempts_per_booking: String,
    pub max_fallbacks: String,
    pub use_cheaper_model: Option<String>,
    pub rules: String,
    pub note: String,
}

/// `0.85`, `0.6`: a threshold as people write it.
pub fn threshold_text(x: f64) -> String {
    format!("{x}")
}

impl CategoryForm {
    /// The fields as the policy has them now.
    pub fn of(p: &CategoryPolicy) -> Self {
        let on = |b: bool| b.then(|| "on".to_owned());
        Self {
            autonomy: on(p.autonomy),
            confidence_threshold: threshold_text(p.confidence_threshold),
            require_booking: on(p.require_booking),
            cooldown_seconds: p.cooldown_seconds.to_string(),
            window_start: p.time_restrictions.map(|w| w.start.to_string()).unwrap_or_default(),
            window_end: p.time_restrictions.map(|w| w.end.to_string()).unwrap_or_default(),
            max_attempts_per_booking: p.max_attempts_per_booking.map(|n| n.to_string()).unwrap_or_default(),
            max_fallbacks: p.max_fallbacks.to_string(),
            use_cheaper_model: on(p.use_cheaper_model),
            rules: p.rules.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"),
            note: String::new(),
        }
    }

    fn checked(v: &Option<String>) -> bool {
        v.as_deref().is_some_and(|s| !s.is_empty() && s != "off")
    }

    /// The non-blank lines of the rules box with their line numbers.
    fn rule_lines(&self) -> Vec<(usize, &str)> {
        self.rules.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty()).collect()
    }

    /// `profile` with this category replaced by the form, validated by
    /// [`AutonomyProfile::from_json`]; the error names the field.
    pub fn apply(&self, profile: &AutonomyProfile, category: Category) -> Result<AutonomyProfile, FieldError> {
        let mut root = profile.to_json();
        let mut obj = Map::new();
        obj.insert("autonomy".into(), Value::Bool(Self::checked(&self.autonomy)));
        obj.insert("require_booking".into(), Value::Bool(Self::checked(&self.require_booking)));
        obj.insert("use_cheaper_model".into(), Value::Bool(Self::checked(&self.use_cheaper_model)));
        obj.insert("confidence_threshold".into(), decimal(Field::Threshold, &self.confidence_threshold)?);
        obj.insert("cooldown_seconds".into(), whole(Field::Cooldown, &self.cooldown_seconds, Some(0))?);
        obj.insert("max_fallbacks".into(), whole(Field::Fallbacks, &self.max_fallbacks, Some(0))?);
        obj.insert("max_attempts_per_booking".into(), whole(Field::Attempts, &self.max_attempts_per_booking, None)?);
        let (start, end) = (self.window_start.trim(), self.window_end.trim());
        let window = match (start.is_empty(), end.is_empty()) {
            (true, true) => Value::Null,
            (false, true) => return Err(FieldError::new(Field::WindowEnd, "give an end time too, or clear both")),
            (true, false) => return Err(FieldError::new(Field::WindowStart, "give a start time too, or clear both")),
            (false, false) => serde_json::json!({"start": start, "end": end}),
        };
        obj.insert("time_restrictions".into(), window);
        let lines = self.rule_lines();
        obj.insert("rules".into(), Value::Array(lines.iter().map(|(_, l)| Value::String((*l).to_owned())).collect()));
        root[category.as_str()] = Value::Object(obj);
        AutonomyProfile::from_json(&root.to_string()).map_err(|e| FieldError::of_profile(&e, &lines))
    }
}

/// A number from 0 to 1 (the domain checks the range).
fn decimal(field: Field, text: &str) -> Result<Value, FieldError> {
    let t = text.trim().replace(',', ".");
    if t.is_empty() {
        return Err(FieldError::new(field, "is required (a number from 0 to 1, e.g. 0.85)"));
    }
    match t.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
        Some(n) => Ok(Value::Number(n)),
        None => Err(FieldError::new(field, format!("“{t}” is not a number; write it like 0.85"))),
    }
}

/// A whole number; empty is `default` (`None`: JSON null, "no limit").
fn whole(field: Field, text: &str, default: Option<u64>) -> Result<Value, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(default.map_or(Value::Null, Value::from));
    }
    t.parse::<u64>().map(Value::from).map_err(|_| FieldError::new(field, format!("“{t}” is not a whole number")))
}

/// The form's fields: input name and label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Threshold,
    Cooldown,
    WindowStart,
    WindowEnd,
    Attempts,
    Fallbacks,
    Rules,
    Form,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Threshold => "confidence_threshold",
            Field::Cooldown => "cooldown_seconds",
            Field::WindowStart => "window_start",
            Field::WindowEnd => "window_end",
            Field::Attempts => "max_attempts_per_booking",
            Field::Fallbacks => "max_fallbacks",
            Field::Rules => "rules",
            Field::Form => "form",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Field::Threshold => "Confidence threshold",
            Field::Cooldown => "Cooldown (seconds)",
            Field::WindowStart => "Allowed from",
            Field::WindowEnd => "Allowed until",
            Field::Attempts => "Attempts per booking",
            Field::Fallbacks => "Further attempts after a failure",
            Field::Rules => "Rules",
            Field::Form => "Settings",
        }
    }
}

/// Why the form was refused, and which field it is about.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub field: Field,
    pub message: String,
}

impl FieldError {
    fn new(field: Field, problem: impl Into<String>) -> Self {
        Self { field, message: format!("{}: {}", field.label(), problem.into()) }
    }

    /// The domain's error, put in the words of the form.
    fn of_profile(e: &ProfileError, lines: &[(usize, &str)]) -> Self {
        let key = e.key.as_deref().unwrap_or_default();
        let field = match key {
            "confidence_threshold" => Field::Threshold,
            "cooldown_seconds" => Field::Cooldown,
            "max_attempts_per_booking" => Field::Attempts,
            "max_fallbacks" => Field::Fallbacks,
            "time_restrictions.end" => Field::WindowEnd,
            k if k.starts_with("time_restrictions") => Field::WindowStart,
            k if k.starts_with("rules") => Field::Rules,
            _ => Field::Form,
        };
        let index = key.strip_prefix("rules[").and_then(|r| r.strip_suffix(']')).and_then(|i| i.parse::<usize>().ok());
        match index.and_then(|i| lines.get(i)) {
            Some((line, _)) => Self { field, message: format!("Rules, line {line}: {}", e.problem) },
            None => Self::new(field, e.problem.clone()),
        }
    }
}

/// What the form shows above its fields (a suggestion it was pre-filled with).
pub struct FormView<'a> {
    pub category: Category,
    pub values: &'a CategoryForm,
    pub error: Option<&'a FieldError>,
    pub csrf: &'a str,
    pub banner: Option<Markup>,
}

/// The edit form of one category (admins only).
pub fn render(v: &FormView<'_>) -> Markup {
    let c = v.category.as_str();
    let id = |f: &str| format!("{c}-{f}");
    let err_id = format!("{c}-error");
    let bad = |f: Field| v.error.is_some_and(|e| e.field == f);
    let invalid = |f: Field| bad(f).then_some("true");
    let described = |f: Field| bad(f).then(|| err_id.clone());
    let f = v.values;
    let rules_described = if bad(Field::Rules) { format!("{} {err_id}", id("rules-hint")) } else { id("rules-hint") };
    let number = |field: Field, value: &str, hint: &str, min: &str, step: &str| {
        html! {
            label for=(id(field.name())) { (field.label()) }
            input id=(id(field.name())) type="number" name=(field.name()) value=(value) min=(min) step=(step)
                inputmode="decimal" aria-invalid=[invalid(field)] aria-describedby=[described(field)];
            @if !hint.is_empty() { p.st-hint { (hint) } }
        }
    };
    html! {
        form.st-form method="post" action={"/settings/autonomy/" (c)} {
            (csrf_field(v.csrf))
            @if let Some(b) = &v.banner { (b) }
            @if let Some(e) = v.error {
                p.error id=(err_id) role="alert" { (e.message) }
            }
            label.check { input type="checkbox" name="autonomy" value="on" checked[CategoryForm::checked(&f.autonomy)];
                "Autonomy: the AI may act and reply on its own" }
            label for=(id(Field::Threshold.name())) { (Field::Threshold.label()) }
            input id=(id(Field::Threshold.name())) type="number" name=(Field::Threshold.name())
                value=(f.confidence_threshold) min="0" max="1" step="0.01" inputmode="decimal" required
                aria-invalid=[invalid(Field::Threshold)] aria-describedby=[described(Field::Threshold)];
            p.st-hint { "From 0 to 1. Below it, a human decides." }
            label.check { input type="checkbox" name="require_booking" value="on" checked[CategoryForm::checked(&f.require_booking)];
                "Require an active booking" }
            (number(Field::Cooldown, &f.cooldown_seconds, "Same action on the same target is refused this long.", "0", "1"))
            fieldset.st-window {
                legend { "Time window (local time; leave both empty for any time)" }
                div.st-pair {
                    div {
                        label for=(id(Field::WindowStart.name())) { (Field::WindowStart.label()) }
                        input id=(id(Field::WindowStart.name())) type="time" name="window_start" value=(f.window_start)
                            aria-invalid=[invalid(Field::WindowStart)] aria-describedby=[described(Field::WindowStart)];
                    }
                    div {
                        label for=(id(Field::WindowEnd.name())) { (Field::WindowEnd.label()) }
                        input id=(id(Field::WindowEnd.name())) type="time" name="window_end" value=(f.window_end)
                            aria-invalid=[invalid(Field::WindowEnd)] aria-describedby=[described(Field::WindowEnd)];
                    }
                }
            }
            (number(Field::Attempts, &f.max_attempts_per_booking, "Empty: no limit.", "1", "1"))
            (number(Field::Fallbacks, &f.max_fallbacks, "", "0", "1"))
            label.check { input type="checkbox" name="use_cheaper_model" value="on" checked[CategoryForm::checked(&f.use_cheaper_model)];
                "Use the cheaper model" }
            label for=(id(Field::Rules.name())) { (Field::Rules.label()) " (one per line)" }
            textarea id=(id(Field::Rules.name())) name="rules" rows="3" aria-invalid=[invalid(Field::Rules)]
                aria-describedby=(rules_described) { (f.rules) }
            p.st-hint id=(id("rules-hint")) { "Known rules: “within 10 min of booking”, “no flags”." }
            label for=(id("note")) { "Note for the audit log (optional)" }
            input id=(id("note")) type="text" name="note" maxlength="500" value=(f.note);
            p.actions { button.primary type="submit" { "Save " (c) " settings" } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CategoryForm {
        CategoryForm::of(AutonomyProfile::seed().get(Category::Faq))
    }

    #[test]
    fn unchanged_form_keeps_the_profile() {
        let seed = AutonomyProfile::seed();
        for &c in Category::ALL {
            assert_eq!(CategoryForm::of(seed.get(c)).apply(&seed, c).unwrap(), seed, "{c}");
        }
    }

    #[test]
    fn changes_only_its_category() {
        let seed = AutonomyProfile::seed();
        let mut f = form();
        f.autonomy = None;
        f.confidence_threshold = "0,8".into();
        f.rules = "\n no flags \n".into();
        f.window_start = "09:00".into();
        f.window_end = "17:30".into();
        let p = f.apply(&seed, Category::Faq).unwrap();
        let faq = p.get(Category::Faq);
        assert!(!faq.autonomy);
        assert_eq!(faq.confidence_threshold, 0.8);
        assert_eq!(faq.rules, vec![clubos_domain::Rule::NoFlags]);
        assert_eq!(faq.time_restrictions.unwrap().to_string(), "09:00–17:30");
        for c in [Category::Tech, Category::Booking, Category::Access] {
            assert_eq!(p.get(c), seed.get(c));
        }
    }

    #[test]
    fn errors_name_the_field() {
        let seed = AutonomyProfile::seed();
        let mut f = form();
        f.confidence_threshold = "1.5".into();
        let e = f.apply(&seed, Category::Faq).unwrap_err();
        assert_eq!(
            (e.field, e.message.as_str()),
            (Field::Threshold, "Confidence threshold: must be from 0 to 1, got 1.5")
        );
        let mut f = form();
        f.rules = "no flags\n\nalways on".into();
        let e = f.apply(&seed, Category::Faq).unwrap_err();
        assert_eq!(e.field, Field::Rules);
        assert!(e.message.starts_with("Rules, line 3: rule `always on` is not understood"), "{}", e.message);
        let mut f = form();
        f.cooldown_seconds = "-5".into();
        assert_eq!(f.apply(&seed, Category::Faq).unwrap_err().field, Field::Cooldown);
        let mut f = form();
        f.window_start = "25:00".into();
        f.window_end = "10:00".into();
        assert_eq!(f.apply(&seed, Category::Faq).unwrap_err().field, Field::WindowStart);
        let mut f = form();
        f.max_attempts_per_booking = "0".into();
        let e = f.apply(&seed, Category::Faq).unwrap_err();
        assert!(e.message.starts_with("Attempts per booking: must be from 1 to 100"), "{}", e.message);
    }

    #[test]
    fn thresholds_read_naturally() {
        assert_eq!(threshold_text(0.85), "0.85");
        assert_eq!(threshold_text(0.9), "0.9");
        assert_eq!(threshold_text(1.0), "1");
    }
}
