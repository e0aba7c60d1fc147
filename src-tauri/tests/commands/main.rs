//! The app with its plugin (`tauri-plugin-orgpass`) on Tauri's mock runtime, against a real devtenant (demo seed)
//! over loopback.
//!
//! The window is a mock webview labelled `main` with the app's real capabilities (`generate_context!`), so these
//! tests also prove what the window may call (`plugin:orgpass|…` through `orgpass:default`). Commands that change
//! state must return nothing and emit the new state as the `orgpass://state` event: [`Harness::change`] checks
//! both and returns the state the event carried. The "browser" is an in-process opener that walks devtenant's login
//! page over HTTP like a person would (GET /authorize, POST the login form, follow the redirect to the loopback
//! callback). The keychain is the engine's in-memory store; the real Secret Service is covered end to end.
//! A restart is a new app on the same store and tenant; "the network is down" is the tenant stopped (its port
//! closed), and "back" is it started again on that port from its persisted state.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use orgpass::{KeychainStore, OpenError, Opener, Session, SessionStore};
use orgpass_app::config::{AppConfig, Flags};
use serde_json::{Value, json};
use tauri::Listener;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{INVOKE_KEY, MockRuntime, get_ipc_response, mock_builder};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_orgpass::recent::RecentStore;
use tauri_plugin_orgpass::{Core, Services};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";
const GLOBEX: &str = "org_GlobexG7h8I9j0K1";
const INITECH: &str = "org_InitechL2m3N4o5p";

/// A devtenant with the demo seed, running on Tauri's async runtime for the whole test.
struct Tenant {
    running: devtenant::Running,
}

fn tenant() -> Tenant {
    tenant_with(devtenant::SpawnOptions::default())
}

fn tenant_with(opts: devtenant::SpawnOptions) -> Tenant {
    let running = tauri::async_runtime::block_on(devtenant::spawn(devtenant::Seed::demo(), opts))
        .expect("devtenant starts");
    Tenant { running }
}

impl Tenant {
    /// The refresh tokens devtenant holds, by the SHA-256 of their value.
    fn refresh_tokens(&self) -> std::collections::HashMap<String, devtenant::store::RefreshRecord> {
        self.running.state.lock().store.refresh_tokens.clone()
    }
}

/// Who the scripted browser signs in as; `None` means a browser that never comes back.
#[derive(Default)]
struct Browser {
    user: Mutex<Option<(String, String)>>,
    opened: Mutex<Vec<String>>,
    errors: Arc<Mutex<Vec<String>>>,
    /// Set: a browser on another computer, which cannot reach the loopback listener; the addresses it ended on.
    elsewhere: Option<Arc<Mutex<Vec<String>>>>,
    /// Set: the tenant prompts for the organization before login (the email step), and the person types their
    /// email there; with an organization ID, they pick it in the chooser of a domain several share.
    discovery: Mutex<Option<Option<String>>>,
}

impl Browser {
    fn sign_in_as(&self, email: &str, password: &str) {
        *self.user.lock().unwrap() = Some((email.to_owned(), password.to_owned()));
    }
    fn idle(&self) {
        *self.user.lock().unwrap() = None;
    }
    fn opened(&self) -> Vec<String> {
        self.opened.lock().unwrap().clone()
    }
}

impl Opener for Browser {
    fn open(&self, url: &str) -> Result<(), OpenError> {
        self.opened.lock().unwrap().push(url.to_owned());
        if let Some((user, password)) = self.user.lock().unwrap().clone() {
            let url = url.to_owned();
            let errors = self.errors.clone();
            let elsewhere = self.elsewhere.clone();
            let discovery = self.discovery.lock().unwrap().clone();
            tauri::async_runtime::spawn(async move {
                match walk_login_page(&url, &user, &password, elsewhere.is_some(), discovery).await
                {
                    Ok(Some(ended_on)) => elsewhere.unwrap().lock().unwrap().push(ended_on),
                    Ok(None) => {}
                    Err(e) => errors.lock().unwrap().push(e),
                }
            });
        }
        Ok(())
    }
}

/// The scripted sign-in (`devtenant::testing`), then the redirect back delivered to the app's loopback listener;
/// with `elsewhere`, not delivered (a browser that cannot reach this computer) and its address returned.
async fn walk_login_page(
    authorize: &str,
    user: &str,
    password: &str,
    elsewhere: bool,
    discovery: Option<Option<String>>,
) -> Result<Option<String>, String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let mut authorize = url::Url::parse(authorize).map_err(|e| e.to_string())?;
    if let Some(choose) = discovery {
        authorize = email_step(&http, authorize, user, choose.as_deref()).await?;
    }
    let callback = devtenant::testing::sign_in(&http, authorize, user, password)
        .await
        .map_err(|e| e.to_string())?;
    if elsewhere {
        return Ok(Some(callback.to_string()));
    }
    http.get(callback).send().await.map_err(|e| e.to_string())?;
    Ok(None)
}

/// devtenant's organization prompt before login, as a person goes through it: the email step (which must show the
/// `login_hint` the app sent), then the chooser when several organizations share the domain. Returns the address
/// of the login page it leads to.
async fn email_step(
    http: &reqwest::Client,
    authorize: url::Url,
    email: &str,
    choose: Option<&str>,
) -> Result<url::Url, String> {
    let location = |res: &reqwest::Response, base: &url::Url| -> Result<url::Url, String> {
        let loc = res
            .headers()
            .get(reqwest::header::LOCATION)
            .ok_or_else(|| format!("{base} answered {} without a redirect", res.status()))?;
        base.join(loc.to_str().map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    let send =
        |req: reqwest::RequestBuilder| async move { req.send().await.map_err(|e| e.to_string()) };
    let step = location(&send(http.get(authorize.clone())).await?, &authorize)?;
    if step.path() != "/u/organization" {
        return Err(format!("no email step: /authorize went to {step}"));
    }
    let state = step
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .ok_or("the email step has no state")?;
    let page = send(http.get(step.clone()))
        .await?
        .text()
        .await
        .map_err(|e| e.to_string())?;
    if !page.contains(&format!("value=\"{email}\"")) {
        return Err(format!(
            "the email step does not show the login_hint {email}: {page}"
        ));
    }
    let post = step.join("/u/organization").unwrap();
    let res = send(
        http.post(post.clone())
            .form(&[("state", state.as_str()), ("email", email)]),
    )
    .await?;
    let next = location(&res, &post)?;
    match (next.path(), choose) {
        ("/u/login", None) => Ok(next),
        ("/u/organization-chooser", Some(org)) => {
            let post = step.join("/u/organization-chooser").unwrap();
            let res = send(
                http.post(post.clone())
                    .form(&[("state", state.as_str()), ("organization", org)]),
            )
            .await?;
            location(&res, &post)
        }
        (path, _) => Err(format!(
            "the email step went to {path}, not where the test expected ({choose:?})"
        )),
    }
}

struct Harness {
    /// `None` while the tenant is down (the app sees a closed port).
    tenant: Option<Tenant>,
    _dir: tempfile::TempDir,
    app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    browser: Arc<Browser>,
    store: Arc<KeychainStore>,
    core: Arc<Core>,
    issuer: String,
    /// Every `orgpass://state` event the app emitted, in order.
    events: Arc<Mutex<Vec<Value>>>,
}

fn app_config(issuer: &str, dir: &std::path::Path) -> AppConfig {
    let text = format!(
        r##"
issuer = "{issuer}"
client_id = "orgpass-desktop"
timeout_secs = 20

[[organizations]]
id = "{ACME}"
name = "acme"
display_name = "Acme Corporation"
logo_url = "{issuer}branding/acme.svg"
primary_color = "#d9480f"
background_color = "#fff4e6"

[[organizations]]
id = "{GLOBEX}"
name = "globex"
display_name = "Globex Industries"
primary_color = "#2b8a3e"
"##
    );
    AppConfig::resolve(
        Some(&text),
        Some(dir.join("app.toml")),
        &orgpass::Env::default(),
        &Flags::default(),
        None,
    )
    .expect("config")
}

fn harness_with(tenant: Tenant, dir: tempfile::TempDir, store: Arc<KeychainStore>) -> Harness {
    let issuer = tenant.running.issuer.to_string();
    harness_on(issuer, Some(tenant), dir, store)
}

/// An app configured for `issuer`, whether or not a tenant answers there.
fn harness_on(
    issuer: String,
    tenant: Option<Tenant>,
    dir: tempfile::TempDir,
    store: Arc<KeychainStore>,
) -> Harness {
    harness_on_with(issuer, tenant, dir, store, Arc::new(Browser::default()))
}

/// Like [`harness_on`] with a browser of the test's own.
fn harness_on_with(
    issuer: String,
    tenant: Option<Tenant>,
    dir: tempfile::TempDir,
    store: Arc<KeychainStore>,
    browser: Arc<Browser>,
) -> Harness {
    let settings = app_config(&issuer, dir.path()).settings();
    harness_from(settings, issuer, tenant, dir, store, browser)
}

/// An app running with `settings`.
fn harness_from(
    settings: tauri_plugin_orgpass::Settings,
    issuer: String,
    tenant: Option<Tenant>,
    dir: tempfile::TempDir,
    store: Arc<KeychainStore>,
    browser: Arc<Browser>,
) -> Harness {
    let services = Services {
        store: Ok(store.clone() as Arc<dyn SessionStore>),
        recent: RecentStore::new(dir.path().join("recent-orgs.json")),
        opener: Some(browser.clone() as Arc<dyn Opener>),
    };
    let core = Arc::new(Core::new(settings, services));
    let app = mock_builder()
        .plugin(tauri_plugin_orgpass::with_core(core.clone()))
        .build(tauri::generate_context!(test = true))
        .expect("mock app builds");
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = events.clone();
    app.listen_any(tauri_plugin_orgpass::EVENT_STATE, move |e| {
        seen.lock()
            .unwrap()
            .push(serde_json::from_str(e.payload()).expect("the event carries JSON"));
    });
    let window = WebviewWindowBuilder::new(&app, orgpass_app::MAIN_WINDOW, Default::default())
        .build()
        .expect("main window");
    Harness {
        tenant,
        _dir: dir,
        app,
        window,
        browser,
        store,
        core,
        issuer,
        events,
    }
}

fn harness() -> Harness {
    harness_with(
        tenant(),
        tempfile::tempdir().unwrap(),
        Arc::new(KeychainStore::in_memory()),
    )
}

fn stored_session(store: &KeychainStore, org: &str) -> Option<Session> {
    let meta = store
        .list()
        .unwrap()
        .into_iter()
        .find(|m| m.key.org_id.as_deref() == Some(org))?;
    store.load(&meta.key).unwrap()
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn invoke(window: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    get_ipc_response(
        window,
        InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().unwrap(),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("JSON response"))
}

impl Harness {
    fn call(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        invoke(&self.window, &format!("plugin:orgpass|{cmd}"), args)
    }

    /// A command that changes state: it returns nothing, and the window learns the new state from the event.
    fn change(&self, cmd: &str, args: Value) -> Value {
        let before = self.events.lock().unwrap().len();
        let returned = self
            .call(cmd, args)
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        assert_eq!(
            returned,
            Value::Null,
            "{cmd} returns nothing; the state comes as an event"
        );
        let start = Instant::now();
        loop {
            if let Some(last) = self
                .events
                .lock()
                .unwrap()
                .get(before..)
                .and_then(|e| e.last())
            {
                return last.clone();
            }
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "{cmd} emitted no orgpass://state event"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn state(&self) -> Value {
        self.call("app_state", json!({})).expect("app_state")
    }

    /// Poll the view until `done` holds (sign-in finishes in a background task).
    fn wait_for(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.state();
            if done(&s) {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out waiting for {what}; browser errors: {:?}; last state: {s:#}",
                self.browser.errors.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn sign_in(&self, input: &str, email: &str, password: &str) -> Value {
        *self.browser.discovery.lock().unwrap() = None;
        self.browser.sign_in_as(email, password);
        // The browser may finish before the event is read: only that one came is certain here.
        self.change("begin_login", json!({"input": input, "promptLogin": false}));
        self.wait_for("the sign-in to finish", |s| s["pending"].is_null())
    }

    fn session<'a>(state: &'a Value, org: &str) -> Option<&'a Value> {
        state["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["orgId"] == org)
    }

    /// Quit the app; what outlives it: the tenant, the app's folder and the keychain.
    fn quit(self) -> (Option<Tenant>, tempfile::TempDir, Arc<KeychainStore>) {
        let Harness {
            tenant,
            _dir,
            store,
            app,
            window,
            core,
            ..
        } = self;
        drop((window, core));
        drop(app);
        (tenant, _dir, store)
    }

    /// The session of `org` as the keychain holds it (tokens included).
    fn stored_session(&self, org: &str) -> Option<Session> {
        stored_session(&self.store, org)
    }

    fn stored_orgs(&self) -> Vec<String> {
        self.store
            .list()
            .unwrap()
            .into_iter()
            .filter_map(|m| m.key.org_id)
            .collect()
    }
}

#[test]
fn commands_are_granted_to_the_main_window_only() {
    let h = harness();
    assert_eq!(h.state()["issuer"], h.issuer);
    let other = WebviewWindowBuilder::new(&h.app, "other", Default::default())
        .build()
        .unwrap();
    let err = invoke(&other, "plugin:orgpass|app_state", json!({}))
        .expect_err("a window without a capability is refused");
    assert!(err.to_string().contains("not allowed"), "{err}");
}

#[test]
fn organization_input_is_validated_as_typed() {
    let h = harness();
    let ok = |input: &str| {
        h.call("validate_org", json!({ "input": input }))
            .unwrap_or_else(|e| panic!("{input}: {e}"))
    };
    let v = ok("  Acme ");
    assert_eq!(
        (v["kind"].as_str(), v["organization"].as_str()),
        (Some("name"), Some("acme"))
    );
    assert_eq!(v["summary"], "Acme Corporation (acme)");
    let v = ok(GLOBEX);
    assert_eq!(
        (v["kind"].as_str(), v["summary"].as_str()),
        (Some("id"), Some("Globex Industries (org_GlobexG7h8I9j0K1)"))
    );
    let v = ok("org_Unknown123");
    assert_eq!(v["summary"], "Organization ID org_Unknown123");
    let v = ok(
        "https://app.orgpass.example/login?invitation=demoInviteBobToInitech&organization=org_InitechL2m3N4o5p&organization_name=initech",
    );
    assert_eq!(
        (v["kind"].as_str(), v["hasInvitation"].as_bool()),
        (Some("invitation"), Some(true))
    );
    // Initech is not in this directory: the link's name is only a claim, shown as such next to the ID.
    assert_eq!(
        v["summary"],
        "Invitation to org_InitechL2m3N4o5p (“initech” says the link, not verified yet)"
    );
    // Acme is, by ID: its configured name is shown, whatever name the link carries.
    let v = ok(
        "https://app.orgpass.example/login?invitation=Tk1&organization=org_AcmeA1b2C3d4E5f6&organization_name=globex",
    );
    assert_eq!(v["summary"], "Invitation to Acme Corporation");
    // A forged link: another organization's ID with Acme's name.
    let v = ok(
        "https://app.orgpass.example/login?invitation=Tk1&organization=org_attacker000000001&organization_name=acme",
    );
    assert_eq!(
        v["summary"],
        "Invitation to org_attacker000000001 (“acme” says the link, not verified yet)"
    );
    assert_eq!(v["organization"], "org_attacker000000001");
    let v =
        ok("https://app.orgpass.example/login?invitation=Tk1&organization=org_attacker000000001");
    assert_eq!(v["summary"], "Invitation to org_attacker000000001");

    let rows = [
        (
            "Acme Corp",
            "Organization names have no spaces: use the short name (like acme) or the ID (org_…), not the display name.",
        ),
        (
            "org_bad-id",
            "An organization ID is org_ followed by letters and digits.",
        ),
        (
            "https://x.example/login?organization=org_A",
            "This invitation link has no invitation: paste the whole link from the invitation email.",
        ),
        (
            "",
            "Type your organization's ID or name, or paste an invitation link.",
        ),
    ];
    for (input, message) in rows {
        let e = h
            .call("validate_org", json!({ "input": input }))
            .expect_err(input);
        assert_eq!(
            (e["code"].as_str(), e["message"].as_str()),
            (Some("bad_input"), Some(message)),
            "{input}"
        );
        assert!(!e["details"].as_str().unwrap().is_empty());
    }
    // Bad input never opens a browser.
    let e = h
        .call(
            "begin_login",
            json!({"input": "Acme Corp", "promptLogin": false}),
        )
        .unwrap_err();
    assert_eq!(e["code"], "bad_input");
    assert!(h.browser.opened().is_empty());
    assert!(h.state()["pending"].is_null());
}

#[test]
fn a_browser_elsewhere_finishes_by_pasting_its_address_into_the_waiting_screen() {
    let tenant = tenant();
    let dir = tempfile::tempdir().unwrap();
    let ended_on = Arc::new(Mutex::new(Vec::new()));
    let browser = Arc::new(Browser {
        elsewhere: Some(ended_on.clone()),
        ..Browser::default()
    });
    let issuer = tenant.running.issuer.to_string();
    let h = harness_on_with(
        issuer,
        Some(tenant),
        dir,
        Arc::new(KeychainStore::in_memory()),
        browser,
    );
    h.browser.sign_in_as("alice@example.com", "Alice-pass-1");
    let s = h.change(
        "begin_login",
        json!({"input": "acme", "promptLogin": false}),
    );
    assert_eq!(s["pending"]["stage"], "waiting");
    let start = Instant::now();
    let address = loop {
        if let Some(a) = ended_on.lock().unwrap().first().cloned() {
            break a;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the browser never got to the callback"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    // Junk and a forged state are refused with a sentence; the sign-in goes on waiting.
    let refused = |address: &str| {
        let e = h
            .call("paste_callback", json!({ "address": address }))
            .expect_err("refused");
        (
            e["code"].as_str().unwrap().to_owned(),
            e["message"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        refused("see you"),
        (
            "bad_input".to_owned(),
            "That address was not accepted: that is not an address; paste the whole address from the browser's \
             address bar (it starts with http://)."
                .to_owned()
        )
    );
    let forged = address.replace("state=", "state=x");
    assert_eq!(
        refused(&forged).1,
        "That address was not accepted: it belongs to another sign-in (its state does not match this one); copy \
         the address from the tab this sign-in opened."
    );
    assert_eq!(h.state()["pending"]["stage"], "waiting");
    h.call("paste_callback", json!({ "address": address }))
        .expect("the real address is accepted");
    let s = h.wait_for("the pasted sign-in to finish", |s| s["pending"].is_null());
    assert_eq!(s["active"], ACME);
    assert!(
        h.stored_session(ACME).is_some(),
        "the session is in the store"
    );
    // Nothing is waiting any more: a late paste says so.
    assert_eq!(refused(&address).0, "not_found");
}

#[test]
fn sign_in_to_two_orgs_switch_inspect_and_sign_out() {
    let h = harness();
    let s = h.sign_in("acme", "alice@example.com", "Alice-pass-1");
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], ACME);
    let acme = Harness::session(&s, ACME).expect("acme session");
    assert_eq!(acme["orgDisplayName"], "Acme Corporation");
    assert_eq!(acme["email"], "alice@example.com");
    assert_eq!(acme["name"], "Alice Anders");
    assert_eq!(acme["status"], "active");
    assert_eq!(acme["branding"]["primaryColor"], "#d9480f");
    assert_eq!(s["recent"][0]["id"], ACME);
    // The view carries no token of any kind.
    let text = s.to_string();
    for forbidden in [
        "eyJ",
        "access_token",
        "refresh_token",
        "id_token",
        "code_verifier",
    ] {
        assert!(!text.contains(forbidden), "view leaks {forbidden}");
    }
    let url = &h.browser.opened()[0];
    assert!(
        url.contains("organization=acme") && url.contains("code_challenge_method=S256"),
        "{url}"
    );

    let s = h.sign_in(GLOBEX, "alice@example.com", "Alice-pass-1");
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(s["sessions"].as_array().unwrap().len(), 2);
    assert_eq!(h.stored_orgs(), [ACME, GLOBEX]);

    // Switching between signed-in organizations needs no browser.
    let opened = h.browser.opened().len();
    let s = h.change("switch_org", json!({ "orgId": ACME }));
    assert_eq!(s["active"], ACME);
    assert_eq!(h.browser.opened().len(), opened);
    let e = h
        .call("switch_org", json!({ "orgId": "org_Nope" }))
        .unwrap_err();
    assert_eq!(e["code"], "not_found");

    // QA: verified claims and the parameters that were sent.
    let qa = h.call("qa_details", json!({ "orgId": ACME })).unwrap();
    let pairs =
        |k: &str| -> Vec<(String, String)> { serde_json::from_value(qa[k].clone()).unwrap() };
    let claims = pairs("claims");
    assert!(
        claims.contains(&("org_id".into(), ACME.into())),
        "{claims:?}"
    );
    assert!(
        claims.contains(&("email".into(), "alice@example.com".into())),
        "{claims:?}"
    );
    let params = pairs("authorizeParams");
    assert!(
        params.contains(&("organization".into(), "acme".into())),
        "{params:?}"
    );
    assert!(
        params.contains(&("client_id".into(), "orgpass-desktop".into())),
        "{params:?}"
    );
    assert!(!params.iter().any(|(k, _)| k == "code_verifier"));
    let settings = pairs("settings");
    let keys: Vec<&str> = settings.iter().map(|(k, _)| k.as_str()).collect();
    // Every engine key, then the app's own, in that order.
    let all: Vec<&str> = orgpass::config::KEYS
        .iter()
        .chain(orgpass::managed::APP_KEYS)
        .copied()
        .collect();
    assert_eq!(keys, all);
    let timeout = &settings[5].1;
    assert!(
        timeout.starts_with("20 — user file ") && timeout.ends_with("app.toml"),
        "{timeout}"
    );
    assert_eq!(settings[2].1, "(none) — default");

    // Sign out of one: gone from the store, the other stays.
    let s = h.change("sign_out", json!({ "orgId": ACME, "endSso": false }));
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(h.stored_orgs(), [GLOBEX]);
    assert!(Harness::session(&s, ACME).is_none());
    assert_eq!(s["recent"][0]["id"], GLOBEX);
    assert_eq!(s["recent"][1]["signedIn"], false);
}

/// IT's system file locks the QA view off: the window is told (no switch), turning it on is refused and changes
/// nothing, and its details are not given; turning it "off" again is no change and is fine.
#[test]
fn a_qa_view_it_locked_off_stays_off() {
    let tenant = tenant();
    let issuer = tenant.running.issuer.to_string();
    let dir = tempfile::tempdir().unwrap();
    let system = orgpass_app::config::FileText {
        path: "/etc/orgpass/app.toml".into(),
        text: format!(
            "issuer = \"{issuer}\"\nclient_id = \"orgpass-desktop\"\nqa = false\nlocked = [\"qa\"]\n"
        ),
    };
    let config = AppConfig::resolve_managed(
        &[system],
        None,
        None,
        &orgpass::Env::default(),
        &Flags::default(),
        None,
    )
    .expect("config");
    let h = harness_from(
        config.settings(),
        issuer,
        Some(tenant),
        dir,
        Arc::new(KeychainStore::in_memory()),
        Arc::new(Browser::default()),
    );
    let s = h.state();
    assert_eq!(
        (s["qa"].clone(), s["qaLocked"].clone()),
        (json!(false), json!(true))
    );
    let e = h.call("set_qa", json!({ "enabled": true })).unwrap_err();
    assert_eq!(e["code"], "config");
    assert_eq!(e["message"], "The QA view is set by your IT department.");
    assert_eq!(h.state()["qa"], false, "nothing changed");
    h.sign_in(ACME, "alice@example.com", "Alice-pass-1");
    let e = h.call("qa_details", json!({ "orgId": ACME })).unwrap_err();
    assert_eq!(e["code"], "config");
    assert_eq!(e["message"], "The QA view is set by your IT department.");
    assert_eq!(
        h.call("set_qa", json!({ "enabled": false })),
        Ok(Value::Null)
    );
}

#[test]
fn non_member_is_refused_with_a_sentence_and_nothing_is_stored() {
    let h = harness();
    let s = h.sign_in("acme", "nora@example.com", "Nora-pass-1");
    let e = &s["lastError"];
    assert_eq!(e["code"], "refused", "{s:#}");
    assert_eq!(e["message"], "You are not a member of Acme Corporation.");
    assert!(
        e["nextStep"]
            .as_str()
            .unwrap()
            .contains("Sign in as someone else")
    );
    assert!(e["details"].as_str().unwrap().contains("access_denied"));
    // The error screen can offer the same sign-in again ("Sign in as someone else").
    assert_eq!(e["retry"], "acme");
    assert!(h.stored_orgs().is_empty());
    // "Choose an organization" dismisses the error.
    let s = h.change("show_org_picker", json!({ "show": true }));
    assert!(s["lastError"].is_null());
    assert_eq!(s["picking"], true);
}

#[test]
fn cancel_leaves_the_waiting_screen_without_an_error() {
    let h = harness();
    h.browser.idle();
    let s = h.change("begin_login", json!({"input": GLOBEX, "promptLogin": true}));
    let p = &s["pending"];
    assert_eq!(p["stage"], "waiting");
    assert_eq!(p["orgLabel"], "Globex Industries");
    assert_eq!(p["promptLogin"], true);
    assert!(p["authorizeUrl"].as_str().unwrap().contains("prompt=login"));
    let busy = h
        .call(
            "begin_login",
            json!({"input": "acme", "promptLogin": false}),
        )
        .unwrap_err();
    assert_eq!(busy["code"], "busy");
    h.call("reopen_browser", json!({})).unwrap();
    assert_eq!(
        h.browser.opened().len(),
        2,
        "Open the browser again opens the same page"
    );
    assert_eq!(h.browser.opened()[0], h.browser.opened()[1]);
    let s = h.change("cancel_login", json!({}));
    assert!(s["pending"].is_null());
    std::thread::sleep(Duration::from_millis(300));
    let s = h.state();
    assert!(s["pending"].is_null() && s["lastError"].is_null(), "{s:#}");
    assert!(h.stored_orgs().is_empty());
}

#[test]
fn restart_restores_sessions_from_the_store_without_a_browser() {
    let first = harness();
    first.sign_in("globex", "alice@example.com", "Alice-pass-1");
    let (tenant, dir, store) = first.quit();

    let second = harness_with(tenant.expect("tenant"), dir, store);
    let s = second.wait_for("the restored session to be checked", |s| {
        Harness::session(s, GLOBEX).is_some_and(|g| g["status"] == "active")
    });
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(
        Harness::session(&s, GLOBEX).unwrap()["email"],
        "alice@example.com"
    );
    assert!(second.browser.opened().is_empty(), "no browser on restart");
    let qa = second
        .call("qa_details", json!({ "orgId": GLOBEX }))
        .unwrap();
    assert_eq!(qa["authorizeParams"][0][0], "(not recorded)");
}

fn expires_at(session: &Value) -> i64 {
    let text = session["expiresAt"].as_str().expect("expiresAt");
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339 expiry")
        .unix_timestamp()
}

/// Every session was checked with the provider (none is still "refreshing").
fn all_checked(s: &Value) -> bool {
    s["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["status"] != "refreshing")
}

#[test]
fn restart_renews_an_expired_access_token_in_the_background() {
    let first = harness();
    first.sign_in("globex", "alice@example.com", "Alice-pass-1");
    // The access token ran out while the app was closed.
    let mut session = first.stored_session(GLOBEX).expect("stored session");
    let old_refresh = session.refresh_token.clone().expect("a refresh token");
    session.meta.expires_at = now() - 60;
    first.store.save(&session).unwrap();
    let (tenant, dir, store) = first.quit();
    let tenant = tenant.expect("tenant");
    let old_digest = devtenant::store::digest(old_refresh.secret());
    assert_eq!(
        tenant.refresh_tokens().get(&old_digest).map(|r| r.used),
        Some(false)
    );

    let second = harness_with(tenant, dir, store);
    let s = second.wait_for("the expired session to be renewed", all_checked);
    let g = Harness::session(&s, GLOBEX).expect("globex session");
    assert_eq!(g["status"], "active", "{s:#}");
    assert!(g["statusNote"].is_null(), "{s:#}");
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(g["email"], "alice@example.com");
    // A new access token: the demo seed's lifetime is 24 h.
    let expires = expires_at(g);
    assert!(expires > now() + 23 * 3600, "expiry {expires} not renewed");
    let renewed = second.stored_session(GLOBEX).expect("still stored");
    assert_eq!(renewed.meta.expires_at, expires);
    assert_ne!(renewed.access_token.secret(), session.access_token.secret());
    // The refresh token was redeemed (a refresh_token grant) and rotated.
    let new_refresh = renewed.refresh_token.expect("a rotated refresh token");
    assert_ne!(new_refresh.secret(), old_refresh.secret());
    let records = second.tenant.as_ref().unwrap().refresh_tokens();
    let old = &records[&old_digest];
    let new = &records[&devtenant::store::digest(new_refresh.secret())];
    assert!(old.used, "the old refresh token was redeemed");
    assert!(!new.used && new.family == old.family);
    assert!(second.browser.opened().is_empty(), "no browser on restart");
}

#[test]
fn restart_while_offline_shows_the_identity_offline_and_renews_it_when_back() {
    let data = tempfile::tempdir().unwrap();
    let opts = devtenant::SpawnOptions {
        data_dir: Some(data.path().to_owned()),
        ..Default::default()
    };
    let first = harness_with(
        tenant_with(opts.clone()),
        tempfile::tempdir().unwrap(),
        Arc::new(KeychainStore::in_memory()),
    );
    first.sign_in("globex", "alice@example.com", "Alice-pass-1");
    let old_refresh = first.stored_session(GLOBEX).unwrap().refresh_token.unwrap();
    let issuer = first.issuer.clone();
    let (tenant, dir, store) = first.quit();
    // The network is down: nothing answers at the issuer any more.
    let port = tenant.as_ref().unwrap().running.addr.port();
    tauri::async_runtime::block_on(tenant.unwrap().running.shutdown());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());

    let mut second = harness_on(issuer.clone(), None, dir, store);
    let s = second.wait_for("the restored session to be checked", all_checked);
    let g = Harness::session(&s, GLOBEX).expect("the identity is still shown");
    assert_eq!(g["status"], "offline", "{s:#}");
    assert_eq!(
        g["statusNote"],
        format!(
            "Offline: Orgpass cannot reach {issuer} right now. You stay signed in; it will renew the session when the network is back."
        )
    );
    assert_eq!(g["email"], "alice@example.com");
    assert!(s["lastError"].is_null(), "offline is not an error: {s:#}");
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(second.stored_orgs(), [GLOBEX]);
    let kept = second.stored_session(GLOBEX).unwrap();
    assert_eq!(
        kept.refresh_token.as_ref().unwrap().secret(),
        old_refresh.secret()
    );
    assert!(second.browser.opened().is_empty(), "no browser on restart");

    // The network is back (same port, same persisted tenant): the next check renews the session.
    let back = tenant_with(devtenant::SpawnOptions {
        port: Some(port),
        ..opts
    });
    second.tenant = Some(back);
    tauri::async_runtime::block_on(second.core.refresh_all(false));
    let s = second.state();
    let g = Harness::session(&s, GLOBEX).expect("globex session");
    assert_eq!(g["status"], "active", "{s:#}");
    assert!(
        g["statusNote"].is_null() && s["lastError"].is_null(),
        "{s:#}"
    );
    assert!(expires_at(g) > now() + 23 * 3600);
    let renewed = second.stored_session(GLOBEX).unwrap();
    let new_refresh = renewed.refresh_token.unwrap();
    assert_ne!(new_refresh.secret(), old_refresh.secret());
    let records = second.tenant.as_ref().unwrap().refresh_tokens();
    assert!(records[&devtenant::store::digest(old_refresh.secret())].used);
    assert!(!records[&devtenant::store::digest(new_refresh.secret())].used);
    assert!(second.browser.opened().is_empty());
}

#[test]
fn restart_after_the_refresh_token_was_revoked_asks_to_sign_in_again() {
    let first = harness();
    first.sign_in("acme", "alice@example.com", "Alice-pass-1");
    first.sign_in(GLOBEX, "alice@example.com", "Alice-pass-1");
    // Revoked at the provider while the app was closed (signed out elsewhere, or by an administrator).
    let revoked = first.stored_session(ACME).unwrap().refresh_token.unwrap();
    let status = tauri::async_runtime::block_on(async {
        reqwest::Client::new()
            .post(format!("{}oauth/revoke", first.issuer))
            .form(&[
                ("client_id", "orgpass-desktop"),
                ("token", revoked.secret()),
            ])
            .send()
            .await
            .map(|r| r.status().as_u16())
    })
    .expect("revoke");
    assert_eq!(status, 200);
    let (tenant, dir, store) = first.quit();
    let tenant = tenant.unwrap();
    assert!(
        !tenant
            .refresh_tokens()
            .contains_key(&devtenant::store::digest(revoked.secret()))
    );

    let second = harness_with(tenant, dir, store);
    let s = second.wait_for("the restored sessions to be checked", all_checked);
    assert!(Harness::session(&s, ACME).is_none(), "{s:#}");
    assert_eq!(second.stored_orgs(), [GLOBEX]);
    let e = &s["lastError"];
    assert_eq!(
        (
            e["code"].as_str(),
            e["message"].as_str(),
            e["nextStep"].as_str()
        ),
        (
            Some("session_ended"),
            Some("Your session for Acme Corporation has ended (it was signed out or expired)."),
            Some("Sign in again to continue.")
        ),
        "{s:#}"
    );
    assert!(
        e["details"]
            .as_str()
            .unwrap()
            .contains("Unknown or invalid refresh token"),
        "{e:#}"
    );
    assert_eq!(s["prefill"], ACME);
    assert!(s["pending"].is_null());
    // The other organization is unaffected.
    assert_eq!(s["active"], GLOBEX);
    assert_eq!(Harness::session(&s, GLOBEX).unwrap()["status"], "active");
    assert!(
        second.browser.opened().is_empty(),
        "no browser opens by itself"
    );

    // "Choose an organization": the picker, pre-filled; signing in again works.
    let s = second.change("show_org_picker", json!({ "show": true }));
    assert_eq!(
        (s["picking"].as_bool(), s["prefill"].as_str()),
        (Some(true), Some(ACME))
    );
    assert!(s["lastError"].is_null());
    let s = second.sign_in(ACME, "alice@example.com", "Alice-pass-1");
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], ACME);
    assert_eq!(second.browser.opened().len(), 1);
    let mut stored = second.stored_orgs();
    stored.sort();
    assert_eq!(stored, [ACME, GLOBEX]);
}

#[test]
fn invitation_link_signs_the_invitee_in() {
    // The directory (acme, globex) would refuse initech: IT allows it too, without offering it in the picker.
    let dir = tempfile::tempdir().unwrap();
    let tenant = tenant();
    let issuer = tenant.running.issuer.to_string();
    let mut settings = app_config(&issuer, dir.path()).settings();
    settings.engine.allowed_organizations = Some(vec![ACME.into(), GLOBEX.into(), INITECH.into()]);
    let h = harness_from(
        settings,
        issuer,
        Some(tenant),
        dir,
        Arc::new(KeychainStore::in_memory()),
        Arc::new(Browser::default()),
    );
    let link = "https://app.orgpass.example/login?invitation=demoInviteBobToInitech&organization=org_InitechL2m3N4o5p&organization_name=initech";
    let s = h.sign_in(link, "bob@example.com", "Bob-pass-1");
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], "org_InitechL2m3N4o5p");
    let url = &h.browser.opened()[0];
    assert!(
        url.contains("invitation=demoInviteBobToInitech")
            && url.contains("organization=org_InitechL2m3N4o5p"),
        "{url}"
    );
}

#[test]
fn deep_link_prefills_the_picker() {
    let h = harness();
    h.core.accept_link("orgpass://invite?invitation=T1&organization=org_InitechL2m3N4o5p&organization_name=initech");
    let s = h.state();
    assert_eq!(
        s["prefill"],
        "orgpass://invite?invitation=T1&organization=org_InitechL2m3N4o5p&organization_name=initech"
    );
    assert_eq!(s["picking"], true);
    h.core.accept_link("orgpass://invite?organization=Bad Name");
    let s = h.state();
    assert_eq!(s["lastError"]["code"], "bad_input");
    assert!(
        s["lastError"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Orgpass was opened with a link it cannot use.")
    );
}

/// The directory crosses IPC through its own command, in configured order with its branding; the state (returned
/// and pushed) carries only its size, so a push with thousands of entries is as small as with two.
#[test]
fn the_directory_comes_from_its_own_command_and_the_state_carries_only_its_size() {
    let h = harness();
    let cards = h.call("directory", json!({})).expect("directory");
    let cards = cards.as_array().expect("a list of cards");
    let ids: Vec<&str> = cards.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [ACME, GLOBEX]);
    assert_eq!(cards[0]["displayName"], "Acme Corporation");
    assert_eq!(cards[0]["input"], ACME);
    assert_eq!(cards[0]["branding"]["primaryColor"], "#d9480f");
    assert_eq!(cards[1]["branding"]["backgroundColor"], Value::Null);

    let state = h.state();
    assert_eq!(state["directorySize"], 2);
    assert!(state.get("directory").is_none(), "{state}");
}

/// The demo tenant with its native client prompting for the organization before login, by work email (as
/// tests/e2e/discovery.rs sets it up).
fn discovering_tenant() -> Tenant {
    let mut seed = devtenant::Seed::demo();
    let client = &mut seed.clients[0];
    assert_eq!(client.client_id, "orgpass-desktop");
    client.organization_require_behavior = Some("pre_login_prompt".into());
    client.organization_discovery_methods = Some(vec!["email".into()]);
    let running =
        tauri::async_runtime::block_on(devtenant::spawn(seed, devtenant::SpawnOptions::default()))
            .expect("devtenant starts");
    Tenant { running }
}

impl Harness {
    /// "Continue with your work email": the browser goes through the email step (and the chooser, picking
    /// `choose`) and signs in as `email`.
    fn sign_in_by_email(&self, email: &str, password: &str, choose: Option<&str>) -> Value {
        *self.browser.discovery.lock().unwrap() = Some(choose.map(str::to_owned));
        self.browser.sign_in_as(email, password);
        self.change("begin_email_login", json!({ "email": email }));
        let done = self.wait_for("the sign-in to finish", |s| s["pending"].is_null());
        // While it waited, the window was told the address (and no organization yet).
        assert!(
            self.events
                .lock()
                .unwrap()
                .iter()
                .any(|e| e["pending"]["email"] == email
                    && e["pending"]["orgLabel"] == "your organization"),
            "no state showed the sign-in waiting for {email}"
        );
        done
    }
}

#[test]
fn a_work_email_is_validated_as_typed_with_a_sentence_for_what_is_missing() {
    let h = harness();
    let ok = h
        .call(
            "validate_email",
            json!({ "input": "  Dana@Globex.example " }),
        )
        .unwrap();
    assert_eq!(
        ok,
        json!({
            "address": "Dana@Globex.example",
            "domain": "globex.example",
            "summary": "Your company's sign-in service looks up the organization that uses globex.example",
        })
    );
    for (input, message) in [
        ("", "Type your work email, like ada@acme.example."),
        (
            "dana",
            "A work email has an @ in it, like ada@acme.example.",
        ),
        (
            "@globex.example",
            "Type the part before the @ too, like ada@acme.example.",
        ),
        (
            "dana smith@globex.example",
            "An email address has no spaces.",
        ),
        (
            "dana@globex",
            "After the @ comes your company's domain, like acme.example.",
        ),
        (
            "dana@globex..example",
            "After the @ comes your company's domain, like acme.example.",
        ),
        ("dana@a@globex.example", "An email address has only one @."),
        (
            "dana@globex_corp.example",
            "After the @ comes your company's domain: letters, digits, - and dots, like acme.example.",
        ),
    ] {
        let e = h
            .call("validate_email", json!({ "input": input }))
            .unwrap_err();
        assert_eq!(
            (&e["code"], &e["message"]),
            (&json!("bad_input"), &json!(message)),
            "{input:?}"
        );
    }
    // The sign-in refuses what validation refuses, before any browser.
    let e = h
        .call("begin_email_login", json!({ "email": "dana" }))
        .unwrap_err();
    assert_eq!(e["code"], "bad_input");
    assert!(h.browser.opened().is_empty());
}

#[test]
fn a_work_email_finds_the_organization_and_a_later_picker_offers_it_first() {
    let h = harness_with(
        discovering_tenant(),
        tempfile::tempdir().unwrap(),
        Arc::new(KeychainStore::in_memory()),
    );
    // Dana's domain is globex's alone: no chooser.
    let s = h.sign_in_by_email("dana@globex.example", "Dana-pass-1", None);
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], GLOBEX);
    let session = Harness::session(&s, GLOBEX).unwrap();
    assert_eq!(
        (&session["orgDisplayName"], &session["foundByEmail"]),
        (&json!("Globex Industries"), &json!(true))
    );
    // Sent without `organization`, with the address as login_hint.
    let url = url::Url::parse(&h.browser.opened()[0]).unwrap();
    let params: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(
        params.get("login_hint").map(String::as_str),
        Some("dana@globex.example")
    );
    assert!(!params.contains_key("organization"), "{url}");
    assert!(h.stored_session(GLOBEX).unwrap().meta.found_by_email);
    // The recent list (newest first) says so: the picker offers it first.
    assert_eq!(
        (&s["recent"][0]["id"], &s["recent"][0]["foundByEmail"]),
        (&json!(GLOBEX), &json!(true))
    );
    // Named directly later (as the picker offers it), the session is not found by email, and the recent entry
    // still remembers that the email found it.
    let s = h.sign_in(GLOBEX, "dana@globex.example", "Dana-pass-1");
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(Harness::session(&s, GLOBEX).unwrap()["foundByEmail"], false);
    assert_eq!(s["recent"][0]["foundByEmail"], true);
}

#[test]
fn the_chooser_of_a_shared_domain_picks_the_organization() {
    let h = harness_with(
        discovering_tenant(),
        tempfile::tempdir().unwrap(),
        Arc::new(KeychainStore::in_memory()),
    );
    let s = h.sign_in_by_email("alice@example.com", "Alice-pass-1", Some(ACME));
    assert!(s["lastError"].is_null(), "{s:#}");
    assert_eq!(s["active"], ACME);
    assert_eq!(Harness::session(&s, ACME).unwrap()["foundByEmail"], true);
    assert_eq!(h.stored_orgs(), [ACME]);
}

/// The directory is the allow-list (src-tauri's config feeds it to the engine's `allowed_organizations`): an
/// organization the tenant chose outside it is refused in a sentence, and nothing is stored or remembered.
#[test]
fn an_organization_the_tenant_chose_outside_the_directory_is_refused_and_nothing_is_stored() {
    let tenant = discovering_tenant();
    let issuer = tenant.running.issuer.to_string();
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "issuer = \"{issuer}\"\nclient_id = \"orgpass-desktop\"\ntimeout_secs = 20\n\n[[organizations]]\nid = \
         \"{ACME}\"\nname = \"acme\"\ndisplay_name = \"Acme Corporation\"\n"
    );
    let config = AppConfig::resolve(
        Some(&text),
        Some(dir.path().join("app.toml")),
        &orgpass::Env::default(),
        &Flags::default(),
        None,
    )
    .expect("config");
    assert_eq!(
        config.engine.allowed_organizations,
        Some(vec![ACME.to_owned()])
    );
    let h = harness_from(
        config.settings(),
        issuer,
        Some(tenant),
        dir,
        Arc::new(KeychainStore::in_memory()),
        Arc::new(Browser::default()),
    );
    let s = h.sign_in_by_email("dana@globex.example", "Dana-pass-1", None);
    let e = &s["lastError"];
    assert_eq!(
        (&e["code"], &e["message"], &e["nextStep"], &e["retry"]),
        (
            &json!("refused"),
            &json!(format!(
                "The sign-in service chose globex ({GLOBEX}), which is not one of the organizations this app may \
                 sign in to, so you were not signed in."
            )),
            &json!(
                "Nothing was stored. Choose one of your company's organizations, or ask your IT department to add \
                 this one."
            ),
            &Value::Null
        ),
        "{s:#}"
    );
    assert_eq!(
        e["details"],
        format!(
            "the tenant signed you in to organization {GLOBEX}, which is not in allowed_organizations ({ACME}); \
             nothing was stored"
        )
    );
    assert!(h.stored_orgs().is_empty());
    assert!(s["sessions"].as_array().unwrap().is_empty());
    assert!(s["recent"].as_array().unwrap().is_empty());
    // Named directly, it is refused before any browser opens.
    let opened = h.browser.opened().len();
    let e = h
        .call(
            "begin_login",
            json!({ "input": GLOBEX, "promptLogin": false }),
        )
        .unwrap_err();
    assert_eq!(
        (&e["code"], &e["message"]),
        (
            &json!("refused"),
            &json!(format!(
                "{GLOBEX} is not one of the organizations this app may sign in to."
            ))
        )
    );
    assert_eq!(h.browser.opened().len(), opened);
    assert!(h.stored_orgs().is_empty());
}
