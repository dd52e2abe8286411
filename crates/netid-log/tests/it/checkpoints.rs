//! Signed checkpoints: the C2SP formats, both suites' signatures, and what a verifier refuses.

use netid_crypto::Suite;
use netid_log::{Checkpoint, Error, Hash, NoteSigner, NoteVerifier};

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "netid.example/log".to_owned(),
        size: 42,
        root: Hash([7u8; 32]),
        extensions: vec![],
    }
}

#[test]
fn checkpoint_text_is_the_c2sp_layout() {
    assert_eq!(
        checkpoint().to_text(),
        "netid.example/log\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
    );
    assert_eq!(
        Checkpoint::parse_text(&checkpoint().to_text()).unwrap(),
        checkpoint()
    );
}

#[test]
fn signed_checkpoints_verify_in_both_suites() {
    for suite in [Suite::gm(), Suite::intl()] {
        let signer =
            NoteSigner::new("netid.example/log", suite.generate_signing_key().unwrap()).unwrap();
        let note = signer.sign(&checkpoint()).unwrap();
        assert!(note.starts_with("netid.example/log\n42\n"));
        assert!(note.contains("\n\n\u{2014} netid.example/log "));
        assert_eq!(signer.verifier().verify(&note).unwrap(), checkpoint());
    }
}

#[test]
fn altered_checkpoints_are_refused() {
    let suite = Suite::gm();
    let signer =
        NoteSigner::new("netid.example/log", suite.generate_signing_key().unwrap()).unwrap();
    let note = signer.sign(&checkpoint()).unwrap();
    let verifier = signer.verifier();

    let bigger = note.replacen("\n42\n", "\n43\n", 1);
    assert_eq!(verifier.verify(&bigger), Err(Error::BadSignature));

    // Signed by another key under the same name: not the trusted key, so no valid signature.
    let impostor =
        NoteSigner::new("netid.example/log", suite.generate_signing_key().unwrap()).unwrap();
    let forged = impostor.sign(&checkpoint()).unwrap();
    assert_eq!(
        verifier.verify(&forged),
        Err(Error::MissingSignature {
            key_name: "netid.example/log".to_owned()
        })
    );

    // A trusted key under another name is another key.
    let renamed = NoteVerifier::new("other.example/log", signer.verifying_key().clone()).unwrap();
    assert!(matches!(
        renamed.verify(&note),
        Err(Error::MissingSignature { .. })
    ));

    assert!(matches!(
        verifier.verify("no signatures\n"),
        Err(Error::MalformedCheckpoint(_))
    ));
}

#[test]
fn malformed_checkpoint_text_is_refused() {
    for text in [
        "",
        "origin\n42\n",
        "origin\n042\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "origin\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "origin\n42\nnot base64!\n",
        "origin\n42\nBwcH\n",
        "origin\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
        "\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
    ] {
        assert!(Checkpoint::parse_text(text).is_err(), "accepted {text:?}");
    }
}

#[test]
fn verifier_keys_round_trip_in_the_vkey_form_and_verify_notes() {
    for suite in [Suite::gm(), Suite::intl()] {
        let signer =
            NoteSigner::new("netid.example/log", suite.generate_signing_key().unwrap()).unwrap();
        let vkey = signer.verifier().to_vkey().unwrap();
        assert!(vkey.starts_with("netid.example/log+"), "{vkey}");
        let parsed = NoteVerifier::from_vkey(&vkey).unwrap();
        assert_eq!(parsed.to_vkey().unwrap(), vkey);
        let note = signer.sign(&checkpoint()).unwrap();
        assert_eq!(parsed.verify(&note).unwrap(), checkpoint());
    }
}

#[test]
fn malformed_or_mismatched_vkeys_are_refused() {
    let signer =
        NoteSigner::new("log.example", Suite::gm().generate_signing_key().unwrap()).unwrap();
    let vkey = signer.verifier().to_vkey().unwrap();
    let (name, rest) = vkey.split_once('+').unwrap();
    let (id, key) = rest.split_once('+').unwrap();
    let wrong_id = format!("{name}+00000000+{key}");
    let renamed = format!("other.example+{id}+{key}");
    for bad in [
        "",
        "log.example",
        "log.example+abcd",
        &format!("{name}+{id}+not base64!"),
        &format!("{name}+{id}+AAAA"),
        &wrong_id,
        &renamed,
    ] {
        assert!(
            matches!(
                NoteVerifier::from_vkey(bad),
                Err(Error::MalformedVerifierKey(_))
            ),
            "{bad:?}"
        );
    }
}
