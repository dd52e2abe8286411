#![no_main]
//! Transparency-log checkpoints and verifier keys as auditors and wallets read them. Inputs
//! whose first byte is even are read as a signed note and as a verifier key; the others are
//! taken as note text and signed with the log's real key, so that the checkpoint parser
//! behind the signature check is reached. A checkpoint that parses must print back to the
//! text it was read from.

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netid_crypto::Suite;
use netid_log::{Checkpoint, NoteSigner, NoteVerifier};

const ORIGIN: &str = "netid.example/log";

/// The log's signer, with a fixed (synthetic) key: its key ID is the same in every run, so
/// that the fuzzer can learn it and reach the signature check of notes it writes.
fn signer() -> &'static NoteSigner {
    static SIGNER: OnceLock<NoteSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let key = Suite::gm()
            .signing_key_from_scalar(&[0x5a; 32])
            .expect("a key");
        NoteSigner::new(ORIGIN, key).expect("a signer")
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let verifier: NoteVerifier = signer().verifier();
    if mode % 2 == 0 {
        let _ = verifier.verify(text);
        let _ = NoteVerifier::from_vkey(text);
    } else if let Ok(checkpoint) = Checkpoint::parse_text(text) {
        assert_eq!(checkpoint.to_text(), text);
        let note = signer().sign(&checkpoint).expect("signs");
        assert_eq!(
            verifier.verify(&note).expect("its own note verifies"),
            checkpoint
        );
    }
});
