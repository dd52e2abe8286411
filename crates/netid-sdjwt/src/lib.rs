//! Net Certificates (Measures Art. 2) as IETF SD-JWT VCs: RFC 9901 Selective Disclosure for
//! JWTs with key binding, the SD-JWT VC profile (`typ` `dc+sd-jwt`, `vct`, `cnf`, `status`),
//! and the IETF Token Status List that revocation is published in. No IO, no clock: times
//! arrive as arguments.
//!
//! Two suites: `ES256` with `sha-256` digests (intl), and `SM2SM3` with `sm3` digests (gm);
//! `docs/net-certificates.md` describes the format for a platform engineer.
//!
//! ```
//! use netid_crypto::Suite;
//! use netid_sdjwt::{Binding, Expectations, Issuance, issue, present, verify};
//! use serde_json::json;
//!
//! let suite = Suite::intl();
//! let issuer = suite.generate_signing_key()?;
//! let holder = suite.generate_signing_key()?;
//! let sd_jwt = issue(&Issuance {
//!     issuer: "https://netid.example",
//!     kid: "issuer-1",
//!     vct: "urn:netid:vct:net-certificate:1",
//!     issued_at: 1_800_000_000,
//!     not_before: 1_800_000_000,
//!     expires_at: 1_800_086_400,
//!     holder_key: holder.verifying_key(),
//!     status: None,
//!     plain: vec![("real_name_verified", json!(true))],
//!     disclosable: vec![("age_over_18", json!(true)), ("name", json!("测试甲"))],
//!     digests: 8,
//! }, &issuer)?;
//! let binding = Binding { audience: "platform-1", nonce: "n-0001", issued_at: 1_800_000_100 };
//! let presentation = present(&sd_jwt, &["age_over_18"], &holder, binding)?;
//! let verified = verify(
//!     &presentation,
//!     |_, _| Some(issuer.verifying_key().clone()),
//!     &Expectations { audience: "platform-1", nonce: "n-0001", now: 1_800_000_100, max_age: 300, skew: 60 },
//! )?;
//! assert_eq!(verified.disclosed, vec!["age_over_18"]);
//! assert!(verified.claims.get("name").is_none());
//! # Ok::<(), netid_sdjwt::Error>(())
//! ```

mod disclosure;
mod error;
mod issue;
mod jws;
mod present;
mod status;
mod verify;

pub use disclosure::{Disclosure, HashAlg};
pub use error::Error;
pub use issue::{Issuance, SD_JWT_VC_TYP, issue};
pub use jws::{Jws, alg, key_of_jwk, sign, suite_of_alg, suite_of_jwk, thumbprint};

/// The `vct` of a Net Certificate.
pub const NET_CERTIFICATE_VCT: &str = "urn:netid:vct:net-certificate:1";
pub use present::{Binding, KB_JWT_TYP, present};
pub use status::{
    STATUS_LIST_TYP, StatusList, StatusListToken, VerifiedStatusList, verify_status_list,
};
pub use verify::{Expectations, Verified, verify};
