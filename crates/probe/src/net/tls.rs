//! TLS client configuration: accepts any certificate (self-signed is the norm on Exchange) and
//! records what the certificate says instead of judging it.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use std::sync::Arc;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// What the server's certificate says.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CertInfo {
    /// Subject DN.
    pub subject: String,
    /// Issuer DN.
    pub issuer: String,
    /// True when subject equals issuer.
    pub self_signed: bool,
    /// DNS subject alternative names (at most 20).
    pub dns_names: Vec<String>,
    /// Validity end (RFC 2822-ish, as x509-parser prints it).
    pub not_after: String,
    /// Negotiated protocol version.
    pub protocol: String,
}

#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
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
            &self.0.signature_verification_algorithms,
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
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A client configuration that accepts any server certificate, HTTP/1.1 only.
pub fn client_config() -> anyhow::Result<Arc<ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Describe a DER certificate. Unparsable certificates yield a subject saying so.
pub fn describe(der: &[u8], protocol: String) -> CertInfo {
    match X509Certificate::from_der(der) {
        Ok((_, c)) => {
            let subject = c.subject().to_string();
            let issuer = c.issuer().to_string();
            let dns_names = c
                .subject_alternative_name()
                .ok()
                .flatten()
                .map(|san| {
                    san.value
                        .general_names
                        .iter()
                        .filter_map(|g| match g {
                            GeneralName::DNSName(d) => Some(d.to_string()),
                            _ => None,
                        })
                        .take(20)
                        .collect()
                })
                .unwrap_or_default();
            CertInfo {
                self_signed: subject == issuer,
                subject,
                issuer,
                dns_names,
                not_after: c.validity().not_after.to_string(),
                protocol,
            }
        }
        Err(_) => CertInfo {
            subject: "(unparsable certificate)".into(),
            protocol,
            ..Default::default()
        },
    }
}
