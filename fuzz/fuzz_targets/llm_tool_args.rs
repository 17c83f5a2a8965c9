//! Fuzzes the LLM's `operator_decision` tool-call arguments (`llm::tool::parse`, the JSON string OpenAI returns, and `llm::tool::parse_value`, the object Anthropic returns).
#![no_main]

use clubos_agent::llm::tool;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = tool::parse(text) {
        assert!((0.0..=1.0).contains(&c.confidence.get()), "{c:?}");
    }
    if let Ok(value) = serde_json::from_str(text) {
        let _ = tool::parse_value(value);
    }
});
