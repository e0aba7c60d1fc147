//! [`RequireScope`]: a route layer that lets a request through only when its verified token grants a scope,
//! in the `scope` claim or in Auth0's RBAC `permissions` (like `requiredScopes` of Auth0's
//! express-oauth2-jwt-bearer). Put it on a handler, inside the guard's layer:
//! `.route("/projects", get(list).post(create.layer(RequireScope("write:projects"))))` (with
//! `axum::handler::Handler` in scope), or on a whole route with `.route_layer(…)`, which covers every method.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::claims::Claims;
use crate::error::GuardError;

/// Requires every space-separated scope in `.0`; otherwise a 403 `insufficient_scope` naming them, and the
/// handler does not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequireScope(pub &'static str);

impl<S> Layer<S> for RequireScope {
    type Service = RequireScopeService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireScopeService {
            scope: self.0,
            inner,
        }
    }
}

/// The service [`RequireScope`] wraps around a route.
#[derive(Debug, Clone)]
pub struct RequireScopeService<S> {
    scope: &'static str,
    inner: S,
}

impl<S> Service<Request> for RequireScopeService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let allowed = match req.extensions().get::<Claims>() {
            Some(claims) => claims.require_scope(self.scope),
            None => Err(GuardError::NotGuarded),
        };
        match allowed {
            Ok(()) => Box::pin(self.inner.call(req)),
            Err(e) => {
                tracing::debug!(check = e.check(), error = %e, "request refused");
                Box::pin(std::future::ready(Ok(e.into_response())))
            }
        }
    }
}
