//! The service's configuration file: where VOMO, the store and the external system are, the
//! customers with their tokens, time zones and override settings, and the thresholds.
//!
//! Unknown keys are errors, so a typo never becomes a silent default. Tokens are never in the
//! file itself: each customer names an environment variable or a file that holds its token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::http::ExtraRoots;
use crate::vomo::Token;

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path` (the default, `reconciler.db`) or `postgres://…`.
    #[serde(default = "default_store")]
    pub store: String,
    /// Where compiled plugins are cached; the command line's default when absent.
    pub cache_dir: Option<PathBuf>,
    pub vomo: VomoConfig,
    pub external: Option<ExternalConfig>,
    #[serde(default)]
    pub thresholds: Thresholds,
    #[serde(default)]
    pub passes: PassSettings,
    #[serde(default)]
    pub schedule: ScheduleSettings,
    #[serde(default)]
    pub api: ApiSettings,
    #[serde(default)]
    pub alerts: AlertSettings,
    /// Plugin files that replace the built-in plugin of a resource for every customer.
    #[serde(default)]
    pub plugins: BTreeMap<String, PathBuf>,
    /// Settings per resource for every customer; a customer's own settings win key by key.
    #[serde(default)]
    pub settings: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    pub customers: Vec<CustomerConfig>,
}

/// Where alerts go besides the store and the log.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// A URL each alert is posted to as JSON.
    pub webhook_url: Option<String>,
    /// An environment variable holding the secret the posts are signed with (HMAC-SHA256).
    pub secret_env: Option<String>,
}

/// The service's HTTP API.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiSettings {
    /// Where `reconciler serve` listens, such as `127.0.0.1:8090`; no API when absent.
    pub listen: Option<String>,
    /// An environment variable holding the bearer token writes need; writes are refused
    /// without one.
    pub token_env: Option<String>,
    /// Whether reads need the token too.
    pub protect_reads: bool,
}

/// How `reconciler serve` spreads and bounds the runs it starts.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Each customer's runs start at its own offset inside this many minutes after their
    /// cadence's slot, so customers sharing a cadence do not all start in the same minute.
    pub stagger_minutes: u32,
    /// Runs in progress at once, across all customers. A run spends most of its time waiting
    /// for its token's rate budget, so a place costs little; the cap bounds the store's load.
    pub concurrent_runs: usize,
    /// How long runs in progress may go on once the service is told to stop; those still going
    /// then are interrupted.
    pub shutdown_grace_seconds: u64,
    /// Cadences chosen by a customer's size and change rate, the first tier that matches
    /// winning; a customer's own `cadences` win over any tier.
    pub policy: Vec<PolicyTier>,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            stagger_minutes: 60,
            concurrent_runs: 64,
            shutdown_grace_seconds: 30,
            policy: default_policy(),
        }
    }
}

/// One tier of the cadence policy. It matches a customer with more users than `users_above`,
/// or more user changes in the last day than `changes_above` (a tier with neither matches
/// everyone). Its cadences replace the incremental and full tasks of each resource they name:
/// such a task the tier leaves out does not run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyTier {
    pub users_above: Option<u64>,
    pub changes_above: Option<u64>,
    pub cadences: BTreeMap<String, String>,
}

impl PolicyTier {
    /// Whether a customer of `users` users and `changes` changes a day falls in this tier.
    pub fn matches(&self, users: u64, changes: u64) -> bool {
        match (self.users_above, self.changes_above) {
            (None, None) => true,
            (users_above, changes_above) => {
                users_above.is_some_and(|above| users > above)
                    || changes_above.is_some_and(|above| changes > above)
            }
        }
    }
}

/// The playbook's tiers: large or busy customers get a daily full scan; mid-sized ones a daily
/// incremental pass and a weekly full scan; the rest a weekly full scan.
fn default_policy() -> Vec<PolicyTier> {
    let tier = |users_above, changes_above, cadences: &[(&str, &str)]| PolicyTier {
        users_above,
        changes_above,
        cadences: cadences.iter().map(|(t, c)| ((*t).to_owned(), (*c).to_owned())).collect(),
    };
    vec![
        tier(Some(10_000), Some(500), &[("users_full", "0 0 3 * * *")]),
        tier(
            Some(1_000),
            None,
            &[("users_incremental", "0 0 2 * * *"), ("users_full", "0 0 3 * * SUN")],
        ),
        tier(None, None, &[("users_full", "0 0 3 * * SUN")]),
    ]
}

/// How the reconciliation passes choose what to read.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PassSettings {
    /// The incremental window in hours back from now; absent means yesterday, midnight to
    /// midnight in the customer's time zone.
    pub incremental_window_hours: Option<u32>,
    /// The audit's sample as a share of the records partner state holds.
    pub audit_sample_fraction: f64,
    /// The audit's sample as a count; wins over the fraction when set.
    pub audit_sample_size: Option<u64>,
    /// Participations are read for projects with a date that started in this many past days.
    pub participation_active_days: u32,
    /// Of those projects, the dates that started in this many past days are read.
    pub participation_date_days: u32,
}

impl Default for PassSettings {
    fn default() -> Self {
        PassSettings {
            incremental_window_hours: None,
            audit_sample_fraction: 0.01,
            audit_sample_size: None,
            participation_active_days: 7,
            participation_date_days: 14,
        }
    }
}

/// How to reach VOMO.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VomoConfig {
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// Each token's budget, in requests a second.
    #[serde(default = "default_rate")]
    pub requests_per_second: f64,
    /// Customers served at once.
    #[serde(default = "default_concurrency")]
    pub concurrent_customers: usize,
    /// A PEM file of root certificates trusted besides the system's, for VOMO reached through
    /// a private CA or a TLS-inspecting proxy.
    pub ca_file: Option<PathBuf>,
}

/// How to reach the customers' external system.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalConfig {
    pub base_url: String,
    /// An environment variable holding the external system's bearer token, if it needs one.
    pub token_env: Option<String>,
    /// A PEM file of root certificates trusted besides the system's, as `vomo.ca_file`.
    pub ca_file: Option<PathBuf>,
}

/// When a run finds too much, and what counts as unhealthy. Defaults are the playbook's.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// An incremental pass finding this share of its records as gaps holds its actions.
    pub incremental_gap_rate: f64,
    /// An incremental pass checking fewer records than this is too small to judge.
    pub breaker_min_records: u64,
    /// A full scan holds its deletions when they exceed both this count and `deletion_share`.
    pub deletion_count: u64,
    pub deletion_share: f64,
    /// Drift is concentrated when one field holds this share of at least `drift_min_findings`.
    pub drift_field_share: f64,
    pub drift_min_findings: u64,
    /// An audit sample with more than this share of issues raises a high alert.
    pub audit_issue_rate: f64,
    /// A daily gap rate above this raises an alert; below it, averaged over 30 days, is healthy.
    pub daily_gap_rate: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            incremental_gap_rate: 0.5,
            breaker_min_records: 20,
            deletion_count: 100,
            deletion_share: 0.05,
            drift_field_share: 0.8,
            drift_min_findings: 20,
            audit_issue_rate: 0.05,
            daily_gap_rate: 0.01,
        }
    }
}

/// One customer: a VOMO organisation reached with its own token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerConfig {
    /// How the customer is named in runs, logs and the API.
    pub id: String,
    /// An environment variable holding the token.
    pub token_env: Option<String>,
    /// A file holding the token.
    pub token_file: Option<PathBuf>,
    /// The IANA time zone that "yesterday" is counted in.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Override settings per resource, read by plugins through the host import.
    #[serde(default)]
    pub settings: BTreeMap<String, BTreeMap<String, String>>,
    /// Cron expressions (seconds first) per task, overriding the plugins' defaults.
    #[serde(default)]
    pub cadences: BTreeMap<String, String>,
    /// Plugin files of this customer's own, per resource, over the configuration's and the
    /// built-in ones.
    #[serde(default)]
    pub plugins: BTreeMap<String, PathBuf>,
}

/// Checks one cadence of `owner`: a task name and a cron expression.
fn cadence(owner: &str, task: &str, schedule: &str) -> Result<(), String> {
    if !is_task_name(task) {
        return Err(format!(
            "{owner}: `{task}` is not a task (RESOURCE_incremental, RESOURCE_full or \
             RESOURCE_audit)"
        ));
    }
    cron::Schedule::try_from(schedule).map_err(|e| {
        format!("{owner}: cadence of `{task}` `{schedule}` is not a cron expression: {e}")
    })?;
    Ok(())
}

/// A configuration that cannot be used, naming the file and what in it is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("failed to read configuration `{path}`")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration `{path}`: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("no token for customer `{customer}`: {reason}")]
    Token { customer: String, reason: String },
}

impl Config {
    /// Reads and checks the file at `path`; the files it names are beside it.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        // Relative files are relative to the configuration, not to wherever we were started.
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse_beside(&text, base)
            .map_err(|reason| ConfigError::Invalid { path: path.to_owned(), reason })
    }

    /// Parses and checks configuration text; the files it names are relative to the working
    /// directory.
    pub fn parse(text: &str) -> Result<Config, String> {
        Self::parse_beside(text, Path::new(""))
    }

    fn parse_beside(text: &str, base: &Path) -> Result<Config, String> {
        let mut config: Config = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;

        let beside = |file: &mut PathBuf| {
            if file.is_relative() {
                *file = base.join(&*file);
            }
        };
        config.plugins.values_mut().for_each(beside);
        config.vomo.ca_file.iter_mut().for_each(beside);
        if let Some(external) = &mut config.external {
            external.ca_file.iter_mut().for_each(beside);
        }
        for customer in &mut config.customers {
            customer.token_file.iter_mut().for_each(beside);
            customer.plugins.values_mut().for_each(beside);
        }

        // Read now so that a CA file that cannot serve fails the start, not the first run.
        config.vomo.roots()?;
        if let Some(external) = &config.external {
            external.roots()?;
        }
        Ok(config)
    }

    /// The customer called `id`.
    pub fn customer(&self, id: &str) -> Option<&CustomerConfig> {
        self.customers.iter().find(|c| c.id == id)
    }

    fn check(&self) -> Result<(), String> {
        let rate = self.vomo.requests_per_second;
        if !rate.is_finite() || rate <= 0.0 {
            return Err("`vomo.requests_per_second` must be above 0".to_owned());
        }
        self.thresholds.check()?;
        let fraction = self.passes.audit_sample_fraction;
        if !(0.0..=1.0).contains(&fraction) {
            return Err(format!(
                "`passes.audit_sample_fraction` is {fraction}: a share between 0 and 1"
            ));
        }
        if self.api.protect_reads && self.api.token_env.is_none() {
            return Err("`api.protect_reads` is true but no `api.token_env` names a token: every \
                        read would be refused; set `api.token_env` or drop `api.protect_reads`"
                .to_owned());
        }
        if self.passes.incremental_window_hours == Some(0) {
            return Err("`passes.incremental_window_hours` must be at least 1".to_owned());
        }
        for (index, tier) in self.schedule.policy.iter().enumerate() {
            for (task, schedule) in &tier.cadences {
                cadence(&format!("schedule.policy tier {}", index + 1), task, schedule)?;
            }
        }
        let mut seen = std::collections::HashSet::new();
        for customer in &self.customers {
            let id = &customer.id;
            if id.is_empty() || !seen.insert(id) {
                return Err(format!("customer id `{id}` is empty or appears twice"));
            }
            if customer.token_env.is_some() == customer.token_file.is_some() {
                return Err(format!(
                    "customer `{id}`: set exactly one of `token_env` and `token_file`"
                ));
            }
            customer.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
                format!("customer `{id}`: `{}` is not an IANA time zone", customer.timezone)
            })?;
            for (task, schedule) in &customer.cadences {
                cadence(&format!("customer `{id}`"), task, schedule)?;
            }
        }
        Ok(())
    }
}

impl VomoConfig {
    /// The roots VOMO's certificate is checked against besides the system's: `ca_file`'s.
    pub fn roots(&self) -> Result<ExtraRoots, String> {
        extra_roots("vomo.ca_file", self.ca_file.as_deref())
    }
}

impl ExternalConfig {
    /// The roots the external system's certificate is checked against besides the system's.
    pub fn roots(&self) -> Result<ExtraRoots, String> {
        extra_roots("external.ca_file", self.ca_file.as_deref())
    }
}

fn extra_roots(setting: &str, file: Option<&Path>) -> Result<ExtraRoots, String> {
    match file {
        Some(file) => ExtraRoots::read(file).map_err(|reason| format!("`{setting}`: {reason}")),
        None => Ok(ExtraRoots::default()),
    }
}

impl Thresholds {
    fn check(&self) -> Result<(), String> {
        let shares = [
            ("incremental_gap_rate", self.incremental_gap_rate),
            ("deletion_share", self.deletion_share),
            ("drift_field_share", self.drift_field_share),
            ("audit_issue_rate", self.audit_issue_rate),
            ("daily_gap_rate", self.daily_gap_rate),
        ];
        for (name, share) in shares {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!("`thresholds.{name}` is {share}: a share between 0 and 1"));
            }
        }
        Ok(())
    }
}

/// Whether `task` names a task: a resource and a pass, or the participations pass.
fn is_task_name(task: &str) -> bool {
    let Some((resource, pass)) = task.rsplit_once('_') else { return false };
    let resource_ok =
        !resource.is_empty() && resource.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    task == "participations" || (resource_ok && matches!(pass, "incremental" | "full" | "audit"))
}

impl CustomerConfig {
    /// Reads the customer's token from its environment variable or file.
    pub fn token(&self) -> Result<Token, ConfigError> {
        let fail = |reason: String| ConfigError::Token { customer: self.id.clone(), reason };
        let token = match (&self.token_env, &self.token_file) {
            (Some(var), _) => std::env::var(var)
                .map_err(|_| fail(format!("environment variable `{var}` is not set")))?,
            (None, Some(file)) => std::fs::read_to_string(file)
                .map_err(|e| fail(format!("cannot read `{}`: {e}", file.display())))?,
            (None, None) => return Err(fail("neither `token_env` nor `token_file` is set".into())),
        };
        let token = Token::new(token);
        if token.expose().is_empty() {
            return Err(fail("the token is empty".to_owned()));
        }
        Ok(token)
    }

    /// The customer's time zone; checked when the configuration was loaded.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

fn default_store() -> String {
    "sqlite://reconciler.db".to_owned()
}

fn default_base_url() -> String {
    "https://api.vomo.org/v1".to_owned()
}

fn default_rate() -> f64 {
    3.0
}

fn default_concurrency() -> usize {
    8
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
        store = "postgres://reconciler@db/reconciler"

        [vomo]
        requests_per_second = 2.5

        [external]
        base_url = "http://crm.internal"

        [thresholds]
        deletion_count = 250

        [[customers]]
        id = "acme"
        token_env = "ACME_VOMO_TOKEN"
        timezone = "America/Chicago"
        settings.users.ignore-fields = "phone"
        cadences.users_full = "0 0 3 * * SUN"
    "#;

    #[test]
    fn a_full_example_parses_with_defaults_filled_in() {
        let config = Config::parse(EXAMPLE).expect("parses");
        assert_eq!(config.vomo.base_url, "https://api.vomo.org/v1");
        assert_eq!(config.vomo.requests_per_second, 2.5);
        assert_eq!(config.thresholds.deletion_count, 250);
        assert_eq!(config.thresholds.incremental_gap_rate, 0.5);
        let acme = config.customer("acme").expect("acme");
        assert_eq!(acme.settings["users"]["ignore-fields"], "phone");
        assert_eq!(acme.time_zone(), chrono_tz::America::Chicago);
    }

    #[test]
    fn an_unknown_key_is_an_error_naming_it() {
        let error = Config::parse("[vomo]\nrequests_per_secnd = 3").expect_err("typo");
        assert!(error.contains("requests_per_secnd"), "{error}");
    }

    #[test]
    fn each_customer_needs_exactly_one_token_source() {
        let both = "[vomo]\n[[customers]]\nid = \"a\"\ntoken_env = \"X\"\ntoken_file = \"f\"";
        assert!(Config::parse(both).expect_err("both").contains("customer `a`"));
        let none = "[vomo]\n[[customers]]\nid = \"a\"";
        assert!(Config::parse(none).expect_err("none").contains("exactly one"));
    }

    #[test]
    fn bad_time_zones_and_cadences_name_the_customer() {
        let zone = "[vomo]\n[[customers]]\nid = \"a\"\ntoken_env = \"X\"\ntimezone = \"Mars/Base\"";
        assert!(Config::parse(zone).expect_err("zone").contains("`Mars/Base`"));
        let cron =
            "[vomo]\n[[customers]]\nid = \"a\"\ntoken_env = \"X\"\ncadences.users_full = \"daily\"";
        assert!(Config::parse(cron).expect_err("cron").contains("`users_full`"));
    }

    #[test]
    fn shares_and_task_names_are_checked() {
        let share = "[vomo]\n[thresholds]\ndeletion_share = 5";
        assert!(Config::parse(share).expect_err("500 %").contains("`thresholds.deletion_share`"));
        let nan = "[vomo]\n[thresholds]\naudit_issue_rate = nan";
        assert!(Config::parse(nan).is_err());
        let task = "[vomo]\n[[customers]]\nid = \"a\"\ntoken_env = \"X\"\ncadences.users_ful = \"0 0 3 * * *\"";
        assert!(Config::parse(task).expect_err("typo").contains("`users_ful` is not a task"));
    }

    #[test]
    fn protected_reads_without_a_token_are_refused_naming_the_setting() {
        let unguarded = "[vomo]\n[api]\nprotect_reads = true\n";
        let error = Config::parse(unguarded).expect_err("no token to read with");
        assert!(error.contains("`api.protect_reads`"), "{error}");
        assert!(error.contains("`api.token_env`"), "{error}");
        let guarded = "[vomo]\n[api]\nprotect_reads = true\ntoken_env = \"RECONCILER_API_TOKEN\"\n";
        assert!(Config::parse(guarded).expect("a token names").api.protect_reads);
    }

    #[test]
    fn the_shutdown_grace_defaults_to_thirty_seconds_and_can_be_set() {
        assert_eq!(Config::parse("[vomo]").expect("parses").schedule.shutdown_grace_seconds, 30);
        let set = "[vomo]\n[schedule]\nshutdown_grace_seconds = 5\n";
        assert_eq!(Config::parse(set).expect("parses").schedule.shutdown_grace_seconds, 5);
    }

    #[test]
    fn a_relative_token_file_is_read_beside_the_configuration() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("acme.token"), "t0k3n").expect("write");
        let text = "[vomo]\n[[customers]]\nid = \"a\"\ntoken_file = \"acme.token\"";
        let path = dir.path().join("reconciler.toml");
        std::fs::write(&path, text).expect("write");
        let config = Config::load(&path).expect("loads");
        assert_eq!(config.customers[0].token().expect("token").expose(), "t0k3n");
    }

    #[test]
    fn a_relative_ca_file_is_read_beside_the_configuration() {
        let dir = tempfile::tempdir().expect("temp dir");
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("a CA");
        std::fs::write(dir.path().join("ca.pem"), ca.cert.pem()).expect("write");
        let text = "[vomo]\nca_file = \"ca.pem\"\n[external]\nbase_url = \"https://crm\"\n\
                    ca_file = \"ca.pem\"\n";
        let path = dir.path().join("reconciler.toml");
        std::fs::write(&path, text).expect("write");
        let config = Config::load(&path).expect("loads");
        assert_eq!(config.vomo.ca_file, Some(dir.path().join("ca.pem")));
        assert!(config.external.expect("external").roots().is_ok());
    }

    #[test]
    fn a_ca_file_missing_or_not_pem_fails_the_load_naming_setting_and_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("reconciler.toml");
        let load = |text: &str| {
            std::fs::write(&path, text).expect("write");
            Config::load(&path).expect_err("refused").to_string()
        };

        let missing = load("[vomo]\nca_file = \"absent.pem\"\n");
        assert!(missing.contains("`vomo.ca_file`"), "{missing}");
        let absent = dir.path().join("absent.pem").display().to_string();
        assert!(missing.contains(&format!("cannot read `{absent}`")), "{missing}");

        std::fs::write(dir.path().join("notes.txt"), "not a certificate\n").expect("write");
        let external = "[vomo]\n[external]\nbase_url = \"https://crm\"\nca_file = \"notes.txt\"\n";
        let not_pem = load(external);
        assert!(not_pem.contains("`external.ca_file`"), "{not_pem}");
        let shown = dir.path().join("notes.txt").display().to_string();
        assert!(not_pem.contains(&format!("`{shown}` holds no PEM certificate")), "{not_pem}");
    }

    #[test]
    fn tokens_come_from_a_file_and_never_show() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("token");
        std::fs::write(&file, "s3cret\n").expect("write");
        let text = format!(
            "[vomo]\n[[customers]]\nid = \"a\"\ntoken_file = {:?}",
            file.display().to_string()
        );
        let config = Config::parse(&text).expect("parses");
        let token = config.customers[0].token().expect("token");
        assert_eq!(token.expose(), "s3cret");
        assert!(!format!("{config:?}{token:?}").contains("s3cret"));
    }

    #[test]
    fn a_missing_token_names_the_variable() {
        let text = "[vomo]\n[[customers]]\nid = \"a\"\ntoken_env = \"RECONCILER_TEST_UNSET_TOKEN\"";
        let error = Config::parse(text).expect("parses").customers[0].token().expect_err("unset");
        assert!(error.to_string().contains("`RECONCILER_TEST_UNSET_TOKEN`"), "{error}");
    }
}
