//! The one-paragraph summary an escalation carries: what the customer said,
//! what OperatorGPT understood, what was attempted and why a human is needed.

use clubos_domain::ReasonCode;

/// Builds the summary shown on an escalated thread.
pub fn summary(
    text: &str,
    understood: Option<&str>,
    attempted: &[String],
    reason: Option<ReasonCode>,
    why: &str,
) -> String {
    let mut quote: String = text.chars().take(200).collect();
    if quote.len() < text.len() {
        quote.push('…');
    }
    let mut s = format!("Customer wrote: \"{}\".", quote.replace('\n', " / "));
    if let Some(u) = understood {
        s.push_str(&format!(" OperatorGPT understood: {u}."));
    }
    if attempted.is_empty() {
        s.push_str(" Nothing was attempted.");
    } else {
        s.push_str(&format!(" Attempted: {}.", attempted.join("; ")));
    }
    match reason {
        Some(r) => s.push_str(&format!(" Escalated ({r}): {why}")),
        None => s.push_str(&format!(" Escalated: {why}")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_one_paragraph() {
        let s = summary(
            "trackman frozen\nbay 3",
            Some("tech/trackman_frozen, confidence 0.93"),
            &["reset_trackman bay:3 → failed (HTTP 500)".into()],
            Some(ReasonCode::ActionFailed),
            "the device did not respond to the reset.",
        );
        assert_eq!(
            s,
            "Customer wrote: \"trackman frozen / bay 3\". OperatorGPT understood: tech/trackman_frozen, confidence 0.93. \
             Attempted: reset_trackman bay:3 → failed (HTTP 500). Escalated (action_failed): the device did not respond to the reset."
        );
        assert!(summary(&"x".repeat(500), None, &[], None, "idle").contains("xxx…\""));
    }
}
