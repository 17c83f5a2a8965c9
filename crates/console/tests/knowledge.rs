//! The knowledge page through the real server over HTTP: uploads (pasted
//! text and a multipart file with its CSRF token in the query) become
//! pending proposals with a readable diff; admins accept, reject, roll back
//! and archive; operators and viewers read but every post is refused.

mod common;

use clubos_domain::Role;
use clubos_store::{ProposalStatus, SopStatus};
use common::{Client, Console, spawn};
use serde_json::{Value, json};

const HOUSE_RULES: &str = "# House rules\n\n\
## Guest policy\n\n\
Each bay takes up to six players. Guests must be with the person who booked the bay.\n\n\
- How many guests can I bring?\n\
- Can I bring friends?\n";

const PARKING: &str = "# Parking\n\n\
## Parking\n\n\
Park free in the lot behind the building after 6 pm.\n\n\
- Where do I park?\n\
- Is parking free?\n";

async fn pending(c: &Console) -> Vec<clubos_store::Proposal> {
    c.app.store.proposals(Some(ProposalStatus::Pending), 100).await.unwrap()
}

async fn pending_titled(c: &Console, title: &str) -> clubos_store::Proposal {
    let all = pending(c).await;
    all.iter().find(|p| p.body["title"] == title).cloned().unwrap_or_else(|| {
        panic!("no pending proposal `{title}` in {:?}", all.iter().map(|p| &p.body["title"]).collect::<Vec<_>>())
    })
}

async fn admin(c: &Console) -> Client {
    c.account("admin@example.com", Role::Admin, &[]).await;
    Client::login(c, "admin@example.com").await
}

#[tokio::test]
async fn an_uploaded_document_is_reviewed_with_its_diff_then_accepted_and_active() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    let page = a.get("/knowledge").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Review queue") && page.body.contains("Nothing to review"), "{}", page.body);
    assert!(page.body.contains("Upload a document") && page.body.contains("enctype=\"multipart/form-data\""));
    let starter = c.app.store.active_sop_versions().await.unwrap();
    assert!(!starter.is_empty());
    assert!(page.body.contains(&format!("href=\"/knowledge/sops/{}\"", starter[0].sop_id)), "the SOPs are listed");

    let up = a.post("/knowledge/upload", &[("filename", "house-rules.md"), ("text", HOUSE_RULES)]).await;
    assert_eq!(up.status, 200, "{}", up.body);
    assert!(up.body.contains("draft(s) added to the review queue") && up.body.contains("Guest policy"), "{}", up.body);
    let p = pending_titled(&c, "Guest policy").await;
    assert!(p.source.contains("admin@example.com"), "the upload names its actor: {}", p.source);
    assert!(c.app.store.active_sop_versions().await.unwrap().iter().all(|v| v.sop_id != p.sop_id), "a draft only");

    let page = a.get("/knowledge").await;
    assert!(page.body.contains(&format!("action=\"/knowledge/proposals/{}/accept\"", p.id)), "{}", page.body);
    assert!(page.body.contains(&format!("formaction=\"/knowledge/proposals/{}/reject\"", p.id)));
    assert!(page.body.contains("New SOP") && page.body.contains(&p.sop_id));
    // The diff: a new SOP adds every field, line by line.
    assert!(page.body.contains("<code>reply</code>"), "{}", page.body);
    assert!(page.body.contains("class=\"add\""), "{}", page.body);
    assert!(page.body.contains("Each bay takes up to six players."));

    let r = a.post(&format!("/knowledge/proposals/{}/accept", p.id), &[("note", "checked with the owner")]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/knowledge?notice=accepted")), "{}", r.body);
    let done = c.app.store.proposal(p.id).await.unwrap().unwrap();
    assert_eq!(
        (done.status, done.version, done.note.as_deref()),
        (ProposalStatus::Accepted, Some(1), Some("checked with the owner"))
    );
    let page = a.get("/knowledge?notice=accepted").await;
    assert!(page.body.contains("Accepted: the SOP is active"), "{}", page.body);
    assert!(!page.body.contains(&format!("/knowledge/proposals/{}/accept", p.id)), "out of the queue");
    assert!(page.body.contains(&format!("href=\"/knowledge/sops/{}\"", p.sop_id)));

    let sop = a.get(&format!("/knowledge/sops/{}", p.sop_id)).await;
    assert_eq!(sop.status, 200);
    assert!(
        sop.body.contains("Guest policy") && sop.body.contains("version 1") && sop.body.contains("Active"),
        "{}",
        sop.body
    );
    assert!(sop.body.contains("Archive this SOP"), "an admin sees Archive");
    let audit = c.app.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.actor == "admin@example.com" && e.action == "knowledge.upload"), "{audit:?}");
    assert!(audit.iter().any(|e| e.actor == "admin@example.com" && e.action == "knowledge.accept"), "{audit:?}");
    c.stop().await;
}

#[tokio::test]
async fn a_file_upload_needs_the_query_token_and_a_proposal_can_be_rejected() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    a.get("/knowledge").await;
    let before = pending(&c).await.len();
    let r = a.post_file("/knowledge/upload", "parking.md", "text/markdown", PARKING).await;
    assert_eq!(r.status, 403, "no token");
    let r = a.post_file("/knowledge/upload?_csrf=forged", "parking.md", "text/markdown", PARKING).await;
    assert_eq!(r.status, 403, "a wrong token");
    assert_eq!(pending(&c).await.len(), before, "nothing was drafted");

    let path = format!("/knowledge/upload?_csrf={}", a.csrf_query());
    let r = a.post_file(&path, "parking.md", "text/markdown", PARKING).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("parking.md") && r.body.contains("Parking"), "{}", r.body);
    let p = pending_titled(&c, "Parking").await;

    // Problems are shown, with 400 when nothing could be drafted.
    let r = a.post_file(&path, "notes.exe", "application/octet-stream", "hello").await;
    assert_eq!(r.status, 400);
    assert!(r.body.contains("cannot tell the format"), "{}", r.body);
    let r = a.post("/knowledge/upload", &[("filename", "empty.md"), ("text", "   ")]).await;
    assert_eq!(r.status, 400);

    let versions = |c: &Console| {
        let store = c.app.store.clone();
        async move {
            store.active_sop_versions().await.unwrap().into_iter().map(|v| (v.sop_id, v.version)).collect::<Vec<_>>()
        }
    };
    let active_before = versions(&c).await;
    let r = a.post(&format!("/knowledge/proposals/{}/reject", p.id), &[("note", "we have no lot")]).await;
    assert_eq!((r.status, r.location.as_deref()), (303, Some("/knowledge?notice=rejected")));
    let done = c.app.store.proposal(p.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.note.as_deref()), (ProposalStatus::Rejected, Some("we have no lot")));
    assert_eq!(versions(&c).await, active_before, "the knowledge base is unchanged");
    let page = a.get("/knowledge").await;
    assert!(!page.body.contains(&format!("/knowledge/proposals/{}/accept", p.id)));
    // Deciding twice is refused on the page.
    let r = a.post(&format!("/knowledge/proposals/{}/accept", p.id), &[]).await;
    assert_eq!(r.status, 409, "{}", r.body);
    c.stop().await;
}

#[tokio::test]
async fn a_change_shows_what_it_removes_and_adds_and_versions_roll_back_and_archive() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    a.post("/knowledge/upload", &[("filename", "house-rules.md"), ("text", HOUSE_RULES)]).await;
    let first = pending_titled(&c, "Guest policy").await;
    a.post(&format!("/knowledge/proposals/{}/accept", first.id), &[]).await;

    // The full record, edited, uploaded as JSON: a change to version 1.
    let mut record: Value = first.body.clone();
    record["reply"] = json!("Each bay takes up to eight players.");
    let r = a.post("/knowledge/upload", &[("filename", "guest.json"), ("text", &record.to_string())]).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let change = pending(&c).await.into_iter().find(|p| p.sop_id == first.sop_id).expect("a change");
    let page = a.get("/knowledge").await;
    assert!(page.body.contains("Change to v1"), "{}", page.body);
    let del = page.body.find("class=\"del\"").expect("a removed line");
    let add = page.body.find("class=\"add\"").expect("an added line");
    assert!(page.body[del..].contains("six players") && page.body[add..].contains("eight players"));
    a.post(&format!("/knowledge/proposals/{}/accept", change.id), &[]).await;

    let sop = format!("/knowledge/sops/{}", first.sop_id);
    let page = a.get(&sop).await;
    assert!(page.body.contains("version 2") && page.body.contains("Roll back to version 1"), "{}", page.body);
    let r = a.post(&format!("{sop}/rollback"), &[("version", "1")]).await;
    assert_eq!((r.status, r.location.clone()), (303, Some(format!("{sop}?notice=rolledback"))), "{}", r.body);
    let versions = c.app.store.sop_versions(&first.sop_id).await.unwrap();
    assert_eq!((versions[0].version, versions[0].status), (3, SopStatus::Active));
    assert!(versions[0].body["reply"].as_str().unwrap().contains("six players"));
    let page = a.get(&format!("{sop}?notice=rolledback")).await;
    assert!(page.body.contains("Rolled back") && page.body.contains("version 3"), "{}", page.body);
    let r = a.post(&format!("{sop}/rollback"), &[("version", "99")]).await;
    assert_eq!(r.status, 404, "no such version");

    let r = a.post(&format!("{sop}/archive"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(c.app.store.active_sop_versions().await.unwrap().iter().all(|v| v.sop_id != first.sop_id));
    let list = a.get("/knowledge").await;
    let at = list.body.find(&format!("href=\"{sop}\"")).expect("an archived SOP stays listed");
    assert!(list.body[at..].split("</li>").next().unwrap().contains("Archived"), "{}", list.body);
    c.stop().await;
}

#[tokio::test]
async fn operators_and_viewers_read_knowledge_but_every_change_is_refused() {
    let c = spawn("").await;
    let mut a = admin(&c).await;
    a.post("/knowledge/upload", &[("filename", "house-rules.md"), ("text", HOUSE_RULES)]).await;
    let p = pending_titled(&c, "Guest policy").await;
    let sop_id = c.app.store.active_sop_versions().await.unwrap()[0].sop_id.clone();
    c.account("ops@example.com", Role::Operator, &[]).await;
    c.account("viewer@example.com", Role::Viewer, &[]).await;
    for email in ["ops@example.com", "viewer@example.com"] {
        let mut u = Client::login(&c, email).await;
        let page = u.get("/knowledge").await;
        assert_eq!(page.status, 200, "{email} reads the queue");
        assert!(
            page.body.contains("Guest policy") && page.body.contains("<code>reply</code>"),
            "{email}: {}",
            page.body
        );
        assert!(!page.body.contains("/accept\"") && !page.body.contains("Upload a document"), "{email}: no buttons");
        let sop = u.get(&format!("/knowledge/sops/{sop_id}")).await;
        assert_eq!(sop.status, 200);
        assert!(!sop.body.contains("Archive this SOP"), "{email}: no archive button");

        for path in [format!("/knowledge/proposals/{}/accept", p.id), format!("/knowledge/proposals/{}/reject", p.id)] {
            assert_eq!(u.post(&path, &[]).await.status, 403, "{email} {path}");
        }
        let r = u.post("/knowledge/upload", &[("filename", "x.md"), ("text", PARKING)]).await;
        assert_eq!(r.status, 403, "{email} pasted upload");
        let r =
            u.post_file(&format!("/knowledge/upload?_csrf={}", u.csrf_query()), "x.md", "text/markdown", PARKING).await;
        assert_eq!(r.status, 403, "{email} file upload");
        assert_eq!(u.post(&format!("/knowledge/sops/{sop_id}/rollback"), &[("version", "1")]).await.status, 403);
        assert_eq!(u.post(&format!("/knowledge/sops/{sop_id}/archive"), &[]).await.status, 403);
    }
    assert_eq!(c.app.store.proposal(p.id).await.unwrap().unwrap().status, ProposalStatus::Pending);
    assert_eq!(pending(&c).await.len(), 1, "nothing new was drafted");
    assert!(c.app.store.active_sop_versions().await.unwrap().iter().any(|v| v.sop_id == sop_id), "not archived");
    c.stop().await;
}
