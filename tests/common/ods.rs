//! OpenDNSSEC 2 as an operator runs it, in a temporary directory: its
//! enforcer and signer daemons, with the keys in SoftHSMv2 tokens. It signs
//! zones that the tests then take over.
//!
//! Two repositories: "SoftHSM" (token `ods-keys`) keeps a public key object
//! beside each private key; "Skip" (token `ods-skip`) has `SkipPublicKey`,
//! as Debian's default conf.xml does, and keeps RSA private keys alone.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const PIN: &str = "ods-pin-2718";
/// The signer's control socket: its path cannot be configured in 2.1.
const SIGNER_SOCKET_DIR: &str = "/run/opendnssec";

pub struct Ods {
    pub dir: PathBuf,
    enforcer: Child,
}

/// A zone as OpenDNSSEC serves it.
pub struct OdsZone {
    pub signed: PathBuf,
    /// The DS of its KSK, as the parent would serve it.
    pub ds: String,
    /// The CKA_ID (hex) of each of its keys, as `ods-enforcer key list` shows.
    pub ids: Vec<String>,
}

const POLICY: &str = r#"
  <Policy name="NAME">
    <Description>zonesign takeover test</Description>
    <Signatures>
      <Resign>PT2H</Resign><Refresh>P3D</Refresh>
      <Validity><Default>P14D</Default><Denial>P14D</Denial></Validity>
      <Jitter>PT12H</Jitter><InceptionOffset>PT3600S</InceptionOffset>
      <MaxZoneTTL>P1D</MaxZoneTTL>
    </Signatures>
    <Denial><NSEC/></Denial>
    <Keys>
      <TTL>PT3600S</TTL><RetireSafety>PT3600S</RetireSafety>
      <PublishSafety>PT3600S</PublishSafety><Purge>P14D</Purge>
      <KSK><Algorithm length="BITS">ALG</Algorithm><Lifetime>P1Y</Lifetime><Repository>REPO</Repository></KSK>
      <ZSK><Algorithm length="BITS">ALG</Algorithm><Lifetime>P90D</Lifetime><Repository>REPO</Repository></ZSK>
    </Keys>
    <Zone>
      <PropagationDelay>PT3600S</PropagationDelay>
      <SOA><TTL>PT3600S</TTL><Minimum>PT3600S</Minimum><Serial>unixtime</Serial></SOA>
    </Zone>
    <Parent>
      <PropagationDelay>PT3600S</PropagationDelay>
      <DS><TTL>PT3600S</TTL></DS>
      <SOA><TTL>PT3600S</TTL><Minimum>PT3600S</Minimum></SOA>
    </Parent>
  </Policy>"#;

fn sh(cmd: &mut Command) -> String {
    let (ok, text) = crate::common::run(cmd);
    assert!(ok, "{cmd:?}: {text}");
    text
}

/// Waits up to a minute for `done`.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "OpenDNSSEC: no {what} after a minute"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

impl Ods {
    /// Makes the tokens, the configuration, the database and policies
    /// "ecdsa" (P-256 in SoftHSM) and "rsa" (RSASHA256-2048 in Skip), and
    /// starts the enforcer. `SOFTHSM2_CONF` must name `dir/softhsm2.conf`.
    pub fn start(dir: &Path) -> Ods {
        for sub in [
            "tokens", "enforcer", "signer", "signconf", "unsigned", "signed",
        ] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let d = dir.display();
        std::fs::write(
            dir.join("softhsm2.conf"),
            format!("directories.tokendir = {d}/tokens\nobjectstore.backend = file\n"),
        )
        .unwrap();
        for label in ["ods-keys", "ods-skip"] {
            sh(Command::new("softhsm2-util").args([
                "--init-token",
                "--free",
                "--label",
                label,
                "--pin",
                PIN,
                "--so-pin",
                PIN,
            ]));
        }
        let repository = |name: &str, token: &str, extra: &str| {
            format!(
                "<Repository name=\"{name}\"><Module>{MODULE}</Module>\
                 <TokenLabel>{token}</TokenLabel><PIN>{PIN}</PIN>{extra}</Repository>"
            )
        };
        std::fs::write(
            dir.join("conf.xml"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Configuration>\
                 <RepositoryList>{}{}</RepositoryList>\
                 <Common><PolicyFile>{d}/kasp.xml</PolicyFile>\
                 <ZoneListFile>{d}/zonelist.xml</ZoneListFile></Common>\
                 <Enforcer><Datastore><SQLite>{d}/kasp.db</SQLite></Datastore>\
                 <AutomaticKeyGenerationPeriod>P6M</AutomaticKeyGenerationPeriod>\
                 <PidFile>{d}/enforcer.pid</PidFile><SocketFile>{d}/enforcer.sock</SocketFile>\
                 <WorkingDirectory>{d}/enforcer</WorkingDirectory></Enforcer>\
                 <Signer><WorkingDirectory>{d}/signer</WorkingDirectory>\
                 <WorkerThreads>2</WorkerThreads></Signer></Configuration>\n",
                repository("SoftHSM", "ods-keys", ""),
                repository("Skip", "ods-skip", "<SkipPublicKey/>"),
            ),
        )
        .unwrap();
        let policy = |name: &str, alg: &str, bits: &str, repo: &str| {
            POLICY
                .replace("NAME", name)
                .replace("ALG", alg)
                .replace("BITS", bits)
                .replace("REPO", repo)
        };
        std::fs::write(
            dir.join("kasp.xml"),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KASP>{}{}</KASP>\n",
                policy("ecdsa", "13", "256", "SoftHSM"),
                policy("rsa", "8", "2048", "Skip"),
            ),
        )
        .unwrap();
        std::fs::write(dir.join("zonelist.xml"), "<ZoneList></ZoneList>\n").unwrap();
        // What ods-enforcer-db-setup does, for a database not in /var/lib.
        let schema = std::fs::read_to_string("/usr/share/opendnssec/schema.sqlite").unwrap();
        let mut sqlite = Command::new("sqlite3")
            .arg(dir.join("kasp.db"))
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let mut stdin = sqlite.stdin.take().unwrap();
        stdin.write_all(schema.as_bytes()).unwrap();
        stdin
            .write_all(b"\nINSERT INTO databaseVersion (version) VALUES (1);\n")
            .unwrap();
        drop(stdin);
        assert!(sqlite.wait().unwrap().success());
        let enforcer = Command::new("ods-enforcerd")
            .arg("-c")
            .arg(dir.join("conf.xml"))
            .arg("-d")
            .stdout(std::fs::File::create(dir.join("enforcer.log")).unwrap())
            .stderr(std::fs::File::create(dir.join("enforcer.err")).unwrap())
            .spawn()
            .unwrap();
        let ods = Ods {
            dir: dir.to_path_buf(),
            enforcer,
        };
        wait_for("enforcer socket", || dir.join("enforcer.sock").exists());
        ods.enforcer(&["policy", "import"]);
        ods
    }

    fn enforcer(&self, args: &[&str]) -> String {
        sh(Command::new("ods-enforcer")
            .arg("-s")
            .arg(self.dir.join("enforcer.sock"))
            .args(args))
    }

    /// Adds `zone` (text `unsigned`) under `policy`; [`Ods::sign`] signs it.
    pub fn add(&self, zone: &str, policy: &str, unsigned: &str) {
        let input = self.dir.join("unsigned").join(zone);
        std::fs::write(&input, unsigned).unwrap();
        let conf = self.dir.join("signconf").join(format!("{zone}.xml"));
        self.enforcer(&[
            "zone",
            "add",
            "--zone",
            zone,
            "--policy",
            policy,
            "--input",
            input.to_str().unwrap(),
            "--output",
            self.dir.join("signed").join(zone).to_str().unwrap(),
            "--signerconf",
            conf.to_str().unwrap(),
        ]);
        wait_for("signer configuration", || conf.exists());
    }

    /// Runs the signer until it has signed every zone added, and returns
    /// each zone as OpenDNSSEC serves it.
    pub fn sign(&self, zones: &[&str]) -> Vec<OdsZone> {
        std::fs::create_dir_all(SIGNER_SOCKET_DIR).unwrap();
        let mut signer = Command::new("ods-signerd")
            .arg("-c")
            .arg(self.dir.join("conf.xml"))
            .arg("-d")
            .stdout(std::fs::File::create(self.dir.join("signer.log")).unwrap())
            .stderr(std::fs::File::create(self.dir.join("signer.err")).unwrap())
            .spawn()
            .unwrap();
        let signed = |z: &str| self.dir.join("signed").join(z);
        // Signed, and no longer being written.
        let mut last = String::new();
        wait_for("signed zones", || {
            std::thread::sleep(Duration::from_millis(200));
            let now: String = zones
                .iter()
                .map(|z| std::fs::read_to_string(signed(z)).unwrap_or_default())
                .collect();
            let done = now == last && now.matches("RRSIG\tDNSKEY").count() == zones.len();
            last = now;
            done
        });
        // SIGTERM, as `ods-signer stop` does; that client would wait
        // forever for its child to go while the child is not yet reaped.
        sh(Command::new("kill").arg(signer.id().to_string()));
        signer.wait().unwrap();
        let list = self.enforcer(&["key", "list", "--verbose"]);
        zones
            .iter()
            .map(|&zone| {
                let ds = self
                    .enforcer(&[
                        "key",
                        "export",
                        "--zone",
                        zone,
                        "--keytype",
                        "KSK",
                        "--keystate",
                        "publish",
                        "--ds",
                    ])
                    .lines()
                    .filter(|l| l.contains("\tDS\t"))
                    .map(|l| format!("{l}\n"))
                    .collect();
                let ids = list
                    .lines()
                    .filter(|l| l.split_whitespace().next() == Some(zone))
                    .flat_map(|l| l.split_whitespace())
                    .filter(|w| w.len() == 32 && w.bytes().all(|b| b.is_ascii_hexdigit()))
                    .map(String::from)
                    .collect();
                OdsZone {
                    signed: signed(zone),
                    ds,
                    ids,
                }
            })
            .collect()
    }
}

impl Drop for Ods {
    /// The operator turns OpenDNSSEC off once zonesign signs (SIGTERM, as
    /// `ods-enforcer stop` sends; that client would wait for the daemon
    /// to go, and it goes only once reaped here).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.enforcer.id().to_string())
            .output();
        let _ = self.enforcer.wait();
    }
}
