//! Keys in a PKCS#11 token (an HSM, or SoftHSMv2 in the tests), through
//! the `cryptoki` binding. The private key never leaves the token: it is
//! made there (sensitive, not extractable), found again by its label, and
//! signs there. The DNSKEY comes from the token's public key object.
//!
//! Signing threads take sessions from a pool: an HSM with several cores
//! serves them at once, and a token that refuses another session is used
//! with the ones it gave.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use domain::base::iana::SecurityAlgorithm;

/// DER of the curve OIDs (CKA_EC_PARAMS).
const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
/// PrintableString "edwards25519".
const ED25519_NAME: &[u8] = b"\x13\x0cedwards25519";

/// The module loaded and initialised once per process: PKCS#11 wants one
/// `C_Initialize` per application, and SoftHSM fails when two threads
/// make it at once.
fn context(module: &Path) -> Result<Pkcs11, String> {
    static LOADED: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut loaded = LOADED
        .get_or_init(Default::default)
        .lock()
        .map_err(|_| "PKCS#11 module table poisoned")?;
    if let Some(ctx) = loaded.get(module) {
        return Ok(ctx.clone());
    }
    let failed = |e: CkError| format!("PKCS#11 module {}: {e}", module.display());
    let ctx = Pkcs11::new(module).map_err(failed)?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(failed(e)),
    }
    loaded.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

/// An open, logged-in token.
pub struct Token {
    ctx: Pkcs11,
    slot: Slot,
    label: String,
    pin: AuthPin,
    pool: Mutex<Pool>,
    /// Signalled when a session goes back to the pool.
    returned: Condvar,
}

/// Sessions not in use: a signing thread takes one and gives it back.
struct Pool {
    idle: Vec<Session>,
    /// The token refused one more session: wait for one to come back.
    refused: bool,
}

fn ck(what: &str) -> impl Fn(CkError) -> String + '_ {
    move |e| format!("PKCS#11 {what}: {e}")
}

impl Token {
    /// Loads `module`, finds the token labelled `label` and logs in.
    pub fn open(module: &Path, label: &str, pin: AuthPin) -> Result<Arc<Token>, String> {
        let ctx = context(module)?;
        let slots = ctx.get_slots_with_token().map_err(ck("slots"))?;
        let slot = slots
            .into_iter()
            .find(|s| {
                ctx.get_token_info(*s)
                    .is_ok_and(|t| t.label().trim_end() == label)
            })
            .ok_or_else(|| {
                format!(
                    "PKCS#11 module {}: no token labelled {label:?}",
                    module.display()
                )
            })?;
        let token = Token {
            ctx,
            slot,
            label: label.to_string(),
            pin,
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                refused: false,
            }),
            returned: Condvar::new(),
        };
        // The first session logs in for all (login state is per application).
        let first = token.open_session()?.ok_or("the token opens no session")?;
        token.give_back(first);
        Ok(Arc::new(token))
    }

    /// A new logged-in session, or `None` when the token has no more.
    fn open_session(&self) -> Result<Option<Session>, String> {
        let session = match self.ctx.open_rw_session(self.slot) {
            Ok(s) => s,
            Err(CkError::Pkcs11(RvError::SessionCount, _)) => return Ok(None),
            Err(e) => return Err(format!("token {:?}: {e}", self.label)),
        };
        match session.login(UserType::User, Some(&self.pin)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => {}
            Err(CkError::Pkcs11(RvError::PinIncorrect, _)) => {
                return Err(format!("token {:?}: wrong PIN", self.label));
            }
            Err(e) => return Err(format!("token {:?}: login: {e}", self.label)),
        }
        Ok(Some(session))
    }

    /// Runs `f` with a session of the pool.
    fn with_session<T>(&self, f: impl FnOnce(&Session) -> Result<T, String>) -> Result<T, String> {
        let session = self.take()?;
        let out = f(&session);
        self.give_back(session);
        out
    }

    /// An idle session, a new one while the token gives them, else the
    /// next one another thread gives back.
    fn take(&self) -> Result<Session, String> {
        let poisoned = |_| "PKCS#11 session pool poisoned".to_string();
        let mut pool = self.pool.lock().map_err(poisoned)?;
        loop {
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if !pool.refused {
                drop(pool);
                if let Some(s) = self.open_session()? {
                    return Ok(s);
                }
                pool = self.pool.lock().map_err(poisoned)?;
                pool.refused = true;
                continue;
            }
            pool = self.returned.wait(pool).map_err(poisoned)?;
        }
    }

    fn give_back(&self, session: Session) {
        if let Ok(mut pool) = self.pool.lock() {
            pool.idle.push(session);
        }
        self.returned.notify_one();
    }

    /// Does the token have the mechanism a key of `alg` is made and signs
    /// with?
    pub fn offers(&self, alg: SecurityAlgorithm) -> bool {
        let Ok(list) = self.ctx.get_mechanism_list(self.slot) else {
            return false;
        };
        let Some((make, sign)) = mechanisms(alg) else {
            return false;
        };
        list.contains(&make.mechanism_type()) && list.contains(&sign.mechanism_type())
    }

    /// Makes a key pair of `alg` (`bits` for RSA) in the token under
    /// `label` and `id`; the private key is sensitive and not extractable.
    pub fn generate(
        self: &Arc<Self>,
        alg: SecurityAlgorithm,
        bits: u32,
        label: &str,
        id: &[u8],
    ) -> Result<TokenKey, String> {
        let (make, _) = mechanisms(alg).ok_or_else(|| format!("{alg}: not made in a token"))?;
        let mut public = vec![
            Attribute::Token(true),
            Attribute::Verify(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        match alg {
            SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
                public.push(Attribute::ModulusBits(u64::from(bits).into()));
                public.push(Attribute::PublicExponent(vec![1, 0, 1]));
            }
            SecurityAlgorithm::ECDSAP256SHA256 => public.push(Attribute::EcParams(P256.to_vec())),
            SecurityAlgorithm::ECDSAP384SHA384 => public.push(Attribute::EcParams(P384.to_vec())),
            _ => public.push(Attribute::EcParams(ED25519.to_vec())),
        }
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        self.with_session(|s| {
            s.generate_key_pair(&make, &public, &private)
                .map_err(ck("key generation"))
        })?;
        self.find(alg, &KeyRef::Label(label.to_string()))
    }

    /// The key pair `key` names. The private key must be one object; the
    /// public key comes from its public object, or from the private object
    /// where a signer kept none (OpenDNSSEC's `SkipPublicKey`, RSA only).
    pub fn find(
        self: &Arc<Self>,
        alg: SecurityAlgorithm,
        key: &KeyRef,
    ) -> Result<TokenKey, String> {
        let (private, public) = self.with_session(|s| {
            let find = |class| {
                s.find_objects(&[Attribute::Class(class), key.attribute()])
                    .map_err(ck("find"))
            };
            Ok((
                find(ObjectClass::PRIVATE_KEY)?,
                find(ObjectClass::PUBLIC_KEY)?,
            ))
        })?;
        let (&[private], ..=1) = (&private[..], public.len()) else {
            return Err(format!(
                "token {:?}: {} private and {} public keys named \"{key}\", where one of each \
                 at most is wanted",
                self.label,
                private.len(),
                public.len()
            ));
        };
        let public = public.first().copied();
        let dnskey_public =
            self.with_session(|s| public_field(s, public.unwrap_or(private), alg))?;
        Ok(TokenKey {
            token: self.clone(),
            private,
            public,
            alg,
            dnskey_public,
        })
    }

    /// Is there a private key `key` names?
    pub fn holds(&self, key: &KeyRef) -> Result<bool, String> {
        self.with_session(|s| {
            let found = s
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY), key.attribute()])
                .map_err(ck("find"))?;
            Ok(!found.is_empty())
        })
    }

    /// Every signing key pair in the token with its DNSKEY public key
    /// field: what another signer left there, for taking it over.
    pub fn catalog(&self) -> Result<Vec<Listed>, String> {
        self.with_session(|s| {
            let privates = s
                .find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Sign(true),
                ])
                .map_err(ck("find"))?;
            let mut out = Vec::new();
            let mut labels = HashMap::<Vec<u8>, usize>::new();
            for private in privates {
                let attrs = s
                    .get_attributes(
                        private,
                        &[
                            AttributeType::Label,
                            AttributeType::Id,
                            AttributeType::KeyType,
                            AttributeType::EcParams,
                        ],
                    )
                    .map_err(ck("key attributes"))?;
                let (mut label, mut id, mut kind, mut params) =
                    (Vec::new(), Vec::new(), None, None);
                for a in attrs {
                    match a {
                        Attribute::Label(v) => label = v,
                        Attribute::Id(v) => id = v,
                        Attribute::KeyType(t) => kind = Some(t),
                        Attribute::EcParams(v) => params = Some(v),
                        _ => {}
                    }
                }
                let Some(alg) = kind.and_then(|k| family(k, params.as_deref())) else {
                    continue;
                };
                // The public object of the pair shares the private key's ID.
                let public = if id.is_empty() {
                    Vec::new()
                } else {
                    s.find_objects(&[
                        Attribute::Class(ObjectClass::PUBLIC_KEY),
                        Attribute::Id(id.clone()),
                    ])
                    .map_err(ck("find"))?
                };
                let Ok(field) = public_field(s, public.first().copied().unwrap_or(private), alg)
                else {
                    continue;
                };
                *labels.entry(label.clone()).or_default() += 1;
                out.push((label, id, alg, field));
            }
            Ok(out
                .into_iter()
                .map(|(label, id, alg, public)| {
                    let by_label = !label.is_empty() && labels.get(&label) == Some(&1);
                    let key = match String::from_utf8(label) {
                        Ok(l) if by_label => KeyRef::Label(l),
                        _ => KeyRef::Id(id),
                    };
                    Listed { key, alg, public }
                })
                .collect())
        })
    }

    /// Renames a key pair (both objects).
    pub fn relabel(&self, key: &TokenKey, label: &str, id: &[u8]) -> Result<(), String> {
        let template = [
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.to_vec()),
        ];
        self.with_session(|s| {
            for object in std::iter::once(key.private).chain(key.public) {
                s.update_attributes(object, &template)
                    .map_err(ck("relabel"))?;
            }
            Ok(())
        })
    }

    /// Destroys the key pair `key` names; returns how many objects went
    /// (none there is no error).
    pub fn destroy(&self, key: &KeyRef) -> Result<usize, String> {
        self.with_session(|s| {
            let mut gone = 0;
            for class in [ObjectClass::PRIVATE_KEY, ObjectClass::PUBLIC_KEY] {
                let objects = s
                    .find_objects(&[Attribute::Class(class), key.attribute()])
                    .map_err(ck("find"))?;
                for &o in &objects {
                    s.destroy_object(o).map_err(ck("destroy"))?;
                }
                gone += objects.len();
            }
            Ok(gone)
        })
    }

    /// Labels of the key pairs in the token.
    pub fn labels(&self) -> Result<Vec<String>, String> {
        self.with_session(|s| {
            let objects = s
                .find_objects(&[Attribute::Class(ObjectClass::PRIVATE_KEY)])
                .map_err(ck("find"))?;
            let mut out = Vec::new();
            for o in objects {
                let attrs = s
                    .get_attributes(o, &[AttributeType::Label])
                    .map_err(ck("label"))?;
                for a in attrs {
                    if let Attribute::Label(l) = a {
                        out.push(String::from_utf8_lossy(&l).into_owned());
                    }
                }
            }
            Ok(out)
        })
    }
}

/// How a key pair in a token is named: by its CKA_LABEL, or by its CKA_ID
/// (written `id=HEX`) where the label does not name one pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    Label(String),
    Id(Vec<u8>),
}

impl KeyRef {
    /// Reads what `Display` writes.
    pub fn parse(text: &str) -> Result<KeyRef, String> {
        match text.strip_prefix("id=") {
            Some(hex) => domain::utils::base16::decode_vec(hex)
                .map(KeyRef::Id)
                .map_err(|_| format!("{text:?}: the ID is not hexadecimal")),
            None => Ok(KeyRef::Label(text.to_string())),
        }
    }

    fn attribute(&self) -> Attribute {
        match self {
            KeyRef::Label(l) => Attribute::Label(l.as_bytes().to_vec()),
            KeyRef::Id(id) => Attribute::Id(id.clone()),
        }
    }
}

impl std::fmt::Display for KeyRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyRef::Label(l) => f.write_str(l),
            KeyRef::Id(id) => write!(f, "id={}", domain::utils::base16::encode_display(id)),
        }
    }
}

/// A key pair found in a token by [`Token::catalog`].
#[derive(Clone, Debug)]
pub struct Listed {
    pub key: KeyRef,
    /// The algorithm whose DNSKEY it can be: RSASHA256 stands for every RSA
    /// algorithm.
    pub alg: SecurityAlgorithm,
    /// Its DNSKEY public key field.
    pub public: Vec<u8>,
}

/// The DNSSEC algorithm a token key of `kind` serves (RSA: RSASHA256).
fn family(kind: KeyType, params: Option<&[u8]>) -> Option<SecurityAlgorithm> {
    Some(match (kind, params) {
        (KeyType::RSA, _) => SecurityAlgorithm::RSASHA256,
        (KeyType::EC, Some(P256)) => SecurityAlgorithm::ECDSAP256SHA256,
        (KeyType::EC, Some(P384)) => SecurityAlgorithm::ECDSAP384SHA384,
        // RFC 8410's OID, or the curve's name as PKCS#11 3.0 also allows.
        (KeyType::EC_EDWARDS, Some(ED25519 | ED25519_NAME)) => SecurityAlgorithm::ED25519,
        _ => return None,
    })
}

/// (key generation, signing) mechanisms of `alg`.
fn mechanisms(alg: SecurityAlgorithm) -> Option<(Mechanism<'static>, Mechanism<'static>)> {
    Some(match alg {
        SecurityAlgorithm::RSASHA256 => (Mechanism::RsaPkcsKeyPairGen, Mechanism::Sha256RsaPkcs),
        SecurityAlgorithm::RSASHA512 => (Mechanism::RsaPkcsKeyPairGen, Mechanism::Sha512RsaPkcs),
        SecurityAlgorithm::ECDSAP256SHA256 | SecurityAlgorithm::ECDSAP384SHA384 => {
            (Mechanism::EccKeyPairGen, Mechanism::Ecdsa)
        }
        SecurityAlgorithm::ED25519 => (
            Mechanism::EccEdwardsKeyPairGen,
            Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
        ),
        _ => return None,
    })
}

/// The DNSKEY public key field of a token's public key object.
fn public_field(
    s: &Session,
    public: ObjectHandle,
    alg: SecurityAlgorithm,
) -> Result<Vec<u8>, String> {
    let wanted = match alg {
        SecurityAlgorithm::RSASHA256 | SecurityAlgorithm::RSASHA512 => {
            vec![AttributeType::PublicExponent, AttributeType::Modulus]
        }
        _ => vec![AttributeType::EcPoint],
    };
    let attrs = s
        .get_attributes(public, &wanted)
        .map_err(ck("public key"))?;
    let (mut e, mut n, mut point) = (None, None, None);
    for a in attrs {
        match a {
            Attribute::PublicExponent(v) => e = Some(v),
            Attribute::Modulus(v) => n = Some(v),
            Attribute::EcPoint(v) => point = Some(v),
            _ => {}
        }
    }
    if let (Some(e), Some(n)) = (e, n) {
        return Ok(super::rsa_dnskey_public(&e, &n));
    }
    let point = point.ok_or("the token gives no public key")?;
    // CKA_EC_POINT is a DER OCTET STRING (some modules give it bare).
    let raw = match point.as_slice() {
        [0x04, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        [0x04, 0x81, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        other => other,
    };
    Ok(match alg {
        // ECDSA: 04‖x‖y; DNSSEC keeps x‖y (RFC 6605 s4).
        SecurityAlgorithm::ECDSAP256SHA256 | SecurityAlgorithm::ECDSAP384SHA384 => match raw {
            [4, xy @ ..] => xy.to_vec(),
            _ => return Err("the token's EC point is not uncompressed".into()),
        },
        _ => raw.to_vec(),
    })
}

/// A key pair in a token.
pub struct TokenKey {
    token: Arc<Token>,
    private: ObjectHandle,
    /// None where the signer that made the key kept no public object.
    public: Option<ObjectHandle>,
    alg: SecurityAlgorithm,
    dnskey_public: Vec<u8>,
}

impl TokenKey {
    /// The DNSKEY public key field.
    pub fn public(&self) -> &[u8] {
        &self.dnskey_public
    }

    /// Signs in the token. ECDSA is given the digest (CKM_ECDSA, which
    /// every module has) and returns r‖s as DNSSEC wants it.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        let (_, mechanism) = mechanisms(self.alg).ok_or("no signing mechanism")?;
        let digest;
        let input = match self.alg {
            SecurityAlgorithm::ECDSAP256SHA256 => {
                digest = super::digest::digest(&super::digest::SHA256, data);
                digest.as_ref()
            }
            SecurityAlgorithm::ECDSAP384SHA384 => {
                digest = super::digest::digest(&super::digest::SHA384, data);
                digest.as_ref()
            }
            _ => data,
        };
        self.token.with_session(|s| {
            s.sign(&mechanism, self.private, input).map_err(|e| match e {
                CkError::Pkcs11(
                    rv @ (RvError::ObjectHandleInvalid
                    | RvError::KeyHandleInvalid
                    | RvError::TokenNotPresent
                    | RvError::DeviceRemoved
                    | RvError::DeviceError
                    | RvError::SessionHandleInvalid
                    | RvError::SessionClosed),
                    _,
                ) => format!(
                    "token {:?}: signing: the key or the token went away during the run ({rv:?})",
                    self.token.label
                ),
                e => format!("token {:?}: signing: {e}", self.token.label),
            })
        })
    }
}
