//! TLS to PostgreSQL from the `strata` binary, against real servers: the machine's server
//! (ssl = on with Debian's snakeoil certificate) and a private cluster serving a certificate
//! this test generates (its own CA; the server's certificate names `localhost` and
//! 127.0.0.1; only TLS connections are allowed by its pg_hba.conf).
//!
//! `strata check` prints what the server's `pg_stat_ssl` says about its own session, so
//! "over TLS (TLSv1.3, ...)" is the server's view, not the client's.
//!
//! Built without the `tls` feature, only the last test runs: TLS modes are a clear error.

#![cfg_attr(not(feature = "tls"), allow(unused))]

#[path = "../../tests/cluster/mod.rs"]
mod cluster;
#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use std::fs;
use std::path::{Path, PathBuf};

use cluster::{ClusterOptions, PrivateCluster, ServerTls};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use support::strata;

const PASSWORD: &str = "hunter2";

fn project() -> tempfile::TempDir {
    support::project(&[(
        "migrations/001_users.sql",
        "-- UP\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- DOWN\nDROP TABLE users;\n",
    )])
}

/// A CA, written to `dir/<name>.pem`, and the issuer to sign with.
fn ca(dir: &Path, name: &str) -> (PathBuf, CertifiedIssuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, format!("strata test {name}"));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key"))
        .expect("CA certificate");
    let path = dir.join(format!("{name}.pem"));
    fs::write(&path, issuer.pem()).expect("write CA");
    (path, issuer)
}

/// A server certificate for `localhost` and 127.0.0.1 signed by `issuer`.
fn server_tls(issuer: &CertifiedIssuer<'static, KeyPair>) -> ServerTls {
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, issuer).expect("server certificate");
    ServerTls {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

fn assert_no_password(stdout: &str, stderr: &str) {
    assert!(
        !stdout.contains(PASSWORD) && !stderr.contains(PASSWORD),
        "a password leaked:\n{stdout}\n{stderr}"
    );
}

/// The machine's PostgreSQL (ssl = on, snakeoil certificate for `localhost`).
#[cfg(feature = "tls")]
#[tokio::test]
async fn shared_server_require_is_encrypted_and_verify_full_checks_the_ca() {
    let db = common::TestDb::new("cli_tls").await;
    let port = common::server_address()
        .rsplit_once(':')
        .map(|(_, p)| p.to_string())
        .expect("port");
    let name = db.name.clone();
    tokio::task::spawn_blocking(move || {
        let dir = project();
        let base = format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/{name}");

        let require = format!("{base}?sslmode=require");
        let (code, stdout, stderr) = strata(dir.path(), &require, &["up"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("applied 1 migration(s)"), "{stdout}");
        let (code, stdout, stderr) = strata(dir.path(), &require, &["check"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("over TLS (TLSv1."), "the server sees a TLS session: {stdout}");
        assert_eq!(strata(dir.path(), &require, &["status"]).0, 0);

        // The same check tells a plaintext session apart.
        let (code, stdout, stderr) = strata(dir.path(), &format!("{base}?sslmode=disable"), &["check"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.contains("without TLS"), "{stdout}");

        // verify-full against a CA that did not sign the snakeoil certificate.
        let (ca_path, _) = ca(dir.path(), "unrelated-ca");
        let url = format!(
            "postgres://postgres:{PASSWORD}@localhost:{port}/{name}?sslmode=verify-full&sslrootcert={}",
            ca_path.display()
        );
        let (code, stdout, stderr) = strata(dir.path(), &url, &["status"]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert!(stderr.contains("TLS") && stderr.contains("certificate"), "{stderr}");
        assert!(stderr.contains("UnknownIssuer"), "{stderr}");
        assert!(stderr.contains(&format!("postgres:***@localhost:{port}")), "{stderr}");
        assert_no_password(&stdout, &stderr);

        // An sslmode libpq does not know is refused before connecting.
        let (code, stdout, stderr) = strata(dir.path(), &format!("{base}?sslmode=verify_full"), &["status"]);
        assert_eq!(code, 1);
        assert!(stderr.contains("invalid sslmode `verify_full`"), "{stderr}");
        assert_no_password(&stdout, &stderr);
    })
    .await
    .expect("scenario");
}

/// A private cluster with a certificate from a CA made here, TLS-only in pg_hba.conf.
#[cfg(feature = "tls")]
#[test]
fn private_cluster_verify_full_and_verify_ca() {
    let certs = tempfile::tempdir().expect("tmp");
    let (ca_path, issuer) = ca(certs.path(), "ca");
    let (other_ca, _) = ca(certs.path(), "other-ca");
    let cluster = PrivateCluster::start_with(ClusterOptions {
        tls: Some(server_tls(&issuer)),
        tls_only: true,
    });
    let port = cluster.port();
    let dir = project();
    let url = |host: &str, query: &str| {
        format!("postgres://postgres:{PASSWORD}@{host}:{port}/postgres?{query}")
    };
    let root = |path: &Path| format!("sslrootcert={}", path.display());

    // The host name is in the certificate, the certificate chains to the CA given.
    let verify_full = url(
        "localhost",
        &format!("sslmode=verify-full&{}", root(&ca_path)),
    );
    let (code, stdout, stderr) = strata(dir.path(), &verify_full, &["up"]);
    assert_eq!(code, 0, "{stderr}\n{}", cluster.log());
    let (code, stdout_check, stderr) = strata(dir.path(), &verify_full, &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("applied 1 migration(s)") && stdout_check.contains("over TLS (TLSv1."),
        "{stdout}{stdout_check}"
    );
    // An IP address is checked against the certificate's IP names.
    let (code, _, stderr) = strata(
        dir.path(),
        &url(
            "127.0.0.1",
            &format!("sslmode=verify-full&{}", root(&ca_path)),
        ),
        &["status"],
    );
    assert_eq!(code, 0, "{stderr}");

    // A host name the certificate does not name (reached through hostaddr): verify-full
    // refuses, verify-ca (the chain only) accepts.
    let elsewhere = |mode: &str| {
        url(
            "db.not-in-the-cert.invalid",
            &format!("hostaddr=127.0.0.1&sslmode={mode}&{}", root(&ca_path)),
        )
    };
    let (code, stdout, stderr) = strata(dir.path(), &elsewhere("verify-full"), &["status"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("not valid for name") && stderr.contains("certificate"),
        "{stderr}"
    );
    assert_no_password(&stdout, &stderr);
    let (code, _, stderr) = strata(dir.path(), &elsewhere("verify-ca"), &["status"]);
    assert_eq!(code, 0, "{stderr}");

    // Another CA: verify-ca refuses, and so does require with sslrootcert (as libpq).
    for mode in ["verify-ca", "require"] {
        let (code, stdout, stderr) = strata(
            dir.path(),
            &url("localhost", &format!("sslmode={mode}&{}", root(&other_ca))),
            &["status"],
        );
        assert_eq!(code, 1, "{mode}: {stdout}");
        assert!(stderr.contains("UnknownIssuer"), "{mode}: {stderr}");
        assert_no_password(&stdout, &stderr);
    }
    // require without a root certificate encrypts and checks nothing (libpq's meaning).
    let (code, stdout, stderr) =
        strata(dir.path(), &url("127.0.0.1", "sslmode=require"), &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("over TLS"), "{stdout}");

    // pg_hba.conf allows only TLS: plaintext is refused by the server, prefer (the default)
    // upgrades.
    let (code, stdout, stderr) = strata(
        dir.path(),
        &url("127.0.0.1", "sslmode=disable"),
        &["status"],
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stderr.contains("pg_hba.conf") && stderr.contains("no encryption"),
        "{stderr}"
    );
    assert_no_password(&stdout, &stderr);
    let (code, stdout, stderr) = strata(
        dir.path(),
        &format!("postgres://postgres:{PASSWORD}@127.0.0.1:{port}/postgres"),
        &["check"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("over TLS"), "{stdout}");
}

/// Without the `tls` feature: plaintext still works, TLS modes say what is missing.
#[cfg(not(feature = "tls"))]
#[tokio::test]
async fn without_the_feature_tls_modes_are_a_clear_error() {
    let db = common::TestDb::new("cli_no_tls").await;
    let base = format!(
        "postgres://postgres:{PASSWORD}@{}/{}",
        common::server_address(),
        db.name
    );
    tokio::task::spawn_blocking(move || without_the_feature(&base))
        .await
        .expect("scenario");
}

#[cfg(not(feature = "tls"))]
fn without_the_feature(base: &str) {
    let dir = project();
    for mode in ["require", "verify-ca", "verify-full"] {
        let (code, stdout, stderr) =
            strata(dir.path(), &format!("{base}?sslmode={mode}"), &["status"]);
        assert_eq!(code, 1, "{stdout}");
        assert!(
            stderr.contains(&format!("sslmode={mode} needs TLS")) && stderr.contains("`tls`"),
            "{stderr}"
        );
        assert_no_password(&stdout, &stderr);
    }
    let (code, stdout, stderr) = strata(dir.path(), &format!("{base}?sslmode=disable"), &["check"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("without TLS"), "{stdout}");
}
