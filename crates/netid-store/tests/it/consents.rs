//! What a platform may receive: grants and consents, on both backends.

use super::*;
use netid_ca::RevocationReason;

/// When the approvals in these tests end.
const UNTIL: Timestamp = Timestamp(T0.0 + 86_400);

/// Grants and consents: a platform's fields are requested, then approved or refused; a
/// consent is only to an approved field; a field is disclosable only while approved and
/// consented; a replayed request changes nothing; withdrawal, a new request, a refusal and
/// deletion end consents, and a re-approval does not bring them back.
pub(crate) async fn only_approved_and_consented_fields_are_disclosable(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(1), None, vec![], leaf(), T0)
        .await
        .unwrap();
    store
        .insert_platform(
            PlatformRow {
                client_id: "p-1".to_owned(),
                credential_hash: vec![1],
                sector: "s-1".to_owned(),
                name: "platform".to_owned(),
                registered_at: T0,
                status: PlatformStatus::Active,
                status_since: None,
                status_reason: None,
                commitments_at: None,
            },
            leaf(),
        )
        .await
        .unwrap();
    let field = |name: &str| PlatformField {
        field: name.to_owned(),
        legal_basis: "Test Law art. 1".to_owned(),
        purpose: "testing".to_owned(),
        retention_days: 30,
        status: FieldStatus::Requested,
        approved_until: None,
    };
    let request = |fields: Vec<PlatformField>| async move {
        store
            .request_platform_fields("p-1", fields, T0)
            .await
            .unwrap()
    };
    let decide = |decisions: Vec<(&str, bool)>| {
        let decisions: Vec<(String, bool)> = decisions
            .into_iter()
            .map(|(field, approve)| (field.to_owned(), approve))
            .collect();
        async move {
            store
                .decide_platform_fields("p-1", decisions, UNTIL, leaf(), T0)
                .await
        }
    };
    let consent = |fields: &[&str], signed_at: i64| {
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        async move {
            store
                .give_consents(
                    ConsentChange {
                        holder,
                        client_id: "p-1".to_owned(),
                        fields,
                        signed_at: Timestamp(signed_at),
                    },
                    "v1".to_owned(),
                    leaf(),
                    T0,
                )
                .await
        }
    };
    let disclosable = || async move { store.disclosable_fields(holder, "p-1", T0).await.unwrap() };
    request(vec![field("name"), field("net_id")]).await;
    assert!(matches!(
        consent(&["name"], T0.0 + 1).await,
        Err(Error::NotFound { .. })
    ));
    decide(vec![("name", true), ("net_id", false)])
        .await
        .unwrap();
    assert!(matches!(
        decide(vec![("birth_date", true)]).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        consent(&["net_id"], T0.0 + 2).await,
        Err(Error::NotFound { .. })
    ));
    assert!(disclosable().await.is_empty());
    assert_eq!(consent(&["name"], T0.0 + 10).await.unwrap().len(), 1);
    assert_eq!(disclosable().await, vec!["name"]);
    let statuses: Vec<(String, String)> = store
        .platform_fields("p-1")
        .await
        .unwrap()
        .into_iter()
        .map(|field| (field.field, field.status.as_str().to_owned()))
        .collect();
    assert_eq!(
        statuses,
        vec![
            ("name".to_owned(), "approved".to_owned()),
            ("net_id".to_owned(), "refused".to_owned())
        ]
    );
    let withdraw = |signed_at: i64| async move {
        store
            .withdraw_consents(
                ConsentChange {
                    holder,
                    client_id: "p-1".to_owned(),
                    fields: vec!["name".to_owned()],
                    signed_at: Timestamp(signed_at),
                },
                leaf(),
                Vec::new(),
                T0,
            )
            .await
            .unwrap()
    };
    // A withdrawal signed before the consent is a replay; one signed in the same second or
    // later withdraws, once.
    assert_eq!(withdraw(T0.0 + 5).await, 0);
    assert_eq!(withdraw(T0.0 + 10).await, 1);
    assert_eq!(withdraw(T0.0 + 21).await, 0);
    assert!(disclosable().await.is_empty());
    // Replaying the old consent brings nothing back; a new one does.
    assert_eq!(consent(&["name"], T0.0 + 10).await.unwrap().len(), 0);
    assert!(disclosable().await.is_empty());
    assert_eq!(consent(&["name"], T0.0 + 30).await.unwrap().len(), 1);
    assert_eq!(disclosable().await, vec!["name"]);
    // A refusal ends it, and re-approval does not revive it.
    decide(vec![("name", false)]).await.unwrap();
    decide(vec![("name", true)]).await.unwrap();
    assert!(disclosable().await.is_empty());
    // A new request (new terms) ends consents too.
    assert_eq!(consent(&["name"], T0.0 + 40).await.unwrap().len(), 1);
    request(vec![field("name")]).await;
    decide(vec![("name", true)]).await.unwrap();
    assert!(disclosable().await.is_empty());
    // A consent signed before the terms it would consent to were set records nothing, even
    // where no consent was ended (issue 20: a delayed or replayed request).
    store
        .request_platform_fields("p-1", vec![field("name")], Timestamp(T0.0 + 100))
        .await
        .unwrap();
    store
        .decide_platform_fields(
            "p-1",
            vec![("name".to_owned(), true)],
            UNTIL,
            leaf(),
            Timestamp(T0.0 + 100),
        )
        .await
        .unwrap();
    assert_eq!(
        consent(&["name"], T0.0 + 99).await.unwrap(),
        Vec::<String>::new()
    );
    assert!(disclosable().await.is_empty());
    // Deletion ends them.
    assert_eq!(consent(&["name"], T0.0 + 150).await.unwrap(), vec!["name"]);
    let live = store.live_consents(holder).await.unwrap();
    assert_eq!(
        live.iter()
            .map(|row| (row.client_id.as_str(), row.field.as_str()))
            .collect::<Vec<_>>(),
        vec![("p-1", "name")]
    );
    let enrolled = store.holder_count().await.unwrap();
    store
        .delete_holder(
            holder,
            vec![1; 32],
            RevocationReason::CessationOfOperation,
            leaf(),
            Vec::new(),
            T0,
        )
        .await
        .unwrap();
    assert_eq!(
        store.holder_count().await.unwrap(),
        enrolled - 1,
        "a deleted holder is no longer counted"
    );
    assert!(disclosable().await.is_empty());
    assert!(store.live_consents(holder).await.unwrap().is_empty());
}

/// Platforms answer (issue 25): an approval past its end date releases nothing and takes no
/// new consent; a renewal (a new approval) brings the consents given under the same terms
/// back; a suspension keeps them; a removal ends them, kept with that reason, and is for good.
pub(crate) async fn grants_end_and_a_removed_platform_loses_its_consents(store: &dyn Store) {
    let holder = store
        .enroll_holder(new_holder(2), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let platform = platform_row("p-2");
    store.insert_platform(platform, leaf()).await.unwrap();
    let field = PlatformField {
        field: "name".to_owned(),
        legal_basis: "Test Law art. 1".to_owned(),
        purpose: "testing".to_owned(),
        retention_days: 30,
        status: FieldStatus::Requested,
        approved_until: None,
    };
    store
        .request_platform_fields("p-2", vec![field], T0)
        .await
        .unwrap();
    let approve = |until: Timestamp| async move {
        store
            .decide_platform_fields("p-2", vec![("name".to_owned(), true)], until, leaf(), T0)
            .await
            .unwrap();
    };
    approve(UNTIL).await;
    assert_eq!(
        store.platform_fields("p-2").await.unwrap()[0].approved_until,
        Some(UNTIL)
    );
    let consent = |signed_at: i64, at: Timestamp| async move {
        store
            .give_consents(
                ConsentChange {
                    holder,
                    client_id: "p-2".to_owned(),
                    fields: vec!["name".to_owned()],
                    signed_at: Timestamp(signed_at),
                },
                "v1".to_owned(),
                leaf(),
                at,
            )
            .await
    };
    let disclosable =
        |at: Timestamp| async move { store.disclosable_fields(holder, "p-2", at).await.unwrap() };
    assert_eq!(consent(T0.0 + 1, T0).await.unwrap(), vec!["name"]);
    assert_eq!(disclosable(Timestamp(UNTIL.0 - 1)).await, vec!["name"]);
    assert!(
        disclosable(UNTIL).await.is_empty(),
        "an expired grant releases nothing"
    );
    assert!(matches!(
        consent(UNTIL.0, UNTIL).await,
        Err(Error::NotFound { .. })
    ));
    // Renewed under the same terms: the consent given to them holds again.
    approve(Timestamp(UNTIL.0 + 86_400)).await;
    assert_eq!(disclosable(UNTIL).await, vec!["name"]);
    let set = |status: PlatformStatus| async move {
        store
            .set_platform_status("p-2", status, "complaint upheld".to_owned(), leaf(), T0)
            .await
            .unwrap()
    };
    assert!(set(PlatformStatus::Suspended).await);
    let row = store.platform("p-2").await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.status_since, row.status_reason.as_deref()),
        (
            PlatformStatus::Suspended,
            Some(T0),
            Some("complaint upheld")
        )
    );
    assert_eq!(store.live_consents(holder).await.unwrap().len(), 1);
    assert!(set(PlatformStatus::Active).await);
    assert!(set(PlatformStatus::Removed).await);
    assert!(store.live_consents(holder).await.unwrap().is_empty());
    assert!(disclosable(T0).await.is_empty());
    assert!(!set(PlatformStatus::Active).await, "a removal is for good");
    assert_eq!(
        store.platform("p-2").await.unwrap().unwrap().status,
        PlatformStatus::Removed
    );
    assert!(
        !store
            .set_platform_status(
                "p-none",
                PlatformStatus::Suspended,
                "x".to_owned(),
                leaf(),
                T0
            )
            .await
            .unwrap()
    );
    let listed = store.platforms().await.unwrap();
    assert!(listed.iter().any(|row| row.client_id == "p-2"));
}

/// Complaints (issue 25): filed by a holder, handled until closed (then no longer), counted
/// per platform and status; a deletion takes the holder's link and words and leaves the count.
pub(crate) async fn complaints_are_handled_until_closed_and_outlive_their_holder(
    store: &dyn Store,
) {
    let holder = store
        .enroll_holder(new_holder(3), None, vec![], leaf(), T0)
        .await
        .unwrap();
    let platform = platform_row("p-3");
    store.insert_platform(platform, leaf()).await.unwrap();
    let complaint = ComplaintRow {
        reference: "cmp-1".to_owned(),
        holder: Some(holder),
        client_id: "p-3".to_owned(),
        category: ComplaintCategory::ExtraPlaintext,
        sealed_text: Some(vec![7; 40]),
        status: ComplaintStatus::Received,
        resolution: None,
        action: None,
        handled_by: None,
        filed_at: T0,
        updated_at: T0,
    };
    store
        .add_complaint(complaint.clone(), leaf())
        .await
        .unwrap();
    assert_eq!(
        store.holder_complaints(holder).await.unwrap(),
        vec![complaint.clone()]
    );
    let handle = |status: ComplaintStatus| async move {
        store
            .handle_complaint(
                "cmp-1",
                ComplaintHandling {
                    status,
                    resolution: "Synthetic resolution".to_owned(),
                    action: ComplaintAction::Warning,
                    operator: "op-1".to_owned(),
                    at: Timestamp(T0.0 + 1),
                },
                leaf(),
            )
            .await
            .unwrap()
    };
    assert!(handle(ComplaintStatus::Investigating).await);
    assert!(handle(ComplaintStatus::Upheld).await);
    assert!(
        !handle(ComplaintStatus::Dismissed).await,
        "closed stays closed"
    );
    let row = store.complaint("cmp-1").await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.action, row.handled_by.as_deref()),
        (
            ComplaintStatus::Upheld,
            Some(ComplaintAction::Warning),
            Some("op-1")
        )
    );
    assert_eq!(
        store.complaint_counts().await.unwrap(),
        vec![("p-3".to_owned(), ComplaintStatus::Upheld, 1)]
    );
    store
        .delete_holder(
            holder,
            vec![3; 32],
            RevocationReason::CessationOfOperation,
            leaf(),
            Vec::new(),
            T0,
        )
        .await
        .unwrap();
    let row = store.complaint("cmp-1").await.unwrap().unwrap();
    assert_eq!((row.holder, row.sealed_text), (None, None));
    assert_eq!(store.complaint_counts().await.unwrap().len(), 1);
    assert_eq!(store.complaints(10).await.unwrap().len(), 1);
}
