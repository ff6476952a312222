//! The `zonesign` command line: argument parsing and exit codes only; every
//! capability lives in the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use zonesign::batch::zone_name;
use zonesign::config::Config;
use zonesign::duration::Duration;
use zonesign::error::Error;
use zonesign::keys::Role;
use zonesign::lifecycle::Event;
use zonesign::sign::{Options, Timing, Window};
use zonesign::{keys, manage, stateless, time, verify};

/// A zone is millions of small allocations made and freed on every core;
/// glibc's allocator spent a fifth of a rerun in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "zonesign",
    version,
    about = "DNSSEC-sign zone files and manage the lifecycle of their keys"
)]
struct Cli {
    /// Pretend the current time is this (RFC 3339), for tests and planning.
    #[arg(long, global = true, value_name = "TIME")]
    now: Option<String>,
    /// Less output.
    #[arg(short, long, global = true)]
    quiet: bool,
    /// The configuration file.
    #[arg(long, global = true, default_value = "zonesign.toml")]
    config: PathBuf,
    /// Machine-readable output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// The main job: advance the key lifecycle, sign, verify and write every
    /// zone (or the named ones).
    Run(RunArgs),
    /// The DS records (and their CDNSKEY form) the parent must hold now.
    Ds { zone: String },
    /// Sign a zone file with keys you manage (roles from the SEP flag).
    Sign(Box<SignArgs>),
    /// Check a signed zone file offline: every RRSIG, the chain, the DS link.
    Verify(VerifyArgs),
    /// Generate a key pair as BIND key files (K<zone>.+<alg>+<tag>.key/.private).
    Keygen(KeygenArgs),
    /// Write a commented zonesign.toml and the directory layout.
    Init {
        /// Where (default: the current directory).
        dir: Option<PathBuf>,
    },
    /// Keys, their states, pending actions and the next change, per zone.
    Status {
        /// Zones (default: every zone with a state file).
        zones: Vec<String>,
    },
    /// The parent now serves the DS of this key.
    DsSeen { zone: String, keytag: u16 },
    /// The parent no longer serves the DS of this key.
    DsGone { zone: String, keytag: u16 },
    /// Start a key rollover at the next run.
    Rollover(RolloverArgs),
    /// Take over a zone signed elsewhere (BIND, Knot, OpenDNSSEC, ldns) with its keys
    /// and the parent's DS unchanged: no rollover, nothing to do at the parent.
    Adopt(AdoptArgs),
    /// Print OpenDNSSEC's kasp.xml as zonesign.toml [policy.NAME] tables.
    ImportKasp {
        /// The kasp.xml (e.g. /etc/opendnssec/kasp.xml).
        file: PathBuf,
    },
    /// Every future key transition and operator action under the policy.
    Plan {
        zone: String,
        /// How far ahead (e.g. 2y, 180d).
        #[arg(long, default_value = "2y")]
        until: String,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Zones (default: every *.zone below paths.zones and every [zone]).
    zones: Vec<String>,
    /// Only the zones of shard I of N (1 <= I <= N), for CI matrices and make -j.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// The DS records observed at the parents: the run issues ds-seen and ds-gone itself.
    #[arg(long, value_name = "FILE")]
    parent_ds: Option<PathBuf>,
    /// Exit 3 when the operator has something to do.
    #[arg(long)]
    fail_on_pending: bool,
    /// Sign although the clock is behind a zone's last run (refused with
    /// exit 2 otherwise): for when that run's clock was the wrong one.
    #[arg(long)]
    allow_clock_behind: bool,
}

#[derive(Args)]
struct AdoptArgs {
    /// The zone to take over.
    zone: String,
    /// The signed zone as the previous signer serves it now (the truth
    /// about which keys resolvers know and which sign what).
    #[arg(long, value_name = "FILE")]
    signed: PathBuf,
    /// The previous signer's private keys: directories or files holding BIND
    /// key pairs (K<zone>.+<alg>+<tag>.key/.private) or PEM files (Knot's keys/).
    #[arg(
        long = "keys",
        value_name = "PATH",
        required_unless_present = "keystore"
    )]
    keys: Vec<PathBuf>,
    /// A keystore (`[keystore.NAME]` in the configuration) whose token holds
    /// the previous signer's keys, as OpenDNSSEC keeps them: each DNSKEY is
    /// matched to a token key by its public key; the keys stay in the token.
    #[arg(long, value_name = "NAME")]
    keystore: Vec<String>,
    /// Knot's key list (`keymgr -j ZONE list`), to date the PEM keys.
    #[arg(long, value_name = "FILE")]
    knot_list: Option<PathBuf>,
    /// The DS records the parent serves now (`dig DS`, BIND's dsset- file).
    #[arg(long, value_name = "FILE", conflicts_with = "parent_unsigned")]
    parent_ds: Option<PathBuf>,
    /// The parent serves no DS for the zone (an island of trust).
    #[arg(long)]
    parent_unsigned: bool,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct RollTarget {
    #[arg(long)]
    ksk: bool,
    #[arg(long)]
    zsk: bool,
    /// Use a standby KSK whose DS is already at the parent.
    #[arg(long)]
    use_standby: bool,
}

#[derive(Args)]
struct RolloverArgs {
    zone: String,
    #[command(flatten)]
    target: RollTarget,
    /// The key is compromised: roll at once (a KSK roll uses a ready standby).
    #[arg(long)]
    emergency: bool,
}

#[derive(Args)]
struct SignArgs {
    /// The unsigned zone file.
    zonefile: PathBuf,
    /// The zone's name.
    #[arg(long, short = 'o')]
    origin: String,
    /// A key: K<zone>.+<alg>+<tag> with or without .key/.private (repeat).
    #[arg(long = "key", short = 'k', required = true)]
    keys: Vec<PathBuf>,
    /// Where to write the signed zone [default: ZONEFILE.signed].
    #[arg(long)]
    out: Option<PathBuf>,
    /// Use NSEC3 (RFC 9276 defaults: no salt, 0 iterations).
    #[arg(long)]
    nsec3: bool,
    /// NSEC3 opt-out: insecure delegations are left out of the chain.
    #[arg(long)]
    opt_out: bool,
    /// NSEC3 extra iterations (RFC 9276 advises 0).
    #[arg(long, default_value_t = 0)]
    iterations: u16,
    /// NSEC3 salt in hex (RFC 9276 advises none).
    #[arg(long)]
    salt: Option<String>,
    /// Also write the DS records of the KSKs here.
    #[arg(long)]
    ds_out: Option<PathBuf>,
    /// DS digest (SHA-256, SHA-384; repeat for several).
    #[arg(long = "ds-digest", default_value = "SHA-256")]
    ds_digests: Vec<String>,
    /// Publish CDS and CDNSKEY for the KSKs (RFC 7344).
    #[arg(long)]
    cds: bool,
    /// Signature inception (YYYYMMDDHHmmSS, epoch or RFC 3339); with --expiration, no jitter.
    #[arg(long, requires = "expiration")]
    inception: Option<String>,
    /// Signature expiration (YYYYMMDDHHmmSS, epoch or RFC 3339).
    #[arg(long, requires = "inception")]
    expiration: Option<String>,
    /// Signature validity.
    #[arg(long, default_value = "14d")]
    validity: String,
    /// Spread expirations by up to ± this, per RRset.
    #[arg(long, default_value = "12h")]
    jitter: String,
    /// Inception this long before now (clock skew).
    #[arg(long, default_value = "1h")]
    inception_offset: String,
    /// TTL of the DNSKEY (and CDS/CDNSKEY) RRset.
    #[arg(long, default_value = "3600")]
    dnskey_ttl: String,
}

#[derive(Args)]
struct VerifyArgs {
    /// The signed zone file.
    file: PathBuf,
    #[arg(long, short = 'o')]
    origin: String,
    /// DS records the parent holds: the DNSKEY RRset must be signed by a key they name.
    #[arg(long)]
    ds: Option<PathBuf>,
}

#[derive(Args)]
struct KeygenArgs {
    /// The zone's name.
    zone: String,
    #[arg(long, short = 'a', default_value = "ECDSAP256SHA256")]
    algorithm: String,
    /// Make a key-signing key (SEP flag, flags 257).
    #[arg(long)]
    ksk: bool,
    /// Directory for the key files.
    #[arg(long, default_value = ".")]
    dir: PathBuf,
    /// RSA modulus size (2048 to 4096).
    #[arg(long, short = 'b', default_value_t = 2048)]
    bits: u32,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zonesign: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// rules §4: 1 a zone failed, 2 bad usage or configuration.
fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Usage(_) | Error::Key { .. } | Error::Config { .. } => 2,
        _ => 1,
    }
}

fn usage<T>(r: Result<T, String>) -> Result<T, Error> {
    r.map_err(Error::Usage)
}

fn secs(s: &str, what: &str) -> Result<u64, Error> {
    Duration::parse(s)
        .map(|d| d.0)
        .map_err(|e| Error::Usage(format!("{what}: {e}")))
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    let now = match &cli.now {
        Some(t) => Some(usage(time::parse_instant(t))?),
        None => None,
    };
    let now = time::now_or(now);
    use std::io::IsTerminal as _;
    zonesign::progress::enable(!cli.quiet && !cli.json && std::io::stderr().is_terminal());
    match cli.cmd {
        Cmd::Run(a) => run_zones(&cli.config, a, now, cli.quiet, cli.json),
        Cmd::Ds { zone } => {
            let cfg = Config::load(&cli.config)?;
            print!("{}", manage::ds_records(&cfg, &zone_name(&zone)?)?);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Sign(a) => sign(*a, now, cli.quiet),
        Cmd::Verify(a) => {
            let origin = zonesign::zone::parse_origin(&a.origin)?;
            let report = verify::verify_file(&a.file, &origin, a.ds.as_deref(), now)?;
            if !cli.quiet || !report.is_ok() {
                eprint!("{report}");
            }
            Ok(if report.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Cmd::Init { dir } => {
            let dir = dir.unwrap_or_else(|| PathBuf::from("."));
            zonesign::init::init(&dir)?;
            if !cli.quiet {
                eprintln!("zonesign: wrote {}", dir.join("zonesign.toml").display());
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Status { zones } => {
            let cfg = Config::load(&cli.config)?;
            let zones = if zones.is_empty() {
                known_zones(&cfg)
            } else {
                zones
                    .iter()
                    .map(|z| zone_name(z))
                    .collect::<Result<_, _>>()?
            };
            let mut all = Vec::new();
            let tree = zonesign::batch::zone_tree(&cfg)?;
            for z in &zones {
                all.push(manage::status(&cfg, z, now, &tree)?);
            }
            if cli.json {
                println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
            } else {
                for s in &all {
                    print!("{s}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Adopt(a) => {
            let cfg = Config::load(&cli.config)?;
            let tree = zonesign::batch::zone_tree(&cfg)?;
            let req = zonesign::adopt::Request {
                zone: a.zone,
                signed: a.signed,
                keys: a.keys,
                keystores: a.keystore,
                knot_list: a.knot_list,
                parent_ds: a.parent_ds,
                parent_unsigned: a.parent_unsigned,
                now,
            };
            let adopted = zonesign::adopt::adopt(&cfg, &tree, &req)?;
            for w in &adopted.warnings {
                eprintln!("zonesign: {}: warning: {w}", adopted.zone);
            }
            let status = manage::status(&cfg, &adopted.zone, now, &tree)?;
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&status).unwrap_or_default()
                );
            } else if !cli.quiet {
                println!(
                    "adopted {} at serial {}; the next `zonesign run` signs it",
                    adopted.zone, adopted.serial
                );
                print!("{status}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ImportKasp { file } => {
            let (toml, notes) = zonesign::adopt::kasp::convert(&file)?;
            for n in &notes {
                eprintln!("zonesign: note: {n}");
            }
            print!("{toml}");
            Ok(ExitCode::SUCCESS)
        }
        Cmd::DsSeen { zone, keytag } => record(&cli.config, &zone, Event::DsSeen(keytag), now),
        Cmd::DsGone { zone, keytag } => record(&cli.config, &zone, Event::DsGone(keytag), now),
        Cmd::Rollover(a) => {
            let t = &a.target;
            let event = if t.use_standby {
                Event::UseStandby
            } else {
                let cfg = Config::load(&cli.config)?;
                let csk = cfg.policy_for(&zone_name(&a.zone)?).csk;
                let role = match (t.ksk, csk) {
                    (_, true) => Role::Csk,
                    (true, false) => Role::Ksk,
                    (false, false) => Role::Zsk,
                };
                Event::Rollover {
                    role,
                    emergency: a.emergency,
                }
            };
            record(&cli.config, &a.zone, event, now)
        }
        Cmd::Plan { zone, until } => {
            let cfg = Config::load(&cli.config)?;
            let zone = zone_name(&zone)?;
            let state = manage::load_state(&cfg, &zone)?;
            let until = now + secs(&until, "--until")?;
            let entries = manage::plan(cfg.policy_for(&zone), &state, now, until);
            if cli.json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&entries).unwrap_or_default()
                );
            } else {
                print!("{}", manage::plan_table(&zone, &entries));
            }
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Keygen(a) => {
            let zone = zonesign::zone::parse_origin(&a.zone)?;
            let alg = keys::parse_algorithm(&a.algorithm)
                .ok_or_else(|| Error::Usage(format!("unknown algorithm '{}'", a.algorithm)))?;
            let role = if a.ksk {
                keys::Role::Ksk
            } else {
                keys::Role::Zsk
            };
            let (secret, key) = keys::generate(&zone, alg, role.flags(), a.bits)?;
            let base = keys::write_bind_files(&a.dir, &key, &secret)?;
            println!(
                "{}",
                base.file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_zones(
    config: &std::path::Path,
    a: RunArgs,
    now: u64,
    quiet: bool,
    json: bool,
) -> Result<ExitCode, Error> {
    let cfg = Config::load(config)?;
    let opts = zonesign::batch::RunOptions {
        zones: a.zones,
        now,
        shard: a
            .shard
            .as_deref()
            .map(zonesign::batch::parse_shard)
            .transpose()
            .map_err(Error::Usage)?,
        parent_ds: a.parent_ds,
        quiet,
        allow_clock_behind: a.allow_clock_behind,
    };
    let report = zonesign::batch::run(&cfg, &opts)?;
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else if !quiet {
        eprint!("{report}");
    } else {
        // Quiet: only what needs someone's attention.
        for z in report
            .zones
            .iter()
            .filter(|z| z.error.is_some() || !z.actions.is_empty())
        {
            eprint!("{z}");
        }
    }
    Ok(ExitCode::from(report.exit_code(a.fail_on_pending)))
}

/// Zones with a state file.
fn known_zones(cfg: &Config) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&cfg.paths.state)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".toml"))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn record(config: &std::path::Path, zone: &str, event: Event, now: u64) -> Result<ExitCode, Error> {
    let cfg = Config::load(config)?;
    manage::record(&cfg, &zone_name(zone)?, &[event], now)?;
    Ok(ExitCode::SUCCESS)
}

/// A signature validity that RRSIG time fields can carry: positive, and
/// at most 2^31 - 1 seconds (RFC 4034 s3.1.5), never silently cut.
fn signature_window(validity: Option<u64>, what: &str) -> Result<(), Error> {
    match validity {
        Some(v) if v > 0 && v <= time::MAX_VALIDITY => Ok(()),
        Some(v) if v > 0 => Err(Error::Usage(format!(
            "{what}: {} is longer than RRSIG times can tell apart from the past \
             (68 years, RFC 4034 s3.1.5)",
            Duration(v)
        ))),
        _ => Err(Error::Usage(format!(
            "{what}: the signatures would expire before or when they start"
        ))),
    }
}

fn sign(a: SignArgs, now: u64, quiet: bool) -> Result<ExitCode, Error> {
    let origin = zonesign::zone::parse_origin(&a.origin)?;
    // A key that cannot be loaded is a usage error (exit 2), not a zone failure.
    let keys = a
        .keys
        .iter()
        .map(|p| keys::load_bind(p).map_err(|e| Error::Usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let timing = match (&a.inception, &a.expiration) {
        (Some(i), Some(e)) => {
            let (inception, expiration) = (
                usage(time::parse_instant(i))?,
                usage(time::parse_instant(e))?,
            );
            signature_window(
                expiration.checked_sub(inception),
                "--expiration - --inception",
            )?;
            Timing::Fixed(Window {
                inception: inception as u32,
                expiration: expiration as u32,
            })
        }
        _ => {
            let validity = secs(&a.validity, "--validity")?;
            signature_window(Some(validity), "--validity")?;
            // Jitter as long as the validity would expire signatures at once.
            if secs(&a.jitter, "--jitter")? >= validity {
                return Err(Error::Usage(format!(
                    "--jitter {} must be shorter than --validity {}",
                    a.jitter, a.validity
                )));
            }
            Timing::Policy {
                now,
                inception_offset: secs(&a.inception_offset, "--inception-offset")?,
                validity,
                validity_denial: validity,
                validity_keyset: validity,
                jitter: secs(&a.jitter, "--jitter")?,
            }
        }
    };
    let ds_digests = a
        .ds_digests
        .iter()
        .map(|d| {
            zonesign::ds::parse_digest(d)
                .ok_or_else(|| Error::Usage(format!("unknown DS digest '{d}'")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let dnskey_ttl = usage(zonesign::duration::parse_ttl(&a.dnskey_ttl))?;
    let options = Options {
        denial: stateless::denial_from(a.nsec3, a.opt_out, a.iterations, a.salt.as_deref())?,
        timing,
        dnskey_ttl,
        cds_digests: if a.cds {
            ds_digests.clone()
        } else {
            Vec::new()
        },
        cds_keys: None,
        cds_delete: false,
    };
    let req = stateless::SignRequest {
        out: a
            .out
            .clone()
            .unwrap_or_else(|| stateless::default_out(&a.zonefile)),
        zonefile: a.zonefile,
        origin,
        keys,
        ds_out: a.ds_out,
        ds_digests,
        options,
    };
    let (warnings, counts) = stateless::sign_file(&req)?;
    if !quiet {
        for w in &warnings {
            eprintln!("zonesign: warning: {w}");
        }
        eprintln!(
            "zonesign: signed {} ({} owners, {} signatures) -> {}",
            req.origin,
            counts.owners,
            counts.signatures,
            req.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
