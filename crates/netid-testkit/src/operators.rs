//! The test servers' operators: a team made at set-up (two of each role that acts two by two,
//! one auditor), whose keys are kept in the data directory so that a restarted server keeps
//! its team.

use std::path::Path;

use netid_crypto::{SigningKey, Suite};
use netid_proto::OperatorRole;
use netid_server::Config;
use netid_server::operators::NewAccount;
use serde::{Deserialize, Serialize};

/// Where the team's keys are kept (test data only).
const FILE: &str = "test-operators.json";

/// The accounts made at set-up: role and how many.
const TEAM: [(OperatorRole, usize); 5] = [
    (OperatorRole::SystemAdministrator, 2),
    (OperatorRole::CaOfficer, 2),
    (OperatorRole::DataProtectionOfficer, 2),
    (OperatorRole::Auditor, 1),
    (OperatorRole::SecurityAdministrator, 2),
];

/// How many log entries the set-up of a test server's team makes (one per account): every
/// test server's log begins with them.
pub const SETUP_ENTRIES: usize = {
    let mut total = 0;
    let mut i = 0;
    while i < TEAM.len() {
        total += TEAM[i].1;
        i += 1;
    }
    total
};

/// One test operator: id, role and private key.
#[derive(Debug)]
pub struct TestOperator {
    /// The public operator id.
    pub id: String,
    /// Their role.
    pub role: OperatorRole,
    /// Their private key.
    pub key: SigningKey,
}

/// A test server's operators.
#[derive(Debug, Default)]
pub struct TestOperators(pub Vec<TestOperator>);

#[derive(Serialize, Deserialize)]
struct Stored {
    id: String,
    role: OperatorRole,
    pem: String,
}

impl TestOperators {
    /// The `n`th (0-based) operator of `role`.
    pub fn get(&self, role: OperatorRole, n: usize) -> &TestOperator {
        self.0
            .iter()
            .filter(|operator| operator.role == role)
            .nth(n)
            .unwrap_or_else(|| panic!("the test team has no {role} number {n}"))
    }

    /// The team of `data_dir`: read back, or made at set-up (server stopped) on first use.
    pub async fn of(data_dir: &Path, config: &Config) -> Self {
        let file = data_dir.join(FILE);
        if let Ok(text) = std::fs::read_to_string(&file) {
            let stored: Vec<Stored> = serde_json::from_str(&text).unwrap();
            return Self(
                stored
                    .into_iter()
                    .map(|stored| TestOperator {
                        id: stored.id,
                        role: stored.role,
                        key: Suite::intl()
                            .signing_key_from_pkcs8_pem(&stored.pem)
                            .unwrap(),
                    })
                    .collect(),
            );
        }
        let mut keys = Vec::new();
        let mut accounts = Vec::new();
        for (role, count) in TEAM {
            for n in 0..count {
                let key = Suite::intl().generate_signing_key().unwrap();
                accounts.push(NewAccount {
                    name: format!("测试{role}{n}"),
                    role,
                    key: key.verifying_key().clone(),
                });
                keys.push((role, key));
            }
        }
        let ids = netid_server::operators::setup(config, &accounts)
            .await
            .unwrap();
        let team: Vec<TestOperator> = keys
            .into_iter()
            .zip(ids)
            .map(|((role, key), id)| TestOperator { id, role, key })
            .collect();
        let stored: Vec<Stored> = team
            .iter()
            .map(|operator| Stored {
                id: operator.id.clone(),
                role: operator.role,
                pem: operator.key.to_pkcs8_pem().unwrap().to_string(),
            })
            .collect();
        std::fs::write(&file, serde_json::to_string(&stored).unwrap()).unwrap();
        Self(team)
    }
}

/// The `Authorization` header of a request of `operator` of `method` to `path` with `body`,
/// at `now`.
pub fn operator_authorization(
    operator: &TestOperator,
    method: &str,
    path: &str,
    body: &[u8],
    now: i64,
) -> String {
    let mut jti = [0u8; 16];
    getrandom::fill(&mut jti).unwrap();
    let proof =
        netid_authn::jwt::operator_proof(&operator.key, method, path, body, now, &hex::encode(jti))
            .unwrap();
    format!("NetID-Operator {proof}")
}
