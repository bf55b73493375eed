//! The binary as operators run it.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_misp-modules");

#[test]
fn test_mode_loads_binds_and_exits() {
    let output = Command::new(BINARY)
        .args(["-t", "-l", "127.0.0.1", "-p", "0", "--web-port", "0"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("started"));
}

#[test]
fn system_flag_needs_a_value_and_unknown_flags_fail() {
    assert_eq!(
        Command::new(BINARY)
            .arg("-s")
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        Command::new(BINARY)
            .args(["-m", "x"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert!(
        Command::new(BINARY)
            .args(["-t", "-s", "x", "-p", "0", "--no-web"])
            .output()
            .unwrap()
            .status
            .success()
    );
}

#[test]
fn a_busy_port_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(BINARY)
        .args(["-t", "-l", "127.0.0.1", "-p", &port, "--no-web"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot listen on 127.0.0.1"));
}
