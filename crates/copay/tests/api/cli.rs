//! The `copay` binary's commands, run as a user would run them.

use std::process::Command;

use serde_json::Value;

use crate::harness::{Backend, drop_database, fresh_database};

fn copay(args: &[&str], database_url: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_copay"))
        .args(args)
        .env("COPAY_DATABASE_URL", database_url)
        .env_remove("COPAY_JSON")
        .output()
        .expect("run copay")
}

async fn tenant_create_prints_one_json_object_and_verify_checks(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(backend, &dir).await;

    let out = copay(&["migrate"], &url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = copay(
        &[
            "tenant",
            "create",
            "north-clinic",
            "--name",
            "North Clinic",
            "--json",
        ],
        &url,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one line: {stdout}"
    );
    let created: Value = serde_json::from_str(stdout.trim()).unwrap();
    let keys: Vec<&str> = created
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "api_key",
            "client_id",
            "client_secret",
            "tenant",
            "tenant_id"
        ]
    );
    assert_eq!(created["tenant"], "north-clinic");
    assert!(created["api_key"].as_str().unwrap().starts_with("cpk_"));
    assert!(
        created["client_secret"]
            .as_str()
            .unwrap()
            .starts_with("cps_")
    );

    // The same slug twice is refused.
    let out = copay(&["tenant", "create", "north-clinic", "--json"], &url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    let out = copay(&["tenant", "list", "--json"], &url);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["tenant"], "north-clinic");
    assert_eq!(listed[0]["name"], "North Clinic");
    // Secrets are never listed.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("cpk_"));

    let out = copay(&["verify"], &url);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));
    if backend == Backend::Postgres {
        drop_database(&url).await;
    }
}

#[tokio::test]
async fn sqlite_tenant_create_prints_one_json_object_and_verify_checks() {
    tenant_create_prints_one_json_object_and_verify_checks(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_tenant_create_prints_one_json_object_and_verify_checks() {
    tenant_create_prints_one_json_object_and_verify_checks(Backend::Postgres).await;
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["tenant", "--help"],
        vec!["tenant", "create", "--help"],
        vec!["tenant", "list", "--help"],
        vec!["verify", "--help"],
        vec!["payers", "--help"],
        vec!["payers", "import", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_copay"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(text.contains("Usage:"), "{args:?}: {text}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_copay"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    for env in ["COPAY_LISTEN", "COPAY_DATABASE_URL", "COPAY_LOG_FORMAT"] {
        assert!(text.contains(env), "{env} not documented in serve --help");
    }
}
