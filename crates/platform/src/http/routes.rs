//! A router that records what it routes: every route is added with its
//! method, path and who may call it, so a service's tests can walk the whole
//! table (access per route, one audit row per mutation, the OpenAPI document
//! against the router) and a new route cannot be forgotten by them.

use axum::{http::Method, routing::MethodRouter, Router};

/// One registered route; `A` says who may call it.
#[derive(Debug, Clone)]
pub struct Route<A> {
    pub method: Method,
    pub path: &'static str,
    pub access: A,
}

/// A router being built, and the record of what was registered.
#[derive(Debug)]
pub struct RouteTable<S, A> {
    router: Router<S>,
    routes: Vec<Route<A>>,
}

impl<S: Clone + Send + Sync + 'static, A> Default for RouteTable<S, A> {
    fn default() -> Self {
        Self {
            router: Router::new(),
            routes: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static, A> RouteTable<S, A> {
    /// Routes `method path` to `handler`, which must route that one method.
    pub fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: A,
        handler: MethodRouter<S>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.routes.push(Route {
            method,
            path,
            access,
        });
        self
    }

    pub fn routes(&self) -> &[Route<A>] {
        &self.routes
    }

    pub fn into_router(self) -> Router<S> {
        self.router
    }
}
