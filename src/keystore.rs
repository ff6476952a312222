//! Where private keys live: BIND files in the keys directory (the default),
//! or a PKCS#11 token that a `[keystore.NAME]` table describes and a
//! policy's `keystore = "NAME"` chooses. A key record's `file` says which:
//! a BIND file base name, or `pkcs11:NAME:KEY` for a key in a token, where
//! KEY is the pair's label, or `id=HEX` for its CKA_ID (keys taken over
//! from another signer whose labels do not name one pair).
//!
//! A key never moves between stores: a policy that names another store
//! makes the keys it has non-conforming, and the lifecycle rolls them to
//! new keys made in the new store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use domain::base::iana::SecurityAlgorithm;
use domain::crypto::sign::SecretKeyBytes;
use domain::rdata::Dnskey;

use crate::config::{Config, Keystore};
use crate::crypto::pkcs11::{KeyRef, Token};
use crate::error::{Error, Result};
use crate::keys::{self, Role, SigningKey};
use crate::state::KeyRecord;
use crate::zone::StoredName;

const TOKEN_PREFIX: &str = "pkcs11:";

/// Where a key record's private key is.
#[derive(Debug, PartialEq, Eq)]
pub enum Location<'a> {
    /// BIND files of this base name in the keys directory.
    Files(&'a str),
    /// A key pair in the token of keystore `store`, named by `key` (a
    /// label, or `id=HEX`).
    Token { store: &'a str, key: &'a str },
}

/// Reads a key record's `file`.
pub fn location(file: &str) -> Location<'_> {
    match file
        .strip_prefix(TOKEN_PREFIX)
        .and_then(|r| r.split_once(':'))
    {
        Some((store, key)) => Location::Token { store, key },
        None => Location::Files(file),
    }
}

/// The name of the keystore a record's key is in (`None`: files).
pub fn store_of(file: &str) -> Option<&str> {
    match location(file) {
        Location::Token { store, .. } => Some(store),
        Location::Files(_) => None,
    }
}

/// The token label of a key: it names the zone, the algorithm, the key tag
/// and the role, as BIND's file names do and then some.
fn label(owner: &StoredName, alg: SecurityAlgorithm, tag: u16, role: Role) -> String {
    format!(
        "{} {}",
        keys::file_base(owner, alg, tag),
        role.label().to_ascii_lowercase()
    )
}

/// The token of keystore `name`, opened and logged into once per process.
fn token(cfg: &Config, name: &str) -> Result<Arc<Token>> {
    static OPEN: OnceLock<Mutex<HashMap<String, Arc<Token>>>> = OnceLock::new();
    let ks = cfg.keystores.get(name).ok_or_else(|| Error::Config {
        file: cfg.file.clone(),
        reason: format!("keystore {name:?} is not defined"),
    })?;
    let mut open = OPEN
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| Error::Sign("keystore table poisoned".into()))?;
    let key = format!("{}\0{}", ks.module.display(), ks.token);
    if let Some(t) = open.get(&key) {
        return Ok(t.clone());
    }
    let pin = ks.pin().map_err(|reason| Error::Config {
        file: cfg.file.clone(),
        reason: format!("[keystore.{name}] {reason}"),
    })?;
    let t = Token::open(&ks.module, &ks.token, pin)
        .map_err(|e| Error::Sign(format!("keystore {name}: {e}")))?;
    open.insert(key, t.clone());
    Ok(t)
}

/// The signing key of a record, from its files or its token.
pub fn load(cfg: &Config, rec: &KeyRecord, owner: &StoredName) -> Result<SigningKey> {
    match location(&rec.file) {
        Location::Files(base) => keys::load_bind(&cfg.paths.keys.join(base)),
        Location::Token { store, key } => {
            let alg = SecurityAlgorithm::from_int(rec.algorithm);
            let failed = |e: String| Error::Sign(format!("keystore {store}: {e}"));
            let found = token(cfg, store)?
                .find(alg, &KeyRef::parse(key).map_err(failed)?)
                .map_err(failed)?;
            let dnskey = Dnskey::new(
                rec.role.flags(),
                3,
                alg,
                Bytes::copy_from_slice(found.public()),
            )
            .map_err(|e| failed(format!("{key}: {e}")))?;
            Ok(SigningKey::from_token(owner.clone(), dnskey, found))
        }
    }
}

/// Is the key there: its files, or its private key in its token? A token
/// that cannot be opened counts as missing; loading the key says why.
pub fn present(cfg: &Config, file: &str) -> bool {
    match location(file) {
        Location::Files(base) => keys::key_files(&cfg.paths.keys, base)
            .iter()
            .all(|p| p.exists()),
        Location::Token { store, key } => KeyRef::parse(key)
            .ok()
            .zip(token(cfg, store).ok())
            .is_some_and(|(key, t)| t.holds(&key).unwrap_or(false)),
    }
}

/// Deletes a purged key: its files, or its objects in the token. Says
/// whether there was anything to delete in a token.
pub fn delete(cfg: &Config, file: &str) -> Result<bool> {
    match location(file) {
        Location::Files(base) => keys::delete_key_files(&cfg.paths.keys, base).map(|()| true),
        Location::Token { store, key } => {
            let failed = |e: String| Error::Sign(format!("keystore {store}: {e}"));
            token(cfg, store)?
                .destroy(&KeyRef::parse(key).map_err(failed)?)
                .map(|n| n > 0)
                .map_err(failed)
        }
    }
}

/// The key pairs in keystore `store`'s token that another signer made, to
/// take over with the zone they sign.
pub struct Catalog<'a> {
    store: &'a str,
    token: Arc<Token>,
    keys: Vec<crate::crypto::pkcs11::Listed>,
}

impl<'a> Catalog<'a> {
    /// Lists the token of keystore `store`.
    pub fn open(cfg: &Config, store: &'a str) -> Result<Catalog<'a>> {
        let token = token(cfg, store)?;
        let keys = token
            .catalog()
            .map_err(|e| Error::Sign(format!("keystore {store}: {e}")))?;
        Ok(Catalog { store, token, keys })
    }

    /// The token key whose public key is `dnskey`'s, as a signing key and
    /// the key record's `file`.
    pub fn find(
        &self,
        owner: &StoredName,
        dnskey: &Dnskey<Bytes>,
    ) -> Result<Option<(SigningKey, String)>> {
        let alg = dnskey.algorithm();
        let family = if crate::crypto::is_rsa(alg) {
            SecurityAlgorithm::RSASHA256
        } else {
            alg
        };
        let Some(listed) = self
            .keys
            .iter()
            .find(|k| k.alg == family && k.public == dnskey.public_key().as_ref())
        else {
            return Ok(None);
        };
        let found = self
            .token
            .find(alg, &listed.key)
            .map_err(|e| Error::Sign(format!("keystore {}: {e}", self.store)))?;
        let file = format!("{TOKEN_PREFIX}{}:{}", self.store, listed.key);
        Ok(Some((
            SigningKey::from_token(owner.clone(), dnskey.clone(), found),
            file,
        )))
    }
}

/// Is `label` a token label of a key of zone `apex`: its final name, or
/// the provisional one it is made under?
pub fn label_of_zone(label: &str, apex: &StoredName) -> bool {
    let base = format!("K{}+", crate::zone::write::name_text(apex));
    label.starts_with(&base) || label.starts_with(&provisional_prefix(apex))
}

/// The start of the label a key is made under before its tag is known.
fn provisional_prefix(apex: &StoredName) -> String {
    format!("zonesign new {} ", crate::zone::write::name_text(apex))
}

/// What a new key is for.
pub struct NewKey<'a> {
    pub owner: &'a StoredName,
    pub alg: SecurityAlgorithm,
    pub rsa_bits: u32,
    pub role: Role,
    /// Key tags in use in the zone: a new key must not share one, or its
    /// signatures would be ambiguous.
    pub taken: &'a [u16],
}

/// A key just made.
pub struct Made {
    pub key: SigningKey,
    /// The key record's `file`.
    pub file: String,
    /// The files the caller must write for the key to exist (none for a
    /// key in a token): it decides when they are synced and put in place.
    pub files: Vec<keys::KeyFile>,
}

/// A new key in keystore `store` (`None`: BIND files in the keys
/// directory). `journal` is told the key's name before the key exists, so
/// that a run killed before its state is written leaves nothing unnamed.
pub fn generate(
    cfg: &Config,
    store: Option<&str>,
    new: &NewKey<'_>,
    journal: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Made> {
    for _ in 0..16 {
        let made = match store {
            None => generate_files(cfg, new, journal)?,
            Some(store) => generate_in_token(cfg, store, new, journal)?,
        };
        if let Some(made) = made {
            return Ok(made);
        }
    }
    Err(Error::Sign(format!(
        "{}: no free key tag after 16 keys",
        new.owner
    )))
}

fn generate_files(
    cfg: &Config,
    new: &NewKey<'_>,
    journal: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Option<Made>> {
    let (secret, key): (SecretKeyBytes, SigningKey) =
        keys::generate(new.owner, new.alg, new.role.flags(), new.rsa_bits)?;
    if new.taken.contains(&key.key_tag) {
        return Ok(None);
    }
    let dir = &cfg.paths.keys;
    crate::atomic::create_dir(dir, 0o700)?;
    let base = keys::file_base(new.owner, key.algorithm(), key.key_tag);
    journal(&base)?;
    let files = keys::bind_files(dir, &key, &secret).into();
    Ok(Some(Made {
        key,
        file: base,
        files,
    }))
}

fn generate_in_token(
    cfg: &Config,
    store: &str,
    new: &NewKey<'_>,
    journal: &mut dyn FnMut(&str) -> Result<()>,
) -> Result<Option<Made>> {
    let t = token(cfg, store)?;
    let failed = |e: String| Error::Sign(format!("keystore {store}: {e}"));
    let alg = new.alg;
    if !t.offers(alg) {
        return Err(failed(format!("the token has no mechanism for {alg} keys")));
    }
    keys::check_generated(alg, new.rsa_bits)?;
    // Made under a name of its own, renamed once its key tag is known.
    let mut nonce = [0u8; 8];
    crate::crypto::fill_random(&mut nonce).map_err(failed)?;
    let provisional = format!(
        "{}{}",
        provisional_prefix(new.owner),
        domain::utils::base16::encode_string(&nonce)
    );
    journal(&format!("{TOKEN_PREFIX}{store}:{provisional}"))?;
    let made = t
        .generate(alg, new.rsa_bits, &provisional, &nonce)
        .map_err(failed)?;
    let dnskey = Dnskey::new(
        new.role.flags(),
        3,
        alg,
        Bytes::copy_from_slice(made.public()),
    )
    .map_err(|e| failed(e.to_string()))?;
    if new.taken.contains(&dnskey.key_tag()) {
        t.destroy(&KeyRef::Label(provisional)).map_err(failed)?;
        return Ok(None);
    }
    let name = label(new.owner, alg, dnskey.key_tag(), new.role);
    let file = format!("{TOKEN_PREFIX}{store}:{name}");
    journal(&file)?;
    t.relabel(&made, &name, name.as_bytes()).map_err(failed)?;
    Ok(Some(Made {
        key: SigningKey::from_token(new.owner.clone(), dnskey, made),
        file,
        files: Vec::new(),
    }))
}

impl Keystore {
    /// The user PIN, from its file or its environment variable; never
    /// from the command line, never printed.
    pub fn pin(&self) -> std::result::Result<cryptoki::types::AuthPin, String> {
        let text = match (&self.pin_file, &self.pin_env) {
            (Some(f), _) => {
                std::fs::read_to_string(f).map_err(|e| format!("pin_file {}: {e}", f.display()))?
            }
            (None, Some(v)) => std::env::var(v).map_err(|_| format!("pin_env: ${v} is not set"))?,
            (None, None) => return Err("needs pin_file or pin_env".into()),
        };
        Ok(text.trim_end_matches(['\n', '\r']).to_string().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            location("Kexample.+013+00001"),
            Location::Files("Kexample.+013+00001")
        );
        assert_eq!(
            location("pkcs11:hsm:Kexample.+013+00001 ksk"),
            Location::Token {
                store: "hsm",
                key: "Kexample.+013+00001 ksk"
            }
        );
        assert_eq!(store_of("pkcs11:hsm:x"), Some("hsm"));
        assert_eq!(store_of("Kx"), None);
    }
}
