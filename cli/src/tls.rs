//! TLS to PostgreSQL with libpq's `sslmode` semantics (tokio-postgres itself only knows
//! `disable`, `prefer` and `require`, and never verifies anything: that is up to the
//! connector). The connector is rustls with the ring provider (cargo feature `tls`, on by
//! default).
//!
//! | `sslmode`     | encrypted              | certificate checked                        |
//! |---------------|------------------------|--------------------------------------------|
//! | `disable`     | no                     | -                                          |
//! | `prefer` (default) | if the server offers TLS | no                                 |
//! | `require`     | yes                    | no; with `sslrootcert`, the chain (as libpq) |
//! | `verify-ca`   | yes                    | the chain, against `sslrootcert` or the system roots |
//! | `verify-full` | yes                    | the chain, and that it names the host      |
//!
//! `sslrootcert=<file>` is a PEM file of CA certificates; `sslrootcert=system` (or no
//! `sslrootcert`) uses the system's roots. `PGSSLMODE` / `PGSSLROOTCERT` apply when the URL
//! does not say, as with libpq.

use std::fmt;

/// libpq's `sslmode`, minus `allow` (plaintext first, TLS if refused), which tokio-postgres
/// cannot do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<SslMode, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            "allow" => {
                return Err(
                    "sslmode=allow is not supported: use sslmode=disable or sslmode=prefer"
                        .to_string(),
                );
            }
            other => {
                return Err(format!(
                    "invalid sslmode `{other}` in the database URL: use disable, prefer, require, verify-ca or verify-full"
                ));
            }
        })
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        })
    }
}

/// The TLS part of a database URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsParams {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file, or `system`.
    pub root_cert: Option<String>,
}

impl TlsParams {
    /// What is checked: libpq verifies the chain under `require` when a root certificate
    /// file is given.
    fn verification(&self) -> SslMode {
        match (self.mode, &self.root_cert) {
            (SslMode::Require, Some(file)) if file != "system" => SslMode::VerifyCa,
            (mode, _) => mode,
        }
    }
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|b| hex(*b)),
            bytes.get(i + 2).and_then(|b| hex(*b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL (tokio-postgres would reject
/// `verify-*` and `sslrootcert`) and returns the URL without them. `env` looks up
/// `PGSSLMODE` / `PGSSLROOTCERT` for what the URL does not say.
pub fn split_url(
    url: &str,
    env: impl Fn(&str) -> Option<String>,
) -> Result<(String, TlsParams), String> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut mode = None;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(SslMode::parse(&percent_decode(value))?),
            "sslrootcert" => root_cert = Some(percent_decode(value)),
            "sslcert" | "sslkey" | "sslpassword" => {
                return Err(format!(
                    "`{key}` (client certificates) is not supported in database URLs"
                ));
            }
            _ => kept.push(pair),
        }
    }
    let mode = match mode {
        Some(mode) => mode,
        None => match env("PGSSLMODE").filter(|v| !v.is_empty()) {
            Some(value) => SslMode::parse(&value).map_err(|e| format!("PGSSLMODE: {e}"))?,
            None => SslMode::Prefer,
        },
    };
    let root_cert = root_cert
        .or_else(|| env("PGSSLROOTCERT"))
        .filter(|v| !v.is_empty());
    let stripped = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((stripped, TlsParams { mode, root_cert }))
}

/// Connects with `config` as `params` says; errors name the sslmode but never the URL (the
/// caller adds the redacted one).
pub async fn connect(
    mut config: tokio_postgres::Config,
    params: &TlsParams,
) -> Result<tokio_postgres::Client, String> {
    use tokio_postgres::config::SslMode as PgMode;
    config.ssl_mode(match params.mode {
        SslMode::Disable => PgMode::Disable,
        SslMode::Prefer => PgMode::Prefer,
        SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => PgMode::Require,
    });
    if params.mode == SslMode::Disable {
        return spawn(config.connect(tokio_postgres::NoTls).await, params);
    }
    connect_tls(config, params).await
}

fn spawn<S, T>(
    connected: Result<
        (tokio_postgres::Client, tokio_postgres::Connection<S, T>),
        tokio_postgres::Error,
    >,
    params: &TlsParams,
) -> Result<tokio_postgres::Client, String>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (client, connection) = connected.map_err(|e| describe(&e, params))?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::warn!(%error, "PostgreSQL connection closed");
        }
    });
    Ok(client)
}

/// The driver's error, plus what the sslmode asked for when the handshake failed.
fn describe(error: &tokio_postgres::Error, params: &TlsParams) -> String {
    // tokio-postgres's Display is the kind only ("error performing TLS handshake"); the
    // reason is in the source chain.
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    if !text.contains("TLS") && !text.contains("certificate") {
        return text;
    }
    let roots = match params.root_cert.as_deref() {
        Some("system") | None => "the system's root certificates".to_string(),
        Some(file) => format!("the CA certificates in sslrootcert={file}"),
    };
    let checked = match params.verification() {
        SslMode::VerifyFull => {
            format!("the server's certificate must chain to {roots} and name the host")
        }
        SslMode::VerifyCa => format!("the server's certificate must chain to {roots}"),
        _ => return text,
    };
    format!("{text} (sslmode={}: {checked})", params.mode)
}

#[cfg(not(feature = "tls"))]
async fn connect_tls(
    config: tokio_postgres::Config,
    params: &TlsParams,
) -> Result<tokio_postgres::Client, String> {
    match params.mode {
        // Plaintext unless the server insists: without a TLS connector that is plaintext.
        SslMode::Prefer => spawn(config.connect(tokio_postgres::NoTls).await, params),
        mode => Err(format!(
            "sslmode={mode} needs TLS, and this strata was built without it (cargo feature `tls` of strata-cli)"
        )),
    }
}

#[cfg(feature = "tls")]
async fn connect_tls(
    config: tokio_postgres::Config,
    params: &TlsParams,
) -> Result<tokio_postgres::Client, String> {
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(verifying::client_config(params)?);
    spawn(config.connect(tls).await, params)
}

#[cfg(feature = "tls")]
mod verifying {
    use std::sync::Arc;

    use rustls::client::WebPkiServerVerifier;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{
        CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
    };

    use super::{SslMode, TlsParams};

    pub fn client_config(params: &TlsParams) -> Result<ClientConfig, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match params.verification() {
            SslMode::VerifyFull => webpki(params, &provider)?,
            SslMode::VerifyCa => Arc::new(Relaxed {
                chain: Some(webpki(params, &provider)?),
                provider,
            }),
            _ => Arc::new(Relaxed {
                provider,
                chain: None,
            }),
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn webpki(
        params: &TlsParams,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<WebPkiServerVerifier>, String> {
        let roots = Arc::new(roots(params.root_cert.as_deref())?);
        WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| format!("TLS configuration: {e}"))
    }

    fn roots(file: Option<&str>) -> Result<RootCertStore, String> {
        let mut store = RootCertStore::empty();
        match file {
            Some(path) if path != "system" => {
                let certificates = CertificateDer::pem_file_iter(path)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| format!("cannot read sslrootcert={path}: {e}"))?;
                let (added, _) = store.add_parsable_certificates(certificates);
                if added == 0 {
                    return Err(format!("sslrootcert={path} holds no usable CA certificate"));
                }
            }
            _ => {
                let found = rustls_native_certs::load_native_certs();
                store.add_parsable_certificates(found.certs);
                if store.is_empty() {
                    return Err(
                        "no system root certificates found for certificate verification: give the CA with sslrootcert=<file.pem>".to_string()
                    );
                }
            }
        }
        Ok(store)
    }

    /// The modes weaker than `verify-full`. `require` / `prefer` (`chain: None`): encrypted,
    /// the certificate accepted as it is (libpq without a root certificate). `verify-ca`
    /// (`chain: Some`): the chain must verify, the host name is not compared; webpki checks
    /// the chain before the name, so a name mismatch means the chain is good. Either way the
    /// handshake signature is checked against the certificate presented.
    #[derive(Debug)]
    struct Relaxed {
        provider: Arc<CryptoProvider>,
        chain: Option<Arc<WebPkiServerVerifier>>,
    }

    impl ServerCertVerifier for Relaxed {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            let Some(chain) = &self.chain else {
                return Ok(ServerCertVerified::assertion());
            };
            match chain.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                )) => Ok(ServerCertVerified::assertion()),
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> Result<(String, TlsParams), String> {
        split_url(url, |_| None)
    }

    #[test]
    fn sslmode_and_sslrootcert_are_taken_out() {
        let (url, params) = split("postgres://u:p@h/db?application_name=x&sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem").unwrap();
        assert_eq!(url, "postgres://u:p@h/db?application_name=x");
        assert_eq!(
            params,
            TlsParams {
                mode: SslMode::VerifyFull,
                root_cert: Some("/tmp/ca.pem".into())
            }
        );
        let (url, params) = split("postgres://h/db?sslmode=disable").unwrap();
        assert_eq!(
            (url.as_str(), params.mode),
            ("postgres://h/db", SslMode::Disable)
        );
        let (url, params) = split("postgres://h/db").unwrap();
        assert_eq!(
            (url.as_str(), params.mode, params.root_cert),
            ("postgres://h/db", SslMode::Prefer, None)
        );
    }

    #[test]
    fn unknown_modes_are_clear_errors() {
        let error = split("postgres://u:secret@h/db?sslmode=verify_full").unwrap_err();
        assert!(
            error.contains("invalid sslmode `verify_full`") && !error.contains("secret"),
            "{error}"
        );
        assert!(
            split("postgres://h/db?sslmode=allow")
                .unwrap_err()
                .contains("not supported")
        );
        assert!(
            split("postgres://h/db?sslcert=/c.pem")
                .unwrap_err()
                .contains("client certificates")
        );
    }

    #[test]
    fn environment_applies_when_the_url_is_silent() {
        let env = |name: &str| match name {
            "PGSSLMODE" => Some("require".to_string()),
            "PGSSLROOTCERT" => Some("/ca.pem".to_string()),
            _ => None,
        };
        let (_, params) = split_url("postgres://h/db", env).unwrap();
        assert_eq!(
            params,
            TlsParams {
                mode: SslMode::Require,
                root_cert: Some("/ca.pem".into())
            }
        );
        assert_eq!(
            params.verification(),
            SslMode::VerifyCa,
            "require with a root certificate checks the chain, as libpq"
        );
        let (_, params) = split_url("postgres://h/db?sslmode=disable", env).unwrap();
        assert_eq!(params.mode, SslMode::Disable);
    }
}
