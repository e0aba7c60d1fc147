//! The command line's shape: every command, flag and argument as clap derives (parsing only, no behaviour).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "orgpass-admin",
    version,
    about = "Provision Auth0 organizations through the Management API"
)]
pub(super) struct Cli {
    /// Tenant domain (`your-tenant.eu.auth0.com`); `http://127.0.0.1:PORT` only for a local devtenant.
    #[arg(long, global = true, env = "ORGPASS_ADMIN_DOMAIN")]
    pub(super) domain: Option<String>,
    /// Client id of the machine-to-machine application.
    #[arg(long, global = true, env = "ORGPASS_ADMIN_CLIENT_ID")]
    pub(super) client_id: Option<String>,
    /// Management API audience (default `https://{domain}/api/v2/`).
    #[arg(long, global = true, env = "ORGPASS_ADMIN_AUDIENCE")]
    pub(super) audience: Option<String>,
    /// Print JSON instead of tables (and no progress bar).
    #[arg(long, global = true)]
    pub(super) json: bool,
    /// Most Management API requests in flight at once.
    #[arg(long, global = true, default_value_t = 8)]
    pub(super) concurrency: usize,
    /// Do not keep the access token in the OS keychain between runs.
    #[arg(long, global = true)]
    pub(super) no_token_cache: bool,
    /// A PEM file of CA certificates to trust besides the system's trust store: your company's root CA when
    /// it inspects HTTPS.
    #[arg(long, global = true, env = "ORGPASS_CA_FILE", value_name = "PATH")]
    pub(super) ca_file: Option<std::path::PathBuf>,
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand)]
pub(super) enum Command {
    /// Credentials of the machine-to-machine application.
    #[command(subcommand)]
    Auth(AuthCmd),
    /// Organizations.
    #[command(subcommand)]
    Orgs(OrgsCmd),
    /// The tenant's connections.
    #[command(subcommand)]
    Connections(ConnectionsCmd),
    /// Applications: their organization settings and refresh-token rotation overlap.
    #[command(subcommand)]
    Clients(ClientsCmd),
    /// Client grants: which API an application gets client-credentials tokens for, and for which organizations.
    #[command(subcommand)]
    Grants(GrantsCmd),
    /// Make a desired-state file (TOML or YAML) true: prints a plan, then applies it.
    Apply {
        file: PathBuf,
        /// Print the plan and stop.
        #[arg(long)]
        dry_run: bool,
        /// Also delete organizations (and disable connections, remove members) that the file does not list.
        #[arg(long)]
        prune: bool,
    },
    /// Quality checks of what users see.
    #[command(subcommand)]
    Qa(QaCmd),
    /// Write the tenant's organizations as a desired-state file.
    Export {
        /// Output file (`.toml`, `.yaml`); stdout when omitted.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Format for stdout.
        #[arg(long, default_value = "toml", value_parser = ["toml", "yaml"])]
        format: String,
    },
}

#[derive(Subcommand)]
pub(super) enum QaCmd {
    /// Open each organization's login page in headless Chromium and check its logo, colours, name and
    /// connections; writes a gallery (index.html), report.json and screenshots. Exits 1 unless all pass.
    Branding(QaBranding),
}

#[derive(Args)]
pub(super) struct QaBranding {
    /// An organization to check (id or name; by name with --expect); repeatable.
    #[arg(long = "org", value_name = "ORG")]
    pub(super) orgs: Vec<String>,
    /// Check every organization on the tenant (or every one in the --expect file).
    #[arg(long, conflicts_with = "orgs")]
    pub(super) all: bool,
    /// Check against this desired-state file (the one `apply` takes) instead of the tenant's settings.
    #[arg(long, value_name = "FILE")]
    pub(super) expect: Option<PathBuf>,
    /// Where the report goes.
    #[arg(long, default_value = "qa-branding", value_name = "DIR")]
    pub(super) out: PathBuf,
    /// Client id of the application whose login page users see (e.g. the Orgpass desktop app's).
    #[arg(long, env = "ORGPASS_QA_LOGIN_CLIENT_ID", value_name = "CLIENT_ID")]
    pub(super) login_client_id: String,
    /// A callback URL that application allows (the page is only looked at; nothing is sent there).
    #[arg(long, default_value = "http://127.0.0.1/callback")]
    pub(super) redirect_uri: String,
    /// A TOML file of CSS selectors for a customised login page (keys: logo, primary_button, background,
    /// header, connection, connection_attribute, username, login_path).
    #[arg(long, value_name = "FILE")]
    pub(super) selectors: Option<PathBuf>,
    /// The Chromium binary (default: chromium on PATH).
    #[arg(long, value_name = "PATH")]
    pub(super) chromium: Option<PathBuf>,
    /// Run Chromium without its sandbox, which it needs as root: only in a container or CI where that is
    /// acceptable. As root without it, no page is opened.
    #[arg(long)]
    pub(super) no_sandbox: bool,
    /// Deprecated and ignored (Chromium is driven over a pipe, without chromedriver); accepted with a warning.
    #[arg(long, value_name = "PATH", hide = true)]
    pub(super) chromedriver: Option<PathBuf>,
}

#[derive(Subcommand)]
pub(super) enum AuthCmd {
    /// Store the client secret in the OS keychain (prompted without echo, or read from stdin when piped).
    Login,
    /// Show the granted scopes and the token's lifetime.
    Status,
    /// Remove the stored client secret and token from the keychain.
    Logout,
}

#[derive(Subcommand)]
pub(super) enum OrgsCmd {
    /// List organizations (all of them, with checkpoint paging).
    List {
        /// One page only (offset paging, 0-based).
        #[arg(long)]
        page: Option<u32>,
        #[arg(long, default_value_t = 50)]
        per_page: u32,
    },
    /// Show one organization (by id or name).
    Get { org: String },
    /// Create an organization.
    Create {
        name: String,
        #[command(flatten)]
        fields: OrgFields,
        /// Enable a connection (by name or id) at creation; repeatable.
        #[arg(long = "connection")]
        connections: Vec<String>,
    },
    /// Change an organization.
    Update {
        org: String,
        /// New name.
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: OrgFields,
        /// Remove a metadata key; repeatable.
        #[arg(long = "remove-metadata")]
        remove_metadata: Vec<String>,
        /// Remove the logo.
        #[arg(long)]
        clear_logo: bool,
    },
    /// Delete an organization.
    Delete { org: String },
    /// Connections enabled for an organization.
    #[command(subcommand)]
    Connections(OrgConnectionsCmd),
    /// Members.
    #[command(subcommand)]
    Members(MembersCmd),
    /// Invitations.
    #[command(subcommand)]
    Invitations(InvitationsCmd),
    /// Discovery domains: the email domains by which the login finds the organization.
    #[command(subcommand)]
    Domains(DomainsCmd),
    /// Client grants associated with the organization: the machine-to-machine applications that get tokens for it.
    #[command(subcommand)]
    Grants(OrgGrantsCmd),
}

#[derive(Args)]
pub(super) struct GrantFlags {
    /// A scope of the API to grant; repeatable (replaces the grant's scopes on update).
    #[arg(long = "scope", value_name = "SCOPE")]
    pub(super) scopes: Vec<String>,
    /// Whether tokens may (allow) or must (require) be for an organization, or may not (deny).
    #[arg(long, value_parser = ["deny", "allow", "require"])]
    pub(super) organization_usage: Option<String>,
    /// Tokens for any organization without associating each one (for trusted internal applications only).
    #[arg(long, value_name = "BOOL")]
    pub(super) allow_any_organization: Option<bool>,
}

#[derive(Subcommand)]
pub(super) enum GrantsCmd {
    /// The tenant's client grants, optionally of one application and/or one API.
    List {
        /// Only this application's (client id).
        #[arg(long, value_name = "CLIENT_ID")]
        app: Option<String>,
        /// Only this API's (its identifier, the token audience).
        #[arg(long, value_name = "AUDIENCE")]
        api: Option<String>,
    },
    /// Grant an application access to an API (one grant per application and API).
    Create {
        #[arg(value_name = "CLIENT_ID")]
        app: String,
        /// The API's identifier (the token audience).
        #[arg(long, value_name = "AUDIENCE")]
        api: String,
        #[command(flatten)]
        flags: GrantFlags,
    },
    /// Change a grant's scopes or organization settings.
    Update {
        #[command(flatten)]
        grant: GrantRef,
        /// Grant no scope at all (instead of --scope).
        #[arg(long, conflicts_with = "scopes")]
        no_scopes: bool,
        #[command(flatten)]
        flags: GrantFlags,
    },
    /// Delete a grant (its organizations' associations end with it).
    Delete {
        #[command(flatten)]
        grant: GrantRef,
    },
}

/// A client grant named by its id, or by its application and API (there is at most one per pair).
#[derive(Args)]
#[group(required = true, multiple = true)]
pub(super) struct GrantRef {
    /// The grant's id (`cgr_…`, from `grants list`); or name it with --app and --api.
    #[arg(value_name = "GRANT_ID", conflicts_with_all = ["app", "api"])]
    pub(super) id: Option<String>,
    /// The application (client id) whose grant it is, with --api.
    #[arg(long, value_name = "CLIENT_ID", requires = "api")]
    pub(super) app: Option<String>,
    /// The API (its identifier, the token audience) the grant is on, with --app.
    #[arg(long, value_name = "AUDIENCE", requires = "app")]
    pub(super) api: Option<String>,
}

#[derive(Subcommand)]
pub(super) enum OrgGrantsCmd {
    /// The client grants associated with the organization.
    List { org: String },
    /// Associate a client grant (its organization_usage must be allow or require).
    Add {
        org: String,
        #[command(flatten)]
        grant: GrantRef,
    },
    /// End a client grant's association with the organization.
    Remove {
        org: String,
        #[command(flatten)]
        grant: GrantRef,
    },
}

#[derive(Args)]
pub(super) struct DomainFlags {
    /// `pending` (the DNS TXT record is still to be checked) or `verified`.
    #[arg(long, value_parser = ["pending", "verified"])]
    pub(super) status: Option<String>,
    /// Whether the login's email step finds the organization by this domain (once verified).
    #[arg(long)]
    pub(super) use_for_discovery: Option<bool>,
}

#[derive(Subcommand)]
pub(super) enum DomainsCmd {
    /// The organization's discovery domains, with the DNS TXT record of each pending one.
    List { org: String },
    /// One discovery domain (by domain or id), with its DNS TXT record.
    Get {
        org: String,
        #[arg(value_name = "DOMAIN")]
        discovery_domain: String,
    },
    /// Add a discovery domain; prints the DNS TXT record to publish while it is pending.
    Add {
        org: String,
        #[arg(value_name = "DOMAIN")]
        discovery_domain: String,
        #[command(flatten)]
        flags: DomainFlags,
    },
    /// Change a discovery domain's status or whether it is used for discovery.
    Update {
        org: String,
        #[arg(value_name = "DOMAIN")]
        discovery_domain: String,
        #[command(flatten)]
        flags: DomainFlags,
    },
    /// Remove a discovery domain.
    Remove {
        org: String,
        #[arg(value_name = "DOMAIN")]
        discovery_domain: String,
    },
}

#[derive(Args)]
pub(super) struct OrgFields {
    #[arg(long)]
    pub(super) display_name: Option<String>,
    /// https URL of the logo.
    #[arg(long)]
    pub(super) logo_url: Option<String>,
    /// Primary colour, `#rrggbb`.
    #[arg(long)]
    pub(super) primary_color: Option<String>,
    /// Page background colour, `#rrggbb`.
    #[arg(long)]
    pub(super) page_background_color: Option<String>,
    /// `KEY=VALUE`; repeatable.
    #[arg(long = "metadata", value_parser = parse_kv)]
    pub(super) metadata: Vec<(String, String)>,
}

fn parse_kv(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("{s:?}: write KEY=VALUE"))
}

#[derive(Args)]
pub(super) struct ConnFlags {
    /// Users who sign in with this connection become members.
    #[arg(long)]
    pub(super) assign_membership_on_login: Option<bool>,
    /// Show a button for it on the login page (enterprise connections).
    #[arg(long)]
    pub(super) show_as_button: Option<bool>,
    /// Allow sign-up (database connections; needs assign_membership_on_login).
    #[arg(long)]
    pub(super) is_signup_enabled: Option<bool>,
}

#[derive(Subcommand)]
pub(super) enum OrgConnectionsCmd {
    List {
        org: String,
    },
    Enable {
        org: String,
        connection: String,
        #[command(flatten)]
        flags: ConnFlags,
    },
    Update {
        org: String,
        connection: String,
        #[command(flatten)]
        flags: ConnFlags,
    },
    Disable {
        org: String,
        connection: String,
    },
}

#[derive(Subcommand)]
pub(super) enum MembersCmd {
    List {
        org: String,
    },
    Add {
        org: String,
        #[arg(required = true)]
        user_ids: Vec<String>,
    },
    Remove {
        org: String,
        #[arg(required = true)]
        user_ids: Vec<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum InvitationsCmd {
    /// Invite someone; prints the invitation URL.
    Create {
        org: String,
        #[arg(long)]
        email: String,
        /// Name shown as the inviter.
        #[arg(long)]
        inviter: String,
        /// Application the invitee will sign in to (its login route receives the link).
        #[arg(long = "app-client-id")]
        app_client_id: String,
        /// Connection (name or id) the invitee signs up with.
        #[arg(long)]
        connection: Option<String>,
        /// Lifetime in seconds (default 604800, at most 2592000).
        #[arg(long)]
        ttl: Option<u64>,
        /// Role ids; repeatable.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Let Auth0 email the invitation.
        #[arg(long)]
        send_email: bool,
    },
    List {
        org: String,
    },
    Revoke {
        org: String,
        invitation_id: String,
    },
}

#[derive(Subcommand)]
pub(super) enum ClientsCmd {
    /// Every application with its organization settings.
    List,
    /// One application's organization settings and rotation overlap.
    Get {
        #[arg(value_name = "CLIENT_ID")]
        app: String,
    },
    /// Change an application's organization settings or rotation overlap.
    Update {
        #[arg(value_name = "CLIENT_ID")]
        app: String,
        /// Whether it signs people in to organizations.
        #[arg(long, value_parser = ["deny", "allow", "require"])]
        organization_usage: Option<String>,
        /// With organizations required: ask for the organization before login, after it, or not at all.
        #[arg(long = "organization-prompt", value_parser = ["no_prompt", "pre_login_prompt", "post_login_prompt"])]
        organization_require_behavior: Option<String>,
        /// How the prompt before login finds the organization; repeatable (email, organization_name).
        #[arg(long = "discovery-method", value_parser = ["email", "organization_name"])]
        discovery_methods: Vec<String>,
        /// Seconds during which the previous refresh token may be used again without revoking its family.
        #[arg(long = "refresh-token-leeway", value_name = "SECONDS")]
        leeway: Option<u64>,
    },
}

#[derive(Subcommand)]
pub(super) enum ConnectionsCmd {
    List {
        /// Only this strategy (`auth0`, `google-oauth2`, `samlp`, `oidc`, …).
        #[arg(long)]
        strategy: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_parses() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
        assert!(
            Cli::try_parse_from([
                "orgpass-admin",
                "orgs",
                "create",
                "acme",
                "--client-secret",
                "x"
            ])
            .is_err()
        );
    }
}
