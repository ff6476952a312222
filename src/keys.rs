//! Signing keys: generation, BIND-format key files
//! (`K<zone>.+<alg>+<tag>.key` / `.private`), and the signing operation,
//! all through the crypto layer (`crate::crypto`).

use std::path::{Path, PathBuf};

use bytes::Bytes;
use domain::base::iana::SecurityAlgorithm;
use domain::crypto::sign::SecretKeyBytes;
use domain::rdata::Dnskey;

use crate::atomic::write_atomic;
use crate::error::{Error, Result};
use crate::zone::StoredName;

/// DNSKEY flags: Zone Key (bit 7), plus SEP (bit 15) for KSKs and CSKs.
pub const FLAGS_ZSK: u16 = 256;
pub const FLAGS_KSK: u16 = 257;

/// What a key signs (rules §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Signs the DNSKEY RRset and CDS/CDNSKEY.
    Ksk,
    /// Signs every other authoritative RRset.
    Zsk,
    /// Both.
    Csk,
}

impl Role {
    pub fn signs_keyset(self) -> bool {
        matches!(self, Role::Ksk | Role::Csk)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Ksk => "KSK",
            Role::Zsk => "ZSK",
            Role::Csk => "CSK",
        }
    }

    pub fn signs_zone(self) -> bool {
        matches!(self, Role::Zsk | Role::Csk)
    }

    /// DNSKEY flags of a key of this role: the SEP bit for KSKs and CSKs.
    pub fn flags(self) -> u16 {
        if self.signs_keyset() {
            FLAGS_KSK
        } else {
            FLAGS_ZSK
        }
    }
}

/// A key pair ready to sign, with its DNSKEY.
pub struct SigningKey {
    pub owner: StoredName,
    pub dnskey: Dnskey<Bytes>,
    pub key_tag: u16,
    signer: crate::crypto::KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(
            f,
            "SigningKey({} {} {})",
            self.owner,
            self.algorithm(),
            self.key_tag
        )
    }
}

impl SigningKey {
    pub fn algorithm(&self) -> SecurityAlgorithm {
        self.dnskey.algorithm()
    }

    pub fn flags(&self) -> u16 {
        self.dnskey.flags()
    }

    /// The SEP bit: by convention a KSK (or CSK).
    pub fn is_sep(&self) -> bool {
        self.dnskey.is_secure_entry_point()
    }

    /// Signs `data` (RFC 4034 s3.1.8.1 signed data) and returns the raw
    /// signature in DNSSEC wire format.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>> {
        self.signer
            .sign(data)
            .map_err(|e| Error::Sign(format!("key {}: {e}", self.key_tag)))
    }

    /// The crypto library this key signs with.
    pub fn backend(&self) -> crate::crypto::Backend {
        self.signer.backend()
    }

    /// Makes a signing key from its secret and public halves; fails when
    /// they do not belong together.
    pub fn from_parts(
        owner: StoredName,
        secret: &SecretKeyBytes,
        dnskey: Dnskey<Bytes>,
    ) -> Result<Self, String> {
        let signer = crate::crypto::KeyPair::load(dnskey.algorithm(), secret, dnskey.public_key())?;
        let key_tag = dnskey.key_tag();
        Ok(SigningKey {
            owner,
            dnskey,
            key_tag,
            signer,
        })
    }

    /// A key whose private half is in a PKCS#11 token.
    pub fn from_token(
        owner: StoredName,
        dnskey: Dnskey<Bytes>,
        key: crate::crypto::pkcs11::TokenKey,
    ) -> Self {
        let signer = crate::crypto::KeyPair::from_token(dnskey.algorithm(), key);
        SigningKey {
            owner,
            key_tag: dnskey.key_tag(),
            dnskey,
            signer,
        }
    }

    /// The key size in bits (RSA modulus, or the curve's).
    pub fn bits(&self) -> u32 {
        crate::crypto::key_bits(self.algorithm(), self.dnskey.public_key()).unwrap_or(0)
    }
}

/// A warning for an RSA key under 2048 bits (RFC 8624 s3.1): zonesign
/// makes none, but an imported one still signs until it is rolled.
pub fn weak_key_warning(tag: u16, alg: SecurityAlgorithm, bits: Option<u32>) -> Option<String> {
    let bits = bits.filter(|&b| b < 2048)?;
    crate::crypto::is_rsa(alg).then(|| {
        format!(
            "key {tag}: {alg} of {bits} bits, under the 2048 RFC 8624 asks for; it still \
             signs, and a policy with bits = 2048 or more rolls it"
        )
    })
}

/// Algorithm by mnemonic or number, as in key file names and policies.
pub fn parse_algorithm(text: &str) -> Option<SecurityAlgorithm> {
    let t = text.trim();
    if let Ok(n) = t.parse::<u8>() {
        return Some(SecurityAlgorithm::from_int(n));
    }
    let up = t.to_ascii_uppercase().replace(['-', '_'], "");
    Some(match up.as_str() {
        "ECDSAP256SHA256" => SecurityAlgorithm::ECDSAP256SHA256,
        "ECDSAP384SHA384" => SecurityAlgorithm::ECDSAP384SHA384,
        "ED25519" => SecurityAlgorithm::ED25519,
        "ED448" => SecurityAlgorithm::ED448,
        "RSASHA256" => SecurityAlgorithm::RSASHA256,
        "RSASHA512" => SecurityAlgorithm::RSASHA512,
        _ => return None,
    })
}

/// The algorithms whose keys zonesign makes: ED448 only with a backend
/// that has it (OpenSSL).
pub const GENERATED: &[SecurityAlgorithm] = &[
    SecurityAlgorithm::RSASHA256,
    SecurityAlgorithm::RSASHA512,
    SecurityAlgorithm::ECDSAP256SHA256,
    SecurityAlgorithm::ECDSAP384SHA384,
    SecurityAlgorithm::ED25519,
    #[cfg(feature = "openssl")]
    SecurityAlgorithm::ED448,
];

/// [`GENERATED`] by name, for messages.
pub fn generated_names() -> String {
    let names: Vec<String> = GENERATED.iter().map(|a| a.to_string()).collect();
    names.join(", ")
}

/// RSA sizes zonesign generates: RFC 8624 s3.1 wants at least 2048 bits;
/// beyond 4096 a DNSKEY RRset outgrows what resolvers take over UDP.
pub fn rsa_bits_ok(bits: u32) -> Result<(), String> {
    match bits {
        2048..=4096 => Ok(()),
        b if b < 2048 => Err("RSA keys below 2048 bits are not generated (RFC 8624)".into()),
        _ => Err("RSA keys above 4096 bits are not generated".into()),
    }
}

/// Can zonesign make keys of `alg` (and `rsa_bits`, for RSA)? Asked
/// before any key is made, wherever it is made.
pub fn check_generated(alg: SecurityAlgorithm, rsa_bits: u32) -> Result<()> {
    if !GENERATED.contains(&alg) {
        return Err(Error::Sign(format!(
            "cannot generate {alg} keys (these can be: {})",
            generated_names()
        )));
    }
    if crate::crypto::is_rsa(alg) {
        rsa_bits_ok(rsa_bits).map_err(Error::Sign)?;
    }
    Ok(())
}

/// Generates a key pair with the fastest backend that makes keys of
/// `alg` (and `rsa_bits` for RSA; RFC 8624 sizes only).
pub fn generate(
    owner: &StoredName,
    alg: SecurityAlgorithm,
    flags: u16,
    rsa_bits: u32,
) -> Result<(SecretKeyBytes, SigningKey)> {
    check_generated(alg, rsa_bits)?;
    let (secret, public) = crate::crypto::generate(alg, rsa_bits)
        .map_err(|e| Error::Sign(format!("key generation failed: {e}")))?;
    let dnskey = Dnskey::new(flags, 3, alg, Bytes::from(public))
        .map_err(|e| Error::Sign(format!("bad DNSKEY: {e}")))?;
    let key = SigningKey::from_parts(owner.clone(), &secret, dnskey).map_err(Error::Sign)?;
    Ok((secret, key))
}

/// The BIND file base name `K<zone>.+<alg>+<tag>` (no extension).
pub fn file_base(owner: &StoredName, alg: SecurityAlgorithm, tag: u16) -> String {
    let mut zone = owner.to_string();
    if !zone.ends_with('.') {
        zone.push('.');
    }
    format!("K{zone}+{:03}+{tag:05}", alg.to_int())
}

/// Writes `.key` and `.private` (mode 0600) into `dir`; returns the base path.
/// Both are written to temporary files and renamed, so a crash leaves no
/// half-written key.
pub fn write_bind_files(dir: &Path, key: &SigningKey, secret: &SecretKeyBytes) -> Result<PathBuf> {
    for f in bind_files(dir, key, secret) {
        write_atomic(&f.path, f.data.as_bytes(), f.private)?;
    }
    Ok(dir.join(file_base(&key.owner, key.algorithm(), key.key_tag)))
}

/// A key file to be written: the secret one is written first, and mode 0600.
pub struct KeyFile {
    pub path: PathBuf,
    pub data: String,
    pub private: bool,
}

/// The `.private` and `.key` files of a key in `dir`, in the order they
/// are written.
pub fn bind_files(dir: &Path, key: &SigningKey, secret: &SecretKeyBytes) -> [KeyFile; 2] {
    let base = dir.join(file_base(&key.owner, key.algorithm(), key.key_tag));
    let public = format!(
        "; {} key {} for {}\n{} IN DNSKEY {} {} {} {}\n",
        if key.is_sep() {
            "key-signing"
        } else {
            "zone-signing"
        },
        key.key_tag,
        key.owner,
        crate::zone::write::name_text(&key.owner),
        key.dnskey.flags(),
        key.dnskey.protocol(),
        key.algorithm().to_int(),
        base64_encode(key.dnskey.public_key())
    );
    [
        KeyFile {
            path: with_ext(&base, "private"),
            data: secret.display_as_bind().to_string(),
            private: true,
        },
        KeyFile {
            path: with_ext(&base, "key"),
            data: public,
            private: false,
        },
    ]
}

fn base64_encode(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn with_ext(base: &Path, ext: &str) -> PathBuf {
    let mut s = base.as_os_str().to_owned();
    s.push(".");
    s.push(ext);
    PathBuf::from(s)
}

/// The BIND files of a key: `<base>.private` and `<base>.key` in `dir`.
pub fn key_files(dir: &Path, base: &str) -> [PathBuf; 2] {
    let base = dir.join(base);
    [with_ext(&base, "private"), with_ext(&base, "key")]
}

/// Deletes the key files of a purged key; files already gone are fine.
pub fn delete_key_files(dir: &Path, base: &str) -> Result<()> {
    for p in key_files(dir, base) {
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&p, e)),
        }
    }
    Ok(())
}

/// Loads a BIND or ldns key pair. `path` may name the `.key`, the
/// `.private` or the common base.
pub fn load_bind(path: &Path) -> Result<SigningKey> {
    let pair = read_bind(path)?;
    SigningKey::from_parts(pair.owner, &pair.secret, pair.dnskey)
        .map_err(|e| Error::key(&pair.private_path, e))
}

/// The two halves of a BIND key pair as read from its files.
pub struct BindPair {
    pub owner: StoredName,
    pub dnskey: Dnskey<Bytes>,
    pub secret: SecretKeyBytes,
    /// The `.private` file, whose `Created:`/`Publish:`/… lines hold the
    /// key's timing metadata.
    pub private_path: PathBuf,
    pub private_text: String,
}

/// Reads a BIND key pair without making a signer of it.
pub fn read_bind(path: &Path) -> Result<BindPair> {
    let s = path.to_string_lossy();
    let base = s
        .strip_suffix(".private")
        .or_else(|| s.strip_suffix(".key"))
        .unwrap_or(&s)
        .to_string();
    let base = PathBuf::from(base);
    let key_path = with_ext(&base, "key");
    let private_path = with_ext(&base, "private");
    let public = std::fs::read_to_string(&key_path).map_err(|e| Error::io(&key_path, e))?;
    let (owner, dnskey) = parse_key_file(&public, &key_path)?;
    let private_text =
        std::fs::read_to_string(&private_path).map_err(|e| Error::io(&private_path, e))?;
    let secret =
        SecretKeyBytes::parse_from_bind(&pad_ecdsa_scalar(&private_text)).map_err(|e| {
            Error::key(
                &private_path,
                format!("not a private key in BIND format: {e}"),
            )
        })?;
    if secret.algorithm() != dnskey.algorithm() {
        return Err(Error::key(
            &private_path,
            "algorithm differs from the .key file",
        ));
    }
    Ok(BindPair {
        owner,
        dnskey,
        secret,
        private_path,
        private_text,
    })
}

/// The one DNSKEY record of a BIND `.key` file (comments, no TTL or
/// class are allowed, as BIND writes them).
fn parse_key_file(text: &str, path: &Path) -> Result<(StoredName, Dnskey<Bytes>)> {
    let not_key = || Error::key(path, "not a DNSKEY record in BIND key-file format");
    let (records, _) =
        crate::zone::reader::read_str_default_ttl(text, path, &StoredName::root(), 3600)
            .map_err(|_| not_key())?;
    let [record] = &records[..] else {
        return Err(not_key());
    };
    match record.rdata() {
        Some(crate::zone::Rdata::Dnskey(k)) => Ok((record.owner.clone(), k)),
        _ => Err(not_key()),
    }
}

/// BIND 9.18 writes an ECDSA private scalar without its leading zero
/// octets (one key in 256 is a 31-octet P-256 scalar), and `domain` wants
/// the full field size: pad such a `PrivateKey` back to it. The scalar is
/// a big-endian integer, so left zeros do not change it. Anything else,
/// including malformed text, is passed through for the parser to judge.
fn pad_ecdsa_scalar(private: &str) -> std::borrow::Cow<'_, str> {
    use base64::Engine as _;
    let field = |name: &str| {
        private.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim())
        })
    };
    let size = match field("Algorithm").and_then(|v| v.split_whitespace().next()) {
        Some("13") => 32,
        Some("14") => 48,
        _ => return private.into(),
    };
    let Some(encoded) = field("PrivateKey") else {
        return private.into();
    };
    let Ok(scalar) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
        return private.into();
    };
    if scalar.is_empty() || scalar.len() >= size {
        return private.into();
    }
    let mut padded = vec![0u8; size - scalar.len()];
    padded.extend_from_slice(&scalar);
    let padded = base64_encode(&padded);
    private
        .lines()
        .map(|l| match l.split_once(':') {
            Some((k, _)) if k.trim() == "PrivateKey" => format!("PrivateKey: {padded}\n"),
            _ => format!("{l}\n"),
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn key_files_round_trip_and_purge() {
        let dir = tempfile::tempdir().unwrap();
        let owner = StoredName::from_str("example.com.").unwrap();
        let (secret, key) = generate(&owner, SecurityAlgorithm::ED25519, FLAGS_KSK, 2048).unwrap();
        let base = write_bind_files(dir.path(), &key, &secret).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(with_ext(&base, "private"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let back = load_bind(&base).unwrap();
        assert_eq!(back.key_tag, key.key_tag);
        assert!(back.is_sep());
        let name = base.file_name().unwrap().to_str().unwrap().to_string();
        delete_key_files(dir.path(), &name).unwrap();
        assert!(!with_ext(&base, "private").exists() && !with_ext(&base, "key").exists());
        delete_key_files(dir.path(), &name).unwrap();
    }

    /// A P-256 key made by BIND 9.18's dnssec-keygen whose scalar starts
    /// with a zero octet, which BIND left out (31 octets in the file).
    const SHORT_SCALAR_KEY: &str = "example. IN DNSKEY 256 3 13 m2+mnkwgrytjyxI2WoLnkZZfiB+GtUSv1JkejFJzWgn996RGwGTnXb0B g4mh1uSiaExxaiDINegT4akzVtU53w==\n";
    const SHORT_SCALAR_PRIVATE: &str = "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: W5LQwlkyvTg0WRGJgpUAFRlBSI6eYYYg1DZT287RWw==\nCreated: 20261207100237\n";

    #[test]
    fn bind_key_with_a_short_ecdsa_scalar_loads_and_signs() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("Kexample.+013+04666");
        std::fs::write(with_ext(&base, "key"), SHORT_SCALAR_KEY).unwrap();
        std::fs::write(with_ext(&base, "private"), SHORT_SCALAR_PRIVATE).unwrap();
        let key = load_bind(&base).unwrap();
        assert_eq!(key.key_tag, 4666);
        let data = b"signed data";
        let sig = key.sign(data).unwrap();
        assert!(
            crate::crypto::verify(key.algorithm(), key.dnskey.public_key(), data, &sig),
            "signature by the padded scalar verifies with the DNSKEY"
        );
        // Only a short scalar is touched, and it gains its zero octet.
        let full_line = "PrivateKey: AFuS0MJZMr04NFkRiYKVABUZQUiOnmGGINQ2U9vO0Vs=";
        assert!(pad_ecdsa_scalar(SHORT_SCALAR_PRIVATE).contains(full_line));
        let full = SHORT_SCALAR_PRIVATE.replace(
            "PrivateKey: W5LQwlkyvTg0WRGJgpUAFRlBSI6eYYYg1DZT287RWw==",
            full_line,
        );
        assert!(matches!(
            pad_ecdsa_scalar(&full),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
