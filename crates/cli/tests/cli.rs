//! The command line's contract: `check-config` exit codes and messages,
//! `send` refusing bad input before any network call.

use std::process::Command;

fn clubos(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_clubos")).args(args).output().expect("run clubos");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn check_config_accepts_the_example_and_names_file_key_and_reason_otherwise() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/examples/clubos.example.toml");
    let (code, out, err) = clubos(&["check-config", example]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("OK"), "{out}");
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[locations]]\nid = \"x\"\nname = \"X\"\ntimezone = \"Mars/Olympus\"\n").unwrap();
    let (code, _, err) = clubos(&["check-config", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("bad.toml") && err.contains("locations[0].timezone") && err.contains("Mars/Olympus"), "{err}");
    let (code, _, err) = clubos(&["check-config", "/nonexistent/clubos.toml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/clubos.toml"), "{err}");
}

#[test]
fn send_refuses_a_bad_phone_number_with_the_reason() {
    let (code, _, err) = clubos(&["send", "--from", "call me", "hi", "--url", "http://127.0.0.1:9"]);
    assert_ne!(code, 0);
    assert!(err.contains("--from") && err.contains("not a digit"), "{err}");
}
