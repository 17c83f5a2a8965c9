//! Fuzzes a Quo webhook delivery under the legacy scheme (`openphone-signature`): header parsing, HMAC verification, the body parser and the numbers' E.164 parsing, as `POST /webhooks/openphone` runs them.
#![no_main]

use clubos_connectors::openphone::webhook::Scheme;
use libfuzzer_sys::fuzz_target;

// Input: optional `name: value` header lines, a blank line, then the body. No
// signature header: the harness signs the body with the legacy test key.
fuzz_target!(|data: &[u8]| clubos_fuzz::webhook(data, Scheme::Legacy));
