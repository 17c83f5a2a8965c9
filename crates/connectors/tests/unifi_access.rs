//! The UniFi Access client against a local controller: the Open API's wire
//! format over plain HTTP (wiremock), and TLS with a self-signed certificate
//! trusted by CA file, by pinned fingerprint, or not at all.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use clubos_connectors::http::ApiKey;
use clubos_connectors::unifi::{Trust, UnifiAccess, UnifiConfig};
use clubos_connectors::{ConnectorError, DeviceOutcome, DoorControl};
use clubos_domain::{DoorId, LocationId};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
/// `openssl x509 -in tests/fixtures/unifi-controller.crt -noout -fingerprint -sha256`
const FINGERPRINT: &str =
    "2B:4F:0A:CD:6B:CE:D9:CB:67:C9:A8:EA:91:86:17:1D:FF:83:F8:E2:10:DD:F0:B7:68:C0:06:F7:AD:84:46:FD";

fn loc() -> LocationId {
    LocationId::parse("bedford").unwrap()
}

fn front() -> DoorId {
    DoorId::parse("front").unwrap()
}

fn client(base: &str, trust: Trust) -> UnifiAccess {
    UnifiAccess::new(UnifiConfig {
        base_url: base.to_owned(),
        token: ApiKey::new("ua-test-token"),
        doors: HashMap::from([((loc(), front()), "0ed545f8-2fcd-4839-9021-b39e707f6aa9".to_owned())]),
        trust,
        request_timeout: Duration::from_millis(500),
    })
    .unwrap()
}

const UNLOCK: &str = "/api/v1/developer/doors/0ed545f8-2fcd-4839-9021-b39e707f6aa9/unlock";

#[tokio::test]
async fn unlocks_with_the_documented_request() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(UNLOCK))
        .and(header("authorization", "Bearer ua-test-token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": "SUCCESS", "msg": "success", "data": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let out = client(&server.uri(), Trust::Default).unlock_door(&loc(), &front()).await;
    assert_eq!(out, Ok(DeviceOutcome::Confirmed));
}

#[tokio::test]
async fn any_other_code_is_a_refusal_with_the_controllers_message() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"code": "CODE_RESOURCE_NOT_FOUND", "msg": "door not found", "data": null})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server.uri(), Trust::Default).unlock_door(&loc(), &front()).await.unwrap_err();
    assert_eq!(
        err,
        ConnectorError::Rejected {
            vendor: "unifi_access",
            message: "200 OK: CODE_RESOURCE_NOT_FOUND door not found".into()
        }
    );

    let expired = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"code": "CODE_UNAUTHORIZED", "msg": "token expired"})),
        )
        .mount(&expired)
        .await;
    let err = client(&expired.uri(), Trust::Default).unlock_door(&loc(), &front()).await.unwrap_err();
    assert!(err.to_string().contains("CODE_UNAUTHORIZED token expired"), "{err}");
    assert!(!err.to_string().contains("ua-test-token"));
}

#[tokio::test]
async fn unknown_doors_server_errors_and_timeouts() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"code": "SUCCESS"})).set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;
    let c = client(&server.uri(), Trust::Default);
    let back = DoorId::parse("back").unwrap();
    assert!(matches!(c.unlock_door(&loc(), &back).await, Err(ConnectorError::UnknownDevice(_))));
    assert!(matches!(c.unlock_door(&loc(), &front()).await, Err(ConnectorError::Unavailable { .. })));
    assert_eq!(c.unlock_door(&loc(), &front()).await, Err(ConnectorError::Timeout("unifi_access")));
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "an unlock in doubt is not sent again");
}

/// A one-route HTTPS controller whose certificate a private CA signed.
async fn tls_controller() -> String {
    let cert = CertificateDer::from_pem_file(format!("{FIXTURES}/unifi-controller.crt")).unwrap();
    let key = PrivateKeyDer::from_pem_file(format!("{FIXTURES}/unifi-controller.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = r#"{"code":"SUCCESS","msg":"success","data":null}"#;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    format!("https://localhost:{port}")
}

#[tokio::test]
async fn a_controller_with_a_private_certificate_is_refused_unless_trusted() {
    let base = tls_controller().await;
    let err = client(&base, Trust::Default).unlock_door(&loc(), &front()).await.unwrap_err();
    assert!(matches!(err, ConnectorError::Unavailable { .. }), "{err}");
    assert!(err.to_string().contains("ca_file or pinned_sha256"), "{err}");

    let ca = std::fs::read(format!("{FIXTURES}/unifi-ca.crt")).unwrap();
    assert_eq!(client(&base, Trust::CaPem(ca)).unlock_door(&loc(), &front()).await, Ok(DeviceOutcome::Confirmed));

    let pinned = Trust::pinned(FINGERPRINT).unwrap();
    assert_eq!(client(&base, pinned).unlock_door(&loc(), &front()).await, Ok(DeviceOutcome::Confirmed));

    let wrong = Trust::pinned(&"ab".repeat(32)).unwrap();
    let err = client(&base, wrong).unlock_door(&loc(), &front()).await.unwrap_err();
    assert!(err.to_string().contains("not the pinned"), "{err}");

    assert_eq!(client(&base, Trust::Insecure).unlock_door(&loc(), &front()).await, Ok(DeviceOutcome::Confirmed));
}
