//! The binary as operators run it.

use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_misp-modules");

/// `misp-modules -t` with the web UI on a fresh database in a temporary folder.
fn test_mode(vars: &[(&str, &str)]) -> std::process::Output {
    let dir = std::env::temp_dir().join(format!(
        "misp-modules-cli-{}-{}",
        std::process::id(),
        vars.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let database = format!(
        "sqlite://{}/ui-{}.db",
        dir.display(),
        vars.iter().map(|(_, v)| v.len()).sum::<usize>()
    );
    let mut command = Command::new(BINARY);
    command
        .args(["-t", "-l", "127.0.0.1", "-p", "0", "--web-port", "0"])
        .args(["--database-url", &database])
        .env_remove("ADMIN_PASSWORD")
        .env_remove("SECRET_KEY")
        .env_remove("DATABASE_URL");
    for (key, value) in vars {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn test_mode_loads_binds_and_exits() {
    let output = test_mode(&[("ADMIN_PASSWORD", "a-long-enough-owner-pass")]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("started"));
}

#[test]
fn the_web_ui_fails_closed_without_safe_secrets() {
    let cases: [(&[(&str, &str)], &str); 3] = [
        (&[], "set ADMIN_PASSWORD"),
        (
            &[("ADMIN_PASSWORD", "Password1234")],
            "ADMIN_PASSWORD is refused",
        ),
        (
            &[
                ("ADMIN_PASSWORD", "a-long-enough-owner-pass"),
                ("SECRET_KEY", "your-secure-secret-key"),
            ],
            "SECRET_KEY is refused",
        ),
    ];
    for (vars, expected) in cases {
        let output = test_mode(vars);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(expected), "{expected}: {stderr}");
        for (_, value) in vars {
            assert!(
                !stderr.contains(value),
                "a secret reached the log: {stderr}"
            );
        }
    }
    // The module API alone needs none of it.
    let api_only = Command::new(BINARY)
        .args(["-t", "-l", "127.0.0.1", "-p", "0", "--no-web"])
        .env_remove("ADMIN_PASSWORD")
        .output()
        .unwrap();
    assert!(api_only.status.success());
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
