//! The registry of provider crates: every crate under `crates/providers/` is listed
//! here, so `cargo xtask docs` can read its facts from the code.
//!
//! `cargo xtask new-provider <id>` adds a line; `cargo xtask check` fails when a crate
//! is missing from this list or two providers share an id.

use std::any::type_name;

use portcullis::{Provider, ProviderInfo};

/// What the xtask knows about one provider crate from its code.
#[derive(Debug, Clone)]
pub(crate) struct Registered {
    /// The facts the provider declares.
    pub(crate) info: ProviderInfo,
    /// The crate's directory under `crates/providers/`.
    pub(crate) dir: &'static str,
    /// The crate's package name.
    pub(crate) package: &'static str,
    /// The provider type's name, e.g. `GitHub`.
    pub(crate) provider_type: &'static str,
    /// The typed user's name, e.g. `GitHubUser`.
    pub(crate) user_type: &'static str,
}

fn register<P: Provider>(dir: &'static str, package: &'static str) -> Registered {
    Registered {
        info: P::INFO,
        dir,
        package,
        provider_type: last_segment(type_name::<P>()),
        user_type: last_segment(type_name::<P::User>()),
    }
}

fn last_segment(path: &'static str) -> &'static str {
    path.rsplit("::").next().unwrap_or(path)
}

/// Every provider crate, sorted by id.
pub(crate) fn all() -> Vec<Registered> {
    let mut all = vec![
        register::<portcullis_atlassian::Atlassian>("atlassian", "portcullis-atlassian"),
        register::<portcullis_bitbucket::Bitbucket>("bitbucket", "portcullis-bitbucket"),
        register::<portcullis_box::BoxCom>("box", "portcullis-box"),
        register::<portcullis_dropbox::Dropbox>("dropbox", "portcullis-dropbox"),
        register::<portcullis_facebook::Facebook>("facebook", "portcullis-facebook"),
        register::<portcullis_gitlab::GitLab>("gitlab", "portcullis-gitlab"),
        register::<portcullis_kakao::Kakao>("kakao", "portcullis-kakao"),
        register::<portcullis_lichess::Lichess>("lichess", "portcullis-lichess"),
        register::<portcullis_linkedin::LinkedIn>("linkedin", "portcullis-linkedin"),
        register::<portcullis_osu::Osu>("osu", "portcullis-osu"),
        register::<portcullis_patreon::Patreon>("patreon", "portcullis-patreon"),
        register::<portcullis_reddit::Reddit>("reddit", "portcullis-reddit"),
        register::<portcullis_spotify::Spotify>("spotify", "portcullis-spotify"),
        register::<portcullis_twitch::Twitch>("twitch", "portcullis-twitch"),
        register::<portcullis_twitter::Twitter>("twitter", "portcullis-twitter"),
        register::<portcullis_strava::Strava>("strava", "portcullis-strava"),
        register::<portcullis_auth0::Auth0>("auth0", "portcullis-auth0"),
        register::<portcullis_okta::Okta>("okta", "portcullis-okta"),
        register::<portcullis_slack::Slack>("slack", "portcullis-slack"),
        register::<portcullis_salesforce::Salesforce>("salesforce", "portcullis-salesforce"),
        register::<portcullis_line::Line>("line", "portcullis-line"),
        register::<portcullis_azure_ad::AzureAd>("azure_ad", "portcullis-azure-ad"),
        register::<portcullis_keycloak::Keycloak>("keycloak", "portcullis-keycloak"),
        register::<portcullis_cognito::Cognito>("cognito", "portcullis-cognito"),
        register::<portcullis_apple::Apple>("apple", "portcullis-apple"),
        register::<portcullis_notion::Notion>("notion", "portcullis-notion"),
        register::<portcullis_zoom::Zoom>("zoom", "portcullis-zoom"),
        register::<portcullis_linear::Linear>("linear", "portcullis-linear"),
        register::<portcullis_gitea::Gitea>("gitea", "portcullis-gitea"),
        register::<portcullis_mastodon::Mastodon>("mastodon", "portcullis-mastodon"),
        register::<portcullis_yahoo::Yahoo>("yahoo", "portcullis-yahoo"),
        register::<portcullis_roblox::Roblox>("roblox", "portcullis-roblox"),
        register::<portcullis_kick::Kick>("kick", "portcullis-kick"),
        register::<portcullis_yandex::Yandex>("yandex", "portcullis-yandex"),
        register::<portcullis_epicgames::EpicGames>("epicgames", "portcullis-epicgames"),
        register::<portcullis_coinbase::Coinbase>("coinbase", "portcullis-coinbase"),
        register::<portcullis_tumblr::Tumblr>("tumblr", "portcullis-tumblr"),
        register::<portcullis_anilist::AniList>("anilist", "portcullis-anilist"),
        register::<portcullis_dribbble::Dribbble>("dribbble", "portcullis-dribbble"),
        register::<portcullis_fortytwo::FortyTwo>("fortytwo", "portcullis-fortytwo"),
        register::<portcullis_bungie::Bungie>("bungie", "portcullis-bungie"),
        // @new-provider: `cargo xtask new-provider` inserts registrations above this line.
        register::<portcullis_discord::Discord>("discord", "portcullis-discord"),
        register::<portcullis_github::GitHub>("github", "portcullis-github"),
        register::<portcullis_google::Google>("google", "portcullis-google"),
    ];
    all.sort_by_key(|p| p.info.id);
    all
}
