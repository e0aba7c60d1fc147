//! A tiny issuer on 127.0.0.1:0: discovery and a JWKS whose keys the test can change, counting the requests
//! each gets, and which the test can take down (every request answered 500).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::keys::TestKey;

#[derive(Clone, Default)]
struct Published {
    issuer: Arc<Mutex<String>>,
    jwks: Arc<Mutex<Vec<Value>>>,
    discovery_hits: Arc<AtomicUsize>,
    jwks_hits: Arc<AtomicUsize>,
    down: Arc<AtomicBool>,
}

/// A running test issuer (stops with the test's runtime).
pub struct TestIssuer {
    /// `http://127.0.0.1:PORT/`, as `iss` reads.
    pub issuer: String,
    published: Published,
}

impl TestIssuer {
    /// Serves `keys` at `/.well-known/jwks.json`, named by `/.well-known/openid-configuration`.
    pub async fn start(keys: &[&TestKey]) -> Self {
        let published = Published::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}/", listener.local_addr().unwrap());
        *published.issuer.lock().unwrap() = issuer.clone();
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/.well-known/jwks.json", get(jwks))
            .with_state(published.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let me = Self { issuer, published };
        me.publish(keys);
        me
    }

    /// Publishes exactly `keys` from now on.
    pub fn publish(&self, keys: &[&TestKey]) {
        *self.published.jwks.lock().unwrap() = keys.iter().map(|k| k.jwk()).collect();
    }

    /// From now on, answer every request with 500 (`true`), or serve again (`false`).
    pub fn set_down(&self, down: bool) {
        self.published.down.store(down, Ordering::SeqCst);
    }

    pub fn jwks_hits(&self) -> usize {
        self.published.jwks_hits.load(Ordering::SeqCst)
    }

    pub fn discovery_hits(&self) -> usize {
        self.published.discovery_hits.load(Ordering::SeqCst)
    }
}

async fn discovery(State(p): State<Published>) -> Result<Json<Value>, StatusCode> {
    p.discovery_hits.fetch_add(1, Ordering::SeqCst);
    if p.down.load(Ordering::SeqCst) {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let issuer = p.issuer.lock().unwrap().clone();
    Ok(Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}authorize"),
        "token_endpoint": format!("{issuer}oauth/token"),
        "jwks_uri": format!("{issuer}.well-known/jwks.json"),
    })))
}

async fn jwks(State(p): State<Published>) -> Result<Json<Value>, StatusCode> {
    p.jwks_hits.fetch_add(1, Ordering::SeqCst);
    if p.down.load(Ordering::SeqCst) {
        return Err(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Ok(Json(json!({ "keys": p.jwks.lock().unwrap().clone() })))
}
