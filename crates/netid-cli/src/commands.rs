//! The command line: every command, its arguments and their help, as clap reads them (what
//! each command does is in `main.rs` and the modules beside it).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// netid: national network identity authentication service and its clients.
#[derive(Debug, Parser)]
#[command(name = "netid", version, about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

// Parsed once per run: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the service (defaults: 127.0.0.1:8080, ./netid-data).
    Serve {
        /// Address to listen on (overrides NETID_LISTEN).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
    /// Seal everything stored under the master key again under a new one, with the server
    /// stopped. With the key file, the new key replaces it; with NETID_MASTER_KEY, give the new
    /// key in NETID_NEW_MASTER_KEY and serve with it afterwards. Safe to run again after an
    /// interruption: it finishes the rotation it began.
    RotateMasterKey {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// For a split master key: a new directory for the new key's share files (split as
        /// the old one was; hand them out as before). An interrupted rotation is finished
        /// with the new shares named in NETID_NEW_MASTER_KEY_SHARES.
        #[arg(long)]
        shares_out: Option<PathBuf>,
    },
    /// The master key, split among people.
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
    /// The service's signing keys.
    #[command(subcommand)]
    ServiceKeys(ServiceKeysCommand),
    /// Writes a consistent copy of the embedded database (the transparency log with it) to a
    /// new file, while the server runs. It holds no key: keep the master key apart.
    Backup {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The backup file to write (must not exist).
        #[arg(long)]
        to: PathBuf,
    },
    /// Puts a backup in place of the embedded database (stop the server first). The next
    /// start deletes again every holder deleted since the backup, from the deletion journal.
    Restore {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The backup file to restore.
        #[arg(long)]
        from: PathBuf,
    },
    /// Statutory document numbers.
    #[command(subcommand)]
    Doc(DocCommand),
    /// A holder's wallet key.
    #[command(subcommand)]
    Wallet(WalletCommand),
    /// Operator commands (each signed with your own operator key).
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Platform commands (need the platform's client id and credential).
    #[command(subcommand)]
    Platform(PlatformCommand),
    /// A synthetic document authority, for tests and demonstrations.
    #[command(subcommand)]
    Authority(AuthorityCommand),
    /// The certification authority's offline root.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Verify a Net Certificate presentation (standard input) as a platform would: fetches the
    /// issuer's keys and status list, checks audience, nonce and that exactly the claims asked
    /// are disclosed; prints the disclosed claims as JSON.
    Verify {
        /// The issuer (its `iss`, the service's public URL).
        #[arg(long, env = "NETID_SERVER", default_value = "http://127.0.0.1:8080")]
        issuer: String,
        /// The platform's audience, as in its request.
        #[arg(long)]
        audience: String,
        /// The nonce of its request.
        #[arg(long)]
        nonce: String,
        /// A claim it asked for (repeat for several).
        #[arg(long = "claim")]
        claims: Vec<String>,
    },
    /// Audit the transparency log: fetch the latest checkpoint and every entry, check them
    /// against every checkpoint seen before, verify the log's consistency proofs, and print
    /// the public counts per month. Exits 1 on any inconsistency.
    Audit {
        #[command(flatten)]
        server: ServerArgs,
        /// The log's verifier key (`name+id+key`), obtained out of band.
        #[arg(long, env = "NETID_LOG_KEY")]
        log_key: String,
        /// A directory of checkpoints seen before; the new one is added (fork detection
        /// across runs).
        #[arg(long)]
        state_dir: Option<PathBuf>,
        /// More signed checkpoints to check (for example from other auditors).
        #[arg(long = "checkpoint")]
        checkpoints: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum DocCommand {
    /// Read numbers one per line on stdin; write `valid` or `invalid: REASON` per line.
    Validate {
        /// Document type, e.g. resident-id, passport.
        #[arg(long = "type")]
        document_type: String,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct ServerArgs {
    /// Base URL of the service.
    #[arg(long, env = "NETID_SERVER", default_value = "http://127.0.0.1:8080")]
    pub(crate) server: String,
}

/// Where the operator endpoints are: the service's administration listener.
#[derive(Debug, clap::Args)]
pub(crate) struct AdminServerArgs {
    /// Base URL of the service's administration listener (operator endpoints only).
    #[arg(
        long,
        env = "NETID_ADMIN_SERVER",
        default_value = "http://127.0.0.1:8081"
    )]
    pub(crate) server: String,
    /// Over https (the administration listener with NETID_ADMIN_TLS=on): the certificate
    /// (PEM) that the service's certificate is checked against, if not the system's roots.
    /// The client certificate is made from your operator key (P-256) for each run.
    #[arg(long, env = "NETID_ADMIN_SERVER_CA")]
    pub(crate) server_ca: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WalletCommand {
    /// Generate a wallet key into FILE (mode 0600; refuses to overwrite).
    Init {
        /// Where to write the key.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// Crypto suite: gm (SM2) or intl (P-256).
        #[arg(long, default_value = "gm")]
        suite: String,
    },
    /// Print the wallet's public key (SPKI PEM).
    PublicKey {
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Apply for a Net ID (or recover one) with a statutory document.
    Enroll {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// Document type.
        #[arg(long = "type")]
        document_type: String,
        /// Document number.
        #[arg(long)]
        number: String,
        /// Name as on the document.
        #[arg(long)]
        name: String,
        /// One-time enrollment code from the document authority.
        #[arg(long)]
        code: Option<String>,
        /// For an applicant under 14: the guardian's wallet key file.
        #[arg(long)]
        guardian_wallet: Option<PathBuf>,
        /// The version of the notice you read and accept (your consent to the centre's
        /// processing). Without it, the notice is printed and nothing is sent.
        #[arg(long, value_name = "VERSION")]
        accept_notice: Option<String>,
        /// The notice's language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// Print the centre's notice (what it holds, why, for how long, your rights); with
    /// --accept, accept it (needed before your Net ID is used again after a new version).
    Notice {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The version you read and accept.
        #[arg(long, value_name = "VERSION")]
        accept: Option<String>,
        /// The notice's language: zh (default) or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
    /// List this holder's own transparency-log entries, each checked against the signed
    /// checkpoint.
    Log {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The log's verifier key; without it the key the server serves is trusted.
        #[arg(long, env = "NETID_LOG_KEY")]
        log_key: Option<String>,
    },
    /// Get an electronic-signature certificate (pseudonymous subject) for a new key of the CA's
    /// suite: writes the key (mode 0600) and the certificate with its chain (PEM).
    Certificate {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// Where to write the certificate's new key.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the certificate and its chain.
        #[arg(long)]
        out: PathBuf,
        /// The CA's suite: gm (SM2) or intl (P-256).
        #[arg(long, default_value = "gm")]
        suite: String,
    },
    /// Renew one of your certificates (the same key, a new validity): writes the new
    /// certificate with its chain (PEM). The old one stays valid until it ends.
    RenewCertificate {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The certificate's serial number (hex).
        #[arg(long)]
        serial: String,
        /// Where to write the renewed certificate and its chain.
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke one of your certificates.
    RevokeCertificate {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The certificate's serial number (hex).
        #[arg(long)]
        serial: String,
        /// unspecified, key_compromise, superseded or cessation_of_operation.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Make a presentation for a platform (prints JSON for `netid platform verify`).
    Present {
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The platform's client id.
        #[arg(long, required_unless_present_any = ["request", "openid4vp"], conflicts_with = "request")]
        client_id: Option<String>,
        /// The platform's nonce.
        #[arg(long, required_unless_present_any = ["request", "openid4vp"], conflicts_with = "request")]
        nonce: Option<String>,
        /// Predicates asked: age_over_14, age_over_18.
        #[arg(long = "predicate")]
        predicates: Vec<String>,
        /// Present a Net Certificate instead, for a platform's request (JSON: audience,
        /// nonce, claims): prints the SD-JWT presentation disclosing exactly those claims. An
        /// identifying claim (net_id, name, birth date, document details, nationality) goes
        /// only to a platform whose published profile grants it (fetched from --server; the
        /// audience is its client id).
        #[arg(long, conflicts_with_all = ["client_id", "nonce", "predicates"])]
        request: Option<PathBuf>,
        /// Answer a platform's OpenID4VP request instead (`openid4vp://?client_id=…&request_uri=…`,
        /// a link or a scanned QR code): its signed request is checked against netid's CA, the
        /// claims it asks are said on standard error, and one Net Certificate goes to it.
        #[arg(long, conflicts_with_all = ["client_id", "nonce", "predicates", "request"])]
        openid4vp: Option<String>,
        /// With --openid4vp: the CA certificates (PEM) to trust instead of netid's
        /// (`GET /v1/ca/chain` of --server).
        #[arg(long, requires = "openid4vp")]
        trust: Option<PathBuf>,
        /// The service: its presentation key, or the platform's published profile.
        #[arg(long, env = "NETID_SERVER", default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The Net Certificate file of `netid wallet net-certificates`.
        #[arg(long, default_value = "net-certificates.json")]
        certificates: PathBuf,
    },
    /// Delete your data (Art. 9). It cannot be undone: your Net ID is retired for good, your
    /// Net Certificates and certificates are revoked, your consents end, platforms can no
    /// longer verify you, and the service can no longer read your record.
    Delete {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// Confirms that you have read the above and want it.
        #[arg(long)]
        yes_delete_my_data: bool,
    },
    /// Show the record the service holds about you (document, name, birth date, sex,
    /// nationality, expiry; whether it is valid and whether your Net ID is locked), with your
    /// corrections, complaints and what platforms said they deleted.
    Record {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Make a credential offer (OpenID4VCI) to take Net Certificates into a wallet app:
    /// prints the offer link (open it in the app, or make it a QR code) and the six-digit
    /// transaction code the app asks for. Valid five minutes, once.
    Offer {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Show what a platform said it deleted after your deletion, by a reference that
    /// `netid wallet delete` printed (no wallet needed: your data is gone).
    Receipt {
        #[command(flatten)]
        server: ServerArgs,
        /// The reference.
        reference: String,
    },
    /// Ask the document authority whose roster lists you to correct your record: say what is
    /// wrong. Prints the request's reference; `netid wallet record` shows where it stands.
    Correction {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// What is wrong and what is right (one line, up to 500 characters).
        #[arg(long)]
        message: String,
    },
    /// Complain about a platform to the operator: prints the complaint's reference; `netid
    /// wallet record` shows where it stands and the answer. Nothing goes to the platform;
    /// only the operator's system administrators read your words, never who wrote them.
    Complain {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The platform's client id (`pl-…`, as your history names it).
        #[arg(long)]
        client_id: String,
        /// extra_plaintext (it asked you for more identity data), refused_without_net_id,
        /// kept_past_retention or other.
        #[arg(long)]
        category: String,
        /// What happened (one line, up to 1000 characters).
        #[arg(long)]
        text: String,
    },
    /// Lock your Net ID while you look into a misuse: nothing is verified, signed in,
    /// consented to or issued with it until you unlock it, and your Net Certificates are
    /// revoked (get new ones after the unlock). Your history stays readable.
    Lock {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Unlock your Net ID.
    Unlock {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Give a platform your separate consent to receive plaintext fields its published
    /// profile grants (Art. 9, 10). Prints the notice first; the consent names its version.
    Consent {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// A field to consent to (repeat).
        #[arg(long = "field", required = true)]
        fields: Vec<String>,
        /// For a holder under 14: the guardian's wallet key file, whose approval goes with it.
        #[arg(long)]
        guardian_wallet: Option<PathBuf>,
    },
    /// Print a one-time link (valid 10 minutes) that adds a passkey for your Net ID in the
    /// browser you open it in, so that you can use the web app.
    LinkBrowser {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
    },
    /// Answer a platform's OpenID Connect sign-in request, shown on its consent screen:
    /// approve (with a separate consent for each plaintext field you choose) or deny.
    Authorize {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The platform's client id, as the consent screen shows it.
        #[arg(long)]
        client_id: String,
        /// The request's `request_uri`, as the consent screen shows it.
        #[arg(long)]
        request_uri: String,
        /// A plaintext field you consent to give the platform (repeat); none by default.
        #[arg(long = "consent")]
        consent: Vec<String>,
        /// Decline the request instead.
        #[arg(long, conflicts_with = "consent")]
        deny: bool,
        /// For a holder under 14: the guardian's wallet key file, whose approval goes with a
        /// consent.
        #[arg(long)]
        guardian_wallet: Option<PathBuf>,
    },
    /// Withdraw consents, at once for every later request; with --ward-net-id, as the
    /// guardian of a child under 14, the child's.
    Withdraw {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file (the guardian's, with --ward-net-id).
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// A field to withdraw (repeat).
        #[arg(long = "field", required = true)]
        fields: Vec<String>,
        /// The Net ID of the child in your care whose consents to withdraw.
        #[arg(long)]
        ward_net_id: Option<String>,
    },
    /// As the guardian on record of a child under 14, approve a platform for the child (Art.
    /// 5): the child is verified and signed in only at platforms a guardian approved.
    ApprovePlatform {
        #[command(flatten)]
        server: ServerArgs,
        /// Your (the guardian's) wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The child's Net ID.
        #[arg(long)]
        ward_net_id: String,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
    },
    /// As the guardian on record of a child under 14, delete the child's data (Art. 9), with
    /// your own wallet. The same consequences as `delete`, for the child.
    DeleteWard {
        #[command(flatten)]
        server: ServerArgs,
        /// Your (the guardian's) wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// The child's Net ID.
        #[arg(long)]
        ward_net_id: String,
        /// Confirms that you want the child's data deleted for good.
        #[arg(long)]
        yes_delete_the_childs_data: bool,
    },
    /// Get a batch of Net Certificates (SD-JWT VCs), one per fresh key, each for one
    /// presentation; adds them to the certificate file (mode 0600).
    /// Take Net Certificates from an OpenID4VCI credential offer (`netid wallet offer`, or
    /// the web app's), as a wallet app would: the offer link and the transaction code shown
    /// with it. They go into the certificate file, each with a key of its own.
    Take {
        /// The offer link, `openid-credential-offer://?credential_offer=…`.
        #[arg(long)]
        offer: String,
        /// The six-digit transaction code shown with it.
        #[arg(long)]
        tx_code: String,
        /// How many (the issuer takes at most 10 at a time).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=10))]
        count: u16,
        /// The suite of their keys and signatures: gm (SM2) or intl (P-256).
        #[arg(long, default_value = "gm")]
        suite: String,
        /// The certificate file.
        #[arg(long, default_value = "net-certificates.json")]
        out: PathBuf,
    },
    NetCertificates {
        #[command(flatten)]
        server: ServerArgs,
        /// The wallet key file.
        #[arg(long, default_value = "wallet.key")]
        wallet: PathBuf,
        /// How many.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=50))]
        count: u16,
        /// Instead of --count: top the file up to this many certificates that are good for
        /// at least three more days, fetching only what is missing (nothing if none is). Run
        /// it on a schedule to re-issue before expiry.
        #[arg(long, conflicts_with = "count", value_parser = clap::value_parser!(u16).range(1..=200))]
        keep: Option<u16>,
        /// The suite of their keys and signatures: gm (SM2) or intl (P-256).
        #[arg(long, default_value = "gm")]
        suite: String,
        /// The certificate file.
        #[arg(long, default_value = "net-certificates.json")]
        out: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub(crate) struct OperatorAuth {
    #[command(flatten)]
    pub(crate) server: AdminServerArgs,
    /// Your own operator key (PKCS#8 PEM, from `netid operator keygen`): every request is
    /// signed with it.
    #[arg(long, env = "NETID_OPERATOR_KEY")]
    pub(crate) operator_key: PathBuf,
}

// Parsed once per run: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub(crate) enum OperatorCommand {
    /// Make your own operator key (PKCS#8 PEM, mode 0600, never leaves you) and print its
    /// public half (SPKI PEM) for a security administrator to add, or for `setup`.
    Keygen {
        /// Where to write the key (it must not exist yet).
        #[arg(long)]
        operator_key: PathBuf,
        /// gm (SM2) or intl (P-256).
        #[arg(long, default_value = "gm")]
        suite: String,
    },
    /// With the server stopped, on its data: add an operator directly. Allowed only while
    /// fewer than two security administrators are active (the set-up); after that, one asks
    /// with `add` and another approves.
    Setup {
        /// The data directory (default: NETID_DATA_DIR or ./netid-data).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The person's name (kept for security administrators; never published or logged).
        #[arg(long)]
        name: String,
        /// security_administrator, system_administrator, ca_officer,
        /// data_protection_officer or auditor.
        #[arg(long)]
        role: netid_proto::OperatorRole,
        /// Their public key (SPKI PEM, from `netid operator keygen`).
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Security administrator: ask to add an operator (a second one approves).
    Add {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The person's name.
        #[arg(long)]
        name: String,
        /// Their role (see `setup`).
        #[arg(long)]
        role: netid_proto::OperatorRole,
        /// Their public key (SPKI PEM).
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Security administrator: ask to retire an operator (a second one approves).
    Retire {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The operator id (`op-…`).
        #[arg(long)]
        operator_id: String,
    },
    /// Security administrator: a one-time code (24 hours) with which another operator adds
    /// their first passkey in the operator console; give it to them in person. Their passkey
    /// is then their second factor: a security administrator, CA officer or data-protection
    /// officer confirms with it in the console before changing anything.
    PasskeyCode {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The operator id (`op-…`) of the account.
        #[arg(long)]
        operator_id: String,
    },
    /// Print a self-signed client certificate (PEM, one year) for your P-256 operator key: the
    /// one a browser presents to an administration listener over TLS (with the key, e.g. as
    /// PKCS#12 from `openssl pkcs12 -export`). The CLI makes its own at each run.
    Certificate {
        /// Your own operator key (PKCS#8 PEM, P-256).
        #[arg(long, env = "NETID_OPERATOR_KEY")]
        operator_key: PathBuf,
    },
    /// Security administrator: the operator accounts, with names.
    Accounts {
        #[command(flatten)]
        auth: OperatorAuth,
    },
    /// Auditor or security administrator: the security events, checked as a hash chain from
    /// the first one shown (or from `--after`'s hash, to continue from an earlier reading).
    SecurityEvents {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Show the events after this one (its number).
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// The hash (hex) of event `--after`, as an earlier reading printed it: the chain is
        /// then checked to continue from it.
        #[arg(long, requires = "after")]
        after_hash: Option<String>,
        /// First seal the chain in the transparency log (a `security_events_sealed` entry
        /// vouching for its newest hash).
        #[arg(long)]
        seal: bool,
    },
    /// Any operator: the newest requested acts and where they stand.
    Acts {
        #[command(flatten)]
        auth: OperatorAuth,
    },
    /// A second operator of the act's role: approve a requested act.
    Approve {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The request id (`act-…`).
        request_id: String,
    },
    /// Refuse a requested act (a second operator of its role), or withdraw your own.
    Refuse {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The request id (`act-…`).
        request_id: String,
    },
    /// The operator who asked: carry out an approved act, once; prints its answer.
    CarryOut {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The request id (`act-…`).
        request_id: String,
    },
    /// System administrator: ask to approve or refuse fields a platform requested (a grant);
    /// a second system administrator approves, and you carry it out (`carry-out`).
    DecideProfile {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// A requested field to grant (repeat).
        #[arg(long = "approve")]
        approve: Vec<String>,
        /// A requested field to refuse (repeat).
        #[arg(long = "refuse")]
        refuse: Vec<String>,
        /// How many days the approvals hold (1 to 1095, three years by default); approving a
        /// field again renews it.
        #[arg(long)]
        valid_days: Option<u32>,
    },
    /// System administrator: ask to suspend, reinstate or remove a platform; a second system
    /// administrator approves, and you carry it out (`carry-out`). A suspended platform is
    /// refused everything until reinstated; a removal is for good and ends the consents
    /// given to it.
    PlatformStatus {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// suspended, active (reinstate) or removed.
        #[arg(long)]
        status: String,
        /// Why (1 to 300 characters); public in the platform's profile, so no personal data.
        #[arg(long)]
        reason: String,
    },
    /// Every platform with its standing.
    Platforms {
        #[command(flatten)]
        auth: OperatorAuth,
    },
    /// System administrator: the complaints, open first, with the holders' words.
    Complaints {
        #[command(flatten)]
        auth: OperatorAuth,
    },
    /// System administrator: record where an open complaint stands and the answer its holder
    /// reads (a suspension is asked for with `platform-status`).
    HandleComplaint {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The complaint's reference (`cmp-…`).
        reference: String,
        /// investigating, upheld or dismissed (the last two close it).
        #[arg(long)]
        status: String,
        /// The answer to the holder (one line, up to 1000 characters).
        #[arg(long)]
        resolution: String,
        /// What was done about the platform: none, warning, suspension or removal.
        #[arg(long, default_value = "none")]
        action: String,
    },
    /// Trust a document authority's public key (SPKI PEM file).
    RegisterAuthority {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The authority's name.
        #[arg(long)]
        name: String,
        /// Its public key, SPKI PEM.
        #[arg(long)]
        public_key: PathBuf,
    },
    /// Load a signed roster (JSON file as `netid authority sign-roster` writes it).
    LoadRoster {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The signed roster file.
        #[arg(long)]
        roster: PathBuf,
    },
    /// Register a platform; prints its client id and credential (shown once).
    RegisterPlatform {
        #[command(flatten)]
        auth: OperatorAuth,
        /// A display name.
        #[arg(long)]
        name: String,
        /// Join the pseudonym sector of this registered platform (client id): the group then
        /// sees one pseudonym per holder.
        #[arg(long)]
        sector_of: Option<String>,
    },
    /// Data-protection officer: ask to read a holder's personal data, as the law requires; a
    /// second data-protection officer approves and you carry it out (`carry-out`). The read
    /// is a log entry the holder sees with its legal basis (after the deferral, if one is
    /// given).
    ReadHolder {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The holder's Net ID.
        #[arg(long, required_unless_present_any = ["platform", "certificate_serial"])]
        net_id: Option<String>,
        /// Or: the platform (client id) that knows the holder by `--subject`.
        #[arg(long, requires = "subject", conflicts_with_all = ["net_id", "certificate_serial"])]
        platform: Option<String>,
        /// The holder's pairwise pseudonym at `--platform`.
        #[arg(long, requires = "platform")]
        subject: Option<String>,
        /// Or: the serial number (hex) of a certificate issued to the holder.
        #[arg(long, conflicts_with = "net_id")]
        certificate_serial: Option<String>,
        /// A field to read (repeat): name, birth_date, document_type, document_number,
        /// nationality, net_id.
        #[arg(long = "field", required_unless_present = "history_from")]
        fields: Vec<String>,
        /// Also export the holder's authentication history from this day (YYYY-MM-DD)...
        #[arg(long, requires = "history_until")]
        history_from: Option<String>,
        /// ...to this day (at most 366 days in all).
        #[arg(long, requires = "history_from")]
        history_until: Option<String>,
        /// The kind of legal basis: criminal_investigation, court_order, national_security,
        /// public_security_administration, supervisory_investigation or emergency (the public
        /// counts are per kind).
        #[arg(long)]
        basis_kind: String,
        /// The law and article that require the read.
        #[arg(long)]
        legal_basis: String,
        /// The request's reference (case or order number), shown to the holder.
        #[arg(long)]
        reference: String,
        /// Defer the holder's notice (Art. 11) until this day (YYYY-MM-DD, Beijing time).
        #[arg(long, requires_all = ["defer_ground", "defer_basis"])]
        defer_until: Option<String>,
        /// The ground of the deferral: confidentiality or emergency.
        #[arg(long, requires = "defer_until")]
        defer_ground: Option<String>,
        /// The law and article, or the emergency, behind the deferral.
        #[arg(long, requires = "defer_until")]
        defer_basis: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlatformCommand {
    /// Declare the commitments of Art. 7: the platform asks people it verified through netid
    /// for no further plaintext identity data, and serves people who do not use a Net ID as
    /// it serves those who do. Its profile and the consent screen show them.
    Commit {
        #[command(flatten)]
        server: ServerArgs,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// The platform's credential.
        #[arg(long, env = "NETID_PLATFORM_CREDENTIAL", hide_env_values = true)]
        credential: String,
        /// Commit to asking verified holders for no further plaintext identity data.
        #[arg(long, required = true)]
        no_extra_plaintext: bool,
        /// Commit to serving people without a Net ID equally.
        #[arg(long, required = true)]
        equal_service: bool,
    },
    /// Verify a holder's presentation (JSON file, `-` for stdin).
    Verify {
        #[command(flatten)]
        server: ServerArgs,
        /// The platform's client id.
        #[arg(long)]
        client_id: String,
        /// The platform's credential.
        #[arg(long, env = "NETID_PLATFORM_CREDENTIAL", hide_env_values = true)]
        credential: String,
        /// The presentation file.
        #[arg(long)]
        presentation: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum MasterKeyCommand {
    /// Splits the master key file into share files, any THRESHOLD of which recover it, and
    /// removes the key file (server stopped). Hand each share to one person and remove it
    /// from this machine; every start then needs THRESHOLD of them, named in
    /// NETID_MASTER_KEY_SHARES (comma-separated paths).
    Split {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// How many shares recover the key (at least 2).
        #[arg(long)]
        threshold: u8,
        /// How many shares to make (at least the threshold, at most 255).
        #[arg(long)]
        shares: u8,
        /// Where to write the share files (created, mode 0700; nothing in it is overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Wraps the master key file with a key in a PKCS#11 token (made there if absent, never
    /// leaving it) and removes the key file (server stopped). The token comes from
    /// NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE (and NETID_PKCS11_KEY
    /// for another key label); every start then needs them.
    SealToToken {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum ServiceKeysCommand {
    /// Moves the service's P-256 signing keys (the intl suite's: OpenID Connect's ES256 key,
    /// an intl log's, CA's and Net Certificates' keys) from the store into the PKCS#11 token
    /// named by NETID_PKCS11_MODULE, NETID_PKCS11_TOKEN and NETID_PKCS11_PIN_FILE, never to
    /// leave it (server stopped). Every start then needs the token; new P-256 keys are made in
    /// it. SM2 keys stay sealed under the master key (SoftHSM has no SM2).
    MoveToToken {
        /// Data directory (overrides NETID_DATA_DIR).
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CaCommand {
    /// Make an offline root: a key (PKCS#8 PEM, mode 0600) and its self-signed certificate.
    InitRoot {
        /// Crypto suite: gm (SM2) or intl (P-256); the service's CA suite.
        #[arg(long, default_value = "gm")]
        suite: String,
        /// Where to write the root key.
        #[arg(long)]
        key: PathBuf,
        /// Where to write the root certificate (PEM).
        #[arg(long)]
        cert: PathBuf,
        /// The root's distinguished name.
        #[arg(long, default_value = "CN=netid root CA,O=netid")]
        subject: String,
        /// Validity in days.
        #[arg(long, default_value_t = 3650)]
        days: u64,
    },
    /// Online: write the service's issuing CA public key to a file and show its fingerprint.
    IssuingKey {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Where to write the key (SPKI PEM), to carry to the offline root.
        #[arg(long)]
        out: PathBuf,
    },
    /// Offline: certify an issuing CA key with the root key.
    SignIssuing {
        /// The root key file.
        #[arg(long)]
        root_key: PathBuf,
        /// The root certificate (PEM).
        #[arg(long)]
        root_cert: PathBuf,
        /// The issuing key (SPKI PEM) from `netid ca issuing-key`.
        #[arg(long)]
        issuing_key: PathBuf,
        /// Where to write the issuing CA certificate (PEM).
        #[arg(long)]
        out: PathBuf,
        /// Validity in days.
        #[arg(long, default_value_t = 1825)]
        days: u64,
    },
    /// Online: fetch the supervisor's filing package (chain, fingerprints, policies, issuance
    /// counts), check the CA's signature on it, and write it to a file.
    Filing {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Where to write the signed package (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Online, two CA officers: start an issuer-key rollover; writes the next issuing key to
    /// certify offline (then `sign-issuing` and `install` it like the first). The current key
    /// issues until then. The first run asks; a second CA officer approves; run it again with
    /// `--request`.
    Rollover {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Carry out this request (`act-…`), which a second CA officer approved, instead of
        /// asking.
        #[arg(long)]
        request: Option<String>,
        /// Where to write the next key (SPKI PEM).
        #[arg(long)]
        out: PathBuf,
    },
    /// Online: revoke any certificate of this CA (or one taken over from a predecessor).
    Revoke {
        #[command(flatten)]
        auth: OperatorAuth,
        /// The certificate's serial number (hex).
        #[arg(long)]
        serial: String,
        /// unspecified, key_compromise, superseded or cessation_of_operation.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Online, on the successor: write its OCSP responder key, for the predecessor to certify.
    ResponderKey {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Where to write the key (SPKI PEM).
        #[arg(long)]
        out: PathBuf,
    },
    /// Online, two CA officers: hand this CA over to a successor. Certifies the successor's
    /// responder key, signs final CRLs, and writes the signed package of its CAs and
    /// certificates; the CA issues and revokes nothing afterwards. The first run asks; a
    /// second CA officer approves; run it again with `--request`.
    ExportSuccessor {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Carry out this request (`act-…`), which a second CA officer approved, instead of
        /// asking.
        #[arg(long)]
        request: Option<String>,
        /// The successor's responder key (SPKI PEM) from `netid ca responder-key` there.
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        successor_key: Option<PathBuf>,
        /// Where to write the signed handover package (JSON).
        #[arg(long)]
        out: PathBuf,
    },
    /// Online, on the successor, two CA officers: take over a predecessor's CAs from its
    /// handover package. The first run asks; a second CA officer approves; run it again with
    /// `--request`.
    ImportPredecessor {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Carry out this request (`act-…`), which a second CA officer approved, instead of
        /// asking.
        #[arg(long)]
        request: Option<String>,
        /// The signed handover package from `netid ca export-successor`.
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        package: Option<PathBuf>,
        /// The SHA-256 fingerprint of the predecessor's root, learned from the predecessor
        /// or the supervisor (not from the package): every CA in it must chain to that root.
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        root_sha256: Option<String>,
    },
    /// Online, two CA officers: install the issuing CA certificate (and the root) in the
    /// service. The first run asks; a second CA officer approves; run it again with
    /// `--request`.
    Install {
        #[command(flatten)]
        auth: OperatorAuth,
        /// Carry out this request (`act-…`), which a second CA officer approved, instead of
        /// asking.
        #[arg(long)]
        request: Option<String>,
        /// The root certificate (PEM).
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        root_cert: Option<PathBuf>,
        /// The issuing CA certificate (PEM) from `netid ca sign-issuing`.
        #[arg(long, required_unless_present = "request", conflicts_with = "request")]
        issuing_cert: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuthorityCommand {
    /// Generate an authority SM2 key (PKCS#8 PEM, mode 0600) and print its public key.
    Init {
        /// Where to write the key.
        #[arg(long)]
        key: PathBuf,
    },
    /// Sign a roster: reads a JSON array of records, writes the signed roster JSON to stdout.
    SignRoster {
        /// The authority key file.
        #[arg(long)]
        key: PathBuf,
        /// The authority's name.
        #[arg(long)]
        name: String,
        /// The records (JSON array of roster entries).
        #[arg(long)]
        records: PathBuf,
    },
    /// Read the corrections the authority's people asked for that no roster has answered yet
    /// (JSON to stdout: each with its reference, the record the centre holds and the
    /// person's message). Correct the records, sign a new roster, and have it loaded: that
    /// corrects each person's record and closes their request.
    Corrections {
        #[command(flatten)]
        server: ServerArgs,
        /// The authority key file.
        #[arg(long)]
        key: PathBuf,
        /// The authority's name.
        #[arg(long)]
        name: String,
    },
}
