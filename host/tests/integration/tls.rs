//! HTTPS to VOMO and the external system: a TLS front on 127.0.0.1 before the simulator and the
//! fake CRM, its certificate signed by a CA made in the test and trusted through `ca_file`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use reconciler::bindings::FieldKind;
use reconciler::config::Config;
use reconciler::external::{ExternalClient, ExternalError, PushOutcome};
use reconciler::throttle::Priority;
use reconciler::vomo::{ListQuery, RecordSchema, VomoClient, VomoError};
use reconciler::wiring::Wiring;
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use vomo_sim::{DataSize, ExternalConfig, ExternalHandle, ExternalSystem, SimConfig, SimHandle};

use crate::support::cache_dir;

/// A CA made for one test, and the certificate it signed for `127.0.0.1` and `localhost`.
struct TestCa {
    pem: String,
    server_chain: Vec<CertificateDer<'static>>,
    server_key: PrivateKeyDer<'static>,
}

fn test_ca() -> TestCa {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().expect("a key"))
        .expect("the CA certificate");
    let key = KeyPair::generate().expect("a key");
    let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("server parameters")
        .signed_by(&key, &ca)
        .expect("the server certificate");
    TestCa {
        pem: ca.pem(),
        server_chain: vec![server.der().clone()],
        server_key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

/// TLS on a port of 127.0.0.1, each connection passed on in plain text to `upstream`.
struct TlsFront {
    port: u16,
    /// Connections whose handshake completed.
    handshakes: Arc<AtomicUsize>,
}

impl TlsFront {
    async fn start(ca: &TestCa, upstream: SocketAddr) -> TlsFront {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(ca.server_chain.clone(), ca.server_key.clone_key())
            .expect("the server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let port = listener.local_addr().expect("bound").port();
        let handshakes = Arc::new(AtomicUsize::new(0));

        let counted = Arc::clone(&handshakes);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, counted) = (acceptor.clone(), Arc::clone(&counted));
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                    counted.fetch_add(1, Ordering::SeqCst);
                    let Ok(mut plain) = TcpStream::connect(upstream).await else { return };
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront { port, handshakes }
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

/// A simulated VOMO of one organisation whose users fit on one page, so that no `links.next`
/// (which names the simulator's own plain address) is followed.
async fn one_page_vomo() -> SimHandle {
    let size = DataSize { customers: 1, children_per_customer: 0, ..DataSize::with_users(10) };
    let config = SimConfig { size, rate_limit: None, ..SimConfig::default() };
    vomo_sim::Simulator::start(config).await.expect("the simulator starts")
}

async fn crm() -> ExternalHandle {
    let config = ExternalConfig { port: 0, token: None };
    ExternalSystem::start(config).await.expect("the fake CRM starts")
}

/// What the test's configuration says: VOMO's and the external system's addresses, and
/// whether `vomo.ca_file` names the test's CA (`external.ca_file` always does).
struct Setup<'a> {
    vomo: &'a str,
    vomo_ca: bool,
    external: &'a str,
}

/// Loads a configuration written in `dir` for customer `acme` of `sim`, with the CA's PEM and
/// the token in files beside it.
fn load_config(dir: &Path, sim: &SimHandle, setup: Setup<'_>, ca: &TestCa) -> Config {
    std::fs::write(dir.join("acme.token"), &sim.customers()[0].token).expect("the token file");
    std::fs::write(dir.join("ca.pem"), &ca.pem).expect("the CA file");
    let text = format!(
        "store = \"sqlite://{store}\"\n\
         [vomo]\nbase_url = \"{vomo}\"\n{vomo_ca}\
         [external]\nbase_url = \"{external}\"\nca_file = \"ca.pem\"\n\
         [[customers]]\nid = \"acme\"\ntoken_file = \"acme.token\"\n",
        store = dir.join("store.db").display(),
        vomo = setup.vomo,
        vomo_ca = if setup.vomo_ca { "ca_file = \"ca.pem\"\n" } else { "" },
        external = setup.external,
    );
    let path = dir.join("reconciler.toml");
    std::fs::write(&path, text).expect("the configuration");
    Config::load(&path).expect("the configuration loads")
}

async fn vomo_client(config: Config) -> VomoClient {
    let wiring = Wiring::open(config, &cache_dir()).await.expect("wiring");
    let acme = wiring.customer("acme").expect("acme");
    wiring.vomo(acme).expect("a VOMO client").0
}

async fn listed_ids(client: &VomoClient) -> Result<Vec<u64>, VomoError> {
    let schema = RecordSchema::new([("email".to_owned(), FieldKind::Text)]);
    let mut listing = client.list("users", &ListQuery::default(), Priority::Polling, &schema);
    let mut ids = Vec::new();
    while let Some(page) = listing.next_page().await? {
        ids.extend(page.records.iter().map(|record| record.id));
    }
    Ok(ids)
}

#[tokio::test]
async fn a_vomo_listing_over_https_reads_the_page_with_the_configured_ca() {
    let (ca, sim, dir) = (test_ca(), one_page_vomo().await, TempDir::new().expect("a dir"));
    let front = TlsFront::start(&ca, sim.addr()).await;
    let vomo = format!("https://127.0.0.1:{}/v1", front.port);
    let setup = Setup { vomo: &vomo, vomo_ca: true, external: "https://127.0.0.1:9" };
    let config = load_config(dir.path(), &sim, setup, &ca);
    assert_eq!(config.vomo.ca_file, Some(dir.path().join("ca.pem")), "read beside the file");

    let client = vomo_client(config).await;
    let ids = listed_ids(&client).await.expect("the listing reads over https");
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert!(front.handshakes() >= 1, "the page came through the TLS front");
}

#[tokio::test]
async fn without_the_ca_vomo_fails_naming_the_customer_and_the_untrusted_certificate() {
    let (ca, sim, dir) = (test_ca(), one_page_vomo().await, TempDir::new().expect("a dir"));
    let front = TlsFront::start(&ca, sim.addr()).await;
    let vomo = format!("https://127.0.0.1:{}/v1", front.port);
    let setup = Setup { vomo: &vomo, vomo_ca: false, external: "https://127.0.0.1:9" };
    let config = load_config(dir.path(), &sim, setup, &ca);

    let client = vomo_client(config).await;
    let error = listed_ids(&client).await.expect_err("the certificate is not trusted");
    assert!(matches!(error, VomoError::Untrusted { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("customer `acme`"), "{message}");
    assert!(message.contains("certificate of `127.0.0.1` was not trusted"), "{message}");
    assert!(message.contains("`vomo.ca_file`"), "{message}");
    assert_eq!(client.requests(), 1, "an untrusted certificate is not retried");
    assert_eq!(front.handshakes(), 0);
}

#[tokio::test]
async fn the_external_connector_pushes_over_https_with_the_configured_ca() {
    let (ca, sim, dir) = (test_ca(), one_page_vomo().await, TempDir::new().expect("a dir"));
    let crm = crm().await;
    let front = TlsFront::start(&ca, crm.addr()).await;
    let external = format!("https://127.0.0.1:{}", front.port);
    let setup = Setup { vomo: sim.base_url(), vomo_ca: false, external: &external };
    let config = load_config(dir.path(), &sim, setup, &ca);
    let wiring = Wiring::open(config, &cache_dir()).await.expect("wiring");

    let client = wiring.external().expect("the external client");
    let record = json!({"id": 7, "email": "ann@example.org"});
    let pushed = client.upsert("users", 7, &record).await.expect("the push over https");
    assert_eq!(pushed, PushOutcome::Applied);
    assert!(front.handshakes() >= 1, "the push went through the TLS front");
    let plain = ExternalClient::new(&crm.base_url(), None).expect("a plain client");
    assert_eq!(plain.get("users", 7).await.expect("read back"), Some(record));
}

#[tokio::test]
async fn without_the_ca_the_external_system_is_unreachable_for_its_untrusted_certificate() {
    let (ca, crm) = (test_ca(), crm().await);
    let front = TlsFront::start(&ca, crm.addr()).await;
    let client = ExternalClient::new(&format!("https://127.0.0.1:{}", front.port), None)
        .expect("a client on the system's roots");

    let error = client.upsert("users", 8, &json!({"id": 8})).await.expect_err("untrusted");
    assert!(matches!(error, ExternalError::Unreachable { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("`users/8`"), "{message}");
    assert!(message.contains("certificate of `127.0.0.1` was not trusted"), "{message}");
}
