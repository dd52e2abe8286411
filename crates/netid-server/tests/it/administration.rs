//! Administration apart from the public: the operator endpoints answer on the administration
//! listener (loopback) only, and the public listener refuses them whatever the credential.

use netid_proto::RegisterPlatformRequest;
use reqwest::StatusCode;

use crate::client::World;

#[tokio::test]
async fn operator_endpoints_are_refused_on_the_public_listener_even_with_the_credential() {
    let world = World::new().await;
    let client = &world.client;
    let request = RegisterPlatformRequest {
        name: "public-side".to_owned(),
        sector_of: None,
    };
    let before = crate::transparency::checkpoint(client).await;
    let on_public = client
        .send(
            client
                .http
                .post(format!("{}/v1/operator/platforms", client.base_url))
                .bearer_auth(&client.operator)
                .json(&request),
        )
        .await;
    let problem = on_public.problem(StatusCode::FORBIDDEN, "administration_elsewhere");
    assert!(problem.detail.contains("NETID_ADMIN_LISTEN"), "{problem:?}");
    let again = client
        .send(
            client
                .http
                .get(format!("{}/v1/operator/ca", client.base_url))
                .bearer_auth(&client.operator),
        )
        .await;
    again.problem(StatusCode::FORBIDDEN, "administration_elsewhere");
    // Nothing was done: the log did not grow.
    assert_eq!(crate::transparency::checkpoint(client).await, before);

    // The same request on the administration listener is served.
    let on_admin = client
        .post("/v1/operator/platforms", Some(&client.bearer()), &request)
        .await;
    assert_eq!(on_admin.status, StatusCode::CREATED, "{}", on_admin.body);
    assert!(client.admin_url.starts_with("http://127.0.0.1:"));
    // And the administration listener serves nothing else.
    let elsewhere = client
        .send(
            client
                .http
                .get(format!("{}/v1/log/checkpoint", client.admin_url)),
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

#[test]
fn the_administration_listener_is_on_loopback_unless_it_takes_client_certificates() {
    let env = |address: &str| vec![("NETID_ADMIN_LISTEN".to_owned(), address.to_owned())];
    for refused in ["0.0.0.0:8081", "192.0.2.1:8081", "[::]:8081"] {
        let error = netid_server::Config::load(env(refused), netid_server::Overrides::default())
            .unwrap_err();
        assert!(error.to_string().contains("loopback"), "{refused}: {error}");
        assert!(error.to_string().contains("NETID_ADMIN_TLS=on"), "{error}");
    }
    // With TLS and operators' client certificates, any address; TLS needs the service's
    // certificate.
    let tls = |address: &str| {
        let mut env = env(address);
        env.push(("NETID_ADMIN_TLS".to_owned(), "on".to_owned()));
        env
    };
    let error = netid_server::Config::load(tls("0.0.0.0:8081"), netid_server::Overrides::default())
        .unwrap_err();
    assert!(error.to_string().contains("NETID_TLS_CERT"), "{error}");
    let mut full = tls("0.0.0.0:8081");
    full.push((
        "NETID_TLS_CERT".to_owned(),
        "/etc/netid/cert.pem".to_owned(),
    ));
    full.push(("NETID_TLS_KEY".to_owned(), "/etc/netid/key.pem".to_owned()));
    // Off loopback, the console's URL must be named: operators' passkeys belong to it.
    let error =
        netid_server::Config::load(full.clone(), netid_server::Overrides::default()).unwrap_err();
    assert!(
        error.to_string().contains("NETID_ADMIN_PUBLIC_URL"),
        "{error}"
    );
    full.push((
        "NETID_ADMIN_PUBLIC_URL".to_owned(),
        "https://admin.netid.test:8081".to_owned(),
    ));
    let config = netid_server::Config::load(full, netid_server::Overrides::default()).unwrap();
    assert!(config.admin_tls);
    let mut wrong = env("127.0.0.1:8081");
    wrong.push(("NETID_ADMIN_TLS".to_owned(), "yes".to_owned()));
    let error = netid_server::Config::load(wrong, netid_server::Overrides::default()).unwrap_err();
    assert!(error.to_string().contains("NETID_ADMIN_TLS"), "{error}");
    for accepted in ["127.0.0.1:9000", "[::1]:9000"] {
        let config =
            netid_server::Config::load(env(accepted), netid_server::Overrides::default()).unwrap();
        assert_eq!(config.admin_listen.to_string(), accepted);
    }
    let config =
        netid_server::Config::load(Vec::new(), netid_server::Overrides::default()).unwrap();
    assert_eq!(config.admin_listen.to_string(), "127.0.0.1:8081");
}
