//! Platforms, their nonces and their OpenID Connect clients, on both backends.

use super::*;

/// A verification of `holder` by platform `p-1` under nonce `nonce`, authenticated with wallet
/// key `key` (a byte repeated), the nonce used until `expires_at`.
fn verification(holder: HolderId, nonce: u8, key: u8, expires_at: Timestamp) -> NewVerification {
    NewVerification {
        client_id: "p-1".to_owned(),
        nonce_index: index(nonce),
        expires_at,
        holder,
        wallet_key: vec![key; 32],
        log_entry: leaf(),
        disclosure_entry: leaf(),
        linked_until: Timestamp(T0.0 + 86_400),
        asked: None,
    }
}

pub(crate) async fn platforms_are_unique_and_nonces_cannot_be_replayed_until_they_expire(
    store: &dyn Store,
) {
    let platform = PlatformRow {
        client_id: "p-1".to_owned(),
        credential_hash: vec![9; 32],
        sector: "sector-1".to_owned(),
        name: "example".to_owned(),
        registered_at: T0,
        status: PlatformStatus::Active,
        status_since: None,
        status_reason: None,
        commitments_at: None,
    };
    store
        .insert_platform(platform.clone(), leaf())
        .await
        .unwrap();
    assert_eq!(store.platform("p-1").await.unwrap(), Some(platform.clone()));
    let error = store.insert_platform(platform, leaf()).await.unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Platform
        }
    ));

    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let expires = Timestamp(T0.0 + 300);
    store
        .record_verification(verification(holder, 5, 1, expires), T0)
        .await
        .unwrap();
    let error = store
        .record_verification(verification(holder, 5, 1, expires), T0)
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    // A holder not as given (another wallet key: recovered since, or deleted) is not found,
    // whether the nonce is in use or not, and the nonce stays free.
    for nonce in [5, 6] {
        let error = store
            .record_verification(verification(holder, nonce, 2, expires), T0)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    }
    store.use_nonce("p-1", index(6), expires, T0).await.unwrap();
    // After expiry the nonce may be used again; freshness checks reject such old
    // presentations anyway.
    store
        .record_verification(
            verification(holder, 5, 1, Timestamp(T0.0 + 900)),
            Timestamp(T0.0 + 301),
        )
        .await
        .unwrap();

    // Grouped writes are counted, and those that append to the log with how long they held
    // its counter; a write that appends nothing holds it not at all.
    let before = store.group_commits();
    let nine = verification(holder, 9, 1, expires);
    store.record_verification(nine, T0).await.unwrap();
    let logged = store.group_commits();
    assert_eq!(
        (logged.commits, logged.writes, logged.sequenced),
        (before.commits + 1, before.writes + 1, before.sequenced + 1)
    );
    assert!(logged.counter_held_micros > before.counter_held_micros);
    store
        .use_nonce("p-1", index(10), expires, T0)
        .await
        .unwrap();
    let unlogged = store.group_commits();
    assert_eq!(
        (
            unlogged.commits,
            unlogged.sequenced,
            unlogged.counter_held_micros
        ),
        (
            logged.commits + 1,
            logged.sequenced,
            logged.counter_held_micros
        )
    );
}

pub(crate) async fn oidc_clients_are_set_per_platform_and_one_time_values_refuse_replays(
    store: &dyn Store,
) {
    let mut client = OidcClientRow {
        client_id: "p-oidc".to_owned(),
        redirect_uris: vec!["https://rp.example/cb".to_owned()],
        jwks: r#"{"keys":[]}"#.to_owned(),
        id_token_suite: netid_crypto::SuiteId::Intl,
        auth_method: netid_store::ClientAuthMethod::PrivateKeyJwt,
        updated_at: T0,
    };
    // Only a registered platform has client settings.
    assert!(matches!(
        store.set_oidc_client(client.clone()).await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert_eq!(store.oidc_client("p-oidc").await.unwrap(), None);
    let platform = PlatformRow {
        client_id: "p-oidc".to_owned(),
        credential_hash: vec![9; 32],
        sector: "sector-oidc".to_owned(),
        name: "example".to_owned(),
        registered_at: T0,
        status: PlatformStatus::Active,
        status_since: None,
        status_reason: None,
        commitments_at: None,
    };
    store.insert_platform(platform, leaf()).await.unwrap();
    store.set_oidc_client(client.clone()).await.unwrap();
    assert_eq!(
        store.oidc_client("p-oidc").await.unwrap(),
        Some(client.clone())
    );
    // Setting again replaces.
    client.redirect_uris = vec![
        "https://rp.example/a".to_owned(),
        "https://rp.example/b".to_owned(),
    ];
    client.id_token_suite = netid_crypto::SuiteId::Gm;
    client.auth_method = netid_store::ClientAuthMethod::TlsClientAuth;
    client.updated_at = Timestamp(T0.0 + 1);
    store.set_oidc_client(client.clone()).await.unwrap();
    assert_eq!(store.oidc_client("p-oidc").await.unwrap(), Some(client));

    let expires = Timestamp(T0.0 + 60);
    store
        .use_nonce("p-oidc", index(7), expires, T0)
        .await
        .unwrap();
    assert!(matches!(
        store
            .use_nonce("p-oidc", index(7), expires, T0)
            .await
            .unwrap_err(),
        Error::AlreadyExists {
            what: Conflict::Nonce
        }
    ));
    // Another value, and the same value once it has expired, are fine.
    store
        .use_nonce("p-oidc", index(8), expires, T0)
        .await
        .unwrap();
    store
        .use_nonce(
            "p-oidc",
            index(7),
            Timestamp(T0.0 + 200),
            Timestamp(T0.0 + 61),
        )
        .await
        .unwrap();
}
