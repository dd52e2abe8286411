//! Certificates and the CA's generations, on both backends.

use super::*;
use netid_ca::RevocationReason;

pub(crate) fn certificate(serial: u8, holder: Option<HolderId>, not_after: i64) -> CertificateRow {
    CertificateRow {
        serial: vec![serial; 16],
        holder,
        profile: "holder-signing".to_owned(),
        der: vec![0x30, serial],
        not_after: Timestamp(not_after),
        issued_at: T0,
        revoked: None,
    }
}

/// Certificates: issued with their entry, revoked once (by their holder only), listed for the
/// CRL until they expire; the CA's own certificates are installed in one transaction.
pub(crate) async fn certificates_are_issued_revoked_once_and_listed_until_expiry(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let other = store
        .enroll_holder(new_holder(2), None, vec![], leaf(), T0)
        .await
        .unwrap();
    assert_eq!(store.holder(other).await.unwrap().unwrap().id, other);
    assert_eq!(store.holder(HolderId(999)).await.unwrap(), None);
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-gm"), 1)),
            vec![certificate(9, None, T0.0 + 1000)],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(store.ca_generations().await.unwrap().len(), 1);
    let size = store.log_size().await.unwrap();
    store
        .insert_certificate(certificate(1, Some(holder), T0.0 + 1000), leaf())
        .await
        .unwrap();
    let error = store
        .insert_certificate(certificate(1, Some(holder), T0.0 + 1000), leaf())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Certificate
        }
    ));
    store
        .insert_certificate(certificate(2, Some(holder), T0.0 + 10), leaf())
        .await
        .unwrap();
    assert_eq!(store.holder_log_indexes(holder).await.unwrap().len(), 3);

    // Another holder cannot revoke it; its holder can, once.
    let refused = store
        .revoke_certificate(
            &[1; 16],
            Some(other),
            RevocationReason::KeyCompromise,
            leaf(),
            T0,
        )
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::NotFound { .. }));
    let at = Timestamp(T0.0 + 5);
    assert!(
        store
            .revoke_certificate(
                &[1; 16],
                Some(holder),
                RevocationReason::KeyCompromise,
                leaf(),
                at
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .revoke_certificate(
                &[1; 16],
                Some(holder),
                RevocationReason::KeyCompromise,
                leaf(),
                at
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .revoke_certificate(&[2; 16], None, RevocationReason::Superseded, leaf(), at)
            .await
            .unwrap()
    );
    assert_eq!(store.log_size().await.unwrap(), size + 4);
    let stored = store.certificate(&[1; 16]).await.unwrap().unwrap();
    assert_eq!(stored.revoked, Some((at, RevocationReason::KeyCompromise)));
    assert_eq!(store.certificate(&[7; 16]).await.unwrap(), None);

    // Certificate 2 expires at T0 + 10: it leaves the CRL then.
    for (now, expected) in [(T0.0 + 6, vec![1, 2]), (T0.0 + 11, vec![1])] {
        let listed: Vec<u8> = store
            .revoked_certificates(Timestamp(now))
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.serial[0])
            .collect();
        assert_eq!(listed, expected);
    }
}

pub(crate) fn generation(key_name: Option<&str>, tag: u8) -> CaGeneration {
    CaGeneration {
        id: 0,
        key_name: key_name.map(str::to_owned),
        root: vec![tag, 1],
        issuing: vec![tag, 2],
        responder: vec![tag, 3],
        status: CaGenerationStatus::Current,
        final_crl: None,
        handover: None,
    }
}

/// Rollover retires the current CA; recertifying replaces a generation's certificates; an
/// inheritance and its records land together or not at all; a handover keeps each final CRL.
pub(crate) async fn ca_generations_roll_over_recertify_inherit_and_hand_over(store: &dyn Store) {
    let statuses = |generations: &[CaGeneration]| {
        generations
            .iter()
            .map(|generation| (generation.id, generation.status))
            .collect::<Vec<_>>()
    };
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-intl"), 1)),
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    store
        .change_ca(
            CaChange::Install(generation(Some("ca-issuing-intl-2"), 2)),
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let generations = store.ca_generations().await.unwrap();
    assert_eq!(
        statuses(&generations),
        vec![
            (1, CaGenerationStatus::Retired),
            (2, CaGenerationStatus::Current)
        ]
    );
    // The same key cannot start a second generation.
    assert!(
        store
            .change_ca(
                CaChange::Install(generation(Some("ca-issuing-intl-2"), 3)),
                vec![],
                leaf(),
                T0,
            )
            .await
            .is_err()
    );

    store
        .change_ca(
            CaChange::Recertify {
                id: 1,
                root: vec![7],
                issuing: vec![8],
                responder: vec![9],
            },
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let first = store.ca_generations().await.unwrap().remove(0);
    assert_eq!(
        (first.root, first.issuing, first.responder),
        (vec![7], vec![8], vec![9])
    );
    assert!(matches!(
        store
            .change_ca(
                CaChange::Recertify {
                    id: 99,
                    root: vec![],
                    issuing: vec![],
                    responder: vec![],
                },
                vec![],
                leaf(),
                T0,
            )
            .await,
        Err(Error::NotFound { .. })
    ));

    // An inheritance whose records clash with a known serial changes nothing.
    store
        .insert_certificate(certificate(5, None, T0.0 + 1000), leaf())
        .await
        .unwrap();
    let log_size = store.log_size().await.unwrap();
    let inherited = || CaChange::Inherit(vec![generation(None, 4)]);
    assert!(matches!(
        store
            .change_ca(
                inherited(),
                vec![
                    certificate(6, None, T0.0 + 1000),
                    certificate(5, None, T0.0)
                ],
                leaf(),
                T0,
            )
            .await,
        Err(Error::AlreadyExists {
            what: Conflict::Certificate
        })
    ));
    assert_eq!(store.ca_generations().await.unwrap().len(), 2);
    assert_eq!(store.certificate(&[6; 16]).await.unwrap(), None);
    assert_eq!(store.log_size().await.unwrap(), log_size);
    store
        .change_ca(
            inherited(),
            vec![certificate(6, None, T0.0 + 1000)],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    assert!(store.certificate(&[6; 16]).await.unwrap().is_some());

    store
        .change_ca(
            CaChange::HandOver {
                final_crls: vec![(1, vec![0xc1]), (2, vec![0xc2])],
                package: b"signed package".to_vec(),
            },
            vec![],
            leaf(),
            T0,
        )
        .await
        .unwrap();
    let generations = store.ca_generations().await.unwrap();
    assert_eq!(
        statuses(&generations),
        vec![
            (1, CaGenerationStatus::HandedOver),
            (2, CaGenerationStatus::HandedOver),
            (3, CaGenerationStatus::Inherited)
        ]
    );
    assert_eq!(generations[1].final_crl, Some(vec![0xc2]));
    // Neither a handed-over nor an inherited generation can be handed over or recertified.
    for id in [1, 3] {
        let again = CaChange::HandOver {
            final_crls: vec![(id, vec![0xc4])],
            package: vec![],
        };
        assert!(matches!(
            store.change_ca(again, vec![], leaf(), T0).await,
            Err(Error::NotFound { .. })
        ));
        let recertify = CaChange::Recertify {
            id,
            root: vec![],
            issuing: vec![],
            responder: vec![],
        };
        assert!(matches!(
            store.change_ca(recertify, vec![], leaf(), T0).await,
            Err(Error::NotFound { .. })
        ));
    }
    assert_eq!(generations[1].handover, Some(b"signed package".to_vec()));
    assert_eq!(generations[0].handover, None);
    assert_eq!(
        store
            .certificates()
            .await
            .unwrap()
            .iter()
            .map(|row| row.serial[0])
            .collect::<Vec<_>>(),
        vec![5, 6]
    );
    // An inherited CA is not this service's to hand over.
    assert_eq!(generations[2].final_crl, None);
}
