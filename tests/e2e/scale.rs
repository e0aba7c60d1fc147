//! The desktop app with a company directory of 5,003 organizations (`devtenant::generate`, the same generator as
//! `devtenant seed generate --orgs 5000`), against a devtenant serving the same organizations: the list under the
//! organization field keeps only a window of rows in the DOM, typing narrows it to exactly the matches with their
//! count, and the arrow keys and Enter sign in to the chosen one through the real login page.
//! Writes `artifacts/screenshots/app-picker-5000*.png`. Needs what `app.rs` needs (`cargo xtask test` sets it up).

use std::io::Write as _;

use fantoccini::Client;

use crate::app::{
    CLIENT_ID, Drivers, app_binary, browse_login, chrome_session, next_opened, preconditions,
    recording_browser,
};
use crate::window::{
    app_session, attrs, keys_to, shot, type_org, wait_org, wait_screen, wait_text,
};

/// The generated organizations (on top of the demo's three).
const GENERATED: usize = 5000;

/// The rows of the picker's list that are in the DOM, by data-testid, in order.
async fn rows_in_dom(app: &Client) -> Vec<String> {
    attrs(
        app,
        "[data-testid='directory-list'] [role='option']",
        "data-testid",
    )
    .await
    .into_iter()
    .map(Option::unwrap_or_default)
    .collect()
}

fn row(i: usize) -> String {
    format!("directory-{}", devtenant::generate::org_id(i))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desktop_app_finds_one_of_5000_organizations_by_typing_and_signs_in_with_the_keys() {
    let _one_app = crate::window::one_app_at_a_time().await;
    let tools = preconditions();
    let generated = devtenant::generate::generate(GENERATED, &["alice".into()]).unwrap();
    let seed = devtenant::generate::check(&generated).expect("the generated seed loads");
    let tenant = devtenant::spawn(seed, devtenant::SpawnOptions::default())
        .await
        .expect("devtenant starts");
    let issuer = tenant.issuer.to_string();
    let dir = tempfile::tempdir().unwrap();
    let (urls, browser) = recording_browser(dir.path());
    let config = dir.path().join("app.toml");
    let mut f = std::fs::File::create(&config).unwrap();
    writeln!(
        f,
        "issuer = \"{issuer}\"\nclient_id = \"{CLIENT_ID}\"\nbrowser = \"{}\"\ntimeout_secs = 60\n",
        browser.display()
    )
    .unwrap();
    f.write_all(generated.app_toml.as_bytes()).unwrap();
    drop(f);

    let drivers = Drivers::start(tools, &config, dir.path()).await;
    let (cd_port, td_port) = (drivers.chrome_port, drivers.app_port);

    let app = app_session(td_port, &app_binary()).await;
    wait_screen(&app, "picker").await;
    let count = "[data-testid='directory-count']";
    wait_text(&app, count, |t| t == "5,003 organizations").await;
    // A window of rows, not 5,003: the demo's three first, then the generated ones in order.
    let rows = rows_in_dom(&app).await;
    let order: Vec<String> = [
        "directory-org_AcmeA1b2C3d4E5f6".to_owned(),
        "directory-org_GlobexG7h8I9j0K1".to_owned(),
        "directory-org_InitechL2m3N4o5p".to_owned(),
    ]
    .into_iter()
    .chain((0..30).map(row))
    .collect();
    assert!(
        (5..=20).contains(&rows.len()),
        "{} rows in the DOM for 5,003 organizations",
        rows.len()
    );
    assert_eq!(rows, order[..rows.len()]);
    shot(&app, "app-picker-5000").await;

    type_org(&app, "scale-4999").await;
    wait_text(&app, count, |t| t == "1 of 5,003").await;
    assert_eq!(rows_in_dom(&app).await, [row(4999)]);

    // scale-499, then scale-4990 … scale-4999: prefix matches of the name, in directory order.
    type_org(&app, "Scale-499").await;
    wait_text(&app, count, |t| t == "11 of 5,003").await;
    let want: Vec<String> = std::iter::once(499).chain(4990..5000).map(row).collect();
    assert_eq!(rows_in_dom(&app).await, want);
    keys_to(&app, "#org-input", "\u{e015}\u{e015}").await; // ArrowDown twice: the second match.
    wait_text(&app, "[aria-selected='true'] .org-name", |t| {
        t == "Scale Customer 4990"
    })
    .await;
    shot(&app, "app-picker-5000-filtered").await;
    keys_to(&app, "#org-input", "\u{e007}").await; // Enter

    wait_screen(&app, "waiting").await;
    wait_text(&app, "[data-testid='waiting-org']", |t| {
        t == "Scale Customer 4990"
    })
    .await;
    let url = next_opened(&urls, 0).await;
    let organization = format!("organization={}", devtenant::generate::org_id(4990));
    assert!(url.contains(&organization), "{url}");

    let profile = tempfile::tempdir().unwrap();
    let chrome = chrome_session(cd_port, profile.path(), None).await;
    let page = browse_login(
        &chrome,
        &url,
        Some(("alice@example.com", "Alice-pass-1")),
        None,
    )
    .await;
    assert!(page.contains("Signed in"), "loopback page: {page}");
    wait_screen(&app, "signed-in").await;
    wait_org(&app, "Scale Customer 4990").await;
    let id = devtenant::generate::org_id(4990);
    wait_text(&app, "[data-testid='org-id']", |t| t.starts_with(&id)).await;
    chrome.close().await.unwrap();
    app.close().await.unwrap();
}
