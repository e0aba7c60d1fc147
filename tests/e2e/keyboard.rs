//! The app by keyboard alone, in the real window: sign in by typing an organization and pressing Enter, open the QA
//! view with its switch, sign out through the dialog; every step by key presses on whatever has the focus
//! (WebDriver key actions, no pointer and no element focused by the driver), each screen checked by axe-core as
//! its screenshot is taken. The person's browser (Chromium) is driven as in the other journeys.

use fantoccini::key::Key;

use crate::app::{
    LoginPage, Machine, app_binary, browse_login, chrome_session, machine, next_opened,
    preconditions, wait_projects,
};
use crate::window::{
    app_session, focused, press, shot, tab_to, wait_css, wait_gone_css, wait_screen, wait_text,
};

const ACME: &str = "org_AcmeA1b2C3d4E5f6";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_is_usable_by_keyboard_alone() {
    let _one_app = crate::window::one_app_at_a_time().await;
    let _ = preconditions();
    let Machine {
        tenant,
        issuer,
        served,
        urls,
        drivers,
        // The app's settings live in it: kept until the test ends.
        dir: _dir,
        ..
    } = machine().await;
    let app = app_session(drivers.app_port, &app_binary()).await;
    wait_screen(&app, "picker").await;

    // The organization field is reached by Tab from the start of the window, takes typing, and Enter signs in.
    tab_to(&app, "org-input").await;
    press(&app, &"acme".chars().collect::<Vec<_>>()).await;
    wait_text(&app, "#org-hint", |t| t == "✓ Acme Corporation (acme)").await;
    shot(&app, "keyboard-picker").await;
    press(&app, &[Key::Enter.into()]).await;
    wait_screen(&app, "waiting").await;
    shot(&app, "keyboard-waiting").await;
    let url = next_opened(&urls, 0).await;
    let profile = tempfile::tempdir().unwrap();
    let chrome = chrome_session(drivers.chrome_port, profile.path(), Some(&served)).await;
    browse_login(
        &chrome,
        &url,
        Some(("alice@example.com", "Alice-pass-1")),
        Some(LoginPage {
            issuer: &issuer,
            org_name: "acme",
        }),
    )
    .await;
    wait_screen(&app, "signed-in").await;
    wait_projects(&app, ACME, &["Rocket skates", "Giant magnet"]).await;
    // The invoices too: each answer redraws the screen, and a redraw while tabbing could move the focus.
    wait_css(
        &app,
        &format!("[data-testid='billing-data'][data-org='{ACME}'] [data-testid='invoice-list']"),
    )
    .await;

    // The QA switch: reached by Tab, toggled by Space; the QA view says the session is bound to this device.
    tab_to(&app, "qa-toggle").await;
    press(&app, &[' ']).await;
    wait_css(&app, "[data-testid='qa-panel']").await;
    wait_text(&app, "[data-testid='qa-binding']", |t| {
        t.starts_with("Bound to this device (DPoP)")
    })
    .await;
    shot(&app, "keyboard-qa").await;
    press(&app, &[' ']).await;
    wait_gone_css(&app, "[data-testid='qa-panel']").await;

    // Sign out: Tab to the button, Enter; the dialog takes the focus on the safe answer; Tab to "Sign out", Enter.
    tab_to(&app, "sign-out").await;
    press(&app, &[Key::Enter.into()]).await;
    wait_css(&app, "[data-testid='signout-dialog']").await;
    assert_eq!(
        focused(&app).await,
        "cancel-signout",
        "the dialog's focus starts on keeping the session"
    );
    shot(&app, "keyboard-signout-dialog").await;
    tab_to(&app, "confirm-signout").await;
    press(&app, &[Key::Enter.into()]).await;
    wait_screen(&app, "picker").await;
    shot(&app, "keyboard-signed-out").await;
    chrome.close().await.unwrap();
    app.close().await.unwrap();
    tenant.shutdown().await;
}
