//! [`GuardLayer`]: the tower layer that verifies every request's bearer token before the inner service runs,
//! refuses the request otherwise (RFC 6750), and hands the verified [`Claims`] to the extractors through the
//! request's extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::claims::Claims;
use crate::error::GuardError;
use crate::guard::Guard;
use crate::refusal::add_realm;

/// Verifies the bearer token of every request (see [`Guard::layer`]). On an axum `Router`:
/// `.layer(guard.layer())`.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: Guard,
}

impl GuardLayer {
    pub fn new(guard: Guard) -> Self {
        Self { guard }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            guard: self.guard.clone(),
            inner,
        }
    }
}

/// The service [`GuardLayer`] wraps around a route or a router.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    guard: Guard,
    inner: S,
}

impl<S> Service<Request> for GuardService<S>
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

    fn call(&mut self, mut req: Request) -> Self::Future {
        // The clone that was polled ready serves this request; the fresh clone serves the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let guard = self.guard.clone();
        Box::pin(async move {
            let (verified, dpop) = guard
                .verify_request(req.method(), req.uri(), req.headers())
                .await;
            let mut response = match verified {
                Ok(claims) => {
                    req.extensions_mut().insert::<Claims>(claims);
                    inner.call(req).await?
                }
                Err(e) => {
                    log_refusal(&e);
                    e.into_response()
                }
            };
            add_realm(&mut response, guard.config().realm(), dpop);
            Ok(response)
        })
    }
}

/// Logs why a request was refused: which check, never the token.
fn log_refusal(e: &GuardError) {
    match e {
        GuardError::Jwks(_) => tracing::warn!(check = e.check(), error = %e, "request refused"),
        _ => tracing::debug!(check = e.check(), error = %e, "request refused"),
    }
}
