//! The OpenAPI document: it describes exactly the routes the service routes,
//! every reference in it resolves, the committed copy under `docs/openapi/`
//! is current, and the service serves it and its browsable page.

use std::path::Path;

use axum::http::StatusCode;
use platform::openapi::{assert_committed, assert_describes_exactly, dangling_refs};
use reseller_service::http::{openapi::document, route_table};
use test_support::TestRequest;

use crate::helpers::TestApp;

#[test]
fn the_document_describes_every_route_and_nothing_else() {
    let table = route_table();
    let routed = table
        .routes()
        .iter()
        .map(|r| (r.method.clone(), r.path.to_owned()));
    assert_describes_exactly(&document(), routed);
}

#[test]
fn every_reference_in_the_document_resolves() {
    assert_eq!(dangling_refs(&document()), Vec::<String>::new());
}

#[test]
fn the_committed_document_is_current() {
    let file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi/reseller-service.json");
    assert_committed(&document(), &file);
}

#[tokio::test]
async fn the_service_serves_its_document_and_docs_page() {
    let app = TestApp::spawn().await;
    let served = app.call(TestRequest::get("/openapi.json")).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.json(), document());
    assert_eq!(served.json()["openapi"], "3.1.0");

    let page = app.call(TestRequest::get("/docs")).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("/openapi.json"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "the page must load nothing from elsewhere"
    );
}

/// Fuzzer finding: optional headers were documented as nullable, so a
/// client generating from the document sent `If-Match: null`.
#[test]
fn no_parameter_is_nullable() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let schema = parameter["schema"].to_string();
                assert!(
                    !schema.contains("\"null\""),
                    "{method} {path} {}: {schema}",
                    parameter["name"]
                );
            }
        }
    }
}
