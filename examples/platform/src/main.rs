//! `netid-example-platform`: the example platform of `netid-example-platform`'s library, on
//! `LISTEN` (default 127.0.0.1:8090), with `NETID_URL`, `PUBLIC_URL`, `CLIENT_ID` and
//! `CLIENT_CREDENTIAL` from the environment.

use anyhow::Context as _;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let var = |name: &str| std::env::var(name).with_context(|| format!("set {name}"));
    let listen = std::env::var("LISTEN").unwrap_or_else(|_| "127.0.0.1:8090".to_owned());
    let config = netid_example_platform::Config {
        netid_url: var("NETID_URL")?,
        public_url: var("PUBLIC_URL")?,
        client_id: var("CLIENT_ID")?,
        credential: var("CLIENT_CREDENTIAL")?,
    };
    let platform = netid_example_platform::Platform::start(config).await?;
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    eprintln!("example platform on http://{listen}/");
    axum::serve(listener, netid_example_platform::router(platform)).await?;
    Ok(())
}
