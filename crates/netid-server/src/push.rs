//! Alerts the holder chooses (issue 24): a holder who gives a push subscription (the web app's,
//! from the browser's Push API) is told of each use of their Net ID by Web Push: RFC 8030
//! delivery to the push service, the message encrypted for the browser (RFC 8291) and the
//! request signed by the service's VAPID key (RFC 8292). The message says only that the
//! history has something new; the app then fetches the history itself, so nothing personal
//! goes through the push service.
//!
//! The service posts only to the push services it is told to trust (`NETID_PUSH_HOSTS`,
//! over https): a subscription is a URL a holder gives, and the service must not be made to
//! call anything else. Delivery is best effort, after the use is recorded; a subscription the
//! push service says is gone (404, 410) is removed.

use base64ct::{Base64UrlUnpadded, Encoding};
use netid_crypto::{SigningKey, Suite};
use netid_proto::{PushSubscribeRequest, PushSubscribed, PushSubscription, signing};
use netid_store::{HolderId, HolderRow, Store, Timestamp};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::deps::Deps;
use crate::error::{Error, Refusal};
use crate::keys::KeyPlace;
use crate::wallet::authenticate_holder;

/// The service key that signs VAPID tokens.
const VAPID_KEY: &str = "signing-vapid";
/// How long a push service keeps a message for a browser that is away, in seconds.
const TTL_SECONDS: u32 = 86_400;
/// How long a VAPID token is good for (RFC 8292 allows up to 24 hours).
const VAPID_LIFETIME_SECONDS: i64 = 12 * 3600;
/// How many subscriptions one holder keeps (one per browser).
const MAX_SUBSCRIPTIONS: usize = 10;
/// The message: that the history has something new, and nothing else.
const MESSAGE: &[u8] = br#"{"netid":"history"}"#;

/// The push services trusted by default.
pub(crate) const DEFAULT_HOSTS: &str =
    "fcm.googleapis.com,updates.push.services.mozilla.com,*.push.apple.com,*.notify.windows.com";

/// Web Push delivery: the VAPID key and the push services posted to.
pub(crate) struct Push {
    vapid: SigningKey,
    hosts: Vec<String>,
    subject: String,
    http: reqwest::Client,
}

/// A subscription as sealed at rest.
#[derive(Serialize, Deserialize)]
struct Sealed {
    endpoint: String,
    p256dh: String,
    auth: String,
}

impl Push {
    /// Web Push with the VAPID key in `store` (made on first use), posting to `hosts` (comma
    /// separated; `*.` a suffix), naming the service at `public_url` as the VAPID subject.
    pub(crate) async fn open(
        store: &dyn Store,
        place: KeyPlace<'_>,
        now: Timestamp,
        hosts: &str,
        public_url: &str,
    ) -> Result<Self, Error> {
        let vapid =
            crate::keys::load_or_add_signing_key(store, place, VAPID_KEY, &Suite::intl(), now)
                .await?;
        Ok(Self {
            vapid,
            hosts: hosts
                .split(',')
                .map(|host| host.trim().to_ascii_lowercase())
                .filter(|host| !host.is_empty())
                .collect(),
            subject: public_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|_| Error::Internal("the push client could not be built"))?,
        })
    }

    /// The VAPID public key, base64url of the uncompressed point: the web app's
    /// `applicationServerKey`.
    pub(crate) fn public_key(&self) -> String {
        Base64UrlUnpadded::encode_string(&self.vapid.verifying_key().to_sec1_uncompressed())
    }

    /// The endpoint's origin if it is one of a trusted push service: https, or http on the
    /// loopback address when that is trusted (tests).
    fn check_endpoint(&self, endpoint: &str) -> Result<String, Refusal> {
        let invalid = |reason: &str| Refusal::InvalidField {
            field: "subscription.endpoint",
            reason: reason.to_owned(),
        };
        if endpoint.len() > 2048 {
            return Err(invalid("at most 2048 characters"));
        }
        let url = url::Url::parse(endpoint).map_err(|_| invalid("not a URL"))?;
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let trusted = self
            .hosts
            .iter()
            .any(|allowed| match allowed.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => *allowed == host,
            });
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && host == "127.0.0.1");
        if !trusted || !scheme_ok || !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "not a push service this service posts to (https, a host in NETID_PUSH_HOSTS)",
            ));
        }
        Ok(url.origin().ascii_serialization())
    }

    /// `Authorization: vapid t=..., k=...` for the push service at `origin` (RFC 8292).
    fn authorization(&self, origin: &str, now: Timestamp) -> Result<String, Error> {
        let header = Base64UrlUnpadded::encode_string(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": origin,
            "exp": now.0 + VAPID_LIFETIME_SECONDS,
            "sub": self.subject,
        });
        let claims = Base64UrlUnpadded::encode_string(claims.to_string().as_bytes());
        let signing_input = format!("{header}.{claims}");
        let signature = self.vapid.sign(signing_input.as_bytes())?.to_fixed();
        Ok(format!(
            "vapid t={signing_input}.{}, k={}",
            Base64UrlUnpadded::encode_string(&signature),
            self.public_key()
        ))
    }
}

/// Records the subscription of the holder whose wallet signed `request`.
pub(crate) async fn subscribe(
    deps: &Deps,
    request: PushSubscribeRequest,
) -> Result<PushSubscribed, Error> {
    let subscription = &request.subscription;
    let holder = authenticate_holder(
        deps,
        &request.wallet_key,
        &request.request_id,
        request.timestamp,
        &signing::push_subscription_message(
            &subscription.endpoint,
            &subscription.keys.p256dh,
            &subscription.keys.auth,
            &request.request_id,
            request.timestamp,
        ),
        &request.signature,
    )
    .await?;
    subscribe_for(deps, &holder, &request.subscription).await
}

/// Records `subscription` for `holder`: a checked endpoint, keys that encrypt.
pub(crate) async fn subscribe_for(
    deps: &Deps,
    holder: &HolderRow,
    subscription: &PushSubscription,
) -> Result<PushSubscribed, Error> {
    deps.push.check_endpoint(&subscription.endpoint)?;
    let key = |field: &'static str, text: &str| {
        Base64UrlUnpadded::decode_vec(text).map_err(|_| Refusal::InvalidField {
            field,
            reason: "expected base64url".to_owned(),
        })
    };
    let p256dh = key("subscription.keys.p256dh", &subscription.keys.p256dh)?;
    let auth = key("subscription.keys.auth", &subscription.keys.auth)?;
    // Keys that cannot encrypt a message are refused now, not at each use.
    netid_crypto::webpush::encrypt(&p256dh, &auth, MESSAGE).map_err(|_| Refusal::InvalidField {
        field: "subscription.keys",
        reason: "expected a P-256 public key (65 bytes) and a 16-byte authentication secret"
            .to_owned(),
    })?;
    if deps.store.push_subscriptions(holder.id).await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(Refusal::InvalidField {
            field: "subscription",
            reason: format!("at most {MAX_SUBSCRIPTIONS} subscriptions; remove one first"),
        }
        .into());
    }
    let id = crate::credentials::random_id("push")?;
    let sealed = Sealed {
        endpoint: subscription.endpoint.clone(),
        p256dh: subscription.keys.p256dh.clone(),
        auth: subscription.keys.auth.clone(),
    };
    let json = Zeroizing::new(
        serde_json::to_vec(&sealed).map_err(|_| Error::Internal("serialising a subscription"))?,
    );
    let sealed = Suite::gm().encrypt(&deps.keys.roster, &aad(&id), &json)?;
    deps.store
        .add_push_subscription(id.clone(), holder.id, sealed, deps.clock.now())
        .await?;
    tracing::info!(target: "netid::security", event = "push_subscribed");
    Ok(PushSubscribed { id })
}

/// Tells `holder`'s subscribed browsers that their history has something new, in the
/// background: the use is recorded already, and a push service's delay must not hold it.
pub(crate) fn notify(deps: &Deps, holder: HolderId) {
    let deps = deps.clone();
    tokio::spawn(async move {
        if let Err(error) = deliver(&deps, holder).await {
            tracing::warn!(%error, "push delivery failed");
        }
    });
}

async fn deliver(deps: &Deps, holder: HolderId) -> Result<(), Error> {
    for (id, sealed) in deps.store.push_subscriptions(holder).await? {
        let json: Zeroizing<Vec<u8>> =
            Suite::gm().decrypt(&deps.keys.roster, &aad(&id), &sealed)?;
        let subscription: Sealed = serde_json::from_slice(&json)
            .map_err(|_| Error::Internal("a sealed subscription is not json"))?;
        let (Ok(p256dh), Ok(auth), Ok(origin)) = (
            Base64UrlUnpadded::decode_vec(&subscription.p256dh),
            Base64UrlUnpadded::decode_vec(&subscription.auth),
            deps.push.check_endpoint(&subscription.endpoint),
        ) else {
            continue;
        };
        let body = netid_crypto::webpush::encrypt(&p256dh, &auth, MESSAGE)?;
        let sent = deps
            .push
            .http
            .post(&subscription.endpoint)
            .header("TTL", TTL_SECONDS.to_string())
            .header("Urgency", "normal")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header(
                "Authorization",
                deps.push.authorization(&origin, deps.clock.now())?,
            )
            .body(body)
            .send()
            .await;
        match sent.map(|response| response.status().as_u16()) {
            Ok(404 | 410) => {
                deps.store.remove_push_subscription(holder, id).await?;
                tracing::info!("a push subscription the push service no longer knows was removed");
            }
            Ok(status) if (200..300).contains(&status) => {
                tracing::debug!(status, "push delivered");
            }
            Ok(status) => tracing::warn!(status, "the push service refused a message"),
            Err(_) => tracing::warn!("the push service could not be reached"),
        }
    }
    Ok(())
}

fn aad(id: &str) -> Vec<u8> {
    format!("netid push subscription v1\n{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(hosts: &str) -> Push {
        Push {
            vapid: Suite::intl().generate_signing_key().unwrap(),
            hosts: hosts.split(',').map(str::to_owned).collect(),
            subject: "https://netid.example".to_owned(),
            http: reqwest::Client::new(),
        }
    }

    #[test]
    fn only_trusted_push_services_over_https_are_posted_to() {
        let push = push("fcm.googleapis.com,*.push.apple.com,127.0.0.1");
        let ok = |url| push.check_endpoint(url).is_ok();
        assert!(ok("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(ok("https://web.push.apple.com/QGuQ"));
        assert!(ok("http://127.0.0.1:9999/push/1"));
        assert!(!ok("http://fcm.googleapis.com/fcm/send/abc"));
        assert!(!ok("https://push.apple.com.attacker.example/x"));
        assert!(!ok("https://evilpush.apple.com.example/x"));
        assert!(!ok("https://169.254.169.254/latest/meta-data"));
        assert!(!ok("https://user:pw@fcm.googleapis.com/x"));
        assert!(!ok("not a url"));
        assert_eq!(
            push.check_endpoint("https://fcm.googleapis.com:443/fcm/send/abc"),
            Ok("https://fcm.googleapis.com".to_owned())
        );
    }

    #[test]
    fn the_vapid_token_names_the_push_service_and_verifies_with_the_published_key() {
        let push = push("fcm.googleapis.com");
        let header = push
            .authorization("https://fcm.googleapis.com", Timestamp(1_800_000_000))
            .unwrap();
        let (token, key) = header
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
            .unwrap();
        assert_eq!(key, push.public_key());
        let (signing_input, signature) = token.rsplit_once('.').unwrap();
        let verifying = Suite::intl()
            .verifying_key_from_sec1(&Base64UrlUnpadded::decode_vec(key).unwrap())
            .unwrap();
        let signature = Suite::intl()
            .signature_from_fixed(&Base64UrlUnpadded::decode_vec(signature).unwrap())
            .unwrap();
        verifying
            .verify(signing_input.as_bytes(), &signature)
            .unwrap();
        let claims: serde_json::Value = serde_json::from_slice(
            &Base64UrlUnpadded::decode_vec(signing_input.split_once('.').unwrap().1).unwrap(),
        )
        .unwrap();
        assert_eq!(claims["aud"], "https://fcm.googleapis.com");
        assert_eq!(claims["exp"], 1_800_000_000 + VAPID_LIFETIME_SECONDS);
    }
}
