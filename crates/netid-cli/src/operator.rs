//! `netid operator` and `netid authority`: the operator's requests, and a document
//! authority's key and signed rosters.

use super::*;

pub(crate) fn operator(command: OperatorCommand) -> anyhow::Result<()> {
    let (auth, path, body) = match command {
        OperatorCommand::RegisterAuthority {
            auth,
            name,
            public_key,
        } => {
            let request = RegisterAuthorityRequest {
                name,
                public_key: PublicKey::Pem(read(&public_key)?),
            };
            (
                auth,
                "/v1/operator/authorities",
                serde_json::to_value(request)?,
            )
        }
        OperatorCommand::LoadRoster { auth, roster } => {
            let roster: SignedRoster = serde_json::from_str(&read(&roster)?)
                .context("the roster file is not a signed roster")?;
            (auth, "/v1/operator/rosters", serde_json::to_value(roster)?)
        }
        OperatorCommand::RegisterPlatform {
            auth,
            name,
            sector_of,
        } => (
            auth,
            "/v1/operator/platforms",
            serde_json::to_value(RegisterPlatformRequest { name, sector_of })?,
        ),
        OperatorCommand::ReadHolder {
            auth,
            net_id,
            fields,
            legal_basis,
            reference,
            defer_until,
            defer_ground,
            defer_basis,
        } => {
            let defer_notice = match (defer_until, defer_ground, defer_basis) {
                (Some(until), Some(ground), Some(legal_basis)) => Some(NoticeDeferral {
                    ground,
                    legal_basis,
                    until,
                }),
                _ => None,
            };
            let request = OperatorReadRequest {
                net_id,
                fields,
                legal_basis,
                reference,
                defer_notice,
            };
            (
                auth,
                "/v1/operator/holders/read",
                serde_json::to_value(request)?,
            )
        }
    };
    let bearer = format!("Bearer {}", auth.credential);
    println!("{}", post(&auth.server.server, path, Some(&bearer), &body)?);
    Ok(())
}

pub(crate) fn authority(command: AuthorityCommand) -> anyhow::Result<()> {
    match command {
        AuthorityCommand::Init { key } => {
            let signing_key = Suite::gm().generate_signing_key()?;
            write_secret(&key, &signing_key.to_pkcs8_pem()?)?;
            print!("{}", signing_key.verifying_key().to_spki_pem()?);
            Ok(())
        }
        AuthorityCommand::SignRoster { key, name, records } => {
            let key = load_key(&key)?;
            let records: Vec<RosterEntry> = serde_json::from_str(&read(&records)?)
                .context("the records file is not a json array of roster entries")?;
            // The service refuses a roster with a missing or weak code: say so before signing.
            for (index, record) in records.iter().enumerate() {
                let code = record.enrollment_code.as_deref().with_context(|| {
                    format!(
                        "record {index} has no enrollment_code: give each person a one-time code"
                    )
                })?;
                netid_core::enrollment_code::check_strength(code)
                    .with_context(|| format!("record {index}: enrollment_code is too weak"))?;
            }
            let payload = RosterPayload {
                authority: name.clone(),
                issued_at: today()?.to_string(),
                records,
            };
            let bytes = serde_json::to_vec(&payload)?;
            let signed = SignedRoster {
                alg: key.suite().jose_alg().to_owned(),
                authority: name,
                payload: Base64UrlUnpadded::encode_string(&bytes),
                signature: sign(&key, &bytes)?,
            };
            println!("{}", serde_json::to_string_pretty(&signed)?);
            Ok(())
        }
    }
}
