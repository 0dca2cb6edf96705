//! Support tickets: the reseller's side (`/v1/support-tickets`) and the
//! admins' side (`/internal/v1/support-tickets`).

use axum::http::StatusCode;
use serde_json::{json, Value};
use test_support::{tokens, TestRequest, TestResponse};
use uuid::Uuid;

use crate::{
    helpers::{Persona, TestApp},
    ingest::{catalog, event, post_batch},
};

const TICKETS: &str = "/v1/support-tickets";
const QUEUE: &str = "/internal/v1/support-tickets";

fn ticket_body(subject: &str) -> Value {
    json!({ "subject": subject, "category": "technical", "message": format!("About {subject}:\nit broke.") })
}

async fn open_ticket(app: &TestApp, who: &Persona, body: &Value) -> TestResponse {
    app.call(TestRequest::post(TICKETS).bearer(&who.key).json(body))
        .await
}

async fn open(app: &TestApp, who: &Persona, subject: &str) -> Value {
    let response = open_ticket(app, who, &ticket_body(subject)).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    response.json()
}

async fn internal(app: &TestApp, request: TestRequest) -> TestResponse {
    app.call(request.bearer(tokens::INTERNAL)).await
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_reseller_opens_tickets_with_and_without_one_of_its_orders() {
    let app = TestApp::spawn().await;
    let c = catalog(&app, "Ticketer").await;
    let order = Uuid::new_v4().to_string();
    post_batch(&app, &[event(&c, "order.paid", &order, 2)]).await;

    let plain = open(&app, &c.reseller, "Login trouble").await;
    assert_eq!(plain["reseller_id"], c.reseller.id.as_str());
    assert_eq!(plain["subject"], "Login trouble");
    assert_eq!(plain["category"], "technical");
    assert_eq!(plain["status"], "open");
    assert_eq!(plain["order_id"], Value::Null);
    assert_eq!(plain["assignee_id"], Value::Null);
    assert_eq!(plain["resolved_at"], Value::Null);
    assert!(plain["created_at"].is_string() && plain["updated_at"].is_string());
    let messages = plain["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["author"], "reseller");
    assert_eq!(messages[0]["admin_id"], Value::Null);
    assert_eq!(messages[0]["ticket_id"], plain["id"]);
    assert_eq!(messages[0]["body"], "About Login trouble:\nit broke.");

    let about_order = open_ticket(
        &app,
        &c.reseller,
        &json!({ "subject": "Refund please", "category": "refund", "order_id": order, "message": "Customer asks." }),
    )
    .await;
    assert_eq!(
        about_order.status,
        StatusCode::CREATED,
        "{}",
        about_order.text()
    );
    assert_eq!(about_order.json()["order_id"], order.as_str());

    // An order that does not exist, and one of another reseller: 422.
    let other = catalog(&app, "Other").await;
    let others_order = Uuid::new_v4().to_string();
    post_batch(&app, &[event(&other, "order.paid", &others_order, 1)]).await;
    for order_id in [Uuid::new_v4().to_string(), others_order] {
        let body = open_ticket(
            &app,
            &c.reseller,
            &json!({ "subject": "x", "category": "refund", "order_id": order_id, "message": "y" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            body["errors"],
            json!([{ "field": "order_id", "code": "unknown_order", "message": "is not an order of this reseller" }])
        );
    }

    // A pending reseller may ask for help; a suspended one may not.
    let pending = app.register("Pending").await;
    open(&app, &pending, "When am I approved?").await;
    app.moderate(&pending.id, "suspend", Some("fraud")).await;
    open_ticket(&app, &pending, &ticket_body("Why?"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "reseller_suspended");
    app.call(TestRequest::get(TICKETS).bearer(&pending.key))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "reseller_suspended");
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let r = app.register("Validator").await;
    let fields = |body: &Value| -> Vec<(String, String)> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_owned(),
                    e["code"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());

    let empty = open_ticket(&app, &r, &json!({}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        fields(&empty),
        [
            pair("subject", "required"),
            pair("category", "required"),
            pair("message", "required")
        ]
    );

    let bad = open_ticket(
        &app,
        &r,
        &json!({ "subject": "s".repeat(201), "category": "Refund", "message": "m".repeat(10_001),
                 "order_id": Uuid::new_v4() }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        fields(&bad),
        [
            pair("subject", "too_long"),
            pair("category", "invalid_choice"),
            pair("message", "too_long"),
            pair("order_id", "unknown_order")
        ]
    );

    let blank = open_ticket(
        &app,
        &r,
        &json!({ "subject": "  ", "category": "other", "message": "\n" }),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        fields(&blank),
        [pair("subject", "required"), pair("message", "required")]
    );

    let shapes = [
        (
            json!({ "subject": "a", "category": "other", "message": "b", "order_id": "nope" }),
            "order_id",
        ),
        (
            json!({ "subject": "a", "category": "other", "message": "b", "priority": 1 }),
            "priority",
        ),
        (
            json!({ "subject": 5, "category": "other", "message": "b" }),
            "subject",
        ),
    ];
    for (body, field) in shapes {
        let problem = open_ticket(&app, &r, &body)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    // Exactly at the limits is fine.
    let edge = open_ticket(
        &app,
        &r,
        &json!({ "subject": "s".repeat(200), "category": "billing", "message": "m".repeat(10_000) }),
    )
    .await;
    assert_eq!(edge.status, StatusCode::CREATED, "{}", edge.text());

    let ticket_id = edge.json()["id"].as_str().unwrap().to_owned();
    let messages = format!("{TICKETS}/{ticket_id}/messages");
    for (body, code) in [
        (json!({}), "required"),
        (json!({ "body": " " }), "required"),
        (json!({ "body": "x".repeat(10_001) }), "too_long"),
        (json!({ "body": "a\u{0}b" }), "invalid_characters"),
    ] {
        let problem = app
            .call(TestRequest::post(&messages).bearer(&r.key).json(&body))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem["errors"][0]["field"], "body");
        assert_eq!(problem["errors"][0]["code"], code);
    }

    for query in ["status=closed", "limit=0", "limit=501", "cursor=%21%21"] {
        let response = app
            .call(TestRequest::get(format!("{TICKETS}?{query}")).bearer(&r.key))
            .await;
        assert!(
            response.status == StatusCode::BAD_REQUEST
                || response.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            response.text()
        );
        assert_eq!(
            response.header("content-type"),
            Some("application/problem+json")
        );
    }
    app.call(TestRequest::get(format!("{TICKETS}/not-a-uuid")).bearer(&r.key))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn the_detail_holds_the_conversation_oldest_first_and_the_list_none_of_it() {
    let app = TestApp::spawn().await;
    let r = app.register("Talker").await;
    let ticket = open(&app, &r, "Chat").await;
    let id = ticket["id"].as_str().unwrap();
    for n in 1..=3 {
        let response = app
            .call(
                TestRequest::post(format!("{TICKETS}/{id}/messages"))
                    .bearer(&r.key)
                    .json(&json!({ "body": format!("follow-up {n}") })),
            )
            .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
        let message = response.json();
        assert_eq!(message["ticket_id"], id);
        assert_eq!(message["author"], "reseller");
        assert_eq!(message["body"], format!("follow-up {n}"));
        assert!(message["id"].is_string() && message["created_at"].is_string());
    }
    let detail = app
        .call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&r.key))
        .await
        .json();
    let bodies: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "About Chat:\nit broke.",
            "follow-up 1",
            "follow-up 2",
            "follow-up 3"
        ]
    );
    let list = app
        .call(TestRequest::get(TICKETS).bearer(&r.key))
        .await
        .json();
    assert_eq!(ids(&list), [id]);
    assert!(list["data"][0].get("messages").is_none());
    assert_eq!(list["next_cursor"], Value::Null);
    app.call(TestRequest::get(format!("{TICKETS}/{}", Uuid::new_v4())).bearer(&r.key))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn another_reseller_can_neither_see_nor_write_on_a_ticket() {
    let app = TestApp::spawn().await;
    let a = app.register("Owner").await;
    let b = app.register("Snoop").await;
    let ticket = open(&app, &a, "Private").await;
    let id = ticket["id"].as_str().unwrap();

    app.call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&b.key))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.call(
        TestRequest::post(format!("{TICKETS}/{id}/messages"))
            .bearer(&b.key)
            .json(&json!({ "body": "hijack" })),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let text = app
        .call(TestRequest::get(TICKETS).bearer(&b.key))
        .await
        .text();
    assert!(!text.contains(id), "{text}");
    let detail = app
        .call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&a.key))
        .await
        .json();
    assert_eq!(detail["messages"].as_array().unwrap().len(), 1);
    // Without a key: 401.
    app.call(TestRequest::get(TICKETS))
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn tickets_page_newest_first_and_the_queue_oldest_first() {
    let app = TestApp::spawn().await;
    let r = app.register("Pager").await;
    let mut opened = Vec::new();
    for n in 0..5 {
        opened.push(
            open(&app, &r, &format!("T{n}")).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut seen = Vec::new();
    let mut uri = format!("{TICKETS}?limit=2");
    let mut pages = 0;
    loop {
        let page = app.call(TestRequest::get(&uri).bearer(&r.key)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let page = page.json();
        seen.extend(ids(&page));
        pages += 1;
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("{TICKETS}?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<String> = opened.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);

    let mut queue = Vec::new();
    let mut uri = format!("{QUEUE}?limit=3");
    loop {
        let page = internal(&app, TestRequest::get(&uri)).await.json();
        queue.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("{QUEUE}?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(queue, opened);
}

#[tokio::test]
async fn a_replayed_create_returns_the_first_ticket_and_opens_one() {
    let app = TestApp::spawn().await;
    let r = app.register("Retrier").await;
    let send = |body: Value| {
        TestRequest::post(TICKETS)
            .bearer(&r.key)
            .header("idempotency-key", "ticket-1")
            .json(&body)
    };
    let first = app.call(send(ticket_body("Once"))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.call(send(ticket_body("Once"))).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json());
    app.call(send(ticket_body("Other")))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    let list = app
        .call(TestRequest::get(TICKETS).bearer(&r.key))
        .await
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // A message too.
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let post = || {
        TestRequest::post(format!("{TICKETS}/{id}/messages"))
            .bearer(&r.key)
            .header("idempotency-key", "message-1")
            .json(&json!({ "body": "again?" }))
    };
    let m1 = app.call(post()).await;
    let m2 = app.call(post()).await;
    assert_eq!(m1.status, StatusCode::CREATED);
    assert_eq!(m2.json(), m1.json());
    let detail = app
        .call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&r.key))
        .await
        .json();
    assert_eq!(detail["messages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn the_queue_filters_by_status_assignee_and_reseller() {
    let app = TestApp::spawn().await;
    let a = app.register("Queue A").await;
    let b = app.register("Queue B").await;
    let a1 = open(&app, &a, "A1").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b1 = open(&app, &b, "B1").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a2 = open(&app, &a, "A2").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = Uuid::new_v4();
    let assigned = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{b1}/assign")).json(&json!({ "assignee_id": admin })),
    )
    .await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text());
    let resolved = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{a1}/resolve")).json(&json!({})),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());

    let list = |query: String| {
        let app = &app;
        async move {
            let response = internal(app, TestRequest::get(format!("{QUEUE}?{query}"))).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            ids(&response.json())
        }
    };
    assert_eq!(
        list(String::new()).await,
        [a1.as_str(), b1.as_str(), a2.as_str()]
    );
    assert_eq!(list("status=open".into()).await, [b1.as_str(), a2.as_str()]);
    assert_eq!(list("status=resolved".into()).await, [a1.as_str()]);
    assert_eq!(list(format!("assignee_id={admin}")).await, [b1.as_str()]);
    assert_eq!(
        list(format!("reseller_id={}", a.id)).await,
        [a1.as_str(), a2.as_str()]
    );
    assert_eq!(
        list(format!("reseller_id={}&status=open", a.id)).await,
        [a2.as_str()]
    );
    assert!(list(format!("assignee_id={}", Uuid::new_v4()))
        .await
        .is_empty());
    internal(&app, TestRequest::get(format!("{QUEUE}?status=closed")))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    internal(&app, TestRequest::get(format!("{QUEUE}?assignee_id=me")))
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
}

#[tokio::test]
async fn assign_and_resolve_answer_before_and_after_and_a_second_resolve_is_409() {
    let app = TestApp::spawn().await;
    let r = app.register("Worked").await;
    let id = open(&app, &r, "Work me").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = Uuid::new_v4();

    let change = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/assign")).json(&json!({ "assignee_id": admin })),
    )
    .await
    .json();
    assert_eq!(change["before"]["assignee_id"], Value::Null);
    assert_eq!(change["after"]["assignee_id"], admin.to_string());
    assert_eq!(change["after"]["id"], id.as_str());
    assert!(change["before"].get("messages").is_none());
    assert!(change["after"].get("messages").is_none());

    let unassign = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/assign")).json(&json!({ "assignee_id": null })),
    )
    .await
    .json();
    assert_eq!(unassign["before"]["assignee_id"], admin.to_string());
    assert_eq!(unassign["after"]["assignee_id"], Value::Null);
    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/assign")).json(&json!({})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    let resolved = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/resolve"))
            .json(&json!({ "note": "Fixed on our side." })),
    )
    .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text());
    let resolved = resolved.json();
    assert_eq!(resolved["before"]["status"], "open");
    assert_eq!(resolved["before"]["resolved_at"], Value::Null);
    assert_eq!(resolved["after"]["status"], "resolved");
    assert!(resolved["after"]["resolved_at"].is_string());

    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/resolve")).json(&json!({})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{}/resolve", Uuid::new_v4())).json(&json!({})),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/resolve")).json(&json!({ "note": "" })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

    // The note is the last message the reseller reads.
    let detail = app
        .call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&r.key))
        .await
        .json();
    assert_eq!(detail["status"], "resolved");
    let last = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["author"], "platform");
    assert_eq!(last["body"], "Fixed on our side.");

    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/resolve"))
            .header("content-type", "application/json")
            .raw_body("{not json"),
    )
    .await
    .assert_problem(StatusCode::BAD_REQUEST, "invalid_json");

    // A resolve without a body at all works too.
    let other = open(&app, &r, "Bodiless").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bare = internal(&app, TestRequest::post(format!("{QUEUE}/{other}/resolve"))).await;
    assert_eq!(bare.status, StatusCode::OK, "{}", bare.text());
}

#[tokio::test]
async fn admin_and_platform_messages_reach_the_reseller_and_a_reseller_message_reopens() {
    let app = TestApp::spawn().await;
    let r = app.register("Conversation").await;
    let id = open(&app, &r, "Help").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin = Uuid::new_v4();

    let posted = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/messages"))
            .json(&json!({ "admin_id": admin, "body": "Looking into it." })),
    )
    .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text());
    let posted = posted.json();
    assert_eq!(posted["message"]["author"], "admin");
    assert_eq!(posted["message"]["admin_id"], admin.to_string());
    assert_eq!(posted["ticket"]["id"], id.as_str());
    assert_eq!(posted["ticket"]["status"], "open");

    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/resolve")).json(&json!({})),
    )
    .await;
    let notice = internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/messages"))
            .json(&json!({ "admin_id": null, "body": "Refund of 150000 IDR completed." })),
    )
    .await
    .json();
    assert_eq!(notice["message"]["author"], "platform");
    assert_eq!(notice["message"]["admin_id"], Value::Null);
    assert_eq!(
        notice["ticket"]["status"], "resolved",
        "a platform notice does not reopen"
    );

    let view = app
        .call(TestRequest::get(format!("{TICKETS}/{id}")).bearer(&r.key))
        .await
        .json();
    let authors: Vec<&str> = view["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["reseller", "admin", "platform"]);
    assert_eq!(view["status"], "resolved");

    app.call(
        TestRequest::post(format!("{TICKETS}/{id}/messages"))
            .bearer(&r.key)
            .json(&json!({ "body": "Still broken." })),
    )
    .await;
    let reopened = internal(&app, TestRequest::get(format!("{QUEUE}/{id}")))
        .await
        .json();
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["resolved_at"], Value::Null);
    assert_eq!(reopened["messages"].as_array().unwrap().len(), 4);

    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/messages")).json(&json!({ "admin_id": admin })),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{}/messages", Uuid::new_v4()))
            .json(&json!({ "admin_id": null, "body": "x" })),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    internal(
        &app,
        TestRequest::get(format!("{QUEUE}/{}", Uuid::new_v4())),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn internal_ticket_routes_refuse_a_missing_or_wrong_token() {
    let app = TestApp::spawn().await;
    let r = app.register("Key holder").await;
    app.assert_internal_only(&r, || {
        let id = Uuid::new_v4();
        vec![
            TestRequest::get(QUEUE),
            TestRequest::get(format!("{QUEUE}/{id}")),
            TestRequest::post(format!("{QUEUE}/{id}/assign")).json(&json!({ "assignee_id": null })),
            TestRequest::post(format!("{QUEUE}/{id}/messages"))
                .json(&json!({ "admin_id": null, "body": "x" })),
            TestRequest::post(format!("{QUEUE}/{id}/resolve")).json(&json!({})),
        ]
    })
    .await;
}

#[tokio::test]
async fn a_ticket_holds_at_most_500_messages() {
    let app = TestApp::spawn().await;
    let r = app.register("Chatty").await;
    let ticket = open(&app, &r, "Long story").await;
    let id = ticket["id"].as_str().unwrap();
    let mut conn = app.db.superuser_connection().await;
    sqlx::query(
        "INSERT INTO reseller.support_messages (reseller_id, ticket_id, message_id, author, body) \
         SELECT $1, $2, gen_random_uuid(), 'reseller', 'more' FROM generate_series(1, 499)",
    )
    .bind(Uuid::parse_str(&r.id).unwrap())
    .bind(Uuid::parse_str(id).unwrap())
    .execute(&mut conn)
    .await
    .unwrap();
    app.call(
        TestRequest::post(format!("{TICKETS}/{id}/messages"))
            .bearer(&r.key)
            .json(&json!({ "body": "one more" })),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "too_many_messages");
    internal(
        &app,
        TestRequest::post(format!("{QUEUE}/{id}/messages"))
            .json(&json!({ "admin_id": null, "body": "one more" })),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "too_many_messages");
}
