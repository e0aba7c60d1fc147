//! [`RequireScope`]: a route layer that lets a request through only when its verified token grants a scope,
//! in the `scope` claim or in Auth0's RBAC `permissions` (like `requiredScopes` of Auth0's
//! express-oauth2-jwt-bearer). Put it on a handler, inside the guard's layer:
//! `.route("/projects", get(list).post(create.layer(RequireScope::new("write:projects"))))` (with
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

/// Requires every space-separated scope it was made with; otherwise a 403 `insufficient_scope` naming them, and
/// the handler does not run. Made with [`RequireScope::new`], which refuses an empty scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequireScope(&'static str);

impl RequireScope {
    /// Requires every space-separated scope in `scope`.
    ///
    /// # Panics
    ///
    /// When `scope` is empty or only spaces: requiring no scope would let every token through, so it is a
    /// mistake in the API's routes, reported while the router is built (at compile time in a `const`).
    pub const fn new(scope: &'static str) -> Self {
        let bytes = scope.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if !bytes[i].is_ascii_whitespace() {
                return Self(scope);
            }
            i += 1;
        }
        panic!(
            "RequireScope::new(\"\"): an empty scope would let every token through; name the scope(s) the route \
             needs, e.g. RequireScope::new(\"write:projects\")"
        )
    }

    /// The scopes required, space-separated.
    pub fn scope(&self) -> &'static str {
        self.0
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_scope_is_kept() {
        assert_eq!(
            RequireScope::new("read:a write:b").scope(),
            "read:a write:b"
        );
        const WRITE: RequireScope = RequireScope::new("write:projects");
        assert_eq!(WRITE.scope(), "write:projects");
    }

    #[test]
    fn an_empty_scope_is_refused_when_the_router_is_built() {
        for blank in ["", " ", " \t\n"] {
            let panic = std::panic::catch_unwind(|| RequireScope::new(blank)).unwrap_err();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap();
            assert!(
                message.starts_with(
                    "RequireScope::new(\"\"): an empty scope would let every token through"
                ),
                "{blank:?}: {message}"
            );
        }
    }
}
