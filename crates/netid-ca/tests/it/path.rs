//! Path validation of certificates that OpenSSL made: a good chain passes, and each broken one
//! fails with its own error.

use std::path::{Path, PathBuf};

use der::{Decode, DecodePem};
use netid_ca::{Certificate, Error, RevocationReason, RevokedEntry, issue_crl, validate_path};
use netid_crypto::Suite;

use crate::{DISTID, openssl, s};

/// One suite's OpenSSL options.
#[derive(Clone, Copy)]
struct Algorithm {
    curve: &'static str,
    digest: &'static str,
    sm2: bool,
}

const P256: Algorithm = Algorithm {
    curve: "ec_paramgen_curve:P-256",
    digest: "-sha256",
    sm2: false,
};
const SM2: Algorithm = Algorithm {
    curve: "ec_paramgen_curve:SM2",
    digest: "-sm3",
    sm2: true,
};

/// A certificate OpenSSL made, with its key file.
struct Made {
    certificate: Certificate,
    pem: PathBuf,
    key: PathBuf,
}

struct Workshop {
    dir: tempfile::TempDir,
    algorithm: Algorithm,
    serial: u32,
}

impl Workshop {
    fn new(algorithm: Algorithm) -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            algorithm,
            serial: 100,
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, mut args: Vec<&str>) {
        if self.algorithm.sm2 {
            args.extend(["-sigopt", DISTID]);
        }
        let (ok, out) = openssl(&args);
        assert!(ok, "{args:?}: {out}");
    }

    fn key(&self, name: &str) -> PathBuf {
        let key = self.path(&format!("{name}.key"));
        let (ok, out) = openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            self.algorithm.curve,
            "-out",
            s(&key),
        ]);
        assert!(ok, "{out}");
        key
    }

    /// A self-signed root with `extensions` (`-addext` values).
    fn root(&self, name: &str, extensions: &[&str]) -> Made {
        let key = self.key(name);
        let pem = self.path(&format!("{name}.pem"));
        let subject = format!("/CN={name}/O=netid test");
        let mut args = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            s(&key),
            self.algorithm.digest,
            "-subj",
            &subject,
            "-days",
            "30",
            "-out",
            s(&pem),
        ];
        for extension in extensions {
            args.extend(["-addext", extension]);
        }
        self.run(args);
        Made {
            certificate: read(&pem),
            pem,
            key,
        }
    }

    /// A certificate for `name` issued by `issuer` with the extension lines `extensions`.
    fn issue(&mut self, name: &str, issuer: &Made, extensions: &[&str]) -> Made {
        let key = self.key(name);
        let csr = self.path(&format!("{name}.csr"));
        let subject = format!("/CN={name}/O=netid test");
        self.run(vec![
            "req",
            "-new",
            "-key",
            s(&key),
            self.algorithm.digest,
            "-subj",
            &subject,
            "-out",
            s(&csr),
        ]);
        let config = self.path(&format!("{name}.cnf"));
        std::fs::write(&config, format!("[ext]\n{}\n", extensions.join("\n"))).unwrap();
        let pem = self.path(&format!("{name}.pem"));
        self.serial += 1;
        let serial = self.serial.to_string();
        let mut args = vec![
            "x509",
            "-req",
            "-in",
            s(&csr),
            "-CA",
            s(&issuer.pem),
            "-CAkey",
            s(&issuer.key),
            self.algorithm.digest,
            "-days",
            "10",
            "-set_serial",
            &serial,
            "-extfile",
            s(&config),
            "-extensions",
            "ext",
            "-out",
            s(&pem),
        ];
        if self.algorithm.sm2 {
            args.extend(["-vfyopt", DISTID]);
        }
        self.run(args);
        Made {
            certificate: read(&pem),
            pem,
            key,
        }
    }
}

fn read(pem: &Path) -> Certificate {
    Certificate::from_pem(std::fs::read_to_string(pem).unwrap()).unwrap()
}

const CA: &[&str] = &[
    "basicConstraints=critical,CA:TRUE",
    "keyUsage=critical,keyCertSign,cRLSign",
    "subjectKeyIdentifier=hash",
];
const LEAF: &[&str] = &[
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "subjectKeyIdentifier=hash",
];

fn inside(certificate: &Certificate) -> u64 {
    certificate
        .tbs_certificate()
        .validity()
        .not_before
        .to_unix_duration()
        .as_secs()
        + 3600
}

#[test]
fn openssl_made_chains_of_both_suites_validate() {
    for algorithm in [P256, SM2] {
        let mut shop = Workshop::new(algorithm);
        let root = shop.root("root", &["basicConstraints=critical,CA:TRUE,pathlen:1"]);
        let intermediate = shop.issue("intermediate", &root, CA);
        let leaf = shop.issue("leaf", &intermediate, LEAF);
        let path = validate_path(
            &leaf.certificate,
            std::slice::from_ref(&intermediate.certificate),
            std::slice::from_ref(&root.certificate),
            inside(&leaf.certificate),
            &[],
        )
        .unwrap();
        assert_eq!(path.len(), 3);
    }
}

#[test]
fn each_broken_chain_fails_with_its_own_error() {
    let mut shop = Workshop::new(P256);
    let root = shop.root("root", &["basicConstraints=critical,CA:TRUE,pathlen:1"]);
    let intermediate = shop.issue("intermediate", &root, CA);
    let leaf = shop.issue("leaf", &intermediate, LEAF);
    let at = inside(&leaf.certificate);
    let check = |leaf: &Certificate, intermediates: &[Certificate], anchors: &[Certificate], at| {
        validate_path(leaf, intermediates, anchors, at, &[])
    };
    let chain = [intermediate.certificate.clone()];
    let anchors = [root.certificate.clone()];

    // Wrong signature: a changed byte in the leaf's signature.
    let mut der = der::Encode::to_der(&leaf.certificate).unwrap();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = Certificate::from_der(&der).unwrap();
    assert!(matches!(
        check(&tampered, &chain, &anchors, at),
        Err(Error::BadSignature { .. })
    ));

    // Wrong issuer: the intermediate is not given, or another root is trusted.
    let other = shop.root("other root", CA);
    assert_eq!(
        check(&leaf.certificate, &[], &anchors, at),
        Err(Error::UnknownIssuer)
    );
    assert_eq!(
        check(
            &leaf.certificate,
            &chain,
            std::slice::from_ref(&other.certificate),
            at
        ),
        Err(Error::UnknownIssuer)
    );

    // Expired, and not yet valid.
    let not_after = leaf
        .certificate
        .tbs_certificate()
        .validity()
        .not_after
        .to_unix_duration()
        .as_secs();
    assert_eq!(
        check(&leaf.certificate, &chain, &anchors, not_after + 1),
        Err(Error::Expired)
    );
    assert_eq!(
        check(&leaf.certificate, &chain, &anchors, at - 7200),
        Err(Error::NotYetValid)
    );

    // An intermediate without CA:TRUE.
    let not_a_ca = shop.issue("not a ca", &root, LEAF);
    let under = shop.issue("under not a ca", &not_a_ca, LEAF);
    assert_eq!(
        check(
            &under.certificate,
            std::slice::from_ref(&not_a_ca.certificate),
            &anchors,
            at
        ),
        Err(Error::NotACa)
    );

    // A root with pathlen:0 above an intermediate CA.
    let strict = shop.root(
        "strict root",
        &["basicConstraints=critical,CA:TRUE,pathlen:0"],
    );
    let strict_intermediate = shop.issue("strict intermediate", &strict, CA);
    let strict_leaf = shop.issue("strict leaf", &strict_intermediate, LEAF);
    assert_eq!(
        check(
            &strict_leaf.certificate,
            std::slice::from_ref(&strict_intermediate.certificate),
            std::slice::from_ref(&strict.certificate),
            at
        ),
        Err(Error::PathLengthExceeded)
    );

    // An unknown critical extension.
    let mut odd = LEAF.to_vec();
    odd.push("1.2.3.4=critical,ASN1:UTF8String:netid test");
    let odd = shop.issue("odd", &intermediate, &odd);
    assert_eq!(
        check(&odd.certificate, &chain, &anchors, at),
        Err(Error::UnknownCriticalExtension {
            oid: "1.2.3.4".to_owned()
        })
    );

    // Revoked: a CRL signed with the intermediate's (OpenSSL-made) key lists the leaf.
    let key_pem = std::fs::read_to_string(&intermediate.key).unwrap();
    let intermediate_key = Suite::intl().signing_key_from_pkcs8_pem(&key_pem).unwrap();
    let crl = issue_crl(
        &intermediate.certificate,
        &intermediate_key,
        1,
        at - 60,
        at + 3600,
        &[RevokedEntry {
            serial: leaf.certificate.tbs_certificate().serial_number().clone(),
            revoked_at: at - 60,
            reason: RevocationReason::KeyCompromise,
        }],
    )
    .unwrap();
    assert_eq!(
        validate_path(
            &leaf.certificate,
            &chain,
            &anchors,
            at,
            std::slice::from_ref(&crl)
        ),
        Err(Error::Revoked)
    );
    // A CRL past its nextUpdate is not evidence of anything.
    assert_eq!(
        validate_path(
            &leaf.certificate,
            &chain,
            &anchors,
            at + 7200,
            std::slice::from_ref(&crl)
        ),
        Err(Error::StaleStatus)
    );
    // The same CRL does not touch the intermediate itself (the root did not issue it).
    assert!(validate_path(&intermediate.certificate, &[], &anchors, at, &[crl]).is_ok());
}

/// After an issuer-key rollover one CA name has two keys, each with its own CRL: a
/// certificate is checked against its own key's CRL, and the other key's CRL, which does not
/// verify under that key, is set aside rather than failing the path.
#[test]
fn crls_of_a_rolled_over_key_apply_to_their_own_certificates_only() {
    use crate::{DAY, START, end_entity, hierarchy};

    let suite = Suite::intl();
    let old = hierarchy(&suite);
    // The next key under the same root and the same name.
    let next_key = suite.generate_signing_key().unwrap();
    let next_issuing = netid_ca::issue(
        &netid_ca::CertificateTemplate::new(
            "CN=netid test issuing ca,O=netid test",
            netid_ca::Profile::IssuingCa,
            [3; 16],
            START,
            START + 1825 * DAY,
        ),
        next_key.verifying_key(),
        Some(&old.root),
        &old.root_key,
    )
    .unwrap();
    let old_leaf = end_entity(&suite, &old, netid_ca::Profile::HolderSigning, 40);
    let next = crate::Hierarchy {
        root_key: suite.generate_signing_key().unwrap(),
        root: old.root.clone(),
        issuing_key: next_key,
        issuing: next_issuing.clone(),
    };
    let next_leaf = end_entity(&suite, &next, netid_ca::Profile::HolderSigning, 41);
    let at = START + DAY;
    let old_crl = issue_crl(
        &old.issuing,
        &old.issuing_key,
        1,
        at,
        at + DAY,
        &[RevokedEntry {
            serial: old_leaf.tbs_certificate().serial_number().clone(),
            revoked_at: at,
            reason: RevocationReason::KeyCompromise,
        }],
    )
    .unwrap();
    let next_crl = issue_crl(&next_issuing, &next.issuing_key, 1, at, at + DAY, &[]).unwrap();
    assert!(netid_ca::crl_applies(&old_crl, &old.issuing));
    assert!(!netid_ca::crl_applies(&old_crl, &next_issuing));
    assert!(!netid_ca::crl_applies(&next_crl, &old.root));
    let crls = [old_crl, next_crl];
    let intermediates = [old.issuing.clone(), next_issuing];
    let anchors = std::slice::from_ref(&old.root);
    assert_eq!(
        validate_path(&old_leaf, &intermediates, anchors, at, &crls),
        Err(Error::Revoked)
    );
    let path = validate_path(&next_leaf, &intermediates, anchors, at, &crls).unwrap();
    assert_eq!(path.len(), 3);
}
