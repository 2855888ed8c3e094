//! A Somfy account with several homes: signed in once, one [`Client`] per home.
//!
//! The account's global token lives in a client of its own (never used for Overkiz
//! calls), so it follows exactly the sign-in rules of every client: one sign-in at a
//! time, its result shared, a cool-down after a refusal, refresh before expiry. Each
//! site's client mints its site-scoped token from it
//! ([`crate::signin::somfy_sites`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;

use crate::config::credentials::{Credentials, Secret};
use crate::client::{Client, ClientBuilder};
use crate::error::{Error, ErrorKind};
use crate::transport::session::{Refusal, SessionState};
use crate::value::lock::lock;
use crate::accounts::site_flow::{self, GlobalSession, SiteFlow};
use crate::config::signin::somfy_sites::{self, GlobalFlow};
use crate::config::signin::{Grant, Proof, SignInContext, Site, SomfySites};
use crate::Server;

/// Settings applied to the account's client and to every site's client.
type Configure = Arc<dyn Fn(ClientBuilder) -> ClientBuilder + Send + Sync>;

/// A Somfy account that may have several homes ("sites", its own or ones it was
/// invited to): sign in once, list the sites, and get a [`Client`] per site, each
/// with its own site-scoped token and region.
///
/// Nothing is chosen for you: with several sites, the application picks one (or
/// several) from [`SomfyAccount::sites`].
///
/// ```no_run
/// # async fn demo() -> Result<(), overkiz::Error> {
/// use overkiz::{signin::SomfySites, SomfyAccount};
/// let account = SomfyAccount::new(SomfySites::default(), "me@example.com", "secret")?;
/// // Say: "Home" (owner, FR) and "Cabin" (invited, NO), on different regions.
/// for site in account.sites().await? {
///     println!("{} {:?} {:?} {:?}", site.id, site.name, site.country, site.roles);
/// }
/// let sites = account.sites().await?;
/// let home = sites.iter().find(|s| s.name.as_deref() == Some("Home")).expect("listed");
/// let cabin = sites.iter().find(|s| s.name.as_deref() == Some("Cabin")).expect("listed");
/// // One client per home: its own site token, its own region (found once, kept).
/// let home_client = account.client(&home.id).await?;
/// let cabin_client = account.client(&cabin.id).await?;
/// println!("{} devices at home", home_client.get_setup_devices().await?.len());
/// println!("the cabin is on {}", cabin_client.server());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SomfyAccount {
    inner: Arc<AccountInner>,
}

struct AccountInner {
    config: SomfySites,
    /// Holds the global token under the client's sign-in rules.
    session: Client,
    configure: Configure,
    /// The region found for each site.
    regions: Mutex<HashMap<String, Server>>,
    /// One client per site; held while one is built (its region may be probed).
    clients: tokio::sync::Mutex<HashMap<String, Client>>,
}

impl fmt::Debug for SomfyAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SomfyAccount")
            .field("site_api", &self.inner.config.site_api)
            .field("regions", &*lock(&self.inner.regions))
            .finish_non_exhaustive()
    }
}

/// [`GlobalSession`] on the account's client.
struct AccountSession(Client);

impl GlobalSession for AccountSession {
    fn current(&self) -> BoxFuture<'_, Result<SessionState, Error>> {
        Box::pin(self.0.inner.current_session())
    }

    fn renew<'a>(&'a self, seen: &'a SessionState) -> BoxFuture<'a, Result<SessionState, Error>> {
        Box::pin(self.0.inner.renew(seen))
    }

    fn confirm(&self, seen: &SessionState) {
        self.0.inner.confirm(seen);
    }

    fn refused(&self, seen: &SessionState, error: Error) -> Refusal {
        self.0.inner.refused(seen, error)
    }
}

/// Builds a [`SomfyAccount`]: client settings, and the saving and restoring of the
/// account's tokens.
pub struct SomfyAccountBuilder {
    sites: SomfySites,
    user: String,
    password: Secret,
    configure: Configure,
    on_tokens_changed: Option<crate::config::grant::TokensCallback>,
    restored: Option<Grant>,
}

impl fmt::Debug for SomfyAccountBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SomfyAccountBuilder")
            .field("site_api", &self.sites.site_api)
            .field("on_tokens_changed", &self.on_tokens_changed.is_some())
            .field("restored", &self.restored)
            .finish_non_exhaustive()
    }
}

impl SomfyAccountBuilder {
    /// Settings (timeouts, retries, sign-in cool-down, ...) for the account's
    /// sign-in and every site's client.
    pub fn client_settings(
        mut self,
        configure: impl Fn(ClientBuilder) -> ClientBuilder + Send + Sync + 'static,
    ) -> SomfyAccountBuilder {
        self.configure = Arc::new(configure);
        self
    }

    /// Called with the account's global grant (its refresh token included) each
    /// time it changes, to save it: see [`ClientBuilder::on_tokens_changed`]. Site
    /// tokens are not saved: they are minted again from it.
    pub fn on_tokens_changed(
        mut self,
        callback: impl Fn(&Grant) + Send + Sync + 'static,
    ) -> SomfyAccountBuilder {
        self.on_tokens_changed = Some(Arc::new(callback));
        self
    }

    /// Starts from a global grant saved earlier instead of signing in from scratch
    /// (see [`ClientBuilder::restore_tokens`]).
    pub fn restore_tokens(mut self, grant: Grant) -> SomfyAccountBuilder {
        self.restored = Some(grant);
        self
    }

    /// The account. Nothing is sent until the first call.
    pub fn build(self) -> Result<SomfyAccount, Error> {
        let SomfyAccountBuilder {
            sites,
            user,
            password,
            configure,
            on_tokens_changed,
            restored,
        } = self;
        if sites.regions.is_empty() {
            return Err(Error::config("SomfySites::regions is empty"));
        }
        let flow = GlobalFlow::new(sites.clone(), user.clone(), password.clone());
        // The directory's URL stands in as the server: this client makes no Overkiz
        // call, it only holds the global token.
        let server = Server::custom(&sites.site_api)?;
        let mut builder = configure(Client::builder(
            server,
            Credentials::sign_in_flow(Arc::new(flow)),
        ));
        if let Some(callback) = on_tokens_changed {
            builder = builder.on_tokens_changed(move |grant| callback(grant));
        }
        if let Some(grant) = restored {
            builder = builder.restore_tokens(grant);
        }
        let session = builder.build()?;
        // The user id and password never appear in errors.
        session.inner.redactor.add(&user);
        session.inner.redactor.add(password.expose());
        Ok(SomfyAccount {
            inner: Arc::new(AccountInner {
                config: sites,
                session,
                configure,
                regions: Mutex::default(),
                clients: tokio::sync::Mutex::default(),
            }),
        })
    }
}

impl SomfyAccount {
    /// The account of `user` on the services of `sites` (usually
    /// [`SomfySites::default`]) with default client settings. Nothing is sent until
    /// the first call.
    pub fn new(
        sites: SomfySites,
        user: impl Into<String>,
        password: impl Into<Secret>,
    ) -> Result<SomfyAccount, Error> {
        SomfyAccount::builder(sites, user, password).build()
    }

    /// A builder, for client settings and token persistence.
    pub fn builder(
        sites: SomfySites,
        user: impl Into<String>,
        password: impl Into<Secret>,
    ) -> SomfyAccountBuilder {
        SomfyAccountBuilder {
            sites,
            user: user.into(),
            password: password.into(),
            configure: Arc::new(|builder| builder),
            on_tokens_changed: None,
            restored: None,
        }
    }

    /// The account's global grant in force, to save it (see
    /// [`SomfyAccountBuilder::on_tokens_changed`]).
    pub fn tokens(&self) -> Option<Grant> {
        self.inner.session.tokens()
    }

    /// Signs the account in now instead of at the first call (e.g. to check the
    /// password). During a sign-in cool-down it fails at once with
    /// [`Error::LoginFailed`].
    pub async fn login(&self) -> Result<(), Error> {
        self.inner.session.login().await
    }

    /// Lifts the account's sign-in cool-down.
    pub fn reset_login(&self) {
        self.inner.session.reset_login();
    }

    fn ctx(&self) -> SignInContext {
        let inner = &self.inner.session.inner;
        // Directory, invitations and region probes: no grant of the account's is
        // obtained here, so nothing to tell the application.
        SignInContext::new(inner.vendor_http.clone(), inner.redactor.clone(), None)
    }

    /// The account's sites from the directory (every page), with their names,
    /// countries, the user's roles and their gateways.
    pub async fn sites(&self) -> Result<Vec<Site>, Error> {
        let ctx = self.ctx();
        let config = &self.inner.config;
        let account = AccountSession(self.inner.session.clone());
        let ctx = &ctx;
        site_flow::with_global(&account, |state| async move {
            somfy_sites::list_sites(ctx, config, &bearer(&state)?).await
        })
        .await
    }

    /// Accepts an invitation to a home: `token` is the `token` parameter of the
    /// invitation link (`…/invitation?token=…`). The home is then listed by
    /// [`SomfyAccount::sites`].
    pub async fn accept_invitation(&self, token: &str) -> Result<(), Error> {
        let ctx = self.ctx();
        let ctx = &ctx;
        let config = &self.inner.config;
        let account = AccountSession(self.inner.session.clone());
        site_flow::with_global(&account, |state| async move {
            somfy_sites::accept_invitation(ctx, config, &bearer(&state)?, token).await
        })
        .await
    }

    /// The client of the site `site_id` (a [`Site::id`]): the same client at every
    /// call. The first time, a site-scoped token is minted and, unless the site's
    /// region is known ([`SomfyAccount::set_region`]), each region of
    /// [`SomfySites::regions`] is asked in turn (`GET /setup/gateways`) until one
    /// knows the site; the region found is remembered.
    pub async fn client(&self, site_id: &str) -> Result<Client, Error> {
        let mut clients = self.inner.clients.lock().await;
        if let Some(client) = clients.get(site_id) {
            return Ok(client.clone());
        }
        let account: Arc<dyn GlobalSession> = Arc::new(AccountSession(self.inner.session.clone()));
        let flow = Arc::new(SiteFlow::new(
            self.inner.config.clone(),
            account,
            site_id.to_owned(),
        ));
        let region = match self.region(site_id) {
            Some(region) => region,
            None => {
                let ctx = self.ctx();
                let grant = flow.mint(&ctx).await?;
                let Proof::Bearer(token) = &grant.proof else {
                    return Err(Error::config("a site token is a bearer token"));
                };
                let index =
                    somfy_sites::find_region(&ctx, &self.inner.config.regions, token).await?;
                flow.keep(grant);
                let region = self.inner.config.regions[index].clone();
                self.set_region(site_id, region.clone());
                region
            }
        };
        let builder = Client::builder(region, Credentials::sign_in_flow(flow));
        let client = (self.inner.configure)(builder).build()?;
        clients.insert(site_id.to_owned(), client.clone());
        Ok(client)
    }

    /// The region found (or set) for a site, to store it between runs.
    pub fn region(&self, site_id: &str) -> Option<Server> {
        lock(&self.inner.regions).get(site_id).cloned()
    }

    /// Sets the region of a site (one stored from an earlier run): its client is then
    /// built there without asking the regions. Takes effect for clients not built yet.
    pub fn set_region(&self, site_id: &str, region: Server) {
        lock(&self.inner.regions).insert(site_id.to_owned(), region);
    }
}

/// The bearer token of the account's session.
fn bearer(state: &SessionState) -> Result<Secret, Error> {
    state.bearer.clone().ok_or_else(|| {
        Error::sign_in_service(
            "Somfy sites",
            "sites",
            ErrorKind::AuthenticationFailed,
            None,
            "the account's sign-in gave no token",
        )
    })
}
