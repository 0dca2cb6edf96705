//! Forced refunds: checked against the order, queued for the core order
//! service, settled by it, and reported in the ticket.

use admin_service::relay;
use axum::http::StatusCode;
use domain::admin::AdminRole;
use serde_json::json;
use test_support::{tokens, TestRequest};
use uuid::Uuid;

use crate::{audit::refundable, helpers::TestApp};

#[tokio::test]
async fn a_refund_may_not_exceed_what_was_paid_and_not_yet_refunded() {
    let app = TestApp::spawn().await;
    let support = app.session(AdminRole::Support).await;
    let (_, ticket, order) = refundable(&app, "Over").await; // 2 x 150,000 paid
    let refund = |body: serde_json::Value| {
        let support = support.clone();
        let app = &app;
        let ticket = ticket.clone();
        async move {
            app.call(
                TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
                    .bearer(&support)
                    .json(&body),
            )
            .await
        }
    };
    let over = refund(json!({ "order_id": order, "reason": "x", "amount_minor": 300001 })).await;
    let problem = over.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(problem["errors"][0]["code"], "exceeds_refundable");
    assert!(problem["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("300000"));
    let zero = refund(json!({ "order_id": order, "reason": "x", "amount_minor": 0 })).await;
    assert_eq!(
        zero.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")["errors"][0]
            ["field"],
        "amount_minor"
    );

    let part =
        refund(json!({ "order_id": order, "reason": "one seat", "amount_minor": 100000 })).await;
    assert_eq!(part.status, StatusCode::CREATED, "{}", part.text());
    // What is pending counts: only 200,000 is left.
    let again = refund(json!({ "order_id": order, "reason": "x", "amount_minor": 200001 })).await;
    again.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let rest = refund(json!({ "order_id": order, "reason": "the rest" })).await;
    assert_eq!(rest.status, StatusCode::CREATED, "{}", rest.text());
    assert_eq!(rest.json()["amount_minor"], 200000);
    let nothing = refund(json!({ "order_id": order, "reason": "x" })).await;
    nothing.assert_problem(StatusCode::CONFLICT, "nothing_to_refund");

    // An order that is not this ticket's reseller's.
    let (_, _, foreign) = refundable(&app, "Other").await;
    for order_id in [foreign, Uuid::new_v4().to_string()] {
        let r = refund(json!({ "order_id": order_id, "reason": "x" })).await;
        let problem = r.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(problem["errors"][0]["code"], "unknown_order");
    }
}

#[tokio::test]
async fn the_core_service_reads_pending_refunds_and_settles_them_and_the_ticket_shows_it() {
    let app = TestApp::spawn().await;
    let support = app.session(AdminRole::Support).await;
    let (reseller, ticket, order) = refundable(&app, "Lifecycle").await;
    let mut ids = Vec::new();
    for amount in [100000, 50000] {
        let r = app
            .call(
                TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
                    .bearer(&support)
                    .json(&json!({ "order_id": order, "reason": "show moved", "amount_minor": amount })),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        assert_eq!(r.json()["status"], "pending");
        assert_eq!(r.json()["currency"], "IDR");
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }

    let pending = app
        .call(
            TestRequest::get("/internal/v1/refund-requests?status=pending&limit=1")
                .bearer(tokens::CORE),
        )
        .await
        .json();
    assert_eq!(pending["data"][0]["id"], ids[0].as_str(), "oldest first");
    assert_eq!(pending["data"][0]["order_id"], order.as_str());
    assert_eq!(pending["data"][0]["reseller_id"], reseller.id.as_str());
    let cursor = pending["next_cursor"].as_str().unwrap();
    let next = app
        .call(
            TestRequest::get(format!(
                "/internal/v1/refund-requests?status=pending&cursor={cursor}"
            ))
            .bearer(tokens::CORE),
        )
        .await
        .json();
    assert_eq!(next["data"][0]["id"], ids[1].as_str());
    assert!(next["next_cursor"].is_null());

    let complete = |id: &str| {
        TestRequest::post(format!("/internal/v1/refund-requests/{id}/complete"))
            .bearer(tokens::CORE)
    };
    let done = app.call(complete(&ids[0])).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text());
    assert_eq!(done.json()["status"], "completed");
    // The core service retries: same answer, nothing changes.
    let retry = app.call(complete(&ids[0])).await;
    assert_eq!(retry.status, StatusCode::OK);
    assert_eq!(retry.json()["resolved_at"], done.json()["resolved_at"]);
    let failed = app
        .call(
            TestRequest::post(format!("/internal/v1/refund-requests/{}/fail", ids[1]))
                .bearer(tokens::CORE)
                .json(&json!({ "reason": "card expired" })),
        )
        .await;
    assert_eq!(failed.json()["status"], "failed");
    app.call(
        TestRequest::post(format!("/internal/v1/refund-requests/{}/fail", ids[0]))
            .bearer(tokens::CORE)
            .json(&json!({ "reason": "late" })),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let none = app
        .call(TestRequest::get("/internal/v1/refund-requests?status=pending").bearer(tokens::CORE))
        .await
        .json();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);

    // The admin's view of the ticket lists both outcomes ...
    let viewer = app.session(AdminRole::Viewer).await;
    let seen = app
        .call(TestRequest::get(format!("/v1/support-tickets/{ticket}")).bearer(&viewer))
        .await
        .json();
    let statuses: Vec<_> = seen["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].clone())
        .collect();
    assert_eq!(statuses, vec![json!("completed"), json!("failed")]);

    // ... and the reseller reads them in its conversation once relayed.
    relay::deliver_pending(&app.state.db, &app.state.reseller)
        .await
        .unwrap();
    let (_, conversation) = app
        .reseller_call(
            reqwest::Method::GET,
            &format!("/v1/support-tickets/{ticket}"),
            &reseller.key,
            None,
        )
        .await;
    let notices: Vec<String> = conversation["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"] == "platform")
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(notices.len(), 4, "{notices:?}");
    assert!(
        notices[2].contains("carried out") && notices[3].contains("card expired"),
        "{notices:?}"
    );
    // Delivered once: a second pass sends nothing.
    assert_eq!(
        relay::deliver_pending(&app.state.db, &app.state.reseller)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_completed_refund_is_not_counted_twice_when_its_event_arrives() {
    let app = TestApp::spawn().await;
    let support = app.session(AdminRole::Support).await;
    let r = app.register_reseller("Twice").await;
    let catalog = app.catalog(&r).await;
    let order = app.paid_order(&r, &catalog, 2).await;
    let ticket = app.open_ticket(&r, Some(&order)).await;
    let request = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
                .bearer(&support)
                .json(&json!({ "order_id": order, "reason": "one seat", "amount_minor": 150000 })),
        )
        .await
        .json();
    let id = request["id"].as_str().unwrap();
    app.call(
        TestRequest::post(format!("/internal/v1/refund-requests/{id}/complete"))
            .bearer(tokens::CORE),
    )
    .await;
    let refunded = crate::helpers::sale_event(
        &r,
        &catalog,
        "order.refunded",
        &order,
        1,
        chrono::Utc::now(),
    );
    assert_eq!(app.ingest(&[refunded]).await["accepted"], 1);
    // 300,000 paid, 150,000 refunded (by the request and by the event, once).
    let more = app
        .call(
            TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
                .bearer(&support)
                .json(&json!({ "order_id": order, "reason": "the other seat" })),
        )
        .await;
    assert_eq!(more.status, StatusCode::CREATED, "{}", more.text());
    assert_eq!(more.json()["amount_minor"], 150000);
}

#[tokio::test]
async fn a_retried_refund_request_with_its_idempotency_key_is_not_made_twice() {
    let app = TestApp::spawn().await;
    let support = app.session(AdminRole::Support).await;
    let (_, ticket, order) = refundable(&app, "Retry").await;
    let send = |body: serde_json::Value| {
        TestRequest::post(format!("/v1/support-tickets/{ticket}/refunds"))
            .bearer(&support)
            .header("idempotency-key", "refund-7f3a")
            .json(&body)
    };
    let body = json!({ "order_id": order, "reason": "double charge", "amount_minor": 150000 });
    let first = app.call(send(body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = app.call(send(body)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json()["id"], first.json()["id"]);
    let pending = app
        .call(TestRequest::get("/internal/v1/refund-requests?status=pending").bearer(tokens::CORE))
        .await
        .json();
    assert_eq!(pending["data"].as_array().unwrap().len(), 1);
    let other = app
        .call(send(
            json!({ "order_id": order, "reason": "double charge", "amount_minor": 1 }),
        ))
        .await;
    other.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
}
