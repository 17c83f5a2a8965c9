//! How the UniFi Access client trusts a controller whose certificate is
//! self-signed: a CA file, a pinned certificate fingerprint, or (lab use
//! only) no check at all.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

/// The controller's certificate trust.
#[derive(Clone, PartialEq, Eq)]
pub enum Trust {
    /// The system's and webpki's roots (a controller with a public certificate).
    Default,
    /// A PEM CA bundle (the controller's own CA or its self-signed cert).
    CaPem(Vec<u8>),
    /// SHA-256 of the controller's certificate (DER): only that certificate
    /// is accepted, whatever its issuer, name or dates.
    Pinned([u8; 32]),
    /// No check (`insecure_tls = true`).
    Insecure,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Trust::Default => f.write_str("Default"),
            Trust::CaPem(_) => f.write_str("CaPem(..)"),
            Trust::Pinned(p) => write!(f, "Pinned({})", hex(p)),
            Trust::Insecure => f.write_str("Insecure"),
        }
    }
}

impl Trust {
    /// Parses a fingerprint: 64 hex digits, `:` separators allowed.
    pub fn pinned(fingerprint: &str) -> Result<Self, String> {
        let digits: String = fingerprint.chars().filter(|c| *c != ':').collect();
        if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err("a SHA-256 fingerprint is 64 hex digits".into());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16).map_err(|e| e.to_string())?;
        }
        Ok(Trust::Pinned(out))
    }

    /// Applies this trust to a client builder.
    pub(crate) fn apply(&self, b: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, String> {
        Ok(match self {
            Trust::Default => b,
            Trust::CaPem(pem) => {
                let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("CA file: {e}"))?;
                if certs.is_empty() {
                    return Err("CA file: no certificate in it".into());
                }
                certs.into_iter().fold(b.tls_built_in_root_certs(false), |b, c| b.add_root_certificate(c))
            }
            Trust::Pinned(pin) => {
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider.clone())
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())?
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Pinned { pin: *pin, provider }))
                    .with_no_client_auth();
                b.use_preconfigured_tls(config)
            }
            Trust::Insecure => b.danger_accept_invalid_certs(true),
        })
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Accepts exactly the certificate with the pinned SHA-256; signatures are
/// still verified, so the peer must hold that certificate's key.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if seen == self.pin {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {} is not the pinned {}",
                hex(&seen),
                hex(&self.pin)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons() {
        let colons = "4E:F5:D8:D7:98:0C:80:18:3E:0A:BC:D1:5D:25:7C:27:5F:87:52:47:7B:00:5F:98:13:CF:71:68:45:05:EC:1D";
        let plain = colons.replace(':', "").to_lowercase();
        assert_eq!(Trust::pinned(colons).unwrap(), Trust::pinned(&plain).unwrap());
        assert!(Trust::pinned("abc").is_err());
        assert!(Trust::pinned(&"zz".repeat(32)).is_err());
    }
}
