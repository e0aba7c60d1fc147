//! `cargo xtask demo`: devtenant with the demo seed, the company's two demo APIs behind the guard (projects and
//! billing), its web portal, and the app pointed at all of them.

use super::*;

/// Port devtenant listens on for the demo; the demo seed's native client accepts any loopback redirect port.
const DEMO_PORT: &str = "4000";
/// Port of the demo company API (demo-api behind orgpass-guard) the signed-in app calls.
const DEMO_API_PORT: &str = "4100";
/// The demo API's identifier, as the demo seed declares it.
const DEMO_AUDIENCE: &str = "https://api.orgpass.example/";
/// Port of the second demo API (billing), whose tokens come from the same refresh token.
const BILLING_PORT: &str = "4200";
/// The billing API's identifier, as the demo seed declares it.
const BILLING_AUDIENCE: &str = "https://billing.orgpass.example/";
/// Port of the demo web portal, opened signed in from the app (Native to Web SSO).
const PORTAL_PORT: &str = "4300";

/// Builds what is needed, starts devtenant with the demo seed, launches the app pointed at it, and stops devtenant
/// when the app quits. Extra arguments go to the app (for example `--qa`).
pub(crate) fn demo(app_args: &[String]) -> Result {
    let root = root();
    // The re-executed demo (inside a private keyring, below) finds everything built.
    if env::var_os(INNER_MARK).is_none() {
        crate::disk::check_room(&target_dir(), crate::disk::DEBUG_TREE_MIB)?;
        ensure_system_packages(true)?;
        build_ui()?;
        // The same build as `cargo xtask test`'s (features resolve alike), so one reuses the other's artifacts.
        run(Command::new(cargo())
            .args(["build", "--workspace", "--bins", "--tests"])
            .current_dir(&root))?;
        // A machine without a desktop session (a server, SSH, a container) has no keychain for the app to keep the
        // session in: the demo brings its own, as it brings Xvfb when there is no display.
        if !secret_service_reachable() {
            let home = env::temp_dir().join(format!("orgpass-demo-home-{}", std::process::id()));
            eprintln!(
                "xtask: no Secret Service (keychain) is reachable here (no desktop session): starting a private \
                 one for the demo, a D-Bus session with gnome-keyring and a throwaway keyring in {}; what you sign \
                 in to during the demo is forgotten when it ends",
                home.display()
            );
            let me =
                env::current_exe().map_err(|e| format!("cannot find the xtask binary: {e}"))?;
            let mut args = vec!["demo".to_owned()];
            args.extend(app_args.iter().cloned());
            let result = run(in_private_keyring(&me, &args, &home)?
                .env(INNER_MARK, "1")
                .current_dir(&root));
            let _ = std::fs::remove_dir_all(&home);
            return result;
        }
    }
    let bin = target_dir().join("debug");

    let issuer = format!("http://127.0.0.1:{DEMO_PORT}/");
    let api_url = format!("http://127.0.0.1:{DEMO_API_PORT}/");
    let mut servers = Vec::new();
    let started = serve(
        &bin,
        "devtenant",
        &["serve", "--port", DEMO_PORT],
        DEMO_PORT,
    )
    .map(|child| servers.push(child))
    .and_then(|()| {
        let listen = format!("127.0.0.1:{DEMO_API_PORT}");
        serve(
            &bin,
            "demo-api",
            &["--issuer", &issuer, "--listen", &listen],
            DEMO_API_PORT,
        )
    })
    .map(|child| servers.push(child))
    .and_then(|()| {
        let listen = format!("127.0.0.1:{BILLING_PORT}");
        serve(
            &bin,
            "demo-api",
            &[
                "--issuer",
                &issuer,
                "--listen",
                &listen,
                "--audience",
                BILLING_AUDIENCE,
            ],
            BILLING_PORT,
        )
    })
    .map(|child| servers.push(child))
    .and_then(|()| {
        let listen = format!("127.0.0.1:{PORTAL_PORT}");
        serve(
            &bin,
            "demo-portal",
            &[
                "--issuer",
                &issuer,
                "--listen",
                &listen,
                "--api-url",
                &api_url,
            ],
            PORTAL_PORT,
        )
    })
    .map(|child| servers.push(child));
    // The servers are stopped however the app part ends.
    let result = started.and_then(|()| demo_app(&bin, &issuer, &api_url, app_args));
    for child in &mut servers {
        let _ = child.kill();
        let _ = child.wait();
    }
    result
}

/// Starts `bin/name args` and waits until it listens on 127.0.0.1:`port`.
fn serve(
    bin: &Path,
    name: &str,
    args: &[&str],
    port: &str,
) -> std::result::Result<std::process::Child, String> {
    let mut child = Command::new(bin.join(name))
        .args(args)
        .spawn()
        .map_err(|e| format!("could not start {name}: {e}"))?;
    if wait_for_port(port, Duration::from_secs(20)) {
        Ok(child)
    } else {
        let _ = child.kill();
        let _ = child.wait();
        Err(format!(
            "{name} did not listen on 127.0.0.1:{port} within 20 s (is the port busy?)"
        ))
    }
}

/// The app pointed at the demo tenant and API, under Xvfb when there is no display, until it quits.
fn demo_app(bin: &Path, issuer: &str, api_url: &str, app_args: &[String]) -> Result {
    let mut xvfb = None;
    if env::var_os("DISPLAY").is_none() && env::var_os("WAYLAND_DISPLAY").is_none() {
        eprintln!(
            "xtask: no display; starting the app under Xvfb (take screenshots with `import -window root`)"
        );
        xvfb = start_xvfb()?;
    }
    // The company directory the app shows: the demo seed's organizations with their branding.
    let config = env::temp_dir().join(format!("orgpass-demo-{}.toml", std::process::id()));
    std::fs::write(&config, demo_app_config(issuer, api_url))
        .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
    let mut app = Command::new(bin.join("orgpass-app"));
    app.arg("--config")
        .arg(&config)
        .args(app_args)
        .env("ORGPASS_ISSUER", issuer)
        .env("ORGPASS_CLIENT_ID", "orgpass-desktop")
        // A demo build must not take over orgpass:// links from an installed Orgpass.
        .env("ORGPASS_NO_SCHEME_REGISTRATION", "1");
    if let Some((display, _)) = &xvfb {
        app.env("DISPLAY", display);
    }
    eprintln!(
        "xtask: devtenant at {issuer}, the demo APIs at {api_url} and http://127.0.0.1:{BILLING_PORT}/, the \
         portal at http://127.0.0.1:{PORTAL_PORT}/; demo users are printed above. Quit the app \
         to stop the demo."
    );
    let result = run(&mut app);
    let _ = std::fs::remove_file(&config);
    if let Some((_, mut child)) = xvfb {
        stop_xvfb(&mut child);
    }
    result
}

/// The app configuration for the demo: devtenant's demo organizations as the company's directory, and the demo API
/// with the scopes it defines.
fn demo_app_config(issuer: &str, api_url: &str) -> String {
    let orgs = [
        (
            "org_AcmeA1b2C3d4E5f6",
            "acme",
            "Acme Corporation",
            "acme.svg",
            "#d9480f",
            "#fff4e6",
        ),
        (
            "org_GlobexG7h8I9j0K1",
            "globex",
            "Globex Industries",
            "globex.svg",
            "#2b8a3e",
            "#ebfbee",
        ),
        (
            "org_InitechL2m3N4o5p",
            "initech",
            "Initech",
            "initech.svg",
            "#1864ab",
            "#e7f5ff",
        ),
    ];
    let mut config = format!(
        "issuer = \"{issuer}\"\nclient_id = \"orgpass-desktop\"\naudience = \"{DEMO_AUDIENCE}\"\n\
         scope = \"openid profile email offline_access read:projects write:projects\"\napi_url = \"{api_url}\"\n\
         dpop = true\n"
    );
    config.push_str(&format!(
        "\n[[apis]]\nname = \"billing\"\naudience = \"{BILLING_AUDIENCE}\"\nurl = \"http://127.0.0.1:{BILLING_PORT}/\"\n\
         scope = \"read:invoices\"\n\n[[portals]]\nname = \"portal\"\nlogin_url = \"http://127.0.0.1:{PORTAL_PORT}/login\"\n"
    ));
    for (id, name, display, logo, primary, background) in orgs {
        config.push_str(&format!(
            "\n[[organizations]]\nid = \"{id}\"\nname = \"{name}\"\ndisplay_name = \"{display}\"\n\
             logo_url = \"{issuer}branding/{logo}\"\nprimary_color = \"{primary}\"\nbackground_color = \"{background}\"\n"
        ));
    }
    config
}

fn wait_for_port(port: &str, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if std::net::TcpStream::connect(format!("127.0.0.1:{port}")).is_ok() {
            return true;
        }
        thread::sleep(Duration::from_millis(100));
    }
    false
}
