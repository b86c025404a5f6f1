//! Every outgoing HTTP client is built here: TLS through rustls with the ring provider, servers
//! verified against the system's roots and any extra roots configured for the system reached.

use std::error::Error;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls::{ClientConfig, RootCertStore};
use rustls_platform_verifier::Verifier;

/// Root certificates trusted besides the system's: a private CA's, or a TLS-inspecting proxy's.
#[derive(Debug, Clone, Default)]
pub struct ExtraRoots(Vec<CertificateDer<'static>>);

impl ExtraRoots {
    /// Reads the PEM certificates in `path`. A file holding none, or one that cannot be a root,
    /// is an error naming the file.
    pub fn read(path: &Path) -> Result<ExtraRoots, String> {
        let shown = path.display();
        let pem = std::fs::read(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        let certs = CertificateDer::pem_slice_iter(&pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("`{shown}` is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err(format!("`{shown}` holds no PEM certificate"));
        }

        for (index, cert) in certs.iter().enumerate() {
            RootCertStore::empty().add(cert.clone()).map_err(|e| {
                format!("certificate {} in `{shown}` cannot be a root: {e}", index + 1)
            })?;
        }
        Ok(ExtraRoots(certs))
    }
}

/// How a client verifies the servers it reaches. Clones share one verifier, so the system's
/// roots are read once per trust, not once per client.
#[derive(Debug, Clone)]
pub struct Trust(Arc<ClientConfig>);

static SYSTEM: LazyLock<Trust> = LazyLock::new(|| Trust::build(&ExtraRoots::default()));

impl Trust {
    /// The system's roots alone, shared by every client that adds none.
    pub fn system() -> Trust {
        SYSTEM.clone()
    }

    /// The system's roots and `extra`.
    pub fn with_roots(extra: &ExtraRoots) -> Trust {
        if extra.0.is_empty() {
            return Trust::system();
        }
        Trust::build(extra)
    }

    fn build(extra: &ExtraRoots) -> Trust {
        // Passed here rather than installed as the process's default, so no client depends on
        // which code ran first; ring because aws-lc-rs needs cmake to build.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = verifier(extra, &provider);
        // `dangerous` only because the verifier is not rustls's own; it verifies in full.
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Trust(Arc::new(config))
    }
}

/// The system's roots through rustls-platform-verifier, plus `extra`.
fn verifier(extra: &ExtraRoots, provider: &Arc<CryptoProvider>) -> Arc<dyn ServerCertVerifier> {
    let error = match Verifier::new_with_extra_roots(extra.0.iter().cloned(), provider.clone()) {
        Ok(verifier) => return Arc::new(verifier),
        Err(error) => error,
    };

    // Only a system without a single CA certificate gets here, the extra roots having been
    // checked when read. Mozilla's roots, compiled in, keep https usable in a bare container.
    tracing::warn!(%error, "no system root certificates; trusting Mozilla's compiled-in roots");
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
    roots.add_parsable_certificates(extra.0.iter().cloned());
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("Mozilla's roots are not empty")
}

/// A client builder whose connections verify servers as `trust` says; the caller adds its
/// timeouts.
pub fn builder(trust: &Trust) -> reqwest::ClientBuilder {
    reqwest::Client::builder().tls_backend_preconfigured(ClientConfig::clone(&trust.0))
}

/// Why the server's certificate was refused, when that is why `error` happened.
pub fn untrusted(error: &reqwest::Error) -> Option<String> {
    let mut cause: Option<&(dyn Error + 'static)> = Some(error);
    while let Some(current) = cause {
        if let Some(tls @ rustls::Error::InvalidCertificate(_)) = current.downcast_ref() {
            return Some(tls.to_string());
        }
        // rustls's error travels inside `io::Error`s, whose `source` skips what they wrap.
        cause = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn Error + 'static)),
            None => current.source(),
        };
    }
    None
}

/// What went wrong with a request, saying so when the server's certificate was not trusted:
/// reqwest's own message names only the URL.
pub fn failure(error: &reqwest::Error) -> String {
    match untrusted(error) {
        Some(reason) => {
            let host = error.url().and_then(|url| url.host_str()).unwrap_or("the server");
            format!("the certificate of `{host}` was not trusted ({reason})")
        }
        None => error.to_string(),
    }
}
